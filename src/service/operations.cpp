#include "service/operations.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "bot/language.hpp"
#include "pipeline/optout.hpp"
#include "pipeline/survey.hpp"
#include "service/assignment.hpp"
#include "service/canned.hpp"
#include "service/service_repo.hpp"
#include "service/teams.hpp"
#include "store/repo/repo.hpp"
#include "core/json.hpp"

namespace bottega::service {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Stmt;
using store::Value;

namespace {

const Stmt kAvailability{"service.availability",
    "SELECT agent_id, status, capacity, updated_at FROM agent_availability WHERE tenant_id = $1"};
const Stmt kSetAvailability{"service.set_availability",
    "INSERT INTO agent_availability (tenant_id, agent_id, status, capacity, updated_at) VALUES ($1,$2,$3,$4,$5) "
    "ON CONFLICT (tenant_id, agent_id) DO UPDATE SET status = excluded.status, capacity = excluded.capacity, "
    "updated_at = excluded.updated_at"};
const Stmt kLoads{"service.loads",
    "SELECT assignee_id, COUNT(*) FROM conversations WHERE tenant_id = $1 AND assignee_id IS NOT NULL "
    "AND status IN ('open','pending') GROUP BY assignee_id"};
const Stmt kLastAssigned{"service.last_assigned", "SELECT last_agent_id FROM assignment_state WHERE tenant_id = $1"};
const Stmt kSetLastAssigned{"service.set_last_assigned",
    "INSERT INTO assignment_state (tenant_id, last_agent_id, updated_at) VALUES ($1,$2,$3) "
    "ON CONFLICT (tenant_id) DO UPDATE SET last_agent_id = excluded.last_agent_id, updated_at = excluded.updated_at"};
// The bot answers on a channel when the tenant has a knowledge base and the channel is not switched off.
const Stmt kBotActive{"service.bot_active",
    "SELECT (SELECT COUNT(*) FROM kb_entries WHERE tenant_id = $1), "
    "(SELECT enabled FROM bot_channels WHERE tenant_id = $1 AND channel_id = $2)"};
const Stmt kUnassignedOpen{"service.unassigned_open",
    "SELECT id FROM conversations WHERE tenant_id = $1 AND status = 'open' AND assignee_id IS NULL "
    "ORDER BY last_message_at LIMIT $2"};

struct Row {
  std::string status;
  std::optional<int64_t> capacity, updated_at;
};

std::map<std::string, Row> availability_rows(store::Tx& tx, const std::string& tenant) {
  std::map<std::string, Row> out;
  for (const auto& r : tx.query(kAvailability, {tenant})) out[r.str(0)] = Row{r.str(1), r.opt_i64(2), r.i64(3)};
  return out;
}

std::map<std::string, int64_t> loads(store::Tx& tx, const std::string& tenant) {
  std::map<std::string, int64_t> out;
  for (const auto& r : tx.query(kLoads, {tenant})) out[r.str(0)] = r.i64(1);
  return out;
}

}  // namespace

std::vector<Availability> list_availability(store::Tx& tx, const std::string& tenant, const ServiceSettings& s) {
  auto rows = availability_rows(tx, tenant);
  auto load = loads(tx, tenant);
  std::vector<Availability> out;
  for (const auto& a : core_repo::list_agents(tx, tenant)) {
    Availability v;
    v.agent_id = a.id;
    v.name = a.name;
    if (auto it = rows.find(a.id); it != rows.end()) {
      v.status = it->second.status;
      v.capacity = it->second.capacity;
      v.updated_at = it->second.updated_at;
    }
    v.effective_capacity = v.capacity.value_or(s.default_capacity);
    v.load = load.count(a.id) ? load[a.id] : 0;
    out.push_back(std::move(v));
  }
  return out;
}

Result<Availability> set_availability(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                      const std::string& agent_id, const std::string& status,
                                      std::optional<int64_t> capacity, bool reset_capacity) {
  if (!core_repo::get_agent(tx, tenant, agent_id)) return Error::not_found("agent");
  auto rows = availability_rows(tx, tenant);
  Value cap = nullptr;  // the stored capacity, unless reset or replaced
  if (auto it = rows.find(agent_id); it != rows.end() && it->second.capacity && !reset_capacity)
    cap = it->second.capacity.value_or(0);
  if (capacity) cap = capacity.value_or(0);
  tx.exec(kSetAvailability, {tenant, agent_id, status, cap, env.clock.now_ms()});
  auto settings = [&] {
    auto stored = repo::get_settings(tx, tenant);
    return stored ? settings_from_json(*stored) : ServiceSettings{};
  }();
  if (status == "online" && settings.assign_mode != AssignMode::off)
    for (const auto& r : tx.query(kUnassignedOpen, {tenant, int64_t{50}})) maybe_assign(tx, env, settings, tenant, r.str(0));
  for (auto& a : list_availability(tx, tenant, settings))
    if (a.agent_id == agent_id) return a;
  return Error::not_found("agent");
}

std::optional<std::string> maybe_assign(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                        const std::string& tenant, const std::string& conversation_id) {
  if (s.assign_mode == AssignMode::off) return std::nullopt;
  auto c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c || c->assignee_id || c->status != ConversationStatus::open) return std::nullopt;
  bool handed_over = std::find(c->tags.begin(), c->tags.end(), "bot-handover") != c->tags.end();
  if (!handed_over) {
    auto r = tx.query_one(kBotActive, {tenant, c->channel_id});
    bool bot_on = r && r->i64(0) > 0 && (r->is_null(1) || r->i64(1) != 0);
    if (bot_on) return std::nullopt;  // the bot has it until it hands over
  }
  if (!repo::waiting_since(tx, tenant, conversation_id)) return std::nullopt;  // nobody is waiting
  std::optional<std::vector<std::string>> only;
  if (auto team = conversation_team(tx, tenant, conversation_id)) only = team_members(tx, tenant, *team);
  auto pick = pick_agent(tx, tenant, s, s.assign_mode, only);
  if (!pick) return std::nullopt;
  Principal system;
  system.tenant_id = tenant;
  pipeline::ConversationPatch p;
  p.assignee_id = std::optional<std::string>(*pick);
  if (!pipeline::update_conversation(tx, env, system, conversation_id, p)) return std::nullopt;
  remember_assigned(tx, tenant, *pick, env.clock.now_ms());
  return pick;
}

