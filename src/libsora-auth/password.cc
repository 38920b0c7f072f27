#include "sora/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <strings.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace sora::password {

namespace {

constexpr std::size_t kSha512Size = 64;
// Dovecot writes 8 bytes of salt; more buys nothing against precomputation.
constexpr std::size_t kSsha512SaltSize = 8;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// libxcrypt's scratch space is ~32 KB, too big for a thread-pool stack frame to
// take lightly, and it holds the passphrase: wiped before it is freed.
struct CryptData {
  crypt_data data{};
  ~CryptData() { OPENSSL_cleanse(&data, sizeof data); }
};

// Wipes a buffer that held key material when it goes out of scope.
template <class Buffer>
struct Wipe {
  Buffer& buffer;
  ~Wipe() {
    if (!buffer.empty()) OPENSSL_cleanse(buffer.data(), buffer.size());
  }
};

// crypt_rn() needs NUL-terminated strings; a NUL inside would silently cut
// the password short, and an over-long one makes libxcrypt fail.
bool crypt_accepts(std::string_view password) {
  return password.size() < CRYPT_MAX_PASSPHRASE_SIZE &&
         password.find('\0') == std::string_view::npos;
}

// Runs crypt_rn; nullopt when libxcrypt rejects the setting (it returns NULL
// or a failure token starting with '*').
std::optional<std::string> run_crypt(std::string_view password, const std::string& setting) {
  auto scratch = std::make_unique<CryptData>();
  std::string phrase(password);
  Wipe<std::string> wipe{phrase};
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), &scratch->data,
                             static_cast<int>(sizeof scratch->data));
  if (out == nullptr || out[0] == '*' || out[0] == '\0') return std::nullopt;
  return std::string(out);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The crypt(3) methods we verify: bcrypt in its three spellings, the SHA-2
// crypts and MD5-crypt. `scheme` is the Dovecot name reported in errors.
struct CryptMethod {
  std::string_view prefix;
  std::string_view scheme;
};
constexpr CryptMethod kCryptMethods[] = {
    {"$2a$", "BLF-CRYPT"},    {"$2b$", "BLF-CRYPT"},    {"$2y$", "BLF-CRYPT"},
    {"$6$", "SHA512-CRYPT"},  {"$5$", "SHA256-CRYPT"},  {"$1$", "MD5-CRYPT"},
};

const CryptMethod* find_crypt_method(std::string_view stored) {
  for (const auto& m : kCryptMethods)
    if (stored.starts_with(m.prefix)) return &m;
  return nullptr;
}

Error invalid(std::string_view scheme, std::string_view what) {
  std::string msg = "stored password hash (";
  msg += scheme;
  msg += ") ";
  msg += what;
  msg += "; set a new password for this account";
  return make_error(kErrInvalid, std::move(msg));
}

Result<bool> verify_crypt(std::string_view password, std::string_view stored,
                          std::string_view scheme) {
  std::string setting(stored);
  if (!crypt_accepts(password)) {
    // Cannot match anything crypt_rn could have produced; still spend the time.
    (void)run_crypt("", setting);
    return false;
  }
  auto out = run_crypt(password, setting);
  if (!out) return invalid(scheme, "is not a valid crypt string");
  // libxcrypt also hashes a bare or cut-off setting ("$6$"); a complete crypt
  // string always comes back at its own length.
  if (out->size() != stored.size()) {
    OPENSSL_cleanse(out->data(), out->size());
    return invalid(scheme, "is a truncated crypt string");
  }
  bool match = equal_constant_time(*out, stored);
  OPENSSL_cleanse(out->data(), out->size());
  return match;
}

// Strict RFC 4648 base64 with padding, as Dovecot writes it. EVP_DecodeBlock
// counts padding as zero bytes and skips blanks, so the shape is checked here.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  for (std::size_t i = 0; i < text.size() - pad; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::vector<unsigned char> out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::vector<unsigned char>> decode_hex(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  std::vector<unsigned char> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  return out;
}

std::string encode_base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                          static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

using Digest = std::array<unsigned char, kSha512Size>;

std::optional<Digest> sha512(std::string_view password, const unsigned char* salt,
                             std::size_t salt_size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  Digest digest;
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), password.data(), password.size()) != 1 ||
      (salt_size > 0 && EVP_DigestUpdate(ctx.get(), salt, salt_size) != 1) ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1 || len != digest.size())
    return std::nullopt;
  return digest;
}

// {SHA512}, {SSHA512} and their .HEX/.B64 spellings: the encoding is the
// suffix of the scheme name, base64 when there is none.
Result<bool> verify_sha512(std::string_view password, std::string_view scheme,
                           std::string_view encoded, bool salted) {
  bool hex = false;
  if (auto dot = scheme.find('.'); dot != std::string_view::npos)
    hex = iequals(scheme.substr(dot + 1), "HEX");
  auto raw = hex ? decode_hex(encoded) : decode_base64(encoded);
  if (!raw) return invalid(scheme, hex ? "is not valid hex" : "is not valid base64");
  if (salted ? raw->size() <= kSha512Size : raw->size() != kSha512Size)
    return invalid(scheme, "has the wrong length");
  auto digest = sha512(password, raw->data() + kSha512Size, raw->size() - kSha512Size);
  if (!digest) return make_error(kErrGeneric, "SHA-512 from OpenSSL failed");
  return CRYPTO_memcmp(digest->data(), raw->data(), kSha512Size) == 0;
}

bool is_sha512_scheme(std::string_view scheme, std::string_view base) {
  if (!starts_with_icase(scheme, base)) return false;
  std::string_view rest = scheme.substr(base.size());
  return rest.empty() || iequals(rest, ".HEX") || iequals(rest, ".B64");
}

