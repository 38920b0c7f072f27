// Unit tests of sora.conf parsing: typed values, defaults, and every kind of
// error, each with the FILE:LINE: [section] key: prefix an operator sees.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "libsora-core/config-load.h"
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

using sora::Config;
using sora::ConfigKey;
using sora::ConfigSection;
using sora::ConfigType;

const ConfigKey kDemoKeys[] = {
    {"secret_token", ConfigType::string, "", 0, 0, nullptr, sora::kConfigSecret, "a secret"},
    {"ratio", ConfigType::integer, "5", 0, 100, nullptr, 0, "a ratio"},
};
const ConfigSection kDemo = {"demo", false, kDemoKeys, 2, "a module's section"};

std::vector<const ConfigSection*> schema() {
  auto s = sora::core_sections();
  s.push_back(&kDemo);
  return s;
}

// Writes `text` to a fresh temporary file and returns its name.
std::string write_conf(const std::string& text) {
  char name[] = "/tmp/sora-config-test-XXXXXX";
  int fd = mkstemp(name);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return name;
}

sora::Result<Config> load(const std::string& text, std::string* path_out = nullptr) {
  std::string path = write_conf(text);
  auto r = sora::load_config(path, schema());
  if (path_out) *path_out = path;
  else unlink(path.c_str());
  return r;
}

// Asserts that loading `text` fails with exactly `expected` after "FILE:".
void expect_error(const std::string& text, const std::string& expected) {
  std::string path;
  auto r = load(text, &path);
  unlink(path.c_str());
  if (r.ok()) fail_msg("expected an error: %s", expected.c_str());
  std::string want = path + ":" + expected;
  if (r.error().message != want) {
    fail_msg("error message\n  got:  %s\n  want: %s", r.error().message.c_str(), want.c_str());
  }
}

void test_defaults(void**) {
  auto r = load("");
  assert_true(r.ok());
  const Config::Section& core = r->section("core");
  assert_int_equal(core.integer("workers"), -1);  // auto
  assert_string_equal(core.str("workers").c_str(), "auto");
  assert_int_equal(core.duration("shutdown_timeout").count(), 30000);
  assert_string_equal(core.str("log").c_str(), "stderr");
  assert_int_equal(core.list("modules").size(), 1u);
  assert_int_equal(core.value("workers").line, 0);
  assert_true(r->instances("listener").empty());
}

void test_typed_values(void**) {
  auto r = load(
      "; comment\n"
      "# another comment\n"
      "[core]\n"
      "workers = 3\n"
      "modules = auth-sql, proto-imap  storage-fs\n"
      "shutdown_timeout = 2m\n"
      "log_level = WARNING\n"
      "\n"
      "[listener imap]\n"
      "protocol = imap\n"
      "address = 127.0.0.1:143 [::1]:143\n"
      "write_buffer = 1M\n"
      "proxy_protocol = yes\n"
      "read_timeout = 250ms\n"
      "[listener imaps]\n"
      "protocol = imap\n"
      "address = *:993\n"
      "tls = implicit\n");
  if (!r) fail_msg("%s", r.error().message.c_str());
  const Config::Section& core = r->section("core");
  assert_int_equal(core.integer("workers"), 3);
  assert_int_equal(core.value("workers").line, 4);
  assert_int_equal(core.list("modules").size(), 3u);
  assert_string_equal(core.list("modules")[2].c_str(), "storage-fs");
  assert_int_equal(core.duration("shutdown_timeout").count(), 120000);
  assert_string_equal(core.str("log_level").c_str(), "warning");
  auto listeners = r->instances("listener");
  assert_int_equal(listeners.size(), 2u);
  assert_string_equal(listeners[0]->instance().c_str(), "imap");
  assert_int_equal(listeners[0]->integer("write_buffer"), 1024 * 1024);
  assert_true(listeners[0]->boolean("proxy_protocol"));
  assert_int_equal(listeners[0]->duration("read_timeout").count(), 250);
  assert_int_equal(listeners[0]->list("address").size(), 2u);
  assert_string_equal(listeners[1]->str("tls").c_str(), "implicit");
  assert_false(listeners[1]->boolean("proxy_protocol"));
}

