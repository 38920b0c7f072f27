#include "sora/auth.h"

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "libsora-core/module-loader.h"
#include "sora/log.h"

namespace sora {

namespace {

// User names and addresses come from the client: escape anything that could
// forge a log line or upset a terminal, and cap the length.
std::string loggable(std::string_view text) {
  constexpr std::size_t kMax = 128;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

const char* status_name(AuthResult::Status status) {
  switch (status) {
    case AuthResult::Status::ok:
      return "ok";
    case AuthResult::Status::failed:
      return "failed";
    case AuthResult::Status::temporary_failure:
      return "tempfail";
  }
  return "?";
}

void log_result(const AuthRequest& request, const AuthResult& result) {
  std::string user = loggable(request.username);
  std::string ip = loggable(request.remote_ip);
  std::string service = loggable(request.service);
  if (result.status == AuthResult::Status::ok) {
    std::string primary = loggable(result.primary_address);
    SORA_LOG_INFO("auth: service=%s user=\"%s\" ip=%s result=ok account=%lld primary=\"%s\"",
                  service.c_str(), user.c_str(), ip.c_str(),
                  static_cast<long long>(result.account_id), primary.c_str());
  } else {
    std::string reason = loggable(result.reason);
    SORA_LOG_INFO("auth: service=%s user=\"%s\" ip=%s result=%s reason=\"%s\"", service.c_str(),
                  user.c_str(), ip.c_str(), status_name(result.status), reason.c_str());
  }
}

AuthResult temporary_failure(std::string reason) {
  AuthResult r;
  r.status = AuthResult::Status::temporary_failure;
  r.reason = std::move(reason);
  return r;
}

// The backend named by [auth] backend, or why there is none.
AuthBackend* find_backend(std::string& why) {
  const Config* config = current_config();
  ModuleSet* modules = current_modules();
  if (config == nullptr || modules == nullptr) {
    why = "no modules are loaded in this process";
    return nullptr;
  }
  const std::string& name = config->section("auth").str("backend");
  AuthBackend* backend = modules->auth_backend(name);
  if (backend == nullptr)
    why = "no authentication backend \"" + name +
          "\" is registered: load the module that provides it ([core] modules, e.g. auth-sql "
          "for sql) or change [auth] backend";
  return backend;
}

}  // namespace

Task<AuthResult> authenticate(const AuthRequest& request) {
  AuthResult result;
  std::string why;
  if (AuthBackend* backend = find_backend(why)) {
    // A backend is module code: whatever escapes it stops here, not in the
    // protocol session that asked.
    try {
      result = co_await backend->authenticate(request);
    } catch (const std::exception& e) {
      result = temporary_failure(std::string("authentication backend raised: ") + e.what());
    } catch (...) {
      result = temporary_failure("authentication backend raised an unknown exception");
    }
  } else {
    result = temporary_failure(std::move(why));
  }
  log_result(request, result);
  co_return result;
}

}  // namespace sora