// A scheme name read from the database is echoed in errors only when it looks
// like one, so a mangled row never leaks hash material into a log, and never
// when the password is in it (a password pasted where its hash belongs).
std::string printable_scheme(std::string_view scheme, std::string_view password) {
  if (scheme.empty() || scheme.size() > 32) return "{?}";
  if (!password.empty() && scheme.find(password) != std::string_view::npos) return "{?}";
  for (char c : scheme) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return "{?}";
  }
  return "{" + std::string(scheme) + "}";
}

Result<bool> verify_prefixed(std::string_view password, std::string_view scheme,
                             std::string_view rest) {
  if (is_sha512_scheme(scheme, "SSHA512")) return verify_sha512(password, scheme, rest, true);
  if (is_sha512_scheme(scheme, "SHA512")) return verify_sha512(password, scheme, rest, false);

  // Dovecot's crypt schemes: {CRYPT} takes any method we know, the others
  // only their own, so a mislabelled row is reported rather than guessed at.
  const CryptMethod* method = find_crypt_method(rest);
  if (iequals(scheme, "CRYPT")) {
    if (!method) return invalid("{CRYPT}", "uses an unsupported crypt method");
    return verify_crypt(password, rest, "{CRYPT}");
  }
  for (const auto& m : kCryptMethods) {
    if (!iequals(scheme, m.scheme)) continue;
    std::string label = "{" + std::string(m.scheme) + "}";
    if (!method || method->scheme != m.scheme)
      return invalid(label, "does not hold a " + std::string(m.scheme) + " crypt string");
    return verify_crypt(password, rest, label);
  }
  return invalid(printable_scheme(scheme, password), "uses an unknown scheme");
}

}  // namespace

Result<Scheme> parse_scheme(std::string_view name) {
  if (iequals(name, "bcrypt")) return Scheme::bcrypt;
  if (iequals(name, "ssha512")) return Scheme::ssha512;
  if (iequals(name, "sha512")) return Scheme::sha512;
  if (iequals(name, "sha512-crypt")) return Scheme::sha512_crypt;
  return make_error(kErrInvalid, "unknown password scheme \"" + std::string(name) +
                                     "\": use bcrypt, ssha512, sha512 or sha512-crypt");
}

Result<std::string> hash(std::string_view password, Scheme scheme, int cost) {
  switch (scheme) {
    case Scheme::ssha512:
    case Scheme::sha512: {
      bool salted = scheme == Scheme::ssha512;
      std::vector<unsigned char> raw(kSha512Size + (salted ? kSsha512SaltSize : 0));
      Wipe<std::vector<unsigned char>> wipe{raw};
      unsigned char* salt = raw.data() + kSha512Size;
      if (salted && RAND_bytes(salt, static_cast<int>(kSsha512SaltSize)) != 1)
        return make_error(kErrGeneric, "no random bytes from OpenSSL for a password salt");
      auto digest = sha512(password, salt, raw.size() - kSha512Size);
      if (!digest) return make_error(kErrGeneric, "SHA-512 from OpenSSL failed");
      std::memcpy(raw.data(), digest->data(), kSha512Size);
      return std::string(salted ? "{SSHA512}" : "{SHA512}") + encode_base64(raw.data(), raw.size());
    }
    case Scheme::bcrypt:
    case Scheme::sha512_crypt: {
      bool bcrypt = scheme == Scheme::bcrypt;
      if (bcrypt && (cost < 4 || cost > 31))
        return make_error(kErrInvalid, "bcrypt cost " + std::to_string(cost) +
                                           " is out of range: use 4 to 31");
      if (!crypt_accepts(password))
        return make_error(kErrInvalid,
                          "the password contains a NUL byte or is longer than " +
                              std::to_string(CRYPT_MAX_PASSPHRASE_SIZE - 1) + " bytes");
      char setting[CRYPT_GENSALT_OUTPUT_SIZE];
      // Null random bytes: libxcrypt draws the salt from the OS RNG. Count 0
      // is sha512-crypt's default of 5000 rounds, as Dovecot writes it.
      if (!crypt_gensalt_rn(bcrypt ? "$2b$" : "$6$", bcrypt ? static_cast<unsigned long>(cost) : 0,
                            nullptr, 0, setting, sizeof setting))
        return make_error(kErrGeneric, std::string("libxcrypt could not make a ") +
                                           (bcrypt ? "bcrypt" : "sha512-crypt") + " salt");
      auto out = run_crypt(password, setting);
      if (!out)
        return make_error(kErrGeneric, std::string("libxcrypt failed to hash with ") +
                                           (bcrypt ? "bcrypt" : "sha512-crypt"));
      return bcrypt ? std::move(*out) : "{SHA512-CRYPT}" + *out;
    }
  }
  return make_error(kErrInvalid, "unknown password scheme");
}

Result<bool> verify(std::string_view password, std::string_view stored) {
  if (stored.empty()) return make_error(kErrInvalid, "stored password hash is empty");
  if (stored.front() == '{') {
    auto close = stored.find('}');
    if (close == std::string_view::npos)
      return make_error(kErrInvalid, "stored password hash has an unterminated {SCHEME} prefix");
    return verify_prefixed(password, stored.substr(1, close - 1), stored.substr(close + 1));
  }
  if (const CryptMethod* method = find_crypt_method(stored))
    return verify_crypt(password, stored, method->scheme);
  return make_error(kErrInvalid,
                    "stored password hash is neither a supported crypt string ($2b$, $6$ ...) "
                    "nor {SCHEME}-prefixed");
}

}  // namespace sora::password
