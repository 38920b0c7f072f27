// Unit tests of sora::password against hashes written by real tools.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <string_view>

extern "C" {
#include <cmocka.h>
}

#include "sora/password.h"

namespace pw = sora::password;

namespace {

constexpr const char* kUtf8 = "p\xC3\xA4ssw\xC3\xB6rd\xE2\x82\xAC";  // "pässwörd€"

struct Vector {
  const char* password;
  const char* stored;
};

// Each stored hash below was printed by the command in the comment before it.
const Vector kVectors[] = {
    // doveadm pw -s SSHA512 -p secret
    {"secret", "{SSHA512}4kMzHv5sQr4Jku81QB++n7rV3Fj0Z1mf7/JxNaJvTmahaH6oyeD/sy06LK/RGcRBp2gwPim5wSbGQPo0MPZxV2aWvoY="},
    // doveadm pw -s SSHA512 -p 'pässwörd€'
    {kUtf8, "{SSHA512}urtYSlJveB9RG6qRDXlzO9btai7B7rh2PTxlih01TPONE5XtmyIWzhg25aF1uruqbScWgdGKRUW31I5P0jwUKJFavG4="},
    // doveadm pw -s SSHA512 -p ''
    {"", "{SSHA512}DS1BD+OKZMliODnPiritXf7dbLtc5Sns9ea1QjOyFFjMg9ZiapR6+b6LnpSMjnNv8ohnj4qaVsHhM/RxC1GGgA+e7M4="},
    // doveadm pw -s SSHA512 -p 'correct horse battery staple'
    {"correct horse battery staple", "{SSHA512}vLY70IlN4a6EQyujBQuL/FKeg+f+NQYaVYw8T6X2GzGtglXitWgILfA7+2vMKag6vq6sVEUrcheMWOxWdGZstIWXTt0="},
    // doveadm pw -s SSHA512.HEX -p secret
    {"secret", "{SSHA512.HEX}fcd09be044a6e2df1c9b9b51788a0ef75601a6b7aa80ef55b1b40086249fc92ec471eacc35e4836e5ede99c882d78c9ad6ea227ff0955205e3b3a6b6ae91995a9354d8d6"},
    // doveadm pw -s SSHA512.HEX -p 'pässwörd€'
    {kUtf8, "{SSHA512.HEX}2834f5e13edfe8be95c6e9263c9bb7cc30dc3d86dd549757c1417136f0b597eaeec5d037f4a9ea36edf9d806f89931d92f690abb7ebdda9b2f616c390b9faacbda06be4c"},
    // doveadm pw -s SHA512 -p secret
    {"secret", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=="},
    // doveadm pw -s SHA512 -p 'pässwörd€'
    {kUtf8, "{SHA512}i8GcJvFkESpLNcwmCssLcOPKTM8kQ+CkMuH8Et0TuS5gBnxffdzL4iQK+7KzVK/5MNkPRAzG4FGiFl4SMIhcwg=="},
    // doveadm pw -s SHA512 -p ''
    {"", "{SHA512}z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="},
    // doveadm pw -s SHA512.HEX -p secret
    {"secret", "{SHA512.HEX}bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2"},
    // doveadm pw -s SHA512.HEX -p 'pässwörd€'
    {kUtf8, "{SHA512.HEX}8bc19c26f164112a4b35cc260acb0b70e3ca4ccf2443e0a432e1fc12dd13b92e60067c5f7ddccbe2240afbb2b354aff930d90f440cc6e051a2165e1230885cc2"},
    // doveadm pw -s SHA512-CRYPT -p secret
    {"secret", "{SHA512-CRYPT}$6$lvBXDK1qw/697BqW$bezt5otGYLbd0L7glxsaJWyn.18GlwGcvr1MzB9hcV5AenB0xj0iG8ztaEBRHRM7rGQDQOkGVfTAzZ9b0a1Ri1"},
    // doveadm pw -s SHA512-CRYPT -p 'pässwörd€'
    {kUtf8, "{SHA512-CRYPT}$6$wN/0D6O/d998nguB$W3e.HTzxhD1AOT7jEYKPz.3uMBOq3fOF3IuG/rqjI2L9T.NlLENWwU61HupsfjLUxE9onbg.16N3PIdITJ1OO0"},
    // the same, with the prefix dropped (crypt(3) form)
    {kUtf8, "$6$wN/0D6O/d998nguB$W3e.HTzxhD1AOT7jEYKPz.3uMBOq3fOF3IuG/rqjI2L9T.NlLENWwU61HupsfjLUxE9onbg.16N3PIdITJ1OO0"},
    // the same, as {CRYPT}
    {"secret", "{CRYPT}$6$lvBXDK1qw/697BqW$bezt5otGYLbd0L7glxsaJWyn.18GlwGcvr1MzB9hcV5AenB0xj0iG8ztaEBRHRM7rGQDQOkGVfTAzZ9b0a1Ri1"},
    // doveadm pw -s SHA256-CRYPT -p secret
    {"secret", "{SHA256-CRYPT}$5$sgiAQt/YRHq6Ldw0$7ejBLMS7FS8T//7o5DWopmsPrwz68bWjj1hj/nWrkR5"},
    // doveadm pw -s MD5-CRYPT -p secret
    {"secret", "{MD5-CRYPT}$1$OC4D0fkb$dHMb5TXT7aVtf6e67yLaW0"},
    // doveadm pw -s BLF-CRYPT -p secret
    {"secret", "{BLF-CRYPT}$2y$05$RZtlBvPPRb3gwOc/aDnDv.q3rDqEHImDiCSKckTEov7gx66Obcamq"},
    // doveadm pw -s BLF-CRYPT -p 'pässwörd€'
    {kUtf8, "{BLF-CRYPT}$2y$05$g683JMdGButLAna59D4rru0mBl5Ko1KQFmjIfFRrTIDItnx067LGO"},
    // doveadm pw -s BLF-CRYPT -p ''
    {"", "{BLF-CRYPT}$2y$05$pjV0ZnV9Kjl44sX0.LdgmuPRJs6q9PzzpmkXaMx4fPNQeM6PKHpKy"},
    // doveadm pw -s BLF-CRYPT -r 4 -p secret, prefix dropped
    {"secret", "$2y$04$FNxFfgzVngY6AV5rM22q3.Ar/EUhuZE.wisS5KMjx0w3r/7.cEBTa"},
    // /usr/bin/python3 -c "import crypt; print(crypt.crypt('secret', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"
    {"secret", "$2b$04$JOnXG86aVX5XNkG45zfwhu89A2MY2fUx2SuWcJjjHBemVNBO88/2G"},
    // the same command with 'pässwörd€'
    {kUtf8, "$2b$04$J51shBalLHu.6nsDO38Kr.NddTGyr8DsX4NFiNHYKvqK21MvreZNK"},
    // the same command with ''
    {"", "$2b$04$rwn.WYJOLdgi4WoMFD9RY.L/QxxTKl3eXupClT1jTecIdXudQomxO"},
    // the same command with 'secret', default cost (12)
    {"secret", "$2b$12$HSUOmLPS2OZAO/7TJzMyOeUUGI728Bjkj47uprK06vYFBdBB7y/si"},
    // /usr/bin/python3 -c "import crypt; print(crypt.crypt('secret', '\$2a\$04\$abcdefghijklmnopqrstuu'))"
    {"secret", "$2a$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW"},
};

void expect_match(std::string_view password, std::string_view stored, bool want) {
  auto r = pw::verify(password, stored);
  if (!r.ok()) fail_msg("verify(%s) failed: %s", std::string(stored).c_str(), r.error().message.c_str());
  if (*r != want)
    fail_msg("verify(%s) gave %s", std::string(stored).c_str(), *r ? "match" : "mismatch");
}

void expect_invalid(std::string_view password, std::string_view stored) {
  auto r = pw::verify(password, stored);
  if (r.ok()) fail_msg("verify(%s) should be an error", std::string(stored).c_str());
  assert_int_equal(r.error().code, sora::kErrInvalid);
  const std::string& msg = r.error().message;
  assert_false(msg.empty());
  if (!password.empty()) assert_true(msg.find(password) == std::string::npos);
  // Nothing of the stored value past its scheme name may be echoed either.
  std::string_view body = stored.substr(stored.find('}') == std::string_view::npos ? 0 : stored.find('}') + 1);
  if (body.size() >= 4) assert_true(msg.find(body) == std::string::npos);
}

void test_vectors_match(void**) {
  for (const auto& v : kVectors) expect_match(v.password, v.stored, true);
}

void test_vectors_reject_wrong_password(void**) {
  for (const auto& v : kVectors) {
    expect_match(std::string(v.password) + "x", v.stored, false);
    expect_match("Secret", v.stored, false);
    if (v.password[0] != '\0') expect_match("", v.stored, false);
  }
}

void test_scheme_names_are_case_insensitive(void**) {
  expect_match("secret", "{ssha512}4kMzHv5sQr4Jku81QB++n7rV3Fj0Z1mf7/JxNaJvTmahaH6oyeD/sy06LK/RGcRBp2gwPim5wSbGQPo0MPZxV2aWvoY=", true);
  expect_match("secret", "{blf-crypt}$2y$04$FNxFfgzVngY6AV5rM22q3.Ar/EUhuZE.wisS5KMjx0w3r/7.cEBTa", true);
  expect_match("secret", "{SHA512.b64}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==", true);
}

void test_nul_in_password_never_matches_crypt(void**) {
  // crypt(3) stops at a NUL; "secret\0x" must not pass for "secret".
  expect_match(std::string_view("secret\0x", 8), "$2b$04$JOnXG86aVX5XNkG45zfwhu89A2MY2fUx2SuWcJjjHBemVNBO88/2G", false);
  auto r = pw::hash(std::string_view("a\0b", 3), pw::Scheme::bcrypt, 4);
  assert_false(r.ok());
}

void round_trip(pw::Scheme scheme, int cost, std::string_view prefix) {
  for (std::string_view password : {std::string_view("secret"), std::string_view(kUtf8), std::string_view()}) {
    auto h = pw::hash(password, scheme, cost);
    if (!h.ok()) fail_msg("hash failed: %s", h.error().message.c_str());
    assert_true(h->starts_with(prefix));
    expect_match(password, *h, true);
    expect_match(std::string(password) + "!", *h, false);
    // A fresh salt every time.
    auto again = pw::hash(password, scheme, cost);
    assert_true(again.ok());
    if (scheme != pw::Scheme::sha512) assert_true(*again != *h);
  }
}

void test_round_trip_bcrypt(void**) {
  for (int cost : {4, 5, 6}) {
    char prefix[16];
    snprintf(prefix, sizeof prefix, "$2b$%02d$", cost);
    round_trip(pw::Scheme::bcrypt, cost, prefix);
  }
}

void test_round_trip_ssha512(void**) {
  round_trip(pw::Scheme::ssha512, 0, "{SSHA512}");
  // 64 digest bytes and 8 of salt, as Dovecot writes it: 96 base64 characters.
  auto h = pw::hash("secret", pw::Scheme::ssha512);
  assert_true(h.ok());
  assert_int_equal(h->size(), std::string_view("{SSHA512}").size() + 96);
}

void test_round_trip_sha512(void**) {
  round_trip(pw::Scheme::sha512, 0, "{SHA512}");
  // Unsalted, so it equals what doveadm wrote.
  auto h = pw::hash("secret", pw::Scheme::sha512);
  assert_true(h.ok());
  assert_string_equal(h->c_str(), "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==");
}

void test_round_trip_sha512_crypt(void**) { round_trip(pw::Scheme::sha512_crypt, 0, "{SHA512-CRYPT}$6$"); }

void test_bcrypt_cost_bounds(void**) {
  for (int cost : {-1, 0, 3, 32, 100}) {
    auto r = pw::hash("secret", pw::Scheme::bcrypt, cost);
    assert_false(r.ok());
    assert_int_equal(r.error().code, sora::kErrInvalid);
  }
}

void test_parse_scheme(void**) {
  assert_true(pw::parse_scheme("bcrypt").value() == pw::Scheme::bcrypt);
  assert_true(pw::parse_scheme("SSHA512").value() == pw::Scheme::ssha512);
  assert_true(pw::parse_scheme("sha512").value() == pw::Scheme::sha512);
  assert_true(pw::parse_scheme("Sha512-Crypt").value() == pw::Scheme::sha512_crypt);
  assert_false(pw::parse_scheme("md5").ok());
  assert_false(pw::parse_scheme("").ok());
}

void test_malformed_stored_hashes(void**) {
  const char* password = "hunter2-secret";
  const char* bad[] = {
      "",
      "*0",
      "*1",
      "{CRYPT}*0",
      "plaintext-password",
      "{PLAIN}hunter2-secret",
      "{NOPE}abcdefgh",
      "{SSHA512",
      // truncated base64 (a character short), and one cut at a quantum
      "{SSHA512}4kMzHv5sQr4Jku81QB++n7rV3Fj0Z1mf7/JxNaJvTmahaH6oyeD/sy06LK/RGcRBp2gwPim5wSbGQPo0MPZxV2aWvoY",
      "{SSHA512}4kMzHv5sQr4Jku81QB++n7rV3Fj0Z1mf7/JxNaJvTmahaH6oyeD/sy06LK/RGcRBp2gwPim5wSbG",
      // SSHA512 with no salt at all
      "{SSHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==",
      // SHA512 of the wrong length
      "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/i",
      "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=",
      "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1q RCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=",
      "{SHA512}",
      "{SHA512.HEX}bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2bz",
      "{SHA512.HEX}bd2b",
      "{SHA512.XYZ}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==",
      // crypt strings libxcrypt refuses, or under the wrong label
      "$2b$99$JOnXG86aVX5XNkG45zfwhu89A2MY2fUx2SuWcJjjHBemVNBO88/2G",
      "$2b$04$JOnXG86aVX5XNkG45",
      "$6$",
      "{BLF-CRYPT}$6$lvBXDK1qw/697BqW$bezt5otGYLbd0L7glxsaJWyn.18GlwGcvr1MzB9hcV5AenB0xj0iG8ztaEBRHRM7rGQDQOkGVfTAzZ9b0a1Ri1",
      "{SHA512-CRYPT}hunter2-secret",
      "$y$j9T$abc$def",
  };
  for (const char* stored : bad) expect_invalid(password, stored);
}

void test_errors_do_not_echo_the_password(void**) {
  // The password given as a stored value (a common migration mistake) must not
  // come back in the message either.
  auto r = pw::verify("hunter2-secret", "{hunter2-secret}hunter2-secret");
  assert_false(r.ok());
  assert_true(r.error().message.find("hunter2") == std::string::npos);
  auto s = pw::verify("x", "{this is my password}");
  assert_false(s.ok());
  assert_true(s.error().message.find("password}") == std::string::npos);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors_match),
      cmocka_unit_test(test_vectors_reject_wrong_password),
      cmocka_unit_test(test_scheme_names_are_case_insensitive),
      cmocka_unit_test(test_nul_in_password_never_matches_crypt),
      cmocka_unit_test(test_round_trip_bcrypt),
      cmocka_unit_test(test_round_trip_ssha512),
      cmocka_unit_test(test_round_trip_sha512),
      cmocka_unit_test(test_round_trip_sha512_crypt),
      cmocka_unit_test(test_bcrypt_cost_bounds),
      cmocka_unit_test(test_parse_scheme),
      cmocka_unit_test(test_malformed_stored_hashes),
      cmocka_unit_test(test_errors_do_not_echo_the_password),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
