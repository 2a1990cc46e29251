// Teams of agents, conversations assigned to a team and/or an agent, and transfers.
//
// A team has a name and members (agents of the shop). A conversation may belong to one team
// (conversation_teams); automatic assignment (operations.hpp, maybe_assign) then picks only among
// the team's online members with capacity. A transfer moves a conversation to another team and/or
// agent in one transaction: the assignment, an internal note (the reason, written by whoever
// transferred) and a conversation.transferred event (internal). A transfer to a team without an
// agent picks one of the team's online members with capacity (the shop's assignment mode, least
// loaded when assignment is off); nobody available: the conversation waits unassigned in the
// team's queue and is assigned when a member comes online or the customer writes again.
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

struct Team {
  std::string id, name;
  std::vector<std::string> agent_ids;  // sorted
  int64_t created_at = 0, updated_at = 0;
};
boost::json::object to_json(const Team& t);

std::vector<Team> list_teams(store::Tx& tx, const std::string& tenant);
std::optional<Team> get_team(store::Tx& tx, const std::string& tenant, const std::string& id);
// {"name": 1-80 bytes, unique in the shop (409 name_taken), "agent_ids": [agents of the shop]}.
// Errors name the field ("agent_ids[2]" for an unknown agent). A patch replaces the fields given.
Result<Team> create_team(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const boost::json::object& body);
Result<Team> update_team(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                         const boost::json::object& body);
// Deletes the team; its conversations keep their agent and lose the team.
Status delete_team(store::Tx& tx, const std::string& tenant, const std::string& id);
// Checks a create (patch = false) or patch body without the store.
Status validate_team(const boost::json::object& body, bool patch);

// The conversation's team id, if any.
std::optional<std::string> conversation_team(store::Tx& tx, const std::string& tenant, const std::string& conversation_id);
// {"id","name"} or null, for the conversation JSON.
boost::json::value team_json(store::Tx& tx, const std::string& tenant, const std::string& conversation_id);
// Members of the team (empty for an unknown team).
std::vector<std::string> team_members(store::Tx& tx, const std::string& tenant, const std::string& team_id);

struct TransferInput {
  std::optional<std::optional<std::string>> team_id;   // given: the new team (nullopt inside: none)
  std::optional<std::optional<std::string>> agent_id;  // given: the new agent (nullopt inside: unassigned)
  std::string note;                                    // the reason, as an internal note (may be empty)
  bool write_note = true;  // false: the caller writes its own note (a macro's run note)
};
// Parses {"team_id"?: id|null, "agent_id"?: id|null, "note"?: string <= 2000}; at least one of
// team_id and agent_id. Errors name the field.
Result<TransferInput> parse_transfer(const boost::json::object& body);
struct TransferResult {
  Conversation conversation;
  std::optional<std::string> team_id, agent_id, note_message_id;
};
// Errors: not found (conversation), 400 team_id unknown_team, agent_id unknown_agent /
// not_in_team (the agent is not a member of the team the conversation goes to).
Result<TransferResult> transfer(store::Tx& tx, pipeline::Env& env, const Principal& who,
                                const std::string& conversation_id, const TransferInput& in);

}  // namespace bottega::service
