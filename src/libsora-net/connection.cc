#include "libsora-net/connection.h"

#include <algorithm>
#include <coroutine>
#include <cstring>
#include <utility>
#include <vector>

namespace sora {

namespace {
// Reading ahead stops here until the session consumes what it has.
constexpr std::size_t kReadAheadLimit = 256 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;
}  // namespace

namespace detail {

struct ConnState {
  union Stream {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  uv_timer_t timer;
  // Held while the libuv handles are open; released by the last close callback.
  std::shared_ptr<ConnState> self;
  int open_handles = 0;
  bool is_pipe = false;

  bool reading = false;
  bool closing = false;
  bool eof = false;
  bool timed_out = false;
  int read_error = 0;
  int write_error = 0;
  std::string rx;          // bytes from the socket not yet consumed or fed to TLS
  std::size_t rx_before_write = 0;  // of rx, bytes received before our last write
  std::string plain;       // decrypted bytes not yet consumed
  std::unique_ptr<TlsSession> tls;
  bool tls_active = false;
  std::size_t unsent = 0;
  std::chrono::milliseconds read_timeout{0};
  std::size_t write_buffer = 0;
  char chunk[kReadChunk];

  std::coroutine_handle<> reader;
  // Coroutines waiting for output to drain (flush(), write() above the
  // high-water mark): there may be several, e.g. a session and a helper that
  // says BYE beside it. `waking` is the batch wake_writers() is resuming.
  std::vector<std::coroutine_handle<>> writers;
  std::vector<std::coroutine_handle<>>* waking = nullptr;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h); }
};

}  // namespace detail

using detail::ConnState;

namespace {

// Suspends until a callback resumes the coroutine through `slot`. If the
// coroutine's frame is destroyed while suspended, the registration goes with
// it, so no callback can resume it afterwards.
class WaitOn {
 public:
  explicit WaitOn(std::coroutine_handle<>& slot) : slot_(slot) {}
  WaitOn(const WaitOn&) = delete;
  WaitOn& operator=(const WaitOn&) = delete;
  ~WaitOn() {
    if (me_ && slot_ == me_) slot_ = {};
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    me_ = h;
    slot_ = h;
  }
  void await_resume() noexcept { me_ = {}; }

 private:
  std::coroutine_handle<>& slot_;
  std::coroutine_handle<> me_;
};

void wake(std::coroutine_handle<>& slot) {
  if (auto h = std::exchange(slot, {})) h.resume();
}

// Suspends until wake_writers(); like WaitOn, a destroyed frame takes its
// registration away, also from a batch being woken.
class WaitForOutput {
 public:
  explicit WaitForOutput(ConnState* st) : st_(st) {}
  WaitForOutput(const WaitForOutput&) = delete;
  WaitForOutput& operator=(const WaitForOutput&) = delete;
  ~WaitForOutput() {
    if (!me_) return;
    std::erase(st_->writers, me_);
    if (st_->waking) std::erase(*st_->waking, me_);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    st_->writers.push_back(h);
    me_ = h;
  }
  void await_resume() noexcept { me_ = {}; }

 private:
  ConnState* st_;
  std::coroutine_handle<> me_;
};

// Resumes every writer waiting now; one that waits again is resumed by the
// next call, not by this one.
void wake_writers(ConnState* st) {
  std::vector<std::coroutine_handle<>> batch = std::exchange(st->writers, {});
  auto* outer = std::exchange(st->waking, &batch);
  while (!batch.empty()) {
    auto h = batch.front();
    batch.erase(batch.begin());
    h.resume();
  }
  st->waking = outer;
}

Error closed_error() { return make_error(kErrClosed, "connection closed"); }

Error uv_error(const char* what, int rc) {
  return make_error(kErrClosed, std::string(what) + ": " + uv_strerror(rc));
}

void on_handle_closed(uv_handle_t* handle) {
  auto* st = static_cast<ConnState*>(handle->data);
  if (--st->open_handles > 0) return;
  // Keeps the state alive while the woken coroutines look at it.
  auto keep = std::move(st->self);
  wake(st->reader);
  wake_writers(st);
}

void stop_reading(ConnState* st) {
  if (st->reading) uv_read_stop(st->stream());
  st->reading = false;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* st = static_cast<ConnState*>(stream->data);
  if (nread > 0) {
    st->rx.append(st->chunk, static_cast<std::size_t>(nread));
    if (st->rx.size() >= kReadAheadLimit) stop_reading(st);
  } else if (nread == UV_EOF) {
    st->eof = true;
    stop_reading(st);
  } else if (nread < 0) {
    st->read_error = static_cast<int>(nread);
    stop_reading(st);
  }
  wake(st->reader);
}

void start_reading(ConnState* st) {
  if (st->reading || st->closing || st->eof || st->read_error) return;
  int rc = uv_read_start(
      st->stream(),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        auto* s = static_cast<ConnState*>(handle->data);
        *buf = uv_buf_init(s->chunk, sizeof s->chunk);
      },
      on_read);
  if (rc != 0) {
    st->read_error = rc;
    return;
  }
  st->reading = true;
}