std::optional<std::string> pick_agent(store::Tx& tx, const std::string& tenant, const ServiceSettings& s, AssignMode mode,
                                      const std::optional<std::vector<std::string>>& only) {
  std::vector<AgentSlot> slots;
  for (const auto& a : list_availability(tx, tenant, s)) {
    if (only && std::find(only->begin(), only->end(), a.agent_id) == only->end()) continue;
    slots.push_back(AgentSlot{a.agent_id, a.status == "online", a.effective_capacity, a.load});
  }
  std::string last;
  if (auto r = tx.query_one(kLastAssigned, {tenant})) last = r->str(0);
  return choose_agent(std::move(slots), mode, last);
}

void remember_assigned(store::Tx& tx, const std::string& tenant, const std::string& agent_id, int64_t now) {
  tx.exec(kSetLastAssigned, {tenant, agent_id, now});
}

}  // namespace bottega::service

namespace bottega::service {

namespace {

const Stmt kCannedList{"service.canned_list",
    "SELECT id, shortcut, title, body, created_at, updated_at FROM canned_responses WHERE tenant_id = $1 "
    "ORDER BY shortcut LIMIT 1000"};
const Stmt kCannedGet{"service.canned_get",
    "SELECT id, shortcut, title, body, created_at, updated_at FROM canned_responses WHERE tenant_id = $1 AND id = $2"};
const Stmt kCannedByShortcut{"service.canned_by_shortcut",
    "SELECT id FROM canned_responses WHERE tenant_id = $1 AND shortcut = $2"};
const Stmt kCannedInsert{"service.canned_insert",
    "INSERT INTO canned_responses (tenant_id, id, shortcut, title, body, created_at, updated_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$6)"};
const Stmt kCannedUpdate{"service.canned_update",
    "UPDATE canned_responses SET shortcut = $3, title = $4, body = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2"};
const Stmt kCannedDelete{"service.canned_delete", "DELETE FROM canned_responses WHERE tenant_id = $1 AND id = $2"};
const Stmt kContactNameEmail{"service.contact_name_email",
    "SELECT name, email FROM contacts WHERE tenant_id = $1 AND id = $2"};
const Stmt kTenantName{"service.tenant_name", "SELECT name FROM tenants WHERE id = $1"};
const Stmt kLatestOrder{"service.latest_order",
    "SELECT number FROM orders WHERE tenant_id = $1 AND contact_id = $2 "
    "ORDER BY CASE WHEN conversation_id = $3 THEN 0 ELSE 1 END, created_at DESC, number DESC LIMIT 1"};

Canned canned_from(const store::Row& r) {
  return Canned{r.str(0), r.str(1), r.str(2), r.str(3), r.i64(4), r.i64(5)};
}

bool valid_shortcut(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (unsigned char ch : s)
    if (!(std::islower(ch) || std::isdigit(ch) || ch == '-' || ch == '_')) return false;
  return true;
}

std::string first_word(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  auto e = s.find(' ', b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

}  // namespace

bj::object to_json(const Canned& c) {
  return bj::object{{"id", c.id}, {"shortcut", c.shortcut}, {"title", c.title}, {"body", c.body},
                    {"created_at", rfc3339(c.created_at)}, {"updated_at", rfc3339(c.updated_at)}};
}

Status validate_canned(const bj::object& o, bool patch) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"shortcut", "title", "body"}));
  for (const char* k : {"shortcut", "title", "body"}) {
    auto it = o.find(k);
    if (it == o.end()) {
      if (!patch) return Error::invalid(k, std::string(k) + " is required", "missing_field");
      continue;
    }
    if (!it->value().is_string()) return Error::invalid(k, std::string(k) + " is a string", "invalid_type");
    std::string v(it->value().as_string());
    if (std::string_view(k) == "shortcut" && !valid_shortcut(v))
      return Error::invalid(k, "a shortcut is 1-32 of a-z, 0-9, - and _");
    if (std::string_view(k) == "title" && (v.empty() || v.size() > 100)) return Error::invalid(k, "a title is 1-100 bytes");
    if (std::string_view(k) == "body") {
      if (v.empty() || v.size() > 4000) return Error::invalid(k, "a body is 1-4000 bytes");
      if (auto st = validate_template(v, "body"); !st) return st;
    }
  }
  return {};
}

