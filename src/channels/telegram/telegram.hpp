// Telegram Bot API adapter: webhook verification and normalization of Updates, and the
// sendMessage request for a reply. Pure functions, no I/O; thread-safe. Wire formats:
// providers.md section 3.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels::telegram {

inline constexpr std::string_view kType = "telegram";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://api.telegram.org";

struct Settings {
  std::string bot_token;     // secret: "<bot id>:<key>", used in the API path
  std::string secret_token;  // secret: setWebhook's secret_token, 1-256 of [A-Za-z0-9_-]
  std::string api_base_url;  // no trailing '/'
};

// Errors: invalid_argument naming "settings.<key>" (a bot_token not shaped "<digits>:<key>", a
// secret_token outside Telegram's alphabet).
Result<Settings> parse_settings(const boost::json::object& settings);

// X-Telegram-Bot-Api-Secret-Token must equal secret_token (constant time). Errors:
// unauthenticated "missing_signature" / "bad_signature".
Status verify(const WebhookRequest& req, const Settings& settings);

// Normalizes one Update. Ids (chosen so the same message always gets the same id, and the ids of
// our own sends, "<chat_id>:<message_id>" from parse_send_response, match replies and edits):
//   message / channel_post:  "<chat_id>:<message_id>"
//   edited_message / edited_channel_post: "<chat_id>:<message_id>:edit:<edit_date>", with edit_of =
//     "<chat_id>:<message_id>" (an edit is a new event; it must not be deduplicated away)
//   callback_query: "cbq:<callback_query.id>". Not the update_id: Telegram reseeds update_ids
//     randomly after a week without updates, while callback query ids are unique. Its timestamp is
//     0 (Telegram gives none; use the time of receipt); text is the tapped button's label when the
//     message's inline keyboard is present, else the callback data; content has callback_query_id
//     for answerCallbackQuery.
//   message_reaction: "reaction:<chat_id>:<message_id>:<update_id>".
// contact_external_id is the chat id (what sendMessage needs). Other update types give an empty
// batch. Errors: invalid_argument naming the JSON path ("message.chat.id").
Result<InboundBatch> parse(std::string_view body);

// POST {api_base_url}/bot<token>/sendMessage (JSON): choices -> inline keyboard callback buttons
// (one per row, callback_data = choice id, which must be 1-64 bytes), link -> a url button;
// reply_to "<chat>:<message_id>" -> reply_parameters. Errors: invalid_argument, "text_too_long".
Result<HttpRequest> build_send(const Settings& settings, std::string_view chat_id,
                               const OutboundMessage& msg);
// Every request that sends msg, in order (build_send is the first). Files are uploaded as
// multipart/form-data (their bytes): one file -> sendPhoto (JPEG/PNG <= 10 MB) / sendVideo (MP4) /
// sendAudio (MP3/M4A) / sendDocument; 2-10 -> one sendMediaGroup album (photos and videos mix;
// otherwise documents). The text is the caption of the (first) file when it fits (<= 1024
// characters, no keyboard); otherwise sendMessage goes first. Files over 50 MB go as
// "filename: public_url" in the text. reply_to -> reply_parameters of the first request.
Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view chat_id,
                                             const OutboundMessage& msg);

// "<chat_id>:<message_id>" from {"ok":true,"result":Message}; errors by error_code (429 ->
// rate_limited, 401 -> unauthenticated, 403 -> unprocessable "recipient_unavailable", 5xx ->
// unavailable, else unprocessable "provider_rejected").
Result<std::string> parse_send_response(int http_status, std::string_view body);

}  // namespace bottega::channels::telegram
