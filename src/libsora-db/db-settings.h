// DbSettings from the [postgresql] section (internal to the core).
#pragma once

#include "sora/config.h"
#include "sora/db.h"

namespace sora {

// Reads the keys declared in db-config.cc; the loader has validated them.
DbSettings db_settings_from(const Config::Section& postgresql);

}  // namespace sora