std::vector<Canned> list_canned(store::Tx& tx, const std::string& tenant) {
  std::vector<Canned> out;
  for (const auto& r : tx.query(kCannedList, {tenant})) out.push_back(canned_from(r));
  return out;
}

Result<Canned> create_canned(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const bj::object& body) {
  if (auto st = validate_canned(body, false); !st) return st.error();
  Canned c;
  c.id = env.ids.next("cr");
  c.shortcut = std::string(body.at("shortcut").as_string());
  c.title = std::string(body.at("title").as_string());
  c.body = std::string(body.at("body").as_string());
  c.created_at = c.updated_at = env.clock.now_ms();
  if (tx.query_one(kCannedByShortcut, {tenant, c.shortcut}))
    return Error{Errc::conflict, "shortcut_taken", "another canned response has the shortcut /" + c.shortcut, "shortcut"};
  tx.exec(kCannedInsert, {tenant, c.id, c.shortcut, c.title, c.body, c.created_at});
  return c;
}

Result<Canned> update_canned(store::Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                             const bj::object& body) {
  if (auto st = validate_canned(body, true); !st) return st.error();
  auto r = tx.query_one(kCannedGet, {tenant, id});
  if (!r) return Error::not_found("canned response");
  Canned c = canned_from(*r);
  if (auto it = body.find("shortcut"); it != body.end()) c.shortcut = std::string(it->value().as_string());
  if (auto it = body.find("title"); it != body.end()) c.title = std::string(it->value().as_string());
  if (auto it = body.find("body"); it != body.end()) c.body = std::string(it->value().as_string());
  if (auto other = tx.query_one(kCannedByShortcut, {tenant, c.shortcut}); other && other->str(0) != id)
    return Error{Errc::conflict, "shortcut_taken", "another canned response has the shortcut /" + c.shortcut, "shortcut"};
  c.updated_at = env.clock.now_ms();
  tx.exec(kCannedUpdate, {tenant, id, c.shortcut, c.title, c.body, c.updated_at});
  return c;
}

