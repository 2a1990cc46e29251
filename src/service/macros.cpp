#include "service/macros.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/window.hpp"
#include "core/json.hpp"
#include "commerce/carts.hpp"
#include "payments/model.hpp"
#include "payments/service.hpp"
#include "pipeline/window.hpp"
#include "service/canned.hpp"
#include "service/operations.hpp"
#include "service/teams.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Stmt;
using store::Value;

namespace {

const Stmt kList{"macros.list",
    "SELECT id, name, description, actions, created_at, updated_at FROM macros WHERE tenant_id = $1 ORDER BY name, id LIMIT 1000"};
const Stmt kGet{"macros.get",
    "SELECT id, name, description, actions, created_at, updated_at FROM macros WHERE tenant_id = $1 AND id = $2"};
const Stmt kByName{"macros.by_name", "SELECT id FROM macros WHERE tenant_id = $1 AND name = $2"};
const Stmt kInsert{"macros.insert",
    "INSERT INTO macros (tenant_id, id, name, description, actions, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6)"};
const Stmt kUpdate{"macros.update",
    "UPDATE macros SET name = $3, description = $4, actions = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2"};
const Stmt kDelete{"macros.delete", "DELETE FROM macros WHERE tenant_id = $1 AND id = $2"};
const Stmt kInsertRun{"macros.insert_run",
    "INSERT INTO macro_runs (tenant_id, id, macro_id, macro_name, conversation_id, actor, steps, note_message_id, created_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"};
#define RUN_COLUMNS "SELECT id, macro_id, macro_name, conversation_id, actor, steps, note_message_id, created_at FROM macro_runs "
const Stmt kRuns{"macros.runs", RUN_COLUMNS "WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"};
const Stmt kRunsOfConversation{"macros.runs_of_conversation",
    RUN_COLUMNS "WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"};
const Stmt kRunsOfMacro{"macros.runs_of_macro",
    RUN_COLUMNS "WHERE tenant_id = $1 AND macro_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"};
#undef RUN_COLUMNS

constexpr size_t kMaxTags = 20;

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }


Result<std::vector<std::string>> parse_tags(const bj::value& v, const std::string& path) {
  if (!v.is_array()) return Error::invalid(path, "a list of tags", "invalid_type");
  if (v.as_array().size() > kMaxTags) return Error::invalid(path, "at most 20 tags");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const auto& t = v.as_array()[i];
    std::string field = path + "[" + std::to_string(i) + "]";
    if (!t.is_string()) return Error::invalid(field, "a tag is a string", "invalid_type");
    std::string tag(t.as_string());
    if (!valid_tag(tag))
      return Error::invalid(field, "a tag is 1-64 characters: lowercase letters, digits, - and _", "invalid_tag");
    if (!has(out, tag)) out.push_back(std::move(tag));
  }
  return out;
}

Result<std::optional<std::string>> id_or_null(const bj::value& v, const std::string& field) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string() && !v.as_string().empty() && v.as_string().size() <= 100)
    return std::optional<std::string>(std::string(v.as_string()));
  return Error::invalid(field, "an id or null", "invalid_type");
}

Macro macro_from(const store::Row& r) {
  Macro m{r.str(0), r.str(1), r.str(2), {}, r.i64(4), r.i64(5)};
  // Stored actions were checked when saved; a row that no longer parses runs nothing.
  boost::system::error_code ec;
  auto v = bj::parse(r.str(3), ec);
  if (!ec)
    if (auto a = parse_actions(v); a) m.actions = std::move(*a);
  return m;
}

// The agent and team an assign names exist in the shop, and the agent is in the team.
Status check_assign(store::Tx& tx, const std::string& tenant, const MacroActions& a) {
  if (!a.assign) return {};
  std::optional<Team> team;
  if (a.assign_team_id && *a.assign_team_id) {
    team = get_team(tx, tenant, **a.assign_team_id);
    if (!team) return Error::invalid("actions.assign.team_id", "no such team in this shop", "unknown_team");
  }
  if (a.assign_agent_id && *a.assign_agent_id) {
    if (!core_repo::get_agent(tx, tenant, **a.assign_agent_id))
      return Error::invalid("actions.assign.agent_id", "no such agent in this shop", "unknown_agent");
    if (team && !std::binary_search(team->agent_ids.begin(), team->agent_ids.end(), **a.assign_agent_id))
      return Error::invalid("actions.assign.agent_id", "the agent is not a member of team " + team->name, "not_in_team");
  }
  return {};
}

