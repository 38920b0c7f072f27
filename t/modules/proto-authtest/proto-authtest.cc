// "authtest": a tiny line protocol for the integration tests of the listeners
// (TLS, STARTTLS, PROXY v2, drain) and of authentication. Never installed.
//
//   STARTTLS | LOGIN <user> <password> | INFO | SLEEP <ms> | QUIT
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "sora/auth.h"
#include "sora/loop.h"
#include "sora/module.h"
#include "sora/net.h"

namespace {

using sora::Connection;
using sora::Task;

constexpr std::size_t kMaxLine = 1000;
constexpr long kMaxSleepMs = 60000;

// One client's lines: read() returns one line without its CRLF, a line too
// long (the rest of it is skipped), or the end of the session.
class LineReader {
 public:
  enum class Kind { line, too_long, end };
  struct Line {
    Kind kind;
    std::string text;
  };

  explicit LineReader(Connection& conn) : conn_(conn) {}

  Task<Line> read() {
    for (;;) {
      if (auto line = take_line()) co_return *line;
      char buf[4096];
      auto n = co_await conn_.read(buf);
      if (!n || *n == 0) co_return Line{Kind::end, {}};
      buffer_.append(buf, *n);
    }
  }

  // After STARTTLS nothing read before the handshake may count.
  void discard() { buffer_.clear(); }

 private:
  std::unique_ptr<Line> take_line() {
    auto eol = buffer_.find('\n');
    if (eol == std::string::npos) {
      if (buffer_.size() > kMaxLine) {
        skipping_ = true;
        buffer_.clear();
      }
      return nullptr;
    }
    std::string text = buffer_.substr(0, eol);
    buffer_.erase(0, eol + 1);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (std::exchange(skipping_, false) || text.size() > kMaxLine) {
      return std::make_unique<Line>(Line{Kind::too_long, {}});
    }
    return std::make_unique<Line>(Line{Kind::line, std::move(text)});
  }

  Connection& conn_;
  std::string buffer_;
  bool skipping_ = false;
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

class AuthtestProtocol;

// A session's state as the protocol sees it, for begin_shutdown().
struct Session {
  explicit Session(Connection& c) : conn(c) {}
  Connection& conn;
  bool idle = false;
  sora::Scope helpers;  // joined before the session ends
};

class AuthtestProtocol : public sora::Protocol {
 public:
  explicit AuthtestProtocol(bool plaintext_without_tls) : plaintext_(plaintext_without_tls) {}

  Task<void> serve(Connection& conn) override {
    Session session(conn);
    sessions_.insert(&session);
    co_await run(session);
    co_await session.helpers.join();
    sessions_.erase(&session);
  }

  void begin_shutdown() override {
    shutting_down_ = true;
    for (Session* s : sessions_) {
      if (s->idle) s->helpers.spawn(say_bye(s->conn));
    }
  }

 private:
  // An idle session is waiting in read(): the goodbye is written beside it,
  // and closing the connection ends that read.
  static Task<void> say_bye(Connection& conn) {
    (void)co_await conn.write("* BYE shutting down\r\n");
    (void)co_await conn.flush();
    conn.close();
  }

  Task<void> run(Session& session) {
    Connection& conn = session.conn;
    if (!co_await conn.write("* OK authtest ready\r\n")) co_return;
    LineReader lines(conn);
    while (!shutting_down_) {
      session.idle = true;
      LineReader::Line line = co_await lines.read();
      session.idle = false;
      if (line.kind == LineReader::Kind::end) co_return;
      if (line.kind == LineReader::Kind::too_long) {
        if (!co_await conn.write("BAD line too long\r\n")) co_return;
        continue;
      }
      if (!co_await command(conn, lines, line.text)) co_return;
    }
    (void)co_await conn.write("* BYE shutting down\r\n");
    (void)co_await conn.flush();
  }

  // false ends the session.
  Task<bool> command(Connection& conn, LineReader& lines, const std::string& line) {
    std::string verb = upper(line.substr(0, line.find(' ')));
    std::string args = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
    if (verb == "QUIT") {
      (void)co_await conn.write("OK bye\r\n");
      (void)co_await conn.flush();
      co_return false;
    }
    if (verb == "STARTTLS") co_return co_await starttls(conn, lines);
    std::string reply;
    if (verb == "LOGIN") {
      reply = co_await login(conn, args);
    } else if (verb == "INFO") {
      reply = "OK tls=" + yes_no(conn.tls_active()) + " secured=" + yes_no(conn.secured()) +
              " ip=" + conn.remote_ip() + " port=" + std::to_string(conn.remote_port());
    } else if (verb == "SLEEP") {
      long ms = std::clamp(std::atol(args.c_str()), 0L, kMaxSleepMs);
      co_await sora::sleep_for(std::chrono::milliseconds(ms));
      reply = "OK";
    } else {
      reply = "BAD unknown command";
    }
    co_return static_cast<bool>(co_await conn.write(reply + "\r\n"));
  }

  static Task<bool> starttls(Connection& conn, LineReader& lines) {
    if (!conn.starttls_offered()) {
      co_return static_cast<bool>(co_await conn.write("NO STARTTLS not available\r\n"));
    }
    // One co_await per statement: g++ 12 miscompiles co_await inside || && ?:.
    sora::Status written = co_await conn.write("OK begin TLS\r\n");
    if (!written) co_return false;
    sora::Status flushed = co_await conn.flush();
    if (!flushed) co_return false;
    lines.discard();
    co_return static_cast<bool>(co_await conn.start_tls());
  }

  Task<std::string> login(Connection& conn, const std::string& args) {
    auto space = args.find(' ');
    if (space == std::string::npos) co_return "BAD LOGIN needs a user and a password";
    if (!conn.secured() && !plaintext_) co_return "NO plaintext login needs TLS";
    sora::AuthRequest request{args.substr(0, space), args.substr(space + 1), "authtest",
                              conn.remote_ip(), conn.secured()};
    sora::AuthResult result = co_await sora::authenticate(request);
    switch (result.status) {
      case sora::AuthResult::Status::ok: co_return "OK " + result.primary_address;
      case sora::AuthResult::Status::failed: co_return "NO authentication failed";
      default: co_return "NO temporary failure";
    }
  }

  bool plaintext_;
  bool shutting_down_ = false;
  std::set<Session*> sessions_;
};

int authtest_init(sora::ModuleContext* ctx) {
  bool plaintext = ctx->full_config().section("auth").boolean("plaintext_without_tls");
  if (!ctx->register_protocol("authtest", std::make_unique<AuthtestProtocol>(plaintext))) {
    ctx->fail("the protocol name \"authtest\" is already registered");
    return 1;
  }
  return 0;
}

}  // namespace

SORA_MODULE_EXPORT const sora_module_t sora_module = {
    SORA_MODULE_STAMP,
    "proto-authtest",
    "proto",
    "line protocol for the listener and authentication tests (not installed)",
    nullptr,
    0,
    nullptr,
    authtest_init,
    nullptr,
    nullptr,
    nullptr,
    {},
};
