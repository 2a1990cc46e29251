// Inbox operations that act on conversations: automatic assignment, agents' availability, the
// after-hours auto-reply, canned responses and satisfaction surveys (CSAT). Each runs inside the
// caller's write transaction and emits the events of what it changed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/store.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"
#include "service/assignment.hpp"
#include "service/sla.hpp"

namespace bottega::service {

// ---- availability and assignment -----------------------------------------------------------
struct Availability {
  std::string agent_id, name, status = "away";  // online | away
  std::optional<int64_t> capacity;              // own capacity; nullopt: the tenant's default
  int64_t effective_capacity = 0, load = 0;
  std::optional<int64_t> updated_at;
};
// Every agent of the tenant with status, capacity and load (open or pending conversations assigned).
std::vector<Availability> list_availability(store::Tx& tx, const std::string& tenant, const ServiceSettings& s);
// Sets an agent's status (and capacity: nullopt keeps it, a value <= 0 resets it to the default).
// Going online assigns waiting conversations when assignment is on. Not found for another tenant's agent.
Result<Availability> set_availability(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                      const std::string& agent_id, const std::string& status,
                                      std::optional<int64_t> capacity, bool reset_capacity);
// The agent automatic assignment would choose now in `mode`: online, under capacity, and among
// `only` when given (a team's members). nullopt when nobody is available.
std::optional<std::string> pick_agent(store::Tx& tx, const std::string& tenant, const ServiceSettings& s, AssignMode mode,
                                      const std::optional<std::vector<std::string>>& only = std::nullopt);
// Records the agent chosen last (the round-robin cursor).
void remember_assigned(store::Tx& tx, const std::string& tenant, const std::string& agent_id, int64_t now);
// Assigns the conversation when it needs a person (open, unassigned, the customer waiting, and the
// bot either handed it over or is not answering there) and someone is available (a member of the
// conversation's team, when it has one: teams.hpp). Returns the agent.
std::optional<std::string> maybe_assign(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                        const std::string& tenant, const std::string& conversation_id);

}  // namespace bottega::service

namespace bottega::service {

// ---- canned responses ----------------------------------------------------------------------
struct Canned {
  std::string id, shortcut, title, body;
  int64_t created_at = 0, updated_at = 0;
};
boost::json::object to_json(const Canned& c);
std::vector<Canned> list_canned(store::Tx& tx, const std::string& tenant);
// From a create body {"shortcut","title","body"} or a patch (fields given replace). 409
// shortcut_taken when another response has the shortcut.
Result<Canned> create_canned(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const boost::json::object& body);
Result<Canned> update_canned(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                             const boost::json::object& body);
Status delete_canned(store::Tx& tx, const std::string& tenant, const std::string& id);
// Checks a create (patch = false) or patch body without the store.
Status validate_canned(const boost::json::object& body, bool patch);
// The values of the template variables (canned.hpp) for a conversation, written by `who`: the
// conversation's contact, its latest order (else the contact's), the agent, the shop. Canned
// responses and macro replies render with these.
std::map<std::string, std::string> conversation_variables(store::Tx& tx, const Principal& who, const Conversation& c);
// The response rendered for a conversation, by the agent `who` (variables: canned.hpp).
Result<std::string> render_canned(store::Tx& tx, const Principal& who, const std::string& canned_id,
                                  const std::string& conversation_id);

}  // namespace bottega::service

namespace bottega::service {

// ---- after hours ---------------------------------------------------------------------------
// The default auto-reply in a language ("en", "it", "de", "nl"; others: English) with "{opens_at}".
const char* after_hours_default(const std::string& lang);
// "Monday 09:00 (Europe/Rome)" in the language, for the next opening at `at_ms`.
std::string format_opening(const BusinessHours& h, int64_t at_ms, const std::string& lang);
// Outside business hours, answers a customer's new message once per closed period with an honest
// auto-reply saying when a person will answer, when the tenant has it on and the bot is not
// answering there (the bot's own handover message says the same). Returns the message id sent.
std::optional<std::string> maybe_after_hours(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                             const std::string& tenant, const std::string& conversation_id);

}  // namespace bottega::service

namespace bottega::service {

// ---- satisfaction surveys (CSAT) ------------------------------------------------------------
// When a resolved conversation that a customer wrote in has no survey yet (and the tenant has
// CSAT on): sends the question with choices 1..5 (channels without buttons get the numbered text
// fallback) in the customer's language. Returns the message id.
std::optional<std::string> maybe_send_survey(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                             const std::string& tenant, const std::string& conversation_id);
// Records the customer's latest answer to the conversation's survey (pipeline::survey_score) and
// emits csat.received when it is new or changed. Returns the score recorded.
std::optional<int> maybe_record_survey(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                       const std::string& conversation_id);
// {"score","sent_at","answered_at"} or null, for the conversation JSON.
boost::json::value survey_json(store::Tx& tx, const std::string& tenant, const std::string& conversation_id);

}  // namespace bottega::service
