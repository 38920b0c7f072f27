// sora-admin: the operator's command line tool. The exit statuses are listed
// in exit-codes.h.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "libsora-core/config-load.h"
#include "libsora-core/log-setup.h"
#include "libsora-core/sections.h"
#include "libsora-db/db-settings.h"
#include "libsora-db/schema.h"
#include "sora-admin/args.h"
#include "sora-admin/context.h"
#include "sora-admin/exit-codes.h"
#include "sora-admin/output.h"
#include "sora-admin/usage.h"
#include "sora/loop.h"

namespace sora::admin {

namespace {

int show_help(const Invocation& inv) {
  std::string text;
  if (inv.command)
    text = command_help(*inv.command);
  else if (inv.group)
    text = group_help(*inv.group);
  else
    text = top_help();
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

// --conninfo first, then $SORA_CONNINFO, then [postgresql] conninfo.
DbSettings db_settings(const Invocation& inv, const Config& config) {
  DbSettings settings = db_settings_from(config.section("postgresql"));
  if (inv.conninfo) {
    settings.conninfo = *inv.conninfo;
  } else if (const char* env = std::getenv("SORA_CONNINFO"); env && *env) {
    settings.conninfo = env;
  }
  return settings;
}

bool changes_accounts(const CommandSpec& command) {
  return std::string_view(command.group) != "db";
}

Task<CommandResult> dispatch(Context& ctx) {
  const CommandSpec& command = *ctx.invocation.command;
  // The db commands exist to inspect and fix the schema; every other command
  // would run its queries against tables it does not know.
  if (changes_accounts(command)) {
    auto schema_ok = co_await schema::check(ctx.db);
    if (!schema_ok) co_return schema_ok.take_error();
  }
  switch (command.id) {
    case CommandId::db_migrate:
    case CommandId::db_status:
      co_return co_await run_db_command(ctx);
    case CommandId::credentials_add:
    case CommandId::credentials_list:
    case CommandId::credentials_delete:
      co_return co_await run_credential_command(ctx);
    default:
      co_return co_await run_account_command(ctx);
  }
}

// `inv`, `config`, `out` and `status` belong to run_command's frame, which
// outlives this task: run_until_done returns only when it has finished.
Task<void> command_task(const Invocation& inv, const Config& config, const Output& out,
                        int& status) {
  // Created and dropped on the loop thread, as the pool requires.
  auto db = make_db_pool(db_settings(inv, config));
  Context ctx{inv, config, *db, out};
  auto result = co_await dispatch(ctx);
  status = result ? *result : out.error(result.error());
}

int run_command(const Invocation& inv, const Output& out) {
  // Without --config, a missing default file means built-in defaults: enough
  // for scripts that pass --conninfo or SORA_CONNINFO on a fresh machine.
  std::string path = inv.config_path.value_or(default_config_path());
  if (!inv.config_path && access(path.c_str(), F_OK) != 0) path = "/dev/null";
  // sora-admin loads no modules: their sections are left to sorad -t.
  LoadOptions options;
  options.skip_module_sections = true;
  auto config = load_config(path, core_sections(), options);
  if (!config) {
    // Whatever code the loader chose, a bad file is a configuration error.
    return out.error(make_error(kErrConfig, config.error().message));
  }
  int status = kExitInternal;
  try {
    run_until_done(command_task(inv, *config, out, status));
  } catch (const std::exception& e) {
    return out.error(make_error(kErrGeneric, std::string("internal error: ") + e.what()));
  }
  return status;
}

int admin_main(const std::vector<std::string>& args) {
  // One line per failure, from the command itself: the pool's own warnings
  // (reconnect backoff) are for the daemon's log.
  LogSettings quiet;
  quiet.level = LogLevel::error;
  quiet.ident = "sora-admin";
  log_setup(quiet);
  auto parsed = parse_args(args);
  const Output out(parsed.json);
  if (!parsed.invocation) return out.error(parsed.invocation.error());
  const Invocation& inv = *parsed.invocation;
  switch (inv.action) {
    case Invocation::Action::help:
      return show_help(inv);
    case Invocation::Action::version:
      std::fputs(version_text().c_str(), stdout);
      return kExitOk;
    case Invocation::Action::run:
      break;
  }
  return run_command(inv, out);
}

}  // namespace

}  // namespace sora::admin

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int status = sora::admin::admin_main(args);
  // Output goes to a pipe in scripts; a full disk must not look like success.
  if (std::fflush(stdout) != 0 && status == 0) return sora::admin::kExitInternal;
  return status;
}
