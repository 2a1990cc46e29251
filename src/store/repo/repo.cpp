#include "store/repo/repo.hpp"
#include "store/repo/inbox_order.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace bottega::repo {
namespace {

namespace bj = boost::json;
using store::Row;
using store::Stmt;
using store::Value;

Value opt(const std::optional<std::string>& s) {
  if (s) return *s;
  return nullptr;
}
Value opt(const std::optional<int64_t>& n) {
  if (n) return *n;
  return nullptr;
}

std::string tags_to_json(const std::vector<std::string>& tags) {
  bj::array a;
  for (const auto& t : tags) a.emplace_back(t);
  return bj::serialize(a);
}

}  // namespace

std::vector<std::string> tags_from_json(const std::string& text) {
  std::vector<std::string> out;
  if (text == "[]") return out;  // most conversations: no parse
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array())
    if (e.is_string()) out.emplace_back(e.as_string());
  return out;
}

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::optional<int64_t> to_i64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A LIKE pattern (escape '!') for `LOWER(column) LIKE pattern` that finds `text` anywhere, ignoring
// ASCII case only. SQLite's LIKE ignores ASCII case by itself; on PostgreSQL, LOWER() of a
// COLLATE "C" column folds ASCII only, so both dialects match the same rows.
std::string contains_pattern(std::string_view text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '!') p += '!';
    p += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  p += '%';
  return p;
}

// LIKE pattern matching a JSON-quoted tag inside the tags array text.
std::string tag_pattern(const std::string& tag) { return contains_pattern(bj::serialize(bj::value(tag))); }

// ---- tenants, agents, sessions, tokens -----------------------------------------------------

constexpr Stmt kCreateTenant{"tenants.create",
                             "INSERT INTO tenants(id, name, created_at) VALUES ($1, $2, $3)"};
constexpr Stmt kTenantExists{"tenants.exists", "SELECT 1 FROM tenants WHERE id = $1"};
constexpr Stmt kCreateAgent{
    "agents.create",
    "INSERT INTO agents(id, tenant_id, email, name, role, password_hash, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"};
#define AGENT_COLS "id, tenant_id, email, name, role, password_hash"
constexpr Stmt kAgentByEmail{"agents.by_email", "SELECT " AGENT_COLS " FROM agents WHERE email = $1"};
constexpr Stmt kAgentById{"agents.get",
                          "SELECT " AGENT_COLS " FROM agents WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kAgentList{"agents.list",
                          "SELECT " AGENT_COLS " FROM agents WHERE tenant_id = $1 ORDER BY email"};
constexpr Stmt kAgentSetPassword{
    "agents.set_password",
    "UPDATE agents SET password_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2"};

AgentWithHash agent_from(const Row& r) {
  AgentWithHash a;
  a.agent.id = r.str(0);
  a.agent.tenant_id = r.str(1);
  a.agent.email = r.str(2);
  a.agent.name = r.str(3);
  a.agent.role = role_from(r.str(4)).value_or(Role::agent);
  a.password_hash = r.str(5);
  return a;
}

constexpr Stmt kCreateSession{
    "sessions.create",
    "INSERT INTO sessions(id_hash, tenant_id, agent_id, csrf_token, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Stmt kFindSession{
    "sessions.find",
    "SELECT s.tenant_id, s.agent_id, s.csrf_token, a.role FROM sessions s "
    "JOIN agents a ON a.id = s.agent_id AND a.tenant_id = s.tenant_id "
    "WHERE s.id_hash = $1 AND s.expires_at > $2"};
constexpr Stmt kDeleteSession{"sessions.delete", "DELETE FROM sessions WHERE id_hash = $1"};
constexpr Stmt kDeleteAgentSessions{"sessions.delete_agent",
                                    "DELETE FROM sessions WHERE tenant_id = $1 AND agent_id = $2"};
constexpr Stmt kCreateToken{
    "api_tokens.create",
    "INSERT INTO api_tokens(id, tenant_id, token_hash, name, role, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Stmt kFindToken{
    "api_tokens.find",
    "SELECT id, tenant_id, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"};

// ---- channels ------------------------------------------------------------------------------
constexpr Stmt kCreateChannel{
    "channels.create",
    "INSERT INTO channels(id, tenant_id, type, name, settings, created_at) VALUES ($1,$2,$3,$4,$5,$6)"};
