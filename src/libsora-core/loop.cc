#include "sora/loop.h"

#include "libsora-core/loop-setup.h"

#include <cstdlib>
#include <exception>
#include <memory>
#include <utility>

namespace sora {

namespace {
uv_loop_t* g_loop = nullptr;
}

uv_loop_t* loop() { return g_loop ? g_loop : uv_default_loop(); }

void set_loop(uv_loop_t* l) { g_loop = l; }

void Event::set() {
  set_ = true;
  // Resume those waiting now, one at a time: a resumed coroutine may destroy
  // another waiter's frame (it then leaves the batch) or wait again (it then
  // waits for the next set()).
  std::vector<Waiter*> batch;
  batch.swap(waiters_);
  waking_.push_back(&batch);
  while (!batch.empty()) {
    Waiter* w = batch.front();
    batch.erase(batch.begin());
    w->handle_.resume();
  }
  waking_.pop_back();
}

void Event::forget(Waiter* w) {
  std::erase(waiters_, w);
  for (std::vector<Waiter*>* batch : waking_) std::erase(*batch, w);
}

namespace {

struct Driver {
  std::exception_ptr error;
  bool done = false;
};

Task<void> drive(Task<void> task, Driver* d) {
  try {
    co_await std::move(task);
  } catch (...) {
    d->error = std::current_exception();
  }
  d->done = true;
}

}  // namespace

void run_until_done(Task<void> task) {
  Driver d;
  Scope scope;
  scope.spawn(drive(std::move(task), &d));
  while (!d.done && uv_run(loop(), UV_RUN_ONCE) != 0) {
  }
  if (!d.done) {
    std::fprintf(stderr, "sora: internal error: the loop ran dry before the task finished\n");
    std::abort();
  }
  if (d.error) std::rethrow_exception(d.error);
}

namespace {
void close_and_free_timer(uv_timer_t* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}
}  // namespace

Task<void> sleep_for(std::chrono::milliseconds delay) {
  // The timer points at the awaiter in the sleeping frame and the awaiter at
  // the timer: if the frame is destroyed while asleep (its task was
  // cancelled), the awaiter closes the timer, so the loop never resumes a
  // coroutine that is gone.
  struct Awaiter {
    std::chrono::milliseconds delay;
    uv_timer_t* timer = nullptr;
    std::coroutine_handle<> waiter;
    explicit Awaiter(std::chrono::milliseconds d) : delay(d) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
      if (timer) close_and_free_timer(timer);
    }
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      waiter = h;
      timer = new uv_timer_t;
      uv_timer_init(loop(), timer);
      timer->data = this;
      uv_timer_start(
          timer,
          [](uv_timer_t* handle) {
            auto* self = static_cast<Awaiter*>(handle->data);
            close_and_free_timer(std::exchange(self->timer, nullptr));
            self->waiter.resume();
          },
          static_cast<uint64_t>(delay.count()), 0);
    }
    void await_resume() const noexcept {}
  };
  co_await Awaiter{delay};
}

Task<void> run_in_pool(std::function<void()> work) {
  // The state lives on the heap, not in the coroutine frame: if the frame is
  // destroyed while a pool thread runs the work, the state is orphaned and
  // freed when the work ends, and nothing resumes the destroyed frame.
  struct Work {
    uv_work_t req;
    std::function<void()> fn;
    std::exception_ptr error;
    std::coroutine_handle<> waiter;
    bool orphaned = false;
  };
  struct Awaiter {
    Work* w;
    bool queued = false;
    explicit Awaiter(Work* work) : w(work) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
      if (queued) w->orphaned = true;  // after_work frees it
      else delete w;
    }
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      w->waiter = h;
      w->req.data = w;
      int rc = uv_queue_work(
          loop(), &w->req,
          [](uv_work_t* req) {
            auto* work = static_cast<Work*>(req->data);
            try {
              work->fn();
            } catch (...) {
              work->error = std::current_exception();
            }
          },
          [](uv_work_t* req, int) {
            auto* work = static_cast<Work*>(req->data);
            if (work->orphaned) {
              delete work;
              return;
            }
            work->waiter.resume();
          });
      if (rc != 0) {
        // Only fails for invalid arguments; run inline rather than lose the work.
        w->fn();
        return false;
      }
      queued = true;
      return true;
    }
    void await_resume() {
      queued = false;
      if (w->error) std::rethrow_exception(w->error);
    }
  };
  // Built before the co_await: g++ 12 mishandles braced initialisers inside a
  // co_await expression.
  auto* state = new Work{{}, std::move(work), nullptr, {}, false};
  co_await Awaiter(state);
}

}  // namespace sora
