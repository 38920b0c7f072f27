// Connections end to end inside one process: a ListenerSet on 127.0.0.1:0
// serving test protocols on the loop, blocking clients (plain and OpenSSL) on
// std::threads, a self-signed certificate made at start.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern "C" {
#include <cmocka.h>
}

#include "libsora-net/listeners.h"
#include "sora/loop.h"

using namespace std::chrono_literals;
using sora::Connection;
using sora::Task;

namespace {

std::string g_dir;
sora::TlsSettings g_tls;

// ---- certificate -----------------------------------------------------------

void write_pem(const std::string& path, EVP_PKEY* key, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  assert_non_null(f);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  if (cert) PEM_write_X509(f, cert);
  std::fclose(f);
}

X509* self_signed(EVP_PKEY* key) {
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  return cert;
}

int setup(void**) {
  char tmpl[] = "/tmp/sora-net-test.XXXXXX";
  g_dir = mkdtemp(tmpl);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  EVP_PKEY* other = EVP_EC_gen("P-256");
  X509* cert = self_signed(key);
  write_pem(g_dir + "/cert.pem", nullptr, cert);
  write_pem(g_dir + "/key.pem", key, nullptr);
  write_pem(g_dir + "/other-key.pem", other, nullptr);
  FILE* f = std::fopen((g_dir + "/encrypted-key.pem").c_str(), "w");
  assert_non_null(f);
  PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), reinterpret_cast<const unsigned char*>("secret"), 6,
                       nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  EVP_PKEY_free(other);
  g_tls = sora::TlsSettings{g_dir + "/cert.pem", g_dir + "/key.pem", "TLSv1.2", ""};
  return 0;
}

int teardown(void**) {
  for (const char* f : {"/cert.pem", "/key.pem", "/other-key.pem", "/encrypted-key.pem"}) {
    unlink((g_dir + f).c_str());
  }
  rmdir(g_dir.c_str());
  return 0;
}

// ---- blocking clients (on their own threads) --------------------------------

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return -1;
  return fd;
}