#define CHANNEL_COLS "id, tenant_id, type, name, settings, created_at"
constexpr Stmt kGetChannel{"channels.get",
                           "SELECT " CHANNEL_COLS " FROM channels WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kFindChannel{"channels.find", "SELECT " CHANNEL_COLS " FROM channels WHERE id = $1"};
constexpr Stmt kListChannels{
    "channels.list", "SELECT " CHANNEL_COLS " FROM channels WHERE tenant_id = $1 ORDER BY created_at, id"};

Channel channel_from(const Row& r) {
  return Channel{r.str(0), r.str(1), r.str(2), r.str(3), r.str(4), r.i64(5)};
}

// ---- contacts, visitors --------------------------------------------------------------------
constexpr Stmt kCreateContact{
    "contacts.create",
    "INSERT INTO contacts(id, tenant_id, name, email, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5)"};
constexpr Stmt kCreateVisitor{
    "visitors.create",
    "INSERT INTO visitors(token_hash, id, tenant_id, channel_id, contact_id, created_at) "
    "VALUES ($1,$2,$3,$4,$5,$6)"};
constexpr Stmt kFindVisitor{
    "visitors.find", "SELECT id, tenant_id, channel_id, contact_id FROM visitors WHERE token_hash = $1"};

// ---- conversations -------------------------------------------------------------------------
constexpr Stmt kCreateConversation{
    "conversations.create",
    "INSERT INTO conversations(id, tenant_id, channel_id, contact_id, status, priority, assignee_id, "
    "tags, subject, last_message_at, created_at, updated_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING seq"};
// The columns conversation_from reads, in its order.
#define CONV_COLS                                                                                \
  "c.seq, c.id, c.tenant_id, c.channel_id, ch.type, c.contact_id, ct.name, c.status, "           \
  "c.priority, c.assignee_id, c.tags, c.subject, c.last_message_at, c.last_message_text, "       \
  "c.last_message_direction, c.last_message_author, c.first_response_at, c.created_at, "          \
  "c.updated_at, c.snoozed_until"
#define CONV_SELECT                                                                              \
  "SELECT " CONV_COLS " FROM conversations c JOIN channels ch ON ch.id = c.channel_id "          \
  "JOIN contacts ct ON ct.id = c.contact_id "
constexpr Stmt kGetConversation{"conversations.get",
                                CONV_SELECT "WHERE c.tenant_id = $1 AND c.id = $2"};
constexpr Stmt kActiveConversation{
    "conversations.active",
    // The newest unresolved one. MAX(seq) over the conversations_contact range, then a lookup by
    // seq: `ORDER BY c.seq DESC LIMIT 1` made SQLite sort the joined rows in a temporary b-tree on
    // every inbound message (EXPLAIN QUERY PLAN: USE TEMP B-TREE FOR ORDER BY).
    CONV_SELECT
    "WHERE c.tenant_id = $1 AND c.seq = (SELECT MAX(x.seq) FROM conversations x WHERE x.tenant_id = $1 "
    "AND x.contact_id = $2 AND x.channel_id = $3 AND x.status <> 'resolved')"};
constexpr Stmt kListConversations{
    "conversations.list",
    CONV_SELECT
    "WHERE c.tenant_id = $1 "
    "AND (CAST($2 AS TEXT) IS NULL OR c.status = $2) "
    "AND (CAST($3 AS TEXT) IS NULL OR c.channel_id = $3) "
    "AND (CAST($4 AS TEXT) IS NULL OR c.assignee_id = $4) "
    "AND (CAST($5 AS TEXT) IS NULL OR LOWER(c.tags) LIKE $5 ESCAPE '!') "
    "AND (CAST($10 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM conversation_teams tm WHERE tm.tenant_id = c.tenant_id "
    "     AND tm.conversation_id = c.id AND tm.team_id = $10)) "
    "AND (CAST($6 AS BIGINT) IS NULL OR c.priority < $6 "
    "     OR (c.priority = $6 AND c.last_message_at < $7) "
    "     OR (c.priority = $6 AND c.last_message_at = $7 AND c.seq < $8)) "
    "ORDER BY c.priority DESC, c.last_message_at DESC, c.seq DESC LIMIT $9"};
// The inbox order by priority score (service/priority.hpp, which must agree): explicit priority,
// channel and intent (from the tags) read live; value at stake and returning customer stored by the
// service listener (conversation_service.score_base, migration 60); plus 2 points per full minute
// the customer has waited, at most 240. $10 is "now" (a cursor keeps its own, so the pages of one
// walk agree).
#define SCORE_EXPR                                                                                 \
  "(c.priority + CASE WHEN ch.type = 'email' THEN 0 ELSE 20 END "                                   \
  "+ CASE WHEN LOWER(c.tags) LIKE '%\"presale\"%' THEN 400 "                                        \
  "WHEN LOWER(c.tags) LIKE '%\"order-status\"%' OR LOWER(c.tags) LIKE '%\"refund\"%' "            \
  "OR LOWER(c.tags) LIKE '%\"discount-issue\"%' OR LOWER(c.tags) LIKE '%\"policy\"%' "            \
  "OR LOWER(c.tags) LIKE '%\"human-request\"%' THEN 100 ELSE 0 END + COALESCE(s.score_base, 0) "    \
  "+ CASE WHEN s.waiting_since IS NULL OR CAST($10 AS BIGINT) <= s.waiting_since "                  \
  "THEN 0 WHEN CAST($10 AS BIGINT) - s.waiting_since >= 7200000 THEN 240 "                           \
  "ELSE ((CAST($10 AS BIGINT) - s.waiting_since) / 60000) * 2 END)"
constexpr Stmt kListConversationsByScore{
    "conversations.list_by_score",
    "SELECT " CONV_COLS ", " SCORE_EXPR " AS score FROM conversations c JOIN channels ch ON ch.id = c.channel_id "
    "JOIN contacts ct ON ct.id = c.contact_id "
    "LEFT JOIN conversation_service s ON s.tenant_id = c.tenant_id AND s.conversation_id = c.id "
    "WHERE c.tenant_id = $1 "
    "AND (CAST($2 AS TEXT) IS NULL OR c.status = $2) "
    "AND (CAST($3 AS TEXT) IS NULL OR c.channel_id = $3) "
    "AND (CAST($4 AS TEXT) IS NULL OR c.assignee_id = $4) "
    "AND (CAST($5 AS TEXT) IS NULL OR LOWER(c.tags) LIKE $5 ESCAPE '!') "
    "AND (CAST($11 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM conversation_teams tm WHERE tm.tenant_id = c.tenant_id "
    "     AND tm.conversation_id = c.id AND tm.team_id = $11)) "
    "AND (CAST($6 AS BIGINT) IS NULL OR " SCORE_EXPR " < $6 "
    "     OR (" SCORE_EXPR " = $6 AND c.last_message_at < $7) "
    "     OR (" SCORE_EXPR " = $6 AND c.last_message_at = $7 AND c.seq < $8)) "
    "ORDER BY score DESC, c.last_message_at DESC, c.seq DESC LIMIT $9"};
#undef SCORE_EXPR
constexpr Stmt kUpdateConversation{
    "conversations.update",
    "UPDATE conversations SET status = $3, priority = $4, assignee_id = $5, tags = $6, "
    "snoozed_until = $14, first_response_at = $7, last_message_at = $8, last_message_text = $9, "
    "last_message_direction = $10, last_message_author = $11, updated_at = $12, subject = $13 "
    "WHERE tenant_id = $1 AND id = $2"};

constexpr Stmt kTouchConversation{
    "conversations.touch_last_message",
    "UPDATE conversations SET last_message_at = $3, last_message_text = $4, last_message_direction = $5, "
    "last_message_author = $6, updated_at = $7 WHERE seq = $2 AND tenant_id = $1"};

Conversation conversation_from(const Row& r) {
  Conversation c;
  c.seq = r.i64(0);
  c.id = r.str(1);
  c.tenant_id = r.str(2);
  c.channel_id = r.str(3);
  c.channel_type = r.str(4);
  c.contact_id = r.str(5);
  c.contact_name = r.str(6);
  c.status = conversation_status_from(r.str(7)).value_or(ConversationStatus::open);
  c.priority = r.i64(8);
  c.assignee_id = r.opt_str(9);
  c.tags = tags_from_json(r.str(10));
  c.subject = r.opt_str(11);
  c.last_message_at = r.i64(12);
  c.last_message_text = r.opt_str(13);
  c.last_message_direction = r.opt_str(14);
  c.last_message_author = r.opt_str(15);
  c.first_response_at = r.opt_i64(16);
  c.created_at = r.i64(17);
  c.updated_at = r.i64(18);
  // A time left in the row of a conversation no longer snoozed means nothing (wake_snoozed).
  if (c.status == ConversationStatus::snoozed) c.snoozed_until = r.opt_i64(19);
  return c;
}

// ---- messages ------------------------------------------------------------------------------
constexpr Stmt kInsertMessage{
    "messages.insert",
    "INSERT INTO messages(id, tenant_id, conversation_id, direction, author_kind, author_id, kind, "
    "text, content, delivery_state, delivery_error, provider_message_id, created_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING seq"};
#define MSG_COLS                                                                               \
  "seq, id, tenant_id, conversation_id, direction, author_kind, author_id, kind, text, content, " \
  "delivery_state, delivery_error, provider_message_id, created_at"
constexpr Stmt kGetMessage{"messages.get",
                           "SELECT " MSG_COLS " FROM messages WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kListMessages{
    "messages.list",
    "SELECT " MSG_COLS " FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 "
    "AND ($4 = 1 OR kind <> 'note') ORDER BY seq LIMIT $5"};
constexpr Stmt kListContactMessages{
    "messages.list_contact",
    "SELECT m.seq, m.id, m.tenant_id, m.conversation_id, m.direction, m.author_kind, m.author_id, "
    "m.kind, m.text, m.content, m.delivery_state, m.delivery_error, m.provider_message_id, "
    "m.created_at FROM messages m JOIN conversations c ON c.id = m.conversation_id "
    "WHERE c.tenant_id = $1 AND c.contact_id = $2 AND m.tenant_id = $1 AND m.seq > $3 "
    "AND m.kind <> 'note' ORDER BY m.seq LIMIT $4"};
constexpr Stmt kListContactChannelMessages{
    "messages.list_contact_channel",
    "SELECT m.seq, m.id, m.tenant_id, m.conversation_id, m.direction, m.author_kind, m.author_id, "
    "m.kind, m.text, m.content, m.delivery_state, m.delivery_error, m.provider_message_id, "
    "m.created_at FROM messages m JOIN conversations c ON c.id = m.conversation_id "
    "WHERE c.tenant_id = $1 AND c.contact_id = $2 AND c.channel_id = $5 AND m.tenant_id = $1 AND m.seq > $3 "
    "AND m.kind <> 'note' ORDER BY m.seq LIMIT $4"};
constexpr Stmt kFindIdentity{
    "identities.find",
    "SELECT contact_id FROM contact_identities WHERE tenant_id = $1 AND channel_id = $2 AND external_id = $3"};
constexpr Stmt kCreateIdentity{
    "identities.create",
    "INSERT INTO contact_identities(tenant_id, channel_id, external_id, contact_id, created_at) "
    "VALUES ($1,$2,$3,$4,$5)"};
constexpr Stmt kExternalIdOf{
    "identities.external_id",
    "SELECT external_id FROM contact_identities WHERE tenant_id = $1 AND channel_id = $2 AND contact_id = $3 "
    "ORDER BY created_at LIMIT 1"};
constexpr Stmt kMessageByProviderId{
    "messages.by_provider_id",
    "SELECT " MSG_COLS " FROM messages WHERE tenant_id = $1 AND provider_message_id = $2 ORDER BY seq LIMIT 1"};
constexpr Stmt kOutboundBefore{
    "messages.outbound_before",
    "SELECT " MSG_COLS " FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'out' "
    "AND kind <> 'note' AND created_at <= $3 ORDER BY seq"};
constexpr Stmt kUpdateDelivery{
    "messages.update_delivery",
    "UPDATE messages SET delivery_state = $3, delivery_error = $4, provider_message_id = $5 "
    "WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kKeepEarly{
    "early_statuses.keep",
    "INSERT INTO early_statuses(tenant_id, provider_message_id, state, error, created_at) VALUES ($1,$2,$3,$4,$5) "
    "ON CONFLICT DO NOTHING"};
constexpr Stmt kEarlyFor{
    "early_statuses.for",
    "SELECT state, error FROM early_statuses WHERE tenant_id = $1 AND provider_message_id = $2 ORDER BY created_at"};
constexpr Stmt kDropEarly{"early_statuses.drop",
                          "DELETE FROM early_statuses WHERE tenant_id = $1 AND provider_message_id = $2"};
constexpr Stmt kPurgeEarly{"early_statuses.purge", "DELETE FROM early_statuses WHERE created_at < $1"};
constexpr Stmt kCountMessages{
    "messages.count", "SELECT COUNT(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2"};

Message message_from(const Row& r) {
  Message m;
  m.seq = r.i64(0);
  m.id = r.str(1);
  m.tenant_id = r.str(2);
  m.conversation_id = r.str(3);
  m.direction = r.str(4);
  m.author_kind = r.str(5);
  m.author_id = r.opt_str(6);
  m.kind = r.str(7);
  m.text = r.str(8);
  m.content_json = r.str(9);
  m.delivery_state = r.str(10);
  m.delivery_error = r.opt_str(11);
  m.provider_message_id = r.opt_str(12);
  m.created_at = r.i64(13);
  return m;
}

// ---- dedupe, outbox, kv --------------------------------------------------------------------
constexpr Stmt kInsertDedupe{
    "dedupe.insert",
    "INSERT INTO dedupe_keys(tenant_id, scope, key, ref, created_at) VALUES ($1,$2,$3,$4,$5) "
    "ON CONFLICT DO NOTHING"};
constexpr Stmt kFindDedupe{"dedupe.find",
                           "SELECT ref FROM dedupe_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3"};
constexpr Stmt kPurgeDedupe{"dedupe.purge", "DELETE FROM dedupe_keys WHERE created_at < $1"};

constexpr Stmt kAppendEvent{
    "events.append",
    "INSERT INTO events(id, tenant_id, type, conversation_id, contact_id, internal, payload, created_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING seq"};
#define EVENT_COLS "seq, id, tenant_id, type, conversation_id, internal, payload, created_at, contact_id"
constexpr Stmt kEventsAfter{"events.after",
                            "SELECT " EVENT_COLS " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"};
constexpr Stmt kTenantEventsAfter{
    "events.tenant_after",
    "SELECT " EVENT_COLS " FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
#define E_EVENT_COLS \
  "e.seq AS seq, e.id AS id, e.tenant_id AS tenant_id, e.type AS type, e.conversation_id AS conversation_id, " \
  "e.internal AS internal, e.payload AS payload, e.created_at AS created_at, e.contact_id AS contact_id"
// SQLite: contact_events up to contact_events_state's seq, the events table itself after it (a
// few thousand events at most: store/sqlite/sqlite_store.cpp adds them in chunks). PostgreSQL: the
// events_contact index (realtime migration 80 says why).
constexpr Stmt kContactEventsAfter{
    "events.contact_after",
    "SELECT " EVENT_COLS " FROM ("
    "SELECT * FROM (SELECT " E_EVENT_COLS " FROM contact_events c JOIN events e ON e.seq = c.seq "
    "WHERE c.tenant_id = $1 AND c.contact_id = $2 AND c.seq > $3 ORDER BY c.seq LIMIT $4) "
    "UNION ALL "
    "SELECT * FROM (SELECT " E_EVENT_COLS " FROM events e "
    "WHERE e.seq > MAX($3, (SELECT indexed_seq FROM contact_events_state WHERE id = 1)) "
    "AND e.tenant_id = $1 AND e.contact_id = $2 ORDER BY e.seq LIMIT $4)"
    ") ORDER BY seq LIMIT $4",
    "SELECT " EVENT_COLS " FROM events WHERE tenant_id = $1 AND contact_id = $2 AND seq > $3 "
    "ORDER BY seq LIMIT $4"};
#undef E_EVENT_COLS
constexpr Stmt kGetEvent{"events.get",
                         "SELECT " EVENT_COLS " FROM events WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kMaxEventSeq{"events.max_seq", "SELECT COALESCE(MAX(seq), 0) FROM events"};
constexpr Stmt kKvGet{"kv.get", "SELECT value FROM kv WHERE key = $1"};
constexpr Stmt kKvSet{"kv.set",
                      "INSERT INTO kv(key, value) VALUES ($1, $2) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"};

Event event_from(const Row& r) {
  Event e;
  e.seq = r.i64(0);
  e.id = r.str(1);
  e.tenant_id = r.str(2);
  e.type = r.str(3);
  e.conversation_id = r.str(4);
  e.internal = r.i64(5) != 0;
  e.payload_json = r.str(6);
  e.created_at_ms = r.i64(7);
  e.contact_id = r.str(8);
  return e;
}

// ---- jobs ----------------------------------------------------------------------------------
constexpr Stmt kEnqueueJob{
    "jobs.enqueue",
    "INSERT INTO jobs(id, tenant_id, kind, idempotency_key, payload, status, attempts, run_at, "
    "deadline_at, created_at, updated_at, order_key) VALUES ($1,$2,$3,$4,$5,'queued',0,$6,$7,$8,$8,$9) "
    "ON CONFLICT DO NOTHING"};
#define JOB_COLS "id, tenant_id, kind, idempotency_key, payload, status, attempts, run_at, deadline_at, last_error"
// On PostgreSQL several nodes claim concurrently: SKIP LOCKED passes over rows another claimer
// holds, and the row lock re-checks a row that changed meanwhile, so a job is leased once.
// A job with an order_key waits while an earlier job with the same key is queued or running (a
// conversation's sends leave in the order they were written, even when one is deferred or
// retried); a dead or done predecessor no longer holds it back.
#define CLAIM_JOBS(lock)                                                                     \
  "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, "          \
  "lease_until = CAST($2 AS BIGINT) + CAST($3 AS BIGINT), updated_at = $2 WHERE seq IN "     \
  "(SELECT c.seq FROM jobs c WHERE "                                                         \
  "((c.status = 'queued' AND c.run_at <= $2) OR (c.status = 'running' AND c.lease_until < $2)) " \
  "AND (c.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs p WHERE p.order_key = c.order_key " \
  "AND p.seq < c.seq AND p.status IN ('queued', 'running'))) "                               \
  "ORDER BY c.run_at LIMIT $4" lock ") RETURNING " JOB_COLS
constexpr Stmt kClaimJobs{"jobs.claim", CLAIM_JOBS(""), CLAIM_JOBS(" FOR UPDATE SKIP LOCKED")};
constexpr Stmt kCompleteJob{
    "jobs.complete",
    "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $4, "
    "last_error = NULL WHERE id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3"};
constexpr Stmt kFailJob{
    "jobs.fail",
    "UPDATE jobs SET status = CASE WHEN $5 > deadline_at THEN 'dead' ELSE 'queued' END, "
    "run_at = $5, last_error = $4, lease_owner = NULL, lease_until = NULL, updated_at = $6 "
    "WHERE id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3"};
constexpr Stmt kPurgeDoneJobs{"jobs.purge_done",
                               "DELETE FROM jobs WHERE status = 'done' AND updated_at < $1"};
constexpr Stmt kCountJobs{"jobs.count", "SELECT COUNT(*) FROM jobs WHERE status = $1"};
constexpr Stmt kGetJob{"jobs.get",
                       "SELECT " JOB_COLS " FROM jobs WHERE tenant_id = $1 AND kind = $2 AND idempotency_key = $3"};

Job job_from(const Row& r) {
  Job j;
  j.id = r.str(0);
  j.tenant_id = r.str(1);
  j.kind = r.str(2);
  j.idempotency_key = r.str(3);
  j.payload_json = r.str(4);
  j.status = r.str(5);
  j.attempts = r.i64(6);
  j.run_at = r.i64(7);
  j.deadline_at = r.i64(8);
  j.last_error = r.opt_str(9);
  return j;
}

// ---- idempotency ---------------------------------------------------------------------------
constexpr Stmt kFindIdem{
    "idempotency.find",
    "SELECT request_hash, status, body FROM idempotency_keys WHERE tenant_id = $1 AND key = $2"};
constexpr Stmt kInsertIdem{
    "idempotency.insert",
    "INSERT INTO idempotency_keys(tenant_id, key, request_hash, status, body, created_at) "
    "VALUES ($1,$2,$3,$4,$5,$6)"};
constexpr Stmt kPurgeIdem{"idempotency.purge", "DELETE FROM idempotency_keys WHERE created_at < $1"};

// ---- webhooks ------------------------------------------------------------------------------
constexpr Stmt kCreateEndpoint{
    "webhook_endpoints.create",
    "INSERT INTO webhook_endpoints(id, tenant_id, url, events, secret, created_at) VALUES ($1,$2,$3,$4,$5,$6)"};
#define ENDPOINT_COLS "id, tenant_id, url, events, secret, created_at"
constexpr Stmt kListEndpoints{
    "webhook_endpoints.list",
    "SELECT " ENDPOINT_COLS " FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id"};
constexpr Stmt kGetEndpoint{
    "webhook_endpoints.get",
    "SELECT " ENDPOINT_COLS " FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kInsertDelivery{
    "webhook_deliveries.insert",
    "INSERT INTO webhook_deliveries(id, tenant_id, endpoint_id, event_id, event_type, attempt, "
    "status_code, error, duration_ms, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING seq"};
constexpr Stmt kListDeliveries{
    "webhook_deliveries.list",
    "SELECT seq, id, tenant_id, endpoint_id, event_id, event_type, attempt, status_code, error, "
    "duration_ms, created_at FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 "
    "AND seq > $3 ORDER BY seq LIMIT $4"};

WebhookEndpoint endpoint_from(const Row& r) {
  return WebhookEndpoint{r.str(0), r.str(1), r.str(2), tags_from_json(r.str(3)), r.str(4), r.i64(5)};
}

}  // namespace

// ==== tenants, agents, sessions, tokens =====================================================

void create_tenant(Tx& tx, const std::string& id, const std::string& name, int64_t now) {
  tx.exec(kCreateTenant, {id, name, now});
}
bool tenant_exists(Tx& tx, const std::string& id) { return tx.query_one(kTenantExists, {id}).has_value(); }

void create_agent(Tx& tx, const Agent& a, const std::string& password_hash, int64_t now) {
  tx.exec(kCreateAgent,
          {a.id, a.tenant_id, a.email, a.name, std::string(to_string(a.role)), password_hash, now});
}
std::optional<AgentWithHash> find_agent_by_email(Tx& tx, const std::string& email) {
  auto r = tx.query_one(kAgentByEmail, {email});
  if (!r) return std::nullopt;
  return agent_from(*r);
}
std::optional<AgentWithHash> get_agent(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kAgentById, {tenant, id});
  if (!r) return std::nullopt;
  return agent_from(*r);
}
std::vector<Agent> list_agents(Tx& tx, const std::string& tenant) {
  std::vector<Agent> out;
  for (const auto& r : tx.query(kAgentList, {tenant})) out.push_back(agent_from(r).agent);
  return out;
}
void set_agent_password(Tx& tx, const std::string& tenant, const std::string& id,
                        const std::string& hash, int64_t now) {
  tx.exec(kAgentSetPassword, {tenant, id, hash, now});
}

void create_session(Tx& tx, const std::string& id_hash, const std::string& tenant,
                    const std::string& agent_id, const std::string& csrf, int64_t now,
                    int64_t expires_at) {
  tx.exec(kCreateSession, {id_hash, tenant, agent_id, csrf, now, expires_at});
}
std::optional<Principal> find_session(Tx& tx, const std::string& id_hash, int64_t now) {
  auto r = tx.query_one(kFindSession, {id_hash, now});
  if (!r) return std::nullopt;
  Principal p;
  p.tenant_id = r->str(0);
  p.agent_id = r->str(1);
  p.csrf_token = r->str(2);
  p.role = role_from(r->str(3)).value_or(Role::agent);
  p.via_cookie = true;
  return p;
}
void delete_session(Tx& tx, const std::string& id_hash) { tx.exec(kDeleteSession, {id_hash}); }
void delete_agent_sessions(Tx& tx, const std::string& tenant, const std::string& agent_id) {
  tx.exec(kDeleteAgentSessions, {tenant, agent_id});
}

void create_api_token(Tx& tx, const std::string& id, const std::string& tenant,
                      const std::string& token_hash, const std::string& name, Role role,
                      int64_t now) {
  tx.exec(kCreateToken, {id, tenant, token_hash, name, std::string(to_string(role)), now});
}
std::optional<Principal> find_api_token(Tx& tx, const std::string& token_hash) {
  auto r = tx.query_one(kFindToken, {token_hash});
  if (!r) return std::nullopt;
  Principal p;
  p.token_id = r->str(0);
  p.tenant_id = r->str(1);
  p.role = role_from(r->str(2)).value_or(Role::agent);
  return p;
}

// ==== channels ==============================================================================

void create_channel(Tx& tx, const Channel& c) {
  tx.exec(kCreateChannel, {c.id, c.tenant_id, c.type, c.name, c.settings_json, c.created_at});
}
std::optional<Channel> get_channel(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetChannel, {tenant, id});
  if (!r) return std::nullopt;
  return channel_from(*r);
}
std::optional<Channel> find_channel(Tx& tx, const std::string& id) {
  auto r = tx.query_one(kFindChannel, {id});
  if (!r) return std::nullopt;
  return channel_from(*r);
}
std::vector<Channel> list_channels(Tx& tx, const std::string& tenant) {
  std::vector<Channel> out;
  for (const auto& r : tx.query(kListChannels, {tenant})) out.push_back(channel_from(r));
  return out;
}

