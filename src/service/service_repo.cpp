#include "service/service_repo.hpp"

#include <algorithm>

namespace bottega::service::repo {

using store::Row;
using store::Stmt;
using store::Value;

namespace {

Value opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

const Stmt kGetSettings{"service.get_settings", "SELECT settings FROM service_settings WHERE tenant_id = $1"};
const Stmt kPutSettings{"service.put_settings",
    "INSERT INTO service_settings (tenant_id, settings, updated_at) VALUES ($1,$2,$3) "
    "ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at"};

#define STATE_COLS                                                                                      \
  "tenant_id, conversation_id, status, level, score_base, score_detail, waiting_since, person_replied, " \
  "opened_at, first_response_due, next_response_due, resolution_due, next_due_at, updated_at"
const Stmt kGetState{"service.get_state",
    "SELECT " STATE_COLS " FROM conversation_service WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kPutState{"service.put_state",
    "INSERT INTO conversation_service (" STATE_COLS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET status = excluded.status, level = excluded.level, "
    "score_base = excluded.score_base, score_detail = excluded.score_detail, waiting_since = excluded.waiting_since, "
    "person_replied = excluded.person_replied, opened_at = excluded.opened_at, "
    "first_response_due = excluded.first_response_due, next_response_due = excluded.next_response_due, "
    "resolution_due = excluded.resolution_due, next_due_at = excluded.next_due_at, updated_at = excluded.updated_at"};
const Stmt kDueStates{"service.due_states",
    "SELECT " STATE_COLS " FROM conversation_service WHERE next_due_at IS NOT NULL AND next_due_at <= $1 "
    "ORDER BY next_due_at LIMIT $2"};
const Stmt kSetNextDue{"service.set_next_due",
    "UPDATE conversation_service SET next_due_at = $3 WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kActiveIds{"service.active_ids",
    "SELECT id FROM conversations WHERE tenant_id = $1 AND status <> 'resolved' ORDER BY seq DESC LIMIT $2"};
const Stmt kContactActiveIds{"service.contact_active_ids",
    "SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND status <> 'resolved' ORDER BY seq DESC LIMIT $3"};

// The last "answer": a public outbound message by a person, or by the bot unless its turn handed
// over. Both halves descend the messages_replies index (core migration 7: public outbound messages
// by author kind) to the end of their range; the bot's half steps back over handover replies.
// Column 0: the person's last reply (NULL: none ever), column 1: the bot's last answer.
const Stmt kLastAnswers{"service.last_answers",
    "SELECT (SELECT MAX(a.seq) FROM messages a WHERE a.tenant_id = $1 AND a.conversation_id = $2 "
    "AND a.direction = 'out' AND a.kind <> 'note' AND a.author_kind = 'agent'), "
    "(SELECT b.seq FROM messages b WHERE b.tenant_id = $1 AND b.conversation_id = $2 AND b.direction = 'out' "
    "AND b.kind <> 'note' AND b.author_kind = 'bot' AND NOT EXISTS (SELECT 1 FROM bot_turns t WHERE t.tenant_id = $1 "
    "AND t.conversation_id = $2 AND t.reply_message_id = b.id AND t.outcome = 'handed_over') "
    "ORDER BY b.seq DESC LIMIT 1)"};
// A stop or start word (pipeline/optout.hpp marks it "opt_out":"stop"|"start" in the content)
// needs no answer: it neither starts nor restarts the SLA clock.
#define NEEDS_ANSWER "content NOT LIKE '%\"opt_out\":\"st%'"
// The customer's first message after the last answer (messages_conversation, from that seq on).
const Stmt kFirstWaiting{"service.first_waiting",
    "SELECT created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' "
    "AND seq > $3 AND " NEEDS_ANSWER " ORDER BY seq LIMIT 1"};
// Whether every customer message of the conversation is a stop or start word (and there is one).
// Two existence tests, each stopping at its first row (normally the conversation's first message).
// Written as a scan of the inbound messages filtered by an uncorrelated NOT EXISTS, it read every
// inbound message of the conversation for each message the service listener saw (bench/profile.sh:
// ~75k instructions per web chat message at 70 messages a conversation, growing with the length).
const Stmt kOnlyOptWords{"service.only_opt_words",
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM messages i WHERE i.tenant_id = $1 AND i.conversation_id = $2 "
    "AND i.direction = 'in') AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.tenant_id = $1 "
    "AND n.conversation_id = $2 AND n.direction = 'in' AND n." NEEDS_ANSWER ")"};
const Stmt kPersonReplied{"service.person_replied",
    "SELECT 1 FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'out' AND kind <> 'note' "
    "AND author_kind = 'agent' LIMIT 1"};
// Whether the contact (the column named) has a paid (or later) order; the value of its open carts.
#define RETURNING(contact) \
  "EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = $1 AND o.contact_id = " contact " AND o.status IN " \
  "('paid','fulfilled','partially_refunded','refunded'))"
#define CART_VALUE(contact)                                                                                       \
  "(SELECT CAST(COALESCE(SUM(i.unit_price * i.quantity), 0) AS BIGINT) FROM carts k JOIN cart_items i "          \
  "ON i.tenant_id = k.tenant_id AND i.cart_id = k.id WHERE k.tenant_id = $1 AND k.contact_id = " contact " "     \
  "AND k.status = 'open')"
// Everything recompute reads about a conversation besides its replies, in one statement (it was
// four: conversation, stored state, returning, cart value; bench/profile.sh): the conversation's
// brief (columns 0-5), its stored state (6-19, NULL when none yet), returning (20), cart value (21).
const Stmt kRecomputeInputs{"service.recompute_inputs",
    "SELECT c.status, c.contact_id, ch.type, c.tags, c.priority, c.created_at, "
    "s.tenant_id, s.conversation_id, s.status, s.level, s.score_base, s.score_detail, s.waiting_since, "
    "s.person_replied, s.opened_at, s.first_response_due, s.next_response_due, s.resolution_due, s.next_due_at, "
    "s.updated_at, " RETURNING("c.contact_id") ", " CART_VALUE("c.contact_id") " "
    "FROM conversations c JOIN channels ch ON ch.id = c.channel_id "
    "LEFT JOIN conversation_service s ON s.tenant_id = c.tenant_id AND s.conversation_id = c.id "
    "WHERE c.tenant_id = $1 AND c.id = $2"};
#undef RETURNING
#undef CART_VALUE

const Stmt kInsertBreach{"service.insert_breach",
    "INSERT INTO sla_breaches (tenant_id, conversation_id, target, due_at, breached_at, level, event_id) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (tenant_id, conversation_id, target, due_at) DO NOTHING"};
const Stmt kBreaches{"service.breaches",
    "SELECT target, due_at, breached_at, level, event_id FROM sla_breaches WHERE tenant_id = $1 AND conversation_id = $2 "
    "ORDER BY breached_at, target"};
const Stmt kBreached{"service.breached",
    "SELECT 1 FROM sla_breaches WHERE tenant_id = $1 AND conversation_id = $2 AND target = $3 AND due_at = $4"};

// The STATE_COLS of a row, from column `at` on.
ConvState state_from(const Row& r, size_t at = 0) {
  ConvState s;
  s.tenant_id = r.str(at + 0);
  s.conversation_id = r.str(at + 1);
  s.status = r.str(at + 2);
  s.level = r.str(at + 3);
  s.score_base = r.i64(at + 4);
  s.score_detail = r.str(at + 5);
  s.waiting_since = r.opt_i64(at + 6);
  s.person_replied = r.i64(at + 7) != 0;
  s.opened_at = r.i64(at + 8);
  s.first_response_due = r.opt_i64(at + 9);
  s.next_response_due = r.opt_i64(at + 10);
  s.resolution_due = r.opt_i64(at + 11);
  s.next_due_at = r.opt_i64(at + 12);
  s.updated_at = r.i64(at + 13);
  return s;
}

}  // namespace

std::optional<std::string> get_settings(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kGetSettings, {tenant});
  if (!r) return std::nullopt;
  return r->str(0);
}
void put_settings(Tx& tx, const std::string& tenant, const std::string& settings_json, int64_t now) {
  tx.exec(kPutSettings, {tenant, settings_json, now});
}

