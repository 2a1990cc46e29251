#include "service/teams.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <set>

#include "service/canned.hpp"
#include "service/operations.hpp"
#include "service/service.hpp"
#include "store/repo/repo.hpp"
#include "core/json.hpp"

namespace bottega::service {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Stmt;
using store::Value;

namespace {

const Stmt kTeams{"teams.list", "SELECT id, name, created_at, updated_at FROM teams WHERE tenant_id = $1 ORDER BY name, id"};
const Stmt kTeam{"teams.get", "SELECT id, name, created_at, updated_at FROM teams WHERE tenant_id = $1 AND id = $2"};
const Stmt kTeamByName{"teams.by_name", "SELECT id FROM teams WHERE tenant_id = $1 AND name = $2"};
const Stmt kInsertTeam{"teams.insert",
    "INSERT INTO teams (tenant_id, id, name, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)"};
const Stmt kUpdateTeam{"teams.update", "UPDATE teams SET name = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2"};
const Stmt kDeleteTeam{"teams.delete", "DELETE FROM teams WHERE tenant_id = $1 AND id = $2"};
const Stmt kMembers{"teams.members",
    "SELECT agent_id FROM team_members WHERE tenant_id = $1 AND team_id = $2 ORDER BY agent_id"};
const Stmt kAllMembers{"teams.all_members",
    "SELECT team_id, agent_id FROM team_members WHERE tenant_id = $1 ORDER BY team_id, agent_id"};
const Stmt kClearMembers{"teams.clear_members", "DELETE FROM team_members WHERE tenant_id = $1 AND team_id = $2"};
const Stmt kAddMember{"teams.add_member",
    "INSERT INTO team_members (tenant_id, team_id, agent_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"};
const Stmt kConvTeam{"teams.conversation_team",
    "SELECT t.id, t.name FROM conversation_teams ct JOIN teams t ON t.tenant_id = ct.tenant_id AND t.id = ct.team_id "
    "WHERE ct.tenant_id = $1 AND ct.conversation_id = $2"};
const Stmt kSetConvTeam{"teams.set_conversation_team",
    "INSERT INTO conversation_teams (tenant_id, conversation_id, team_id, updated_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET team_id = excluded.team_id, updated_at = excluded.updated_at"};
const Stmt kClearConvTeam{"teams.clear_conversation_team",
    "DELETE FROM conversation_teams WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kDropTeamConvs{"teams.drop_team_conversations",
    "DELETE FROM conversation_teams WHERE tenant_id = $1 AND team_id = $2"};

Team team_from(const store::Row& r) { return Team{r.str(0), r.str(1), {}, r.i64(2), r.i64(3)}; }

Result<std::vector<std::string>> agent_ids(store::Tx* tx, const std::string& tenant, const bj::value& v) {
  if (!v.is_array()) return Error::invalid("agent_ids", "agent_ids is a list of agent ids", "invalid_type");
  if (v.as_array().size() > 500) return Error::invalid("agent_ids", "at most 500 members");
  std::set<std::string> out;
  size_t i = 0;
  for (const auto& a : v.as_array()) {
    std::string field = "agent_ids[" + std::to_string(i++) + "]";
    if (!a.is_string() || a.as_string().empty()) return Error::invalid(field, "an agent id", "invalid_type");
    std::string id(a.as_string());
    if (tx && !core_repo::get_agent(*tx, tenant, id)) return Error::invalid(field, "no such agent in this shop", "unknown_agent");
    out.insert(std::move(id));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::optional<Team>> apply(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                  std::optional<Team> base, const bj::object& body) {
  bool patch = base.has_value();
  if (auto st = validate_team(body, patch); !st) return st.error();
  Team t = base.value_or(Team{});
  if (auto* n = body.if_contains("name")) t.name = trimmed(std::string(n->as_string()));
  if (auto other = tx.query_one(kTeamByName, {tenant, t.name}); other && other->str(0) != t.id)
    return Error{Errc::conflict, "name_taken", "another team is called " + t.name, "name"};
  std::optional<std::vector<std::string>> members;
  if (auto* a = body.if_contains("agent_ids")) {
    auto ids = agent_ids(&tx, tenant, *a);
    if (!ids) return ids.error();
    members = std::move(ids).value();
  }
  int64_t now = env.clock.now_ms();
  if (!patch) {
    t.id = env.ids.next("team");
    t.created_at = now;
    tx.exec(kInsertTeam, {tenant, t.id, t.name, now});
  } else {
    tx.exec(kUpdateTeam, {tenant, t.id, t.name, now});
  }
  t.updated_at = now;
  if (members) {
    tx.exec(kClearMembers, {tenant, t.id});
    for (const auto& m : *members) tx.exec(kAddMember, {tenant, t.id, m});
  }
  return std::optional<Team>(get_team(tx, tenant, t.id));
}

}  // namespace

bj::object to_json(const Team& t) {
  bj::array members;
  for (const auto& a : t.agent_ids) members.emplace_back(a);
  return bj::object{{"id", t.id},
                    {"name", t.name},
                    {"agent_ids", std::move(members)},
                    {"created_at", rfc3339(t.created_at)},
                    {"updated_at", rfc3339(t.updated_at)}};
}

Status validate_team(const bj::object& body, bool patch) {
  BOTTEGA_TRY_STATUS(json::only_keys(body, {"name", "agent_ids"}));
  auto* n = body.if_contains("name");
  if (!n && !patch) return Error::invalid("name", "name is required", "missing_field");
  if (n) {
    if (!n->is_string()) return Error::invalid("name", "name is a string", "invalid_type");
    std::string name = trimmed(std::string(n->as_string()));
    if (name.empty() || name.size() > 80) return Error::invalid("name", "a team name is 1-80 bytes");
  }
  if (auto* a = body.if_contains("agent_ids")) {
    auto ids = agent_ids(nullptr, "", *a);
    if (!ids) return ids.error();
  }
  return {};
}

std::vector<Team> list_teams(store::Tx& tx, const std::string& tenant) {
  std::vector<Team> out;
  for (const auto& r : tx.query(kTeams, {tenant})) out.push_back(team_from(r));
  std::map<std::string, std::vector<std::string>> members;
  for (const auto& r : tx.query(kAllMembers, {tenant})) members[r.str(0)].push_back(r.str(1));
  for (auto& t : out) t.agent_ids = members[t.id];
  return out;
}

std::optional<Team> get_team(store::Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kTeam, {tenant, id});
  if (!r) return std::nullopt;
  Team t = team_from(*r);
  t.agent_ids = team_members(tx, tenant, id);
  return t;
}

std::vector<std::string> team_members(store::Tx& tx, const std::string& tenant, const std::string& team_id) {
  std::vector<std::string> out;
  for (const auto& r : tx.query(kMembers, {tenant, team_id})) out.push_back(r.str(0));
  return out;
}

Result<Team> create_team(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const bj::object& body) {
  auto t = apply(tx, env, tenant, std::nullopt, body);
  if (!t) return t.error();
  if (!*t) return Error::internal("team vanished");
  return std::move(**t);
}

Result<Team> update_team(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                         const bj::object& body) {
  auto base = get_team(tx, tenant, id);
  if (!base) return Error::not_found("team");
  auto t = apply(tx, env, tenant, std::move(base), body);
  if (!t) return t.error();
  if (!*t) return Error::internal("team vanished");
  return std::move(**t);
}

Status delete_team(store::Tx& tx, const std::string& tenant, const std::string& id) {
  if (tx.exec(kDeleteTeam, {tenant, id}) == 0) return Error::not_found("team");
  tx.exec(kClearMembers, {tenant, id});
  tx.exec(kDropTeamConvs, {tenant, id});
  return {};
}

std::optional<std::string> conversation_team(store::Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  if (auto r = tx.query_one(kConvTeam, {tenant, conversation_id})) return r->str(0);
  return std::nullopt;
}

bj::value team_json(store::Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  if (auto r = tx.query_one(kConvTeam, {tenant, conversation_id})) return bj::object{{"id", r->str(0)}, {"name", r->str(1)}};
  return nullptr;
}

Result<TransferInput> parse_transfer(const bj::object& body) {
  TransferInput in;
  BOTTEGA_TRY_STATUS(json::only_keys(body, {"team_id", "agent_id", "note"}));
  for (const char* k : {"team_id", "agent_id"})
    if (auto* v = body.if_contains(k)) {
      std::optional<std::string> val;
      if (v->is_string() && !v->as_string().empty()) val = std::string(v->as_string());
      else if (!v->is_null()) return Error::invalid(k, std::string(k) + " is an id or null", "invalid_type");
      (std::string_view(k) == "team_id" ? in.team_id : in.agent_id) = val;
    }
  if (!in.team_id && !in.agent_id) return Error::invalid("team_id", "a transfer names a team_id, an agent_id or both", "missing_field");
  if (auto* n = body.if_contains("note")) {
    if (!n->is_string()) return Error::invalid("note", "note is a string", "invalid_type");
    in.note = trimmed(std::string(n->as_string()));
    if (in.note.size() > 2000) return Error::invalid("note", "a note is at most 2000 bytes");
  }
  return in;
}

Result<TransferResult> transfer(store::Tx& tx, pipeline::Env& env, const Principal& who,
                                const std::string& conversation_id, const TransferInput& in) {
  const std::string& tenant = who.tenant_id;
  auto c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c) return Error::not_found("conversation");
  std::optional<std::string> from_team = conversation_team(tx, tenant, conversation_id);
  std::optional<std::string> from_agent = c->assignee_id;
  std::optional<std::string> to_team = in.team_id ? *in.team_id : from_team;
  std::optional<Team> team;
  if (to_team) {
    team = get_team(tx, tenant, *to_team);
    if (!team) return Error::invalid("team_id", "no such team in this shop", "unknown_team");
  }
  std::optional<std::string> to_agent = from_agent;
  bool picked = false;
  if (in.agent_id) {
    to_agent = *in.agent_id;
    if (to_agent && !core_repo::get_agent(tx, tenant, *to_agent))
      return Error::invalid("agent_id", "no such agent in this shop", "unknown_agent");
    if (to_agent && team && !std::binary_search(team->agent_ids.begin(), team->agent_ids.end(), *to_agent))
      return Error::invalid("agent_id", "the agent is not a member of team " + team->name, "not_in_team");
  } else if (in.team_id && team) {
    // To a team without naming an agent: one of its members who is online with capacity.
    auto s = load_settings(tx, tenant);
    to_agent = pick_agent(tx, tenant, s, s.assign_mode == AssignMode::off ? AssignMode::least_loaded : s.assign_mode,
                          team->agent_ids);
    picked = to_agent.has_value();
  } else if (in.team_id && !team) {
    // Out of every team: the agent stays.
  }
  int64_t now = env.clock.now_ms();
  if (to_team) tx.exec(kSetConvTeam, {tenant, conversation_id, *to_team, now});
  else tx.exec(kClearConvTeam, {tenant, conversation_id});

