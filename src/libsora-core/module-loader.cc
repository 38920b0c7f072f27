// The module loader: dlopen, descriptor checks, hooks and registries.
#include "libsora-core/module-loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>

#include "sora/blob.h"
#include "sora/db.h"
#include "sora/filter.h"
#include "sora/log.h"

namespace sora {

namespace {

const char* const kKinds[] = {"proto", "storage", "auth", "filter"};

bool known_kind(const char* kind) {
  if (!kind) return false;
  for (const char* k : kKinds) {
    if (std::string_view(kind) == k) return true;
  }
  return false;
}

ModuleSet* g_modules = nullptr;
const Config* g_config = nullptr;

}  // namespace

struct LoadedModule final : ModuleContext {
  std::string path;
  void* handle = nullptr;
  const sora_module_t* desc = nullptr;
  ConfigSection section{};
  ModuleSet* set = nullptr;
  const Config* config_ptr = nullptr;
  Db* db_ptr = nullptr;
  MailStore* store_ptr = nullptr;
  std::string failure;
  bool started = false;

  ~LoadedModule() override {
    if (handle) dlclose(handle);
  }

  const sora_module_t& module() const override { return *desc; }
  const Config::Section& config() const override { return current_config()->section(desc->name); }
  const Config& full_config() const override { return *current_config(); }
  void fail(std::string message) override { failure = std::move(message); }
  bool register_auth_backend(std::string name, std::unique_ptr<AuthBackend> backend) override;
  bool register_protocol(std::string name, std::unique_ptr<Protocol> protocol) override;
  bool register_blob_driver(std::string name, std::unique_ptr<BlobDriver> driver) override;
  bool register_filter(std::string name, std::unique_ptr<Filter> filter) override;
  const std::vector<Filter*>& filters() const override { return set->filters(); }
  MailStore& store() override {
    if (!store_ptr) {
      std::fprintf(stderr, "sora: internal error: module %s asked for the mail store outside start..stop\n",
                   desc->name);
      std::abort();
    }
    return *store_ptr;
  }
  Db& db() override {
    if (!db_ptr) {
      std::fprintf(stderr, "sora: internal error: module %s asked for the database outside start..stop\n",
                   desc->name);
      std::abort();
    }
    return *db_ptr;
  }

