// Client connections as protocol modules see them, and the Protocol interface
// a protocol module registers.
//
// The core owns listeners ([listener NAME] sections): it accepts, reads an
// optional PROXY v2 header from trusted addresses, does implicit TLS or offers
// STARTTLS, and hands each connection to the listener's protocol as a
// coroutine. Reads and writes resume on the loop thread; write() applies
// backpressure by suspending while unsent output is above the high-water mark.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "sora/result.h"
#include "sora/task.h"

namespace sora {

enum class TlsMode { none, implicit, starttls };

class Connection {
 public:
  virtual ~Connection() = default;

  // Reads what is available, at most buf.size() bytes; 0 means the peer closed.
  // Fails with kErrTimeout after the read timeout, kErrClosed once closed.
  virtual Task<Result<std::size_t>> read(std::span<char> buf) = 0;

  // Queues `data`; suspends while more than the high-water mark is unsent.
  virtual Task<Status> write(std::string_view data) = 0;

  // Suspends until everything queued has been handed to the kernel.
  virtual Task<Status> flush() = 0;

  // Server side of STARTTLS: call after sending the protocol's go-ahead and
  // flushing it. Fails when the listener has no TLS or TLS is already active.
  virtual Task<Status> start_tls() = 0;

  // Closes at once; pending reads and writes fail with kErrClosed.
  virtual void close() = 0;

  // 0 disables; the default comes from the listener.
  virtual void set_read_timeout(std::chrono::milliseconds timeout) = 0;

  virtual bool tls_active() const = 0;
  virtual bool starttls_offered() const = 0;  // listener is tls = starttls and TLS is not yet on
  // TLS is on, or the peer is on loopback or a Unix socket: plaintext
  // authentication is allowed.
  virtual bool secured() const = 0;

  // The client's address (after a PROXY header when one was accepted).
  virtual const std::string& remote_ip() const = 0;
  virtual int remote_port() const = 0;
  virtual const std::string& local_ip() const = 0;
  virtual int local_port() const = 0;
  virtual const std::string& listener_name() const = 0;
};

// A protocol module's entry point: one serve() per accepted connection. The
// core closes the connection when serve() returns.
class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual Task<void> serve(Connection& conn) = 0;
  // Called when the worker begins to drain: ask sessions to finish (say BYE).
  // Sessions still open after [core] shutdown_timeout are closed.
  virtual void begin_shutdown() {}
};

}  // namespace sora
