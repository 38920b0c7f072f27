// The module ABI: every module .so exports exactly one symbol, `sora_module`,
// of type sora_module_t. The loader refuses a module whose ABI version or build
// signature differs from the daemon's, a duplicate name or a missing dependency,
// naming the file. Past this descriptor, modules use the C++ interfaces of
// include/sora/ and must be built against the same Sora version.
#pragma once

#include <uv/version.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sora/config.h"

// Bumped whenever sora_module_t or a hook's meaning changes.
#define SORA_MODULE_ABI_VERSION 2u

#include "sora/version.h"

#define SORA_STR2_(x) #x
#define SORA_STR_(x) SORA_STR2_(x)
#if defined(__clang__)
#define SORA_COMPILER_ID "clang " SORA_STR_(__clang_major__)
#else
#define SORA_COMPILER_ID "gcc " SORA_STR_(__GNUC__)
#endif
// What must match between the daemon and a module besides the ABI version: the
// Sora version, the compiler family (C++ ABI of the interfaces) and the libuv
// major.minor the interfaces were compiled against.
#define SORA_BUILD_SIGNATURE                                                       \
  "sora " SORA_VERSION_STRING "; " SORA_COMPILER_ID "; libuv " SORA_STR_(UV_VERSION_MAJOR) \
  "." SORA_STR_(UV_VERSION_MINOR)

namespace sora {
class ModuleContext;
}

extern "C" {

typedef struct sora_module {
  uint32_t abi_version;         // SORA_MODULE_ABI_VERSION
  uint32_t struct_size;         // sizeof(sora_module_t), so the struct can grow
  const char* build_signature;  // SORA_BUILD_SIGNATURE
  const char* name;             // "auth-sql"; also the name of its config section
  const char* kind;             // "proto", "storage", "auth", "filter"
  const char* description;      // one line
  const sora::ConfigKey* config_keys;  // the [name] section's keys, or null
  size_t config_key_count;
  const char* const* depends;  // null-terminated names of modules it needs, or null

  // init: in the supervisor before workers fork; validate the configuration and
  // register what the module offers. start: in each worker once its loop runs.
  // stop: in each worker when it begins to drain. fini: before unloading.
  // A hook returning non-zero has failed; it has set ctx->fail(...) to say why.
  int (*init)(sora::ModuleContext* ctx);
  int (*start)(sora::ModuleContext* ctx);
  void (*stop)(sora::ModuleContext* ctx);
  void (*fini)(sora::ModuleContext* ctx);

  void* reserved[8];  // zero; room to grow without breaking the ABI
} sora_module_t;

}  // extern "C"

// Declares the descriptor of a module; use once per module, at namespace scope.
#define SORA_MODULE_EXPORT extern "C" __attribute__((visibility("default")))

// The first three fields of every descriptor, as this build stamps them:
//   SORA_MODULE_EXPORT const sora_module_t sora_module = {SORA_MODULE_STAMP, "name", ...};
#define SORA_MODULE_STAMP SORA_MODULE_ABI_VERSION, sizeof(sora_module_t), SORA_BUILD_SIGNATURE

namespace sora {

class AuthBackend;
class BlobDriver;
class Db;
class Filter;
class MailStore;
class Protocol;

// What a module sees of the daemon. Owned by the loader; valid from init to fini.
class ModuleContext {
 public:
  virtual ~ModuleContext() = default;

  virtual const sora_module_t& module() const = 0;
  // The module's own [name] section (defaults where sora.conf is silent).
  virtual const Config::Section& config() const = 0;
  // The whole configuration, for reading core sections ([tls], [auth] ...).
  virtual const Config& full_config() const = 0;

  // Records why a hook failed; the loader logs it with the module's name.
  virtual void fail(std::string message) = 0;

  // Registries. A name may be registered once; the module keeps ownership
  // semantics through unique_ptr and the daemon destroys it after stop().
  virtual bool register_auth_backend(std::string name, std::unique_ptr<AuthBackend> backend) = 0;
  virtual bool register_protocol(std::string name, std::unique_ptr<Protocol> protocol) = 0;
  // A blob driver is chosen by [storage] driver; a filter runs on every
  // delivery in registration order.
  virtual bool register_blob_driver(std::string name, std::unique_ptr<BlobDriver> driver) = 0;
  virtual bool register_filter(std::string name, std::unique_ptr<Filter> filter) = 0;

  // The worker's PostgreSQL pool (valid from start to stop), for the modules
  // that keep their state in the database (auth-sql, storage, sieve).
  virtual Db& db() = 0;
  // The worker's mail store (valid from start to stop).
  virtual MailStore& store() = 0;
  // The filters every module registered, in registration order (from start).
  virtual const std::vector<Filter*>& filters() const = 0;
};

}  // namespace sora