bool same_state(const ConvState& a, const ConvState& b) {
  return a.tenant_id == b.tenant_id && a.conversation_id == b.conversation_id && a.status == b.status &&
         a.level == b.level && a.score_base == b.score_base && a.score_detail == b.score_detail &&
         a.waiting_since == b.waiting_since && a.person_replied == b.person_replied && a.opened_at == b.opened_at &&
         a.first_response_due == b.first_response_due && a.next_response_due == b.next_response_due &&
         a.resolution_due == b.resolution_due && a.next_due_at == b.next_due_at;
}
std::optional<RecomputeInputs> recompute_inputs(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto r = tx.query_one(kRecomputeInputs, {tenant, conversation_id});
  if (!r) return std::nullopt;
  RecomputeInputs in;
  in.brief = ConvBrief{r->str(0), r->str(1), r->str(2), r->str(3), r->i64(4), r->i64(5)};
  if (!r->is_null(6)) in.state = state_from(*r, 6);
  in.returning = r->i64(20) != 0;
  in.cart_value_minor = r->i64(21);
  return in;
}
std::optional<ConvState> get_state(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto r = tx.query_one(kGetState, {tenant, conversation_id});
  if (!r) return std::nullopt;
  return state_from(*r);
}
void put_state(Tx& tx, const ConvState& s) {
  tx.exec(kPutState, {s.tenant_id, s.conversation_id, s.status, s.level, s.score_base, s.score_detail,
                      opt(s.waiting_since), int64_t{s.person_replied ? 1 : 0}, s.opened_at, opt(s.first_response_due),
                      opt(s.next_response_due), opt(s.resolution_due), opt(s.next_due_at), s.updated_at});
}
std::vector<ConvState> due_states(Tx& tx, int64_t now, int64_t limit) {
  std::vector<ConvState> out;
  for (const auto& r : tx.query(kDueStates, {now, limit})) out.push_back(state_from(r));
  return out;
}
void set_next_due(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                  const std::optional<int64_t>& next_due_at) {
  tx.exec(kSetNextDue, {tenant, conversation_id, opt(next_due_at)});
}
std::vector<std::string> active_conversation_ids(Tx& tx, const std::string& tenant, int64_t limit) {
  std::vector<std::string> out;
  for (const auto& r : tx.query(kActiveIds, {tenant, limit})) out.push_back(r.str(0));
  return out;
}

