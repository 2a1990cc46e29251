// WhatsApp Cloud API (Meta) adapter: webhook verification and normalization, and the Send API
// request for a reply. Pure functions, no I/O; thread-safe. Wire formats: providers.md section 1.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/window.hpp"

namespace bottega::channels::whatsapp {

inline constexpr std::string_view kType = "whatsapp";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://graph.facebook.com/v21.0";

struct Settings {
  std::string phone_number_id;  // digits; the sender number's Graph id
  std::string access_token;     // secret: system-user or business token
  std::string app_secret;       // secret: key of X-Hub-Signature-256
  std::string verify_token;     // secret: the GET handshake's hub.verify_token
  std::string api_base_url;     // Graph root with version, no trailing '/'
  std::vector<MessageTemplate> templates{};  // approved templates ("templates" setting)
  std::string catalog_id{};  // optional: the shop's WhatsApp catalog (product cards become
                             // single-product messages; its product_retailer_id = our SKU)
};

// Errors: invalid_argument naming "settings.<key>" (missing, empty, wrong type, unknown key, a
// phone_number_id that is not digits, an api_base_url that is not an http(s) root).
Result<Settings> parse_settings(const boost::json::object& settings);

// X-Hub-Signature-256 over the raw body with app_secret (constant time). Errors: unauthenticated
// "missing_signature" / "bad_signature".
Status verify(const WebhookRequest& req, const Settings& settings);

// The GET handshake: hub.challenge when hub.mode=subscribe and hub.verify_token matches; else
// forbidden "verify_token_mismatch".
Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token);

// Normalizes a webhook POST body: every entry, every change with field "messages", every message
// and every status. Changes with other fields (template updates, account updates...) and unknown
// members are ignored; unknown message types become MessageKind::unsupported.
//   provider_message_id: the wamid. contact_external_id: wa_id (`from`). account_id:
//   metadata.phone_number_id. Timestamps: seconds -> ms.
// Content (content_json) per kind is documented in docs/channels.md.
// Errors: invalid_argument with the JSON path of a missing or mistyped required field
// ("entry[1].changes[0].value.messages[2].timestamp"), invalid_json, payload_too_large (> 4 MiB).
Result<InboundBatch> parse(std::string_view body);

// The Send API request (POST {api_base_url}/{phone_number_id}/messages, bearer token, JSON) for
// `msg` to wa_id `to`: up to 3 choices -> reply buttons; up to 10 -> a list; a lone link -> a CTA
// URL button; otherwise text with numbered choices and "title: url". msg.reply_to -> context.
// Errors: invalid_argument (validation, "text_too_long" over 4096 characters).
Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg);
// Every request that sends msg, in order (build_send is the first): WhatsApp takes one file per
// message, by `link` (the file's public_url): image (JPEG/PNG <= 5 MB), video (MP4/3GPP <= 16
// MB), audio (AAC/AMR/MPEG/MP4/OGG <= 16 MB), document (PDF, text, Office <= 100 MB, with its
// filename); anything else goes as "filename: public_url" in the text. The text is the first
// file's caption when it fits (<= 1024 characters, not audio, no buttons); otherwise it goes
// first as its own message (attachments::plan). msg.reply_to -> context of the first message.
// Errors: as build_send; attachments[i].public_url missing.
Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg);

// An approved template: {"type":"template","template":{"name","language":{"code"},
// "components":[{"type":"body","parameters":[{"type":"text","text"}...]}]}} (no components when
// it takes no parameters). REQUIRES: t checked with check_template against settings.templates.
Result<HttpRequest> build_template_send(const Settings& settings, std::string_view to,
                                        const TemplateSend& t);

// The wamid of a send response (messages[0].id); a non-2xx answer maps with meta::graph_error.
Result<std::string> parse_send_response(int http_status, std::string_view body);

}  // namespace bottega::channels::whatsapp
