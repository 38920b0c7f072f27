// The supervisor: loads and checks everything, binds the listeners, forks the
// workers and keeps them running; SIGHUP reloads, SIGTERM drains.
#pragma once

#include <string>

#include "libsora-core/config-load.h"

namespace sora {

struct DaemonOptions {
  std::string config_path;
  bool config_given = false;  // -c was used
  bool print_config = false;  // -n
  bool only_changed = false;  // -n --changed
  bool test_config = false;   // -t
  bool dump_schema = false;   // --dump-schema
};

// Exit codes of sorad, and of a worker to its supervisor.
enum DaemonExit : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 64,
  kExitConfig = 78,  // configuration or database schema: restarting cannot help
};

int run_daemon(const DaemonOptions& options);

// --dump-schema: one line per key, tab-separated:
// section, key, type, default, flags (reloadable,required,secret or -), meaning.
// Instanced sections are written "listener NAME".
int dump_schema(const DaemonOptions& options);

}  // namespace sora
