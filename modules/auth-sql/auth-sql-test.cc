// Unit tests of the auth-sql module: the built .so is dlopen()ed as the daemon
// would, given a fake context and a fake database that answers with canned
// PGresults.
#include <dlfcn.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sora/auth.h"
#include "sora/db.h"
#include "sora/loop.h"
#include "sora/module.h"
#include "sora/net.h"
#include "sora/password.h"

// After the Sora headers: cmocka defines a fail() macro, and ModuleContext has
// a fail() method (spelled "(fail)" below to keep the macro away).
extern "C" {
#include <cmocka.h>
}

namespace sora {
namespace {

// A database that records what it was asked and answers with `reply`.
class FakeDb final : public Db {
 public:
  struct Call {
    std::string sql;
    DbParams params;
    DbTarget target;
  };
  std::vector<Call> calls;
  Result<DbResult> reply = DbResult();

  Task<Result<DbResult>> query(std::string_view sql, DbParams params, DbTarget target) override {
    calls.push_back({std::string(sql), std::move(params), target});
    co_return reply;
  }
  Task<Result<DbTransaction>> begin() override {
    fail_msg("auth-sql must not open transactions");
    return {};
  }
};

class FakeContext final : public ModuleContext {
 public:
  const sora_module_t* descriptor = nullptr;
  FakeDb database;
  std::unique_ptr<AuthBackend> backend;
  std::string backend_name;
  std::string failure;

  const sora_module_t& module() const override { return *descriptor; }
  const Config::Section& config() const override { return section_; }
  const Config& full_config() const override { return config_; }
  void(fail)(std::string message) override { failure = std::move(message); }
  bool register_auth_backend(std::string name, std::unique_ptr<AuthBackend> b) override {
    if (backend) return false;
    backend_name = std::move(name);
    backend = std::move(b);
    return true;
  }
  bool register_protocol(std::string, std::unique_ptr<Protocol>) override { return false; }
  Db& db() override { return database; }

 private:
  Config::Section section_;
  Config config_;
};

// One row of the lookup: account id, credential, primary address, hash.
DbResult row(const char* id, const char* credential, const char* primary, const std::string& hash) {
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  PGresAttDesc cols[4] = {};
  const char* names[4] = {"account_id", "address", "coalesce", "password_hash"};
  for (int i = 0; i < 4; ++i) cols[i].name = const_cast<char*>(names[i]);
  assert_int_equal(PQsetResultAttrs(r, 4, cols), 1);
  const char* values[4] = {id, credential, primary, hash.c_str()};
  for (int i = 0; i < 4; ++i)
    assert_int_equal(PQsetvalue(r, 0, i, const_cast<char*>(values[i]), static_cast<int>(std::strlen(values[i]))), 1);
  return DbResult(r);
}

DbResult no_rows() { return DbResult(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK)); }

struct Fixture {
  void* handle = nullptr;
  const sora_module_t* module = nullptr;
  FakeContext ctx;
};

int setup(void** state) {
  auto* f = new Fixture;
  f->handle = dlopen(AUTH_SQL_SO, RTLD_NOW | RTLD_LOCAL);
  if (!f->handle) {
    print_error("dlopen %s: %s\n", AUTH_SQL_SO, dlerror());
    delete f;
    return -1;
  }
  f->module = static_cast<const sora_module_t*>(dlsym(f->handle, "sora_module"));
  f->ctx.descriptor = f->module;
  *state = f;
  return f->module ? 0 : -1;
}

int teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  // The backend's code lives in the .so: destroy it before unloading.
  f->ctx.backend.reset();
  if (f->module && f->module->fini) f->module->fini(&f->ctx);
  dlclose(f->handle);
  delete f;
  return 0;
}

Fixture& started(void** state) {
  auto& f = *static_cast<Fixture*>(*state);
  assert_int_equal(f.module->init(&f.ctx), 0);
  assert_int_equal(f.module->start(&f.ctx), 0);
  assert_non_null(f.ctx.backend.get());
  return f;
}

AuthResult run(AuthBackend& backend, const AuthRequest& request) {
  AuthResult result;
  run_until_done([](AuthBackend& b, const AuthRequest& r, AuthResult& out) -> Task<void> {
    out = co_await b.authenticate(r);
  }(backend, request, result));
  return result;
}

AuthRequest request(std::string user, std::string password) {
  AuthRequest r;
  r.username = std::move(user);
  r.password = std::move(password);
  r.service = "imap";
  r.remote_ip = "192.0.2.7";
  return r;
}

std::string bcrypt(const char* password) {
  auto h = password::hash(password, password::Scheme::bcrypt, 4);
  assert_true(h.ok());
  return *h;
}

