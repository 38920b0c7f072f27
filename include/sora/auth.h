// Authentication backends: auth-sql today, auth-ldap later. A protocol module
// asks the configured backend ([auth] backend) through sora::authenticate().
#pragma once

#include <cstdint>
#include <string>

#include "sora/task.h"

namespace sora {

struct AuthRequest {
  std::string username;  // as the client sent it: an address or alias
  std::string password;  // never logged
  std::string service;   // "imap", "pop3", "lmtp", "managesieve", ...
  std::string remote_ip;
  bool secured = false;  // TLS or loopback
};

struct AuthResult {
  enum class Status { ok, failed, temporary_failure };
  Status status = Status::failed;
  std::int64_t account_id = 0;
  std::string primary_address;  // the account's canonical user name
  std::string credential;       // the address that matched (lower-case)
  std::string reason;           // for the log only; never shown to the client
};

class AuthBackend {
 public:
  virtual ~AuthBackend() = default;
  virtual Task<AuthResult> authenticate(const AuthRequest& request) = 0;
};

// Authenticates through the backend named in [auth] backend; a temporary
// failure when none is registered.
Task<AuthResult> authenticate(const AuthRequest& request);

}  // namespace sora
