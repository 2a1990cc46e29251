// What the event listeners (the bot, customer media downloads, the service area) share: reading a
// message.created event, and committing what a batch queues before the dispatcher moves on.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bottega/events.hpp"
#include "bottega/store.hpp"

namespace bottega::pipeline {

// The message a message.created event announces, as the listeners read it. Fields absent from the
// payload are empty.
struct CreatedMessage {
  std::string tenant_id, conversation_id, message_id;
  std::string kind;         // "text", "media", ...
  std::string direction;    // "in" | "out"
  std::string author_kind;  // "contact", "agent", "bot", "system"
  bool no_auto_reply = false;  // content.no_auto_reply: auto-replies, bulk mail, stop words
};
// nullopt for another event type, an internal event (a note), an event without a conversation,
// and a payload that does not parse or names no message id.
std::optional<CreatedMessage> created_message(const Event& e);

// Runs `fn` in one write transaction, up to `attempts` times until it commits: the dispatcher
// advances its durable cursor once a listener's on_batch_end returns, so what the batch queues must
// be committed first. Each failure goes to stderr as "<who>: <what> failed (attempt N): <error>".
// `fn` follows the Store::write contract (it may run twice). True when it committed.
bool write_retrying(store::Store& store, std::string_view who, std::string_view what,
                    const std::function<Status(store::Tx&)>& fn, int attempts = 5);

}  // namespace bottega::pipeline
