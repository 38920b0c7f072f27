// Password hashes in crypt(3) form and Dovecot's {SCHEME} forms.
//
// Written: bcrypt ($2b$, the default), {SSHA512}, {SHA512} and {SHA512-CRYPT}.
// Verified: all of those, "$2a$/$2y$" bcrypt, plain "$6$" and "{CRYPT}"/"{BLF-CRYPT}"
// prefixed crypt strings, as Dovecot and older systems wrote them.
//
// Hashing is slow on purpose: call these from the thread pool (run_in_pool),
// never on the loop thread.
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
