// What every command handler gets: the parsed command line, the configuration,
// the database and where to print. Owned by the coroutine that runs the
// command (main.cc), which outlives every handler it awaits.
#pragma once

#include "libsora-db/accounts.h"
#include "sora-admin/args.h"
#include "sora-admin/exit-codes.h"
#include "sora-admin/output.h"
#include "sora/config.h"
#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora::admin {

struct Context {
  const Invocation& invocation;
  const Config& config;
  Db& db;
  const Output& out;

  // The i-th argument as a normalised address; checked before anything is
  // asked or sent, so that a typo does not cost two password entries first.
  Result<std::string> address(std::size_t i) const {
    return accounts::normalize_address(invocation.args.at(i));
  }
};

// A handler prints its result and returns the exit status (0 but for
// `db status`), or an error for main to report.
using CommandResult = Result<int>;

// Prints a successful result with `print`, or passes its error on.
template <class T, class Print>
CommandResult print_result(const Context& ctx, Result<T>& result, Print print) {
  if (!result) return result.take_error();
  print(ctx.out, *result);
  return kExitOk;
}

Task<CommandResult> run_db_command(Context& ctx);
Task<CommandResult> run_account_command(Context& ctx);
Task<CommandResult> run_credential_command(Context& ctx);

}  // namespace sora::admin