void test_unknown_section(void**) {
  expect_error("[core]\nworkers = 2\n[imap]\nfoo = 1\n",
               "3: [imap]: unknown section (known: core, postgresql, auth, tls, listener NAME, demo; "
               "a module's section needs the module in [core] modules)");
}

void test_unknown_key(void**) {
  expect_error("[core]\nworkerz = 2\n", "2: [core] workerz: unknown key (did you mean workers?)");
  expect_error("[core]\nfrobnicate = 2\n", "2: [core] frobnicate: unknown key");
}

void test_wrong_type(void**) {
  expect_error("[core]\nworkers = many\n", "2: [core] workers: 'many' is not a whole number or 'auto'");
  expect_error("[listener a]\nprotocol = x\naddress = y\nproxy_protocol = perhaps\n",
               "4: [listener a] proxy_protocol: 'perhaps' is not a boolean (use yes or no)");
  expect_error("[listener a]\nprotocol = x\naddress = y\nwrite_buffer = 10 parsecs\n",
               "4: [listener a] write_buffer: '10 parsecs' has an unknown unit (use k, M, G or T)");
  expect_error("[core]\nshutdown_timeout = soon\n",
               "2: [core] shutdown_timeout: 'soon' is not a duration (examples: 250ms, 30s, 5m, 2h, 1d)");
  expect_error("[core]\nshutdown_timeout = 5 weeks\n",
               "2: [core] shutdown_timeout: '5 weeks' has an unknown unit (use ms, s, m, h or d)");
  expect_error("[core]\nlog = journal\n", "2: [core] log: 'journal' is not one of stderr,syslog");
}

void test_out_of_range(void**) {
  expect_error("[core]\nworkers = 0\n", "2: [core] workers: '0' is out of range (1 to 256)");
  expect_error("[core]\nworkers = 99999999999999999999\n",
               "2: [core] workers: '99999999999999999999' is not a whole number or 'auto'");
  expect_error("[core]\nshutdown_timeout = 2h\n",
               "2: [core] shutdown_timeout: '2h' is out of range (0s to 1h)");
  expect_error("[listener a]\nprotocol = x\naddress = y\nwrite_buffer = 1k\n",
               "4: [listener a] write_buffer: '1k' is out of range (4k to 64M)");
  expect_error("[demo]\nratio = -1\n", "2: [demo] ratio: '-1' is out of range (0 to 100)");
}

void test_set_twice(void**) {
  expect_error("[core]\nworkers = 2\nlog = syslog\nworkers = 3\n",
               "4: [core] workers: set twice (first at line 2)");
}

void test_required(void**) {
  expect_error("[listener imap]\nprotocol = imap\n",
               "1: [listener imap] address: required, but not set");
  auto r = load("[listener pop3]\n");
  assert_false(r.ok());
  assert_non_null(strstr(r.error().message.c_str(), ":1: [listener pop3] address: required, but not set"));
  assert_non_null(strstr(r.error().message.c_str(), ":1: [listener pop3] protocol: required, but not set"));
}

void test_bad_instance_names(void**) {
  expect_error("[listener]\nprotocol = imap\n",
               "1: [listener]: write [listener NAME], NAME made of letters, digits, '-', '_' and '.'");
  expect_error("[core main]\nworkers = 1\n", "1: [core main]: section [core] takes no name");
}

void test_syntax_errors(void**) {
  expect_error("[core]\nworkers 2\n",
               "2: not a [section] header, a key = value line or a comment");
  expect_error("[core]\nworkers = 2\n   log = syslog\n",
               "3: indented line: continuation lines are not supported; write each key = value on "
               "one line at the start of the line");
  expect_error("workers = 2\n", "1: workers: key outside of any [section]");
  std::string long_line = "[postgresql]\nconninfo = " + std::string(300, 'x') + "\n";
  auto r = load(long_line);
  assert_false(r.ok());
  assert_non_null(strstr(r.error().message.c_str(), ":2: line longer than"));
}

