// The Messenger Platform, shared by the Messenger and Instagram adapters: webhook events
// (messages, echoes, postbacks, reactions, deliveries, reads) and the Send API.
// Pure functions, no I/O; thread-safe. Wire formats: providers.md section 2.
#pragma once

#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/meta/meta.hpp"

namespace bottega::channels::meta {

enum class Platform { messenger, instagram };

// Normalizes every entry and every event of its "messaging" (and "standby") arrays.
//   provider_message_id: message.mid; postback.mid (or "postback:<sender>:<timestamp>" when
//   absent); reactions "reaction:<mid>:<sender>:<timestamp>"; deletions "<mid>:deleted".
//   contact_external_id: the PSID / IGSID (sender.id, or sender.user_ref for chat-plugin users);
//   for echoes the recipient. account_id: the page / IG account. Timestamps are already ms.
//   Deliveries and reads: one StatusUpdate per listed mid, else one watermark update for the
//   sender.
// Errors: invalid_argument naming the JSON path; object must be "page" (Messenger) or "instagram".
Result<InboundBatch> parse_messaging(Platform platform, std::string_view body);

// POST {api_base_url}/me/messages?access_token=<token> with a JSON body for msg to `to` (a PSID or
// IGSID). Messenger: link with at most 2 choices -> button template (postbacks + web_url, text
// <= 640); choices -> quick replies (<= 13); otherwise text. Instagram: quick replies or text.
// What does not fit degrades to text with numbered choices and "title: url".
// msg.human_agent -> messaging_type MESSAGE_TAG with tag HUMAN_AGENT.
Result<HttpRequest> build_messaging_send(Platform platform, const PageSettings& settings,
                                         std::string_view to, const OutboundMessage& msg);

// Every request that sends msg, in order (build_messaging_send is the first). An attachment
// message carries one file and no text: the text (with choices...) goes first as its own
// message, then one multipart/form-data upload per file (`filedata` = the bytes, message
// {"attachment":{"type","payload":{"is_reusable":false}}}). Messenger: image/video/audio/file up
// to 25 MB; Instagram: image (PNG/JPEG/GIF <= 8 MB), video (MP4/OGG/AVI/MOV/WebM), audio
// (AAC/M4A/WAV/MP4), file (PDF), <= 25 MB; anything else goes as "filename: public_url" in the
// text. Errors: as build_messaging_send; attachments[i].bytes missing.
Result<std::vector<HttpRequest>> build_messaging_sends(Platform platform, const PageSettings& settings,
                                                       std::string_view to, const OutboundMessage& msg);
// The message_id of a Send API answer; a non-2xx answer maps with graph_error.
Result<std::string> parse_messaging_send_response(Platform platform, int http_status,
                                                  std::string_view body);

}  // namespace bottega::channels::meta
