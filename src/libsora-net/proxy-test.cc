// PROXY v2 headers fed whole, one byte at a time, and broken in every way a
// load balancer or an attacker could break them; CIDR matching for
// proxy_trusted.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstring>
#include <string>

extern "C" {
#include <cmocka.h>
}

#include "libsora-net/proxy.h"

using sora::ProxyParse;
using State = sora::ProxyParse::State;

namespace {

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

std::string header(unsigned char ver_cmd, unsigned char fam, std::string body) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xFF);
  return h + body;
}

std::string tcp4_body() {
  // 192.0.2.10:56324 -> 198.51.100.1:143
  return std::string("\xC0\x00\x02\x0A\xC6\x33\x64\x01\xDC\x04\x00\x8F", 12);
}

std::string tcp6_body() {
  std::string b(36, '\0');
  in6_addr src, dst;
  inet_pton(AF_INET6, "2001:db8::7", &src);
  inet_pton(AF_INET6, "2001:db8::1", &dst);
  std::memcpy(&b[0], &src, 16);
  std::memcpy(&b[16], &dst, 16);
  b[32] = '\x30', b[33] = '\x39';  // 12345
  b[34] = '\x03', b[35] = '\xE1';  // 993
  return b;
}

// Feeds one byte at a time the way the listener does: never more than wanted.
ProxyParse feed_bytewise(const std::string& data) {
  sora::ProxyV2Parser parser;
  ProxyParse p;
  std::size_t at = 0;
  do {
    assert_true(at < data.size());
    p = parser.feed(std::string_view(data).substr(at, 1));
    ++at;
  } while (p.state == State::need_more);
  return p;
}

void test_tcp4_whole_and_bytewise(void**) {
  std::string h = header(0x21, 0x11, tcp4_body()) + "A1 CAPABILITY\r\n";
  for (const ProxyParse& p : {sora::parse_proxy_v2(h), feed_bytewise(h)}) {
    assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::done));
    assert_int_equal(p.consumed, 28);
    assert_true(p.addresses.use);
    assert_string_equal(p.addresses.src_ip.c_str(), "192.0.2.10");
    assert_int_equal(p.addresses.src_port, 56324);
    assert_string_equal(p.addresses.dst_ip.c_str(), "198.51.100.1");
    assert_int_equal(p.addresses.dst_port, 143);
  }
}

void test_tcp6_with_tlv(void**) {
  std::string tlv("\x01\x00\x02h2", 5);  // PP2_TYPE_ALPN, skipped
  std::string h = header(0x21, 0x21, tcp6_body() + tlv);
  for (const ProxyParse& p : {sora::parse_proxy_v2(h), feed_bytewise(h)}) {
    assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::done));
    assert_int_equal(p.consumed, 16 + 36 + 5);
    assert_string_equal(p.addresses.src_ip.c_str(), "2001:db8::7");
    assert_int_equal(p.addresses.src_port, 12345);
    assert_int_equal(p.addresses.dst_port, 993);
  }
}

void test_wanted_never_reads_past_header(void**) {
  sora::ProxyV2Parser parser;
  assert_int_equal(parser.bytes_wanted(), 16);
  std::string h = header(0x21, 0x11, tcp4_body());
  ProxyParse p = parser.feed(std::string_view(h).substr(0, 16));
  assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::need_more));
  assert_int_equal(parser.bytes_wanted(), 12);
  p = parser.feed(std::string_view(h).substr(16));
  assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::done));
  assert_int_equal(parser.bytes_wanted(), 0);
}

void test_local_and_unix_keep_real_addresses(void**) {
  ProxyParse local = sora::parse_proxy_v2(header(0x20, 0x00, ""));
  assert_int_equal(static_cast<int>(local.state), static_cast<int>(State::done));
  assert_int_equal(local.consumed, 16);
  assert_false(local.addresses.use);

  // LOCAL may still carry addresses; they are ignored.
  ProxyParse local4 = feed_bytewise(header(0x20, 0x11, tcp4_body()));
  assert_int_equal(static_cast<int>(local4.state), static_cast<int>(State::done));
  assert_false(local4.addresses.use);

  ProxyParse unix_ = feed_bytewise(header(0x21, 0x31, std::string(216, 'x')));
  assert_int_equal(static_cast<int>(unix_.state), static_cast<int>(State::done));
  assert_int_equal(unix_.consumed, 16 + 216);
  assert_false(unix_.addresses.use);
}

