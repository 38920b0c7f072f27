// Configuration schema and values.
//
// Every key of the core and of every module is declared exactly once, as a row
// of a ConfigKey table: its name, type, default, bounds, whether SIGHUP may
// change it, and a one-line meaning. The loader validates sora.conf against
// the tables, etc/sora.conf and sora.conf(5) are checked against them by a
// test, and `sorad -n` prints the effective values from them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sora/result.h"

namespace sora {

enum class ConfigType : int {
  string,       // any text
  path,         // a file or folder name
  integer,      // decimal; `choices` may name one word allowed besides ("auto")
  boolean,      // yes|no|true|false|on|off|1|0
  size,         // bytes with an optional k, M, G suffix (powers of 1024)
  duration,     // a number with ms, s, m, h or d; a bare number is seconds
  enumeration,  // one of `choices`, "a|b|c"
  list,         // words separated by spaces or commas
};

enum ConfigFlags : unsigned {
  kConfigReloadable = 1u << 0,  // SIGHUP applies a new value without a restart
  kConfigRequired = 1u << 1,    // must be set (no default)
  kConfigSecret = 1u << 2,      // shown as "(hidden)" by sorad -n
};

struct ConfigKey {
  const char* name;
  ConfigType type;
  const char* default_value;  // textual, as it would be written in sora.conf; "" = empty
  long long min;              // integer: value; size: bytes; duration: milliseconds
  long long max;              // 0 together with min 0: unbounded
  const char* choices;        // enumeration: "a|b|c"; integer: an extra word ("auto")
  unsigned flags;             // ConfigFlags
  const char* help;           // one line, for sorad -n --help and the docs check
};

struct ConfigSection {
  const char* name;       // "core", "postgresql", "listener", or a module's name
  bool instanced;         // written [name INSTANCE], any number of times
  const ConfigKey* keys;  // `count` rows
  std::size_t count;
  const char* help;
};

// One validated value. `line` is 0 for a default.
struct ConfigValue {
  const ConfigKey* key = nullptr;
  std::string text;  // normalised textual value
  long long number = 0;  // integer, size (bytes), duration (ms), boolean (0/1); -1 for "auto"
  std::vector<std::string> words;  // list
  std::string file;
  int line = 0;
};

class Config {
 public:
  // The values of one section (or one instance of an instanced section).
  class Section {
   public:
    const std::string& name() const { return name_; }
    const std::string& instance() const { return instance_; }
    const ConfigValue& value(std::string_view key) const;  // aborts on an undeclared key
    const std::string& str(std::string_view key) const { return value(key).text; }
    long long integer(std::string_view key) const { return value(key).number; }
    bool boolean(std::string_view key) const { return value(key).number != 0; }
    std::chrono::milliseconds duration(std::string_view key) const {
      return std::chrono::milliseconds(value(key).number);
    }
    const std::vector<std::string>& list(std::string_view key) const { return value(key).words; }
    const std::map<std::string, ConfigValue, std::less<>>& values() const { return values_; }
    const ConfigSection* schema() const { return schema_; }

   private:
    friend class ConfigBuilder;
    friend class Config;
    std::string name_, instance_;
    const ConfigSection* schema_ = nullptr;
    std::map<std::string, ConfigValue, std::less<>> values_;
  };

  const std::string& file() const { return file_; }

  // A non-instanced section; every declared section exists with its defaults.
  const Section& section(std::string_view name) const;
  // All instances of an instanced section ([listener imap], [listener imaps] ...).
  std::vector<const Section*> instances(std::string_view name) const;

  // Writes the effective configuration as sora.conf text (sorad -n): every
  // section and key, with secrets hidden; `only_set` limits it to keys set in
  // the file.
  std::string dump(bool only_set) const;

 private:
  friend class ConfigBuilder;
  std::string file_;
  std::vector<Section> sections_;  // in schema order, instances after their first
};

// Parses a value of `key` given as text; the error message says what is wrong
// but not where (the caller adds FILE:LINE: [section] key:).
Result<ConfigValue> parse_config_value(const ConfigKey& key, std::string_view text);

}  // namespace sora
