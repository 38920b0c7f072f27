#include "sorad/pidfile.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace sora {

namespace {

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

}  // namespace

Status write_pid_file(const std::string& path) {
  if (path.empty()) return {};
  pid_t old = read_pid(path);
  if (old > 0 && old != getpid() && kill(old, 0) == 0) {
    return make_error(kErrExists, path + ": sorad is already running as pid " + std::to_string(old) +
                                      " (stop it, or set another pid_file)");
  }
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(kErrGeneric, tmp + ": cannot create the pid file: " + std::strerror(errno) +
                                       " (does its folder exist? see [core] pid_file)");
  }
  std::string text = std::to_string(getpid()) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return make_error(kErrGeneric, path + ": cannot write the pid file: " + std::strerror(err));
  }
  return {};
}

void remove_pid_file(const std::string& path) {
  if (path.empty()) return;
  if (read_pid(path) == getpid()) unlink(path.c_str());
}

}  // namespace sora
