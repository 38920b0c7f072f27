// Tests of the PostgreSQL layer against a live server: SORA_TEST_CONNINFO
// names a throwaway database (its Sora tables are dropped and recreated).
// Without it the program exits 77, automake's SKIP.
#include <chrono>
#include <coroutine>
#include <exception>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "libsora-db/accounts.h"
#include "libsora-db/schema.h"
#include "sora/db.h"
#include "sora/loop.h"
#include "sora/task.h"

// Last: cmocka.h defines macros (fail) that break C++ headers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {  // cmocka.h declares its functions without C linkage
#include <cmocka.h>
}

using namespace sora;

namespace {

const char* g_conninfo = nullptr;

DbSettings settings(int pool_size = 4) {
  DbSettings s;
  s.conninfo = g_conninfo;
  s.pool_size = pool_size;
  s.query_timeout_ms = 5000;
  return s;
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

std::int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `body` on the loop, then lets every close callback run, so the
// sanitizers see no handle left behind.
void run(Task<void> body) {
  run_until_done(std::move(body));
  uv_run(loop(), UV_RUN_DEFAULT);
}

Task<void> exec_ok(Db& db, const char* sql) {
  auto r = co_await db.query(sql);
  if (!r) std::fprintf(stderr, "%s: %s\n", sql, r.error().message.c_str());
  assert_true(r.ok());
}

// Every table of every migration goes, whatever later migrations add.
Task<void> wipe(Db& db) {
  co_await exec_ok(db, "DROP SCHEMA public CASCADE");
  co_await exec_ok(db, "CREATE SCHEMA public");
}

// ---- queries ----

Task<void> params_and_nulls() {
  auto db = make_db_pool(settings());
  auto r = co_await db->query("SELECT $1::int + 1, $2::text IS NULL, $3::text, $2::text",
                              db_params("41", std::nullopt, "caf\xc3\xa9"));
  assert_true(r.ok());
  assert_int_equal(r->rows(), 1);
  assert_int_equal(r->int64(0, 0), 42);
  assert_true(r->boolean(0, 1));
  assert_string_equal(r->str(0, 2).c_str(), "caf\xc3\xa9");
  assert_true(r->is_null(0, 3));
  auto replica = co_await db->query("SELECT 7", {}, DbTarget::replica);  // falls back to the primary
  assert_true(replica.ok());
  assert_int_equal(replica->int64(0, 0), 7);
}
void test_params_and_nulls(void**) { run(params_and_nulls()); }

Task<void> sql_error_carries_sqlstate() {
  auto db = make_db_pool(settings(1));
  auto r = co_await db->query("SELECT 1 / $1::int", db_params("0"));
  assert_false(r.ok());
  assert_true(contains(r.error().message, "SQLSTATE 22012"));
  assert_true(contains(r.error().message, "division by zero"));
  auto syntax = co_await db->query("SELEKT 1");
  assert_false(syntax.ok());
  assert_true(contains(syntax.error().message, "SQLSTATE 42601"));
  // The only connection survived both errors.
  auto ok = co_await db->query("SELECT 1");
  assert_true(ok.ok());
}
void test_sql_error(void**) { run(sql_error_carries_sqlstate()); }

Task<void> one_sleeper(Db& db, int* done, std::set<std::int64_t>* backends) {
  auto r = co_await db.query("SELECT pg_backend_pid(), pg_sleep(0.05), $1::int", db_params(std::to_string(*done)));
  if (!r) co_return;
  ++*done;
  backends->insert(r->int64(0, 0));
}

Task<void> pool_exhaustion() {
  auto db = make_db_pool(settings(2));
  int done = 0;
  std::set<std::int64_t> backends;
  Scope scope;
  for (int i = 0; i < 12; ++i) scope.spawn(one_sleeper(*db, &done, &backends));
  co_await scope.join();
  assert_int_equal(done, 12);
  assert_int_equal(backends.size(), 2);
}
void test_pool_exhaustion(void**) { run(pool_exhaustion()); }

Task<void> query_timeout() {
  DbSettings s = settings(1);
  s.query_timeout_ms = 300;
  auto db = make_db_pool(s);
  auto t0 = std::chrono::steady_clock::now();
  auto slow = co_await db->query("SELECT pg_sleep(3)");
  assert_false(slow.ok());
  assert_int_equal(slow.error().code, kErrTimeout);
  assert_true(ms_since(t0) < 2000);
  // The abandoned connection was dropped; a new one serves the next query,
  // and the server was told to stop the old one.
  co_await sleep_for(std::chrono::milliseconds(200));
  auto next = co_await db->query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(3)'"
                                 " AND state = 'active'");
  assert_true(next.ok());
  assert_int_equal(next->int64(0, 0), 0);
}
void test_query_timeout(void**) { run(query_timeout()); }

// A coroutine that starts at once and whose frame the test destroys while it
// is suspended: what a session's cancelled task looks like to the pool.
struct Abandonable {
  struct promise_type {
    Abandonable get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

Abandonable slow_query(Db& db) { (void)co_await db.query("SELECT pg_sleep(3)"); }

Abandonable slow_query_in(DbTransaction& tx) { (void)co_await tx.query("SELECT pg_sleep(3)"); }

Task<void> abandoned_queries() {
  auto db = make_db_pool(settings(1));
  // A query whose coroutine is destroyed mid-way: its connection must not
  // keep the only pool slot (the next query would wait for query_timeout and
  // fail with "all 1 connections stayed busy").
  Abandonable q = slow_query(*db);
  co_await sleep_for(std::chrono::milliseconds(300));
  q.h.destroy();
  auto t0 = std::chrono::steady_clock::now();
  auto next = co_await db->query("SELECT 1");
  if (!next) std::fprintf(stderr, "after an abandoned query: %s\n", next.error().message.c_str());
  assert_true(next.ok());
  assert_true(ms_since(t0) < 2000);
  // The same inside a transaction that is then dropped: the connection still
  // has the query in flight, so it must be closed, not rolled back and reused
  // (ROLLBACK would fail as "connection lost" and pause reconnects).
  {
    auto tx = co_await db->begin();
    assert_true(tx.ok());
    Abandonable tq = slow_query_in(*tx);
    co_await sleep_for(std::chrono::milliseconds(300));
    tq.h.destroy();
  }
  auto after = co_await db->query("SELECT 2");
  if (!after) std::fprintf(stderr, "after an abandoned transaction: %s\n", after.error().message.c_str());
  assert_true(after.ok());
  assert_int_equal(after->int64(0, 0), 2);
}
void test_abandoned_queries(void**) { run(abandoned_queries()); }

// ---- transactions ----

Task<void> transactions() {
  auto db = make_db_pool(settings(1));  // one connection: a leaked transaction would show
  co_await wipe(*db);
  co_await exec_ok(*db, "CREATE TABLE sora_test_t (v int)");
  {
    auto tx = co_await db->begin();
    assert_true(tx.ok());
    assert_true((co_await tx->query("INSERT INTO sora_test_t VALUES ($1)", db_params("1"))).ok());
    assert_true((co_await tx->commit()).ok());
    assert_false((co_await tx->query("SELECT 1")).ok());  // finished
  }
  {
    auto tx = co_await db->begin();
    assert_true(tx.ok());
    assert_true((co_await tx->query("INSERT INTO sora_test_t VALUES (2)")).ok());
  }  // dropped: the pool rolls back before the connection serves anyone else
  auto count = co_await db->query("SELECT count(*), now() = statement_timestamp() FROM sora_test_t");
  assert_true(count.ok());
  assert_int_equal(count->int64(0, 0), 1);
  assert_true(count->boolean(0, 1));  // not inside the dropped transaction
  {
    auto tx = co_await db->begin();
    assert_true(tx.ok());
    assert_false((co_await tx->query("SELECT 1 / 0")).ok());
    auto s = co_await tx->commit();
    assert_false(s.ok());  // COMMIT of a failed transaction is a ROLLBACK
    assert_true(contains(s.error().message, "rolled back"));
  }
  {
    auto tx = co_await db->begin();
    assert_true((co_await tx->query("INSERT INTO sora_test_t VALUES (3)")).ok());
    assert_true((co_await tx->rollback()).ok());
  }
  count = co_await db->query("SELECT count(*) FROM sora_test_t");
  assert_int_equal(count->int64(0, 0), 1);
  co_await exec_ok(*db, "DROP TABLE sora_test_t");
}
void test_transactions(void**) { run(transactions()); }

// ---- schema ----

Task<void> concurrent_migrate(Db& db, std::size_t* applied) {
  auto r = co_await schema::migrate(db);
  assert_true(r.ok());
  *applied += r->size();
}

Task<void> migrations() {
  auto db = make_db_pool(settings());
  co_await wipe(*db);
  assert_true(schema::known_version() >= 1);
  auto v = co_await schema::database_version(*db);
  assert_true(v.ok());
  assert_int_equal(*v, 0);
  auto behind = co_await schema::check(*db);
  assert_false(behind.ok());
  assert_int_equal(behind.error().code, kErrSchema);
  assert_true(contains(behind.error().message, "version 0"));
  assert_true(contains(behind.error().message, "sora-admin db migrate"));

  // Two at once: the advisory lock lets one do the work.
  std::size_t applied = 0;
  Scope scope;
  scope.spawn(concurrent_migrate(*db, &applied));
  scope.spawn(concurrent_migrate(*db, &applied));
  co_await scope.join();
  assert_int_equal(applied, schema::migrations().size());
  auto again = co_await schema::migrate(*db);
  assert_true(again.ok());
  assert_int_equal(again->size(), 0);
  assert_true((co_await schema::check(*db)).ok());

  co_await exec_ok(*db, "INSERT INTO sora_schema_migrations (version, name) VALUES (9999, 'future')");
  auto ahead = co_await schema::check(*db);
  assert_false(ahead.ok());
  assert_true(contains(ahead.error().message, "9999"));
  assert_true(contains(ahead.error().message, "upgrade Sora"));
  auto refused = co_await schema::migrate(*db);
  assert_false(refused.ok());
  assert_int_equal(refused.error().code, kErrSchema);
  co_await exec_ok(*db, "DELETE FROM sora_schema_migrations WHERE version = 9999");
}
void test_migrations(void**) { run(migrations()); }

// ---- accounts ----

void test_normalize_address(void**) {
  auto ok = accounts::normalize_address("Jo.Smith+Tag@Example.ORG");
  assert_true(ok.ok());
  assert_string_equal(ok->c_str(), "jo.smith+tag@example.org");
  auto utf8 = accounts::normalize_address("J\xc3\x96rg@B\xc3\xa4r.de");
  assert_true(utf8.ok());
  assert_string_equal(utf8->c_str(), "j\xc3\x96rg@b\xc3\xa4r.de");
  for (const char* bad : {"", "nobody", "a@b@c", "@example.org", "user@", "us er@x.org", "a\t@x.org", "a@x.org "}) {
    auto r = accounts::normalize_address(bad);
    assert_false(r.ok());
    assert_int_equal(r.error().code, kErrInvalid);
  }
  assert_false(accounts::normalize_address(std::string(250, 'a') + "@b.cd").ok());
  assert_true(accounts::normalize_address(std::string(249, 'a') + "@b.cd").ok());
}

Task<void> accounts_end_to_end() {
  auto db = make_db_pool(settings());
  co_await wipe(*db);
  assert_true((co_await schema::migrate(*db)).ok());
  accounts::AccountStore store(*db);

  auto alice = co_await store.create("Alice@Example.COM", "{SHA512}x", "Alice");
  assert_true(alice.ok());
  assert_string_equal(alice->primary_address.c_str(), "alice@example.com");
  assert_int_equal(alice->credentials.size(), 1);
  assert_true(alice->credentials[0].primary);
  assert_false(alice->deleted_at.has_value());

  auto dup = co_await store.create("ALICE@example.com", "h", "");
  assert_false(dup.ok());
  assert_int_equal(dup.error().code, kErrExists);
  assert_true(contains(dup.error().message, "alice@example.com"));

  auto alias = co_await store.add_credential("alice@example.com", "Postmaster@Example.com", "h2");
  assert_true(alias.ok());
  assert_string_equal(alias->address.c_str(), "postmaster@example.com");
  assert_false(alias->primary);
  auto taken = co_await store.add_credential("alice@example.com", "POSTMASTER@example.com", "h3");
  assert_int_equal(taken.error().code, kErrExists);
  auto creds = co_await store.list_credentials("postmaster@example.com");
  assert_true(creds.ok());
  assert_int_equal(creds->size(), 2);
  assert_true((*creds)[0].primary);

  auto by_alias = co_await store.show("POSTMASTER@example.com");
  assert_true(by_alias.ok());
  assert_int_equal(by_alias->id, alice->id);

  auto primary = co_await store.delete_credential("alice@example.com");
  assert_false(primary.ok());
  assert_int_equal(primary.error().code, kErrInvalid);
  assert_true(contains(primary.error().message, "primary"));
  assert_true((co_await store.delete_credential("postmaster@example.com")).ok());
  assert_int_equal((co_await store.delete_credential("postmaster@example.com")).error().code, kErrNotFound);

  // The primary moves to an alias, then to a new address.
  assert_true((co_await store.add_credential("alice@example.com", "al@example.com", "h4")).ok());
  accounts::AccountUpdate to_alias;
  to_alias.new_primary = "AL@example.com";
  to_alias.display_name = "Alice L.";
  auto moved = co_await store.update("alice@example.com", to_alias);
  assert_true(moved.ok());
  assert_string_equal(moved->primary_address.c_str(), "al@example.com");
  assert_string_equal(moved->display_name.c_str(), "Alice L.");
  assert_int_equal(moved->credentials.size(), 2);
  accounts::AccountUpdate to_new;
  to_new.new_primary = "alice.l@example.com";
  to_new.password_hash = "h5";
  auto renamed = co_await store.update("al@example.com", to_new);
  assert_true(renamed.ok());
  assert_string_equal(renamed->primary_address.c_str(), "alice.l@example.com");
  assert_string_equal(renamed->display_name.c_str(), "Alice L.");
  assert_true((co_await store.create("bob@example.com", "hb", "Bob")).ok());
  accounts::AccountUpdate steal;
  steal.new_primary = "bob@example.com";
  assert_int_equal((co_await store.update("alice.l@example.com", steal)).error().code, kErrExists);

  // Soft delete and restore.
  auto removed = co_await store.remove("alice@example.com");
  assert_true(removed.ok());
  assert_true(removed->deleted_at.has_value());
  assert_int_equal((co_await store.remove("alice@example.com")).error().code, kErrInvalid);
  auto live = co_await store.list(false);
  assert_int_equal(live->size(), 1);
  auto all = co_await store.list(true);
  assert_int_equal(all->size(), 2);
  auto deleted_dup = co_await store.create("alice@example.com", "h", "");
  assert_int_equal(deleted_dup.error().code, kErrExists);
  assert_true(contains(deleted_dup.error().message, "deleted"));
  auto restored = co_await store.restore("alice@example.com");
  assert_true(restored.ok());
  assert_false(restored->deleted_at.has_value());
  assert_int_equal((co_await store.restore("alice@example.com")).error().code, kErrInvalid);
  assert_int_equal((co_await store.show("nobody@example.com")).error().code, kErrNotFound);
}
void test_accounts(void**) { run(accounts_end_to_end()); }

// ---- reconnect ----

Task<void> unreachable_server() {
  DbSettings s;
  s.conninfo = "host=127.0.0.1 port=1 dbname=sora";  // nothing listens on port 1
  s.reconnect_min_ms = 2000;
  auto db = make_db_pool(s);
  auto t0 = std::chrono::steady_clock::now();
  auto first = co_await db->query("SELECT 1");
  assert_false(first.ok());
  assert_int_equal(first.error().code, kErrTemporary);
  assert_true(contains(first.error().message, "127.0.0.1"));
  assert_true(ms_since(t0) < 1000);
  auto t1 = std::chrono::steady_clock::now();
  auto second = co_await db->query("SELECT 1");
  assert_false(second.ok());
  assert_int_equal(second.error().code, kErrTemporary);
  assert_true(contains(second.error().message, "next attempt in"));
  assert_true(ms_since(t1) < 50);
}
void test_unreachable_server(void**) { run(unreachable_server()); }

}  // namespace

int main() {
  g_conninfo = std::getenv("SORA_TEST_CONNINFO");
  if (!g_conninfo || !*g_conninfo) {
    std::printf("db-test: SORA_TEST_CONNINFO is not set (a libpq conninfo of a throwaway database); skipped\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalize_address), cmocka_unit_test(test_params_and_nulls),
      cmocka_unit_test(test_sql_error),         cmocka_unit_test(test_pool_exhaustion),
      cmocka_unit_test(test_query_timeout),     cmocka_unit_test(test_transactions),
      cmocka_unit_test(test_migrations),        cmocka_unit_test(test_accounts),
      cmocka_unit_test(test_unreachable_server), cmocka_unit_test(test_abandoned_queries),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
