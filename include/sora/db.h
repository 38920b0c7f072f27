// PostgreSQL access for the core and the modules that keep state there.
//
// Every query is parameterised ($1, $2 ...) and runs through libpq's async API
// on the worker's loop; a co_await resumes on the loop thread with the result.
// A pool per worker holds at most [postgresql] pool_size connections to the
// primary and, when readonly_conninfo is set, as many to a replica.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sora/result.h"
#include "sora/task.h"

namespace sora {

// A query parameter: text, or NULL.
using DbParam = std::optional<std::string>;
using DbParams = std::vector<DbParam>;

// Builds DbParams without a braced list: g++ 12 rejects a braced list inside a
// co_await expression ("array used as initializer"), so in coroutines write
// co_await db.query(sql, db_params(address, std::nullopt)).
template <class... Args>
DbParams db_params(Args&&... args) {
  DbParams p;
  p.reserve(sizeof...(args));
  (p.emplace_back(std::forward<Args>(args)), ...);
  return p;
}

class DbResult {
 public:
  DbResult() = default;
  explicit DbResult(PGresult* r) : r_(r, &PQclear) {}

  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  int columns() const { return r_ ? PQnfields(r_.get()) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string str(int row, int col) const { return std::string(text(row, col)); }
  std::int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  int column(const char* name) const { return PQfnumber(r_.get(), name); }
  std::int64_t affected() const;  // rows changed by INSERT/UPDATE/DELETE
  PGresult* raw() const { return r_.get(); }

 private:
  std::shared_ptr<PGresult> r_;
};

// Which server a query may go to. Reads that tolerate replica lag use replica;
// it falls back to the primary when no replica is configured.
enum class DbTarget { primary, replica };

class DbConnection;

// A transaction on one pooled connection. Dropping it without commit() rolls
// it back before the connection is reused.
class DbTransaction {
 public:
  DbTransaction() = default;
  DbTransaction(DbTransaction&&) noexcept;
  DbTransaction& operator=(DbTransaction&&) noexcept;
  ~DbTransaction();

  Task<Result<DbResult>> query(std::string_view sql, DbParams params = {});
  Task<Status> commit();
  Task<Status> rollback();

 private:
  friend class Db;
  explicit DbTransaction(std::shared_ptr<DbConnection> conn);
  std::shared_ptr<DbConnection> conn_;
  bool done_ = true;
};

class Db {
 public:
  virtual ~Db() = default;

  // One statement outside a transaction.
  virtual Task<Result<DbResult>> query(std::string_view sql, DbParams params = {},
                                       DbTarget target = DbTarget::primary) = 0;
  // BEGIN on a connection of the primary, held until commit or rollback.
  virtual Task<Result<DbTransaction>> begin() = 0;

 protected:
  // For implementations: the transaction of `conn`, on which BEGIN succeeded.
  static DbTransaction adopt(std::shared_ptr<DbConnection> conn);
};

// Connection settings, from [postgresql] or from sora-admin's options.
struct DbSettings {
  std::string conninfo;           // libpq keyword=value string or postgresql:// URI
  std::string readonly_conninfo;  // empty: no replica
  int pool_size = 8;
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t query_timeout_ms = 30000;
  std::int64_t reconnect_min_ms = 100;
  std::int64_t reconnect_max_ms = 30000;
};

// The pool of this process, created on its loop. Connections are opened on
// first use and reopened with backoff when the server goes away.
std::unique_ptr<Db> make_db_pool(const DbSettings& settings);

}  // namespace sora
