// One libpq connection driven by the process loop (internal to the core).
//
// Every step is non-blocking: the connection is established with
// PQconnectPoll and queries are sent with PQsendQuery(Params), each wait being
// a uv_poll on PQsocket() bounded by a deadline in loop milliseconds
// (uv_now()). A connection serves one coroutine at a time; the pool in pg.cc
// hands it out and takes it back.
#pragma once

#include <libpq-fe.h>
#include <uv.h>

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "libsora-db/uv-handle.h"
#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora {

class PoolTarget;

using PgConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

class DbConnection {
 public:
  DbConnection(std::weak_ptr<PoolTarget> target, std::int64_t query_timeout_ms);
  ~DbConnection();
  DbConnection(const DbConnection&) = delete;
  DbConnection& operator=(const DbConnection&) = delete;

  // kErrTemporary naming the server when it cannot be reached by `deadline`.
  Task<Status> connect(std::string conninfo, std::uint64_t deadline);

  // Runs one statement (with parameters: extended protocol, so exactly one;
  // without: simple protocol, so a migration script of several statements
  // works and the last result is returned). SQL errors keep the connection;
  // a lost server or a timeout breaks it.
  Task<Result<DbResult>> exec(std::string sql, DbParams params, std::uint64_t deadline);

  // False once the server went away or a query was abandoned mid-way.
  bool usable() const;
  // True when the server went away (as opposed to being given up on by us).
  bool lost() const { return lost_; }
  void mark_broken() { broken_ = true; }
  // "host:port/dbname", for messages.
  std::string server() const;
  // The deadline of a query that starts now.
  std::uint64_t query_deadline() const;

  const std::weak_ptr<PoolTarget>& target() const { return target_; }
  // Set when a DbTransaction was dropped: the pool rolls back before reuse.
  bool needs_rollback = false;

 private:
  enum class Io { ready, timeout, error };
  class Wait;
  friend class Wait;

  Wait wait_for(int events, std::uint64_t deadline);
  bool arm(int events, std::uint64_t deadline);
  void disarm();
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_timer(uv_timer_t* handle);
  void wake(Io io, int revents);

  Task<Status> flush(std::uint64_t deadline);
  Task<Result<DbResult>> collect(std::uint64_t deadline);
  Error io_failure(Io io, std::string_view doing);
  Error connection_error(std::string_view doing);

  PgConnPtr conn_{nullptr, &PQfinish};
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> timer_;
  std::coroutine_handle<> waiter_;
  Io io_ = Io::ready;
  int revents_ = 0;
  bool broken_ = false;
  bool lost_ = false;
  // From sending a query until its last result is read. Still set when the
  // coroutine running exec() was destroyed mid-way: the connection has an
  // answer coming that nobody will read, so it is not usable again.
  bool busy_ = false;
  std::weak_ptr<PoolTarget> target_;
  std::int64_t query_timeout_ms_;
};

// The Error of a result whose status is not COMMAND_OK or TUPLES_OK:
// "SQLSTATE 23505: duplicate key value violates ..."; unique violations map
// to kErrExists, serialization failures and resource shortages to
// kErrTemporary, the rest to kErrGeneric.
Error sql_error(const PGresult* r);

// The SQLSTATE in the message of an Error made by sql_error, or "".
std::string_view sqlstate_of(const Error& e);

}  // namespace sora
