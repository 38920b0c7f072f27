#include "libsora-core/sections.h"

namespace sora {

namespace {

using T = ConfigType;
constexpr unsigned R = kConfigReloadable;

const ConfigKey kCoreKeys[] = {
    {"modules", T::list, "auth-sql", 0, 0, nullptr, 0,
     "modules to load, by name, from module_dir (protocols, storage, auth, filters)"},
    {"module_dir", T::path, SORA_MODULEDIR, 0, 0, nullptr, 0,
     "folder holding the module .so files"},
    {"workers", T::integer, "auto", 1, 256, "auto", 0,
     "worker processes sharing the listeners; auto = one per CPU core"},
    {"thread_pool_size", T::integer, "4", 1, 128, nullptr, 0,
     "threads per worker for blocking work (password hashing, files, compression)"},
    {"pid_file", T::path, SORA_RUNSTATEDIR "/sora/sorad.pid", 0, 0, nullptr, 0,
     "file the supervisor writes its process id to; empty for none"},
    {"shutdown_timeout", T::duration, "30s", 0, 3600000, nullptr, R,
     "how long SIGTERM or SIGINT waits for sessions to end before closing them"},
    {"worker_restart_delay", T::duration, "1s", 0, 600000, nullptr, R,
     "pause before a worker that died is started again (doubles while it keeps dying)"},
    {"log", T::enumeration, "stderr", 0, 0, "stderr|syslog", 0, "where log lines go"},
    {"log_level", T::enumeration, "info", 0, 0, "debug|info|notice|warning|error", R,
     "the least severe level logged"},
    {"syslog_facility", T::enumeration, "mail", 0, 0,
     "mail|daemon|local0|local1|local2|local3|local4|local5|local6|local7", 0,
     "syslog facility when log = syslog"},
};

}  // namespace

const ConfigSection kCoreSection = {"core", false, kCoreKeys, std::size(kCoreKeys),
                                    "the daemon: modules, processes, logging"};

std::vector<const ConfigSection*> core_sections() {
  return {&kCoreSection, &kPostgresqlSection, &kAuthSection, &kTlsSection, &kListenerSection};
}

}  // namespace sora
