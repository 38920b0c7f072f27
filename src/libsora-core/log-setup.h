// Process-wide log settings (internal to the core).
#pragma once

#include <syslog.h>

#include <string>

#include "sora/log.h"

namespace sora {

struct LogSettings {
  LogLevel level = LogLevel::info;
  bool syslog = false;
  int facility = LOG_MAIL;
  std::string ident = "sora";
};

void log_setup(const LogSettings& settings);

}  // namespace sora