Status delete_canned(store::Tx& tx, const std::string& tenant, const std::string& id) {
  if (tx.exec(kCannedDelete, {tenant, id}) == 0) return Error::not_found("canned response");
  return {};
}

Result<std::string> render_canned(store::Tx& tx, const Principal& who, const std::string& canned_id,
                                  const std::string& conversation_id) {
  auto r = tx.query_one(kCannedGet, {who.tenant_id, canned_id});
  if (!r) return Error::not_found("canned response");
  auto c = core_repo::get_conversation(tx, who.tenant_id, conversation_id);
  if (!c) return Error::not_found("conversation");
  return render_template(canned_from(*r).body, conversation_variables(tx, who, *c));
}

std::map<std::string, std::string> conversation_variables(store::Tx& tx, const Principal& who, const Conversation& c) {
  std::map<std::string, std::string> vars;
  if (auto ct = tx.query_one(kContactNameEmail, {who.tenant_id, c.contact_id})) {
    vars["contact.name"] = vars["customer.name"] = ct->str(0);
    vars["contact.first_name"] = vars["customer.first_name"] = first_word(ct->str(0));
    vars["contact.email"] = vars["customer.email"] = ct->str(1);
  }
  // The conversation's latest order, else the contact's latest.
  if (auto r = tx.query_one(kLatestOrder, {who.tenant_id, c.contact_id, c.id})) vars["order.number"] = std::to_string(r->i64(0));
  if (!who.agent_id.empty())
    if (auto a = core_repo::get_agent(tx, who.tenant_id, who.agent_id)) {
      vars["agent.name"] = a->agent.name;
      vars["agent.first_name"] = first_word(a->agent.name);
    }
  if (auto t = tx.query_one(kTenantName, {who.tenant_id})) vars["shop.name"] = t->str(0);
  vars["conversation.id"] = c.id;
  return vars;
}

}  // namespace bottega::service

