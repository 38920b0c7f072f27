#include "sora/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "libsora-core/log-setup.h"

namespace sora {

namespace {

LogLevel g_min = LogLevel::info;
bool g_syslog = false;
std::string g_ident = "sora";

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::notice: return "notice";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return LOG_DEBUG;
    case LogLevel::info: return LOG_INFO;
    case LogLevel::notice: return LOG_NOTICE;
    case LogLevel::warning: return LOG_WARNING;
    case LogLevel::error: return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

bool log_enabled(LogLevel level) { return level >= g_min; }

void vlog(LogLevel level, const char* fmt, va_list ap) {
  if (!log_enabled(level)) return;
  char msg[4096];
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  if (g_syslog) {
    syslog(syslog_priority(level), "%s: %s", level_name(level), msg);
    return;
  }
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // One write per line so lines of several workers do not interleave.
  char line[4300];
  int n = std::snprintf(line, sizeof line, "%s %s[%d]: %s: %s\n", stamp, g_ident.c_str(),
                        static_cast<int>(getpid()), level_name(level), msg);
  if (n > 0) {
    ssize_t ignored = ::write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
    (void)ignored;
  }
}

void log(LogLevel level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}

void log_setup(const LogSettings& s) {
  g_min = s.level;
  g_ident = s.ident;
  if (s.syslog && !g_syslog) openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, s.facility);
  if (!s.syslog && g_syslog) closelog();
  g_syslog = s.syslog;
}

}  // namespace sora
