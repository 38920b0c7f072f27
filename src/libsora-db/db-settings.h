// Placeholder written by sora-admin's author against the agreed declaration;
// the libsora-db version replaces it on merge.
#pragma once

#include "sora/config.h"
#include "sora/db.h"

namespace sora {

DbSettings db_settings_from(const Config::Section& postgresql);

}  // namespace sora