void test_many_errors_reported_together(void**) {
  auto r = load("[core]\nworkers = 0\nlog = journal\n[nope]\nx = 1\n");
  assert_false(r.ok());
  const std::string& m = r.error().message;
  assert_non_null(strstr(m.c_str(), ":2: [core] workers:"));
  assert_non_null(strstr(m.c_str(), ":3: [core] log:"));
  assert_non_null(strstr(m.c_str(), ":4: [nope]: unknown section"));
}

void test_missing_file(void**) {
  auto r = sora::load_config("/nonexistent/sora.conf", schema());
  assert_false(r.ok());
  assert_string_equal(r.error().message.c_str(),
                      "/nonexistent/sora.conf: cannot open: No such file or directory");
}

void test_dump(void**) {
  auto r = load("[core]\nworkers = 2\n[demo]\nsecret_token = hunter2\n");
  assert_true(r.ok());
  std::string all = r->dump(false);
  assert_non_null(strstr(all.c_str(), "[core]\nmodules = auth-sql\n"));
  assert_non_null(strstr(all.c_str(), "workers = 2\n"));
  assert_non_null(strstr(all.c_str(), "shutdown_timeout = 30s\n"));
  assert_non_null(strstr(all.c_str(), "secret_token = (hidden)\n"));
  assert_null(strstr(all.c_str(), "hunter2"));
  std::string set = r->dump(true);
  assert_non_null(strstr(set.c_str(), "[core]\nworkers = 2\n"));
  assert_null(strstr(set.c_str(), "shutdown_timeout"));
  assert_null(strstr(set.c_str(), "[postgresql]"));
}

void test_dump_hides_passwords_in_connection_strings(void**) {
  auto r = load("[postgresql]\nconninfo = host=db password=s3cret dbname=sora\n"
                "readonly_conninfo = postgresql://sora:hunter2@replica/sora\n");
  assert_true(r.ok());
  std::string all = r->dump(false);
  assert_non_null(strstr(all.c_str(), "conninfo = host=db password=(hidden) dbname=sora\n"));
  assert_non_null(strstr(all.c_str(), "readonly_conninfo = postgresql://sora:(hidden)@replica/sora\n"));
  assert_null(strstr(all.c_str(), "s3cret"));
  assert_null(strstr(all.c_str(), "hunter2"));
}

void test_module_list(void**) {
  std::string path = write_conf("[core]\nmodules = a b\nmodule_dir = /x\n");
  auto r = sora::read_module_list(path);
  unlink(path.c_str());
  assert_true(r.ok());
  assert_int_equal(r->names.size(), 2u);
  assert_string_equal(r->dir.c_str(), "/x");
  assert_int_equal(r->line, 2);
}

void test_skip_module_sections(void**) {
  std::string path = write_conf("[core]\nmodules = auth-sql\n[auth-sql]\nuse_replica = yes\n");
  auto strict = sora::load_config(path, sora::core_sections());
  assert_false(strict.ok());
  sora::LoadOptions opts;
  opts.skip_module_sections = true;
  auto lenient = sora::load_config(path, sora::core_sections(), opts);
  unlink(path.c_str());
  assert_true(lenient.ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_typed_values),
      cmocka_unit_test(test_unknown_section),
      cmocka_unit_test(test_unknown_key),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_set_twice),
      cmocka_unit_test(test_required),
      cmocka_unit_test(test_bad_instance_names),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_many_errors_reported_together),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_dump),
      cmocka_unit_test(test_dump_hides_passwords_in_connection_strings),
      cmocka_unit_test(test_module_list),
      cmocka_unit_test(test_skip_module_sections),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
