// What WhatsApp Cloud API, Messenger and Instagram share: the X-Hub-Signature-256 check, the
// GET subscription handshake, the Graph API error envelope and the Page settings.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"

namespace bottega::channels::meta {

inline constexpr std::string_view kGraphApiBaseUrl = "https://graph.facebook.com/v21.0";

// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>` over req.body as
// received, in constant time (hex digits of either case are accepted). Errors: unauthenticated
// "missing_signature" (no header) or "bad_signature" (malformed or wrong).
Status verify_signature(const WebhookRequest& req, std::string_view app_secret);

// Meta's GET handshake: query is the raw query string
// (hub.mode=subscribe&hub.challenge=...&hub.verify_token=...). Returns hub.challenge, to be sent
// back as a text/plain 200, when the mode is "subscribe" and the token matches (constant time).
// Errors: forbidden "verify_token_mismatch"; invalid_argument when the query is malformed or the
// challenge is not a short token of [A-Za-z0-9._-] (it is echoed, so it is not trusted).
Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token);

// Maps a failed Graph API call (non-2xx or an "error" envelope) to an Error:
// rate limits (4, 17, 32, 613, 80007, 130429, 131056) -> rate_limited "provider_rate_limited";
// outside the customer service window (WhatsApp 131047, Messenger 10/2018278) -> unprocessable
// "outside_window"; bad token (190) -> unauthenticated "provider_unauthorized"; HTTP 5xx or a
// transient code (1, 2, 131000, 131016, 131057) -> unavailable "provider_unavailable"; anything
// else
// -> unprocessable "provider_rejected". The message quotes the provider's code and message.
Error graph_error(std::string_view provider, int http_status, std::string_view body);

// Messenger and Instagram (through a Facebook Page) settings.
struct PageSettings {
  std::string page_id;            // digits
  std::string page_access_token;  // secret
  std::string app_secret;         // secret: key of X-Hub-Signature-256
  std::string verify_token;       // secret: the GET handshake's hub.verify_token
  std::string api_base_url;       // default kGraphApiBaseUrl, no trailing '/'
};

// Errors: invalid_argument naming "settings.<key>" (missing, empty, wrong type, unknown key).
Result<PageSettings> parse_page_settings(const boost::json::object& settings);

}  // namespace bottega::channels::meta
