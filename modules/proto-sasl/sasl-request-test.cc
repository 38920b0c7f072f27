// Unit tests of the Dovecot auth protocol parser and the PLAIN/LOGIN mechanisms.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <string_view>

extern "C" {
#include <cmocka.h>
}

#include "sasl-request.h"

namespace sasl = sora::sasl;
using Action = sasl::Mechanism::Step::Action;
using namespace std::string_literals;

namespace {

void test_base64(void**) {
  // RFC 4648 section 10.
  const char* vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                              {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
  for (auto& v : vectors) {
    assert_string_equal(sasl::encode_base64(v[0]).c_str(), v[1]);
    auto back = sasl::decode_base64(v[1]);
    assert_true(back.has_value());
    assert_string_equal(back->c_str(), v[0]);
  }
  assert_string_equal(sasl::encode_base64("Username:").c_str(), "VXNlcm5hbWU6");
  assert_string_equal(sasl::encode_base64("Password:").c_str(), "UGFzc3dvcmQ6");
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9", "Zg==Zg==", "=Zg=", "Zm9*"}) {
    assert_false(sasl::decode_base64(bad).has_value());
  }
}

void test_split_and_ids(void**) {
  auto f = sasl::split_tabs("AUTH\t1\tPLAIN\t\tservice=smtp");
  assert_int_equal(f.size(), 5);
  assert_true(f[3].empty());
  assert_int_equal(sasl::split_tabs("").size(), 1);
  assert_int_equal(*sasl::parse_id("4294967295"), 4294967295u);
  assert_false(sasl::parse_id("4294967296").has_value());
  assert_false(sasl::parse_id("-1").has_value());
  assert_false(sasl::parse_id("1x").has_value());
  assert_false(sasl::parse_id("").has_value());
}

void test_loopback(void**) {
  for (const char* ip : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    assert_true(sasl::is_loopback(ip));
  }
  for (const char* ip : {"", "10.0.0.1", "128.0.0.1", "127.0.0.1x", "::2", "::ffff:10.0.0.1",
                         "1270.0.0.1"}) {
    assert_false(sasl::is_loopback(ip));
  }
}

void test_parse_auth(void**) {
  auto p = sasl::parse_auth(sasl::split_tabs(
      "AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1\tsecured\tx=y\t"
      "resp=AGEAYg==\tservice=imap"));
  assert_true(p.line.has_value());
  assert_int_equal(p.line->id, 7);
  assert_string_equal(p.line->mechanism.c_str(), "PLAIN");
  assert_string_equal(p.line->service.c_str(), "smtp");  // nothing after resp= counts
  assert_string_equal(p.line->remote_ip.c_str(), "192.0.2.1");
  assert_true(p.line->secured && p.line->nologin && !p.line->valid_client_cert);
  assert_string_equal(p.line->initial_response->c_str(), "AGEAYg==");

  p = sasl::parse_auth(sasl::split_tabs("AUTH\t8\tPLAIN"));
  assert_false(p.line.has_value());
  assert_int_equal(*p.id, 8);  // a FAIL can name the request
  p = sasl::parse_auth(sasl::split_tabs("AUTH\tx\tPLAIN\tservice=smtp"));
  assert_false(p.id.has_value());
  p = sasl::parse_auth(sasl::split_tabs("AUTH"));
  assert_false(p.id.has_value());
  p = sasl::parse_auth(sasl::split_tabs("AUTH\t1\t\tservice=smtp"));
  assert_false(p.line.has_value());
}

void test_plain(void**) {
  sasl::Mechanism m(sasl::Mechanism::Kind::plain);
  auto s = m.start();
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::challenge));
  assert_true(s.challenge.empty());
  s = m.feed("\0alice@example.org\0secret"s);
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::verify));
  assert_string_equal(m.username().c_str(), "alice@example.org");
  assert_string_equal(m.password().c_str(), "secret");

  sasl::Mechanism same(sasl::Mechanism::Kind::plain);
  s = same.feed("bob\0bob\0pw"s);
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::verify));

  // Another authorization identity: a failed login, not a password check.
  sasl::Mechanism other(sasl::Mechanism::Kind::plain);
  s = other.feed("admin\0bob\0pw"s);
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::fail));
  assert_true(s.reason.empty());
  assert_string_equal(other.username().c_str(), "bob");

  for (std::string bad : {"bob\0pw"s, "\0\0pw"s, "a\0b\0c\0d"s, ""s}) {
    sasl::Mechanism m2(sasl::Mechanism::Kind::plain);
    s = m2.feed(bad);
    assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::fail));
    assert_false(s.reason.empty());
  }
}

void test_login(void**) {
  sasl::Mechanism m(sasl::Mechanism::Kind::login);
  auto s = m.start();
  assert_string_equal(s.challenge.c_str(), "Username:");
  s = m.feed("alice@example.org");
  assert_string_equal(s.challenge.c_str(), "Password:");
  s = m.feed("secret");
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::verify));
  assert_string_equal(m.username().c_str(), "alice@example.org");
  assert_string_equal(m.password().c_str(), "secret");

  // The user name as the initial response (smtplib, RFC 4954).
  sasl::Mechanism initial(sasl::Mechanism::Kind::login);
  s = initial.feed("bob");
  assert_string_equal(s.challenge.c_str(), "Password:");
  s = initial.feed("pw");
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::verify));

  sasl::Mechanism empty(sasl::Mechanism::Kind::login);
  empty.start();
  s = empty.feed("");
  assert_int_equal(static_cast<int>(s.action), static_cast<int>(Action::fail));
}

void test_printable_user(void**) {
  assert_true(sasl::printable_user("alice@example.org"));
  assert_false(sasl::printable_user(""));
  assert_false(sasl::printable_user("a\tb"));
  assert_false(sasl::printable_user("a\nb"));
  assert_false(sasl::printable_user("a\001b"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64),        cmocka_unit_test(test_split_and_ids),
      cmocka_unit_test(test_loopback),      cmocka_unit_test(test_parse_auth),
      cmocka_unit_test(test_plain),         cmocka_unit_test(test_login),
      cmocka_unit_test(test_printable_user),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
