// Loading sora.conf: inih reads the lines, the schema decides what they mean.
#include <ini.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "libsora-core/config-load.h"
#include "libsora-core/sections.h"

namespace sora {

std::string default_config_path() { return std::string(SORA_SYSCONFDIR) + "/sora/sora.conf"; }

namespace {

bool valid_instance_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// One `key = value` line as inih hands it over, with the line it came from.
struct RawEntry {
  std::string section;  // "listener imap"
  std::string key;
  std::string value;
  int line;
};

struct RawFile {
  std::vector<RawEntry> entries;
  std::map<std::string, int> section_lines;  // first line of each section header seen
  std::vector<std::string> errors;
};

// Feeds inih one line at a time so that every entry knows its line number
// (Debian's inih is built without INI_HANDLER_LINENO) and so that over-long
// lines and indented continuations are refused instead of silently misread.
struct LineReader {
  std::FILE* file;
  const std::string* path;
  RawFile* raw;
  int line = 0;
  std::string current_section;
};

char* read_line(char* buf, int size, void* stream) {
  auto* r = static_cast<LineReader*>(stream);
  if (!std::fgets(buf, size, r->file)) return nullptr;
  ++r->line;
  std::size_t len = std::strlen(buf);
  if (len == static_cast<std::size_t>(size - 1) && buf[len - 1] != '\n' && !std::feof(r->file)) {
    r->raw->errors.push_back(*r->path + ":" + std::to_string(r->line) + ": line longer than " +
                             std::to_string(size - 2) + " bytes");
    int c;
    while ((c = std::fgetc(r->file)) != EOF && c != '\n') {
    }
    buf[0] = '\0';
    return buf;
  }
  const char* p = buf;
  while (*p == ' ' || *p == '\t') ++p;
  if (p != buf && *p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#') {
    r->raw->errors.push_back(*r->path + ":" + std::to_string(r->line) +
                             ": indented line: continuation lines are not supported; "
                             "write each key = value on one line at the start of the line");
    buf[0] = '\0';
    return buf;
  }
  if (*p == '[') {
    const char* end = std::strchr(p, ']');
    if (end) {
      std::string name(p + 1, end);
      r->raw->section_lines.emplace(name, r->line);
    }
  }
  return buf;
}

int on_entry(void* user, const char* section, const char* key, const char* value) {
  auto* r = static_cast<LineReader*>(user);
  r->raw->entries.push_back({section, key, value ? value : "", r->line});
  return 1;
}

Result<RawFile> read_raw(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!f) return make_error(kErrConfig, path + ": cannot open: " + std::strerror(errno));
  RawFile raw;
  LineReader reader{f.get(), &path, &raw, 0, {}};
  int rc = ini_parse_stream(&read_line, &reader, &on_entry, &reader);
  if (rc > 0) {
    raw.errors.push_back(path + ":" + std::to_string(rc) +
                         ": not a [section] header, a key = value line or a comment");
  } else if (rc < 0) {
    raw.errors.push_back(path + ": cannot read the file");
  }
  return raw;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

void split_section(const std::string& header, std::string& name, std::string& instance) {
  std::size_t sp = header.find_first_of(" \t");
  if (sp == std::string::npos) {
    name = header;
    instance.clear();
    return;
  }
  name = header.substr(0, sp);
  std::size_t start = header.find_first_not_of(" \t", sp);
  instance = start == std::string::npos ? "" : header.substr(start);
}

}  // namespace

class ConfigBuilder {
 public:
  ConfigBuilder(const std::string& path, const std::vector<const ConfigSection*>& schema)
      : path_(path), schema_(schema) {
    config_.file_ = path;
    for (const ConfigSection* s : schema_) {
      if (!s->instanced) add_section(s, "");
    }
  }

  void apply(const RawFile& raw, const std::set<std::string>& skipped) {
    errors_ = raw.errors;
    for (const RawEntry& e : raw.entries) apply_entry(e, raw, skipped);
    // A section written with no keys still exists (and may lack required keys).
    for (const auto& [header, line] : raw.section_lines) {
      std::string name, instance;
      split_section(header, name, instance);
      if (!skipped.count(name)) section_for(RawEntry{header, "", "", line}, raw);
    }
    check_required(raw);
  }

  Result<Config> finish() {
    if (!errors_.empty()) return make_error(kErrConfig, join_lines(errors_));
    return std::move(config_);
  }

 private:
  const ConfigSection* find_schema(const std::string& name) const {
    for (const ConfigSection* s : schema_) {
      if (name == s->name) return s;
    }
    return nullptr;
  }