void start_read_timer(ConnState* st) {
  if (st->read_timeout.count() <= 0 || st->closing) return;
  uv_timer_start(
      &st->timer,
      [](uv_timer_t* timer) {
        auto* s = static_cast<ConnState*>(timer->data);
        s->timed_out = true;
        wake(s->reader);
      },
      static_cast<uint64_t>(st->read_timeout.count()), 0);
}

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

void on_written(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> w(static_cast<WriteRequest*>(req->data));
  auto* st = static_cast<ConnState*>(req->handle->data);
  st->unsent -= w->data.size();
  if (status < 0 && status != UV_ECANCELED && st->write_error == 0) st->write_error = status;
  wake_writers(st);
}

Status send_raw(ConnState* st, std::string bytes) {
  if (bytes.empty()) return {};
  auto w = std::make_unique<WriteRequest>();
  w->data = std::move(bytes);
  w->req.data = w.get();
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, st->stream(), &buf, 1, on_written);
  if (rc != 0) return uv_error("write failed", rc);
  st->unsent += w->data.size();
  w.release();  // on_written frees it
  return {};
}

Status stream_error(const ConnState* st) {
  if (st->closing) return closed_error();
  if (st->write_error) return uv_error("write failed", st->write_error);
  return {};
}

// Moves what the socket gave to TLS, and what TLS has to say (alerts, key
// updates, tickets) back to the socket.
Status pump_tls(ConnState* st, bool handshaking) {
  st->tls->feed(st->rx);
  st->rx.clear();
  auto progress = handshaking ? st->tls->handshake() : st->tls->read(st->plain);
  Status sent = send_raw(st, st->tls->take_output());
  if (progress == TlsSession::Progress::failed) {
    return make_error(kErrClosed, st->tls->error());
  }
  if (handshaking && progress == TlsSession::Progress::done) st->tls_active = true;
  return sent;
}

// What a reader gets when no bytes are left: end of stream, an error, or
// nothing yet (ok).
Result<bool> input_ended(ConnState* st) {
  if (st->closing) return closed_error();
  if (st->tls_active && st->tls->peer_closed()) return true;
  if (st->eof) return true;
  if (st->read_error) return uv_error("read failed", st->read_error);
  if (std::exchange(st->timed_out, false)) {
    return make_error(kErrTimeout, "no data from the client within the read timeout");
  }
  return false;
}

// Suspends until the socket has something (or the timeout, or close).
Task<void> wait_for_input(std::shared_ptr<ConnState> st) {
  start_reading(st.get());
  start_read_timer(st.get());
  co_await WaitOn(st->reader);
  if (!st->closing) uv_timer_stop(&st->timer);
}

std::size_t take_input(ConnState* st, std::string& from, std::span<char> buf) {
  std::size_t n = std::min(buf.size(), from.size());
  std::memcpy(buf.data(), from.data(), n);
  from.erase(0, n);
  if (&from == &st->rx) st->rx_before_write -= std::min(n, st->rx_before_write);
  return n;
}

}  // namespace

Result<std::unique_ptr<StreamConnection>> StreamConnection::accept(uv_stream_t* server,
                                                                   ConnectionOptions options) {
  std::unique_ptr<StreamConnection> conn(new StreamConnection);
  auto st = std::make_shared<ConnState>();
  st->is_pipe = server->type == UV_NAMED_PIPE;
  if (st->is_pipe) {
    uv_pipe_init(server->loop, &st->h.pipe, 0);
  } else {
    uv_tcp_init(server->loop, &st->h.tcp);
  }
  uv_timer_init(server->loop, &st->timer);
  st->stream()->data = st.get();
  st->timer.data = st.get();
  st->open_handles = 2;
  st->self = st;
  st->read_timeout = options.read_timeout;
  st->write_buffer = options.write_buffer;
  conn->st_ = std::move(st);
  conn->options_ = std::move(options);
  if (int rc = uv_accept(server, conn->st_->stream()); rc != 0) {
    return uv_error("accept failed", rc);  // conn's destructor closes the handles
  }
  if (!conn->st_->is_pipe) uv_tcp_nodelay(&conn->st_->h.tcp, 1);
  conn->read_socket_addresses();
  return conn;
}

