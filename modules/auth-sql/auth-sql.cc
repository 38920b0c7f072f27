// auth-sql: checks passwords against the credentials table (sql/0001-accounts.sql).
// Registers the auth backend "sql".
#include <uv.h>

#include <charconv>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "sora/auth.h"
#include "sora/config.h"
#include "sora/db.h"
#include "sora/log.h"
#include "sora/loop.h"
#include "sora/module.h"
#include "sora/password.h"

namespace sora {

namespace {

constexpr const char* kModuleName = "auth-sql";
constexpr const char* kBackendName = "sql";

const ConfigKey kConfigKeys[] = {
    {"use_replica", ConfigType::boolean, "no", 0, 0, nullptr, kConfigReloadable,
     "verify passwords against the read-only replica when one is configured"},
};

// Verified when the user does not exist, so an unknown address costs what a
// known one does and response times do not reveal which addresses exist. Cost
// 10 is [auth] bcrypt_cost's default; made by
// python3 -c "import crypt; print(crypt.crypt('sora-dummy-password-never-matches',
//             crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))"
constexpr std::string_view kDummyHash = "$2b$10$IvHSALrt.WR62FHhMlbGQeTYsf/y1/lX2gnipajQWqnHQniHvC01i";

// An address is at most 254 bytes (RFC 5321 path limit less the brackets).
constexpr std::size_t kMaxUserName = 254;

// The credential the client named, its account's primary address (the
// canonical user name) and its hash; soft-deleted accounts cannot log in.
constexpr std::string_view kLookupSql =
    "SELECT c.account_id, c.address, COALESCE(p.address, c.address), c.password_hash"
    "  FROM credentials c"
    "  JOIN accounts a ON a.id = c.account_id"
    "  LEFT JOIN credentials p ON p.account_id = c.account_id AND p.is_primary"
    " WHERE c.address = lower($1) AND a.deleted_at IS NULL";

// The process's module state: init runs once in the supervisor, start and stop
// in each worker after fork, so each worker has its own copy.
struct ModuleState {
  ModuleContext* ctx = nullptr;
  Db* db = nullptr;  // from start to stop
};
ModuleState g_state;

// Valid UTF-8 with no NUL: libpq passes parameters as C strings (a NUL would
// cut the name short) and PostgreSQL rejects invalid UTF-8 with an error that
// would otherwise look like a database failure.
bool acceptable_user_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxUserName) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (c == 0 || len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// Read per request, so that a SIGHUP changing it applies at once. Looked up
// rather than asked for with boolean(), which aborts on a missing key: a test
// harness's context has no values, and "no" is the default anyway.
bool use_replica() {
  const auto& values = g_state.ctx->config().values();
  auto it = values.find("use_replica");
  return it != values.end() && it->second.number != 0;
}

AuthResult make_result(AuthResult::Status status, std::string reason) {
  AuthResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

struct Row {
  std::int64_t account_id = 0;
  std::string credential;
  std::string primary;
  std::string hash;
};

bool read_row(const DbResult& res, Row& row) {
  std::string_view id = res.text(0, 0);
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), row.account_id);
  if (ec != std::errc() || end != id.data() + id.size()) return false;
  row.credential = res.str(0, 1);
  row.primary = res.str(0, 2);
  row.hash = res.str(0, 3);
  return true;
}

// Runs on the thread pool: bcrypt takes tens of milliseconds by design.
Task<Result<bool>> verify_in_pool(const std::string& password, const std::string& stored) {
  Result<bool> verdict = make_error(kErrGeneric, "password check did not run");
  co_await run_in_pool([&] { verdict = password::verify(password, stored); });
  co_return verdict;
}

class SqlBackend final : public AuthBackend {
 public:
  Task<AuthResult> authenticate(const AuthRequest& request) override {
    try {
      co_return co_await lookup_and_verify(request);
    } catch (const std::exception& e) {
      co_return make_result(AuthResult::Status::temporary_failure,
                            std::string("auth-sql: internal error: ") + e.what());
    } catch (...) {
      co_return make_result(AuthResult::Status::temporary_failure,
                            "auth-sql: internal error");
    }
  }

 private:
  static Task<AuthResult> lookup_and_verify(const AuthRequest& request) {
    Db* db = g_state.db;
    if (db == nullptr)
      co_return make_result(AuthResult::Status::temporary_failure,
                            "auth-sql is not started in this process");

    Row row;
    bool found = false;
    if (acceptable_user_name(request.username)) {
      bool replica = use_replica();
      // Built outside the co_await: g++ 12 fails on a braced initializer
      // list inside a coroutine ("array used as initializer").
      DbParams params;
      params.emplace_back(request.username);
      auto res = co_await db->query(kLookupSql, std::move(params),
                                    replica ? DbTarget::replica : DbTarget::primary);
      if (!res.ok())
        co_return make_result(AuthResult::Status::temporary_failure, res.error().message);
      if (res->rows() > 0) {
        if (!read_row(*res, row))
          co_return make_result(AuthResult::Status::temporary_failure,
                                "auth-sql: unexpected account id from the database");
        found = true;
      }
    }

    if (!found) {
      (void)co_await verify_in_pool(request.password, std::string(kDummyHash));
      co_return make_result(AuthResult::Status::failed, "unknown user");
    }

    auto verdict = co_await verify_in_pool(request.password, row.hash);
    if (!verdict.ok()) {
      SORA_LOG_WARNING("auth-sql: account %lld (%s): %s", static_cast<long long>(row.account_id),
                       row.credential.c_str(), verdict.error().message.c_str());
      co_return make_result(AuthResult::Status::failed,
                            "unusable password hash: " + verdict.error().message);
    }
    if (!*verdict) co_return make_result(AuthResult::Status::failed, "wrong password");

    AuthResult ok;
    ok.status = AuthResult::Status::ok;
    ok.account_id = row.account_id;
    ok.primary_address = std::move(row.primary);
    ok.credential = std::move(row.credential);
    co_return ok;
  }
};

// Hooks: the loader is C-level; nothing may be thrown through it.

int module_init(ModuleContext* ctx) {
  try {
    g_state.ctx = ctx;
    if (!ctx->register_auth_backend(kBackendName, std::make_unique<SqlBackend>())) {
      ctx->fail(std::string("auth backend \"") + kBackendName +
                "\" is already registered by another module: load only one of them");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    ctx->fail(std::string("init failed: ") + e.what());
    return 1;
  } catch (...) {
    ctx->fail("init failed");
    return 1;
  }
}

int module_start(ModuleContext* ctx) {
  try {
    g_state.ctx = ctx;
    g_state.db = &ctx->db();
    return 0;
  } catch (const std::exception& e) {
    ctx->fail(std::string("start failed: ") + e.what());
    return 1;
  } catch (...) {
    ctx->fail("start failed");
    return 1;
  }
}

void module_stop(ModuleContext*) { g_state.db = nullptr; }

void module_fini(ModuleContext*) { g_state = ModuleState{}; }

}  // namespace

}  // namespace sora

SORA_MODULE_EXPORT const sora_module_t sora_module = {
    SORA_MODULE_STAMP,
    sora::kModuleName,
    "auth",
    "passwords from the credentials table in PostgreSQL (auth backend \"sql\")",
    sora::kConfigKeys,
    std::size(sora::kConfigKeys),
    nullptr,
    sora::module_init,
    sora::module_start,
    sora::module_stop,
    sora::module_fini,
    {},
};
