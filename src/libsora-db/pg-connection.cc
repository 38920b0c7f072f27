#include "libsora-db/pg-connection.h"

#include <string.h>

#include <utility>
#include <vector>

#include "sora/log.h"
#include "sora/loop.h"

namespace sora {

namespace {

// libpq messages end with a newline and may span lines; a log line must not.
std::string one_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s.empty() ? "no further detail from libpq" : s;
}

int error_code_for(std::string_view state) {
  if (state == "23505") return kErrExists;
  if (state == "57014") return kErrTimeout;  // statement_timeout, cancel
  // Insufficient privilege, invalid authorization: the role is wrong, not the moment.
  if (state == "42501" || state.substr(0, 2) == "28") return kErrAuth;
  // Serialization failure, deadlock, lack of resources, shutdown: retry.
  if (state == "40001" || state == "40P01") return kErrTemporary;
  if (state.substr(0, 2) == "53" || state.substr(0, 2) == "57" || state.substr(0, 2) == "08") {
    return kErrTemporary;
  }
  return kErrGeneric;
}

constexpr std::string_view kSqlstatePrefix = "SQLSTATE ";

// libpq prints server notices to stderr by default; they belong in our log,
// and "relation already exists, skipping" is not worth an operator's time.
void log_notice(void*, const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  bool warning = severity && std::string_view(severity) == "WARNING";
  if (!warning && !log_enabled(LogLevel::debug)) return;
  log(warning ? LogLevel::warning : LogLevel::debug, "PostgreSQL %s: %s", severity ? severity : "NOTICE",
      primary ? primary : "");
}

// A query we gave up on would keep the server busy after we drop the
// connection. PQcancel opens a connection of its own and blocks, so it runs
// on the thread pool; the request frees itself when done.
void cancel_in_background(PGconn* conn) {
  struct Cancel {
    uv_work_t req;
    PGcancel* cancel;
  };
  PGcancel* cancel = PQgetCancel(conn);
  if (!cancel) return;
  auto* c = new Cancel{{}, cancel};
  c->req.data = c;
  int rc = uv_queue_work(
      loop(), &c->req,
      [](uv_work_t* req) {
        char err[256];
        PQcancel(static_cast<Cancel*>(req->data)->cancel, err, sizeof err);
      },
      [](uv_work_t* req, int) {
        auto* done = static_cast<Cancel*>(req->data);
        PQfreeCancel(done->cancel);
        delete done;
      });
  if (rc != 0) {
    PQfreeCancel(cancel);
    delete c;
  }
}

}  // namespace

Error sql_error(const PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string code = state ? state : "XX000";
  // DETAIL is left out on purpose: it may quote row values (password hashes).
  std::string msg = std::string(kSqlstatePrefix) + code + ": " +
                    (primary ? std::string(primary) : one_line(PQresultErrorMessage(r)));
  return make_error(error_code_for(code), std::move(msg));
}

std::string_view sqlstate_of(const Error& e) {
  std::string_view m = e.message;
  if (m.substr(0, kSqlstatePrefix.size()) != kSqlstatePrefix) return {};
  m.remove_prefix(kSqlstatePrefix.size());
  return m.substr(0, 5);
}

// Suspends until the socket is ready for `events` or the deadline passes. If
// the coroutine is destroyed while suspended, the wait is called off so the
// loop does not resume a dead frame.
class DbConnection::Wait {
 public:
  Wait(DbConnection* c, int events, std::uint64_t deadline) : c_(c), events_(events), deadline_(deadline) {}
  Wait(const Wait&) = delete;
  Wait& operator=(const Wait&) = delete;
  ~Wait() {
    if (armed_) c_->disarm();
  }
  bool await_ready() {
    armed_ = c_->arm(events_, deadline_);
    return !armed_;
  }
  void await_suspend(std::coroutine_handle<> h) { c_->waiter_ = h; }
  Io await_resume() {
    armed_ = false;
    return c_->io_;
  }

 private:
  DbConnection* c_;
  int events_;
  std::uint64_t deadline_;
  bool armed_ = false;
};

DbConnection::DbConnection(std::weak_ptr<PoolTarget> target, std::int64_t query_timeout_ms)
    : timer_(make_timer(this)), target_(std::move(target)), query_timeout_ms_(query_timeout_ms) {}

DbConnection::~DbConnection() {
  // The poll handle must stop watching the socket before PQfinish closes it.
  poll_.reset();
  timer_.reset();
  conn_.reset();
}

