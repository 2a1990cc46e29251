#include "bot/bot_repo.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>

#include "core/model.hpp"

namespace bottega::bot::repo {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

std::string json_list(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& x : v) a.emplace_back(x);
  return bj::serialize(a);
}

std::vector<std::string> parse_list(const std::string& s) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = bj::parse(s, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& x : v.as_array())
    if (x.is_string()) out.emplace_back(x.as_string());
  return out;
}

const Stmt kUpsertEntry{"bot.upsert_entry",
    "INSERT INTO kb_entries (tenant_id, id, language, questions, answer, tags, product_ids, created_at, updated_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) ON CONFLICT (tenant_id, id) DO UPDATE SET language = excluded.language, "
    "questions = excluded.questions, answer = excluded.answer, tags = excluded.tags, "
    "product_ids = excluded.product_ids, updated_at = excluded.updated_at"};
const Stmt kEntryIds{"bot.entry_ids", "SELECT id FROM kb_entries WHERE tenant_id = $1"};
const Stmt kDeleteEntry{"bot.delete_entry", "DELETE FROM kb_entries WHERE tenant_id = $1 AND id = $2"};
const Stmt kEntryExists{"bot.entry_exists", "SELECT 1 FROM kb_entries WHERE tenant_id = $1 AND id = $2"};
const Stmt kLoadEntries{"bot.load_entries",
    "SELECT id, language, questions, answer, tags, product_ids FROM kb_entries WHERE tenant_id = $1 ORDER BY id"};
const Stmt kCountEntries{"bot.count_entries", "SELECT COUNT(*) FROM kb_entries WHERE tenant_id = $1"};
const Stmt kEnsureSettings{"bot.ensure_settings",
    "INSERT INTO bot_settings (tenant_id, updated_at) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING"};
const Stmt kBumpVersion{"bot.bump_version",
    "UPDATE bot_settings SET kb_version = kb_version + 1, updated_at = $2 WHERE tenant_id = $1"};
const Stmt kGetSettings{"bot.get_settings",
    "SELECT kb_version, threshold_milli, settings FROM bot_settings WHERE tenant_id = $1"};
const Stmt kPutSettings{"bot.put_settings",
    "UPDATE bot_settings SET threshold_milli = $2, settings = $3, updated_at = $4 WHERE tenant_id = $1"};
const Stmt kChannelEnabled{"bot.channel_enabled",
    "SELECT enabled FROM bot_channels WHERE tenant_id = $1 AND channel_id = $2"};
const Stmt kSetChannel{"bot.set_channel",
    "INSERT INTO bot_channels (tenant_id, channel_id, enabled, updated_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (tenant_id, channel_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at"};
const Stmt kGetState{"bot.get_state",
    "SELECT state FROM bot_conversations WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kPutState{"bot.put_state",
    "INSERT INTO bot_conversations (tenant_id, conversation_id, state, updated_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"};
const Stmt kTurnExists{"bot.turn_exists", "SELECT 1 FROM bot_turns WHERE tenant_id = $1 AND message_id = $2"};
const Stmt kInsertTurn{"bot.insert_turn",
    "INSERT INTO bot_turns (id, tenant_id, conversation_id, message_id, language, intent, entry_id, score_milli, "
    "outcome, reason, reply_message_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING seq"};
const Stmt kListTurns{"bot.list_turns",
    "SELECT seq, id, tenant_id, conversation_id, message_id, language, intent, entry_id, score_milli, outcome, "
    "reason, reply_message_id, created_at FROM bot_turns WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 "
    "ORDER BY seq LIMIT $4"};
const Stmt kQueue{"bot.queue_length",
    "SELECT COUNT(*) FROM conversations WHERE tenant_id = $1 AND status = 'open' AND assignee_id IS NULL"};

