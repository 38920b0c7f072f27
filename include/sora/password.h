// Password hashes in crypt(3) form and Dovecot's {SCHEME} forms.
//
// Written (hash()):
//   bcrypt        "$2b$NN$..." bare crypt(3) form, the default
//   ssha512       "{SSHA512}" base64(SHA-512(password + salt) + salt), 8-byte salt as Dovecot
//   sha512        "{SHA512}" base64(SHA-512(password)), unsalted: for migration only
//   sha512-crypt  "{SHA512-CRYPT}$6$..." with the prefix, as `doveadm pw -s SHA512-CRYPT`
//                 writes it, so the row says what it is (bare "$6$..." verifies too)
// Verified (verify()): all of those; bare or prefixed "$2a$/$2b$/$2y$" bcrypt,
// "$6$", "$5$" and "$1$" crypt strings under {CRYPT}, {BLF-CRYPT}, {SHA512-CRYPT},
// {SHA256-CRYPT}, {MD5-CRYPT}; {SSHA512}/{SHA512} also with Dovecot's ".HEX" and
// ".B64" suffixes. Scheme names are case-insensitive. Digests are compared in
// constant time. A password containing NUL never matches a crypt string.
//
// Errors are kErrInvalid (a malformed or unknown stored hash); the message
// names the scheme but never contains the password or the hash.
//
// Hashing is slow on purpose: call these from the thread pool (run_in_pool),
// never on the loop thread. Both functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "sora/result.h"

namespace sora::password {

enum class Scheme { bcrypt, ssha512, sha512, sha512_crypt };

// "bcrypt", "ssha512", "sha512", "sha512-crypt" (case-insensitive).
Result<Scheme> parse_scheme(std::string_view name);

// Hashes `password` with a fresh random salt; `cost` is bcrypt's log2 rounds
// (4..31), ignored by the other schemes.
Result<std::string> hash(std::string_view password, Scheme scheme, int cost = 10);

// True when `password` matches `stored`. An unknown or malformed stored hash
// is an error, not a mismatch, so an operator learns about it.
Result<bool> verify(std::string_view password, std::string_view stored);

}  // namespace sora::password
