// The PostgreSQL pool of the process: Db, DbTransaction and DbResult.
#include <algorithm>
#include <charconv>
#include <coroutine>
#include <exception>
#include <utility>

#include "libsora-db/pg-connection.h"
#include "libsora-db/pg-pool.h"
#include "libsora-db/uv-handle.h"
#include "sora/db.h"
#include "sora/log.h"
#include "sora/loop.h"

namespace sora {

namespace {

// A coroutine that starts at once and frees itself when done. Only for work
// whose owner it keeps alive itself (see roll_back_then_release).
struct Detached {
  struct promise_type {
    Detached get_return_object() const noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

std::int64_t parse_int64(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

void give_back(ConnPtr conn) {
  if (!conn) return;
  if (auto target = conn->target().lock()) target->release(std::move(conn));
}

// Gives `conn` back to its pool if the coroutine holding it is destroyed
// while suspended (a cancelled session). The connection is mid-connect or
// mid-query then, so the pool closes it; without this the pool would count
// it as open forever and, after pool_size such losses, serve nobody.
class ReleaseIfAbandoned {
 public:
  explicit ReleaseIfAbandoned(ConnPtr& conn) : conn_(conn) {}
  ReleaseIfAbandoned(const ReleaseIfAbandoned&) = delete;
  ReleaseIfAbandoned& operator=(const ReleaseIfAbandoned&) = delete;
  ~ReleaseIfAbandoned() { give_back(std::move(conn_)); }

 private:
  ConnPtr& conn_;
};

// A dropped DbTransaction cannot co_await in its destructor, so the pool rolls
// back on its behalf. The coroutine holds the target, the owner of the
// connection, alive until the connection is back.
Detached roll_back_then_release(std::shared_ptr<PoolTarget> target, ConnPtr conn) {
  conn->needs_rollback = false;
  auto r = co_await conn->exec("ROLLBACK", {}, conn->query_deadline());
  if (!r) conn->mark_broken();
  target->release(std::move(conn));
}

template <class T>
Task<Result<T>> failed(int code, std::string message) {
  co_return make_error(code, std::move(message));
}

Task<Result<DbResult>> run_on(ConnPtr conn, std::string sql, DbParams params) {
  co_return co_await conn->exec(std::move(sql), std::move(params), conn->query_deadline());
}

Task<Status> finish(ConnPtr conn, std::string sql) {
  if (!conn) co_return make_error(kErrInvalid, "PostgreSQL: the transaction is already finished");
  ReleaseIfAbandoned guard(conn);
  auto r = co_await conn->exec(sql, {}, conn->query_deadline());
  Status s;
  if (!r) {
    conn->mark_broken();  // in doubt about the transaction state: do not reuse
    s = r.take_error();
  } else if (sql == "COMMIT" && std::string_view(PQcmdStatus(r->raw())) == "ROLLBACK") {
    // The server answers COMMIT of a failed transaction with ROLLBACK, no error.
    s = make_error(kErrGeneric, "PostgreSQL: the transaction was rolled back, not committed, "
                                "because a statement in it failed");
  }
  give_back(std::move(conn));
  co_return s;
}

}  // namespace

// ---- DbResult ----

std::int64_t DbResult::int64(int row, int col) const { return parse_int64(text(row, col)); }

std::int64_t DbResult::affected() const { return r_ ? parse_int64(PQcmdTuples(r_.get())) : 0; }

// ---- PoolTarget ----

struct PoolTarget::Waiter {
  explicit Waiter(PoolTarget* t) : target(t), timer(make_timer(this)) {}
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter() {
    if (queued) target->waiters_.erase(pos);
    // Only when the awaiting coroutine was destroyed before it could run.
    if (conn) target->release(std::move(conn));
  }
  void dequeue() {
    if (queued) target->waiters_.erase(pos);
    queued = false;
  }
  // Fires at the deadline, or at once after wake().
  static void on_timer(uv_timer_t* t) {
    auto* w = static_cast<Waiter*>(t->data);
    if (!w->woken) {
      w->dequeue();
      const TargetSettings& s = w->target->settings_;
      w->error = make_error(kErrTimeout, "PostgreSQL (" + s.name + "): all " + std::to_string(s.pool_size) +
                                             " connections stayed busy (see [postgresql] pool_size and "
                                             "query_timeout)");
    }
    w->coro.resume();
  }

  PoolTarget* target;
  UvHandle<uv_timer_t> timer;
  std::coroutine_handle<> coro;
  std::list<Waiter*>::iterator pos;
  bool queued = false;
  bool woken = false;
  ConnPtr conn;
  std::optional<Error> error;
};

class PoolTarget::WaitTurn {
 public:
  explicit WaitTurn(Waiter* w) : w_(w) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { w_->coro = h; }
  void await_resume() const noexcept {}

