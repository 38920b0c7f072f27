#include "sorad/worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "libsora-core/log-setup.h"
#include "libsora-core/loop-setup.h"
#include "libsora-db/db-settings.h"
#include "libsora-db/schema.h"
#include "libsora-net/net-settings.h"
#include "sora/db.h"
#include "sora/log.h"
#include "sora/loop.h"
#include "sorad/log-config.h"
#include "sorad/startup.h"
#include "sorad/supervisor.h"

namespace sora {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class Worker {
 public:
  explicit Worker(WorkerSetup& setup) : setup_(setup) {}

  int run() {
    install_signals();
    run_until_done(main());
    close_signals();
    // Let every handle closed above finish closing before the loop goes.
    uv_run(loop(), UV_RUN_DEFAULT);
    return exit_code_;
  }

 private:
  const Config& config() const { return *setup_.configs->back(); }

  Task<void> main() {
    db_ = make_db_pool(db_settings_from(config().section("postgresql")));
    if (Status s = setup_.modules->start_all(*db_); !s) {
      log(LogLevel::error, "%s", s.error().message.c_str());
      exit_code_ = kExitFailure;
      co_await finish();
      co_return;
    }
    listeners_ = std::make_unique<ListenerSet>(
        std::move(*setup_.sockets),
        [modules = setup_.modules](const std::string& name) { return modules->protocol(name); });
    if (Status s = listeners_->start(tls_settings(config())); !s) {
      log(LogLevel::error, "%s", s.error().message.c_str());
      exit_code_ = kExitFailure;
      co_await finish();
      co_return;
    }
    char byte = static_cast<char>(setup_.index);
    if (::write(setup_.ready_fd, &byte, 1) != 1) log(LogLevel::warning, "cannot tell the supervisor this worker is ready");
    close(setup_.ready_fd);
    tasks_.spawn(watch_schema());
    co_await stop_.wait();
    co_await drain();
    co_await finish();
  }

  // The supervisor checked the schema at start, but the database may have been
  // unreachable then, or be migrated (or restored from an old dump) while we run.
  Task<void> watch_schema() {
    milliseconds pause(1000);
    bool warned = false;
    while (!stopping_) {
      Status s = co_await schema::check(*db_);
      if (s) {
        if (warned) log(LogLevel::notice, "PostgreSQL is reachable again; the schema is current");
        co_return;
      }
      if (s.error().code == kErrSchema) {
        log(LogLevel::error, "%s", s.error().message.c_str());
        exit_code_ = kExitConfig;
        begin_stop();
        co_return;
      }
      if (!warned) {
        log(LogLevel::warning, "cannot check the database schema yet: %s (retrying)",
            s.error().message.c_str());
        warned = true;
      }
      co_await sleep_while_running(pause);
      pause = std::min(pause * 2, milliseconds(30000));
    }
  }

  Task<void> sleep_while_running(milliseconds total) {
    for (milliseconds slept(0); slept < total && !stopping_; slept += milliseconds(100)) {
      co_await sleep_for(milliseconds(100));
    }
  }

  Task<void> drain() {
    auto timeout = config().section("core").duration("shutdown_timeout");
    listeners_->stop_accepting();
    listeners_->begin_shutdown();
    auto deadline = Clock::now() + timeout;
    while (listeners_->open_connections() > 0 && Clock::now() < deadline) {
      co_await sleep_for(milliseconds(50));
    }
    if (std::size_t left = listeners_->open_connections(); left > 0) {
      log(LogLevel::notice, "closing %zu session(s) still open after shutdown_timeout", left);
    }
    listeners_->close_all();
    co_await listeners_->join();
  }

  Task<void> finish() {
    stopping_ = true;
    co_await tasks_.join();
    setup_.modules->stop_all();
    listeners_.reset();
    db_.reset();
  }

  void begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    stop_.set();
  }

  void reload() {
    auto fresh = reload_config(setup_.config_path, *setup_.modules);
    if (!fresh) {
      log(LogLevel::error, "reload failed, keeping the running configuration:\n%s",
          fresh.error().message.c_str());
      return;
    }
    if (listeners_) {
      if (Status s = listeners_->reload_tls(tls_settings(*fresh.value())); !s) {
        log(LogLevel::error, "TLS reload failed, keeping the running certificates: %s",
            s.error().message.c_str());
      }
    }
    setup_.configs->push_back(std::move(fresh.value()));
    log_setup(log_settings_from(config()));
    set_current_modules(setup_.modules, &config());
  }

  // The supervisor forks with SIGHUP, SIGTERM, SIGINT and SIGCHLD blocked;
  // unblock them only once libuv handles them, so that a signal sent between
  // fork and here (a reload, a stop during start-up) is delivered to the
  // handlers instead of killing the worker by its default action.
  void install_signals() {
    auto add = [this](uv_signal_t& h, int signum) {
      uv_signal_init(loop(), &h);
      h.data = this;
      uv_signal_start(&h, [](uv_signal_t* handle, int sig) {
        auto* w = static_cast<Worker*>(handle->data);
        if (sig == SIGHUP) w->reload();
        else w->begin_stop();
      }, signum);
    };
    add(sigterm_, SIGTERM);
    add(sigint_, SIGINT);
    add(sighup_, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_SETMASK, &setup_.signal_mask, nullptr);
  }

  void close_signals() {
    for (uv_signal_t* h : {&sigterm_, &sigint_, &sighup_}) {
      uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    }
  }

  WorkerSetup& setup_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<ListenerSet> listeners_;
  Scope tasks_;
  Event stop_;
  bool stopping_ = false;
  int exit_code_ = kExitOk;
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
};

}  // namespace

int run_worker(WorkerSetup& setup) {
  const Config& config = *setup.configs->back();
  std::string threads = std::to_string(config.section("core").integer("thread_pool_size"));
  setenv("UV_THREADPOOL_SIZE", threads.c_str(), 1);
  set_loop(nullptr);
  Worker worker(setup);
  return worker.run();
}

}  // namespace sora
