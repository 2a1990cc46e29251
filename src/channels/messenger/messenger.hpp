// Messenger adapter (Messenger Platform through a Facebook Page): webhook verification and
// normalization, and the Send API request for a reply. Pure functions, no I/O; thread-safe.
// The event handling is shared with the other Page channel in channels/meta/messaging.hpp.
// Wire formats: providers.md section 2.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/meta/meta.hpp"

namespace bottega::channels::messenger {

inline constexpr std::string_view kType = "messenger";
inline constexpr std::string_view kDefaultApiBaseUrl = meta::kGraphApiBaseUrl;

// page_id, page_access_token, app_secret, verify_token, api_base_url (see meta::PageSettings).
struct Settings : meta::PageSettings {};

// Errors: invalid_argument naming "settings.<key>".
Result<Settings> parse_settings(const boost::json::object& settings);

// X-Hub-Signature-256 over the raw body with app_secret (constant time). Errors: unauthenticated
// "missing_signature" / "bad_signature".
Status verify(const WebhookRequest& req, const Settings& settings);

// The GET handshake: hub.challenge when hub.mode=subscribe and hub.verify_token matches.
Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token);

// Normalizes a webhook POST body whose object is "page" (see meta::parse_messaging).
Result<InboundBatch> parse(std::string_view body);

// The Send API request for msg to `to` (see meta::build_messaging_send).
Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg);
// Every request that sends msg, in order (build_send is the first): see meta::build_messaging_sends.
Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg);

// The message_id of a Send API answer.
Result<std::string> parse_send_response(int http_status, std::string_view body);

}  // namespace bottega::channels::messenger