// ==== contacts, visitors ====================================================================

void create_contact(Tx& tx, const std::string& tenant, const std::string& id,
                    const std::string& name, const std::optional<std::string>& email, int64_t now) {
  tx.exec(kCreateContact, {id, tenant, name, opt(email), now});
}
void create_visitor(Tx& tx, const std::string& token_hash, const Visitor& v, int64_t now) {
  tx.exec(kCreateVisitor, {token_hash, v.id, v.tenant_id, v.channel_id, v.contact_id, now});
}
std::optional<Visitor> find_visitor(Tx& tx, const std::string& token_hash) {
  auto r = tx.query_one(kFindVisitor, {token_hash});
  if (!r) return std::nullopt;
  return Visitor{r->str(0), r->str(1), r->str(2), r->str(3)};
}

// ==== conversations, messages ===============================================================

void create_conversation(Tx& tx, Conversation& c) {
  auto r = tx.query_one(kCreateConversation,
                        {c.id, c.tenant_id, c.channel_id, c.contact_id,
                         std::string(to_string(c.status)), c.priority, opt(c.assignee_id),
                         tags_to_json(c.tags), opt(c.subject), c.last_message_at, c.created_at,
                         c.updated_at});
  c.seq = r ? r->i64(0) : 0;
}
std::optional<Conversation> get_conversation(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetConversation, {tenant, id});
  if (!r) return std::nullopt;
  return conversation_from(*r);
}
std::optional<Conversation> find_active_conversation(Tx& tx, const std::string& tenant,
                                                     const std::string& contact_id,
                                                     const std::string& channel_id) {
  auto r = tx.query_one(kActiveConversation, {tenant, contact_id, channel_id});
  if (!r) return std::nullopt;
  return conversation_from(*r);
}

