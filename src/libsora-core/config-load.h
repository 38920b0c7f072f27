// Loading sora.conf (internal to the core).
#pragma once

#include <string>
#include <vector>

#include "sora/config.h"
#include "sora/result.h"

namespace sora {

// The default configuration file: $(sysconfdir)/sora/sora.conf.
std::string default_config_path();

// Parses `path` with inih and validates every key against `sections` (the core
// sections plus those of the loaded modules). Errors name the place:
// "FILE:LINE: [section] key: what is wrong"; all of them are reported, one per
// line, in the message of the returned Error (code kErrConfig).
struct LoadOptions {
  // Skip, without validating, the sections of modules named in [core] modules
  // whose schema is not in `sections` (sora-admin does not load modules).
  bool skip_module_sections = false;
};
Result<Config> load_config(const std::string& path, const std::vector<const ConfigSection*>& sections,
                           const LoadOptions& options = {});

// Reads only [core] modules and module_dir, before the modules' schemas are
// known (the loader needs them to know which schemas to add).
struct ModuleList {
  std::vector<std::string> names;
  std::string dir;
  std::string file;
  int line = 0;  // of `modules`, 0 when defaulted
};
Result<ModuleList> read_module_list(const std::string& path);

}  // namespace sora
