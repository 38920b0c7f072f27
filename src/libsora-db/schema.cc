#include "libsora-db/schema.h"

#include <string>

#include "libsora-db/migration-list.h"

namespace sora::schema {

namespace {

// Serialises migrations across every node and sora-admin run: "sora" in ASCII.
constexpr const char* kMigrationLockKey = "1936683617";

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS sora_schema_migrations ("
    " version int PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

Error newer_database(int db_version) {
  return make_error(kErrSchema, "the database schema is version " + std::to_string(db_version) +
                                    ", newer than this build of Sora knows (version " +
                                    std::to_string(known_version()) + "): upgrade Sora");
}

// Works on the Db and inside a DbTransaction alike. An empty database is
// version 0; tables without our bookkeeping mean a database of someone else.
template <class Runner>
Task<Result<int>> read_version(Runner& db) {
  auto has = co_await db.query(
      "SELECT to_regclass('sora_schema_migrations') IS NOT NULL,"
      " (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema())");
  if (!has) co_return has.take_error();
  if (!has->boolean(0, 0)) {
    if (has->int64(0, 1) == 0) co_return 0;
    co_return make_error(kErrSchema,
                         "the database has tables but no sora_schema_migrations: it is not a Sora "
                         "database; point [postgresql] conninfo at an empty or a Sora database");
  }
  auto v = co_await db.query("SELECT coalesce(max(version), 0) FROM sora_schema_migrations");
  if (!v) co_return v.take_error();
  co_return static_cast<int>(v->int64(0, 0));
}

Task<Result<std::vector<int>>> apply_newer(DbTransaction& tx, int from) {
  std::vector<int> applied;
  for (const Migration& m : migrations()) {
    if (m.version <= from) continue;
    if (auto r = co_await tx.query(m.sql); !r) {
      co_return make_error(r.error().code, "migration " + std::to_string(m.version) + " (" + m.name +
                                               ") failed, nothing was changed: " + r.error().message);
    }
    auto r = co_await tx.query("INSERT INTO sora_schema_migrations (version, name) VALUES ($1, $2)",
                               db_params(std::to_string(m.version), std::string(m.name)));
    if (!r) co_return r.take_error();
    applied.push_back(m.version);
  }
  co_return applied;
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all(kCompiledMigrations, kCompiledMigrations + kCompiledMigrationCount);
  return all;
}

int known_version() { return migrations().empty() ? 0 : migrations().back().version; }

Task<Result<int>> database_version(Db& db) { co_return co_await read_version(db); }

Task<Result<std::vector<int>>> migrate(Db& db) {
  auto tx = co_await db.begin();
  if (!tx) co_return tx.take_error();
  // Held to the end of the transaction: a second migrate waits, then finds
  // the work done.
  if (auto r = co_await tx->query("SELECT pg_advisory_xact_lock($1)", db_params(kMigrationLockKey)); !r) {
    co_return r.take_error();
  }
  auto version = co_await read_version(*tx);
  if (!version) co_return version.take_error();
  if (*version > known_version()) co_return newer_database(*version);
  if (auto r = co_await tx->query(kCreateTable); !r) co_return r.take_error();
  auto applied = co_await apply_newer(*tx, *version);
  if (!applied) co_return applied;
  if (auto s = co_await tx->commit(); !s) co_return s.take_error();
  co_return applied;
}

Task<Status> check(Db& db) {
  auto version = co_await read_version(db);
  if (!version) co_return version.take_error();
  int known = known_version();
  if (*version > known) co_return newer_database(*version);
  if (*version < known) {
    co_return make_error(kErrSchema, "the database schema is version " + std::to_string(*version) +
                                         ", this build of Sora needs version " + std::to_string(known) +
                                         ": run `sora-admin db migrate`");
  }
  co_return Status{};
}

}  // namespace sora::schema