ConversationPage list_conversations_by_score(Tx& tx, const std::string& tenant, const ConversationFilter& f,
                                             int64_t now_ms) {
  Value cp = nullptr, ct = nullptr, cs = nullptr;
  int64_t now = now_ms;
  if (f.cursor && !f.cursor->empty() && (*f.cursor)[0] == 's') {
    auto parts = split(std::string_view(*f.cursor).substr(1), '.');
    if (parts.size() == 4) {
      auto n = to_i64(parts[0]), p = to_i64(parts[1]), t = to_i64(parts[2]), s = to_i64(parts[3]);
      if (n && p && t && s) {
        now = *n;
        cp = *p;
        ct = *t;
        cs = *s;
      }
    }
  }
  Value tag = nullptr;
  if (f.tag) tag = tag_pattern(*f.tag);
  auto rows = tx.query(kListConversationsByScore, {tenant, opt(f.status), opt(f.channel_id), opt(f.assignee_id), tag,
                                                   cp, ct, cs, f.limit + 1, now, opt(f.team_id)});
  ConversationPage page;
  std::vector<int64_t> scores;
  for (const auto& r : rows) {
    page.items.push_back(conversation_from(r));
    scores.push_back(r.i64(20));
  }
  if (static_cast<int64_t>(page.items.size()) > f.limit) {
    page.items.pop_back();
    const auto& last = page.items.back();
    page.next_cursor = "s" + std::to_string(now) + "." + std::to_string(scores[page.items.size() - 1]) + "." +
                       std::to_string(last.last_message_at) + "." + std::to_string(last.seq);
  }
  return page;
}