  Config::Section& add_section(const ConfigSection* schema, const std::string& instance) {
    Config::Section sec;
    sec.name_ = schema->name;
    sec.instance_ = instance;
    sec.schema_ = schema;
    for (std::size_t i = 0; i < schema->count; ++i) {
      const ConfigKey& key = schema->keys[i];
      auto v = parse_config_value(key, key.default_value ? key.default_value : "");
      ConfigValue value;
      if (v) value = std::move(v.value());
      value.key = &key;
      if (!v) value.text = key.default_value ? key.default_value : "";
      sec.values_.emplace(key.name, std::move(value));
    }
    config_.sections_.push_back(std::move(sec));
    return config_.sections_.back();
  }

  Config::Section* find_section(const std::string& name, const std::string& instance) {
    for (Config::Section& s : config_.sections_) {
      if (s.name_ == name && s.instance_ == instance) return &s;
    }
    return nullptr;
  }

  std::string where(int line) const { return path_ + ":" + std::to_string(line) + ": "; }

  std::string known_sections() const {
    std::string out;
    for (const ConfigSection* s : schema_) {
      if (!out.empty()) out += ", ";
      out += s->name;
      if (s->instanced) out += " NAME";
    }
    return out;
  }

  // Returns the section an entry belongs to, creating an instance on first
  // use; null (with an error recorded once) when the header is not valid.
  Config::Section* section_for(const RawEntry& e, const RawFile& raw) {
    std::string name, instance;
    split_section(e.section, name, instance);
    auto line_it = raw.section_lines.find(e.section);
    int header_line = line_it != raw.section_lines.end() ? line_it->second : e.line;
    if (e.section.empty()) {
      report_once(e.section, where(e.line) + e.key + ": key outside of any [section]");
      return nullptr;
    }
    const ConfigSection* schema = find_schema(name);
    if (!schema) {
      report_once(e.section, where(header_line) + "[" + e.section + "]: unknown section (known: " +
                                 known_sections() +
                                 "; a module's section needs the module in [core] modules)");
      return nullptr;
    }
    if (schema->instanced && !valid_instance_name(instance)) {
      report_once(e.section, where(header_line) + "[" + e.section + "]: write [" + name +
                                 " NAME], NAME made of letters, digits, '-', '_' and '.'");
      return nullptr;
    }
    if (!schema->instanced && !instance.empty()) {
      report_once(e.section, where(header_line) + "[" + e.section + "]: section [" + name +
                                 "] takes no name");
      return nullptr;
    }
    if (Config::Section* s = find_section(name, instance)) return s;
    Config::Section& s = add_section(schema, instance);
    for (auto& [k, v] : s.values_) v.file = path_;
    section_header_line_[e.section] = header_line;
    return &s;
  }

  void report_once(const std::string& section, std::string message) {
    if (reported_sections_.insert(section).second) errors_.push_back(std::move(message));
  }

  void apply_entry(const RawEntry& e, const RawFile& raw, const std::set<std::string>& skipped) {
    std::string name, instance;
    split_section(e.section, name, instance);
    if (skipped.count(name)) return;
    Config::Section* sec = section_for(e, raw);
    if (!sec) return;
    std::string label = where(e.line) + "[" + e.section + "] " + e.key + ": ";
    auto it = sec->values_.find(e.key);
    if (it == sec->values_.end()) {
      errors_.push_back(label + "unknown key" + suggest(sec->schema_, e.key));
      return;
    }
    std::string id = e.section + "\n" + e.key;
    auto [seen, fresh] = key_lines_.emplace(id, e.line);
    if (!fresh) {
      errors_.push_back(label + "set twice (first at line " + std::to_string(seen->second) + ")");
      return;
    }
    auto v = parse_config_value(*it->second.key, e.value);
    if (!v) {
      errors_.push_back(label + v.error().message);
      return;
    }
    v->file = path_;
    v->line = e.line;
    it->second = std::move(v.value());
  }

  // "did you mean" for one typo: the key of the section closest in spelling.
  static std::string suggest(const ConfigSection* schema, const std::string& key) {
    std::string best;
    std::size_t best_d = 3;
    for (std::size_t i = 0; i < schema->count; ++i) {
      std::size_t d = distance(key, schema->keys[i].name);
      if (d < best_d) {
        best_d = d;
        best = schema->keys[i].name;
      }
    }
    return best.empty() ? "" : " (did you mean " + best + "?)";
  }

  static std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }

  void check_required(const RawFile&) {
    for (Config::Section& s : config_.sections_) {
      std::string header = s.instance_.empty() ? s.name_ : s.name_ + " " + s.instance_;
      auto line_it = section_header_line_.find(header);
      for (auto& [k, v] : s.values_) {
        if ((v.key->flags & kConfigRequired) && v.line == 0) {
          std::string place = line_it != section_header_line_.end()
                                  ? where(line_it->second)
                                  : path_ + ": ";
          errors_.push_back(place + "[" + header + "] " + k + ": required, but not set");
        }
      }
    }
  }

