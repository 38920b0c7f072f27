// The event loop of the current process and the awaitables that suspend a
// coroutine until the loop has something for it. All of them resume the
// coroutine on the loop thread.
#pragma once

#include <uv.h>

#include <chrono>
#include <coroutine>
#include <functional>
#include <vector>

#include "sora/task.h"

namespace sora {

// The loop this process runs (one per worker; sora-admin runs one too).
uv_loop_t* loop();

// Runs `task` on the process loop until it completes, then returns; used by
// sora-admin and tests. Exceptions escaping the task are rethrown.
void run_until_done(Task<void> task);

// Suspends for `delay`. Closing the loop while asleep is a bug.
Task<void> sleep_for(std::chrono::milliseconds delay);

// Runs `work` on the libuv thread pool and resumes on the loop thread when it
// is done. For CPU-heavy or blocking work only (hashing, file I/O, parsing):
// `work` must not touch loop-owned state.
Task<void> run_in_pool(std::function<void()> work);

// A one-shot signal between coroutines on the same loop: wait() suspends until
// set() is called (or returns at once if it already was). Any number of
// coroutines may wait; set() resumes them all, in the order they began to
// wait. A waiting coroutine whose frame is destroyed stops waiting. The Event
// must outlive its waiters. A coroutine that starts to wait while set() is
// resuming others (after a reset()) waits for the next set().
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const { return set_; }
  void set();
  void reset() { set_ = false; }

  class Waiter {
   public:
    explicit Waiter(Event* e) : event_(e) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() { event_->forget(this); }
    bool await_ready() const noexcept { return event_->set_; }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      event_->waiters_.push_back(this);
    }
    void await_resume() const noexcept {}

   private:
    friend class Event;
    Event* event_;
    std::coroutine_handle<> handle_;
  };

  Waiter wait() noexcept { return Waiter(this); }

 private:
  void forget(Waiter* w);

  bool set_ = false;
  std::vector<Waiter*> waiters_;
  // The batches set() is resuming (set() may be re-entered by a resumed
  // coroutine): a waiter destroyed meanwhile is removed from them too.
  std::vector<std::vector<Waiter*>*> waking_;
};

}  // namespace sora
