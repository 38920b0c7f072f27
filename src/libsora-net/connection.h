// sora::Connection over a libuv stream (TCP or Unix socket), with TLS through
// memory BIOs.
//
// Lifetime: the libuv handles live in a heap state object that the handles
// themselves keep alive until their uv_close callbacks have run, so the
// StreamConnection may be destroyed at any time (it closes the stream) and no
// callback ever reaches freed memory. Coroutines waiting on the connection
// register in the state; a waiting coroutine whose frame is destroyed takes
// its registration away, so a callback never resumes a coroutine that is gone.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>

#include "libsora-net/proxy.h"
#include "libsora-net/tls.h"
#include "sora/net.h"

namespace sora {

namespace detail {
struct ConnState;
}

struct ConnectionOptions {
  std::string listener_name;
  TlsMode tls = TlsMode::none;
  // Where start_tls() takes the current context from; null when tls = none.
  std::shared_ptr<TlsContextHolder> tls_contexts;
  std::chrono::milliseconds read_timeout{0};
  std::size_t write_buffer = 256 * 1024;
};

class StreamConnection final : public Connection {
 public:
  // Accepts one pending connection of a listening TCP or pipe handle.
  static Result<std::unique_ptr<StreamConnection>> accept(uv_stream_t* server,
                                                          ConnectionOptions options);
  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  Task<Result<std::size_t>> read(std::span<char> buf) override;
  Task<Status> write(std::string_view data) override;
  Task<Status> flush() override;
  Task<Status> start_tls() override;
  void close() override;
  void set_read_timeout(std::chrono::milliseconds timeout) override;

  bool tls_active() const override;
  bool starttls_offered() const override;
  bool secured() const override;
  const std::string& remote_ip() const override { return remote_ip_; }
  int remote_port() const override { return remote_port_; }
  const std::string& local_ip() const override { return local_ip_; }
  int local_port() const override { return local_port_; }
  const std::string& listener_name() const override { return options_.listener_name; }

  // The client as a trusted PROXY header names it; before serve() only.
  void use_proxy_addresses(const ProxyAddresses& addresses);
  bool is_unix_socket() const;
  // Bytes handed to libuv and not yet written to the kernel.
  std::size_t unsent() const;

 private:
  StreamConnection() = default;
  void read_socket_addresses();

  std::shared_ptr<detail::ConnState> st_;
  ConnectionOptions options_;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
  bool local_peer_ = false;  // loopback or Unix socket
};

}  // namespace sora
