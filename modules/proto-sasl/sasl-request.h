// The Dovecot authentication protocol, client side (v1.2), as MTAs speak it
// (Postfix smtpd_sasl_type = dovecot, Exim's dovecot authenticator): parsing
// and the SASL mechanisms, without any I/O. proto-sasl.cc drives it.
//
// Lines are TAB-separated fields ending in LF. The server greets with
// VERSION, MECH..., SPID, CUID, COOKIE, DONE; the client sends VERSION and
// CPID, then AUTH / CONT requests, each with a client-chosen numeric id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sora::sasl {

// Longest line accepted from a client, LF included; Dovecot's own limit for
// protocol v1.2 (mechanism data is the largest field).
constexpr std::size_t kMaxLine = 8192;
// Requests in flight or waiting for a CONT on one connection. An MTA has one
// per SMTP session it serves over the connection.
constexpr std::size_t kMaxRequests = 32;
constexpr unsigned kMajorVersion = 1;
constexpr unsigned kMinorVersion = 2;

std::vector<std::string_view> split_tabs(std::string_view line);

// RFC 4648 base64 with padding; nullopt on anything else (no blanks).
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view data);

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, written as text.
bool is_loopback(std::string_view ip);

// A request id: a decimal 32-bit number.
std::optional<std::uint32_t> parse_id(std::string_view text);

struct AuthLine {
  std::uint32_t id = 0;
  std::string mechanism;  // upper-case
  std::string service;
  std::string remote_ip;  // rip=
  std::string local_ip;   // lip=
  bool secured = false;
  bool nologin = false;
  bool valid_client_cert = false;
  std::optional<std::string> initial_response;  // resp=, still base64
};

// Parses an AUTH line's fields after "AUTH". On an error, `error` says what
// and `id` is set when the id itself was readable.
struct AuthParse {
  std::optional<AuthLine> line;
  std::optional<std::uint32_t> id;
  std::string error;
};
AuthParse parse_auth(const std::vector<std::string_view>& fields);

// The SASL exchange of one request. feed() takes the decoded client data
// (the initial response, then each CONT) and says what to do next.
class Mechanism {
 public:
  enum class Kind { plain, login };
  struct Step {
    enum class Action { challenge, verify, fail } action;
    std::string challenge;  // raw bytes for challenge
    std::string reason;     // for fail: safe to show to the client
  };

  static std::optional<Kind> find(std::string_view name);
  explicit Mechanism(Kind kind) : kind_(kind) {}

  // What to send before any client data when AUTH had no initial response.
  Step start();
  Step feed(std::string data);

  // The authentication identity, once known (for user= in FAIL).
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }

 private:
  Step plain(const std::string& data);
  Kind kind_;
  int round_ = 0;
  std::string username_, password_;
};

// A user name may go in a user= field: no control characters (TAB, LF, the
// Dovecot escape \001) and no NUL.
bool printable_user(std::string_view name);

}  // namespace sora::sasl
