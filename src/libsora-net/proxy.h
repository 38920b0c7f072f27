// PROXY protocol v2 (haproxy's proxy-protocol.txt, section 2.2) and the
// address matching that decides whom to believe it from.
//
// The parser never does I/O: it is given the bytes received so far and says
// how many more it needs, or what the header said, or why it is bad. It never
// asks for a byte past the header, so nothing the client sends after it has to
// be handed back.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sora/result.h"

namespace sora {

// TLVs (ALPN, SSL details...) are skipped; a header bigger than this is refused
// so a peer cannot make a worker buffer without bound before it is served.
inline constexpr std::size_t kProxyMaxTlvBytes = 512;
inline constexpr std::size_t kProxyFixedBytes = 16;

struct ProxyAddresses {
  // false for LOCAL (health checks), UNIX and UNSPEC: keep the real addresses.
  bool use = false;
  std::string src_ip, dst_ip;
  int src_port = 0, dst_port = 0;
};

struct ProxyParse {
  enum class State { need_more, done, error };
  State state = State::need_more;
  std::size_t wanted = kProxyFixedBytes;  // need_more: total bytes needed so far
  std::size_t consumed = 0;               // done: length of the header
  ProxyAddresses addresses;               // done
  std::string error;                      // error: what is wrong, for the log
};

// Parses the start of `data`, which holds the bytes received so far.
ProxyParse parse_proxy_v2(std::string_view data);

// Accumulates the bytes of a header as they come.
class ProxyV2Parser {
 public:
  ProxyParse feed(std::string_view bytes);
  // How many bytes to read next so as never to read past the header.
  std::size_t bytes_wanted() const { return last_.wanted - buffer_.size(); }

 private:
  std::string buffer_;
  ProxyParse last_;
};

// An IPv4 or IPv6 network. IPv4 is held as IPv4-mapped IPv6, so a client
// reaching a dual-stack socket as ::ffff:a.b.c.d matches a.b.c.d/n.
class Cidr {
 public:
  static Result<Cidr> parse(std::string_view text);
  bool contains(const std::array<unsigned char, 16>& address) const;

 private:
  std::array<unsigned char, 16> network_{};
  int prefix_ = 0;
};

class CidrList {
 public:
  static Result<CidrList> parse(const std::vector<std::string>& networks);
  // Unix sockets and unknown families never match.
  bool contains(const sockaddr* address) const;
  bool contains(std::string_view ip) const;

 private:
  bool matches(const std::array<unsigned char, 16>& address) const;
  std::vector<Cidr> networks_;
};

// 127.0.0.0/8, ::1 and their IPv4-mapped forms.
bool is_loopback(const sockaddr* address);
bool is_loopback_ip(std::string_view ip);

// The numeric form of an address and its port; IPv4-mapped IPv6 is shown as
// IPv4 ("::ffff:10.0.0.1" -> "10.0.0.1"). Empty and 0 for other families.
std::string address_to_ip(const sockaddr* address);
int address_to_port(const sockaddr* address);

}  // namespace sora
