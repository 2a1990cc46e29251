// Twilio Programmable Messaging adapter (SMS, MMS and WhatsApp through Twilio): webhook signature
// check, normalization of inbound messages and status callbacks, and the Messages.json request for
// a reply. Pure functions, no I/O; thread-safe. Wire formats: providers.md section 4.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels::twilio {

inline constexpr std::string_view kType = "twilio";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://api.twilio.com";

struct Settings {
  std::string account_sid;  // AC..., used in the API path
  std::string auth_token;   // secret: key of X-Twilio-Signature and the API password
  std::string from;  // "+15551234567", "whatsapp:+15551234567" or a Messaging Service "MG..."
  std::string api_base_url;  // no trailing '/'
};

// Errors: invalid_argument naming "settings.<key>".
Result<Settings> parse_settings(const boost::json::object& settings);

// X-Twilio-Signature = base64(HMAC-SHA1(auth_token, url + for each form name in byte order, for
// each of its distinct values in byte order: name + value)), compared in constant time against the
// URL as given, with the scheme's default port added (:443 / :80) when it has none, and with its
// port removed. GET requests sign the URL only. A URL carrying bodySHA256=<hex> (JSON-body
// webhooks) signs the URL only and the body must hash to it.
// Errors: unauthenticated "missing_signature" / "bad_signature" (also for a body that is not a
// valid form).
Status verify(const WebhookRequest& req, const Settings& settings);

// Normalizes a form-encoded webhook body. A body whose MessageStatus (or SmsStatus) is anything but
// "received"/"receiving" is a status callback: queued/accepted/scheduled/sending -> pending, sent,
// delivered, read, failed/undelivered/canceled -> failed with ErrorCode (and ErrorMessage or a
// description of common codes); unknown states are ignored. Otherwise it is an inbound message:
//   provider_message_id: MessageSid. contact_external_id: From ("+1555..." or "whatsapp:+1555...").
//   account_id: To. contact_name: ProfileName (WhatsApp). timestamp_ms: 0 (Twilio sends none; use
//   the time of receipt). Kinds: NumMedia > 0 -> media (MediaUrlN / MediaContentTypeN, Body as
//   caption); Latitude+Longitude -> location; ButtonPayload/ButtonText -> interactive_reply;
//   Body -> text; otherwise unsupported naming MessageType.
// Errors: invalid_argument naming the parameter ("MessageSid", "MediaUrl1", "NumMedia"), or
// "invalid_form" for bad percent escapes.
Result<InboundBatch> parse(std::string_view body);

// POST {api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json, HTTP Basic auth, form body
// To, From (or MessagingServiceSid for "MG..."), Body. Twilio renders no buttons: choices become a
// numbered list and the link "title: url". Errors: invalid_argument, "text_too_long" (> 1600).
Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg);
// Every request that sends msg, in order (build_send is the first). Files go by link
// (MediaUrl = public_url). SMS/MMS: one message, at most 10 MediaUrl and 5 MB of media in all
// (images, audio, video, vCard, calendar, PDF); WhatsApp ("whatsapp:" recipients): one media per
// message, images <= 5 MB, audio/video/PDF/Office/vCard <= 16 MB, the Body as the first image's or
// video's caption when it fits (<= 1024), otherwise a text message first. Files a channel cannot
// take go as "filename: public_url" in the Body. Errors: as build_send;
// attachments[i].public_url missing.
Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg);

// The sid of a 2xx answer. Errors: 429 / 20429 -> rate_limited, 63016 (WhatsApp outside the
// 24 h window) -> unprocessable "outside_window", 401 / 20003 -> unauthenticated, 5xx ->
// unavailable, else unprocessable "provider_rejected".
Result<std::string> parse_send_response(int http_status, std::string_view body);

}  // namespace bottega::channels::twilio