  // Runs a hook without letting an exception cross the module boundary.
  template <class Fn>
  Status call(const char* hook, Fn fn) {
    failure.clear();
    int rc = 0;
    try {
      rc = fn();
    } catch (const std::exception& e) {
      return make_error(kErrGeneric, std::string("module ") + desc->name + ": " + hook +
                                         " threw an exception: " + e.what());
    } catch (...) {
      return make_error(kErrGeneric, std::string("module ") + desc->name + ": " + hook +
                                         " threw an exception");
    }
    if (rc != 0) {
      return make_error(kErrGeneric, std::string("module ") + desc->name + ": " + hook + " failed: " +
                                         (failure.empty() ? "no reason given" : failure));
    }
    return {};
  }
};

struct Registries {
  std::map<std::string, std::unique_ptr<AuthBackend>> auth;
  std::map<std::string, std::unique_ptr<Protocol>> protocols;
  std::map<std::string, std::unique_ptr<BlobDriver>> blob_drivers;
  std::map<std::string, std::unique_ptr<Filter>> filters;
  std::vector<Filter*> filter_order;
};

namespace {

// A name is registered once across all modules.
template <class T>
bool add_unique(LoadedModule& module, std::map<std::string, std::unique_ptr<T>>& registry,
                const char* what, std::string name, std::unique_ptr<T> object) {
  if (registry.count(name)) {
    module.fail(std::string(what) + " '" + name + "' is already registered by another module");
    return false;
  }
  registry.emplace(std::move(name), std::move(object));
  return true;
}

}  // namespace

bool LoadedModule::register_auth_backend(std::string name, std::unique_ptr<AuthBackend> backend) {
  return add_unique(*this, set->registries_->auth, "auth backend", std::move(name), std::move(backend));
}

bool LoadedModule::register_protocol(std::string name, std::unique_ptr<Protocol> protocol) {
  return add_unique(*this, set->registries_->protocols, "protocol", std::move(name), std::move(protocol));
}

bool LoadedModule::register_blob_driver(std::string name, std::unique_ptr<BlobDriver> driver) {
  return add_unique(*this, set->registries_->blob_drivers, "blob driver", std::move(name), std::move(driver));
}

bool LoadedModule::register_filter(std::string name, std::unique_ptr<Filter> filter) {
  Filter* raw = filter.get();
  if (!add_unique(*this, set->registries_->filters, "filter", std::move(name), std::move(filter))) return false;
  set->registries_->filter_order.push_back(raw);
  return true;
}

ModuleSet::ModuleSet() : registries_(std::make_unique<Registries>()) {}

ModuleSet::~ModuleSet() {
  // Registered objects' code lives in the modules: destroy them before dlclose.
  registries_.reset();
  while (!modules_.empty()) modules_.pop_back();
  if (g_modules == this) g_modules = nullptr;
}

namespace {

Status check_descriptor(const std::string& path, const std::string& listed, const sora_module_t* m) {
  if (m->abi_version != SORA_MODULE_ABI_VERSION) {
    return make_error(kErrGeneric, path + ": module ABI version " + std::to_string(m->abi_version) +
                                       ", this sorad needs " +
                                       std::to_string(SORA_MODULE_ABI_VERSION) +
                                       ": rebuild the module against this Sora");
  }
  if (m->struct_size < sizeof(sora_module_t)) {
    return make_error(kErrGeneric, path + ": module descriptor is too small (" +
                                       std::to_string(m->struct_size) + " bytes): rebuild the module");
  }
  std::string sig = m->build_signature ? m->build_signature : "(none)";
  if (sig != SORA_BUILD_SIGNATURE) {
    return make_error(kErrGeneric, path + ": built for \"" + sig + "\", this sorad is \"" +
                                       SORA_BUILD_SIGNATURE + "\": rebuild the module against this Sora");
  }
  if (!m->name || listed != m->name) {
    return make_error(kErrGeneric, path + ": declares the name \"" + std::string(m->name ? m->name : "") +
                                       "\" but is listed as \"" + listed + "\"");
  }
  if (!known_kind(m->kind)) {
    return make_error(kErrGeneric, path + ": unknown module kind \"" +
                                       std::string(m->kind ? m->kind : "") +
                                       "\" (proto, storage, auth or filter)");
  }
  if (m->config_key_count > 0 && !m->config_keys) {
    return make_error(kErrGeneric, path + ": config_key_count set without config_keys");
  }
  for (std::size_t i = 0; i < m->config_key_count; ++i) {
    const ConfigKey& key = m->config_keys[i];
    if (!key.name || !*key.name) return make_error(kErrGeneric, path + ": a config key has no name");
    if (key.flags & kConfigRequired) continue;
    auto v = parse_config_value(key, key.default_value ? key.default_value : "");
    if (!v) {
      return make_error(kErrGeneric, path + ": default of [" + listed + "] " + key.name +
                                         " is invalid: " + v.error().message);
    }
  }
  return {};
}

}  // namespace

Status ModuleSet::load(const std::string& dir, const std::vector<std::string>& names) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      return make_error(kErrGeneric, "[core] modules: \"" + name + "\" is listed twice");
    }
    auto m = std::make_unique<LoadedModule>();
    m->set = this;
    m->path = dir + "/" + name + ".so";
    struct stat st;
    if (stat(m->path.c_str(), &st) != 0) {
      return make_error(kErrGeneric, m->path + ": no such module file (is module_dir right, and the module installed?)");
    }
    dlerror();
    m->handle = dlopen(m->path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m->handle) {
      const char* why = dlerror();
      return make_error(kErrGeneric, m->path + ": cannot load: " + (why ? why : "unknown error"));
    }
    m->desc = static_cast<const sora_module_t*>(dlsym(m->handle, "sora_module"));
    if (!m->desc) {
      return make_error(kErrGeneric, m->path + ": not a Sora module (it exports no sora_module)");
    }
    if (Status s = check_descriptor(m->path, name, m->desc); !s) return s;
    m->section = ConfigSection{m->desc->name, false, m->desc->config_keys, m->desc->config_key_count,
                               m->desc->description};
    modules_.push_back(std::move(m));
  }
  for (const auto& m : modules_) {
    for (const char* const* dep = m->desc->depends; dep && *dep; ++dep) {
      if (!seen.count(*dep)) {
        return make_error(kErrGeneric, m->path + ": needs the module \"" + std::string(*dep) +
                                           "\": add it to [core] modules");
      }
    }
  }
  return order_by_dependencies();
}