  TransferResult out;
  out.team_id = to_team;
  out.agent_id = to_agent;
  // The internal note: why, and where it went.
  std::string where;
  if (team) where = "team " + team->name;
  if (to_agent)
    if (auto a = core_repo::get_agent(tx, tenant, *to_agent)) where += (where.empty() ? "" : ", ") + a->agent.name;
  if (where.empty()) where = "the unassigned queue";
  pipeline::ReplyInput note;
  note.kind = "note";
  note.text = "Transferred to " + where + (in.note.empty() ? "" : ": " + in.note);
  auto val = [](const std::optional<std::string>& v) { return v ? bj::value(*v) : bj::value(nullptr); };
  bj::object detail{{"from_team_id", val(from_team)}, {"to_team_id", val(to_team)},
                    {"from_agent_id", val(from_agent)}, {"to_agent_id", val(to_agent)},
                    {"note", in.note.empty() ? bj::value(nullptr) : bj::value(in.note)}};
  note.content_json = bj::serialize(bj::object{{"transfer", detail}});
  if (in.write_note) {
    auto m = pipeline::agent_reply(tx, env, who, conversation_id, note);
    if (!m) return m.error();
    out.note_message_id = m->id;
  }

  pipeline::ConversationPatch p;
  p.assignee_id.emplace(to_agent);
  auto updated = pipeline::update_conversation(tx, env, who, conversation_id, p);
  if (!updated) return updated.error();
  if (picked) remember_assigned(tx, tenant, *to_agent, now);
  out.conversation = std::move(*updated);

  detail["conversation_id"] = conversation_id;
  detail["note_message_id"] = out.note_message_id ? bj::value(*out.note_message_id) : bj::value(nullptr);
  detail["by"] = who.agent_id.empty() ? bj::value("api") : bj::value("agent:" + who.agent_id);
  detail["at"] = rfc3339(now);
  pipeline::emit(tx, env, tenant, event_type::kConversationTransferred, conversation_id, c->contact_id, true, detail);
  return out;
}

}  // namespace bottega::service