ConversationPage list_conversations(Tx& tx, const std::string& tenant, const ConversationFilter& f) {
  Value cp = nullptr, ct = nullptr, cs = nullptr;
  if (f.cursor) {
    auto parts = split(*f.cursor, '.');
    if (parts.size() == 3) {
      auto p = to_i64(parts[0]), t = to_i64(parts[1]), s = to_i64(parts[2]);
      if (p && t && s) {
        cp = *p;
        ct = *t;
        cs = *s;
      }
    }
  }
  Value tag = nullptr;
  if (f.tag) tag = tag_pattern(*f.tag);
  auto rows = tx.query(kListConversations, {tenant, opt(f.status), opt(f.channel_id),
                                            opt(f.assignee_id), tag, cp, ct, cs, f.limit + 1, opt(f.team_id)});
  ConversationPage page;
  for (const auto& r : rows) page.items.push_back(conversation_from(r));
  if (static_cast<int64_t>(page.items.size()) > f.limit) {
    page.items.pop_back();
    const auto& last = page.items.back();
    page.next_cursor = std::to_string(last.priority) + "." + std::to_string(last.last_message_at) +
                       "." + std::to_string(last.seq);
  }
  return page;
}

void update_conversation(Tx& tx, const Conversation& c) {
  tx.exec(kUpdateConversation,
          {c.tenant_id, c.id, std::string(to_string(c.status)), c.priority, opt(c.assignee_id),
           tags_to_json(c.tags), opt(c.first_response_at), c.last_message_at,
           opt(c.last_message_text), opt(c.last_message_direction), opt(c.last_message_author),
           c.updated_at, opt(c.subject),
           c.status == ConversationStatus::snoozed ? opt(c.snoozed_until) : Value{}});
}

