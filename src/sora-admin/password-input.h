// Where a new password comes from: the terminal, stdin, a file or the command
// line. The password is never echoed, logged or printed.
#pragma once

#include <string>
#include <string_view>

#include "sora-admin/args.h"
#include "sora/result.h"

namespace sora::admin {

// Reads the password the options name; with no option, asks on the terminal
// when stdin is one and fails with kErrUsage otherwise. `for_whom` is the
// address named in the prompt. Empty passwords are refused (kErrInvalid).
Result<std::string> read_password(PasswordSource source, const std::string& value,
                                  std::string_view for_whom);

// Overwrites a secret before its memory is given back, so that it does not
// linger in freed heap for a core dump to show.
void wipe(std::string& secret);

}  // namespace sora::admin
