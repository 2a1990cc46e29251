#include "channels/settings_reader.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>

#include "core/json.hpp"

namespace bottega::channels {

std::string settings_field(std::string_view key) {
  std::string out = "settings.";
  out += key;
  return out;
}

Result<std::string> SettingsReader::required(std::string_view key, size_t max_len) {
  known_.emplace_back(key);
  std::string field = settings_field(key);
  BOTTEGA_TRY(value, json::required_string(o_, key, field, max_len));
  if (value.empty()) return Error::invalid(field, field + " must not be empty", "missing_field");
  return value;
}

Result<std::optional<std::string>> SettingsReader::optional(std::string_view key, size_t max_len) {
  known_.emplace_back(key);
  BOTTEGA_TRY(value, json::optional_string(o_, key, settings_field(key), max_len));
  if (value && value->empty()) value.reset();
  return value;
}

Result<std::string> SettingsReader::required_token(std::string_view key, std::string_view allowed,
                                                   size_t max_len) {
  BOTTEGA_TRY(value, required(key, max_len));
  for (char c : value) {
    if (allowed.find(c) == std::string_view::npos) {
      std::string field = settings_field(key);
      return Error::invalid(field, field + " contains a character that is not allowed",
                            "invalid_value");
    }
  }
  return value;
}

Result<std::string> SettingsReader::base_url(std::string_view key, std::string_view fallback) {
  known_.emplace_back(key);
  std::string field = settings_field(key);
  BOTTEGA_TRY(value, json::optional_string(o_, key, field, 2048));
  if (!value) return std::string(fallback);
  std::string url = std::move(*value);
  auto bad = [&](std::string why) {
    return Error::invalid(field, field + " " + why, "invalid_url");
  };
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return bad("must be an absolute URL");
  const auto& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    return bad("must use http or https");
  if (!u.has_authority() || u.encoded_host().empty()) return bad("must name a host");
  if (u.has_userinfo()) return bad("must not contain user info");
  if (u.has_query() || u.has_fragment()) return bad("must not contain a query or fragment");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Status SettingsReader::finish() const {
  for (const auto& kv : o_) {
    std::string_view k = kv.key();
    if (k == "send_rate") continue;  // every provider channel's pacing, read by channels::send_rate
    if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
      std::string field = settings_field(k);
      return Error::invalid(field, field + " is not a setting of this channel type",
                            "unknown_field");
    }
  }
  return {};
}

}  // namespace bottega::channels