void StreamConnection::read_socket_addresses() {
  if (st_->is_pipe) {
    remote_ip_ = local_ip_ = "unix";
    local_peer_ = true;
    return;
  }
  sockaddr_storage peer{}, self{};
  int len = sizeof peer;
  uv_tcp_getpeername(&st_->h.tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof self;
  uv_tcp_getsockname(&st_->h.tcp, reinterpret_cast<sockaddr*>(&self), &len);
  remote_ip_ = address_to_ip(reinterpret_cast<sockaddr*>(&peer));
  remote_port_ = address_to_port(reinterpret_cast<sockaddr*>(&peer));
  local_ip_ = address_to_ip(reinterpret_cast<sockaddr*>(&self));
  local_port_ = address_to_port(reinterpret_cast<sockaddr*>(&self));
  local_peer_ = is_loopback(reinterpret_cast<sockaddr*>(&peer));
}

StreamConnection::~StreamConnection() { close(); }

void StreamConnection::close() {
  if (!st_ || st_->closing) return;
  st_->closing = true;
  st_->reading = false;
  uv_close(reinterpret_cast<uv_handle_t*>(st_->stream()), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&st_->timer), on_handle_closed);
}

Task<Result<std::size_t>> StreamConnection::read(std::span<char> buf) {
  auto st = st_;
  for (;;) {
    if (st->closing) co_return closed_error();
    if (st->tls_active) {
      if (auto s = pump_tls(st.get(), false); !s) co_return s.take_error();
    }
    std::string& input = st->tls_active ? st->plain : st->rx;
    if (!input.empty()) co_return take_input(st.get(), input, buf);
    auto ended = input_ended(st.get());
    if (!ended) co_return ended.take_error();
    if (*ended) co_return std::size_t{0};
    co_await wait_for_input(st);
  }
}

Task<Status> StreamConnection::write(std::string_view data) {
  auto st = st_;
  if (auto s = stream_error(st.get()); !s) co_return s;
  std::string bytes;
  if (st->tls_active) {
    if (auto s = st->tls->write(data); !s) co_return s;
    bytes = st->tls->take_output();
  } else {
    bytes.assign(data);
    // Plaintext received before a STARTTLS go-ahead is not part of the TLS stream.
    st->rx_before_write = st->rx.size();
  }
  if (auto s = send_raw(st.get(), std::move(bytes)); !s) co_return s;
  while (st->unsent > st->write_buffer && stream_error(st.get())) {
    co_await WaitForOutput(st.get());
  }
  co_return stream_error(st.get());
}

Task<Status> StreamConnection::flush() {
  auto st = st_;
  while (st->unsent > 0 && stream_error(st.get())) co_await WaitForOutput(st.get());
  co_return stream_error(st.get());
}

constexpr std::chrono::milliseconds kTlsHandshakeTimeout{30000};

Task<Status> StreamConnection::start_tls() {
  auto st = st_;
  if (options_.tls == TlsMode::none || !options_.tls_contexts || st->tls) {
    co_return make_error(kErrInvalid, "TLS is not available on this connection");
  }
  auto context = options_.tls_contexts->current();
  if (!context) co_return make_error(kErrTemporary, "no TLS certificate is loaded");
  auto session = TlsSession::create_server(std::move(context));
  if (!session) co_return session.take_error();
  st->tls = std::move(*session);
  // A client that stalls in the handshake holds a connection slot: give the
  // handshake at most kTlsHandshakeTimeout, whatever the session's timeout.
  struct RestoreTimeout {
    decltype(st.get()) state;
    std::chrono::milliseconds saved;
    ~RestoreTimeout() { state->read_timeout = saved; }
  } restore{st.get(), st->read_timeout};
  if (st->read_timeout.count() == 0 || st->read_timeout > kTlsHandshakeTimeout) {
    st->read_timeout = kTlsHandshakeTimeout;
  }
  // RFC 3207 section 4.2, RFC 2595 section 3.1: what the client pipelined
  // after the STARTTLS command is discarded, not read as TLS.
  st->rx.erase(0, st->rx_before_write);
  st->rx_before_write = 0;
  for (;;) {
    if (st->closing) co_return closed_error();
    if (auto s = pump_tls(st.get(), true); !s) co_return s;
    if (st->tls_active) co_return Status{};
    auto ended = input_ended(st.get());
    if (!ended) co_return ended.take_error();
    if (*ended) co_return make_error(kErrClosed, "the client closed during the TLS handshake");
    co_await wait_for_input(st);
  }
}

void StreamConnection::set_read_timeout(std::chrono::milliseconds timeout) {
  st_->read_timeout = timeout;
}

bool StreamConnection::tls_active() const { return st_->tls_active; }

bool StreamConnection::starttls_offered() const {
  return options_.tls == TlsMode::starttls && !st_->tls;
}

bool StreamConnection::secured() const { return st_->tls_active || local_peer_; }

void StreamConnection::use_proxy_addresses(const ProxyAddresses& addresses) {
  if (!addresses.use) return;
  remote_ip_ = addresses.src_ip;
  remote_port_ = addresses.src_port;
  local_ip_ = addresses.dst_ip;
  local_port_ = addresses.dst_port;
  // The proxy may sit on loopback; the client it speaks for need not.
  local_peer_ = is_loopback_ip(remote_ip_);
}

bool StreamConnection::is_unix_socket() const { return st_->is_pipe; }

std::size_t StreamConnection::unsent() const { return st_->unsent; }

}  // namespace sora
