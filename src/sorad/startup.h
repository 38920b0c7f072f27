// What sorad loads before it can serve: modules, configuration, registrations.
// Used at start, by -n and -t, and again on SIGHUP.
#pragma once

#include <memory>
#include <string>

#include "libsora-core/module-loader.h"
#include "sora/config.h"
#include "sora/result.h"

namespace sora {

struct Loaded {
  std::unique_ptr<ModuleSet> modules;
  std::unique_ptr<Config> config;
};

// Loads the modules named in the file, then the whole file against the core
// and module schemas. Errors: one per line, each naming its place.
Result<Loaded> load_modules_and_config(const std::string& path);

// Reads the file again with the schemas of the modules already loaded (for
// SIGHUP). A changed module list is reported as needing a restart.
Result<std::unique_ptr<Config>> reload_config(const std::string& path, const ModuleSet& modules);

// Each [listener] names a protocol some loaded module registered.
Status check_listener_protocols(const Config& config, const ModuleSet& modules);

// The file sorad was told to read; the built-in defaults (/dev/null) when it
// was not told and the default file does not exist (--dump-schema only).
std::string config_or_defaults(const struct DaemonOptions& options);

// Every key of the core and of `modules`, as sorad --dump-schema prints it.
std::string schema_text(const ModuleSet& modules);

// What sorad -t can check of [tls] and the listeners without binding: the
// listener values, and that the certificate and key load when a listener
// uses TLS.
Status check_listeners_and_tls(const Config& config);

// [auth] backend names a backend some loaded module registered.
Status check_auth_backend(const Config& config, const ModuleSet& modules);

// Log lines naming each non-reloadable key whose value differs.
void warn_restart_needed(const Config& running, const Config& fresh);

}  // namespace sora
