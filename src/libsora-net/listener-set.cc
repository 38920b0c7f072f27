// The worker's half of the listeners: accept, limit, PROXY header, implicit
// TLS, then the protocol's serve() in the set's Scope.
#include <algorithm>
#include <cstdio>

#include "libsora-net/listeners.h"
#include "sora/log.h"
#include "sora/loop.h"

namespace sora {

namespace {
// A PROXY header comes from a load balancer at once; a client that sends none
// is not kept for the whole read timeout.
constexpr std::chrono::milliseconds kProxyHeaderTimeout{10000};
constexpr uint64_t kRefusalLogIntervalMs = 10000;
}  // namespace

struct ListenerSet::Listener {
  std::shared_ptr<const ListenerSettings> settings;
  Protocol* protocol = nullptr;
  CidrList trusted;
  std::size_t open = 0;
  uint64_t last_refusal_log = 0;
  std::size_t refused_unlogged = 0;
};

struct ListenerSet::Endpoint {
  ListenerSet* set = nullptr;
  Listener* listener = nullptr;
  BoundSocket socket;
  // Heap allocated and freed by its uv_close callback.
  union Handle {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  }* handle = nullptr;
  bool unix_socket = false;
};

ListenerSet::ListenerSet(std::vector<BoundSocket> sockets, ProtocolLookup lookup)
    : lookup_(std::move(lookup)), tls_(std::make_shared<TlsContextHolder>()) {
  for (auto& socket : sockets) {
    auto settings = socket.shared_listener();
    auto same = [&](const auto& l) { return l->settings->name == settings->name; };
    auto it = std::find_if(listeners_.begin(), listeners_.end(), same);
    if (it == listeners_.end()) {
      listeners_.push_back(std::make_unique<Listener>());
      listeners_.back()->settings = settings;
      it = listeners_.end() - 1;
    }
    auto endpoint = std::make_unique<Endpoint>(Endpoint{this, it->get(), std::move(socket)});
    endpoint->unix_socket = endpoint->socket.unix_socket();
    endpoints_.push_back(std::move(endpoint));
  }
}

ListenerSet::~ListenerSet() { stop_accepting(); }

Status ListenerSet::start(const TlsSettings& tls) {
  bool needs_tls = false;
  for (auto& l : listeners_) {
    l->protocol = lookup_(l->settings->protocol);
    if (!l->protocol) {
      return make_error(kErrConfig, "[listener " + l->settings->name + "] protocol: no loaded module "
                                    "offers \"" + l->settings->protocol + "\"; add it to [core] modules");
    }
    auto trusted = CidrList::parse(l->settings->proxy_trusted);
    if (!trusted) return trusted.take_error();
    l->trusted = std::move(*trusted);
    needs_tls = needs_tls || l->settings->tls != TlsMode::none;
  }
  if (needs_tls) {
    if (auto s = tls_->load(tls); !s) return s;
  }
  for (auto& e : endpoints_) {
    if (auto s = open_endpoint(*e); !s) return s;
  }
  accepting_ = true;
  return {};
}

Status ListenerSet::open_endpoint(Endpoint& e) {
  e.handle = new Endpoint::Handle;
  auto* stream = reinterpret_cast<uv_stream_t*>(e.handle);
  int rc;
  if (e.unix_socket) {
    uv_pipe_init(loop(), &e.handle->pipe, 0);
    rc = uv_pipe_open(&e.handle->pipe, e.socket.fd());
  } else {
    uv_tcp_init(loop(), &e.handle->tcp);
    rc = uv_tcp_open(&e.handle->tcp, e.socket.fd());
  }
  // From here the handle owns the descriptor and closes it with itself.
  if (rc == 0) e.socket.release();
  stream->data = &e;
  if (rc == 0) {
    rc = uv_listen(stream, e.listener->settings->backlog, [](uv_stream_t* server, int status) {
      auto* endpoint = static_cast<Endpoint*>(server->data);
      if (status < 0) {
        SORA_LOG_WARNING("[listener %s] %s: accept failed: %s",
                         endpoint->listener->settings->name.c_str(),
                         endpoint->socket.address().c_str(), uv_strerror(status));
        return;
      }
      endpoint->set->on_connection(*endpoint);
    });
  }
  if (rc != 0) {
    return make_error(kErrGeneric, "[listener " + e.listener->settings->name + "] " +
                                       e.socket.address() + ": cannot listen: " + uv_strerror(rc));
  }
  return {};
}

void ListenerSet::on_connection(Endpoint& e) {
  Listener& l = *e.listener;
  ConnectionOptions options{l.settings->name, l.settings->tls, tls_, l.settings->read_timeout,
                            l.settings->write_buffer};
  auto conn = StreamConnection::accept(reinterpret_cast<uv_stream_t*>(e.handle), std::move(options));
  if (!conn) {
    SORA_LOG_WARNING("[listener %s] %s", l.settings->name.c_str(), conn.error().message.c_str());
    return;
  }
  if (l.open >= l.settings->max_connections) return refuse(l, std::move(*conn));
  scope_.spawn(session(&l, std::move(*conn)));
}

void ListenerSet::refuse(Listener& l, std::unique_ptr<StreamConnection> conn) {
  conn->close();
  ++l.refused_unlogged;
  uint64_t now = uv_now(loop());
  if (l.last_refusal_log != 0 && now - l.last_refusal_log < kRefusalLogIntervalMs) return;
  SORA_LOG_NOTICE("[listener %s] max_connections (%zu) reached: refused %zu connection(s), the "
                  "last from %s; raise max_connections or add workers",
                  l.settings->name.c_str(), l.settings->max_connections, l.refused_unlogged,
                  conn->remote_ip().c_str());
  l.last_refusal_log = now;
  l.refused_unlogged = 0;
}

Task<bool> ListenerSet::read_proxy_header(Listener& l, StreamConnection& conn) {
  const char* name = l.settings->name.c_str();
  if (!l.trusted.contains(conn.remote_ip())) {
    SORA_LOG_WARNING("[listener %s] %s is not in proxy_trusted: served without a PROXY header",
                     name, conn.remote_ip().c_str());
    co_return true;
  }
  conn.set_read_timeout(std::min(kProxyHeaderTimeout, l.settings->read_timeout.count() > 0
                                                           ? l.settings->read_timeout
                                                           : kProxyHeaderTimeout));
  ProxyV2Parser parser;
  char buf[256];
  for (;;) {
    std::size_t want = std::min(parser.bytes_wanted(), sizeof buf);
    auto n = co_await conn.read(std::span<char>(buf, want));
    if (!n || *n == 0) {
      SORA_LOG_INFO("[listener %s] %s: no PROXY header: %s", name, conn.remote_ip().c_str(),
                    n ? "closed" : n.error().message.c_str());
      co_return false;
    }
    ProxyParse p = parser.feed(std::string_view(buf, *n));
    if (p.state == ProxyParse::State::error) {
      SORA_LOG_WARNING("[listener %s] %s: %s; closing", name, conn.remote_ip().c_str(),
                       p.error.c_str());
      co_return false;
    }
    if (p.state == ProxyParse::State::done) {
      conn.use_proxy_addresses(p.addresses);
      conn.set_read_timeout(l.settings->read_timeout);
      co_return true;
    }
  }
}

Task<void> ListenerSet::session(Listener* l, std::unique_ptr<StreamConnection> conn) {
  struct Registration {
    ListenerSet* set;
    Listener* l;
    StreamConnection* conn;
    Registration(ListenerSet* s, Listener* li, StreamConnection* c) : set(s), l(li), conn(c) {
      set->sessions_.insert(conn);
      ++l->open;
    }
    ~Registration() {
      set->sessions_.erase(conn);
      --l->open;
    }
  } registration(this, l, conn.get());

  // No co_await inside && || ?: : g++ 12 miscompiles it (see STYLE notes).
  if (l->settings->proxy_protocol) {
    bool header_ok = co_await read_proxy_header(*l, *conn);
    if (!header_ok) co_return;
  }
  if (l->settings->tls == TlsMode::implicit) {
    if (auto s = co_await conn->start_tls(); !s) {
      SORA_LOG_INFO("[listener %s] %s: %s", l->settings->name.c_str(), conn->remote_ip().c_str(),
                    s.error().message.c_str());
      co_return;
    }
  }
  co_await l->protocol->serve(*conn);
  conn->close();
}

void ListenerSet::stop_accepting() {
  accepting_ = false;
  for (auto& e : endpoints_) {
    if (!e->handle) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(std::exchange(e->handle, nullptr)),
             [](uv_handle_t* h) { delete reinterpret_cast<Endpoint::Handle*>(h); });
  }
}

void ListenerSet::begin_shutdown() {
  std::vector<Protocol*> told;
  for (auto& l : listeners_) {
    if (!l->protocol || std::find(told.begin(), told.end(), l->protocol) != told.end()) continue;
    told.push_back(l->protocol);
    l->protocol->begin_shutdown();
  }
}

void ListenerSet::close_all() {
  for (StreamConnection* conn : sessions_) conn->close();
}

Task<void> ListenerSet::join() { co_await scope_.join(); }

Status ListenerSet::reload_tls(const TlsSettings& tls) {
  bool needs_tls = std::any_of(listeners_.begin(), listeners_.end(),
                               [](const auto& l) { return l->settings->tls != TlsMode::none; });
  if (!needs_tls) return {};
  return tls_->load(tls);
}

}  // namespace sora