void touch_conversation_last_message(Tx& tx, const Conversation& c) {
  tx.exec(kTouchConversation, {c.tenant_id, c.seq, c.last_message_at, opt(c.last_message_text),
                               opt(c.last_message_direction), opt(c.last_message_author), c.updated_at});
}

void insert_message(Tx& tx, Message& m) {
  auto r = tx.query_one(kInsertMessage,
                        {m.id, m.tenant_id, m.conversation_id, m.direction, m.author_kind,
                         opt(m.author_id), m.kind, m.text, m.content_json, m.delivery_state,
                         opt(m.delivery_error), opt(m.provider_message_id), m.created_at});
  m.seq = r ? r->i64(0) : 0;
}
std::optional<Message> get_message(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetMessage, {tenant, id});
  if (!r) return std::nullopt;
  return message_from(*r);
}
MessagePage list_messages(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                          const std::optional<std::string>& cursor, int64_t limit,
                          bool include_internal) {
  int64_t after = 0;
  if (cursor) after = to_i64(*cursor).value_or(0);
  auto rows = tx.query(kListMessages, {tenant, conversation_id, after,
                                       int64_t{include_internal ? 1 : 0}, limit + 1});
  MessagePage page;
  for (const auto& r : rows) page.items.push_back(message_from(r));
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = std::to_string(page.items.back().seq);
  }
  return page;
}
MessagePage list_contact_messages(Tx& tx, const std::string& tenant, const std::string& contact_id,
                                  const std::optional<std::string>& cursor, int64_t limit,
                                  const std::string& channel_id) {
  int64_t after = cursor ? to_i64(*cursor).value_or(0) : 0;
  MessagePage page;
  auto rows = channel_id.empty() ? tx.query(kListContactMessages, {tenant, contact_id, after, limit + 1})
                                 : tx.query(kListContactChannelMessages, {tenant, contact_id, after, limit + 1, channel_id});
  for (const auto& r : rows)
    page.items.push_back(message_from(r));
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = std::to_string(page.items.back().seq);
  }
  return page;
}
std::optional<std::string> find_identity(Tx& tx, const std::string& tenant, const std::string& channel_id,
                                         const std::string& external_id) {
  auto r = tx.query_one(kFindIdentity, {tenant, channel_id, external_id});
  if (!r) return std::nullopt;
  return r->str(0);
}
void create_identity(Tx& tx, const std::string& tenant, const std::string& channel_id,
                     const std::string& external_id, const std::string& contact_id, int64_t now) {
  tx.exec(kCreateIdentity, {tenant, channel_id, external_id, contact_id, now});
}
std::optional<std::string> external_id_of(Tx& tx, const std::string& tenant, const std::string& channel_id,
                                          const std::string& contact_id) {
  auto r = tx.query_one(kExternalIdOf, {tenant, channel_id, contact_id});
  if (!r) return std::nullopt;
  return r->str(0);
}
std::optional<Message> find_message_by_provider_id(Tx& tx, const std::string& tenant,
                                                  const std::string& provider_message_id) {
  auto r = tx.query_one(kMessageByProviderId, {tenant, provider_message_id});
  if (!r) return std::nullopt;
  return message_from(*r);
}
std::vector<Message> outbound_messages_before(Tx& tx, const std::string& tenant,
                                              const std::string& conversation_id, int64_t at) {
  std::vector<Message> out;
  for (const auto& r : tx.query(kOutboundBefore, {tenant, conversation_id, at})) out.push_back(message_from(r));
  return out;
}
void update_message_delivery(Tx& tx, const Message& m) {
  tx.exec(kUpdateDelivery, {m.tenant_id, m.id, m.delivery_state, opt(m.delivery_error), opt(m.provider_message_id)});
}
void keep_early_status(Tx& tx, const std::string& tenant, const std::string& provider_message_id,
                       const std::string& state, const std::string& error, int64_t now) {
  tx.exec(kKeepEarly, {tenant, provider_message_id, state, error.empty() ? Value(nullptr) : Value(error), now});
}
int64_t purge_early_statuses(Tx& tx, int64_t older_than) { return tx.exec(kPurgeEarly, {older_than}); }
std::vector<EarlyStatus> take_early_statuses(Tx& tx, const std::string& tenant,
                                             const std::string& provider_message_id) {
  std::vector<EarlyStatus> out;
  for (const auto& r : tx.query(kEarlyFor, {tenant, provider_message_id})) out.push_back({r.str(0), r.str(1)});
  if (!out.empty()) tx.exec(kDropEarly, {tenant, provider_message_id});
  return out;
}
int64_t count_messages(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto r = tx.query_one(kCountMessages, {tenant, conversation_id});
  return r ? r->i64(0) : 0;
}

