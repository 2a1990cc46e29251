// The message a message.created event announces, as the dispatcher's listeners need it (the bot
// answers customers' messages, media downloads customers' attachments): parsed from the payload
// once per event, whichever listener asks first.
#pragma once

#include <optional>
#include <string>

#include "bottega/events.hpp"

namespace bottega::pipeline {

struct CreatedMessage {
  std::string id;           // "msg_..."
  std::string kind;         // text | media | interactive_reply | ...
  std::string direction;    // in | out
  std::string author_kind;  // contact | bot | agent | system
  bool no_auto_reply = false;  // content.no_auto_reply: auto-replies, bulk mail, mailing lists
};

// The message of a public (not internal) message.created event about a conversation; nothing for
// any other event or a payload without data.id. Listeners look at an event one after another on
// the dispatcher thread, so the last answer is kept (per thread) and the payload parsed once.
std::optional<CreatedMessage> created_message(const Event& e);

}  // namespace bottega::pipeline
