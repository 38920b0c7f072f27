// New password hashes, as [auth] password_scheme and bcrypt_cost say.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sora-admin/context.h"

namespace sora::admin {

// Reads the password the command line asks for (see password-input.h) and
// hashes it on the thread pool. `for_whom` is named in the terminal prompt.
Task<Result<std::string>> new_password_hash(const Context& ctx, std::string_view for_whom);

// The same, but only when a password option was given (accounts update).
Task<Result<std::optional<std::string>>> optional_password_hash(const Context& ctx,
                                                                std::string_view for_whom);

}  // namespace sora::admin
