// The channel seam: one adapter per messaging provider (src/channels/<name>/), all listed in
// src/channels/registry.cpp. Inbound: verify the raw request, then parse it into normalized
// messages and statuses. Nothing here does I/O; the pipeline stores what parse returns.
#pragma once

#include <cstdint>
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
};

enum class DeliveryState { pending = 0, sent = 1, delivered = 2, read = 3, failed = 4 };
std::string_view to_string(DeliveryState s);

struct StatusUpdate {
  std::string provider_message_id;
  DeliveryState state = DeliveryState::sent;
  int64_t timestamp_ms = 0;
  std::string error_code;    // for failed
  std::string error_reason;  // for failed
};

struct InboundBatch {
  std::vector<InboundMessage> messages;
  std::vector<StatusUpdate> statuses;
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
};

}  // namespace bottega