void expect_error(const std::string& data, const char* what) {
  ProxyParse p = sora::parse_proxy_v2(data);
  assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::error));
  assert_non_null(std::strstr(p.error.c_str(), what));
}

void test_malformed(void**) {
  expect_error("A1 LOGIN x y\r\n", "bad signature");
  expect_error("\r\n\r\nX", "bad signature");  // refused before 16 bytes arrive
  expect_error(header(0x11, 0x11, tcp4_body()), "version");
  expect_error(header(0x22, 0x11, tcp4_body()), "command");
  expect_error(header(0x21, 0x11, "\x01\x02"), "too short");
  expect_error(header(0x21, 0x12, tcp4_body()), "stream");
  expect_error(header(0x21, 0x11, tcp4_body() + std::string(513, '\0')), "limit");
  // The limit is checked from the length field, before the body arrives.
  std::string big = header(0x21, 0x11, std::string(600, '\0')).substr(0, 16);
  expect_error(big, "limit");
}

void test_truncated_is_need_more(void**) {
  std::string h = header(0x21, 0x11, tcp4_body());
  for (std::size_t n = 0; n < h.size(); ++n) {
    ProxyParse p = sora::parse_proxy_v2(std::string_view(h).substr(0, n));
    assert_int_equal(static_cast<int>(p.state), static_cast<int>(State::need_more));
    assert_true(p.wanted > n);
  }
}

void test_cidr(void**) {
  auto list = sora::CidrList::parse({"127.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "::1/128",
                                     "192.0.2.5"});
  assert_true(list.ok());
  assert_true(list->contains("127.3.4.5"));
  assert_true(list->contains("::ffff:127.0.0.1"));
  assert_true(list->contains("10.1.255.1"));
  assert_false(list->contains("10.2.0.1"));
  assert_true(list->contains("2001:db8:ffff::1"));
  assert_false(list->contains("2001:db9::1"));
  assert_true(list->contains("::1"));
  assert_false(list->contains("::2"));
  assert_true(list->contains("192.0.2.5"));
  assert_false(list->contains("192.0.2.6"));
  assert_false(list->contains("not an address"));

  auto odd = sora::CidrList::parse({"10.0.0.0/12"});
  assert_true(odd->contains("10.15.1.1"));
  assert_false(odd->contains("10.16.0.0"));

  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &mapped.sin6_addr);
  assert_true(list->contains(reinterpret_cast<sockaddr*>(&mapped)));
  assert_string_equal(sora::address_to_ip(reinterpret_cast<sockaddr*>(&mapped)).c_str(), "10.1.2.3");

  assert_false(sora::CidrList::parse({"10.0.0.0/33"}).ok());
  assert_false(sora::CidrList::parse({"::/129"}).ok());
  assert_false(sora::CidrList::parse({"10.0.0.0/x"}).ok());
  assert_false(sora::CidrList::parse({"example.org"}).ok());
}

void test_loopback(void**) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.2", &v4.sin_addr);
  assert_true(sora::is_loopback(reinterpret_cast<sockaddr*>(&v4)));
  inet_pton(AF_INET, "128.0.0.1", &v4.sin_addr);
  assert_false(sora::is_loopback(reinterpret_cast<sockaddr*>(&v4)));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::1", &v6.sin6_addr);
  assert_true(sora::is_loopback(reinterpret_cast<sockaddr*>(&v6)));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcp4_whole_and_bytewise),
      cmocka_unit_test(test_tcp6_with_tlv),
      cmocka_unit_test(test_wanted_never_reads_past_header),
      cmocka_unit_test(test_local_and_unix_keep_real_addresses),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_truncated_is_need_more),
      cmocka_unit_test(test_cidr),
      cmocka_unit_test(test_loopback),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
