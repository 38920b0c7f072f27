// The exit statuses of sora-admin, in one place. They follow sysexits(3) so
// that scripts and the end-to-end tests can tell failures apart:
//
//    0  ok
//   64  EX_USAGE     the command line is wrong (unknown command or option,
//                    missing argument, no password source on a non-terminal)
//   65  EX_DATAERR   bad input data: an invalid address, an empty password,
//                    passwords that do not match, an account already deleted
//   67  EX_NOUSER    the account or address does not exist
//   70  EX_SOFTWARE  internal error (a bug: please report it)
//   73  EX_CANTCREAT the address already exists
//   75  EX_TEMPFAIL  temporary failure: the database is unreachable or timed
//                    out; retrying later may work
//   76  EX_PROTOCOL  the database schema is behind or ahead of this build
//                    (run `sora-admin db migrate`, or upgrade sora-admin)
//   77  EX_NOPERM    the database refused our credentials or permissions
//   78  EX_CONFIG    the configuration file is missing or invalid
//
// usage.cc prints the same table in `sora-admin --help`; keep them together.
#pragma once

#include <sysexits.h>

#include "sora/result.h"

namespace sora::admin {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = EX_USAGE,
  kExitDataError = EX_DATAERR,
  kExitNotFound = EX_NOUSER,
  kExitInternal = EX_SOFTWARE,
  kExitExists = EX_CANTCREAT,
  kExitTemporary = EX_TEMPFAIL,
  kExitSchema = EX_PROTOCOL,
  kExitPermission = EX_NOPERM,
  kExitConfig = EX_CONFIG,
};

// sora::ErrorCode has no value for a wrong command line, which only
// sora-admin can detect; this one sits far above the shared codes so it can
// never collide with a code the libraries return.
constexpr int kErrUsage = 1000;

// The exit status for an error returned by sora-admin or the libraries it
// calls. Unknown codes are internal errors: they mean a library returned
// something sora-admin was not written to expect.
int exit_code_for(const Error& error);

// A short stable name of the error's kind for JSON output ("not_found",
// "exists" ...), so that scripts need not parse messages.
const char* error_kind(const Error& error);

}  // namespace sora::admin
