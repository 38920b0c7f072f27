// Tests of the loop awaitables (sora/loop.h).
#include <chrono>
#include <coroutine>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "sora/loop.h"
#include "sora/task.h"

// Last: cmocka.h defines macros (fail) that break C++ headers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
extern "C" {  // cmocka.h declares its functions without C linkage
#include <cmocka.h>
}

using namespace sora;

namespace {

using std::chrono::milliseconds;

// Starts at once; the test destroys its frame while it is suspended, as a
// cancelled task's frame is destroyed.
struct Abandonable {
  struct promise_type {
    Abandonable get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

Abandonable sleep_then_mark(milliseconds delay, bool* woke) {
  co_await sleep_for(delay);
  *woke = true;
}

void test_sleep_for_resumes(void**) {
  bool woke = false;
  Abandonable a = sleep_then_mark(milliseconds(20), &woke);
  assert_false(woke);
  uv_run(loop(), UV_RUN_DEFAULT);
  assert_true(woke);
  assert_true(a.h.done());
  a.h.destroy();
}

// Destroying a sleeping frame stops its timer: the loop has nothing left to
// do at once, instead of resuming the destroyed frame after the delay.
void test_sleep_for_frame_destroyed(void**) {
  bool woke = false;
  Abandonable a = sleep_then_mark(milliseconds(5000), &woke);
  a.h.destroy();
  auto t0 = std::chrono::steady_clock::now();
  uv_run(loop(), UV_RUN_DEFAULT);
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  assert_true(ms < 1000);
  assert_false(woke);
}

Abandonable wait_then_count(Event* e, int* count) {
  co_await e->wait();
  ++*count;
}

// Every waiter is resumed by set(); one whose frame was destroyed is not.
void test_event_wakes_every_waiter(void**) {
  Event e;
  int count = 0;
  Abandonable a = wait_then_count(&e, &count);
  Abandonable b = wait_then_count(&e, &count);
  Abandonable gone = wait_then_count(&e, &count);
  gone.h.destroy();
  assert_int_equal(count, 0);
  e.set();
  assert_int_equal(count, 2);
  assert_true(a.h.done() && b.h.done());
  // Once set, waiting does not suspend.
  Abandonable late = wait_then_count(&e, &count);
  assert_int_equal(count, 3);
  for (auto* x : {&a, &b, &late}) x->h.destroy();
}

Abandonable wait_twice(Event* e, int* count) {
  co_await e->wait();
  ++*count;
  e->reset();
  co_await e->wait();
  ++*count;
}

// Waiting again (after reset) inside set() waits for the next set().
void test_event_rewait_waits_for_next_set(void**) {
  Event e;
  int count = 0;
  Abandonable a = wait_twice(&e, &count);
  e.set();
  assert_int_equal(count, 1);
  assert_false(a.h.done());
  e.set();
  assert_int_equal(count, 2);
  assert_true(a.h.done());
  a.h.destroy();
}

Abandonable pool_then_mark(std::shared_ptr<std::atomic<bool>> ran, bool* resumed, bool fail) {
  // The work is built in a statement of its own: g++ 12 destroys a lambda
  // temporary inside a co_await expression twice (see HACKING.md).
  std::function<void()> work = [ran, fail] {
    std::this_thread::sleep_for(milliseconds(50));
    ran->store(true);
    if (fail) throw std::runtime_error("work failed");
  };
  try {
    co_await run_in_pool(std::move(work));
    *resumed = true;
  } catch (const std::runtime_error&) {
    *resumed = false;
  }
}

void test_run_in_pool_resumes_and_rethrows(void**) {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  bool resumed = false;
  Abandonable a = pool_then_mark(ran, &resumed, false);
  uv_run(loop(), UV_RUN_DEFAULT);
  assert_true(ran->load() && resumed && a.h.done());
  a.h.destroy();
  bool failed_resumed = true;
  Abandonable b = pool_then_mark(ran, &failed_resumed, true);
  uv_run(loop(), UV_RUN_DEFAULT);
  assert_false(failed_resumed);  // the exception reached the awaiting coroutine
  b.h.destroy();
}

// A frame destroyed while its work runs is not resumed; the work finishes and
// its state is freed (LeakSanitizer checks the latter in the sanitizer build).
void test_run_in_pool_frame_destroyed(void**) {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  bool resumed = false;
  Abandonable a = pool_then_mark(ran, &resumed, false);
  a.h.destroy();
  uv_run(loop(), UV_RUN_DEFAULT);
  assert_true(ran->load());
  assert_false(resumed);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sleep_for_resumes),
      cmocka_unit_test(test_sleep_for_frame_destroyed),
      cmocka_unit_test(test_event_wakes_every_waiter),
      cmocka_unit_test(test_event_rewait_waits_for_next_set),
      cmocka_unit_test(test_run_in_pool_resumes_and_rethrows),
      cmocka_unit_test(test_run_in_pool_frame_destroyed),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