Value opt(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

bj::object amounts_json(const std::map<std::string, int64_t>& m) {
  bj::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

ImportCounts import_entries(Tx& tx, const std::string& tenant, const KbImport& in, int64_t now) {
  ImportCounts c;
  std::set<std::string> existing;
  for (const auto& r : tx.query(kEntryIds, {tenant})) existing.insert(r.str(0));
  std::set<std::string> incoming;
  for (const auto& e : in.entries) {
    incoming.insert(e.id);
    (existing.count(e.id) ? c.updated : c.created)++;
    tx.exec(kUpsertEntry, {tenant, e.id, e.language, json_list(e.questions), e.answer, json_list(e.tags),
                           json_list(e.product_ids), now});
  }
  if (in.replace)
    for (const auto& id : existing)
      if (!incoming.count(id)) {
        tx.exec(kDeleteEntry, {tenant, id});
        ++c.deleted;
      }
  tx.exec(kEnsureSettings, {tenant, now});
  tx.exec(kBumpVersion, {tenant, now});
  c.total = count_entries(tx, tenant);
  return c;
}

std::vector<KbEntry> load_entries(Tx& tx, const std::string& tenant) {
  std::vector<KbEntry> out;
  for (const auto& r : tx.query(kLoadEntries, {tenant}))
    out.push_back(KbEntry{r.str(0), r.str(1), parse_list(r.str(2)), r.str(3), parse_list(r.str(4)), parse_list(r.str(5))});
  return out;
}

bool delete_entry(Tx& tx, const std::string& tenant, const std::string& id, int64_t now) {
  if (!tx.query_one(kEntryExists, {tenant, id})) return false;
  tx.exec(kDeleteEntry, {tenant, id});
  tx.exec(kEnsureSettings, {tenant, now});
  tx.exec(kBumpVersion, {tenant, now});
  return true;
}

int64_t count_entries(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kCountEntries, {tenant});
  return r ? r->i64(0) : 0;
}

Settings get_settings(Tx& tx, const std::string& tenant) {
  Settings s;
  auto r = tx.query_one(kGetSettings, {tenant});
  if (!r) return s;
  s.kb_version = r->i64(0);
  s.threshold = static_cast<double>(r->i64(1)) / 1000.0;
  boost::system::error_code ec;
  auto v = bj::parse(r->str(2), ec);
  if (ec || !v.is_object()) return s;
  const auto& o = v.as_object();
  if (auto it = o.find("default_language"); it != o.end() && it->value().is_string())
    s.default_language = std::string(it->value().as_string());
  if (auto it = o.find("handle_minutes"); it != o.end() && it->value().is_int64())
    s.handle_minutes = it->value().as_int64();
  for (auto [key, field] : {std::pair{"cart_handoff_over", &s.cart_handoff_over}, std::pair{"auto_refund_up_to", &s.auto_refund_up_to}})
    if (auto it = o.find(key); it != o.end() && it->value().is_object())
      for (const auto& kv : it->value().as_object())
        if (kv.value().is_int64()) (*field)[std::string(kv.key())] = kv.value().as_int64();
  return s;
}

void put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now) {
  tx.exec(kEnsureSettings, {tenant, now});
  bj::object o{{"default_language", s.default_language}, {"handle_minutes", s.handle_minutes},
               {"cart_handoff_over", amounts_json(s.cart_handoff_over)},
               {"auto_refund_up_to", amounts_json(s.auto_refund_up_to)}};
  tx.exec(kPutSettings, {tenant, static_cast<int64_t>(std::lround(s.threshold * 1000)), bj::serialize(o), now});
}

bj::object to_json(const Settings& s) {
  return bj::object{{"threshold", s.threshold}, {"default_language", s.default_language},
                    {"handle_minutes", s.handle_minutes},
                    {"cart_handoff_over", amounts_json(s.cart_handoff_over)},
                    {"auto_refund_up_to", amounts_json(s.auto_refund_up_to)}, {"kb_version", s.kb_version}};
}

std::optional<bool> channel_enabled(Tx& tx, const std::string& tenant, const std::string& channel_id) {
  auto r = tx.query_one(kChannelEnabled, {tenant, channel_id});
  if (!r) return std::nullopt;
  return r->i64(0) != 0;
}

void set_channel_enabled(Tx& tx, const std::string& tenant, const std::string& channel_id, bool on, int64_t now) {
  tx.exec(kSetChannel, {tenant, channel_id, int64_t{on ? 1 : 0}, now});
}

BotState get_state(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto r = tx.query_one(kGetState, {tenant, conversation_id});
  if (!r) return {};
  return bot_state_from_json(r->str(0));
}

void put_state(Tx& tx, const std::string& tenant, const std::string& conversation_id, const BotState& s, int64_t now) {
  tx.exec(kPutState, {tenant, conversation_id, bj::serialize(to_json(s)), now});
}

bool turn_exists(Tx& tx, const std::string& tenant, const std::string& message_id) {
  return tx.query_one(kTurnExists, {tenant, message_id}).has_value();
}

void insert_turn(Tx& tx, Turn& t) {
  auto r = tx.query_one(kInsertTurn, {t.id, t.tenant_id, t.conversation_id, t.message_id, t.language, t.intent,
                                      opt(t.entry_id), t.score_milli, t.outcome, opt(t.reason),
                                      opt(t.reply_message_id), t.created_at});
  if (r) t.seq = r->i64(0);
}

std::vector<Turn> list_turns(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                             int64_t after_seq, int64_t limit) {
  std::vector<Turn> out;
  for (const auto& r : tx.query(kListTurns, {tenant, conversation_id, after_seq, limit})) {
    Turn t;
    t.seq = r.i64(0);
    t.id = r.str(1);
    t.tenant_id = r.str(2);
    t.conversation_id = r.str(3);
    t.message_id = r.str(4);
    t.language = r.str(5);
    t.intent = r.str(6);
    t.entry_id = r.str(7);
    t.score_milli = r.i64(8);
    t.outcome = r.str(9);
    t.reason = r.str(10);
    t.reply_message_id = r.str(11);
    t.created_at = r.i64(12);
    out.push_back(std::move(t));
  }
  return out;
}

bj::object to_json(const Turn& t) {
  auto opt_v = [](const std::string& s) -> bj::value { return s.empty() ? bj::value(nullptr) : bj::value(s); };
  return bj::object{{"id", t.id},
                    {"conversation_id", t.conversation_id},
                    {"message_id", t.message_id},
                    {"language", t.language},
                    {"intent", t.intent},
                    {"entry_id", opt_v(t.entry_id)},
                    {"score", static_cast<double>(t.score_milli) / 1000.0},
                    {"outcome", t.outcome},
                    {"reason", opt_v(t.reason)},
                    {"reply_message_id", opt_v(t.reply_message_id)},
                    {"created_at", rfc3339(t.created_at)}};
}

int64_t queue_length(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kQueue, {tenant});
  return r ? r->i64(0) : 0;
}

}  // namespace bottega::bot::repo
