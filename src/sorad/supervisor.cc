#include "sorad/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "libsora-core/log-setup.h"
#include "libsora-core/loop-setup.h"
#include "libsora-db/db-settings.h"
#include "libsora-db/schema.h"
#include "libsora-net/net-settings.h"
#include "sora/db.h"
#include "sora/log.h"
#include "sora/loop.h"
#include "sorad/log-config.h"
#include "sorad/notify.h"
#include "sorad/pidfile.h"
#include "sorad/startup.h"
#include "sorad/worker.h"
#include "sora/version.h"

namespace sora {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void print_lines(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::fprintf(stderr, "sorad: %.*s\n", static_cast<int>(end - start), text.c_str() + start);
    start = end + 1;
  }
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

Task<void> run_schema_check(Db* db, Status* out) { *out = co_await schema::check(*db); }

// Checks the schema on a private loop so that the loop workers get after fork
// was never touched here.
Status check_schema_before_fork(const Config& config) {
  uv_loop_t private_loop;
  uv_loop_init(&private_loop);
  set_loop(&private_loop);
  Status result;
  {
    auto db = make_db_pool(db_settings_from(config.section("postgresql")));
    run_until_done(run_schema_check(db.get(), &result));
  }
  uv_run(&private_loop, UV_RUN_DEFAULT);
  uv_loop_close(&private_loop);
  set_loop(nullptr);
  return result;
}

// The configured delay, doubled for each further quick death in a row (a
// worker dying within 10 s of its start) up to a minute, or the configured
// delay when that is longer.
milliseconds restart_delay(milliseconds base, int quick_deaths) {
  if (quick_deaths <= 1) return base;
  milliseconds doubled = base * (1LL << std::min(quick_deaths - 1, 10));
  return std::max(base, std::min(doubled, milliseconds(60000)));
}

int worker_count(const Config& config) {
  long long n = config.section("core").integer("workers");
  if (n > 0) return static_cast<int>(n);
  return std::max(1, static_cast<int>(uv_available_parallelism()));
}

class Supervisor {
 public:
  Supervisor(const DaemonOptions& options, Loaded loaded) : options_(options) {
    modules_ = std::move(loaded.modules);
    configs_.push_back(std::move(loaded.config));
  }

  int run() {
    supervisor_pid_ = getpid();
    if (!block_signals()) return kExitFailure;
    pid_file_ = config().section("core").str("pid_file");
    if (Status s = write_pid_file(pid_file_); !s) {
      log(LogLevel::error, "%s", s.error().message.c_str());
      return kExitFailure;
    }
    int rc = serve();
    remove_pid_file(pid_file_);
    return rc;
  }

 private:
  struct Slot {
    pid_t pid = 0;
    Clock::time_point started;
    Clock::time_point restart_at;
    int quick_deaths = 0;
    bool ready = false;
  };

  const Config& config() const { return *configs_.back(); }

