// TEMPORARY: weak stand-ins for the module loader and config accessors that
// are being written on other branches, so libsora links (and its unit tests
// run) before they land. The real, strong definitions win once merged; delete
// this file at the merge.
#include "libsora-core/module-loader.h"

namespace sora {

__attribute__((weak)) ModuleSet* current_modules() { return nullptr; }

__attribute__((weak)) const Config* current_config() { return nullptr; }

__attribute__((weak)) AuthBackend* ModuleSet::auth_backend(const std::string&) const {
  return nullptr;
}

__attribute__((weak)) const Config::Section& Config::section(std::string_view) const {
  static const Section empty;
  return empty;
}

__attribute__((weak)) const ConfigValue& Config::Section::value(std::string_view) const {
  static const ConfigValue empty;
  return empty;
}

}  // namespace sora
