// Viber REST Bot API adapter: callback verification and normalization, and the send_message
// request for a reply. Pure functions, no I/O; thread-safe. Wire formats and sources:
// docs/channels.md#viber.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels::viber {

inline constexpr std::string_view kType = "viber";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://chatapi.viber.com/pa";

struct Settings {
  std::string auth_token;     // secret: X-Viber-Auth-Token, and the key of X-Viber-Content-Signature
  std::string sender_name;    // send_message's sender.name (required by Viber, at most 28 characters)
  std::string sender_avatar;  // optional sender.avatar URL
  std::string api_base_url;   // no trailing '/'
  std::string welcome_text;   // answered to conversation_started; empty: no welcome message
};

// Errors: invalid_argument naming "settings.<key>" (missing auth_token or sender_name, a
// sender_name over 28 characters, a sender_avatar that is not an http(s) URL, a welcome_text over
// 7000 characters, unknown keys).
Result<Settings> parse_settings(const boost::json::object& settings);

// The welcome message: the body answering a verified conversation_started callback (Viber sends
// it to the user who opened the chat), {"sender":{"name","avatar"?},"type":"text","text"} from
// welcome_text. nullopt for any other callback, an unreadable body, or no welcome_text.
std::optional<std::string> welcome_reply(std::string_view body, const Settings& settings);

// X-Viber-Content-Signature: hex HMAC-SHA256 of the raw body keyed with auth_token, compared in
// constant time (hex case-insensitive). Errors: unauthenticated "missing_signature" /
// "bad_signature".
Status verify(const WebhookRequest& req, const Settings& settings);

// Normalizes one callback by its "event":
//   message: one InboundMessage; provider_message_id = message_token (the dedupe key),
//     contact_external_id = sender.id, timestamp (ms). text / picture / video / file / sticker /
//     location / contact / url map to text, media, location, contacts (url: text with the URL);
//     a text that equals the title of a reply button we sent (tracking_data) is an
//     interactive_reply with that choice's id; anything else is unsupported (kept, described).
//   delivered / seen / failed: a StatusUpdate for message_token (delivered, read, failed with
//     "desc" as the reason), contact_external_id = user_id.
//   subscribed / unsubscribed / conversation_started / webhook: no message (an empty batch):
//     they carry no customer content; the send API reports an unsubscribed receiver (status 6).
//   Any other event: an empty batch.
// Errors: invalid_argument naming the JSON path ("message.type", "sender.id", "message_token").
Result<InboundBatch> parse(std::string_view body);

// POST {api_base_url}/send_message (JSON, X-Viber-Auth-Token): text (at most 7000 characters);
// choices -> a keyboard of reply buttons (their titles, at most 24 with the link) with the choices
// in tracking_data so a tap is recognised; a link -> an open-url keyboard button; a product card
// with an image and at most 2 buttons -> a rich_media message (image, title and subtitle, the
// buttons) with the text as alt_text. Errors: invalid_argument, "text_too_long".
Result<HttpRequest> build_send(const Settings& settings, std::string_view receiver,
                               const OutboundMessage& msg);
// Every request that sends msg, in order (build_send is the first). Viber takes one file per
// message, by link (`media` = public_url): picture (JPEG/PNG/GIF <= 1 MB, the text as its
// description when it fits in 768 characters and there are no buttons), video (MP4 <= 26 MB, with
// `size`), file (anything else <= 50 MB, `size` and `file_name`); larger files go as
// "filename: public_url" in the text, which otherwise goes first as its own message.
// Errors: as build_send; attachments[i].public_url missing.
Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view receiver,
                                             const OutboundMessage& msg);

// message_token from {"status":0,...}; Viber answers HTTP 200 with a status code:
// 2 / 15 -> unauthenticated "provider_unauthorized"; 5 / 6 / 11 -> unprocessable
// "recipient_unavailable"; 12 -> rate_limited "provider_rate_limited"; 7 / 8 / 9 -> unprocessable
// "account_unavailable"; 23 / 24 -> unprocessable "billing"; 1, 3, 4, 10, 13, 14, 16-22 ->
// unprocessable "provider_rejected"; other codes (generalError) and HTTP 5xx -> unavailable.
Result<std::string> parse_send_response(int http_status, std::string_view body);

}  // namespace bottega::channels::viber
