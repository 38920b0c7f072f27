// Modules built only for the loader's unit test; each variant is wrong in
// exactly one way (chosen by the VARIANT_* macro it is compiled with).
#include "sora/module.h"

namespace {

const sora::ConfigKey kKeys[] = {
#ifdef VARIANT_BAD_DEFAULT
    {"level", sora::ConfigType::integer, "eleven", 1, 10, nullptr, 0, "a level"},
#else
    {"level", sora::ConfigType::integer, "3", 1, 10, nullptr, 0, "a level"},
#endif
    {"label", sora::ConfigType::string, "plain", 0, 0, nullptr, sora::kConfigReloadable, "a label"},
};

#ifdef VARIANT_INIT_FAILS
int init(sora::ModuleContext* ctx) {
  ctx->fail("level " + ctx->config().value("level").text + " is not supported");
  return 1;
}
#else
int init(sora::ModuleContext*) { return 0; }
#endif

#ifdef VARIANT_MISSING_SYMBOL
extern "C" int sora_test_symbol_nobody_defines(void);
int start(sora::ModuleContext*) { return sora_test_symbol_nobody_defines(); }
#else
int start(sora::ModuleContext*) { return 0; }
#endif

#ifdef VARIANT_NEEDS_DEP
const char* const kDepends[] = {"absent", nullptr};
#else
const char* const* kDepends = nullptr;
#endif

#ifndef MODULE_NAME
#define MODULE_NAME "good"
#endif

}  // namespace

#ifdef VARIANT_NO_DESCRIPTOR
SORA_MODULE_EXPORT int (*const not_a_module[])(sora::ModuleContext*) = {init, start};
SORA_MODULE_EXPORT const char* const* const not_a_module_depends = kDepends;
#else
SORA_MODULE_EXPORT const sora_module_t sora_module = {
#ifdef VARIANT_BAD_ABI
    SORA_MODULE_ABI_VERSION + 100,
#else
    SORA_MODULE_ABI_VERSION,
#endif
    sizeof(sora_module_t),
#ifdef VARIANT_BAD_SIGNATURE
    "sora 0.0.1; gcc 4; libuv 0.1",
#else
    SORA_BUILD_SIGNATURE,
#endif
#ifdef VARIANT_WRONG_NAME
    "someone-else",
#else
    MODULE_NAME,
#endif
#ifdef VARIANT_BAD_KIND
    "toaster",
#else
    "filter",
#endif
    "a module for the loader's tests",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
#ifdef VARIANT_NEEDS_DEP
    kDepends,
#else
    kDepends,
#endif
    init,
    start,
    nullptr,
    nullptr,
    {}};
#endif
