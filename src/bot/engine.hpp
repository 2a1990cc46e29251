// The bot's decision for one customer message: answer from the knowledge base, ask (a clarifying
// question, order details, whether an answer helped), or hand over to a person, honestly and with
// the expected wait. Pure: everything it needs is in DecideInput, so the same function runs in the
// message path, in unit tests and in the evaluation (`bottega kb eval`).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bot/index.hpp"
#include "bot/intents.hpp"
#include "bot/shop.hpp"
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
  // The shop flows (awaiting "otp", "refund_order", "refund_choice", "discount_code", "offer_person").
  std::string goal;                   // after verification: "status" | "refund"
  std::vector<std::string> verified;  // order ids this conversation proved it owns (one-time code)
  std::string otp_order, otp_nonce;   // the order being verified ("" when the details matched none)
  std::string otp_hash;               // HMAC-SHA256(nonce, code) hex, written by the code's email job
  int64_t otp_expires_at = 0;
  int otp_attempts = 0;
  int details_tries = 0;              // times the order details were incomplete
  int code_requests = 0;              // order details taken for a code (at most kMaxCodeRequests)
  std::string refund_order;           // the order a refund/replacement request is about
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
  // The shop (catalog, codes, orders, cart); null: knowledge base only.
  ShopPort* shop = nullptr;
  int64_t now_ms = 0;
  std::string nonce;                               // fresh random, for a one-time code to be sent
  bool buttons = true;                             // the channel shows tappable choices
  std::map<std::string, int64_t> cart_handoff_over;   // currency -> cart total from which a person takes over
  std::map<std::string, int64_t> auto_refund_up_to;   // currency -> largest refund the bot starts itself
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
                                 // two_failed_answers | needs_agent | cart_value |
                                 // verification_failed | refund_request | replacement_request; "" otherwise
  std::string reply;             // what the bot says ("" for none)
  std::vector<ReplyChoice> choices;
  std::string summary;           // the internal note for the agent (handover only)
  BotState next;
  std::vector<ShopAction> actions;  // for the caller to carry out in the turn's transaction
  std::string extra_note;           // a line for the agent's summary (what the bot did or could not do)
};

Decision decide(const DecideInput& in);

// The decision turned into a handover (an action the bot wanted could not be carried out, e.g. an
// automatic refund the payments area refused): `why` goes into the agent's summary.
Decision hand_over_instead(const DecideInput& in, Decision d, const std::string& reason, const std::string& lead,
                           const std::string& why);

// The entry's intent from its tags ("presale"/"product" -> presale, otherwise policy).
Intent entry_intent(const KbEntry& e);

}  // namespace bottega::bot
