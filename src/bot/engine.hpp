// The bot's decision for one customer message: answer from the knowledge base, ask (a clarifying
// question, order details, whether an answer helped), or hand over to a person, honestly and with
// the expected wait. Pure: everything it needs is in DecideInput, so the same function runs in the
// message path, in unit tests and in the evaluation (`bottega kb eval`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bot/index.hpp"
#include "bot/intents.hpp"
#include "bot/wait.hpp"

namespace bottega::bot {

enum class Outcome { answered, asked, handed_over, helpful, not_helpful };
std::string_view to_string(Outcome o);

// What the bot remembers about one conversation (stored as JSON between turns).
struct BotState {
  bool handed_over = false;           // the bot stays quiet until the conversation is closed
  std::string awaiting;               // "" | "feedback" | "order_details" | "choice"
  std::vector<std::string> choices;   // entry ids offered ("choice")
  std::string last_entry_id;          // the last answer given
  int failed = 0;                     // answers in a row the customer said did not help
  std::string language;               // of the last message
  std::string intent;                 // the strongest intent seen so far (for the summary)
  std::vector<std::string> answered;  // entry ids answered, oldest first
  std::vector<std::string> products;  // product ids linked to what was discussed
  std::string order_reference;        // what the customer gave when asked for order details
};
boost::json::object to_json(const BotState& s);
BotState bot_state_from_json(std::string_view text);  // tolerant: bad input -> fresh state

struct DecideInput {
  std::string text;
  const KbIndex* index = nullptr;     // may be null or empty: nothing to answer from
  double threshold = 0.5;             // answer only at or above this confidence
  std::string default_language = "en";
  BotState state;
  WaitEstimate wait;
};

struct ReplyChoice {
  std::string id, title;
};

struct Decision {
  Outcome outcome = Outcome::handed_over;
  Intent intent = Intent::other;
  std::string language;
  std::string entry_id;          // the entry answered (or the best candidate), "" when none
  double confidence = 0;
  std::string reason;            // handover reason: human_request | anger | low_confidence |
                                 // two_failed_answers | needs_agent; "" otherwise
  std::string reply;             // what the bot says ("" for none)
  std::vector<ReplyChoice> choices;
  std::string summary;           // the internal note for the agent (handover only)
  BotState next;
};

Decision decide(const DecideInput& in);

// The entry's intent from its tags ("presale"/"product" -> presale, otherwise policy).
Intent entry_intent(const KbEntry& e);

}  // namespace bottega::bot