void send_all(int fd, const std::string& data) {
  std::size_t at = 0;
  while (at < data.size()) {
    ssize_t n = send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

// Reads until `until` has been seen or end of stream; returns all of it.
std::string recv_until(int fd, const std::string& until) {
  std::string got;
  char buf[65536];
  while (got.find(until) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

struct TlsClient {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  ~TlsClient() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  bool handshake(int fd) {
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    return SSL_connect(ssl) == 1;
  }
  void send(const std::string& data) { SSL_write(ssl, data.data(), static_cast<int>(data.size())); }
  std::string recv_until(const std::string& until) {
    std::string got;
    char buf[4096];
    while (got.find(until) == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
};

// ---- server side -------------------------------------------------------------

using ServeFn = Task<void> (*)(Connection&);

struct FnProtocol : sora::Protocol {
  ServeFn fn;
  explicit FnProtocol(ServeFn f) : fn(f) {}
  Task<void> serve(Connection& conn) override { return fn(conn); }
};

std::atomic<int> g_served{0};
std::string g_seen;  // what a serve function observed, checked after the run

Task<std::string> read_some(Connection& conn) {
  char buf[4096];
  auto n = co_await conn.read(buf);
  if (!n) co_return "ERR " + n.error().message;
  co_return std::string(buf, *n);
}

Task<std::string> read_exactly(Connection& conn, std::size_t size) {
  std::string got;
  while (got.size() < size) {
    char buf[4096];
    auto n = co_await conn.read(std::span<char>(buf, std::min(sizeof buf, size - got.size())));
    if (!n || *n == 0) break;
    got.append(buf, *n);
  }
  co_return got;
}

struct Server {
  FnProtocol protocol;
  std::unique_ptr<sora::ListenerSet> set;
  int port = 0;

  explicit Server(ServeFn fn, sora::ListenerSettings s = {}) : protocol(fn) {
    s.name = "test";
    s.protocol = "test";
    s.addresses = {"127.0.0.1:0"};
    auto sockets = sora::bind_listeners({s}, g_tls);
    assert_true(sockets.ok());
    sockaddr_in sin{};
    socklen_t len = sizeof sin;
    getsockname((*sockets)[0].fd(), reinterpret_cast<sockaddr*>(&sin), &len);
    port = ntohs(sin.sin_port);
    set = std::make_unique<sora::ListenerSet>(std::move(*sockets),
                                              [this](const std::string&) { return &protocol; });
    assert_true(set->start(g_tls).ok());
  }
};

// Waits for `sessions` serve() calls to end, then drains the set.
Task<void> finish(Server& server, int sessions) {
  while (g_served < sessions) co_await sora::sleep_for(5ms);
  server.set->stop_accepting();
  co_await server.set->join();
}

void run(Server& server, int sessions) {
  sora::run_until_done(finish(server, sessions));
}

// ---- tests --------------------------------------------------------------------

Task<void> serve_echo(Connection& conn) {
  for (;;) {
    std::string got = co_await read_some(conn);
    if (got.empty()) break;  // end of stream
    if (!(co_await conn.write(got))) break;
  }
  g_seen = conn.remote_ip() + (conn.secured() ? " secured" : " plain");
  ++g_served;
}

void test_echo_and_eof(void**) {
  g_served = 0;
  Server server(serve_echo);
  std::string reply;
  std::thread client([&] {
    int fd = connect_to(server.port);
    send_all(fd, "hello\r\n");
    reply = recv_until(fd, "\r\n");
    shutdown(fd, SHUT_WR);
    recv_until(fd, "never");
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(reply.c_str(), "hello\r\n");
  assert_string_equal(g_seen.c_str(), "127.0.0.1 secured");  // loopback counts as secured
}

// More than the kernel buffers of both ends hold on loopback.
constexpr std::size_t kBig = 32 * 1024 * 1024;
std::atomic<bool> g_let_read{false};

Task<void> watch_backpressure(sora::StreamConnection* conn, std::size_t* written) {
  co_await sora::sleep_for(300ms);
  g_seen = *written < kBig && conn->unsent() <= 64 * 1024 + 65536 ? "suspended" : "not suspended";
  g_let_read = true;
}

Task<void> write_big(Connection& conn, std::size_t* written) {
  std::string chunk(65536, 'x');
  while (*written < kBig) {
    if (!(co_await conn.write(chunk))) break;
    *written += chunk.size();
  }
  (void)co_await conn.flush();
}

Task<void> serve_big(Connection& conn) {
  std::size_t written = 0;
  sora::Scope scope;
  scope.spawn(watch_backpressure(static_cast<sora::StreamConnection*>(&conn), &written));
  co_await write_big(conn, &written);
  co_await scope.join();
  ++g_served;
}

void test_backpressure(void**) {
  g_served = 0;
  g_let_read = false;
  sora::ListenerSettings s;
  s.write_buffer = 64 * 1024;
  Server server(serve_big, s);
  std::size_t received = 0;
  std::thread client([&] {
    int fd = connect_to(server.port);
    while (!g_let_read) std::this_thread::sleep_for(10ms);
    received = recv_until(fd, "never").size();
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(g_seen.c_str(), "suspended");
  assert_int_equal(received, kBig);
}

Task<void> write_and_flush(Connection& conn, const char* text, bool* flushed) {
  (void)co_await conn.write(text);
  (void)co_await conn.flush();
  *flushed = true;
}

// Two coroutines flushing the same connection at once (a session and a helper
// saying BYE): both must be resumed when the output has drained.
Task<void> serve_two_flushers(Connection& conn) {
  bool helper = false, session = false;
  sora::Scope helpers;
  helpers.spawn(write_and_flush(conn, "one\r\n", &helper));
  co_await write_and_flush(conn, "two\r\n", &session);
  co_await sora::sleep_for(300ms);
  g_seen = std::string(helper ? "helper" : "helper stuck") + ", " + (session ? "session" : "session stuck");
  if (!helper) {
    // The helper will never end: fail now rather than hang in join().
    std::fprintf(stderr, "two_flushers: %s\n", g_seen.c_str());
    std::_Exit(1);
  }
  co_await helpers.join();
  ++g_served;
}

void test_two_flushers(void**) {
  g_served = 0;
  Server server(serve_two_flushers);
  std::string got;
  std::thread client([&] {
    int fd = connect_to(server.port);
    got = recv_until(fd, "two\r\n");
    recv_until(fd, "never");
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(g_seen.c_str(), "helper, session");
}

Task<void> serve_timeout(Connection& conn) {
  conn.set_read_timeout(100ms);
  char buf[16];
  auto n = co_await conn.read(buf);
  g_seen = n ? "read" : std::to_string(n.error().code);
  ++g_served;
}

void test_read_timeout(void**) {
  g_served = 0;
  Server server(serve_timeout);
  std::thread client([&] {
    int fd = connect_to(server.port);
    recv_until(fd, "never");  // the server closes after its timeout
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_int_equal(std::stoi(g_seen), sora::kErrTimeout);
}

Task<void> close_later(Connection* conn) {
  co_await sora::sleep_for(50ms);
  conn->close();
}

Task<void> read_pending(Connection* conn) {
  g_seen = co_await read_some(*conn);
}

Task<void> serve_close_wakes(Connection& conn) {
  sora::Scope scope;
  scope.spawn(read_pending(&conn));
  scope.spawn(close_later(&conn));
  co_await scope.join();
  ++g_served;
}

void test_close_wakes_pending_read(void**) {
  g_served = 0;
  Server server(serve_close_wakes);
  std::thread client([&] {
    int fd = connect_to(server.port);
    recv_until(fd, "never");
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(g_seen.c_str(), "ERR connection closed");
}

Task<void> serve_tls_ping(Connection& conn) {
  std::string got = co_await read_exactly(conn, 6);
  (void)co_await conn.write(got == "ping\r\n" && conn.tls_active() ? "pong\r\n" : "bad\r\n");
  (void)co_await conn.flush();
  ++g_served;
}

void test_implicit_tls(void**) {
  g_served = 0;
  sora::ListenerSettings s;
  s.tls = sora::TlsMode::implicit;
  Server server(serve_tls_ping, s);
  std::string reply;
  std::thread client([&] {
    int fd = connect_to(server.port);
    TlsClient tls;
    if (tls.handshake(fd)) {
      tls.send("ping\r\n");
      reply = tls.recv_until("\r\n");
    }
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(reply.c_str(), "pong\r\n");
}

Task<void> serve_starttls(Connection& conn) {
  bool offered = conn.starttls_offered();
  std::string command = co_await read_exactly(conn, 10);
  (void)co_await conn.write("OK begin TLS\r\n");
  (void)co_await conn.flush();
  auto s = co_await conn.start_tls();
  // No co_await inside ?: (g++ 12 miscompiles it).
  std::string after;
  if (s) {
    after = co_await read_exactly(conn, 7);
  } else {
    after = s.error().message;
  }
  g_seen = std::string(offered ? "offered " : "") + command + after +
           (conn.starttls_offered() ? " still offered" : "");
  ++g_served;
}

void test_starttls_discards_pipelined(void**) {
  g_served = 0;
  sora::ListenerSettings s;
  s.tls = sora::TlsMode::starttls;
  Server server(serve_starttls, s);
  std::thread client([&] {
    int fd = connect_to(server.port);
    // The injected command must not be read as if it came over TLS.
    send_all(fd, "STARTTLS\r\nINJECT\r\n");
    recv_until(fd, "\r\n");
    TlsClient tls;
    if (tls.handshake(fd)) tls.send("after\r\n");
    tls.recv_until("never");
    close(fd);
  });
  run(server, 1);
  client.join();
  assert_string_equal(g_seen.c_str(), "offered STARTTLS\r\nafter\r\n");
}

std::string proxy_v2_tcp4() {
  std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x21\x11\x00\x0C", 16);
  return h + std::string("\xC0\x00\x02\x0A\x7F\x00\x00\x01\x15\xB3\x00\x8F", 12);  // 192.0.2.10:5555
}

Task<void> serve_info(Connection& conn) {
  std::string data = co_await read_exactly(conn, 3);
  g_seen = conn.remote_ip() + ":" + std::to_string(conn.remote_port()) +
           (conn.secured() ? " secured " : " plain ") + data;
  ++g_served;
}

void test_proxy_header(void**) {
  g_served = 0;
  sora::ListenerSettings s;
  s.proxy_protocol = true;
  Server server(serve_info, s);
  std::thread client([&] {
    int fd = connect_to(server.port);
    send_all(fd, proxy_v2_tcp4() + "abc");
    recv_until(fd, "never");
    close(fd);
  });
  run(server, 1);
  client.join();
  // A loopback proxy speaking for a remote client: the client is not secured.
  assert_string_equal(g_seen.c_str(), "192.0.2.10:5555 plain abc");
}

void test_tls_errors_name_the_file(void**) {
  sora::TlsSettings bad = g_tls;
  bad.cert_file = g_dir + "/missing.pem";
  auto missing = sora::TlsContext::create(bad);
  assert_false(missing.ok());
  assert_string_equal(missing.error().message.c_str(), (bad.cert_file + ": no such file").c_str());

  sora::TlsSettings mismatch = g_tls;
  mismatch.key_file = g_dir + "/other-key.pem";
  auto wrong = sora::TlsContext::create(mismatch);
  assert_false(wrong.ok());
  assert_non_null(std::strstr(wrong.error().message.c_str(), "key does not match certificate"));
  assert_non_null(std::strstr(wrong.error().message.c_str(), "other-key.pem"));

  // Refused with a reason, without asking for a passphrase on the terminal.
  sora::TlsSettings encrypted = g_tls;
  encrypted.key_file = g_dir + "/encrypted-key.pem";
  auto locked = sora::TlsContext::create(encrypted);
  assert_false(locked.ok());
  assert_non_null(std::strstr(locked.error().message.c_str(), "encrypted-key.pem: the key is encrypted"));

  sora::TlsContextHolder holder;
  assert_true(holder.load(g_tls).ok());
  auto before = holder.current();
  assert_false(holder.load(bad).ok());
  assert_ptr_equal(holder.current().get(), before.get());  // a failed reload keeps the old
  assert_true(holder.load(g_tls).ok());
  assert_ptr_not_equal(holder.current().get(), before.get());

  sora::ListenerSettings l;
  l.name = "imaps";
  l.tls_place = "sora.conf:12: [listener imaps] tls";
  l.tls = sora::TlsMode::implicit;
  l.addresses = {"127.0.0.1:0"};
  auto bound = sora::bind_listeners({l}, bad);
  assert_false(bound.ok());
  assert_string_equal(bound.error().message.c_str(),
                      ("sora.conf:12: [listener imaps] tls: " + bad.cert_file + ": no such file").c_str());
}

void test_bind_error_names_the_place(void**) {
  sora::ListenerSettings l;
  l.name = "imap";
  l.address_place = "sora.conf:3: [listener imap] address";
  l.addresses = {"127.0.0.1:0"};
  auto first = sora::bind_listeners({l}, {});
  assert_true(first.ok());
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  getsockname((*first)[0].fd(), reinterpret_cast<sockaddr*>(&sin), &len);
  // SO_REUSEPORT lets two of ours share a port, so the taker is someone else.
  int other = socket(AF_INET, SOCK_STREAM, 0);
  sin.sin_port = 0;
  bind(other, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  listen(other, 1);
  len = sizeof sin;
  getsockname(other, reinterpret_cast<sockaddr*>(&sin), &len);
  std::string address = "127.0.0.1:" + std::to_string(ntohs(sin.sin_port));
  l.addresses = {address};
  auto second = sora::bind_listeners({l}, {});
  close(other);
  assert_false(second.ok());
  assert_string_equal(second.error().message.c_str(),
                      ("sora.conf:3: [listener imap] address: cannot bind " + address +
                       ": Address already in use").c_str());

  l.addresses = {"unix:" + g_dir + "/s.sock"};
  {
    auto unix1 = sora::bind_listeners({l}, {});
    assert_true(unix1.ok());
    auto busy = sora::bind_listeners({l}, {});
    assert_false(busy.ok());  // something answers on it: left alone
  }
  auto stale = sora::bind_listeners({l}, {});  // the first is closed: stale, replaced
  assert_true(stale.ok());
  unlink((g_dir + "/s.sock").c_str());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_echo_and_eof),
      cmocka_unit_test(test_backpressure),
      cmocka_unit_test(test_two_flushers),
      cmocka_unit_test(test_read_timeout),
      cmocka_unit_test(test_close_wakes_pending_read),
      cmocka_unit_test(test_implicit_tls),
      cmocka_unit_test(test_starttls_discards_pipelined),
      cmocka_unit_test(test_proxy_header),
      cmocka_unit_test(test_tls_errors_name_the_file),
      cmocka_unit_test(test_bind_error_names_the_place),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