void test_descriptor(void** state) {
  auto& f = *static_cast<Fixture*>(*state);
  const sora_module_t& m = *f.module;
  assert_int_equal(m.abi_version, SORA_MODULE_ABI_VERSION);
  assert_int_equal(m.struct_size, sizeof(sora_module_t));
  assert_string_equal(m.build_signature, SORA_BUILD_SIGNATURE);
  assert_string_equal(m.name, "auth-sql");
  assert_string_equal(m.kind, "auth");
  assert_int_equal(m.config_key_count, 1);
  assert_string_equal(m.config_keys[0].name, "use_replica");
  assert_true(m.config_keys[0].type == ConfigType::boolean);
  assert_string_equal(m.config_keys[0].default_value, "no");
  assert_true(m.config_keys[0].flags & kConfigReloadable);
  assert_non_null(m.init);
  assert_non_null(m.start);
  assert_non_null(m.stop);
  assert_non_null(m.fini);
}

void test_registers_sql_backend(void** state) {
  auto& f = started(state);
  assert_string_equal(f.ctx.backend_name.c_str(), "sql");
}

void test_right_password(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = row("42", "alias@example.org", "user@example.org", bcrypt("secret"));
  AuthResult r = run(*f.ctx.backend, request("Alias@Example.org", "secret"));
  assert_true(r.status == AuthResult::Status::ok);
  assert_int_equal(r.account_id, 42);
  assert_string_equal(r.primary_address.c_str(), "user@example.org");
  assert_string_equal(r.credential.c_str(), "alias@example.org");
  // One parameterised query to the primary (use_replica defaults to no);
  // lower-casing is the query's job.
  assert_int_equal(f.ctx.database.calls.size(), 1);
  const auto& call = f.ctx.database.calls[0];
  assert_true(call.target == DbTarget::primary);
  assert_int_equal(call.params.size(), 1);
  assert_string_equal(call.params[0]->c_str(), "Alias@Example.org");
  assert_true(call.sql.find("lower($1)") != std::string::npos);
  assert_true(call.sql.find("deleted_at IS NULL") != std::string::npos);
}

void test_wrong_password(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = row("42", "user@example.org", "user@example.org", "{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==");
  AuthResult r = run(*f.ctx.backend, request("user@example.org", "Secret"));
  assert_true(r.status == AuthResult::Status::failed);
  assert_int_equal(r.account_id, 0);
}

void test_unknown_user_costs_a_bcrypt(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = no_rows();
  auto t0 = std::chrono::steady_clock::now();
  AuthResult r = run(*f.ctx.backend, request("nobody@example.org", "secret"));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  assert_true(r.status == AuthResult::Status::failed);
  // The dummy hash is cost 10: well over 10 ms on any machine.
  assert_true(elapsed > std::chrono::milliseconds(10));
}

void test_database_error_is_temporary(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = make_error(kErrTemporary, "postgresql: connection refused");
  AuthResult r = run(*f.ctx.backend, request("user@example.org", "secret"));
  assert_true(r.status == AuthResult::Status::temporary_failure);
  assert_string_equal(r.reason.c_str(), "postgresql: connection refused");
}

void test_malformed_hash_fails(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = row("7", "user@example.org", "user@example.org", "{SSHA512}not-base64!");
  AuthResult r = run(*f.ctx.backend, request("user@example.org", "hunter2-secret"));
  assert_true(r.status == AuthResult::Status::failed);
  assert_true(r.reason.find("SSHA512") != std::string::npos);
  assert_true(r.reason.find("hunter2") == std::string::npos);
  assert_true(r.reason.find("not-base64") == std::string::npos);
}

void test_unusable_user_names_skip_the_database(void** state) {
  auto& f = started(state);
  f.ctx.database.reply = row("1", "a@b.c", "a@b.c", bcrypt("secret"));
  for (std::string name : {std::string("a@b.c\0x", 7), std::string("\xC3\x28@b.c"), std::string(),
                           std::string(300, 'a')}) {
    AuthResult r = run(*f.ctx.backend, request(name, "secret"));
    assert_true(r.status == AuthResult::Status::failed);
  }
  assert_int_equal(f.ctx.database.calls.size(), 0);
}

void test_not_started_is_temporary(void** state) {
  auto& f = *static_cast<Fixture*>(*state);
  assert_int_equal(f.module->init(&f.ctx), 0);
  AuthResult r = run(*f.ctx.backend, request("user@example.org", "secret"));
  assert_true(r.status == AuthResult::Status::temporary_failure);
  assert_int_equal(f.ctx.database.calls.size(), 0);
}

void test_authenticate_without_backend_is_temporary(void**) {
  AuthResult result;
  AuthRequest req = request("user@example.org", "secret");
  run_until_done([](const AuthRequest& r, AuthResult& out) -> Task<void> {
    out = co_await sora::authenticate(r);
  }(req, result));
  assert_true(result.status == AuthResult::Status::temporary_failure);
  assert_false(result.reason.empty());
}

}  // namespace
}  // namespace sora

int main() {
  using namespace sora;
  const CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registers_sql_backend, setup, teardown),
      cmocka_unit_test_setup_teardown(test_right_password, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_user_costs_a_bcrypt, setup, teardown),
      cmocka_unit_test_setup_teardown(test_database_error_is_temporary, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_hash_fails, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unusable_user_names_skip_the_database, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_started_is_temporary, setup, teardown),
      cmocka_unit_test(test_authenticate_without_backend_is_temporary),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
