// The channel seam: one adapter per messaging provider (src/channels/<name>/), all listed in
// src/channels/registry.cpp. Inbound: verify the raw request, then parse it into normalized
// messages and statuses. Nothing here does I/O; the pipeline stores what parse returns.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega {

// The raw webhook request as received, before any parsing.
struct WebhookRequest {
  std::string method;                                       // "GET" or "POST"
  std::string url;            // the full public URL the provider called (scheme, host, path, query)
  std::string query;          // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers; // names lower-case
  std::string body;           // raw bytes
  int64_t received_at_ms = 0; // when it arrived (0: unknown), for providers that sign a timestamp

  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return {};
  }
};

enum class MessageKind {
  text, interactive_reply, media, location, contacts, reaction, order, unsupported,
};
std::string_view to_string(MessageKind k);

struct InboundMessage {
  std::string provider_message_id;  // wamid / mid / update_id / MessageSid / Message-ID: dedupe key
  std::string contact_external_id;  // wa_id / PSID / IGSID / chat id / phone / email address
  std::string contact_name;         // may be empty
  int64_t timestamp_ms = 0;         // the provider's timestamp
  MessageKind kind = MessageKind::text;
  std::string text;                 // text, caption, button title, or a readable summary
  std::string content_json;         // structured content for the kind ("{}" when none)
  std::string reply_to;             // provider id of the message replied to, if any
  bool echo = false;                // Messenger/Instagram echo of our own page's message
  std::string account_id;           // our side of the thread: WhatsApp phone_number_id, page or
                                    // IG account id, Twilio `To`; empty when the provider omits it
  std::string edit_of;              // provider id of the message this one edits (Telegram edits)
  bool opens_window = true;         // starts the provider's service window (false: WeChat events,
                                    // which allow only 3 messages within a minute)
};

enum class DeliveryState { pending = 0, sent = 1, delivered = 2, read = 3, failed = 4 };
std::string_view to_string(DeliveryState s);

struct StatusUpdate {
  std::string provider_message_id;
  DeliveryState state = DeliveryState::sent;
  int64_t timestamp_ms = 0;
  std::string error_code;    // for failed
  std::string error_reason;  // for failed
  std::string contact_external_id;  // the recipient, when the provider names it
  std::string account_id;           // as InboundMessage::account_id
  // Messenger watermarks: provider_message_id is empty and the update applies to every message
  // sent to contact_external_id at or before timestamp_ms.
  bool watermark = false;
};

struct InboundBatch {
  std::vector<InboundMessage> messages;
  std::vector<StatusUpdate> statuses;
};

// A short-lived API credential obtained from the provider (WeChat's access_token).
struct AccessToken {
  std::string token;
  int64_t expires_in_s = 0;  // seconds from when it was issued
};

// What a channel can render; anything it lacks degrades to text plus a link.
struct ChannelCapabilities {
  size_t max_text = 4096;
  size_t max_buttons = 0;
  size_t max_list_rows = 0;
  bool url_buttons = false;
  bool product_messages = false;
  bool media = false;
  int64_t reply_window_ms = 0;  // 0: no window
  size_t max_quick_replies = 0;  // Messenger/Instagram quick replies (chips above the keyboard)
  bool card_templates = false;   // Messenger generic template (cards with image and buttons)
};

// An outbound reply in channel-neutral form. Each adapter renders it with what its channel can
// show (see capabilities()); what it cannot show degrades to text: numbered choices, then the link.
struct ReplyChoice {
  std::string id;           // returned in the interactive_reply's content when tapped
  std::string title;        // the label shown
  std::string description;  // optional second line (WhatsApp list rows)
};

struct LinkButton {
  std::string title;  // e.g. "Pay now"
  std::string url;    // absolute http(s) URL
};

// A product card (message kind "product"): what a channel that shows cards (Messenger generic
// template, Telegram photo, WhatsApp image header or catalog product message, web chat, email
// HTML) needs. OutboundMessage::text stays the complete plain-text form for the others.
struct ProductCard {
  std::string sku;        // the variant's SKU (= product_retailer_id in the shop's WhatsApp catalog)
  std::string title;      // "Trail Runner - EU 42"
  std::string subtitle;   // price and availability in the customer's language: "129,00 € · Disponibile"
  std::string description;  // may be empty
  std::string image_url;  // absolute http(s) URL or empty
  bool available = true;  // false: out of stock (no "add to cart" button is offered)
};

// A product in a product list with its own buttons (a single card's are the message's
// choices and link).
struct ProductListItem {
  ProductCard card;
  std::optional<LinkButton> link;   // "View product" -> the product page
  std::optional<ReplyChoice> buy;   // "Add to cart" -> id "buy:<SKU>"
};

// Several products in one message (message kind "product", content.products): the WhatsApp
// catalog's multi-product message, a Messenger/Instagram carousel, an email of cards; any other
// channel sends OutboundMessage::text, the numbered list with each product's page.
struct ProductList {
  std::string heading;  // short, in the customer's language ("Our picks for you")
  std::string intro;    // the agent's line; may be empty
  std::vector<ProductListItem> items;
};

// A file sent with a reply (message kind "attachment", content.attachments[i].media_id): an agent's
// upload (POST /api/v1/media), stored in media_files. Adapters that send bytes in the request
// (Telegram multipart, Messenger/Instagram multipart "filedata", email MIME) use `bytes`; providers
// that fetch a link (WhatsApp media "link", Twilio MediaUrl, Viber "media") use `public_url`, a
// signed URL on the shop's public base that expires (GET /media/{id}/{filename}?exp=&sig=). A
// channel without media sends the text plus "filename: public_url".
struct OutboundAttachment {
  std::string mime_type;   // "image/jpeg", "application/pdf" (never an active type: see media routes)
  std::string filename;    // "invoice.pdf"; never empty
  int64_t size = 0;        // bytes
  std::string sha256;      // hex, of the bytes
  std::shared_ptr<const std::string> bytes;  // the file; the send job loads it only for channels
                                             // that upload it (ChannelAdapter::needs_bytes), else null
  std::string public_url;  // absolute URL the provider can fetch until it expires
};

struct OutboundMessage {
  std::string text;                  // REQUIRES: non-empty unless there are attachments
  std::vector<ReplyChoice> choices;  // optional reply buttons / quick replies / list rows
  std::string choices_label;         // label of the button that opens a list ("Choose" if empty)
  std::optional<LinkButton> link;    // optional URL button (a payment link, a product page)
  std::string reply_to;              // provider id of the message answered, where supported
  bool human_agent = false;          // a person answers after the 24 h window (Meta HUMAN_AGENT tag)
  std::string status_callback_url;   // where the provider reports delivery (Twilio StatusCallback):
                                     // the channel's webhook URL, exactly as the provider signs it
  std::optional<ProductCard> card;   // a product card; choices/link become its buttons
  std::optional<ProductList> products;  // several products (then card is empty)
  std::vector<OutboundAttachment> attachments;  // files; text is then their caption (may be empty)
};

}  // namespace bottega
