// Opting out of proactive messages (abandoned-cart reminders, order updates; src/service/proactive.hpp).
//
// A customer opts out by writing only a stop word ("STOP", "unsubscribe", "annulla", "disiscrivimi",
// "abmelden", "afmelden", ...) and back in with "START" (or "iscrivimi", "anmelden", "aanmelden").
// The word is recognized in the message path (ingest_contact_message): the opt-out is recorded in
// the same transaction as the message, the message is marked (content "opt_out": "stop"|"start",
// "no_auto_reply": true, so the bot does not answer it) and the customer gets a short confirmation
// in the word's language. Agents and API clients set it with PUT /api/v1/contacts/{id}/opt_out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bottega/store.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::pipeline {

struct OptKeyword {
  bool opt_out = true;   // false: opting back in
  std::string lang;      // "en", "it", "de", "nl"; "" when the word is the same in every language
  std::string word;      // the normalized word
};
// The keyword a whole message is (case, surrounding blanks and final punctuation ignored), or nullopt.
std::optional<OptKeyword> opt_keyword(std::string_view text);

struct OptOut {
  bool opted_out = false;
  std::string source;     // "customer" | "agent" | "api"
  std::optional<std::string> keyword;
  int64_t updated_at = 0;
};
// The contact's state; nullopt when it never changed (not opted out).
std::optional<OptOut> get_opt_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id);
bool opted_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id);
void set_opt_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id, bool opted_out,
                 const std::string& source, const std::optional<std::string>& keyword, int64_t now);

// The confirmation the customer gets (en, it, de, nl; English otherwise).
const char* opt_confirmation(bool opt_out, const std::string& lang);

// A message from the shop (author "system") into a conversation: stored, queued for the provider
// (web chat: delivered through the visitor's stream) and announced with message.created.
Message post_system_message(Tx& tx, Env& env, const Conversation& c, const std::string& kind, const std::string& text,
                            const std::string& content_json);

}  // namespace bottega::pipeline
