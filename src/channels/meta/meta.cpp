#include "channels/meta/meta.hpp"

#include <cstdint>

#include "channels/form.hpp"
#include "channels/settings_reader.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::meta {

namespace {

Error signature_error(std::string code, std::string message) {
  return Error{Errc::unauthenticated, std::move(code), std::move(message), {}};
}

bool is_challenge(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status verify_signature(const WebhookRequest& req, std::string_view app_secret) {
  std::string_view header = req.header("x-hub-signature-256");
  if (header.empty()) return signature_error("missing_signature", "X-Hub-Signature-256 is missing");
  constexpr std::string_view kPrefix = "sha256=";
  // Computed before looking at the header's shape, so timing does not depend on it.
  std::string expected = crypto::hex(crypto::hmac_sha256(app_secret, req.body));
  if (header.size() != kPrefix.size() + 64 || header.substr(0, kPrefix.size()) != kPrefix)
    return signature_error("bad_signature", "X-Hub-Signature-256 is malformed");
  std::string given(header.substr(kPrefix.size()));
  for (char& c : given)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  if (!crypto::equal_ct(expected, given))
    return signature_error("bad_signature", "X-Hub-Signature-256 does not match the body");
  return {};
}

Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token) {
  BOTTEGA_TRY(params, form::parse(query, 64, 8192));
  const std::string* mode = form::find(params, "hub.mode");
  const std::string* token = form::find(params, "hub.verify_token");
  const std::string* challenge = form::find(params, "hub.challenge");
  // An unset verify_token never matches, even an empty hub.verify_token.
  bool token_ok =
      token != nullptr && !verify_token.empty() && crypto::equal_ct(*token, verify_token);
  if (mode == nullptr || *mode != "subscribe" || !token_ok)
    return Error::forbidden("verify_token_mismatch", "subscription verification failed");
  if (challenge == nullptr || !is_challenge(*challenge))
    return Error::invalid("hub.challenge", "hub.challenge is missing or malformed",
                          "invalid_value");
  return *challenge;
}

Error graph_error(std::string_view provider, int http_status, std::string_view body) {
  int64_t code = 0;
  int64_t subcode = 0;
  std::string text;
  if (auto parsed = json::parse_object(body, {64 * 1024, 16}); parsed.ok()) {
    auto it = parsed->find("error");
    if (it != parsed->end() && it->value().is_object()) {
      const auto& e = it->value().get_object();
      if (auto c = json::optional_int(e, "code"); c.ok() && *c) code = **c;
      if (auto c = json::optional_int(e, "error_subcode"); c.ok() && *c) subcode = **c;
      if (auto m = json::optional_string(e, "message", {}, 1024); m.ok() && *m) text = **m;
    }
  }
  std::string message = std::string(provider) + " error";
  if (code != 0) message += " " + std::to_string(code);
  message += " (HTTP " + std::to_string(http_status) + ")";
  if (!text.empty()) message += ": " + text;

  switch (code) {
    case 4:
    case 17:
    case 32:
    case 613:
    case 80007:
    case 130429:
    case 131056:
      return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
    case 131047:
      return Error{Errc::unprocessable, "outside_window", std::move(message), {}};
    case 10:
      if (subcode == 2018278)
        return Error{Errc::unprocessable, "outside_window", std::move(message), {}};
      break;
    case 190:
      return Error{Errc::unauthenticated, "provider_unauthorized", std::move(message), {}};
    case 1:
    case 2:
    case 131000:
    case 131016:
    case 131057:
      return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
    default:
      break;
  }
  if (http_status == 429)
    return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
  if (http_status >= 500 || http_status == 0)
    return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
  return Error{Errc::unprocessable, "provider_rejected", std::move(message), {}};
}

Result<PageSettings> parse_page_settings(const boost::json::object& settings) {
  SettingsReader r(settings);
  PageSettings s;
  BOTTEGA_TRY(page_id, r.required_token("page_id", kDigits, 64));
  BOTTEGA_TRY(token, r.required("page_access_token"));
  BOTTEGA_TRY(secret, r.required("app_secret"));
  BOTTEGA_TRY(verify, r.required("verify_token"));
  BOTTEGA_TRY(base, r.base_url("api_base_url", kGraphApiBaseUrl));
  BOTTEGA_TRY_STATUS(r.finish());
  s.page_id = std::move(page_id);
  s.page_access_token = std::move(token);
  s.app_secret = std::move(secret);
  s.verify_token = std::move(verify);
  s.api_base_url = std::move(base);
  return s;
}

}  // namespace bottega::channels::meta
