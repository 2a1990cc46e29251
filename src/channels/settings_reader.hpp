// Reads a channel's "settings" object: required and optional strings, provider API roots, and a
// final check that rejects unknown keys. Errors name the field as "settings.<key>".
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::channels {

class SettingsReader {
 public:
  explicit SettingsReader(const boost::json::object& settings) : o_(settings) {}

  // A non-empty string of at most max_len bytes. Missing -> "missing_field", wrong type ->
  // "invalid_type", empty -> "missing_field".
  Result<std::string> required(std::string_view key, size_t max_len = 4096);

  // Like required, and every byte must be in `allowed` (an ASCII class such as kDigits); used for
  // values that end up in a URL path, so they cannot smuggle '/', '?' or '..' into it.
  Result<std::string> required_token(std::string_view key, std::string_view allowed,
                                     size_t max_len = 256);

  // A string of at most max_len bytes when present and not null (empty counts as absent);
  // wrong type -> "invalid_type".
  Result<std::optional<std::string>> optional(std::string_view key, size_t max_len = 4096);

  // An absolute http(s) URL without query, fragment or user info; a trailing '/' is removed.
  // Missing or null -> fallback.
  Result<std::string> base_url(std::string_view key, std::string_view fallback);

  // Fails with "unknown_field" naming the first key no getter asked for. "send_rate" is common to
  // every provider channel and checked by channels::send_rate (rate_limits.hpp), not here.
  Status finish() const;

 private:
  const boost::json::object& o_;
  std::vector<std::string> known_;
};

inline constexpr std::string_view kDigits = "0123456789";
inline constexpr std::string_view kAlnum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string settings_field(std::string_view key);  // "settings.<key>"

}  // namespace bottega::channels
