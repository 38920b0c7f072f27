// The supervisor's pid file.
#pragma once

#include <string>

#include "sora/result.h"

namespace sora {

// Writes our pid to `path` (nothing when empty). Refuses when the file names a
// live sorad; a stale file is replaced.
Status write_pid_file(const std::string& path);
void remove_pid_file(const std::string& path);

}  // namespace sora
