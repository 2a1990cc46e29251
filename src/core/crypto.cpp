#include "core/crypto.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

namespace bottega::crypto {

namespace {

// OpenSSL and libargon2 treat a null pointer specially in places; never hand them one.
const unsigned char* bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bottega: fatal: %s\n", what);
  std::abort();
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (key.size() > static_cast<size_t>(std::numeric_limits<int>::max())) die("HMAC key too long");
  if (HMAC(md, bytes(key), static_cast<int>(key.size()), bytes(data), data.size(), out, &len) ==
      nullptr) {
    die("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view bin, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bin.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bin.size(); i += 3) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bin[i])} << 16 |
                 uint32_t{static_cast<uint8_t>(bin[i + 1])} << 8 | static_cast<uint8_t>(bin[i + 2]);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  size_t rest = bin.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bin[i])} << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bin[i])} << 16 |
                 uint32_t{static_cast<uint8_t>(bin[i + 1])} << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    if (pad) out += '=';
  }
  return out;
}

// Strict decoder: only the alphabet, canonical trailing bits, padding exactly as `padded` says.
std::optional<std::string> b64_decode(std::string_view s, const char* alphabet, bool padded) {
  std::array<int8_t, 256> rev;
  rev.fill(-1);
  for (int i = 0; i < 64; ++i) rev[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);

  if (padded) {
    if (s.size() % 4 != 0) return std::nullopt;
    size_t pads = 0;
    while (pads < 2 && pads < s.size() && s[s.size() - 1 - pads] == '=') ++pads;
    s.remove_suffix(pads);
  }
  if (s.size() % 4 == 1) return std::nullopt;

  std::string out;
  out.reserve(s.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int8_t v = rev[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-zero unused bits
  return out;
}

constexpr uint32_t kArgonT = 2;
constexpr uint32_t kArgonM = 19456;  // KiB
constexpr uint32_t kArgonP = 1;
constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;
constexpr size_t kMaxEncodedLen = 512;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes(data), data.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    die("SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), key, data);
}

std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}

bool equal_ct(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) die("random_bytes: n too large");
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    die("RAND_bytes failed");
  }
  return out;
}

std::string random_token(size_t n) { return base64url(random_bytes(n)); }

std::string hex(std::string_view bin) {
  std::string out;
  out.resize(bin.size() * 2);
  for (size_t i = 0; i < bin.size(); ++i) {
    auto b = static_cast<uint8_t>(bin[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 15];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2 != 0) return std::nullopt;
  std::string out(h.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(h[2 * i]);
    int lo = hex_value(h[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string base64(std::string_view bin) { return b64_encode(bin, kB64, true); }
std::optional<std::string> unbase64(std::string_view b64) { return b64_decode(b64, kB64, true); }
std::string base64url(std::string_view bin) { return b64_encode(bin, kB64Url, false); }
std::optional<std::string> unbase64url(std::string_view b64u) {
  return b64_decode(b64u, kB64Url, false);
}

std::string password_hash(std::string_view password) {
  std::string salt = random_bytes(kSaltLen);
  size_t len = argon2_encodedlen(kArgonT, kArgonM, kArgonP, kSaltLen, kHashLen, Argon2_id);
  std::vector<char> encoded(len + 1, '\0');
  int rc =
      argon2id_hash_encoded(kArgonT, kArgonM, kArgonP, bytes(password), password.size(),
                            bytes(salt), salt.size(), kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) die(argon2_error_message(rc));
  return std::string(encoded.data());
}

bool password_verify(std::string_view encoded, std::string_view password) {
  // Only our own format; the length cap keeps a corrupted row from asking for absurd parameters
  // via a huge string (argon2 itself bounds m, t and p).
  if (encoded.size() > kMaxEncodedLen || encoded.substr(0, 10) != "$argon2id$") return false;
  std::string z(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(z.c_str(), password.data() == nullptr ? "" : password.data(),
                         password.size()) == ARGON2_OK;
}

std::string webhook_signature(std::string_view secret, int64_t unix_seconds,
                              std::string_view body) {
  std::string ts = std::to_string(unix_seconds);
  std::string payload;
  payload.reserve(ts.size() + 1 + body.size());
  payload.append(ts).append(".").append(body);
  return "t=" + ts + ",v1=" + hex(hmac_sha256(secret, payload));
}

bool verify_webhook_signature(std::string_view secret, std::string_view header,
                              std::string_view body, int64_t now_unix, int64_t tolerance_s) {
  std::string_view ts;
  bool have_ts = false;
  std::vector<std::string> candidates;  // decoded v1 MACs
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = item.substr(0, eq);
    std::string_view v = item.substr(eq + 1);
    if (k == "t") {
      if (have_ts) return false;  // two timestamps: ambiguous, refuse
      have_ts = true;
      ts = v;
    } else if (k == "v1" && v.size() == 64) {
      if (auto mac = unhex(v)) candidates.push_back(std::move(*mac));
    }
  }
  // The timestamp: 1 to 12 decimal digits (no sign, no spaces), so the arithmetic cannot overflow.
  if (!have_ts || ts.empty() || ts.size() > 12 || candidates.empty() || tolerance_s < 0) {
    return false;
  }
  int64_t t = 0;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
  if (ec != std::errc{} || end != ts.data() + ts.size() || t < 0) return false;
  // |now - t| in uint64: exact for any int64 now, since 0 <= t < 10^12.
  uint64_t skew = now_unix >= t ? static_cast<uint64_t>(now_unix) - static_cast<uint64_t>(t)
                                : static_cast<uint64_t>(t) - static_cast<uint64_t>(now_unix);
  if (skew > static_cast<uint64_t>(tolerance_s)) return false;

  std::string payload;
  payload.reserve(ts.size() + 1 + body.size());
  payload.append(ts).append(".").append(body);
  std::string expected = hmac_sha256(secret, payload);
  bool ok = false;
  for (const auto& c : candidates) ok |= equal_ct(c, expected);  // no early exit
  return ok;
}

}  // namespace bottega::crypto