// ==== dedupe, outbox, kv ====================================================================

bool insert_dedupe(Tx& tx, const std::string& tenant, const std::string& scope,
                   const std::string& key, const std::string& ref, int64_t now,
                   std::string* ref_out) {
  if (tx.exec(kInsertDedupe, {tenant, scope, key, ref, now}) == 1) return true;
  if (ref_out) {
    auto r = tx.query_one(kFindDedupe, {tenant, scope, key});
    if (r) *ref_out = r->str(0);
  }
  return false;
}
int64_t purge_dedupe(Tx& tx, int64_t older_than) { return tx.exec(kPurgeDedupe, {older_than}); }

void append_event(Tx& tx, Event& e) {
  auto r = tx.query_one(kAppendEvent, {e.id, e.tenant_id, e.type,
                                       e.conversation_id.empty() ? Value(nullptr) : Value(e.conversation_id),
                                       e.contact_id.empty() ? Value(nullptr) : Value(e.contact_id),
                                       int64_t{e.internal ? 1 : 0}, e.payload_json, e.created_at_ms});
  e.seq = r ? r->i64(0) : 0;
}
std::vector<Event> events_after(Tx& tx, int64_t after_seq, int64_t limit) {
  std::vector<Event> out;
  for (const auto& r : tx.query(kEventsAfter, {after_seq, limit})) out.push_back(event_from(r));
  return out;
}
std::vector<Event> tenant_events_after(Tx& tx, const std::string& tenant, int64_t after_seq,
                                       int64_t limit) {
  std::vector<Event> out;
  for (const auto& r : tx.query(kTenantEventsAfter, {tenant, after_seq, limit}))
    out.push_back(event_from(r));
  return out;
}
std::vector<Event> contact_events_after(Tx& tx, const std::string& tenant,
                                        const std::string& contact_id, int64_t after_seq,
                                        int64_t limit) {
  std::vector<Event> out;
  for (const auto& r : tx.query(kContactEventsAfter, {tenant, contact_id, after_seq, limit}))
    out.push_back(event_from(r));
  return out;
}
int64_t max_event_seq(Tx& tx) {
  auto r = tx.query_one(kMaxEventSeq, {});
  return r ? r->i64(0) : 0;
}
std::optional<Event> get_event(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetEvent, {tenant, id});
  if (!r) return std::nullopt;
  return event_from(*r);
}
std::optional<std::string> kv_get(Tx& tx, const std::string& key) {
  auto r = tx.query_one(kKvGet, {key});
  if (!r) return std::nullopt;
  return r->str(0);
}
void kv_set(Tx& tx, const std::string& key, const std::string& value) { tx.exec(kKvSet, {key, value}); }

