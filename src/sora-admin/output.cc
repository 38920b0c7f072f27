#include "sora-admin/output.h"

#include <algorithm>
#include <cstdio>

#include "sora-admin/exit-codes.h"

namespace sora::admin {

Json json_text(const std::string* text) {
  return Json(text ? json_stringn(text->data(), text->size()) : json_null());
}

void Output::text(std::string_view text) const { std::fwrite(text.data(), 1, text.size(), stdout); }

void Output::document(const Json& doc) const {
  // Insertion order, not sorted: the keys read in the order a person expects.
  json_dumpf(doc.get(), stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  std::fputc('\n', stdout);
}

int Output::error(const Error& error) const {
  std::fprintf(stderr, "sora-admin: %s\n", error.message.c_str());
  if (json_) {
    Json message(json_stringn(error.message.data(), error.message.size()));
    // A message quoting bad input may not be UTF-8, which JSON cannot carry.
    if (!message) message.reset(json_string("(the message is not valid UTF-8; see stderr)"));
    Json doc(
        json_pack("{s:{s:s, s:O}}", "error", "code", error_kind(error), "message", message.get()));
    document(doc);
  }
  return exit_code_for(error);
}

void Output::warning(std::string_view message) const {
  std::fprintf(stderr, "sora-admin: warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 1);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i].empty() ? "-" : row[i];
      if (i + 1 < row.size()) cell.resize(widths[i] + 2, ' ');
      line += cell;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace sora::admin
