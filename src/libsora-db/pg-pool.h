// The connections of one server (the primary or the replica) of a pool
// (internal to the core).
//
// Lifetime: the Db owns its targets through shared_ptr and shuts them down
// when destroyed; every coroutine working for a target holds a shared_ptr too,
// so a target outlives the work in flight. Connections point back with a
// weak_ptr: one released after the target is gone is simply closed.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libsora-db/pg-connection.h"
#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora {

struct TargetSettings {
  std::string name;  // "primary" or "replica", for messages
  std::string conninfo;
  int pool_size = 8;
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t query_timeout_ms = 30000;
  std::int64_t reconnect_min_ms = 100;
  std::int64_t reconnect_max_ms = 30000;
};

using ConnPtr = std::shared_ptr<DbConnection>;

class PoolTarget : public std::enable_shared_from_this<PoolTarget> {
 public:
  explicit PoolTarget(TargetSettings settings) : settings_(std::move(settings)) {}
  PoolTarget(const PoolTarget&) = delete;
  PoolTarget& operator=(const PoolTarget&) = delete;

  const TargetSettings& settings() const { return settings_; }

  // An idle connection, a new one, or the next one released, by `deadline`.
  static Task<Result<ConnPtr>> acquire(std::shared_ptr<PoolTarget> self, std::uint64_t deadline);

  // Gives a connection back: broken ones are closed, one of a dropped
  // transaction is rolled back first, the others go to a waiter or idle.
  void release(ConnPtr conn);

  // Closes idle connections and fails waiters with kErrClosed; connections
  // in use are closed when released.
  void shutdown();

 private:
  struct Waiter;
  class WaitTurn;

  ConnPtr take_idle();
  static Task<Result<ConnPtr>> open(std::shared_ptr<PoolTarget> self, std::uint64_t deadline);
  Task<Result<ConnPtr>> wait_turn(std::uint64_t deadline);
  void wake(Waiter* w, ConnPtr conn, std::optional<Error> error);
  void wake_one_for_retry();
  void hand_over(ConnPtr conn);
  void note_failure(const Error& e);
  void note_success();
  Error closed_error() const;

  TargetSettings settings_;
  std::vector<ConnPtr> idle_;
  std::list<Waiter*> waiters_;
  int open_ = 0;  // connecting, idle or in use
  bool closed_ = false;
  int failures_ = 0;
  std::uint64_t retry_at_ = 0;  // loop time before which no connect is tried
  std::string last_error_;
};

}  // namespace sora
