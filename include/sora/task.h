// The one coroutine task type of Sora.
//
// Rules (see DESIGN.md, "Process and threads"):
// - A Task is lazy: nothing runs until it is co_awaited or handed to a Scope.
// - A Task is owned: by the coroutine awaiting it, or by a Scope that outlives
//   it. There is no fire-and-forget.
// - Completion resumes the awaiting coroutine by symmetric transfer, so long
//   chains of awaits do not grow the stack.
// - Every awaitable in Sora resumes on the loop thread of its worker.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace sora {

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr exception;

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

// Awaiting a moved-from or default-constructed Task is a bug: say so and stop
// rather than dereference a null coroutine handle.
[[noreturn]] inline void empty_task_awaited() noexcept {
  std::fputs("sora: internal error: an empty Task was awaited\n", stderr);
  std::abort();
}

}  // namespace detail

// What Task<T> and Task<void> share: owning the coroutine frame, and the
// awaiter that starts it with the awaiting coroutine as its continuation.
template <class Promise>
class TaskHandle {
 public:
  using Handle = std::coroutine_handle<Promise>;

  TaskHandle() = default;
  explicit TaskHandle(Handle h) : h_(h) {}
  TaskHandle(TaskHandle&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  TaskHandle& operator=(TaskHandle&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  TaskHandle(const TaskHandle&) = delete;
  TaskHandle& operator=(const TaskHandle&) = delete;
  ~TaskHandle() {
    if (h_) h_.destroy();
  }

  bool valid() const { return static_cast<bool>(h_); }

  struct AwaiterBase {
    Handle h;
    bool await_ready() const noexcept {
      if (!h) detail::empty_task_awaited();
      return h.done();
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      h.promise().continuation = awaiting;
      return h;
    }
    void rethrow() const {
      if (h.promise().exception) std::rethrow_exception(h.promise().exception);
    }
  };

 protected:
  Handle h_;
};

template <class T = void>
class Task;

template <class T>
struct TaskValue : detail::PromiseBase {
  std::optional<T> value;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct TaskValue<void> : detail::PromiseBase {
  void return_void() const noexcept {}
};

template <class T>
struct TaskPromise : TaskValue<T> {
  Task<T> get_return_object() noexcept;
};

template <class T>
class [[nodiscard]] Task : public TaskHandle<TaskPromise<T>> {
 public:
  using promise_type = TaskPromise<T>;
  using Base = TaskHandle<promise_type>;
  using Base::Base;

  auto operator co_await() && noexcept {
    struct Awaiter : Base::AwaiterBase {
      T await_resume() {
        this->rethrow();
        if constexpr (!std::is_void_v<T>) return std::move(*this->h.promise().value);
      }
    };
    return Awaiter{{this->h_}};
  }
};

template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}

// Owns tasks that run concurrently with their starter: sessions of a listener,
// background jobs of a module. A Scope must be joined (co_await join()) before
// it is destroyed; destroying a Scope with live tasks is a bug and aborts.
class Scope {
 public:
  Scope() = default;
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  ~Scope();

  // Starts the task now; it runs until its first suspension before spawn returns.
  void spawn(Task<void> task);

  // Completes when every spawned task has finished.
  Task<void> join();

  std::size_t active() const { return active_; }

 private:
  friend struct ScopeAccess;
  void task_done();

  std::size_t active_ = 0;
  std::coroutine_handle<> joiner_;
};

}  // namespace sora
