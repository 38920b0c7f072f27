// proto-sasl: the Dovecot authentication protocol (client side, v1.2), so that
// an MTA authenticates SMTP submission users against Sora's accounts:
// Postfix with smtpd_sasl_type = dovecot, Exim with its dovecot driver.
// Registers the protocol "sasl"; mechanisms PLAIN and LOGIN.
//
// One connection carries many requests (an MTA process keeps it open and
// serves its SMTP sessions through it), several of them at once: each
// password check runs as its own task, and one writer task owns the output.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "sasl-request.h"
#include "sora/auth.h"
#include "sora/config.h"
#include "sora/log.h"
#include "sora/loop.h"
#include "sora/module.h"
#include "sora/net.h"

namespace sora {

namespace {

constexpr const char* kModuleName = "proto-sasl";
constexpr const char* kProtocolName = "sasl";

sora::ModuleContext* g_ctx = nullptr;

// Read at use time, so that SIGHUP applies a change at once.
std::chrono::milliseconds failure_delay() {
  return g_ctx->full_config().section("auth").duration("failure_delay");
}
bool plaintext_without_tls() {
  return g_ctx->full_config().section("auth").boolean("plaintext_without_tls");
}

std::string make_cookie() {
  std::random_device rd;
  std::string hex;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof part, "%08x", static_cast<unsigned>(rd()));
    hex += part;
  }
  return hex;
}

// The greeting, sent at once: Dovecot's server does not wait for the
// client's VERSION, and Postfix reads up to DONE before it sends anything.
std::string greeting(unsigned long cuid) {
  return "VERSION\t" + std::to_string(sasl::kMajorVersion) + "\t" +
         std::to_string(sasl::kMinorVersion) +
         "\n"
         "MECH\tPLAIN\tplaintext\n"
         "MECH\tLOGIN\tplaintext\n"
         "SPID\t" +
         std::to_string(getpid()) + "\nCUID\t" + std::to_string(cuid) + "\nCOOKIE\t" +
         make_cookie() + "\nDONE";
}

// A request between its AUTH and its OK or FAIL.
struct Request {
  sasl::AuthLine auth;
  sasl::Mechanism mech;
  bool verifying = false;  // its task owns the outcome now
};

struct Session {
  explicit Session(Connection& c) : conn(c) {}
  Connection& conn;
  std::string peer;  // for log lines
  std::string client_pid = "?";
  bool handshaken = false;
  bool shutting_down = false;
  std::map<std::uint32_t, Request> requests;
  std::size_t verifying = 0;
  Event verifications_done;

  // Output: lines queued by anyone, written by the writer task alone (a
  // Connection has one writer at a time).
  std::deque<std::string> outbox;
  bool output_finished = false;  // the writer ends once the outbox is empty
  bool close_when_written = false;
  Event output_ready;

  Scope tasks;  // the writer and the verifications; joined before the end

  void send(std::string line) {
    outbox.push_back(std::move(line) + "\n");
    output_ready.set();
  }
};

// Whatever the mechanism, only what may be shown to the user goes in reason=.
std::string fail_line(std::uint32_t id, std::string_view user, std::string_view extra) {
  std::string line = "FAIL\t" + std::to_string(id);
  if (sasl::printable_user(user)) line += "\tuser=" + std::string(user);
  if (!extra.empty()) line += "\t" + std::string(extra);
  return line;
}

class SaslProtocol : public Protocol {
 public:
  Task<void> serve(Connection& conn) override {
    Session session(conn);
    session.peer = conn.remote_ip().empty() ? conn.listener_name()
                                            : conn.remote_ip() + ":" + std::to_string(conn.remote_port());
    session.shutting_down = shutting_down_;
    sessions_.insert(&session);
    session.tasks.spawn(writer(session));
    session.send(greeting(++cuid_));
    if (!session.shutting_down) co_await read_requests(session);
    // Password checks cannot be cancelled half way: let them answer (or fail
    // to write) before the session's state goes.
    while (session.verifying > 0) {
      session.verifications_done.reset();
      co_await session.verifications_done.wait();
    }
    session.output_finished = true;
    session.output_ready.set();
    co_await session.tasks.join();
    sessions_.erase(&session);
  }

