#include "libsora-net/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace sora {

std::string openssl_error_reason() {
  // The earliest error is the cause ("no such file", "no start line"); later
  // ones only wrap it ("system lib", "PEM lib"). The errno entry has the same
  // meaning as the BIO entry after it, so it is skipped.
  std::string reason;
  while (unsigned long e = ERR_get_error()) {
    if (!reason.empty() || ERR_GET_LIB(e) == ERR_LIB_SYS) continue;
    const char* r = ERR_reason_error_string(e);
    reason = r ? r : "error " + std::to_string(ERR_GET_REASON(e));
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

namespace {

Error file_error(const std::string& file, std::string reason) {
  return make_error(kErrConfig, file + ": " + std::move(reason));
}

// OpenSSL reports a missing file as "system lib"; say what the operator can act on.
Status check_readable(const std::string& file) {
  if (::access(file.c_str(), R_OK) == 0) return {};
  switch (errno) {
    case ENOENT: return file_error(file, "no such file");
    case EACCES: return file_error(file, "permission denied");
    default: return file_error(file, std::strerror(errno));
  }
}

Status configure_protocol(SSL_CTX* ctx, const TlsSettings& s) {
  int version = s.min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(ctx, version);
  // Renegotiation only serves attacks on a mail server; compression is CRIME.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
    return make_error(kErrConfig, "[tls] ciphers: \"" + s.ciphers + "\": " + openssl_error_reason());
  }
  return {};
}

Status load_key_pair(SSL_CTX* ctx, const TlsSettings& s) {
  if (s.cert_file.empty() || s.key_file.empty()) {
    return make_error(kErrConfig, "[tls] cert_file and key_file must both be set");
  }
  for (const std::string* file : {&s.cert_file, &s.key_file}) {
    if (auto readable = check_readable(*file); !readable) return readable;
  }
  // Without a callback OpenSSL asks for the passphrase of an encrypted key on
  // the terminal, which would block a worker's loop (keys are loaded there,
  // again on SIGHUP). There is nobody to ask: refuse such a key instead.
  bool passphrase_wanted = false;
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void* wanted) {
    if (wanted) *static_cast<bool*>(wanted) = true;
    return -1;
  });
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &passphrase_wanted);
  struct ForgetFlag {
    SSL_CTX* ctx;
    ~ForgetFlag() { SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr); }
  } forget{ctx};
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1) {
    return file_error(s.cert_file, openssl_error_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    bool mismatch = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
    std::string reason = openssl_error_reason();
    if (mismatch) reason = "key does not match certificate " + s.cert_file;
    if (passphrase_wanted) {
      ERR_clear_error();
      reason = "the key is encrypted and sorad cannot ask for its passphrase; store it "
               "unencrypted, readable by sorad only";
    }
    return file_error(s.key_file, reason);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return file_error(s.key_file, "key does not match certificate " + s.cert_file);
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsSettings& settings) {
  auto context = std::make_shared<TlsContext>();
  context->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!context->ctx_) return make_error(kErrGeneric, "TLS: " + openssl_error_reason());
  if (auto s = configure_protocol(context->get(), settings); !s) return s.take_error();
  if (auto s = load_key_pair(context->get(), settings); !s) return s.take_error();
  return context;
}

Status TlsContextHolder::load(const TlsSettings& settings) {
  auto context = TlsContext::create(settings);
  if (!context) return context.take_error();
  current_ = std::move(*context);
  return {};
}

std::shared_ptr<TlsContext> TlsContextHolder::current() const { return current_; }

Result<std::unique_ptr<TlsSession>> TlsSession::create_server(std::shared_ptr<TlsContext> context) {
  auto session = std::make_unique<TlsSession>();
  session->context_ = std::move(context);
  session->ssl_.reset(SSL_new(session->context_->get()));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!session->ssl_ || !in || !out) {
    BIO_free(in);
    BIO_free(out);
    return make_error(kErrGeneric, "TLS: cannot create a session: " + openssl_error_reason());
  }
  // An empty input BIO means "wait for more", never end of stream: the
  // socket's end of stream is seen by libuv, not by OpenSSL.
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(session->ssl_.get(), in, out);
  SSL_set_accept_state(session->ssl_.get());
  session->network_in_ = in;
  session->network_out_ = out;
  return session;
}

void TlsSession::feed(std::string_view encrypted) {
  while (!encrypted.empty()) {
    int n = static_cast<int>(std::min<std::size_t>(encrypted.size(), INT_MAX));
    int written = BIO_write(network_in_, encrypted.data(), n);
    if (written <= 0) return;  // a memory BIO only fails when memory does
    encrypted.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::string TlsSession::take_output() {
  std::string out;
  char* data = nullptr;
  long n = BIO_get_mem_data(network_out_, &data);
  if (n > 0) out.assign(data, static_cast<std::size_t>(n));
  (void)BIO_reset(network_out_);
  return out;
}

TlsSession::Progress TlsSession::outcome(int rc, const char* what) {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
      return Progress::want_input;
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      return Progress::done;
    default:
      error_ = std::string(what) + ": " + openssl_error_reason();
      return Progress::failed;
  }
}

TlsSession::Progress TlsSession::handshake() {
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) return Progress::done;
  return outcome(rc, "TLS handshake failed");
}

TlsSession::Progress TlsSession::read(std::string& out) {
  char buf[16384];
  bool any = false;
  for (;;) {
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_.get(), buf, sizeof buf, &n);
    if (rc == 1) {
      out.append(buf, n);
      any = true;
      continue;
    }
    Progress p = outcome(0, "TLS read failed");
    if (p == Progress::want_input && any) return Progress::done;
    return p;
  }
}

Status TlsSession::write(std::string_view plain) {
  while (!plain.empty()) {
    std::size_t n = 0;
    // A memory BIO grows as needed, so a write never wants to wait.
    if (SSL_write_ex(ssl_.get(), plain.data(), plain.size(), &n) != 1) {
      return make_error(kErrClosed, "TLS write failed: " + openssl_error_reason());
    }
    plain.remove_prefix(n);
  }
  return {};
}

}  // namespace sora
