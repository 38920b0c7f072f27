#include "sorad/log-config.h"

#include <syslog.h>

#include <string>

namespace sora {

namespace {

LogLevel level_from(const std::string& name) {
  if (name == "debug") return LogLevel::debug;
  if (name == "notice") return LogLevel::notice;
  if (name == "warning") return LogLevel::warning;
  if (name == "error") return LogLevel::error;
  return LogLevel::info;
}

int facility_from(const std::string& name) {
  static const struct {
    const char* name;
    int facility;
  } table[] = {{"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
               {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
               {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
               {"local7", LOG_LOCAL7}};
  for (const auto& row : table) {
    if (name == row.name) return row.facility;
  }
  return LOG_MAIL;
}

}  // namespace

LogSettings log_settings_from(const Config& config) {
  const Config::Section& core = config.section("core");
  LogSettings s;
  s.level = level_from(core.str("log_level"));
  s.syslog = core.str("log") == "syslog";
  s.facility = facility_from(core.str("syslog_facility"));
  s.ident = "sorad";
  return s;
}

}  // namespace sora