 private:
  Waiter* w_;
};

Error PoolTarget::closed_error() const {
  return make_error(kErrClosed, "PostgreSQL (" + settings_.name + "): the pool is shut down");
}

ConnPtr PoolTarget::take_idle() {
  while (!idle_.empty()) {
    ConnPtr c = std::move(idle_.back());
    idle_.pop_back();
    if (c->usable()) return c;
    --open_;
  }
  return nullptr;
}

Task<Result<ConnPtr>> PoolTarget::acquire(std::shared_ptr<PoolTarget> self, std::uint64_t deadline) {
  for (;;) {
    if (self->closed_) co_return self->closed_error();
    if (ConnPtr c = self->take_idle()) co_return c;
    if (self->open_ < self->settings_.pool_size) co_return co_await open(self, deadline);
    auto turn = co_await self->wait_turn(deadline);
    if (!turn) co_return turn.take_error();
    if (*turn) co_return std::move(*turn);
    // A slot was freed by a connection that broke: try to open one.
  }
}

Task<Result<ConnPtr>> PoolTarget::open(std::shared_ptr<PoolTarget> self, std::uint64_t deadline) {
  const TargetSettings& s = self->settings_;
  std::uint64_t now = uv_now(loop());
  // Do not hammer a server that is down: fail fast until the pause is over.
  if (now < self->retry_at_) {
    co_return make_error(kErrTemporary, "PostgreSQL (" + s.name + ") is unavailable, next attempt in " +
                                            std::to_string(self->retry_at_ - now) +
                                            " ms; last error: " + self->last_error_);
  }
  ++self->open_;
  ConnPtr conn = std::make_shared<DbConnection>(self, s.query_timeout_ms);
  ReleaseIfAbandoned guard(conn);
  std::uint64_t until = std::min(deadline, now + static_cast<std::uint64_t>(s.connect_timeout_ms));
  Status st = co_await conn->connect(s.conninfo, until);
  if (self->closed_) co_return self->closed_error();
  if (!st) {
    conn.reset();  // counted out here, with the failure noted
    --self->open_;
    self->note_failure(st.error());
    self->wake_one_for_retry();
    co_return st.take_error();
  }
  self->note_success();
  co_return std::move(conn);
}

Task<Result<ConnPtr>> PoolTarget::wait_turn(std::uint64_t deadline) {
  Waiter w(this);
  w.pos = waiters_.insert(waiters_.end(), &w);
  w.queued = true;
  std::uint64_t now = uv_now(loop());
  uv_timer_start(w.timer.get(), &Waiter::on_timer, deadline > now ? deadline - now : 0, 0);
  co_await WaitTurn(&w);
  if (w.error) co_return std::move(*w.error);
  co_return std::exchange(w.conn, nullptr);
}

// The waiter resumes from its timer on the next loop turn, not from inside
// the caller, so release() never runs someone else's coroutine re-entrantly.
void PoolTarget::wake(Waiter* w, ConnPtr conn, std::optional<Error> error) {
  w->dequeue();
  w->woken = true;
  w->conn = std::move(conn);
  w->error = std::move(error);
  uv_timer_start(w->timer.get(), &Waiter::on_timer, 0, 0);
}

void PoolTarget::wake_one_for_retry() {
  if (!waiters_.empty()) wake(waiters_.front(), nullptr, std::nullopt);
}

void PoolTarget::hand_over(ConnPtr conn) {
  if (!waiters_.empty()) {
    wake(waiters_.front(), std::move(conn), std::nullopt);
  } else {
    idle_.push_back(std::move(conn));
  }
}

void PoolTarget::release(ConnPtr conn) {
  if (closed_) return;  // dropping the last reference closes it
  if (!conn->usable()) {
    --open_;
    if (conn->lost() && failures_ == 0) {
      // The server went away: the next connect waits a little first.
      failures_ = 1;
      retry_at_ = uv_now(loop()) + static_cast<std::uint64_t>(settings_.reconnect_min_ms);
      last_error_ = "lost the connection to " + conn->server();
    }
    wake_one_for_retry();
    return;
  }
  if (conn->needs_rollback) {
    roll_back_then_release(shared_from_this(), std::move(conn));
    return;
  }
  hand_over(std::move(conn));
}

void PoolTarget::note_failure(const Error& e) {
  ++failures_;
  std::int64_t pause = settings_.reconnect_min_ms;
  for (int i = 1; i < failures_ && pause < settings_.reconnect_max_ms; ++i) pause *= 2;
  pause = std::min(pause, settings_.reconnect_max_ms);
  retry_at_ = uv_now(loop()) + static_cast<std::uint64_t>(pause);
  last_error_ = e.message;
  SORA_LOG_WARNING("%s; next attempt in %lld ms", e.message.c_str(), static_cast<long long>(pause));
}

void PoolTarget::note_success() {
  if (failures_ > 0) SORA_LOG_NOTICE("PostgreSQL (%s): connected again", settings_.name.c_str());
  failures_ = 0;
  retry_at_ = 0;
}

void PoolTarget::shutdown() {
  closed_ = true;
  idle_.clear();
  while (!waiters_.empty()) wake(waiters_.front(), nullptr, closed_error());
}

// ---- DbTransaction ----

DbTransaction::DbTransaction(std::shared_ptr<DbConnection> conn) : conn_(std::move(conn)), done_(false) {}

DbTransaction::DbTransaction(DbTransaction&& o) noexcept
    : conn_(std::move(o.conn_)), done_(std::exchange(o.done_, true)) {}

DbTransaction& DbTransaction::operator=(DbTransaction&& o) noexcept {
  if (this != &o) {
    DbTransaction dropped(std::move(*this));
    conn_ = std::move(o.conn_);
    done_ = std::exchange(o.done_, true);
  }
  return *this;
}

DbTransaction::~DbTransaction() {
  if (conn_ && !done_) conn_->needs_rollback = true;
  give_back(std::move(conn_));
}

Task<Result<DbResult>> DbTransaction::query(std::string_view sql, DbParams params) {
  if (done_ || !conn_) return failed<DbResult>(kErrInvalid, "PostgreSQL: query on a finished transaction");
  return run_on(conn_, std::string(sql), std::move(params));
}

Task<Status> DbTransaction::commit() {
  done_ = true;
  return finish(std::move(conn_), "COMMIT");
}

Task<Status> DbTransaction::rollback() {
  done_ = true;
  return finish(std::move(conn_), "ROLLBACK");
}

DbTransaction Db::adopt(std::shared_ptr<DbConnection> conn) { return DbTransaction(std::move(conn)); }

// ---- the pool ----

namespace {

TargetSettings target_settings(const DbSettings& s, std::string name, std::string conninfo) {
  TargetSettings t;
  t.name = std::move(name);
  t.conninfo = std::move(conninfo);
  t.pool_size = s.pool_size;
  t.connect_timeout_ms = s.connect_timeout_ms;
  t.query_timeout_ms = s.query_timeout_ms;
  t.reconnect_min_ms = s.reconnect_min_ms;
  t.reconnect_max_ms = std::max(s.reconnect_max_ms, s.reconnect_min_ms);
  return t;
}

std::uint64_t deadline_of(const PoolTarget& t) {
  return uv_now(loop()) + static_cast<std::uint64_t>(t.settings().query_timeout_ms);
}

Task<Result<DbResult>> run_query(std::shared_ptr<PoolTarget> target, std::string sql, DbParams params) {
  std::uint64_t deadline = deadline_of(*target);
  auto c = co_await PoolTarget::acquire(target, deadline);
  if (!c) co_return c.take_error();
  ConnPtr conn = std::move(c.value());
  ReleaseIfAbandoned guard(conn);
  auto r = co_await conn->exec(std::move(sql), std::move(params), deadline);
  target->release(std::move(conn));
  co_return std::move(r);
}

// Destroying the pool shuts its targets down: idle connections close at once,
// waiters fail with kErrClosed, connections in use close when their query or
// transaction ends. The loop must keep running until then (and for the
// close callbacks) to free everything.
class PgPool final : public Db {
 public:
  explicit PgPool(const DbSettings& s)
      : primary_(std::make_shared<PoolTarget>(target_settings(s, "primary", s.conninfo))),
        replica_(s.readonly_conninfo.empty()
                     ? primary_
                     : std::make_shared<PoolTarget>(target_settings(s, "replica", s.readonly_conninfo))) {}
  ~PgPool() override {
    primary_->shutdown();
    replica_->shutdown();
  }

  Task<Result<DbResult>> query(std::string_view sql, DbParams params, DbTarget target) override {
    return run_query(target == DbTarget::replica ? replica_ : primary_, std::string(sql), std::move(params));
  }

  Task<Result<DbTransaction>> begin() override { return begin_on(primary_); }

 private:
  static Task<Result<DbTransaction>> begin_on(std::shared_ptr<PoolTarget> target) {
    std::uint64_t deadline = deadline_of(*target);
    auto c = co_await PoolTarget::acquire(target, deadline);
    if (!c) co_return c.take_error();
    ConnPtr conn = std::move(c.value());
    ReleaseIfAbandoned guard(conn);
    auto r = co_await conn->exec("BEGIN", {}, deadline);
    if (!r) {
      target->release(std::move(conn));
      co_return r.take_error();
    }
    co_return adopt(std::move(conn));
  }

  std::shared_ptr<PoolTarget> primary_;
  std::shared_ptr<PoolTarget> replica_;
};

}  // namespace

std::unique_ptr<Db> make_db_pool(const DbSettings& settings) { return std::make_unique<PgPool>(settings); }

}  // namespace sora
