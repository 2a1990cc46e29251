// Hashing, MACs, constant-time comparison, randomness and encodings (OpenSSL 3, libargon2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottega::crypto {

// Raw digests (32 / 20 bytes), returned as binary strings.
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);

// Constant-time equality of two byte strings (length differences leak only the length).
bool equal_ct(std::string_view a, std::string_view b) noexcept;

// Cryptographically secure random bytes (RAND_bytes). Aborts if the CSPRNG fails.
std::string random_bytes(size_t n);
// n random bytes encoded base64url without padding: an opaque token.
std::string random_token(size_t n = 32);

std::string hex(std::string_view bin);                        // lowercase
std::optional<std::string> unhex(std::string_view hex);       // nullopt on bad input
std::string base64(std::string_view bin);                     // standard, padded
std::optional<std::string> unbase64(std::string_view b64);
std::string base64url(std::string_view bin);                  // no padding
std::optional<std::string> unbase64url(std::string_view b64u);

// argon2id password hashing in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
// Parameters: m=19 MiB, t=2, p=1 (OWASP minimum). CPU-heavy: never call on an I/O thread.
std::string password_hash(std::string_view password);
bool password_verify(std::string_view encoded, std::string_view password);

// Bottega-Signature header value for a merchant webhook: "t=<unix>,v1=<hex hmac>", where the MAC is
// HMAC-SHA256(secret, "<unix>." + body) (Stripe's scheme).
std::string webhook_signature(std::string_view secret, int64_t unix_seconds, std::string_view body);
// Verifies a Bottega-Signature header against body with a tolerance in seconds; constant time.
bool verify_webhook_signature(std::string_view secret, std::string_view header,
                              std::string_view body, int64_t now_unix, int64_t tolerance_s = 300);

}  // namespace bottega::crypto