  // Sessions waiting for a request are closed; one with a password check in
  // flight is closed once its answer is written. The MTA reconnects.
  void begin_shutdown() override {
    shutting_down_ = true;
    for (Session* s : sessions_) {
      s->shutting_down = true;
      if (s->verifying == 0) s->conn.close();
    }
  }

 private:
  static Task<void> writer(Session& s) {
    for (;;) {
      if (s.outbox.empty()) {
        if (s.output_finished) break;
        if (s.close_when_written) {
          (void)co_await s.conn.flush();
          s.conn.close();
          s.close_when_written = false;
          continue;
        }
        s.output_ready.reset();
        co_await s.output_ready.wait();
        continue;
      }
      std::string chunk;
      while (!s.outbox.empty()) {  // one write for what is queued
        chunk += s.outbox.front();
        s.outbox.pop_front();
      }
      Status written = co_await s.conn.write(chunk);
      if (!written) {
        s.outbox.clear();
        s.conn.close();
      }
    }
    (void)co_await s.conn.flush();
  }

  // Returns when the client goes, on a protocol error (the connection is then
  // closed), or at shutdown.
  Task<void> read_requests(Session& s) {
    std::string buffer;
    std::size_t scanned = 0;
    for (;;) {
      auto eol = buffer.find('\n', scanned);
      if (eol == std::string::npos) {
        if (buffer.size() >= sasl::kMaxLine) {
          SORA_LOG_WARNING("sasl %s: a line longer than %zu bytes; closing the connection",
                           s.peer.c_str(), sasl::kMaxLine);
          s.conn.close();
          co_return;
        }
        scanned = buffer.size();
        char buf[4096];
        auto n = co_await s.conn.read(buf);
        if (!n) {
          if (n.error().code == kErrTimeout) {
            SORA_LOG_INFO("sasl %s: idle too long; closing the connection", s.peer.c_str());
          }
          co_return;
        }
        if (*n == 0) co_return;
        buffer.append(buf, *n);
        continue;
      }
      if (eol + 1 > sasl::kMaxLine) {
        SORA_LOG_WARNING("sasl %s: a line longer than %zu bytes; closing the connection",
                         s.peer.c_str(), sasl::kMaxLine);
        s.conn.close();
        co_return;
      }
      std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      scanned = 0;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!handle_line(s, line)) {
        s.conn.close();
        co_return;
      }
      if (s.shutting_down && s.verifying == 0) co_return;
    }
  }

  // false: a protocol error, logged; the connection must close.
  bool handle_line(Session& s, const std::string& line) {
    std::vector<std::string_view> f = sasl::split_tabs(line);
    std::string_view cmd = f[0];
    if (!s.handshaken) {
      if (cmd != "VERSION" || f.size() < 3) {
        SORA_LOG_WARNING("sasl %s: the client did not start with VERSION; closing the connection",
                         s.peer.c_str());
        return false;
      }
      if (f[1] != std::to_string(sasl::kMajorVersion)) {
        SORA_LOG_WARNING("sasl %s: the client speaks protocol version %.*s, not %u; closing the "
                         "connection",
                         s.peer.c_str(), static_cast<int>(f[1].size()), f[1].data(),
                         sasl::kMajorVersion);
        return false;
      }
      s.handshaken = true;
      return true;
    }
    if (cmd == "CPID" && f.size() >= 2) {
      s.client_pid = std::string(f[1]).substr(0, 20);
      return true;
    }
    if (cmd == "AUTH") return auth(s, f);
    if (cmd == "CONT") return cont(s, f);
    if (cmd == "CANCEL" && f.size() >= 2) {
      // Forget a request waiting for data; one being verified still answers.
      if (auto id = sasl::parse_id(f[1])) {
        auto it = s.requests.find(*id);
        if (it != s.requests.end() && !it->second.verifying) s.requests.erase(it);
      }
      return true;
    }
    SORA_LOG_WARNING("sasl %s (pid %s): unknown command \"%.*s\"; closing the connection",
                     s.peer.c_str(), s.client_pid.c_str(), static_cast<int>(std::min<std::size_t>(cmd.size(), 40)),
                     cmd.data());
    return false;
  }

  bool auth(Session& s, const std::vector<std::string_view>& f) {
    sasl::AuthParse parsed = sasl::parse_auth(f);
    if (!parsed.id) {
      SORA_LOG_WARNING("sasl %s (pid %s): %s; closing the connection", s.peer.c_str(),
                       s.client_pid.c_str(), parsed.error.c_str());
      return false;
    }
    std::uint32_t id = *parsed.id;
    if (s.requests.count(id)) {
      SORA_LOG_WARNING("sasl %s (pid %s): AUTH reuses the id %u of a request in progress; closing "
                       "the connection",
                       s.peer.c_str(), s.client_pid.c_str(), id);
      return false;
    }
    if (!parsed.line) {
      SORA_LOG_NOTICE("sasl %s (pid %s): request %u: %s", s.peer.c_str(), s.client_pid.c_str(), id,
                      parsed.error.c_str());
      s.send(fail_line(id, "", "reason=Invalid request"));
      return true;
    }
    if (s.requests.size() >= sasl::kMaxRequests) {
      SORA_LOG_WARNING("sasl %s (pid %s): more than %zu requests at once; refusing request %u",
                       s.peer.c_str(), s.client_pid.c_str(), sasl::kMaxRequests, id);
      s.send(fail_line(id, "", "temp\treason=Too many requests at once"));
      return true;
    }
    sasl::AuthLine& a = *parsed.line;
    auto kind = sasl::Mechanism::find(a.mechanism);
    if (!kind) {
      s.send(fail_line(id, "", "reason=Unsupported authentication mechanism"));
      return true;
    }
    // Both mechanisms send the password in the clear: only over TLS
    // (secured), from loopback, or where the operator allows it.
    if (!a.secured && !sasl::is_loopback(a.remote_ip) && !plaintext_without_tls()) {
      SORA_LOG_NOTICE("sasl %s: request %u: %s refused: plaintext mechanism without TLS from %s",
                      s.peer.c_str(), id, a.mechanism.c_str(),
                      a.remote_ip.empty() ? "an unknown address" : a.remote_ip.c_str());
      s.send(fail_line(id, "",
                       "reason=Plaintext authentication disallowed on non-secure (SSL/TLS) "
                       "connections."));
      return true;
    }
    std::optional<std::string> initial = std::move(a.initial_response);
    auto [it, added] = s.requests.emplace(id, Request{std::move(a), sasl::Mechanism(*kind), false});
    (void)added;
    if (!initial || initial->empty()) {
      advance(s, it->first, it->second, it->second.mech.start());
      return true;
    }
    auto data = sasl::decode_base64(*initial);
    if (!data) {
      s.requests.erase(it);
      s.send(fail_line(id, "", "reason=Invalid base64 data in initial response"));
      return true;
    }
    advance(s, it->first, it->second, it->second.mech.feed(std::move(*data)));
    return true;
  }

  bool cont(Session& s, const std::vector<std::string_view>& f) {
    auto id = f.size() >= 2 ? sasl::parse_id(f[1]) : std::nullopt;
    if (!id) {
      SORA_LOG_WARNING("sasl %s (pid %s): CONT without a valid request id; closing the connection",
                       s.peer.c_str(), s.client_pid.c_str());
      return false;
    }
    auto it = s.requests.find(*id);
    if (it == s.requests.end() || it->second.verifying) {
      SORA_LOG_WARNING("sasl %s (pid %s): CONT for request %u, which is not waiting for data; "
                       "closing the connection",
                       s.peer.c_str(), s.client_pid.c_str(), *id);
      return false;
    }
    auto data = sasl::decode_base64(f.size() >= 3 ? f[2] : std::string_view());
    if (!data) {
      std::string user = it->second.mech.username();
      s.requests.erase(it);
      s.send(fail_line(*id, user, "reason=Invalid base64 data in continued response"));
      return true;
    }
    advance(s, it->first, it->second, it->second.mech.feed(std::move(*data)));
    return true;
  }

  // Acts on what the mechanism asks for next.
  void advance(Session& s, std::uint32_t id, Request& r, sasl::Mechanism::Step step) {
    using Action = sasl::Mechanism::Step::Action;
    if (step.action == Action::challenge) {
      s.send("CONT\t" + std::to_string(id) + "\t" + sasl::encode_base64(step.challenge));
      return;
    }
    if (step.action == Action::fail && !step.reason.empty()) {
      std::string user = r.mech.username();
      s.requests.erase(id);
      s.send(fail_line(id, user, "reason=" + step.reason));
      return;
    }
    // A password to check, or a failed login (a refused authorization
    // identity) that must cost what a wrong password costs.
    AuthRequest request;
    request.username = r.mech.username();
    request.password = step.action == Action::verify ? r.mech.password() : std::string();
    request.service = r.auth.service;
    request.remote_ip = r.auth.remote_ip.empty() ? s.conn.remote_ip() : r.auth.remote_ip;
    request.secured = r.auth.secured || sasl::is_loopback(r.auth.remote_ip);
    bool check = step.action == Action::verify && sasl::printable_user(request.username);
    r.verifying = true;
    ++s.verifying;
    s.tasks.spawn(verify(s, id, std::move(request), check));
  }

  static Task<void> verify(Session& s, std::uint32_t id, AuthRequest request, bool check) {
    AuthResult result;
    if (check) {
      result = co_await sora::authenticate(request);
    } else {
      result.reason = "refused before the password check (authorization identity or user name)";
    }
    request.password.assign(request.password.size(), '\0');
    const char* rip = request.remote_ip.c_str();
    switch (result.status) {
      case AuthResult::Status::ok:
        SORA_LOG_INFO("sasl: login user=%s service=%s rip=%s", result.primary_address.c_str(),
                      request.service.c_str(), rip);
        s.send("OK\t" + std::to_string(id) + "\tuser=" + result.primary_address);
        break;
      case AuthResult::Status::temporary_failure:
        SORA_LOG_WARNING("sasl: temporary failure for user=%s service=%s rip=%s: %s",
                         sasl::printable_user(request.username) ? request.username.c_str() : "?",
                         request.service.c_str(), rip, result.reason.c_str());
        s.send(fail_line(id, request.username, "temp"));
        break;
      default: {
        SORA_LOG_NOTICE("sasl: failed login user=%s service=%s rip=%s: %s",
                        sasl::printable_user(request.username) ? request.username.c_str() : "?",
                        request.service.c_str(), rip, result.reason.c_str());
        auto delay = failure_delay();
        if (delay.count() > 0 && !s.shutting_down) co_await sora::sleep_for(delay);
        s.send(fail_line(id, request.username, ""));
        break;
      }
    }
    s.requests.erase(id);
    if (--s.verifying == 0) {
      if (s.shutting_down) {
        s.close_when_written = true;
        s.output_ready.set();
      }
      s.verifications_done.set();
    }
  }

  bool shutting_down_ = false;
  unsigned long cuid_ = 0;
  std::set<Session*> sessions_;
};

int module_init(ModuleContext* ctx) {
  g_ctx = ctx;
  if (!ctx->register_protocol(kProtocolName, std::make_unique<SaslProtocol>())) {
    ctx->fail("the protocol name \"sasl\" is already registered by another module");
    return 1;
  }
  return 0;
}

}  // namespace

}  // namespace sora

SORA_MODULE_EXPORT const sora_module_t sora_module = {
    SORA_MODULE_STAMP,
    sora::kModuleName,
    "proto",
    "Dovecot authentication protocol for MTAs (Postfix smtpd_sasl_type = dovecot)",
    nullptr,
    0,
    nullptr,
    sora::module_init,
    nullptr,
    nullptr,
    nullptr,
    {},
};