Result<Macro> apply(store::Tx& tx, pipeline::Env& env, const std::string& tenant, std::optional<Macro> base,
                    const bj::object& body) {
  bool patch = base.has_value();
  BOTTEGA_TRY_STATUS(validate_macro(body, patch));
  Macro m = base.value_or(Macro{});
  if (auto* n = body.if_contains("name")) m.name = trimmed(std::string(n->as_string()));
  if (auto* d = body.if_contains("description")) m.description = d->is_null() ? "" : trimmed(std::string(d->as_string()));
  if (auto* a = body.if_contains("actions")) {
    BOTTEGA_TRY(actions, parse_actions(*a));
    m.actions = std::move(actions);
  }
  BOTTEGA_TRY_STATUS(check_assign(tx, tenant, m.actions));
  if (auto other = tx.query_one(kByName, {tenant, m.name}); other && other->str(0) != m.id)
    return Error{Errc::conflict, "name_taken", "another macro is called " + m.name, "name"};
  int64_t now = env.clock.now_ms();
  std::string actions = bj::serialize(to_json(m.actions));
  if (!patch) {
    m.id = env.ids.next("mac");
    m.created_at = now;
    tx.exec(kInsert, {tenant, m.id, m.name, m.description, actions, now});
  } else {
    tx.exec(kUpdate, {tenant, m.id, m.name, m.description, actions, now});
  }
  m.updated_at = now;
  return m;
}

// The conversation's open cart with items: its own newest, else the customer's newest.
std::optional<commerce::Cart> open_cart_of(store::Tx& tx, const Conversation& c) {
  std::optional<commerce::Cart> any;
  for (auto& cart : commerce::open_carts(tx, c.tenant_id, c.contact_id)) {
    if (cart.items.empty()) continue;
    if (cart.conversation_id && *cart.conversation_id == c.id) return std::move(cart);
    if (!any) any = std::move(cart);
  }
  return any;
}

// What a run will do, worked out from the store without changing it.
struct Plan {
  Conversation conv;
  Macro macro;
  std::optional<std::string> reply_text;
  bool human_agent = false;
  std::vector<std::string> tags_after, added, removed;
  std::optional<Team> team;                 // the team it goes to (assign with a team)
  std::optional<std::string> agent_name;    // the agent it goes to (assign with an agent)
  std::optional<commerce::Cart> cart;       // payment_link from the open cart
  int64_t amount = 0;
  std::string currency;
};

Error out_of_date(const std::string& field, const std::string& message) {
  return Error{Errc::conflict, "macro_out_of_date", message + "; edit the macro", field};
}

