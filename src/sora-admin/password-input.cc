#include "sora-admin/password-input.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>

#include "sora-admin/exit-codes.h"

namespace sora::admin {

namespace {

// The terminal state to put back if a signal ends the process while echo is
// off; without this a ^C at the prompt leaves the shell typing blind.
int g_tty_fd = -1;
struct termios g_saved_termios;

void restore_tty_and_reraise(int sig) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

constexpr int kRestoredSignals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP};

class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd, &g_saved_termios) != 0) return;
    g_tty_fd = fd;
    for (int sig : kRestoredSignals) signal(sig, restore_tty_and_reraise);
    struct termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;  // the newline that ends the entry still moves the cursor
    active_ = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_tty_fd < 0) return;
    tcsetattr(fd_, TCSAFLUSH, &g_saved_termios);
    g_tty_fd = -1;
    for (int sig : kRestoredSignals) signal(sig, SIG_DFL);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  int fd_;
  bool active_ = false;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void strip_line_end(std::string& line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  // A file written on Windows ends its line with CR LF.
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// One line from the terminal; false on end of input or a read error.
bool read_tty_line(int fd, std::string& line) {
  char c;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return !line.empty();
    if (c == '\n') return true;
    line.push_back(c);
  }
}

Result<std::string> prompt_hidden(int fd, const std::string& prompt) {
  write_all(fd, prompt);
  std::string line;
  bool got;
  {
    EchoOff echo_off(fd);
    if (!echo_off.active()) {
      return make_error(kErrUsage, "cannot turn off echo on the terminal; use --password-stdin");
    }
    got = read_tty_line(fd, line);
  }
  if (!got) {
    write_all(fd, "\n");
    return make_error(kErrInvalid, "no password entered");
  }
  strip_line_end(line);
  return line;
}

Result<std::string> prompt_twice(std::string_view for_whom) {
  // The terminal itself, not stdin, so that it works with stdin redirected
  // and the password never goes through a pipe.
  Fd tty(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (tty.get() < 0) {
    return make_error(kErrUsage, std::string("cannot open the terminal to ask for the password: ") +
                                     strerror(errno) + "; use --password-stdin or --password-file");
  }
  auto first = prompt_hidden(tty.get(), "New password for " + std::string(for_whom) + ": ");
  if (!first) return first;
  auto second = prompt_hidden(tty.get(), "Retype the new password: ");
  if (!second) {
    wipe(*first);
    return second;
  }
  const bool same = *first == *second;
  wipe(*second);
  if (!same) {
    wipe(*first);
    return make_error(kErrInvalid, "the passwords do not match");
  }
  return first;
}

Result<std::string> first_line_of_stdin() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return make_error(kErrInvalid, "--password-stdin: standard input is empty");
  }
  strip_line_end(line);
  return line;
}

Result<std::string> first_line_of_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(kErrInvalid, "--password-file: cannot read " + path + ": " + strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  if (in.bad() || (in.fail() && !in.eof())) {
    return make_error(kErrInvalid, "--password-file: cannot read " + path + ": " + strerror(errno));
  }
  strip_line_end(line);
  return line;
}

Result<std::string> read_from(PasswordSource source, const std::string& value,
                              std::string_view for_whom) {
  switch (source) {
    case PasswordSource::stdin_line:
      return first_line_of_stdin();
    case PasswordSource::file:
      return first_line_of_file(value);
    case PasswordSource::argument:
      std::cerr << "sora-admin: warning: --password is visible to other users in the process "
                   "list; prefer --password-stdin or --password-file\n";
      return std::string(value);
    case PasswordSource::prompt:
      return prompt_twice(for_whom);
    case PasswordSource::none:
      break;
  }
  if (isatty(STDIN_FILENO)) return prompt_twice(for_whom);
  return make_error(kErrUsage,
                    "no password given and stdin is not a terminal: use --password-stdin, "
                    "--password-file FILE or --password PASSWORD");
}

}  // namespace

void wipe(std::string& secret) {
  explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

Result<std::string> read_password(PasswordSource source, const std::string& value,
                                  std::string_view for_whom) {
  auto password = read_from(source, value, for_whom);
  if (password && password->empty()) return make_error(kErrInvalid, "empty passwords are refused");
  return password;
}

}  // namespace sora::admin
