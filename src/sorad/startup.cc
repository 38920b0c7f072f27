#include "sorad/startup.h"

#include <unistd.h>

#include "libsora-core/config-load.h"
#include "libsora-core/sections.h"
#include "libsora-net/net-settings.h"
#include "sora/log.h"
#include "sorad/supervisor.h"

namespace sora {

namespace {

std::vector<const ConfigSection*> all_sections(const ModuleSet& modules) {
  std::vector<const ConfigSection*> sections = core_sections();
  for (const ConfigSection* s : modules.config_sections()) sections.push_back(s);
  return sections;
}

std::string place(const ConfigValue& v) {
  if (v.line == 0) return v.file.empty() ? "" : v.file + ": ";
  return v.file + ":" + std::to_string(v.line) + ": ";
}

}  // namespace

Result<Loaded> load_modules_and_config(const std::string& path) {
  auto list = read_module_list(path);
  if (!list) return list.take_error();
  Loaded out;
  out.modules = std::make_unique<ModuleSet>();
  if (Status s = out.modules->load(list->dir, list->names); !s) {
    std::string where = list->line ? path + ":" + std::to_string(list->line) + ": [core] modules: " : "";
    return make_error(kErrConfig, where + s.error().message);
  }
  auto config = load_config(path, all_sections(*out.modules));
  if (!config) return config.take_error();
  out.config = std::make_unique<Config>(std::move(config.value()));
  return out;
}

Result<std::unique_ptr<Config>> reload_config(const std::string& path, const ModuleSet& modules) {
  auto list = read_module_list(path);
  if (!list) return list.take_error();
  auto config = load_config(path, all_sections(modules));
  if (!config) return config.take_error();
  return std::make_unique<Config>(std::move(config.value()));
}

Status check_listener_protocols(const Config& config, const ModuleSet& modules) {
  std::string errors;
  for (const Config::Section* l : config.instances("listener")) {
    const ConfigValue& v = l->value("protocol");
    if (modules.protocol(v.text)) continue;
    std::string loaded;
    for (const std::string& p : modules.protocol_names()) loaded += (loaded.empty() ? "" : ", ") + p;
    if (!errors.empty()) errors += "\n";
    errors += place(v) + "[listener " + l->instance() + "] protocol: no loaded module serves \"" +
              v.text + "\" (served: " + (loaded.empty() ? "none" : loaded) +
              "; add its module to [core] modules)";
  }
  if (!errors.empty()) return make_error(kErrConfig, errors);
  return {};
}

Status check_listeners_and_tls(const Config& config) {
  auto listeners = listener_settings(config);
  if (!listeners) return listeners.take_error();
  for (const ListenerSettings& l : *listeners) {
    if (l.tls == TlsMode::none) continue;
    auto context = TlsContext::create(tls_settings(config));
    if (!context) return context.take_error();
    break;
  }
  return {};
}

Status check_auth_backend(const Config& config, const ModuleSet& modules) {
  const ConfigValue& v = config.section("auth").value("backend");
  if (modules.auth_backend(v.text)) return {};
  return make_error(kErrConfig, place(v) + "[auth] backend: no loaded module provides the "
                                           "authentication backend \"" + v.text +
                                           "\" (auth-sql provides sql; add it to [core] modules)");
}

std::string config_or_defaults(const DaemonOptions& options) {
  if (!options.config_given && access(options.config_path.c_str(), F_OK) != 0) return "/dev/null";
  return options.config_path;
}

void warn_restart_needed(const Config& running, const Config& fresh) {
  auto compare = [](const Config::Section& a, const Config::Section& b) {
    for (const auto& [key, v] : a.values()) {
      if (v.key->flags & kConfigReloadable) continue;
      const ConfigValue& nv = b.value(key);
      if (nv.text != v.text) {
        std::string header = a.instance().empty() ? a.name() : a.name() + " " + a.instance();
        log(LogLevel::warning, "%s[%s] %s changed: restart sorad to apply it", place(nv).c_str(),
            header.c_str(), key.c_str());
      }
    }
  };
  for (const ConfigSection* schema : core_sections()) {
    if (schema->instanced) continue;
    compare(running.section(schema->name), fresh.section(schema->name));
  }
  auto old_listeners = running.instances("listener");
  auto new_listeners = fresh.instances("listener");
  bool same = old_listeners.size() == new_listeners.size();
  for (std::size_t i = 0; same && i < old_listeners.size(); ++i) {
    same = old_listeners[i]->instance() == new_listeners[i]->instance();
    if (same) compare(*old_listeners[i], *new_listeners[i]);
  }
  if (!same) log(LogLevel::warning, "the [listener] sections changed: restart sorad to apply them");
}

std::string schema_text(const ModuleSet& modules) {
  static const char* const kTypes[] = {"string", "path",        "integer", "boolean",
                                       "size",   "duration",    "enumeration", "list"};
  std::string out;
  for (const ConfigSection* s : all_sections(modules)) {
    std::string section = s->instanced ? std::string(s->name) + " NAME" : s->name;
    for (std::size_t i = 0; i < s->count; ++i) {
      const ConfigKey& k = s->keys[i];
      std::string flags;
      if (k.flags & kConfigReloadable) flags += "reloadable,";
      if (k.flags & kConfigRequired) flags += "required,";
      if (k.flags & kConfigSecret) flags += "secret,";
      flags = flags.empty() ? "-" : flags.substr(0, flags.size() - 1);
      std::string type = kTypes[static_cast<int>(k.type)];
      if (k.choices) type += "(" + std::string(k.choices) + ")";
      out += section + "\t" + k.name + "\t" + type + "\t" + (k.default_value ? k.default_value : "") +
             "\t" + flags + "\t" + (k.help ? k.help : "") + "\n";
    }
  }
  return out;
}

}  // namespace sora