  std::string path_;
  const std::vector<const ConfigSection*>& schema_;
  Config config_;
  std::vector<std::string> errors_;
  std::set<std::string> reported_sections_;
  std::map<std::string, int> key_lines_;
  std::map<std::string, int> section_header_line_;
};

Result<Config> load_config(const std::string& path, const std::vector<const ConfigSection*>& sections,
                           const LoadOptions& options) {
  auto raw = read_raw(path);
  if (!raw) return raw.take_error();
  std::set<std::string> skipped;
  if (options.skip_module_sections) {
    auto modules = read_module_list(path);
    if (modules) {
      for (const std::string& m : modules->names) {
        bool known = false;
        for (const ConfigSection* s : sections) known = known || m == s->name;
        if (!known) skipped.insert(m);
      }
    }
  }
  ConfigBuilder builder(path, sections);
  builder.apply(*raw, skipped);
  return builder.finish();
}

Result<ModuleList> read_module_list(const std::string& path) {
  auto raw = read_raw(path);
  if (!raw) return raw.take_error();
  ModuleList out;
  out.file = path;
  const ConfigKey* modules_key = nullptr;
  const ConfigKey* dir_key = nullptr;
  for (std::size_t i = 0; i < kCoreSection.count; ++i) {
    std::string_view name = kCoreSection.keys[i].name;
    if (name == "modules") modules_key = &kCoreSection.keys[i];
    if (name == "module_dir") dir_key = &kCoreSection.keys[i];
  }
  out.names = parse_config_value(*modules_key, modules_key->default_value).value().words;
  out.dir = dir_key->default_value;
  for (const RawEntry& e : raw->entries) {
    if (e.section != "core") continue;
    if (e.key == "modules") {
      out.names = parse_config_value(*modules_key, e.value).value().words;
      out.line = e.line;
    } else if (e.key == "module_dir") {
      out.dir = e.value;
    }
  }
  return out;
}

const ConfigValue& Config::Section::value(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    std::fprintf(stderr, "sora: internal error: key %.*s is not declared in [%s]\n",
                 static_cast<int>(key.size()), key.data(), name_.c_str());
    std::abort();
  }
  return it->second;
}

const Config::Section& Config::section(std::string_view name) const {
  for (const Section& s : sections_) {
    if (s.name_ == name && s.instance_.empty() && !s.schema_->instanced) return s;
  }
  std::fprintf(stderr, "sora: internal error: no configuration section [%.*s]\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

std::vector<const Config::Section*> Config::instances(std::string_view name) const {
  std::vector<const Section*> out;
  for (const Section& s : sections_) {
    if (s.name_ == name && s.schema_->instanced) out.push_back(&s);
  }
  return out;
}

namespace {

// Connection strings may carry a password (password=..., or user:pass@ in a
// URI): sorad -n shows them without it.
std::string hide_passwords(std::string text) {
  for (std::size_t at = text.find("password="); at != std::string::npos;
       at = text.find("password=", at + 1)) {
    std::size_t start = at + 9, end = start;
    if (end < text.size() && text[end] == '\'') {
      end = text.find('\'', end + 1);
      end = end == std::string::npos ? text.size() : end + 1;
    } else {
      while (end < text.size() && text[end] != ' ' && text[end] != '&') ++end;
    }
    text.replace(start, end - start, "(hidden)");
  }
  std::size_t scheme = text.find("://");
  if (scheme != std::string::npos) {
    std::size_t at = text.find('@', scheme);
    std::size_t colon = text.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "(hidden)");
    }
  }
  return text;
}

}  // namespace

std::string Config::dump(bool only_set) const {
  std::string out = "# effective configuration of " + file_ + "\n";
  for (const Section& s : sections_) {
    std::string body;
    for (std::size_t i = 0; i < s.schema_->count; ++i) {
      const ConfigValue& v = s.value(s.schema_->keys[i].name);
      if (only_set && v.line == 0) continue;
      bool hide = (v.key->flags & kConfigSecret) && !v.text.empty();
      std::string shown = hide ? "(hidden)" : v.key->type == ConfigType::string ? hide_passwords(v.text) : v.text;
      body += std::string(v.key->name) + " = " + shown + "\n";
    }
    if (only_set && body.empty()) continue;
    out += "\n[" + s.name_ + (s.instance_.empty() ? "" : " " + s.instance_) + "]\n" + body;
  }
  return out;
}

}  // namespace sora
