// libFuzzer target: sora.conf parsing and validation against the core schema.
// Any input must give a Config or an error message, never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "libsora-core/config-load.h"
#include "libsora-core/sections.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string path = [] {
    char name[] = "/tmp/sora-fuzz-config-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) std::abort();
    close(fd);
    return std::string(name);
  }();
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto config = sora::load_config(path, sora::core_sections());
  if (config) {
    std::string dump = config->dump(false);
    if (dump.empty()) std::abort();
  } else if (config.error().message.empty()) {
    std::abort();
  }
  return 0;
}
