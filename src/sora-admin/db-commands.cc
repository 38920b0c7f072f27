// db migrate, db status.
#include <string>
#include <vector>

#include "libsora-db/schema.h"
#include "sora-admin/context.h"
#include "sora-admin/exit-codes.h"

namespace sora::admin {

namespace {

const char* migration_name(int version) {
  for (const auto& m : schema::migrations())
    if (m.version == version) return m.name;
  return "";
}

void print_migrated(const Output& out, const std::vector<int>& applied, int version) {
  if (out.json()) {
    Json list(json_array());
    for (int v : applied) {
      json_array_append_new(list.get(),
                            json_pack("{s:i, s:s}", "version", v, "name", migration_name(v)));
    }
    return out.document(
        Json(json_pack("{s:o, s:i}", "applied", list.release(), "version", version)));
  }
  std::string text;
  for (int v : applied) text += "applied: " + std::to_string(v) + " " + migration_name(v) + "\n";
  out.text(text + "version: " + std::to_string(version) + "\n");
}

Task<CommandResult> db_migrate(Context& ctx) {
  auto applied = co_await schema::migrate(ctx.db);
  if (!applied) co_return applied.take_error();
  // migrate() brings the database to the newest version this build knows.
  print_migrated(ctx.out, *applied, schema::known_version());
  co_return kExitOk;
}

const char* schema_state(int known, int database) {
  if (database == known) return "ok";
  return database < known ? "pending" : "ahead";
}

Task<CommandResult> db_status(Context& ctx) {
  auto database = co_await schema::database_version(ctx.db);
  if (!database) co_return database.take_error();
  const int known = schema::known_version();
  const char* state = schema_state(known, *database);
  if (ctx.out.json()) {
    ctx.out.document(Json(json_pack("{s:i, s:i, s:s}", "known_version", known, "database_version",
                                    *database, "state", state)));
  } else {
    ctx.out.text("known_version: " + std::to_string(known) +
                 "\ndatabase_version: " + std::to_string(*database) + "\nstate: " + state + "\n");
  }
  // A status, not an error: printed either way, but scripts (and deployment
  // checks) can test the exit status instead of parsing the output.
  co_return *database == known ? kExitOk : kExitSchema;
}

}  // namespace

Task<CommandResult> run_db_command(Context& ctx) {
  switch (ctx.invocation.command->id) {
    case CommandId::db_migrate:
      co_return co_await db_migrate(ctx);
    case CommandId::db_status:
      co_return co_await db_status(ctx);
    default:
      co_return make_error(kErrGeneric, "internal error: not a db command");
  }
}

}  // namespace sora::admin
