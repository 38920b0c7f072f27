// The configuration sections of the core, each declared by the part of the
// core that reads it. Modules declare theirs in their sora_module descriptor.
#pragma once

#include <vector>

#include "sora/config.h"

namespace sora {

extern const ConfigSection kCoreSection;        // libsora-core/core-config.cc
extern const ConfigSection kPostgresqlSection;  // libsora-db/db-config.cc
extern const ConfigSection kTlsSection;         // libsora-net/net-config.cc
extern const ConfigSection kListenerSection;    // libsora-net/net-config.cc
extern const ConfigSection kAuthSection;        // libsora-auth/auth-config.cc

// All of the above, in the order sorad -n prints them.
std::vector<const ConfigSection*> core_sections();

}  // namespace sora
