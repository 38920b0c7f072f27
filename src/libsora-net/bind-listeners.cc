// The supervisor's half of the listeners: sockets created, bound and
// listening before the workers fork, so every worker accepts on the same ones.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libsora-net/listeners.h"

namespace sora {

BoundSocket::BoundSocket(std::shared_ptr<const ListenerSettings> listener, std::string address,
                         int fd, bool unix_socket)
    : listener_(std::move(listener)), address_(std::move(address)), fd_(fd), unix_(unix_socket) {}

BoundSocket::BoundSocket(BoundSocket&& other) noexcept
    : listener_(std::move(other.listener_)),
      address_(std::move(other.address_)),
      fd_(std::exchange(other.fd_, -1)),
      unix_(other.unix_) {}

BoundSocket& BoundSocket::operator=(BoundSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    listener_ = std::move(other.listener_);
    address_ = std::move(other.address_);
    fd_ = std::exchange(other.fd_, -1);
    unix_ = other.unix_;
  }
  return *this;
}

BoundSocket::~BoundSocket() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

using Listener = std::shared_ptr<const ListenerSettings>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

Error bind_error(const ListenerSettings& l, const std::string& address, const std::string& why) {
  return make_error(kErrConfig, l.address_place + ": cannot bind " + address + ": " + why);
}

std::string errno_text() { return std::strerror(errno); }

std::string display(const sockaddr* sa) {
  std::string ip = address_to_ip(sa);
  int port = address_to_port(sa);
  if (sa->sa_family == AF_INET6) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

Result<BoundSocket> bind_inet(const Listener& l, const sockaddr* sa, socklen_t len) {
  std::string address = display(sa);
  Fd s{::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return bind_error(*l, address, errno_text());
  int one = 1;
  setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Workers share this one socket by inheriting it. No SO_REUSEPORT: it would
  // let a second sorad bind the same port without a word and take half of the
  // clients. A daemon that is stopping closes its sockets at once (the
  // supervisor in begin_stop, workers when they stop accepting), so its
  // successor can bind while its sessions drain.
  // [::] must not take IPv4 too, or *:PORT could not bind 0.0.0.0 beside it.
  if (sa->sa_family == AF_INET6) setsockopt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(s.fd, sa, len) != 0 || ::listen(s.fd, l->backlog) != 0) {
    return bind_error(*l, address, errno_text());
  }
  return BoundSocket(l, address, s.release(), false);
}

Result<std::vector<BoundSocket>> bind_host_port(const Listener& l, const std::string& host,
                                                const std::string& port,
                                                const std::string& written) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return bind_error(*l, written, gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  std::vector<BoundSocket> out;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    auto s = bind_inet(l, ai->ai_addr, ai->ai_addrlen);
    if (!s) return s.take_error();
    out.push_back(std::move(*s));
  }
  return out;
}

// A socket file left by a daemon that died is removed; one that still
// answers belongs to a running daemon and is left alone.
Status remove_stale_socket(const ListenerSettings& l, const sockaddr_un& sun,
                           const std::string& written) {
  struct stat st;
  if (::lstat(sun.sun_path, &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return bind_error(l, written, "the file exists and is not a socket");
  Fd probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (::connect(probe.fd, reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0) {
    return bind_error(l, written, "another process is listening on it");
  }
  if (::unlink(sun.sun_path) != 0) return bind_error(l, written, errno_text());
  return {};
}

Result<BoundSocket> bind_unix(const Listener& l, const std::string& path,
                              const std::string& written) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path) {
    return bind_error(*l, written, "the path is empty or too long");
  }
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  if (auto s = remove_stale_socket(*l, sun, written); !s) return s.take_error();
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0 || ::bind(s.fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 ||
      ::chmod(path.c_str(), l->unix_mode) != 0 || ::listen(s.fd, l->backlog) != 0) {
    return bind_error(*l, written, errno_text());
  }
  return BoundSocket(l, written, s.release(), true);
}

Result<std::vector<BoundSocket>> bind_address(const Listener& l, const std::string& address) {
  if (address.rfind("unix:", 0) == 0) {
    auto s = bind_unix(l, address.substr(5), address);
    if (!s) return s.take_error();
    std::vector<BoundSocket> out;
    out.push_back(std::move(*s));
    return out;
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return bind_error(*l, address, "expected HOST:PORT, [IPV6]:PORT, *:PORT or unix:/PATH");
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host == "*") {
    auto v4 = bind_host_port(l, "0.0.0.0", port, address);
    if (!v4) return v4;
    auto v6 = bind_host_port(l, "::", port, address);
    if (!v6) return v6;
    for (auto& s : *v6) v4->push_back(std::move(s));
    return v4;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return bind_host_port(l, host, port, address);
}

Status check_tls(const std::vector<ListenerSettings>& listeners, const TlsSettings& tls) {
  for (const auto& l : listeners) {
    if (l.tls == TlsMode::none) continue;
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      return make_error(kErrConfig, l.tls_place + ": TLS needs [tls] cert_file and key_file");
    }
    // Bad files are found now, with their names, rather than in every worker.
    auto context = TlsContext::create(tls);
    if (!context) return make_error(kErrConfig, l.tls_place + ": " + context.error().message);
    return {};
  }
  return {};
}

}  // namespace

Result<std::vector<BoundSocket>> bind_listeners(const std::vector<ListenerSettings>& listeners,
                                                const TlsSettings& tls) {
  if (auto s = check_tls(listeners, tls); !s) return s.take_error();
  std::vector<BoundSocket> out;
  for (const auto& settings : listeners) {
    auto l = std::make_shared<const ListenerSettings>(settings);
    for (const auto& address : settings.addresses) {
      auto bound = bind_address(l, address);
      if (!bound) return bound.take_error();
      for (auto& s : *bound) out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace sora