  bool block_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
    if (sigprocmask(SIG_BLOCK, &set, &original_mask_) != 0) return false;
    signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd_ < 0) {
      log(LogLevel::error, "signalfd: %s", std::strerror(errno));
      return false;
    }
    return true;
  }

  int serve() {
    auto sockets = bind_listeners(config());
    if (!sockets) {
      log(LogLevel::error, "%s", sockets.error().message.c_str());
      return kExitFailure;
    }
    sockets_ = std::move(sockets.value());
    Status schema = check_schema_before_fork(config());
    if (!schema && schema.error().code == kErrSchema) {
      log(LogLevel::error, "%s", schema.error().message.c_str());
      return kExitConfig;
    }
    if (!schema) {
      log(LogLevel::warning, "PostgreSQL is not reachable: %s; starting anyway, logins fail "
          "until it is (retrying with backoff)", schema.error().message.c_str());
    }
    // The check may take up to connect_timeout: a stop asked for meanwhile
    // waits in the signalfd and is honoured before any worker is forked.
    handle_signals();
    if (stopping_) {
      log(LogLevel::notice, "sorad stopped before starting its workers");
      return exit_code_;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      log(LogLevel::error, "pipe: %s", std::strerror(errno));
      return kExitFailure;
    }
    ready_read_ = fds[0];
    ready_write_ = fds[1];
    slots_.resize(static_cast<std::size_t>(worker_count(config())));
    for (std::size_t i = 0; i < slots_.size(); ++i) start_worker(i);
    return supervise();
  }

  void start_worker(std::size_t index) {
    Slot& slot = slots_[index];
    pid_t pid = fork();
    if (pid < 0) {
      log(LogLevel::error, "cannot start worker %zu: fork: %s", index, std::strerror(errno));
      slot.restart_at = Clock::now() + milliseconds(1000);
      return;
    }
    if (pid == 0) {
      // A worker whose supervisor dies (kill -9) drains and exits instead of
      // holding the listening sockets that a new sorad needs.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != supervisor_pid_) raise(SIGTERM);  // died before prctl
      close(signal_fd_);
      close(ready_read_);
      // Signals stay blocked until the worker has its handlers (run_worker).
      WorkerSetup setup;
      setup.signal_mask = original_mask_;
      setup.index = static_cast<int>(index);
      setup.config_path = options_.config_path;
      setup.modules = modules_.get();
      setup.configs = &configs_;
      setup.sockets = &sockets_;
      setup.ready_fd = ready_write_;
      int rc = run_worker(setup);
      std::fflush(nullptr);
      _exit(rc);
    }
    slot.pid = pid;
    slot.started = Clock::now();
    slot.ready = false;
    SORA_LOG_DEBUG("worker %zu started as pid %d", index, static_cast<int>(pid));
  }

  int supervise() {
    bool announced = false;
    while (!(stopping_ && live_workers() == 0)) {
      pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {ready_read_, POLLIN, 0}};
      int rc = poll(fds, 2, next_timeout_ms());
      if (rc < 0 && errno != EINTR) {
        log(LogLevel::error, "poll: %s", std::strerror(errno));
        return kExitFailure;
      }
      if (rc > 0 && (fds[0].revents & POLLIN)) handle_signals();
      if (rc > 0 && (fds[1].revents & POLLIN)) count_ready();
      if (!announced && !stopping_ && all_ready()) {
        announced = true;
        announce_ready();
      }
      handle_deadlines();
    }
    notify_service_manager("STATUS=stopped");
    log(LogLevel::notice, "sorad stopped");
    return exit_code_;
  }

  void announce_ready() {
    std::string where;
    for (const BoundSocket& s : sockets_) where += (where.empty() ? "" : ", ") + s.address();
    log(LogLevel::notice, "sorad %s ready: %zu worker(s), %zu module(s), listening on %s",
        SORA_VERSION_STRING, slots_.size(), modules_->size(), where.empty() ? "nothing" : where.c_str());
    notify_service_manager("READY=1\nSTATUS=serving");
  }

  void count_ready() {
    char buf[64];
    ssize_t n;
    // Each worker writes its slot index once its listeners run (workers <= 256).
    while ((n = read(ready_read_, buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        auto index = static_cast<std::size_t>(static_cast<unsigned char>(buf[i]));
        if (index < slots_.size()) slots_[index].ready = true;
      }
    }
  }

  int next_timeout_ms() const {
    auto now = Clock::now();
    auto next = now + milliseconds(1000);
    for (const Slot& s : slots_) {
      if (s.pid == 0 && !stopping_) next = std::min(next, s.restart_at);
    }
    if (stopping_) next = std::min(next, kill_at_);
    auto ms = std::chrono::duration_cast<milliseconds>(next - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
  }

  void handle_signals() {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == sizeof info) {
      switch (info.ssi_signo) {
        case SIGCHLD: reap(); break;
        case SIGHUP: reload(); break;
        case SIGTERM:
        case SIGINT: begin_stop(kExitOk, strsignal(static_cast<int>(info.ssi_signo))); break;
      }
    }
  }

  void reap() {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].pid == pid) worker_died(i, status);
      }
    }
  }

  void worker_died(std::size_t index, int status) {
    Slot& slot = slots_[index];
    pid_t pid = slot.pid;
    slot.pid = 0;
    if (stopping_) {
      if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
        log(LogLevel::notice, "worker %zu %s while stopping", index, describe_status(status).c_str());
      }
      return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitConfig) {
      log(LogLevel::error, "worker %zu stopped on a configuration or schema error; stopping sorad", index);
      begin_stop(kExitConfig, nullptr);
      return;
    }
    auto lived = Clock::now() - slot.started;
    slot.quick_deaths = lived < std::chrono::seconds(10) ? slot.quick_deaths + 1 : 0;
    auto delay = restart_delay(config().section("core").duration("worker_restart_delay"),
                               slot.quick_deaths);
    slot.restart_at = Clock::now() + delay;
    log(LogLevel::error, "worker %zu (pid %d) %s; restarting it in %lld ms", index,
        static_cast<int>(pid), describe_status(status).c_str(), static_cast<long long>(delay.count()));
  }

  void handle_deadlines() {
    auto now = Clock::now();
    if (stopping_) {
      if (now >= kill_at_ && !killed_) {
        killed_ = true;
        for (Slot& s : slots_) {
          if (s.pid > 0) {
            log(LogLevel::warning, "worker pid %d did not stop in time; killing it", static_cast<int>(s.pid));
            kill(s.pid, SIGKILL);
          }
        }
      }
      return;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].pid == 0 && now >= slots_[i].restart_at) start_worker(i);
    }
  }

  void reload() {
    if (stopping_) return;
    notify_service_manager("RELOADING=1");
    log(LogLevel::notice, "reloading %s", options_.config_path.c_str());
    auto fresh = reload_config(options_.config_path, *modules_);
    if (!fresh) {
      log(LogLevel::error, "reload failed, keeping the running configuration:\n%s",
          fresh.error().message.c_str());
      notify_service_manager("READY=1");
      return;
    }
    if (Status s = check_listeners_and_tls(*fresh.value()); !s) {
      log(LogLevel::error, "reload failed, keeping the running configuration: %s",
          s.error().message.c_str());
      notify_service_manager("READY=1");
      return;
    }
    warn_restart_needed(config(), *fresh.value());
    configs_.push_back(std::move(fresh.value()));
    log_setup(log_settings_from(config()));
    set_current_modules(modules_.get(), &config());
    for (const Slot& s : slots_) {
      if (s.pid > 0) kill(s.pid, SIGHUP);
    }
    notify_service_manager("READY=1");
  }

  void begin_stop(int exit_code, const char* why) {
    if (stopping_) return;
    stopping_ = true;
    exit_code_ = exit_code;
    notify_service_manager("STOPPING=1");
    if (why) log(LogLevel::notice, "%s: stopping (sessions get up to shutdown_timeout to end)", why);
    auto timeout = config().section("core").duration("shutdown_timeout");
    kill_at_ = Clock::now() + timeout + milliseconds(5000);
    for (const Slot& s : slots_) {
      if (s.pid > 0) kill(s.pid, SIGTERM);
    }
    // Workers stop accepting on SIGTERM; with the supervisor's copies closed
    // too, a new sorad can bind these addresses while the sessions drain.
    sockets_.clear();
  }

  bool all_ready() const {
    return std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.ready; });
  }

  std::size_t live_workers() const {
    return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(),
                                                  [](const Slot& s) { return s.pid > 0; }));
  }

  const DaemonOptions& options_;
  std::unique_ptr<ModuleSet> modules_;
  std::vector<std::unique_ptr<Config>> configs_;
  std::vector<BoundSocket> sockets_;
  std::vector<Slot> slots_;
  std::string pid_file_;
  sigset_t original_mask_{};
  pid_t supervisor_pid_ = 0;
  int signal_fd_ = -1;
  int ready_read_ = -1;
  int ready_write_ = -1;
  bool stopping_ = false;
  bool killed_ = false;
  int exit_code_ = kExitOk;
  Clock::time_point kill_at_;
};

}  // namespace

