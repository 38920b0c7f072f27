// [core] log, log_level and syslog_facility as log settings.
#pragma once

#include "libsora-core/log-setup.h"
#include "sora/config.h"

namespace sora {

LogSettings log_settings_from(const Config& config);

}  // namespace sora
