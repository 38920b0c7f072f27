#include "sasl-request.h"

#include <charconv>

namespace sora::sasl {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool ipv4_loopback(std::string_view ip) {
  if (!starts_with(ip, "127.")) return false;
  int dots = 0;
  for (char c : ip) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    auto tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return fields;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = base64_value(c);
      if (v[k] < 0) return std::nullopt;
    }
    unsigned triple = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out.push_back(static_cast<char>(triple >> 16 & 0xff));
    if (pad < 2) out.push_back(static_cast<char>(triple >> 8 & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(triple & 0xff));
  }
  return out;
}

std::string encode_base64(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, data.size() - i);
    unsigned triple = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      triple <<= 8;
      if (k < n) triple |= static_cast<unsigned char>(data[i + k]);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out.push_back(k <= n ? kAlphabet[triple >> (18 - 6 * k) & 0x3f] : '=');
    }
  }
  return out;
}

bool is_loopback(std::string_view ip) {
  if (ip == "::1") return true;
  for (std::string_view mapped : {"::ffff:", "::FFFF:"}) {
    if (starts_with(ip, mapped)) return ipv4_loopback(ip.substr(mapped.size()));
  }
  return ipv4_loopback(ip);
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t id = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

AuthParse parse_auth(const std::vector<std::string_view>& fields) {
  AuthParse result;
  if (fields.size() < 2) {
    result.error = "AUTH without a request id";
    return result;
  }
  result.id = parse_id(fields[1]);
  if (!result.id) {
    result.error = "AUTH with a request id that is not a 32-bit number";
    return result;
  }
  if (fields.size() < 3 || fields[2].empty()) {
    result.error = "AUTH without a mechanism";
    return result;
  }
  AuthLine line;
  line.id = *result.id;
  line.mechanism = upper(fields[2]);
  bool have_service = false;
  for (std::size_t i = 3; i < fields.size(); ++i) {
    std::string_view f = fields[i];
    if (starts_with(f, "resp=")) {
      // The last parameter by definition: anything after it is ignored, so
      // that client data can never smuggle in a parameter.
      line.initial_response = std::string(f.substr(5));
      break;
    }
    if (starts_with(f, "service=")) {
      line.service = std::string(f.substr(8));
      have_service = true;
    } else if (starts_with(f, "rip=")) {
      line.remote_ip = std::string(f.substr(4));
    } else if (starts_with(f, "lip=")) {
      line.local_ip = std::string(f.substr(4));
    } else if (f == "secured") {
      line.secured = true;
    } else if (f == "nologin") {
      line.nologin = true;
    } else if (f == "valid-client-cert") {
      line.valid_client_cert = true;
    }
    // Unknown parameters are ignored, as the protocol asks.
  }
  if (!have_service || line.service.empty()) {
    result.error = "AUTH without service=";
    return result;
  }
  result.line = std::move(line);
  return result;
}

std::optional<Mechanism::Kind> Mechanism::find(std::string_view name) {
  if (name == "PLAIN") return Kind::plain;
  if (name == "LOGIN") return Kind::login;
  return std::nullopt;
}

Mechanism::Step Mechanism::start() {
  if (kind_ == Kind::plain) return {Step::Action::challenge, "", ""};
  round_ = 1;
  return {Step::Action::challenge, "Username:", ""};
}

Mechanism::Step Mechanism::feed(std::string data) {
  if (kind_ == Kind::plain) return plain(data);
  if (round_ <= 1) {
    // LOGIN's initial response (RFC 4954 allows it), or the answer to Username:.
    if (data.empty() || data.find('\0') != std::string::npos) {
      return {Step::Action::fail, "", "Invalid user name"};
    }
    username_ = std::move(data);
    round_ = 2;
    return {Step::Action::challenge, "Password:", ""};
  }
  password_ = std::move(data);
  if (password_.find('\0') != std::string::npos) password_.clear();
  return {Step::Action::verify, "", ""};
}

// RFC 4616: [authzid] NUL authcid NUL passwd. Sora has no master users, so
// an authorization identity other than the user itself is refused.
Mechanism::Step Mechanism::plain(const std::string& data) {
  auto first = data.find('\0');
  auto second = first == std::string::npos ? first : data.find('\0', first + 1);
  if (second == std::string::npos || data.find('\0', second + 1) != std::string::npos) {
    return {Step::Action::fail, "", "Invalid PLAIN response"};
  }
  std::string authzid = data.substr(0, first);
  username_ = data.substr(first + 1, second - first - 1);
  password_ = data.substr(second + 1);
  if (username_.empty()) return {Step::Action::fail, "", "Invalid PLAIN response"};
  if (!authzid.empty() && authzid != username_) {
    password_.clear();
    return {Step::Action::fail, "", ""};
  }
  return {Step::Action::verify, "", ""};
}

bool printable_user(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return !name.empty();
}

}  // namespace sora::sasl
