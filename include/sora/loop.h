// The event loop of the current process and the awaitables that suspend a
// coroutine until the loop has something for it. All of them resume the
// coroutine on the loop thread.
#pragma once

#include <uv.h>

#include <chrono>
#include <coroutine>
#include <functional>

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
// set() is called (or returns at once if it already was).
class Event {
 public:
  bool is_set() const { return set_; }
  void set();
  void reset() { set_ = false; }

  auto wait() noexcept {
    struct Awaiter {
      Event* e;
      bool await_ready() const noexcept { return e->set_; }
      void await_suspend(std::coroutine_handle<> h) noexcept { e->waiter_ = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

 private:
  bool set_ = false;
  std::coroutine_handle<> waiter_;
};

}  // namespace sora
