// Loading modules (internal to the core).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sora/auth.h"
#include "sora/blob.h"
#include "sora/filter.h"
#include "sora/config.h"
#include "sora/module.h"
#include "sora/net.h"
#include "sora/result.h"

namespace sora {

struct LoadedModule;
struct Registries;

class ModuleSet {
 public:
  ModuleSet();
  ~ModuleSet();
  ModuleSet(const ModuleSet&) = delete;
  ModuleSet& operator=(const ModuleSet&) = delete;

  // dlopen()s DIR/NAME.so for each name and checks its descriptor: ABI
  // version, build signature, duplicate names, dependencies. Errors name the
  // file and are returned one per line.
  Status load(const std::string& dir, const std::vector<std::string>& names);

  // The config sections the loaded modules declare.
  std::vector<const ConfigSection*> config_sections() const;

  // Runs init (supervisor), start and stop (workers) and fini hooks in load
  // order (stop and fini in reverse).
  Status init_all(const Config& config);
  // `store` may be null in processes without a mail store (sora-admin).
  Status start_all(Db& db, MailStore* store = nullptr);
  void stop_all();
  void fini_all();

  // What the modules registered.
  AuthBackend* auth_backend(const std::string& name) const;
  Protocol* protocol(const std::string& name) const;
  std::vector<std::string> protocol_names() const;
  BlobDriver* blob_driver(const std::string& name) const;
  std::vector<std::string> blob_driver_names() const;
  const std::vector<Filter*>& filters() const;  // in registration order

  std::size_t size() const;

 private:
  friend struct LoadedModule;
  Status order_by_dependencies();

  // Registered objects are declared after the modules so that they are
  // destroyed first: their code lives in the modules' .so files.
  std::vector<std::unique_ptr<LoadedModule>> modules_;
  std::unique_ptr<Registries> registries_;
};

// The module set of this process, for sora::authenticate() and the listeners.
void set_current_modules(ModuleSet* modules, const Config* config);
ModuleSet* current_modules();
const Config* current_config();

}  // namespace sora
