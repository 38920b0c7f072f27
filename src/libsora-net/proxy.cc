#include "libsora-net/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sora {

namespace {

constexpr unsigned char kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                          0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr unsigned kCommandLocal = 0x0, kCommandProxy = 0x1;
constexpr unsigned kFamilyInet = 0x1, kFamilyInet6 = 0x2;
constexpr unsigned kTransportStream = 0x1;
constexpr std::size_t kInetBytes = 12, kInet6Bytes = 36, kUnixBytes = 216;

using Bytes = std::array<unsigned char, 16>;

ProxyParse parse_error(std::string message) {
  ProxyParse p;
  p.state = ProxyParse::State::error;
  p.error = "PROXY v2 header: " + std::move(message);
  return p;
}

ProxyParse need(std::size_t total) {
  ProxyParse p;
  p.wanted = total;
  return p;
}

const unsigned char* bytes_of(std::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

int read_port(const unsigned char* p) { return (p[0] << 8) | p[1]; }

std::string ip_text(int family, const unsigned char* p) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, p, text, sizeof text);
  return text;
}

std::size_t address_bytes(unsigned family) {
  switch (family) {
    case kFamilyInet: return kInetBytes;
    case kFamilyInet6: return kInet6Bytes;
    case 0x3: return kUnixBytes;
    default: return 0;
  }
}

ProxyAddresses decode_addresses(unsigned family, const unsigned char* p) {
  ProxyAddresses a;
  a.use = true;
  if (family == kFamilyInet) {
    a.src_ip = ip_text(AF_INET, p);
    a.dst_ip = ip_text(AF_INET, p + 4);
    a.src_port = read_port(p + 8);
    a.dst_port = read_port(p + 10);
  } else {
    a.src_ip = ip_text(AF_INET6, p);
    a.dst_ip = ip_text(AF_INET6, p + 16);
    a.src_port = read_port(p + 32);
    a.dst_port = read_port(p + 34);
  }
  return a;
}

// A signature that already differs is refused at once, so that a client
// speaking the protocol itself gets no silent wait.
bool signature_matches(std::string_view data) {
  std::size_t n = std::min(data.size(), sizeof kSignature);
  return std::memcmp(data.data(), kSignature, n) == 0;
}

ProxyParse parse_body(const unsigned char* h, std::size_t total) {
  unsigned command = h[12] & 0x0F;
  unsigned family = h[13] >> 4, transport = h[13] & 0x0F;
  std::size_t length = total - kProxyFixedBytes;
  ProxyParse p;
  p.state = ProxyParse::State::done;
  p.consumed = total;
  if (command == kCommandLocal) return p;
  if (family != kFamilyInet && family != kFamilyInet6) return p;
  if (transport != kTransportStream) return parse_error("not a stream transport");
  if (length < address_bytes(family)) return parse_error("address block too short");
  p.addresses = decode_addresses(family, h + kProxyFixedBytes);
  return p;
}

}  // namespace

ProxyParse parse_proxy_v2(std::string_view data) {
  if (!signature_matches(data)) return parse_error("bad signature");
  if (data.size() < kProxyFixedBytes) return need(kProxyFixedBytes);
  const unsigned char* h = bytes_of(data);
  if ((h[12] >> 4) != 0x2) return parse_error("unsupported version " + std::to_string(h[12] >> 4));
  unsigned command = h[12] & 0x0F;
  if (command != kCommandLocal && command != kCommandProxy) {
    return parse_error("unknown command " + std::to_string(command));
  }
  std::size_t length = (std::size_t{h[14]} << 8) | h[15];
  if (length > address_bytes(h[13] >> 4) + kProxyMaxTlvBytes) {
    return parse_error("length " + std::to_string(length) + " over the limit");
  }
  std::size_t total = kProxyFixedBytes + length;
  if (data.size() < total) return need(total);
  return parse_body(h, total);
}

ProxyParse ProxyV2Parser::feed(std::string_view bytes) {
  buffer_.append(bytes);
  last_ = parse_proxy_v2(buffer_);
  if (last_.state == ProxyParse::State::need_more) return last_;
  // Wanted stays meaningful (0 more) whatever the outcome.
  last_.wanted = buffer_.size();
  return last_;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  std::string_view address = text, prefix_text;
  if (auto slash = text.find('/'); slash != text.npos) {
    address = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
  }
  Cidr c;
  std::string host(address);
  in_addr v4;
  int max_prefix = 128, offset = 0;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    c.network_[10] = c.network_[11] = 0xFF;
    std::memcpy(c.network_.data() + 12, &v4, 4);
    max_prefix = 32;
    offset = 96;
  } else if (inet_pton(AF_INET6, host.c_str(), c.network_.data()) != 1) {
    return make_error(kErrConfig, "\"" + std::string(text) + "\" is not an IPv4 or IPv6 network");
  }
  int prefix = max_prefix;
  if (!prefix_text.empty()) {
    auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 0 ||
        prefix > max_prefix) {
      return make_error(kErrConfig, "\"" + std::string(text) + "\": bad prefix length");
    }
  }
  c.prefix_ = prefix + offset;
  return c;
}

bool Cidr::contains(const Bytes& address) const {
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(address.data(), network_.data(), full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (address[full] & mask) == (network_[full] & mask);
}

namespace {

// IPv6 form of an address, IPv4 mapped; false for other families.
bool to_v6_bytes(const sockaddr* sa, Bytes& out) {
  out = {};
  if (sa->sa_family == AF_INET) {
    out[10] = out[11] = 0xFF;
    std::memcpy(out.data() + 12, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
    return true;
  }
  return false;
}

bool ip_to_v6_bytes(std::string_view ip, Bytes& out) {
  std::string text(ip);
  out = {};
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xFF;
    std::memcpy(out.data() + 12, &v4, 4);
    return true;
  }
  return inet_pton(AF_INET6, text.c_str(), out.data()) == 1;
}

bool is_v4_mapped(const Bytes& b) {
  static constexpr unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::memcmp(b.data(), prefix, 12) == 0;
}

}  // namespace

Result<CidrList> CidrList::parse(const std::vector<std::string>& networks) {
  CidrList list;
  for (const auto& text : networks) {
    auto c = Cidr::parse(text);
    if (!c) return c.take_error();
    list.networks_.push_back(*c);
  }
  return list;
}

bool CidrList::contains(const sockaddr* address) const {
  Bytes b;
  return to_v6_bytes(address, b) && matches(b);
}

bool CidrList::contains(std::string_view ip) const {
  Bytes b;
  return ip_to_v6_bytes(ip, b) && matches(b);
}

bool CidrList::matches(const std::array<unsigned char, 16>& address) const {
  for (const auto& c : networks_) {
    if (c.contains(address)) return true;
  }
  return false;
}

namespace {
const CidrList& loopback_networks() {
  static const CidrList loopback = CidrList::parse({"127.0.0.0/8", "::1/128"}).value();
  return loopback;
}
}  // namespace

bool is_loopback(const sockaddr* address) { return loopback_networks().contains(address); }

bool is_loopback_ip(std::string_view ip) { return loopback_networks().contains(ip); }

std::string address_to_ip(const sockaddr* address) {
  Bytes b;
  if (!to_v6_bytes(address, b)) return {};
  if (is_v4_mapped(b)) return ip_text(AF_INET, b.data() + 12);
  return ip_text(AF_INET6, b.data());
}

int address_to_port(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(address)->sin_port);
  }
  if (address->sa_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(address)->sin6_port);
  }
  return 0;
}

}  // namespace sora
