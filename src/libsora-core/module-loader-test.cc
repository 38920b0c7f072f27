// Unit tests of the module loader: a good module loads; each deliberately
// wrong one is refused with a message naming its file.
#include <unistd.h>

#include <cstring>
#include <string>

#include "libsora-core/config-load.h"
#include "libsora-core/module-loader.h"
#include "libsora-core/sections.h"

// cmocka last: its fail() macro would clash with ModuleContext::fail.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

namespace {

const std::string kDir = TEST_MODULE_DIR;

std::string so(const std::string& name) { return kDir + "/" + name + ".so"; }

// Loads `names` and asserts the error message contains every `parts` entry.
void expect_refused(const std::vector<std::string>& names, std::initializer_list<std::string> parts) {
  sora::ModuleSet set;
  sora::Status s = set.load(kDir, names);
  if (s.ok()) fail_msg("module(s) %s were accepted", names[0].c_str());
  for (const std::string& p : parts) {
    if (s.error().message.find(p) == std::string::npos) {
      fail_msg("message\n  %s\nlacks\n  %s", s.error().message.c_str(), p.c_str());
    }
  }
}

void test_good_module_loads(void**) {
  sora::ModuleSet set;
  sora::Status s = set.load(kDir, {"good"});
  if (!s) fail_msg("%s", s.error().message.c_str());
  assert_int_equal(set.size(), 1u);
  auto sections = set.config_sections();
  assert_int_equal(sections.size(), 1u);
  assert_string_equal(sections[0]->name, "good");
  assert_int_equal(sections[0]->count, 2u);
}

void test_missing_file(void**) {
  expect_refused({"nonexistent"}, {so("nonexistent") + ": no such module file"});
}

void test_bad_abi(void**) {
  expect_refused({"bad-abi"}, {so("bad-abi") + ": module ABI version " + std::to_string(SORA_MODULE_ABI_VERSION + 100) +
                                   ", this sorad needs " + std::to_string(SORA_MODULE_ABI_VERSION)});
}

void test_bad_signature(void**) {
  expect_refused({"bad-signature"},
                 {so("bad-signature") + ": built for \"sora 0.0.1; gcc 4; libuv 0.1\", this sorad is \"",
                  "rebuild the module"});
}

void test_no_descriptor(void**) {
  expect_refused({"no-descriptor"}, {so("no-descriptor") + ": not a Sora module (it exports no sora_module)"});
}

void test_missing_symbol(void**) {
  expect_refused({"missing-symbol"},
                 {so("missing-symbol") + ": cannot load: ", "sora_test_symbol_nobody_defines"});
}

void test_wrong_name(void**) {
  expect_refused({"wrong-name"},
                 {so("wrong-name") + ": declares the name \"someone-else\" but is listed as \"wrong-name\""});
}

void test_missing_dependency(void**) {
  expect_refused({"needs-dep"},
                 {so("needs-dep") + ": needs the module \"absent\": add it to [core] modules"});
}

void test_duplicate(void**) {
  expect_refused({"good", "good"}, {"[core] modules: \"good\" is listed twice"});
}

void test_bad_kind(void**) {
  expect_refused({"bad-kind"}, {so("bad-kind") + ": unknown module kind \"toaster\""});
}

void test_bad_default(void**) {
  expect_refused({"bad-default"},
                 {so("bad-default") + ": default of [bad-default] level is invalid: 'eleven' is not a whole number"});
}

void test_init_failure_is_reported(void**) {
  sora::ModuleSet set;
  assert_true(set.load(kDir, {"init-fails"}).ok());
  char path[] = "/tmp/sora-loader-test-XXXXXX";
  int fd = mkstemp(path);
  const char text[] = "[init-fails]\nlevel = 7\n";
  assert_int_equal(write(fd, text, sizeof text - 1), static_cast<ssize_t>(sizeof text - 1));
  close(fd);
  auto sections = sora::core_sections();
  for (const auto* s : set.config_sections()) sections.push_back(s);
  auto config = sora::load_config(path, sections);
  unlink(path);
  if (!config) fail_msg("%s", config.error().message.c_str());
  sora::set_current_modules(&set, &config.value());
  sora::Status s = set.init_all(config.value());
  sora::set_current_modules(nullptr, nullptr);
  assert_false(s.ok());
  assert_string_equal(s.error().message.c_str(), "module init-fails: init failed: level 7 is not supported");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_module_loads),   cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_bad_abi),             cmocka_unit_test(test_bad_signature),
      cmocka_unit_test(test_no_descriptor),       cmocka_unit_test(test_missing_symbol),
      cmocka_unit_test(test_wrong_name),          cmocka_unit_test(test_missing_dependency),
      cmocka_unit_test(test_duplicate),           cmocka_unit_test(test_bad_kind),
      cmocka_unit_test(test_bad_default),         cmocka_unit_test(test_init_failure_is_reported),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