Result<Plan> make_plan(store::Tx& tx, const Principal& who, const std::string& conversation_id,
                       const std::string& macro_id, int64_t now) {
  const std::string& tenant = who.tenant_id;
  auto c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c) return Error::not_found("conversation");
  auto m = get_macro(tx, tenant, macro_id);
  if (!m) return Error::not_found("macro");
  Plan p;
  p.conv = std::move(*c);
  p.macro = std::move(*m);
  const MacroActions& a = p.macro.actions;
  if (a.reply) {
    p.reply_text = trimmed(render_template(*a.reply, conversation_variables(tx, who, p.conv)));
    if (p.reply_text->empty())
      return Error{Errc::conflict, "empty_reply", "the reply is empty once its variables are filled in", "actions.reply.text"};
  }
  // A public reply or a payment link must be allowed by the channel's messaging window now.
  if ((a.reply && !a.reply_note) || a.payment_link) {
    auto w = pipeline::window::for_conversation(tx, p.conv, now);
    auto verdict = channels::check_send(w.state, false, !who.agent_id.empty());
    if (!verdict.allowed) return Error{Errc::conflict, "window_closed", verdict.message, "actions"};
    p.human_agent = verdict.human_agent_tag;
  }
  p.tags_after = p.conv.tags;
  for (const auto& t : a.remove_tags)
    if (has(p.tags_after, t)) {
      p.tags_after.erase(std::find(p.tags_after.begin(), p.tags_after.end(), t));
      p.removed.push_back(t);
    }
  for (const auto& t : a.add_tags)
    if (!has(p.tags_after, t)) {
      p.tags_after.push_back(t);
      p.added.push_back(t);
    }
  if (p.tags_after.size() > 50) return Error{Errc::conflict, "too_many_tags", "a conversation has at most 50 tags", "actions.add_tags"};
  if (a.assign) {
    if (a.assign_team_id && *a.assign_team_id) {
      p.team = get_team(tx, tenant, **a.assign_team_id);
      if (!p.team) return out_of_date("actions.assign.team_id", "the macro's team no longer exists");
    }
    if (a.assign_agent_id && *a.assign_agent_id) {
      auto agent = core_repo::get_agent(tx, tenant, **a.assign_agent_id);
      if (!agent) return out_of_date("actions.assign.agent_id", "the macro's agent no longer exists");
      p.agent_name = agent->agent.name;
      // The agent must be in the team the conversation ends up in: the macro's, else its own.
      std::optional<Team> in_team = p.team;
      if (!a.assign_team_id)
        if (auto own = conversation_team(tx, tenant, p.conv.id)) in_team = get_team(tx, tenant, *own);
      if (in_team && !std::binary_search(in_team->agent_ids.begin(), in_team->agent_ids.end(), **a.assign_agent_id))
        return Error{Errc::conflict, "not_in_team",
                     agent->agent.name + " is not a member of team " + in_team->name + ", where the conversation is",
                     "actions.assign.agent_id"};
    }
  }
  if (a.payment_link) {
    if (a.link_cart) {
      p.cart = open_cart_of(tx, p.conv);
      if (!p.cart)
        return Error{Errc::conflict, "no_open_cart", "the customer has no open cart with items", "actions.payment_link.cart"};
      auto totals = commerce::price_cart(tx, tenant, p.cart->id, now);
      if (!totals) return std::move(totals).error();
      p.amount = totals->total;
      p.currency = totals->currency;
    } else {
      p.amount = a.link_amount.value_or(0);
      p.currency = a.link_currency.value_or("");
    }
  }
  return p;
}

std::string assign_words(const Plan& p, const std::optional<std::string>& agent_name) {
  std::string where;
  if (p.team) where = "team " + p.team->name;
  if (agent_name) where += (where.empty() ? "" : ", ") + *agent_name;
  return where.empty() ? "unassigned" : "assigned to " + where;
}

bj::value opt(const std::optional<std::string>& v) { return v ? bj::value(*v) : bj::value(nullptr); }

bj::array strings(const std::vector<std::string>& v) {
  bj::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

}  // namespace

bool valid_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > 64) return false;
  for (unsigned char ch : tag)
    if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) return false;
  return true;
}

bj::object to_json(const MacroActions& a) {
  bj::object o;
  if (a.reply) o["reply"] = bj::object{{"text", *a.reply}, {"note", a.reply_note}};
  if (!a.add_tags.empty()) o["add_tags"] = strings(a.add_tags);
  if (!a.remove_tags.empty()) o["remove_tags"] = strings(a.remove_tags);
  if (a.priority) o["priority"] = *a.priority;
  if (a.status) o["status"] = to_string(*a.status);
  if (a.assign) {
    bj::object as;
    if (a.assign_team_id) as["team_id"] = opt(*a.assign_team_id);
    if (a.assign_agent_id) as["agent_id"] = opt(*a.assign_agent_id);
    o["assign"] = std::move(as);
  }
  if (a.payment_link) {
    bj::object l;
    if (a.link_cart) l["cart"] = true;
    if (a.link_amount) l["amount"] = *a.link_amount;
    if (a.link_currency) l["currency"] = *a.link_currency;
    if (!a.link_description.empty()) l["description"] = a.link_description;
    o["payment_link"] = std::move(l);
  }
  return o;
}

bj::object to_json(const Macro& m) {
  return bj::object{{"id", m.id},
                    {"name", m.name},
                    {"description", m.description},
                    {"actions", to_json(m.actions)},
                    {"created_at", rfc3339(m.created_at)},
                    {"updated_at", rfc3339(m.updated_at)}};
}