// ==== jobs ==================================================================================

bool enqueue_job(Tx& tx, const Job& j, int64_t now) {
  return tx.exec(kEnqueueJob, {j.id, j.tenant_id, j.kind, j.idempotency_key, j.payload_json,
                               j.run_at, j.deadline_at, now,
                               j.order_key.empty() ? Value{} : Value{j.order_key}}) == 1;
}
std::vector<Job> claim_jobs(Tx& tx, const std::string& owner, int64_t now, int64_t lease_ms,
                            int64_t limit) {
  std::vector<Job> out;
  for (const auto& r : tx.query(kClaimJobs, {owner, now, lease_ms, limit})) out.push_back(job_from(r));
  return out;
}
bool complete_job(Tx& tx, const std::string& id, const std::string& owner, int64_t attempts,
                  int64_t now) {
  return tx.exec(kCompleteJob, {id, owner, attempts, now}) == 1;
}
bool fail_job(Tx& tx, const std::string& id, const std::string& owner, int64_t attempts,
              const std::string& error, int64_t run_at, int64_t now) {
  return tx.exec(kFailJob, {id, owner, attempts, error, run_at, now}) == 1;
}
int64_t purge_done_jobs(Tx& tx, int64_t older_than) { return tx.exec(kPurgeDoneJobs, {older_than}); }
int64_t count_jobs(Tx& tx, const std::string& status) {
  auto r = tx.query_one(kCountJobs, {status});
  return r ? r->i64(0) : 0;
}
std::optional<Job> get_job(Tx& tx, const std::string& tenant, const std::string& kind,
                           const std::string& idempotency_key) {
  auto r = tx.query_one(kGetJob, {tenant, kind, idempotency_key});
  if (!r) return std::nullopt;
  return job_from(*r);
}

// ==== idempotency ===========================================================================

std::optional<IdempotentResponse> find_idempotency(Tx& tx, const std::string& tenant,
                                                   const std::string& key) {
  auto r = tx.query_one(kFindIdem, {tenant, key});
  if (!r) return std::nullopt;
  return IdempotentResponse{r->str(0), r->i64(1), r->str(2)};
}
void insert_idempotency(Tx& tx, const std::string& tenant, const std::string& key,
                        const IdempotentResponse& r, int64_t now) {
  tx.exec(kInsertIdem, {tenant, key, r.request_hash, r.status, r.body, now});
}
int64_t purge_idempotency(Tx& tx, int64_t older_than) { return tx.exec(kPurgeIdem, {older_than}); }

// ==== webhooks ==============================================================================

void create_endpoint(Tx& tx, const WebhookEndpoint& e) {
  tx.exec(kCreateEndpoint, {e.id, e.tenant_id, e.url, tags_to_json(e.events), e.secret, e.created_at});
}
std::vector<WebhookEndpoint> list_endpoints(Tx& tx, const std::string& tenant) {
  std::vector<WebhookEndpoint> out;
  for (const auto& r : tx.query(kListEndpoints, {tenant})) out.push_back(endpoint_from(r));
  return out;
}
std::optional<WebhookEndpoint> get_endpoint(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetEndpoint, {tenant, id});
  if (!r) return std::nullopt;
  return endpoint_from(*r);
}
void insert_delivery(Tx& tx, WebhookDelivery& d) {
  auto r = tx.query_one(kInsertDelivery, {d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type,
                                          d.attempt, opt(d.status_code), opt(d.error), d.duration_ms,
                                          d.created_at});
  d.seq = r ? r->i64(0) : 0;
}
std::vector<WebhookDelivery> list_deliveries(Tx& tx, const std::string& tenant,
                                             const std::string& endpoint_id, int64_t after_seq,
                                             int64_t limit) {
  std::vector<WebhookDelivery> out;
  for (const auto& r : tx.query(kListDeliveries, {tenant, endpoint_id, after_seq, limit})) {
    WebhookDelivery d;
    d.seq = r.i64(0);
    d.id = r.str(1);
    d.tenant_id = r.str(2);
    d.endpoint_id = r.str(3);
    d.event_id = r.str(4);
    d.event_type = r.str(5);
    d.attempt = r.i64(6);
    d.status_code = r.opt_i64(7);
    d.error = r.opt_str(8);
    d.duration_ms = r.i64(9);
    d.created_at = r.i64(10);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace bottega::repo