Status ModuleSet::order_by_dependencies() {
  std::vector<std::unique_ptr<LoadedModule>> ordered;
  std::set<std::string> placed;
  while (!modules_.empty()) {
    bool progress = false;
    for (auto it = modules_.begin(); it != modules_.end();) {
      bool ready = true;
      for (const char* const* dep = (*it)->desc->depends; dep && *dep; ++dep) {
        ready = ready && placed.count(*dep);
      }
      if (ready) {
        placed.insert((*it)->desc->name);
        ordered.push_back(std::move(*it));
        it = modules_.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    if (!progress) {
      std::string names;
      for (const auto& m : modules_) names += (names.empty() ? "" : ", ") + m->path;
      return make_error(kErrGeneric, "modules depend on each other in a cycle: " + names);
    }
  }
  modules_ = std::move(ordered);
  return {};
}

std::vector<const ConfigSection*> ModuleSet::config_sections() const {
  std::vector<const ConfigSection*> out;
  for (const auto& m : modules_) out.push_back(&m->section);
  return out;
}

Status ModuleSet::init_all(const Config&) {
  for (const auto& m : modules_) {
    LoadedModule* lm = m.get();
    if (!lm->desc->init) continue;
    if (Status s = lm->call("init", [lm] { return lm->desc->init(lm); }); !s) return s;
  }
  return {};
}

Status ModuleSet::start_all(Db& db, MailStore* store) {
  for (const auto& m : modules_) {
    LoadedModule* lm = m.get();
    lm->db_ptr = &db;
    lm->store_ptr = store;
    if (lm->desc->start) {
      if (Status s = lm->call("start", [lm] { return lm->desc->start(lm); }); !s) return s;
    }
    lm->started = true;
  }
  return {};
}

void ModuleSet::stop_all() {
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
    LoadedModule* lm = it->get();
    if (!lm->started) continue;
    lm->started = false;
    if (lm->desc->stop) {
      Status s = lm->call("stop", [lm] {
        lm->desc->stop(lm);
        return 0;
      });
      if (!s) log(LogLevel::error, "%s", s.error().message.c_str());
    }
    lm->db_ptr = nullptr;
    lm->store_ptr = nullptr;
  }
}

void ModuleSet::fini_all() {
  registries_->auth.clear();
  registries_->protocols.clear();
  registries_->filter_order.clear();
  registries_->filters.clear();
  registries_->blob_drivers.clear();
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
    LoadedModule* lm = it->get();
    if (!lm->desc->fini) continue;
    Status s = lm->call("fini", [lm] {
      lm->desc->fini(lm);
      return 0;
    });
    if (!s) log(LogLevel::error, "%s", s.error().message.c_str());
  }
}

AuthBackend* ModuleSet::auth_backend(const std::string& name) const {
  auto it = registries_->auth.find(name);
  return it == registries_->auth.end() ? nullptr : it->second.get();
}

Protocol* ModuleSet::protocol(const std::string& name) const {
  auto it = registries_->protocols.find(name);
  return it == registries_->protocols.end() ? nullptr : it->second.get();
}

BlobDriver* ModuleSet::blob_driver(const std::string& name) const {
  auto it = registries_->blob_drivers.find(name);
  return it == registries_->blob_drivers.end() ? nullptr : it->second.get();
}

std::vector<std::string> ModuleSet::blob_driver_names() const {
  std::vector<std::string> out;
  for (const auto& [name, d] : registries_->blob_drivers) out.push_back(name);
  return out;
}

const std::vector<Filter*>& ModuleSet::filters() const { return registries_->filter_order; }

std::vector<std::string> ModuleSet::protocol_names() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : registries_->protocols) out.push_back(name);
  return out;
}

std::size_t ModuleSet::size() const { return modules_.size(); }

void set_current_modules(ModuleSet* modules, const Config* config) {
  g_modules = modules;
  g_config = config;
}

ModuleSet* current_modules() { return g_modules; }
const Config* current_config() { return g_config; }

}  // namespace sora
