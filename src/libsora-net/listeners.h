// The [listener NAME] sections: sockets bound by the supervisor before the
// workers fork, and the set of listeners each worker serves them with.
//
// (the Config overloads are in net-settings.h)
// Supervisor:  auto sockets = bind_listeners(config);      // before fork
// Worker:      ListenerSet set(std::move(*sockets), lookup);
//              set.start(tls_settings(config));            // loop running
//   SIGHUP:    set.reload_tls(tls_settings(config));
//   SIGTERM:   set.stop_accepting(); set.begin_shutdown();
//              ... after [core] shutdown_timeout: set.close_all();
//              co_await set.join();
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "libsora-net/connection.h"
#include "libsora-net/proxy.h"
#include "libsora-net/tls.h"
#include "sora/net.h"
#include "sora/task.h"

namespace sora {

// One [listener NAME] section as plain values (tests build it by hand).
struct ListenerSettings {
  std::string name;
  std::string protocol;
  std::vector<std::string> addresses;
  std::string address_place = "[listener]";  // "FILE:LINE: [listener NAME] address"
  std::string tls_place = "[listener]";      // the same for the tls key
  TlsMode tls = TlsMode::none;
  bool proxy_protocol = false;
  std::vector<std::string> proxy_trusted = {"127.0.0.0/8", "::1/128"};
  int backlog = 511;
  unsigned unix_mode = 0660;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds read_timeout{30 * 60 * 1000};
  std::size_t write_buffer = 256 * 1024;
};

// A listening socket, bound and listening, close-on-exec. Owns its fd until
// a ListenerSet takes it.
class BoundSocket {
 public:
  BoundSocket(std::shared_ptr<const ListenerSettings> listener, std::string address, int fd,
              bool unix_socket);
  BoundSocket(BoundSocket&& other) noexcept;
  BoundSocket& operator=(BoundSocket&& other) noexcept;
  ~BoundSocket();

  const ListenerSettings& listener() const { return *listener_; }
  std::shared_ptr<const ListenerSettings> shared_listener() const { return listener_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:143", "unix:/run/x"
  int fd() const { return fd_; }
  bool unix_socket() const { return unix_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  std::shared_ptr<const ListenerSettings> listener_;
  std::string address_;
  int fd_ = -1;
  bool unix_ = false;
};

// In the supervisor, before workers fork. Also checks that every listener with
// tls != none has a usable [tls] certificate and key.
Result<std::vector<BoundSocket>> bind_listeners(const std::vector<ListenerSettings>& listeners,
                                                const TlsSettings& tls);

using ProtocolLookup = std::function<Protocol*(const std::string& name)>;

// In each worker: accepts on the inherited sockets and runs a session per
// connection. Destroy only after join() has completed.
class ListenerSet {
 public:
  ListenerSet(std::vector<BoundSocket> sockets, ProtocolLookup lookup);
  ~ListenerSet();
  ListenerSet(const ListenerSet&) = delete;
  ListenerSet& operator=(const ListenerSet&) = delete;

  // Loads TLS, finds each listener's protocol and starts accepting.
  Status start(const TlsSettings& tls);

  void stop_accepting();
  // Asks every protocol in use to end its sessions.
  void begin_shutdown();
  // Closes every open connection at once; their sessions then end.
  void close_all();
  // Completes when every session has ended (stop_accepting() first).
  Task<void> join();

  std::size_t open_connections() const { return sessions_.size(); }

  // On failure the old certificate stays in use.
  Status reload_tls(const TlsSettings& tls);

 private:
  struct Listener;
  struct Endpoint;

  Status open_endpoint(Endpoint& endpoint);
  void on_connection(Endpoint& endpoint);
  void refuse(Listener& listener, std::unique_ptr<StreamConnection> conn);
  Task<void> session(Listener* listener, std::unique_ptr<StreamConnection> conn);
  Task<bool> read_proxy_header(Listener& listener, StreamConnection& conn);

  ProtocolLookup lookup_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::shared_ptr<TlsContextHolder> tls_;
  std::unordered_set<StreamConnection*> sessions_;
  Scope scope_;
  bool accepting_ = false;
};

}  // namespace sora
