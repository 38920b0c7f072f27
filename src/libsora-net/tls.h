// TLS for the listeners: the server context built from [tls], reloaded on
// SIGHUP, and a session that runs OpenSSL over memory BIOs so that no OpenSSL
// call ever touches a socket (the loop thread never blocks; libuv owns I/O).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "sora/result.h"

namespace sora {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// The [tls] section, as plain values (tests build it without a sora.conf).
struct TlsSettings {
  std::string cert_file;
  std::string key_file;
  std::string min_version = "TLSv1.2";
  std::string ciphers;
};
// tls_settings(const Config&) is in net-settings.h.

// OpenSSL's reason for the last failure, and clears its error queue.
std::string openssl_error_reason();

class TlsContext {
 public:
  // Errors name the file and OpenSSL's reason: "/etc/x.pem: no such file".
  static Result<std::shared_ptr<TlsContext>> create(const TlsSettings& settings);
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
};

// The context new sessions get. A reload swaps in a new one; sessions keep the
// context they started with, since each holds a shared_ptr to it.
class TlsContextHolder {
 public:
  // First load and reload alike; on failure the current context stays.
  Status load(const TlsSettings& settings);
  std::shared_ptr<TlsContext> current() const;

 private:
  std::shared_ptr<TlsContext> current_;
};

// One server-side TLS session. Encrypted bytes from the network go in with
// feed(); encrypted bytes for the network come out of take_output() after
// every call that may produce them.
class TlsSession {
 public:
  static Result<std::unique_ptr<TlsSession>> create_server(std::shared_ptr<TlsContext> context);

  void feed(std::string_view encrypted);
  std::string take_output();

  enum class Progress { done, want_input, failed };
  // Advances the handshake with what was fed; on failure error() says why.
  Progress handshake();

  // Decrypts into `out` (appending). want_input: nothing more to decrypt yet;
  // done with nothing appended after close_notify means end of stream.
  Progress read(std::string& out);
  bool peer_closed() const { return peer_closed_; }

  Status write(std::string_view plain);
  const std::string& error() const { return error_; }
  const char* version() const { return SSL_get_version(ssl_.get()); }

 private:
  Progress outcome(int rc, const char* what);

  std::shared_ptr<TlsContext> context_;  // keeps the SSL_CTX of this session alive
  std::unique_ptr<SSL, SslFree> ssl_;
  BIO* network_in_ = nullptr;   // owned by ssl_
  BIO* network_out_ = nullptr;  // owned by ssl_
  bool peer_closed_ = false;
  std::string error_;
};

}  // namespace sora
