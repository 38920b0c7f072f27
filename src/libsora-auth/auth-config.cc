#include "libsora-core/sections.h"

namespace sora {

namespace {

using T = ConfigType;
constexpr unsigned R = kConfigReloadable;

const ConfigKey kAuthKeys[] = {
    {"backend", T::string, "sql", 0, 0, nullptr, 0,
     "authentication backend, as registered by a loaded module (auth-sql registers sql)"},
    {"password_scheme", T::enumeration, "bcrypt", 0, 0, "bcrypt|ssha512|sha512|sha512-crypt", R,
     "scheme of the password hashes sora-admin writes (all are accepted when verifying)"},
    {"bcrypt_cost", T::integer, "10", 4, 31, nullptr, R,
     "bcrypt cost (log2 of rounds) of new hashes"},
    {"failure_delay", T::duration, "2s", 0, 60000, nullptr, R,
     "pause before answering a failed login, doubled per further failure of the session"},
    {"plaintext_without_tls", T::boolean, "no", 0, 0, nullptr, R,
     "allow plaintext passwords on unencrypted connections other than loopback"},
};

}  // namespace

const ConfigSection kAuthSection = {"auth", false, kAuthKeys, std::size(kAuthKeys),
                                    "how clients are authenticated"};

}  // namespace sora
