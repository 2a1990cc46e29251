#include "channels/capabilities.hpp"

#include <cstdint>
#include <limits>

namespace bottega::channels {

namespace {

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();

struct Row {
  std::string_view type;
  ChannelCapabilities caps;
};

constexpr ChannelCapabilities make(size_t max_text, size_t max_buttons, size_t max_list_rows,
                                   bool url_buttons, bool product_messages, bool media,
                                   int64_t reply_window_ms, size_t max_quick_replies,
                                   bool card_templates) {
  ChannelCapabilities c;
  c.max_text = max_text;
  c.max_buttons = max_buttons;
  c.max_list_rows = max_list_rows;
  c.url_buttons = url_buttons;
  c.product_messages = product_messages;
  c.media = media;
  c.reply_window_ms = reply_window_ms;
  c.max_quick_replies = max_quick_replies;
  c.card_templates = card_templates;
  return c;
}

// Sources: providers.md (WhatsApp 1.3/1.4, Messenger 2.2/2.3, Telegram 3, Twilio 4.4; Viber: docs/channels.md#viber). Where it
// gives no number (Telegram's inline keyboard size, Instagram's text limit) the value is the
// provider's commonly documented one.
// clang-format off
//                     text  buttons list  url    product media  window  quick  cards
constexpr Row kTable[] = {
    // Our own widget renders everything; no provider window.
    {"webchat",   make(10000, 10, 50, true, true, true, 0, 10, true)},
    // 3 reply buttons, list of 10 rows, CTA URL button, product messages; 24 h service window.
    {"whatsapp",  make(4096, 3, 10, true, true, true, kDay, 0, false)},
    // 2000 chars; button template with 3 buttons (postback or web_url); 13 quick replies; generic
    // template; 24 h (HUMAN_AGENT tag: 7 days for a person's reply).
    {"messenger", make(2000, 3, 0, true, false, true, kDay, 13, true)},
    // 1000 chars, 13 quick replies, generic template (product cards), 24 h.
    {"instagram", make(1000, 0, 0, false, false, true, kDay, 13, true)},
    // 4096 chars; inline keyboard (callback and url buttons), at most 100 buttons.
    {"telegram",  make(4096, 100, 0, true, false, true, 0, 0, false)},
    // SMS: 1600 chars, no buttons; media only as MMS/WhatsApp media URLs.
    {"twilio",    make(1600, 0, 0, false, false, true, 0, 0, false)},
    // Viber: 7000 chars; keyboard of reply / open-url buttons (24 kept as our limit); rich media
    // (a product card with image and up to 2 buttons); no service window for a subscriber.
    {"viber",     make(7000, 24, 0, true, false, true, 0, 0, true)},
    // WeChat: 2048 bytes of text (build_send also counts bytes); msgmenu with up to 10 options;
    // links as <a href> in the text; a product card as a one-article "news" message; 48 h window.
    {"wechat",    make(2048, 10, 0, true, false, true, 2 * kDay, 0, true)},
    // Email: no length limit; links render as HTML anchors; attachments.
    {"email",     make(kUnlimited, 0, 0, true, false, true, 0, 0, false)},
};
// clang-format on

constexpr ChannelCapabilities kUnknown = make(1600, 0, 0, false, false, false, 0, 0, false);

}  // namespace

const ChannelCapabilities& capabilities(std::string_view type) {
  for (const auto& row : kTable)
    if (row.type == type) return row.caps;
  return kUnknown;
}

bool known_type(std::string_view type) {
  for (const auto& row : kTable)
    if (row.type == type) return true;
  return false;
}

}  // namespace bottega::channels
