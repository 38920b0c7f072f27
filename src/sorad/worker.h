// A worker process: one libuv loop serving the listeners it inherited.
#pragma once

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "libsora-core/module-loader.h"
#include "libsora-net/listeners.h"
#include "sora/config.h"

namespace sora {

struct WorkerSetup {
  int index = 0;                      // 0 .. workers-1, for the log
  std::string config_path;            // re-read on SIGHUP
  ModuleSet* modules = nullptr;       // loaded and initialised by the supervisor
  std::vector<std::unique_ptr<Config>>* configs = nullptr;  // every config so far; back() is current
  std::vector<BoundSocket>* sockets = nullptr;  // the worker takes them over
  int ready_fd = -1;                  // one byte is written here once the listeners run
  // The mask to restore once the worker's own signal handlers are in place;
  // until then SIGHUP, SIGTERM and SIGINT stay blocked (pending), so one sent
  // right after fork is handled, not fatal by default action.
  sigset_t signal_mask{};
};

// Runs in the forked child until it has drained; returns its exit status
// (kExitConfig tells the supervisor that restarting cannot help).
int run_worker(WorkerSetup& setup);

}  // namespace sora