Result<MacroActions> parse_actions(const bj::value& v, const std::string& path) {
  if (!v.is_object()) return Error::invalid(path, "actions is an object", "invalid_type");
  const auto& o = v.as_object();
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"reply", "add_tags", "remove_tags", "priority", "status", "assign", "payment_link"}, path));
  MacroActions a;
  if (auto* r = o.if_contains("reply"); r && !r->is_null()) {
    std::string rp = path + ".reply";
    if (!r->is_object()) return Error::invalid(rp, "reply is {\"text\", \"note\"?}", "invalid_type");
    BOTTEGA_TRY_STATUS(json::only_keys(r->as_object(), {"text", "note"}, rp));
    BOTTEGA_TRY(text, json::required_string(r->as_object(), "text", rp + ".text", 4000));
    if (trimmed(text).empty()) return Error::invalid(rp + ".text", "the reply's text is empty");
    BOTTEGA_TRY_STATUS(validate_template(text, rp + ".text"));
    BOTTEGA_TRY(note, json::optional_bool(r->as_object(), "note", rp + ".note"));
    a.reply = std::move(text);
    a.reply_note = note.value_or(false);
  }
  if (auto* t = o.if_contains("add_tags"); t && !t->is_null()) {
    BOTTEGA_TRY(tags, parse_tags(*t, path + ".add_tags"));
    a.add_tags = std::move(tags);
  }
  if (auto* t = o.if_contains("remove_tags"); t && !t->is_null()) {
    BOTTEGA_TRY(tags, parse_tags(*t, path + ".remove_tags"));
    a.remove_tags = std::move(tags);
  }
  for (size_t i = 0; i < a.remove_tags.size(); ++i)
    if (has(a.add_tags, a.remove_tags[i]))
      return Error::invalid(path + ".remove_tags[" + std::to_string(i) + "]", "a tag the macro also adds", "invalid_tag");
  BOTTEGA_TRY(priority, json::optional_int(o, "priority", path + ".priority"));
  if (priority) {
    if (*priority < 0 || *priority > 1000) return Error::invalid(path + ".priority", "priority is 0..1000");
    a.priority = *priority;
  }
  BOTTEGA_TRY(status, json::optional_string(o, "status", path + ".status", 16));
  if (status) {
    auto s = conversation_status_from(*status);
    if (!s || *s == ConversationStatus::pending)
      return Error::invalid(path + ".status", "status is open, snoozed or resolved");
    a.status = *s;
  }
  if (auto* as = o.if_contains("assign"); as && !as->is_null()) {
    std::string ap = path + ".assign";
    if (!as->is_object()) return Error::invalid(ap, "assign is {\"team_id\"?, \"agent_id\"?}", "invalid_type");
    BOTTEGA_TRY_STATUS(json::only_keys(as->as_object(), {"team_id", "agent_id"}, ap));
    if (auto* t = as->as_object().if_contains("team_id")) {
      BOTTEGA_TRY(id, id_or_null(*t, ap + ".team_id"));
      a.assign_team_id = std::move(id);
    }
    if (auto* g = as->as_object().if_contains("agent_id")) {
      BOTTEGA_TRY(id, id_or_null(*g, ap + ".agent_id"));
      a.assign_agent_id = std::move(id);
    }
    if (!a.assign_team_id && !a.assign_agent_id)
      return Error::invalid(ap + ".agent_id", "assign names an agent_id, a team_id or both", "missing_field");
    a.assign = true;
  }
  if (auto* l = o.if_contains("payment_link"); l && !l->is_null()) {
    std::string lp = path + ".payment_link";
    if (!l->is_object()) return Error::invalid(lp, "payment_link is {\"amount\",\"currency\"} or {\"cart\":true}", "invalid_type");
    const auto& lo = l->as_object();
    BOTTEGA_TRY_STATUS(json::only_keys(lo, {"amount", "currency", "description", "cart"}, lp));
    BOTTEGA_TRY(cart, json::optional_bool(lo, "cart", lp + ".cart"));
    a.link_cart = cart.value_or(false);
    if (a.link_cart) {
      if (lo.contains("amount") || lo.contains("currency"))
        return Error::invalid(lp + ".amount", "a link for the open cart takes the cart's total: no amount or currency");
    } else {
      auto* amount = lo.if_contains("amount");
      if (!amount) return Error::invalid(lp + ".amount", "an amount in minor units (or \"cart\": true)", "missing_field");
      if (!amount->is_int64() || amount->as_int64() <= 0 || amount->as_int64() > 100'000'000'000LL)
        return Error::invalid(lp + ".amount", "the amount is a positive whole number of minor units (1250 = 12.50)",
                              "invalid_amount");
      BOTTEGA_TRY(currency, json::required_string(lo, "currency", lp + ".currency", 3));
      if (!payments::valid_currency(currency))
        return Error::invalid(lp + ".currency", "an ISO 4217 code such as EUR", "invalid_currency");
      a.link_amount = amount->as_int64();
      a.link_currency = std::move(currency);
    }
    BOTTEGA_TRY(description, json::optional_string(lo, "description", lp + ".description", 500));
    a.link_description = trimmed(description.value_or(""));
    a.payment_link = true;
  }
  if (!a.reply && a.add_tags.empty() && a.remove_tags.empty() && !a.priority && !a.status && !a.assign && !a.payment_link)
    return Error::invalid(path, "a macro does at least one thing: reply, add_tags, remove_tags, priority, status, assign or payment_link",
                          "missing_field");
  return a;
}

