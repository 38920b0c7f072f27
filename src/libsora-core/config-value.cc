// Parsing one configuration value according to its declared type.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include "sora/config.h"

namespace sora {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool bounded(const ConfigKey& key) { return key.min != 0 || key.max != 0; }

// Splits "10M" into 10 and "m"; false when there is no leading number or it overflows.
bool split_number(std::string_view text, long long& number, std::string& unit) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t digits = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == digits) return false;
  std::string num(text.substr(0, i));
  errno = 0;
  number = std::strtoll(num.c_str(), nullptr, 10);
  if (errno == ERANGE) return false;
  std::size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;
  unit = lower(text.substr(j));
  return true;
}

bool multiply(long long& value, long long factor) {
  if (value != 0 && (value > LLONG_MAX / factor || value < LLONG_MIN / factor)) return false;
  value *= factor;
  return true;
}

std::string format_size(long long bytes) {
  static const char* units[] = {"", "k", "M", "G", "T"};
  int u = 0;
  while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + units[u];
}

std::string format_duration(long long ms) {
  if (ms == 0) return "0s";
  struct Unit {
    long long ms;
    const char* name;
  };
  static const Unit units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (const Unit& u : units) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string format_bound(const ConfigKey& key, long long v) {
  switch (key.type) {
    case ConfigType::size: return format_size(v);
    case ConfigType::duration: return format_duration(v);
    default: return std::to_string(v);
  }
}

Result<long long> check_bounds(const ConfigKey& key, long long v, std::string_view text) {
  if (bounded(key) && (v < key.min || v > key.max)) {
    return make_error(kErrConfig, "'" + std::string(text) + "' is out of range (" +
                                      format_bound(key, key.min) + " to " +
                                      format_bound(key, key.max) + ")");
  }
  return v;
}

Result<long long> parse_integer(const ConfigKey& key, std::string_view text) {
  long long v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || !unit.empty()) {
    std::string also = key.choices ? std::string(" or '") + key.choices + "'" : "";
    return make_error(kErrConfig, "'" + std::string(text) + "' is not a whole number" + also);
  }
  return check_bounds(key, v, text);
}

Result<long long> parse_size(const ConfigKey& key, std::string_view text) {
  long long v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || v < 0) {
    return make_error(kErrConfig, "'" + std::string(text) + "' is not a size (examples: 512, 64k, 10M, 1G)");
  }
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  long long factor = 1;
  if (unit == "k") factor = 1024;
  else if (unit == "m") factor = 1024LL * 1024;
  else if (unit == "g") factor = 1024LL * 1024 * 1024;
  else if (unit == "t") factor = 1024LL * 1024 * 1024 * 1024;
  else if (!unit.empty())
    return make_error(kErrConfig, "'" + std::string(text) + "' has an unknown unit (use k, M, G or T)");
  if (!multiply(v, factor)) return make_error(kErrConfig, "'" + std::string(text) + "' is too large");
  return check_bounds(key, v, text);
}

Result<long long> parse_duration(const ConfigKey& key, std::string_view text) {
  long long v = 0;
  std::string unit;
  if (!split_number(text, v, unit) || v < 0) {
    return make_error(kErrConfig,
                      "'" + std::string(text) + "' is not a duration (examples: 250ms, 30s, 5m, 2h, 1d)");
  }
  long long factor;
  if (unit == "ms") factor = 1;
  else if (unit.empty() || unit == "s") factor = 1000;
  else if (unit == "m" || unit == "min") factor = 60000;
  else if (unit == "h") factor = 3600000;
  else if (unit == "d") factor = 86400000;
  else
    return make_error(kErrConfig,
                      "'" + std::string(text) + "' has an unknown unit (use ms, s, m, h or d)");
  if (!multiply(v, factor)) return make_error(kErrConfig, "'" + std::string(text) + "' is too long");
  return check_bounds(key, v, text);
}

Result<long long> parse_boolean(std::string_view text) {
  std::string t = lower(text);
  if (t == "yes" || t == "true" || t == "on" || t == "1") return 1LL;
  if (t == "no" || t == "false" || t == "off" || t == "0") return 0LL;
  return make_error(kErrConfig, "'" + std::string(text) + "' is not a boolean (use yes or no)");
}

std::vector<std::string> split_words(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    bool split = sep ? c == sep : (c == ' ' || c == '\t' || c == ',');
    if (split) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<std::string> parse_enumeration(const ConfigKey& key, std::string_view text) {
  for (const std::string& choice : split_words(key.choices ? key.choices : "", '|')) {
    if (lower(choice) == lower(text)) return choice;
  }
  std::string choices = key.choices ? key.choices : "";
  for (char& c : choices) {
    if (c == '|') c = ',';
  }
  return make_error(kErrConfig, "'" + std::string(text) + "' is not one of " + choices);
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

}  // namespace

Result<ConfigValue> parse_config_value(const ConfigKey& key, std::string_view text) {
  ConfigValue v;
  v.key = &key;
  v.text = std::string(text);
  switch (key.type) {
    case ConfigType::string:
    case ConfigType::path:
      return v;
    case ConfigType::integer: {
      if (key.choices && lower(text) == lower(key.choices)) {
        v.text = key.choices;
        v.number = -1;
        return v;
      }
      auto n = parse_integer(key, text);
      if (!n) return n.take_error();
      v.number = *n;
      v.text = std::to_string(v.number);
      return v;
    }
    case ConfigType::boolean: {
      auto n = parse_boolean(text);
      if (!n) return n.take_error();
      v.number = *n;
      v.text = v.number ? "yes" : "no";
      return v;
    }
    case ConfigType::size: {
      auto n = parse_size(key, text);
      if (!n) return n.take_error();
      v.number = *n;
      v.text = format_size(v.number);
      return v;
    }
    case ConfigType::duration: {
      auto n = parse_duration(key, text);
      if (!n) return n.take_error();
      v.number = *n;
      v.text = format_duration(v.number);
      return v;
    }
    case ConfigType::enumeration: {
      auto s = parse_enumeration(key, text);
      if (!s) return s.take_error();
      v.text = *s;
      return v;
    }
    case ConfigType::list:
      v.words = split_words(text, 0);
      v.text = join_words(v.words);
      return v;
  }
  return make_error(kErrConfig, "internal error: unknown type");
}

}  // namespace sora
