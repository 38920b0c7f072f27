// Reading [tls] and [listener NAME] from a validated Config.
#include "libsora-net/net-settings.h"

#include <cstdlib>

namespace sora {

namespace {

std::string place(const Config::Section& s, std::string_view key) {
  const ConfigValue& v = s.value(key);
  std::string where = v.line > 0 ? v.file + ":" + std::to_string(v.line) + ": " : "";
  return where + "[listener " + s.instance() + "] " + std::string(key);
}

TlsMode tls_mode(const std::string& text) {
  if (text == "implicit") return TlsMode::implicit;
  if (text == "starttls") return TlsMode::starttls;
  return TlsMode::none;
}

Result<unsigned> unix_mode(const Config::Section& s) {
  const std::string& text = s.str("unix_mode");
  char* end = nullptr;
  unsigned long mode = std::strtoul(text.c_str(), &end, 8);
  if (text.empty() || *end != '\0' || mode > 07777) {
    return make_error(kErrConfig, place(s, "unix_mode") + ": \"" + text + "\" is not an octal mode");
  }
  return static_cast<unsigned>(mode);
}

// The form of one address, checked when the file is loaded (sorad -t) rather
// than when binding; whether the host resolves is left to binding.
Status check_address(const Config::Section& s, const std::string& address) {
  auto bad = [&](const std::string& why) {
    return make_error(kErrConfig, place(s, "address") + ": \"" + address + "\": " + why);
  };
  if (address.rfind("unix:", 0) == 0) {
    if (address.size() < 6 || address[5] != '/') return bad("a unix: address needs an absolute path");
    return {};
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return bad("expected HOST:PORT, [IPV6]:PORT, *:PORT or unix:/PATH");
  }
  std::string port = address.substr(colon + 1);
  char* end = nullptr;
  long n = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || n < 1 || n > 65535) {
    return bad("the port must be a number from 1 to 65535");
  }
  std::string host = address.substr(0, colon);
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return bad("write an IPv6 address in brackets: [::1]:" + port);
  }
  return {};
}

Result<ListenerSettings> read_listener(const Config::Section& s) {
  ListenerSettings l;
  l.name = s.instance();
  l.protocol = s.str("protocol");
  l.addresses = s.list("address");
  for (const std::string& a : l.addresses) {
    if (Status ok = check_address(s, a); !ok) return ok.take_error();
  }
  l.address_place = place(s, "address");
  l.tls_place = place(s, "tls");
  l.tls = tls_mode(s.str("tls"));
  l.proxy_protocol = s.boolean("proxy_protocol");
  l.proxy_trusted = s.list("proxy_trusted");
  if (auto trusted = CidrList::parse(l.proxy_trusted); !trusted) {
    return make_error(kErrConfig, place(s, "proxy_trusted") + ": " + trusted.error().message);
  }
  l.backlog = static_cast<int>(s.integer("backlog"));
  auto mode = unix_mode(s);
  if (!mode) return mode.take_error();
  l.unix_mode = *mode;
  l.max_connections = static_cast<std::size_t>(s.integer("max_connections"));
  l.read_timeout = s.duration("read_timeout");
  l.write_buffer = static_cast<std::size_t>(s.integer("write_buffer"));
  return l;
}

}  // namespace

TlsSettings tls_settings(const Config& config) {
  const Config::Section& s = config.section("tls");
  return TlsSettings{s.str("cert_file"), s.str("key_file"), s.str("min_version"), s.str("ciphers")};
}

Result<std::vector<ListenerSettings>> listener_settings(const Config& config) {
  std::vector<ListenerSettings> out;
  for (const Config::Section* s : config.instances("listener")) {
    auto l = read_listener(*s);
    if (!l) return l.take_error();
    out.push_back(std::move(*l));
  }
  return out;
}

// In the supervisor, before workers fork.
Result<std::vector<BoundSocket>> bind_listeners(const Config& config) {
  auto listeners = listener_settings(config);
  if (!listeners) return listeners.take_error();
  return bind_listeners(*listeners, tls_settings(config));
}

}  // namespace sora
