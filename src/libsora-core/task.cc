#include "sora/task.h"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "sora/log.h"

namespace sora {

struct ScopeAccess {
  static void done(Scope* s) { s->task_done(); }
};

namespace {

// The coroutine a Scope runs a spawned task in: starts at once, owns the task,
// tells the scope when it ends and frees itself.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

Detached run_detached(Scope* scope, Task<void> task) {
  try {
    co_await std::move(task);
  } catch (const std::exception& e) {
    log(LogLevel::error, "internal error: a task ended with an exception: %s", e.what());
  } catch (...) {
    log(LogLevel::error, "internal error: a task ended with an unknown exception");
  }
  ScopeAccess::done(scope);
}

}  // namespace

Scope::~Scope() {
  if (active_ != 0) {
    std::fprintf(stderr, "sora: internal error: Scope destroyed with %zu live task(s)\n", active_);
    std::abort();
  }
}

void Scope::spawn(Task<void> task) {
  ++active_;
  run_detached(this, std::move(task));
}

void Scope::task_done() {
  if (--active_ == 0 && joiner_) {
    auto h = std::exchange(joiner_, {});
    h.resume();
  }
}

Task<void> Scope::join() {
  if (active_ == 0) co_return;
  struct Awaiter {
    Scope* s;
    bool await_ready() const noexcept { return s->active_ == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->joiner_ = h; }
    void await_resume() const noexcept {}
  };
  co_await Awaiter{this};
}

}  // namespace sora