Status validate_macro(const bj::object& body, bool patch) {
  BOTTEGA_TRY_STATUS(json::only_keys(body, {"name", "description", "actions"}));
  auto* n = body.if_contains("name");
  if (!n && !patch) return Error::invalid("name", "name is required", "missing_field");
  if (n) {
    if (!n->is_string()) return Error::invalid("name", "name is a string", "invalid_type");
    std::string name = trimmed(std::string(n->as_string()));
    if (name.empty() || name.size() > 80) return Error::invalid("name", "a macro's name is 1-80 bytes");
  }
  if (auto* d = body.if_contains("description"); d && !d->is_null()) {
    if (!d->is_string()) return Error::invalid("description", "description is a string", "invalid_type");
    if (d->as_string().size() > 500) return Error::invalid("description", "a description is at most 500 bytes");
  }
  auto* a = body.if_contains("actions");
  if (!a && !patch) return Error::invalid("actions", "actions is required", "missing_field");
  if (a) BOTTEGA_TRY_STATUS(parse_actions(*a));
  return {};
}

std::vector<Macro> list_macros(store::Tx& tx, const std::string& tenant) {
  std::vector<Macro> out;
  for (const auto& r : tx.query(kList, {tenant})) out.push_back(macro_from(r));
  return out;
}

std::optional<Macro> get_macro(store::Tx& tx, const std::string& tenant, const std::string& id) {
  if (auto r = tx.query_one(kGet, {tenant, id})) return macro_from(*r);
  return std::nullopt;
}

Result<Macro> create_macro(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const bj::object& body) {
  return apply(tx, env, tenant, std::nullopt, body);
}

Result<Macro> update_macro(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                           const bj::object& body) {
  auto base = get_macro(tx, tenant, id);
  if (!base) return Error::not_found("macro");
  return apply(tx, env, tenant, std::move(base), body);
}

Status delete_macro(store::Tx& tx, const std::string& tenant, const std::string& id) {
  if (tx.exec(kDelete, {tenant, id}) == 0) return Error::not_found("macro");
  return {};
}

Result<bj::object> preview_macro(store::Tx& tx, const Principal& who, const std::string& conversation_id,
                                 const std::string& macro_id, int64_t now) {
  BOTTEGA_TRY(p, make_plan(tx, who, conversation_id, macro_id, now));
  const MacroActions& a = p.macro.actions;
  bj::array steps;
  if (p.reply_text) steps.push_back(bj::object{{"action", "reply"}, {"kind", a.reply_note ? "note" : "text"}, {"text", *p.reply_text}});
  if (a.payment_link)
    steps.push_back(bj::object{{"action", "payment_link"}, {"amount", p.amount}, {"currency", p.currency},
                               {"formatted", payments::format_amount(p.amount, p.currency)},
                               {"cart_id", p.cart ? bj::value(p.cart->id) : bj::value(nullptr)},
                               {"description", a.link_description}});
  if (!a.add_tags.empty() || !a.remove_tags.empty())
    steps.push_back(bj::object{{"action", "tags"}, {"added", strings(p.added)}, {"removed", strings(p.removed)},
                               {"tags", strings(p.tags_after)}});
  if (a.priority) steps.push_back(bj::object{{"action", "priority"}, {"priority", *a.priority}});
  if (a.status) steps.push_back(bj::object{{"action", "status"}, {"status", to_string(*a.status)}});
  if (a.assign) {
    bj::object s{{"action", "assign"},
                 {"team_id", p.team ? bj::value(p.team->id) : bj::value(nullptr)},
                 {"team_name", p.team ? bj::value(p.team->name) : bj::value(nullptr)},
                 {"agent_id", a.assign_agent_id ? opt(*a.assign_agent_id) : bj::value(nullptr)},
                 {"agent_name", opt(p.agent_name)}};
    // A team without an agent: one of its online members with capacity, picked when it runs.
    s["picks_member"] = p.team && !(a.assign_agent_id && *a.assign_agent_id);
    steps.push_back(std::move(s));
  }
  return bj::object{{"macro_id", p.macro.id}, {"macro_name", p.macro.name}, {"conversation_id", p.conv.id},
                    {"steps", std::move(steps)}};
}

