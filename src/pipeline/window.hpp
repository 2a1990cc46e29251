// Messaging windows in the store: when the customer last wrote in a conversation (kept per
// conversation from the provider's timestamps), and the window state of a conversation with the
// channel's approved templates. The rule itself is channels/window.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bottega/store.hpp"
#include "channels/window.hpp"
#include "core/model.hpp"

namespace bottega::pipeline::window {

using store::Tx;

// Records a customer message at `at_ms` (the later of this and any earlier one is kept).
void note_inbound(Tx& tx, const std::string& tenant, const std::string& conversation_id, int64_t at_ms);
// The customer's last message time: the recorded one, else the newest inbound message's
// created_at (conversations from before windows were recorded), else nullopt.
std::optional<int64_t> last_inbound(Tx& tx, const std::string& tenant, const std::string& conversation_id);

// Replies of the conversation that reached the provider (sent, delivered or read; not notes nor
// templates, which are not replies; a message sent in several parts counts each accepted part),
// other than `except_message_id`, stored after the customer's last message (by store order; a
// WeChat event, provider id "evt:...", is not a customer message).
int64_t replies_since_customer_message(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                                       const std::string& except_message_id);

struct ConversationWindow {
  channels::WindowState state;
  std::vector<channels::MessageTemplate> templates;  // the channel's (WhatsApp), may be empty
};
// The window of `conv` at now_ms. Channel settings that do not parse yield no templates.
ConversationWindow for_conversation(Tx& tx, const Conversation& conv, int64_t now_ms);

}  // namespace bottega::pipeline::window
