#include "libsora-core/sections.h"

namespace sora {

namespace {

using T = ConfigType;
constexpr unsigned R = kConfigReloadable;

const ConfigKey kTlsKeys[] = {
    {"cert_file", T::path, "", 0, 0, nullptr, R,
     "PEM certificate chain, server certificate first; needed by any listener with tls"},
    {"key_file", T::path, "", 0, 0, nullptr, R, "PEM private key of cert_file"},
    {"min_version", T::enumeration, "TLSv1.2", 0, 0, "TLSv1.2|TLSv1.3", R,
     "oldest TLS version accepted"},
    {"ciphers", T::string, "", 0, 0, nullptr, R,
     "OpenSSL cipher list for TLS 1.2; empty for OpenSSL's system default"},
};

const ConfigKey kListenerKeys[] = {
    {"protocol", T::string, "", 0, 0, nullptr, kConfigRequired,
     "protocol served, as registered by a loaded module (imap, pop3, lmtp ...)"},
    {"address", T::list, "", 0, 0, nullptr, kConfigRequired,
     "where to listen: HOST:PORT, [IPV6]:PORT, *:PORT (all IPv4 and IPv6) or unix:/PATH"},
    {"tls", T::enumeration, "none", 0, 0, "none|implicit|starttls", 0,
     "implicit: TLS from the first byte; starttls: the protocol's STARTTLS is offered"},
    {"proxy_protocol", T::boolean, "no", 0, 0, nullptr, 0,
     "expect a PROXY protocol v2 header from proxy_trusted addresses"},
    {"proxy_trusted", T::list, "127.0.0.0/8 ::1/128", 0, 0, nullptr, 0,
     "networks allowed to send a PROXY header; others are served as they are"},
    {"backlog", T::integer, "511", 1, 65535, nullptr, 0, "listen(2) backlog"},
    {"unix_mode", T::string, "0660", 0, 0, nullptr, 0,
     "permissions of a unix: socket, in octal"},
    {"max_connections", T::integer, "10000", 1, 1000000, nullptr, 0,
     "most open connections on this listener in each worker; more are refused"},
    {"read_timeout", T::duration, "30m", 0, 86400000, nullptr, 0,
     "a client silent this long is disconnected; 0 for never"},
    {"write_buffer", T::size, "256k", 4096, 67108864, nullptr, 0,
     "unsent output above which a session waits for the client to read"},
};

}  // namespace

const ConfigSection kTlsSection = {"tls", false, kTlsKeys, std::size(kTlsKeys),
                                   "certificate and protocol settings of every TLS listener"};
const ConfigSection kListenerSection = {"listener", true, kListenerKeys, std::size(kListenerKeys),
                                        "one [listener NAME] section per listening endpoint"};

}  // namespace sora