std::vector<std::string> contact_active_conversation_ids(Tx& tx, const std::string& tenant, const std::string& contact_id,
                                                         int64_t limit) {
  std::vector<std::string> out;
  for (const auto& r : tx.query(kContactActiveIds, {tenant, contact_id, limit})) out.push_back(r.str(0));
  return out;
}

ReplyState reply_state(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  ReplyState out;
  auto r = tx.query_one(kLastAnswers, {tenant, conversation_id});
  int64_t answered = 0;
  if (r) {
    out.person_replied = !r->is_null(0);
    answered = std::max(r->i64(0), r->i64(1));  // NULL reads as 0: before every message
  }
  if (auto w = tx.query_one(kFirstWaiting, {tenant, conversation_id, answered}); w && !w->is_null(0))
    out.waiting_since = w->i64(0);
  // A customer message waiting for an answer is one that needs an answer: not only opt words.
  if (!out.waiting_since) out.only_opt_words = tx.query_one(kOnlyOptWords, {tenant, conversation_id}).has_value();
  return out;
}
std::optional<int64_t> waiting_since(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  return reply_state(tx, tenant, conversation_id).waiting_since;
}
bool person_replied(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  return tx.query_one(kPersonReplied, {tenant, conversation_id}).has_value();
}

bool insert_breach(Tx& tx, const std::string& tenant, const std::string& conversation_id, const Breach& b) {
  return tx.exec(kInsertBreach, {tenant, conversation_id, b.target, b.due_at, b.breached_at, b.level, b.event_id}) == 1;
}
std::vector<Breach> breaches(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  std::vector<Breach> out;
  for (const auto& r : tx.query(kBreaches, {tenant, conversation_id}))
    out.push_back(Breach{r.str(0), r.i64(1), r.i64(2), r.str(3), r.str(4)});
  return out;
}
bool breached(Tx& tx, const std::string& tenant, const std::string& conversation_id, const std::string& target,
              int64_t due_at) {
  return tx.query_one(kBreached, {tenant, conversation_id, target, due_at}).has_value();
}

}  // namespace bottega::service::repo