Result<bj::object> run_macro(store::Tx& tx, pipeline::Env& env, const Principal& who, const std::string& conversation_id,
                             const std::string& macro_id, const std::string& public_url) {
  const std::string& tenant = who.tenant_id;
  int64_t now = env.clock.now_ms();
  BOTTEGA_TRY(p, make_plan(tx, who, conversation_id, macro_id, now));
  const MacroActions& a = p.macro.actions;
  std::string run_id = env.ids.next("mrun");
  bj::array steps;
  std::vector<std::string> said;  // the run note, step by step

  // 1. The reply (a public message's provider send is a job queued in this transaction).
  if (p.reply_text) {
    pipeline::ReplyInput in;
    in.text = *p.reply_text;
    in.kind = a.reply_note ? "note" : "text";
    in.human_agent = p.human_agent;
    BOTTEGA_TRY(m, pipeline::agent_reply(tx, env, who, p.conv.id, in));
    steps.push_back(bj::object{{"action", "reply"}, {"kind", in.kind}, {"message_id", m.id}, {"text", m.text}});
    said.push_back(a.reply_note ? "wrote a note" : "replied");
  }
  // 2. The payment link, through the payments area (its message goes into the conversation).
  if (a.payment_link) {
    payments::LinkInput in;
    in.conversation_id = p.conv.id;
    if (p.cart) {
      in.cart_id = p.cart->id;
    } else {
      in.amount = a.link_amount;
      in.currency = a.link_currency;
    }
    in.description = a.link_description;
    auto link = payments::create_link(tx, env, who, in, public_url);
    if (!link) {
      Error e = std::move(link).error();
      if (!e.field.empty()) e.field = "actions.payment_link." + e.field;
      return e;
    }
    steps.push_back(bj::object{{"action", "payment_link"}, {"payment_id", link->id}, {"message_id", opt(link->message_id)},
                               {"amount", link->amount}, {"currency", link->currency},
                               {"url", payments::link_url(public_url, link->token)}, {"status", link->status},
                               {"cart_id", opt(link->cart_id)}});
    said.push_back("sent a payment link for " + payments::format_amount(link->amount, link->currency));
  }
  // 3. Tags, priority and status: one conversation update.
  if (!a.add_tags.empty() || !a.remove_tags.empty() || a.priority || a.status) {
    pipeline::ConversationPatch patch;
    if (!a.add_tags.empty() || !a.remove_tags.empty()) patch.tags = p.tags_after;
    patch.priority = a.priority;
    patch.status = a.status;
    BOTTEGA_TRY(updated, pipeline::update_conversation(tx, env, who, p.conv.id, patch));
    (void)updated;
    if (patch.tags) {
      steps.push_back(bj::object{{"action", "tags"}, {"added", strings(p.added)}, {"removed", strings(p.removed)},
                                 {"tags", strings(p.tags_after)}});
      std::string words;
      for (const auto& t : p.added) words += (words.empty() ? "" : " ") + ("+" + t);
      for (const auto& t : p.removed) words += (words.empty() ? "" : " ") + ("-" + t);
      said.push_back("tags " + (words.empty() ? std::string("unchanged") : words));
    }
    if (a.priority) {
      steps.push_back(bj::object{{"action", "priority"}, {"priority", *a.priority}});
      said.push_back("priority " + std::to_string(*a.priority));
    }
    if (a.status) {
      steps.push_back(bj::object{{"action", "status"}, {"status", to_string(*a.status)}});
      said.push_back(a.status == ConversationStatus::resolved  ? "resolved"
                     : a.status == ConversationStatus::snoozed ? "snoozed"
                                                               : "reopened");
    }
  }
  // 4. The assignment, as a transfer (its event, no note of its own: the run note says it).
  if (a.assign) {
    TransferInput t;
    t.team_id = a.assign_team_id;
    t.agent_id = a.assign_agent_id;
    t.write_note = false;
    auto moved = transfer(tx, env, who, p.conv.id, t);
    if (!moved) {
      Error e = std::move(moved).error();
      if (e.errc == Errc::invalid_argument) return out_of_date("actions.assign." + e.field, e.message);
      return e;
    }
    std::optional<std::string> agent_name;
    if (moved->agent_id)
      if (auto ag = core_repo::get_agent(tx, tenant, *moved->agent_id)) agent_name = ag->agent.name;
    std::optional<std::string> team_name;
    if (moved->team_id)
      if (auto tm = get_team(tx, tenant, *moved->team_id)) team_name = tm->name;
    steps.push_back(bj::object{{"action", "assign"}, {"team_id", opt(moved->team_id)}, {"team_name", opt(team_name)},
                               {"agent_id", opt(moved->agent_id)}, {"agent_name", opt(agent_name)}});
    Plan names = p;
    if (!moved->team_id) names.team.reset();
    said.push_back(assign_words(names, agent_name));
  }
  // 5. The audit: an internal note in the conversation and a macro_runs row.
  std::string by = "the API";
  if (!who.agent_id.empty())
    if (auto ag = core_repo::get_agent(tx, tenant, who.agent_id)) by = ag->agent.name;
  std::string text = "Macro \"" + p.macro.name + "\" run by " + by + ":";
  for (size_t i = 0; i < said.size(); ++i) text += (i ? "; " : " ") + said[i];
  pipeline::ReplyInput note;
  note.kind = "note";
  note.text = text;
  note.content_json = bj::serialize(bj::object{
      {"macro", bj::object{{"id", p.macro.id}, {"name", p.macro.name}, {"run_id", run_id}, {"steps", steps}}}});
  BOTTEGA_TRY(n, pipeline::agent_reply(tx, env, who, p.conv.id, note));
  std::string actor = payments::actor_of(who);
  tx.exec(kInsertRun, {tenant, run_id, p.macro.id, p.macro.name, p.conv.id, actor, bj::serialize(steps), n.id, now});

  auto after = core_repo::get_conversation(tx, tenant, p.conv.id);
  if (!after) return Error::internal("conversation vanished");
  bj::object conv = to_json(*after);
  conv["team"] = team_json(tx, tenant, p.conv.id);
  return bj::object{{"run_id", run_id},       {"macro_id", p.macro.id}, {"macro_name", p.macro.name},
                    {"conversation_id", p.conv.id}, {"ran_by", actor}, {"ran_at", rfc3339(now)},
                    {"steps", std::move(steps)}, {"note_message_id", n.id}, {"conversation", std::move(conv)}};
}

bj::array list_macro_runs(store::Tx& tx, const std::string& tenant, const std::optional<std::string>& conversation_id,
                          const std::optional<std::string>& macro_id, int64_t limit) {
  std::vector<store::Row> rows;
  if (conversation_id) rows = tx.query(kRunsOfConversation, {tenant, *conversation_id, limit});
  else if (macro_id) rows = tx.query(kRunsOfMacro, {tenant, *macro_id, limit});
  else rows = tx.query(kRuns, {tenant, limit});
  bj::array out;
  for (const auto& r : rows) {
    boost::system::error_code ec;
    auto steps = bj::parse(r.str(5), ec);
    if (conversation_id && macro_id && r.str(1) != *macro_id) continue;
    out.push_back(bj::object{{"id", r.str(0)}, {"macro_id", r.str(1)}, {"macro_name", r.str(2)},
                             {"conversation_id", r.str(3)}, {"ran_by", r.str(4)},
                             {"steps", ec ? bj::value(bj::array{}) : steps},
                             {"note_message_id", r.is_null(6) ? bj::value(nullptr) : bj::value(r.str(6))},
                             {"ran_at", rfc3339(r.i64(7))}});
  }
  return out;
}

}  // namespace bottega::service