namespace bottega::service {

namespace {

const Stmt kAfterHoursAt{"service.after_hours_at",
    "SELECT after_hours_at FROM conversation_service WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kSetAfterHoursAt{"service.set_after_hours_at",
    "UPDATE conversation_service SET after_hours_at = $3 WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kLastInbound{"service.last_inbound",
    "SELECT text FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' ORDER BY seq DESC LIMIT 1"};

constexpr const char* kWeekdays[4][7] = {
    {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
    {"lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"},
    {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"},
    {"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"}};

int lang_index(const std::string& lang) {
  if (lang == "it") return 1;
  if (lang == "de") return 2;
  if (lang == "nl") return 3;
  return 0;
}

}  // namespace

const char* after_hours_default(const std::string& lang) {
  switch (lang_index(lang)) {
    case 1:
      return "Grazie del messaggio. In questo momento siamo chiusi e nessuno può ancora leggerlo: una persona ti "
             "risponderà da {opens_at}. Il messaggio è salvato e in coda.";
    case 2:
      return "Danke für Ihre Nachricht. Wir haben gerade geschlossen, deshalb kann sie noch niemand lesen: Eine Person "
             "antwortet ab {opens_at}. Ihre Nachricht ist gespeichert und in der Warteschlange.";
    case 3:
      return "Bedankt voor je bericht. We zijn nu gesloten, dus niemand kan het nog lezen: een medewerker antwoordt "
             "vanaf {opens_at}. Je bericht is bewaard en staat in de wachtrij.";
    default:
      return "Thanks for your message. We're closed right now, so nobody can read it yet: a person will answer from "
             "{opens_at}. Your message is saved and in the queue.";
  }
}

std::string format_opening(const BusinessHours& h, int64_t at_ms, const std::string& lang) {
  auto l = h.local(at_ms);
  char hhmm[16];
  std::snprintf(hhmm, sizeof hhmm, "%02d:%02d", l.minute / 60, l.minute % 60);
  return std::string(kWeekdays[lang_index(lang)][l.weekday]) + " " + hhmm + " (" + h.zone->name() + ")";
}

std::optional<std::string> maybe_after_hours(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                             const std::string& tenant, const std::string& conversation_id) {
  if (!s.after_hours || !s.hours_configured) return std::nullopt;
  int64_t now = env.clock.now_ms();
  if (s.hours.is_open(now)) return std::nullopt;
  auto c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c || c->status == ConversationStatus::resolved || c->last_message_direction != "in") return std::nullopt;
  if (now - c->last_message_at > 10 * 60'000) return std::nullopt;  // only for a message just received
  if (std::find(c->tags.begin(), c->tags.end(), "bot-handover") == c->tags.end()) {
    auto r = tx.query_one(kBotActive, {tenant, c->channel_id});
    if (r && r->i64(0) > 0 && (r->is_null(1) || r->i64(1) != 0)) return std::nullopt;  // the bot answers there
  }
  auto sent = tx.query_one(kAfterHoursAt, {tenant, conversation_id});
  if (!sent) return std::nullopt;  // the listener has not recorded the conversation yet
  if (!sent->is_null(0) && s.hours.intervals(sent->i64(0), now).empty()) return std::nullopt;  // once per closed period
  int64_t opens = s.hours.next_open(now);
  if (opens < 0) return std::nullopt;  // never open: nothing honest to promise
  std::string lang = "en";
  if (auto m = tx.query_one(kLastInbound, {tenant, conversation_id})) lang = bot::detect_language(m->str(0), "en").lang;
  std::string text = s.after_hours_message.empty() ? after_hours_default(lang) : s.after_hours_message;
  std::string when = format_opening(s.hours, opens, lang);
  for (size_t at; (at = text.find("{opens_at}")) != std::string::npos;) text.replace(at, 10, when);

  auto m = pipeline::post_system_message(
      tx, env, *c, "text", text, bj::serialize(bj::object{{"auto_reply", "after_hours"}, {"opens_at", rfc3339(opens)}}));
  tx.exec(kSetAfterHoursAt, {tenant, conversation_id, now});
  return m.id;
}

}  // namespace bottega::service

namespace bottega::service {

namespace {

const Stmt kSurveyGet{"service.survey_get",
    "SELECT sent_at, score, answer_message_id, answered_at, comment_asked_at, comment, commented_at, message_id, "
    "comment_question_id FROM csat_surveys WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kSurveyAskComment{"service.survey_ask_comment",
    "UPDATE csat_surveys SET comment_asked_at = $3, comment_question_id = $4 WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kSurveyComment{"service.survey_comment",
    "UPDATE csat_surveys SET comment = $3, comment_message_id = $4, commented_at = $5 "
    "WHERE tenant_id = $1 AND conversation_id = $2"};
// The customer's last message before the survey (store order), for the language.
const Stmt kInboundBefore{"service.inbound_before",
    "SELECT text FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' "
    "AND seq < (SELECT seq FROM messages WHERE tenant_id = $1 AND id = $3) ORDER BY seq DESC LIMIT 1"};
// The customer's messages after the comment question (store order) until the window closes.
const Stmt kInboundBetween{"service.inbound_between",
    "SELECT id, kind, text, content, created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 "
    "AND direction = 'in' AND seq > (SELECT seq FROM messages WHERE tenant_id = $1 AND id = $3) AND created_at <= $4 "
    "ORDER BY seq LIMIT 20"};
const Stmt kSurveyInsert{"service.survey_insert",
    "INSERT INTO csat_surveys (tenant_id, conversation_id, contact_id, channel_id, message_id, sent_at) "
    "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (tenant_id, conversation_id) DO NOTHING"};
const Stmt kSurveyAnswer{"service.survey_answer",
    "UPDATE csat_surveys SET score = $3, answer_message_id = $4, answered_at = $5 WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kHasInbound{"service.has_inbound",
    "SELECT 1 FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' LIMIT 1"};
const Stmt kInboundAfter{"service.inbound_after",
    "SELECT id, kind, text, content, created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 "
    "AND direction = 'in' AND created_at >= $3 ORDER BY seq DESC LIMIT 20"};

const char* survey_text(const std::string& lang) {
  switch (lang_index(lang)) {
    case 1: return "Com'è andata? Dai un voto da 1 (male) a 5 (benissimo), anche solo rispondendo con il numero.";
    case 2: return "Wie war es? Geben Sie eine Note von 1 (schlecht) bis 5 (sehr gut), auch einfach als Zahl.";
    case 3: return "Hoe hebben we het gedaan? Geef een cijfer van 1 (slecht) tot 5 (top), gewoon het getal mag ook.";
    default: return "How did we do? Rate us from 1 (bad) to 5 (great), or just reply with the number.";
  }
}

const char* comment_text(const std::string& lang) {
  switch (lang_index(lang)) {
    case 1: return "Grazie! Vuoi aggiungere qualcosa? Rispondi pure qui.";
    case 2: return "Danke! Möchten Sie noch etwas hinzufügen? Antworten Sie einfach hier.";
    case 3: return "Bedankt! Wil je nog iets toevoegen? Antwoord gewoon hier.";
    default: return "Thank you! Anything you'd like to add? Just reply here.";
  }
}

constexpr size_t kMaxComment = 2000;

// A message from the shop (author system) into a conversation, sent like an agent's.
Message post_system(store::Tx& tx, pipeline::Env& env, const Conversation& c, const std::string& kind,
                    const std::string& text, const bj::object& content) {
  return pipeline::post_system_message(tx, env, c, kind, text, bj::serialize(content));
}

}  // namespace

std::optional<std::string> maybe_send_survey(store::Tx& tx, pipeline::Env& env, const ServiceSettings& s,
                                             const std::string& tenant, const std::string& conversation_id) {
  if (!s.csat) return std::nullopt;
  auto c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c || c->status != ConversationStatus::resolved) return std::nullopt;
  if (tx.query_one(kSurveyGet, {tenant, conversation_id})) return std::nullopt;  // one survey per conversation
  if (!tx.query_one(kHasInbound, {tenant, conversation_id})) return std::nullopt;
  std::string lang = "en";
  if (auto m = tx.query_one(kLastInbound, {tenant, conversation_id})) lang = bot::detect_language(m->str(0), "en").lang;
  bj::array choices;
  const char* titles[] = {"1", "2", "3", "4", "5"};
  for (int i = 0; i < 5; ++i)
    choices.push_back(bj::object{{"id", "csat:" + std::to_string(i + 1)}, {"title", titles[i]}});
  auto m = post_system(tx, env, *c, "choices", survey_text(lang), bj::object{{"choices", std::move(choices)}, {"survey", "csat"}});
  tx.exec(kSurveyInsert, {tenant, conversation_id, c->contact_id, c->channel_id, m.id, m.created_at});
  return m.id;
}

std::optional<int> maybe_record_survey(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                       const std::string& conversation_id) {
  auto sv = tx.query_one(kSurveyGet, {tenant, conversation_id});
  if (!sv) return std::nullopt;
  int64_t sent_at = sv->i64(0);
  std::optional<std::string> recorded = sv->opt_str(2);
  std::optional<int64_t> score_now = sv->opt_i64(1), answered_at = sv->opt_i64(3), asked = sv->opt_i64(4);
  std::optional<std::string> comment = sv->opt_str(5);
  std::optional<int64_t> commented_at = sv->opt_i64(6);
  std::optional<Conversation> c;
  auto emit_answer = [&]() {
    bool person = repo::person_replied(tx, tenant, conversation_id);
    bj::object data{{"conversation_id", c->id},
                    {"score", *score_now},
                    {"comment", comment ? bj::value(*comment) : bj::value(nullptr)},
                    {"assignee_id", c->assignee_id ? bj::value(*c->assignee_id) : bj::value(nullptr)},
                    {"bot_only", !person},
                    {"channel", c->channel_type},
                    {"created_at", rfc3339(*answered_at)}};
    pipeline::emit(tx, env, tenant, event_type::kCsatReceived, c->id, c->contact_id, true, data);
  };
  std::optional<int> out;
  for (const auto& r : tx.query(kInboundAfter, {tenant, conversation_id, sent_at})) {
    auto score = pipeline::survey_score(r.str(1), r.str(2), r.str(3));
    if (!score) continue;
    if (recorded && *recorded == r.str(0)) break;  // the latest answer is recorded already
    c = core_repo::get_conversation(tx, tenant, conversation_id);
    if (!c) return std::nullopt;
    score_now = *score;
    answered_at = r.i64(4);
    tx.exec(kSurveyAnswer, {tenant, conversation_id, int64_t{*score}, r.str(0), *answered_at});
    emit_answer();
    out = score;
    break;
  }
  if (!score_now) return out;
  if (!c) c = core_repo::get_conversation(tx, tenant, conversation_id);
  if (!c) return out;
  // After the first score: "anything to add?", once.
  if (!asked) {
    // In the language of what the customer wrote before the survey (a score says none).
    std::string lang = "en";
    if (auto m = tx.query_one(kInboundBefore, {tenant, conversation_id, sv->str(7)})) lang = bot::detect_language(m->str(0), "en").lang;
    auto m = post_system(tx, env, *c, "text", comment_text(lang), bj::object{{"survey", "csat_comment"}});
    tx.exec(kSurveyAskComment, {tenant, conversation_id, m.created_at, m.id});
    return out;
  }
  // The comment: the customer's first text message in the hour after the question that is not a
  // score (nor a stop word). Recorded once; the answer is emitted again with it.
  if (comment || commented_at || sv->is_null(8)) return out;
  for (const auto& r : tx.query(kInboundBetween, {tenant, conversation_id, sv->str(8), *asked + pipeline::kSurveyCommentWindowMs})) {
    if (r.str(1) != "text" || pipeline::survey_score(r.str(1), r.str(2), r.str(3))) continue;
    if (r.str(3).find("\"opt_out\"") != std::string::npos) continue;
    std::string text = r.str(2);
    if (text.size() > kMaxComment) {
      size_t cut = kMaxComment;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
      text.resize(cut);
    }
    comment = text;
    tx.exec(kSurveyComment, {tenant, conversation_id, text, r.str(0), r.i64(4)});
    emit_answer();
    break;
  }
  return out;
}

bj::value survey_json(store::Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto sv = tx.query_one(kSurveyGet, {tenant, conversation_id});
  if (!sv) return nullptr;
  return bj::object{{"sent_at", rfc3339(sv->i64(0))},
                    {"score", sv->is_null(1) ? bj::value(nullptr) : bj::value(sv->i64(1))},
                    {"answered_at", sv->is_null(3) ? bj::value(nullptr) : bj::value(rfc3339(sv->i64(3)))},
                    {"comment", sv->is_null(5) ? bj::value(nullptr) : bj::value(sv->str(5))},
                    {"commented_at", sv->is_null(6) ? bj::value(nullptr) : bj::value(rfc3339(sv->i64(6)))}};
}

}  // namespace bottega::service