bool DbConnection::usable() const {
  return conn_ && !broken_ && !lost_ && !busy_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

std::uint64_t DbConnection::query_deadline() const {
  return uv_now(loop()) + static_cast<std::uint64_t>(query_timeout_ms_);
}

std::string DbConnection::server() const {
  if (!conn_) return "(no connection)";
  const char* host = PQhost(conn_.get());
  const char* port = PQport(conn_.get());
  const char* db = PQdb(conn_.get());
  std::string s = host && *host ? host : "localhost";
  if (port && *port) s += std::string(":") + port;
  if (db && *db) s += std::string("/") + db;
  return s;
}

DbConnection::Wait DbConnection::wait_for(int events, std::uint64_t deadline) {
  return Wait(this, events, deadline);
}

bool DbConnection::arm(int events, std::uint64_t deadline) {
  int fd = conn_ ? PQsocket(conn_.get()) : -1;
  if (fd < 0) {
    io_ = Io::error;
    return false;
  }
  std::uint64_t now = uv_now(loop());
  if (deadline <= now) {
    io_ = Io::timeout;
    return false;
  }
  // A poll handle lives for one wait only: libpq may close its socket in the
  // next call (lost server, next host) and a stopped handle closed later
  // would unregister whatever socket got the same number meanwhile.
  auto* p = new uv_poll_t;
  if (uv_poll_init_socket(loop(), p, fd) != 0) {
    delete p;
    io_ = Io::error;
    return false;
  }
  p->data = this;
  poll_.reset(p);
  uv_poll_start(poll_.get(), events, &DbConnection::on_poll);
  uv_timer_start(timer_.get(), &DbConnection::on_timer, deadline - now, 0);
  return true;
}

void DbConnection::disarm() {
  poll_.reset();
  uv_timer_stop(timer_.get());
  waiter_ = {};
}

void DbConnection::wake(Io io, int revents) {
  auto h = waiter_;
  disarm();
  io_ = io;
  revents_ = revents;
  if (h) h.resume();
}

void DbConnection::on_poll(uv_poll_t* handle, int status, int events) {
  // On a poll error let libpq find out what is wrong by trying both ways.
  int revents = status < 0 ? (UV_READABLE | UV_WRITABLE) : events;
  static_cast<DbConnection*>(handle->data)->wake(Io::ready, revents);
}

void DbConnection::on_timer(uv_timer_t* handle) {
  static_cast<DbConnection*>(handle->data)->wake(Io::timeout, 0);
}

Error DbConnection::connection_error(std::string_view doing) {
  lost_ = true;
  std::string detail = conn_ ? one_line(PQerrorMessage(conn_.get())) : "out of memory";
  return make_error(kErrTemporary,
                    "PostgreSQL server " + server() + ": " + std::string(doing) + ": " + detail);
}

Error DbConnection::io_failure(Io io, std::string_view doing) {
  if (io == Io::timeout) {
    broken_ = true;  // the answer may still come: this connection is done for
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) cancel_in_background(conn_.get());
    return make_error(kErrTimeout, "PostgreSQL server " + server() + ": " + std::string(doing) +
                                       ": no answer in time (see [postgresql] query_timeout)");
  }
  return connection_error(doing);
}

Task<Status> DbConnection::connect(std::string conninfo, std::uint64_t deadline) {
  const char* const keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* const values[] = {conninfo.c_str(), "sora", nullptr};
  PGconn* raw = nullptr;
  // PQconnectStartParams resolves the first host name, which may block.
  co_await run_in_pool([&] { raw = PQconnectStartParams(keys, values, 1); });
  conn_.reset(raw);
  if (conn_) PQsetNoticeReceiver(conn_.get(), &log_notice, nullptr);
  if (!conn_ || PQstatus(conn_.get()) == CONNECTION_BAD) co_return connection_error("cannot connect");
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) co_return connection_error("cannot connect");
    Io io = co_await wait_for(st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE, deadline);
    if (io == Io::timeout) {
      lost_ = true;
      co_return make_error(kErrTemporary, "PostgreSQL server " + server() +
                                              ": cannot connect: no answer in time (see "
                                              "[postgresql] connect_timeout)");
    }
    if (io == Io::error) co_return connection_error("cannot connect");
    st = PQconnectPoll(conn_.get());
  }
  if (PQsetnonblocking(conn_.get(), 1) != 0) co_return connection_error("cannot switch to non-blocking mode");
  co_return Status{};
}

Task<Result<DbResult>> DbConnection::exec(std::string sql, DbParams params, std::uint64_t deadline) {
  if (!usable()) co_return make_error(kErrTemporary, "PostgreSQL server " + server() + ": connection is gone");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  int sent = values.empty()
                 ? PQsendQuery(conn_.get(), sql.c_str())
                 : PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0);
  if (!sent) co_return connection_error("cannot send a query");
  busy_ = true;
  if (auto s = co_await flush(deadline); !s) co_return s.take_error();
  auto r = co_await collect(deadline);
  busy_ = false;
  co_return r;
}

Task<Status> DbConnection::flush(std::uint64_t deadline) {
  for (;;) {
    int r = PQflush(conn_.get());
    if (r == 0) co_return Status{};
    if (r < 0) co_return connection_error("cannot send a query");
    // The server may be waiting for us to read before it reads more.
    Io io = co_await wait_for(UV_READABLE | UV_WRITABLE, deadline);
    if (io != Io::ready) co_return io_failure(io, "sending a query");
    if ((revents_ & UV_READABLE) && !PQconsumeInput(conn_.get())) {
      co_return connection_error("connection lost");
    }
  }
}

Task<Result<DbResult>> DbConnection::collect(std::uint64_t deadline) {
  DbResult last;
  std::optional<Error> failure;
  for (;;) {
    while (PQisBusy(conn_.get())) {
      Io io = co_await wait_for(UV_READABLE, deadline);
      if (io != Io::ready) co_return io_failure(io, "waiting for a result");
      if (!PQconsumeInput(conn_.get())) co_return connection_error("connection lost");
    }
    DbResult r(PQgetResult(conn_.get()));
    if (!r.raw()) break;
    ExecStatusType st = PQresultStatus(r.raw());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      last = std::move(r);
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      broken_ = true;  // there is no way back to idle without speaking COPY
      co_return make_error(kErrInvalid, "PostgreSQL: COPY is not supported through the query API");
    } else if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      co_return connection_error("connection lost");
    } else if (!failure) {
      failure = sql_error(r.raw());
    }
  }
  if (failure) co_return std::move(*failure);
  co_return last;
}

}  // namespace sora
