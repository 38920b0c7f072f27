// Unit tests of the command line parser and of the error-to-exit-status map.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// cmocka 1.1 declares its functions without C linkage for C++.
extern "C" {
#include <cmocka.h>
}

#include <string>
#include <vector>

#include "sora-admin/args.h"
#include "sora-admin/exit-codes.h"
#include "sora-admin/usage.h"

using namespace sora;
using namespace sora::admin;

namespace {

ParseOutcome parse(std::vector<std::string> args) { return parse_args(args); }

Invocation parse_ok(std::vector<std::string> args) {
  auto outcome = parse(std::move(args));
  if (!outcome.invocation)
    fail_msg("unexpected error: %s", outcome.invocation.error().message.c_str());
  return std::move(outcome.invocation).value();
}

// Asserts a usage error whose message contains `needle`.
void expect_usage_error(std::vector<std::string> args, const char* needle) {
  auto outcome = parse(std::move(args));
  assert_false(outcome.invocation.ok());
  assert_int_equal(outcome.invocation.error().code, kErrUsage);
  assert_int_equal(exit_code_for(outcome.invocation.error()), 64);
  const std::string& message = outcome.invocation.error().message;
  if (message.find(needle) == std::string::npos)
    fail_msg("'%s' lacks '%s'", message.c_str(), needle);
}

void test_options_before_and_after_command(void**) {
  auto a = parse_ok({"accounts", "list", "--json"});
  auto b = parse_ok({"--json", "accounts", "list"});
  assert_true(a.json && b.json);
  assert_int_equal(static_cast<int>(a.command->id), static_cast<int>(CommandId::accounts_list));
  assert_int_equal(static_cast<int>(b.command->id), static_cast<int>(CommandId::accounts_list));
  auto c = parse_ok({"accounts", "--deleted", "list", "--config", "/x.conf"});
  assert_true(c.include_deleted);
  assert_string_equal(c.config_path->c_str(), "/x.conf");
}

void test_create_with_options(void**) {
  auto inv = parse_ok({"--conninfo=dbname=t", "accounts", "create", "a@example.org", "--name",
                       "Alice Smith", "--password-file", "/run/pw"});
  assert_int_equal(static_cast<int>(inv.action), static_cast<int>(Invocation::Action::run));
  assert_int_equal(inv.args.size(), 1);
  assert_string_equal(inv.args[0].c_str(), "a@example.org");
  assert_string_equal(inv.display_name->c_str(), "Alice Smith");
  assert_string_equal(inv.conninfo->c_str(), "dbname=t");
  assert_int_equal(static_cast<int>(inv.password_source), static_cast<int>(PasswordSource::file));
  assert_string_equal(inv.password_value.c_str(), "/run/pw");
}

void test_password_value_may_start_with_dash(void**) {
  auto inv = parse_ok({"accounts", "create", "a@b.c", "--password", "--json"});
  assert_int_equal(static_cast<int>(inv.password_source),
                   static_cast<int>(PasswordSource::argument));
  assert_string_equal(inv.password_value.c_str(), "--json");
  assert_false(inv.json);
}

void test_credentials_add_two_positionals(void**) {
  auto inv = parse_ok({"credentials", "add", "a@b.c", "alias@b.c", "--password-stdin"});
  assert_int_equal(inv.args.size(), 2);
  assert_string_equal(inv.args[1].c_str(), "alias@b.c");
  assert_int_equal(static_cast<int>(inv.password_source),
                   static_cast<int>(PasswordSource::stdin_line));
}

void test_double_dash_ends_options(void**) {
  auto inv = parse_ok({"accounts", "show", "--", "-odd@b.c"});
  assert_string_equal(inv.args[0].c_str(), "-odd@b.c");
}

void test_help_levels(void**) {
  auto top = parse_ok({"--help"});
  assert_int_equal(static_cast<int>(top.action), static_cast<int>(Invocation::Action::help));
  assert_null(top.group);
  auto group = parse_ok({"accounts", "--help"});
  assert_string_equal(group.group->name, "accounts");
  assert_null(group.command);
  auto cmd = parse_ok({"accounts", "create", "-h"});
  assert_int_equal(static_cast<int>(cmd.command->id), static_cast<int>(CommandId::accounts_create));
  assert_true(command_help(*cmd.command).find("accounts create ADDRESS [--name NAME]") !=
              std::string::npos);
  auto version = parse_ok({"--version"});
  assert_int_equal(static_cast<int>(version.action), static_cast<int>(Invocation::Action::version));
}

void test_wrong_command_lines(void**) {
  expect_usage_error({}, "no command given");
  expect_usage_error({"frobnicate"}, "unknown command 'frobnicate'");
  expect_usage_error({"accounts"}, "no accounts command given");
  expect_usage_error({"accounts", "explode"}, "unknown command 'accounts explode'");
  expect_usage_error({"accounts", "create"}, "accounts create: missing ADDRESS");
  expect_usage_error({"credentials", "add", "a@b.c"}, "missing NEW-ADDRESS");
  expect_usage_error({"accounts", "show", "a@b.c", "extra"}, "unexpected argument 'extra'");
  expect_usage_error({"accounts", "list", "--bogus"}, "unknown option --bogus");
  expect_usage_error({"-x", "accounts", "list"}, "unknown option -x");
  expect_usage_error({"accounts", "create", "a@b.c", "--name"}, "--name needs a value NAME");
  expect_usage_error({"--config"}, "--config needs a value FILE");
  expect_usage_error({"accounts", "list", "--json=yes"}, "--json takes no value");
  expect_usage_error({"accounts", "list", "--name", "x"}, "accounts list does not take --name");
  expect_usage_error({"accounts", "create", "a@b.c", "--password-stdin", "--password", "x"},
                     "only one of");
  expect_usage_error({"accounts", "list", "--json", "--json"}, "--json given twice");
  expect_usage_error({"accounts", "update", "a@b.c"}, "nothing to change");
}

void test_json_seen_even_after_an_error(void**) {
  auto outcome = parse({"accounts", "list", "--bogus", "--json"});
  assert_false(outcome.invocation.ok());
  assert_true(outcome.json);
}

void test_exit_codes(void**) {
  assert_int_equal(exit_code_for(make_error(kErrInvalid, "")), 65);
  assert_int_equal(exit_code_for(make_error(kErrNotFound, "")), 67);
  assert_int_equal(exit_code_for(make_error(kErrExists, "")), 73);
  assert_int_equal(exit_code_for(make_error(kErrTemporary, "")), 75);
  assert_int_equal(exit_code_for(make_error(kErrTimeout, "")), 75);
  assert_int_equal(exit_code_for(make_error(kErrClosed, "")), 75);
  assert_int_equal(exit_code_for(make_error(kErrSchema, "")), 76);
  assert_int_equal(exit_code_for(make_error(kErrAuth, "")), 77);
  assert_int_equal(exit_code_for(make_error(kErrConfig, "")), 78);
  assert_int_equal(exit_code_for(make_error(kErrGeneric, "")), 70);
  assert_int_equal(exit_code_for(make_error(12345, "")), 70);
  assert_string_equal(error_kind(make_error(kErrNotFound, "")), "not_found");
  assert_string_equal(error_kind(make_error(kErrUsage, "")), "usage");
}

void test_every_command_has_help(void**) {
  for (const auto& c : commands()) {
    assert_non_null(find_command(c.group, c.name));
    assert_true(top_help().find(synopsis(c)) != std::string::npos);
    assert_non_null(find_group(c.group));
  }
  for (const auto& g : command_groups())
    assert_true(group_help(g).find(g.summary) != std::string::npos);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_before_and_after_command),
      cmocka_unit_test(test_create_with_options),
      cmocka_unit_test(test_password_value_may_start_with_dash),
      cmocka_unit_test(test_credentials_add_two_positionals),
      cmocka_unit_test(test_double_dash_ends_options),
      cmocka_unit_test(test_help_levels),
      cmocka_unit_test(test_wrong_command_lines),
      cmocka_unit_test(test_json_seen_even_after_an_error),
      cmocka_unit_test(test_exit_codes),
      cmocka_unit_test(test_every_command_has_help),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
