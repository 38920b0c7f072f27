// What sora-admin prints: text for people, or one JSON document on stdout
// with --json. Errors always go to stderr as one line, and with --json also
// to stdout as {"error": {"code": KIND, "message": ...}}.
#pragma once

#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sora/result.h"

namespace sora::admin {

struct JsonDecref {
  void operator()(json_t* j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

// JSON for a text that may be absent; null when `text` is nullptr.
Json json_text(const std::string* text);

class Output {
 public:
  explicit Output(bool json) : json_(json) {}

  bool json() const { return json_; }

  // Exactly one of these per successful run, matching the mode.
  void text(std::string_view text) const;
  void document(const Json& doc) const;

  // Reports the error and returns the exit status for it.
  int error(const Error& error) const;
  void warning(std::string_view message) const;

 private:
  bool json_;
};

// Rows of cells, the first being the header, as aligned columns separated by
// two spaces; an empty cell is shown as "-" so that every line has as many
// words as the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace sora::admin
