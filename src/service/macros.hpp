// Macros: several agent actions on a conversation in one step. A shop's admins define them; any
// agent runs one on a conversation and it does, in ONE write transaction:
//   1. reply: a text (or an internal note) with the canned responses' variables (canned.hpp),
//      rendered by the same renderer;
//   2. payment_link: amount + currency (+ description), or the conversation's open cart, through
//      the payments area's create_link (the link message goes into the conversation);
//   3. tags (add / remove), priority, status (open, snoozed, resolved): one conversation update;
//   4. assign: to an agent and/or a team, through the transfer (teams.hpp) without its own note;
//   5. an internal note saying who ran which macro and what it did, and an audit row
//      (macro_runs).
// A failure at any step returns the error and the transaction changes nothing. Provider sends
// (the reply, the link) are durable jobs queued in the same transaction, as for single actions;
// each step emits the events of its single action (message.created, payment.created,
// conversation.updated, conversation.transferred).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/store.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::service {

struct MacroActions {
  std::optional<std::string> reply;  // a template (canned.hpp variables)
  bool reply_note = false;           // the reply is an internal note
  std::vector<std::string> add_tags, remove_tags;
  std::optional<int64_t> priority;
  std::optional<ConversationStatus> status;  // open | snoozed | resolved
  // assign: given -> the new team / agent (nullopt inside: none), as a transfer.
  bool assign = false;
  std::optional<std::optional<std::string>> assign_team_id, assign_agent_id;
  // payment_link: given -> amount+currency, or the conversation's open cart.
  bool payment_link = false;
  bool link_cart = false;
  std::optional<int64_t> link_amount;
  std::optional<std::string> link_currency;
  std::string link_description;
};
boost::json::object to_json(const MacroActions& a);

struct Macro {
  std::string id, name, description;
  MacroActions actions;
  int64_t created_at = 0, updated_at = 0;
};
boost::json::object to_json(const Macro& m);

// Parses {"reply"?:{"text","note"?},"add_tags"?,"remove_tags"?,"priority"?,"status"?,
// "assign"?:{"team_id"?,"agent_id"?},"payment_link"?:{"amount","currency","description"?}|
// {"cart":true,"description"?}}; at least one action. Errors name the field under `path`
// ("actions.reply.text" unknown_variable, "actions.add_tags[1]" invalid_tag, ...).
Result<MacroActions> parse_actions(const boost::json::value& v, const std::string& path = "actions");
// A tag as macros write it: 1-64 bytes of lowercase a-z, digits, '-', '_' or non-ASCII letters
// (UTF-8), as the console writes tags.
bool valid_tag(const std::string& tag);
// Checks a create (patch = false) or patch body {"name","description"?,"actions"} without the store.
Status validate_macro(const boost::json::object& body, bool patch);

std::vector<Macro> list_macros(store::Tx& tx, const std::string& tenant);
std::optional<Macro> get_macro(store::Tx& tx, const std::string& tenant, const std::string& id);
// Also checks the agent and team an assign names exist in the shop (400 actions.assign.agent_id
// unknown_agent, actions.assign.team_id unknown_team, actions.assign.agent_id not_in_team);
// 409 name_taken.
Result<Macro> create_macro(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const boost::json::object& body);
Result<Macro> update_macro(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                           const boost::json::object& body);
Status delete_macro(store::Tx& tx, const std::string& tenant, const std::string& id);

// What running the macro on the conversation would do now, without changing anything:
// {"macro_id","macro_name","conversation_id","steps":[...]} with the rendered reply, the tags
// added and removed, the assignment's names, the link's amount. The same errors as a run.
Result<boost::json::object> preview_macro(store::Tx& tx, const Principal& who, const std::string& conversation_id,
                                          const std::string& macro_id, int64_t now);
// Runs the macro (see above). Returns {"run_id","macro_id","macro_name","conversation_id","ran_by",
// "ran_at","steps":[...],"note_message_id","conversation"}. Errors: not found (conversation,
// macro), 409 window_closed (a public reply or link outside the channel's messaging window),
// 409 no_open_cart, the payment link's own errors (no_payment_provider, cart_has_open_link, ...),
// 409 macro_out_of_date when the agent or team it names is gone or no longer fits.
Result<boost::json::object> run_macro(store::Tx& tx, pipeline::Env& env, const Principal& who,
                                      const std::string& conversation_id, const std::string& macro_id,
                                      const std::string& public_url);

// The audit: runs newest first, optionally of one conversation or one macro.
boost::json::array list_macro_runs(store::Tx& tx, const std::string& tenant, const std::optional<std::string>& conversation_id,
                                   const std::optional<std::string>& macro_id, int64_t limit);

}  // namespace bottega::service