int dump_schema(const DaemonOptions& options) {
  auto list = read_module_list(config_or_defaults(options));
  if (!list) {
    print_lines(list.error().message);
    return kExitConfig;
  }
  ModuleSet modules;
  if (Status s = modules.load(list->dir, list->names); !s) {
    print_lines(s.error().message);
    return kExitConfig;
  }
  std::fputs(schema_text(modules).c_str(), stdout);
  return kExitOk;
}

int run_daemon(const DaemonOptions& options) {
  auto loaded = load_modules_and_config(options.config_path);
  if (!loaded) {
    print_lines(loaded.error().message);
    return kExitConfig;
  }
  set_current_modules(loaded->modules.get(), loaded->config.get());
  if (Status s = loaded->modules->init_all(*loaded->config); !s) {
    print_lines(s.error().message);
    return kExitConfig;
  }
  if (Status s = check_listener_protocols(*loaded->config, *loaded->modules); !s) {
    print_lines(s.error().message);
    return kExitConfig;
  }
  if (Status s = check_auth_backend(*loaded->config, *loaded->modules); !s) {
    print_lines(s.error().message);
    return kExitConfig;
  }
  if (options.print_config) {
    std::fputs(loaded->config->dump(options.only_changed).c_str(), stdout);
    return kExitOk;
  }
  if (Status s = check_listeners_and_tls(*loaded->config); !s) {
    print_lines(s.error().message);
    return kExitConfig;
  }
  if (options.test_config) {
    std::printf("sorad: %s: configuration is valid (%zu module(s) loaded)\n",
                options.config_path.c_str(), loaded->modules->size());
    return kExitOk;
  }
  log_setup(log_settings_from(*loaded->config));
  Supervisor supervisor(options, std::move(loaded.value()));
  return supervisor.run();
}

}  // namespace sora
