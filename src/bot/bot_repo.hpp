// The bot's rows: knowledge-base entries, per-tenant settings, per-channel switches, per-conversation
// state and the turn log. Every query takes the tenant.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/engine.hpp"
#include "bot/kb.hpp"
#include "bottega/store.hpp"

namespace bottega::bot::repo {

using store::Tx;

struct ImportCounts {
  int64_t created = 0, updated = 0, deleted = 0, total = 0;
};
// Upserts the entries (by id) and, with replace, deletes the tenant's other entries; bumps the
// tenant's kb_version so every process rebuilds its index.
ImportCounts import_entries(Tx& tx, const std::string& tenant, const KbImport& in, int64_t now);
std::vector<KbEntry> load_entries(Tx& tx, const std::string& tenant);  // ordered by id
int64_t count_entries(Tx& tx, const std::string& tenant);
// Deletes one entry (the index is rebuilt on the next message: kb_version is bumped). False when
// the shop has no entry with that id.
bool delete_entry(Tx& tx, const std::string& tenant, const std::string& id, int64_t now);

struct Settings {
  int64_t kb_version = 0;
  double threshold = 0.5;           // answer at or above
  std::string default_language = "en";
  int64_t handle_minutes = 10;      // average minutes an agent needs per conversation
  // Currency -> minor units. A cart whose total reaches cart_handoff_over goes to a person; a
  // refund up to auto_refund_up_to is started by the bot itself (payments' guardrails apply).
  // Empty: never.
  std::map<std::string, int64_t> cart_handoff_over, auto_refund_up_to;
};
Settings get_settings(Tx& tx, const std::string& tenant);
void put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now);
boost::json::object to_json(const Settings& s);

// nullopt: no explicit setting (the bot is on when the knowledge base has entries).
std::optional<bool> channel_enabled(Tx& tx, const std::string& tenant, const std::string& channel_id);
void set_channel_enabled(Tx& tx, const std::string& tenant, const std::string& channel_id, bool on, int64_t now);

BotState get_state(Tx& tx, const std::string& tenant, const std::string& conversation_id);
void put_state(Tx& tx, const std::string& tenant, const std::string& conversation_id, const BotState& s, int64_t now);

struct Turn {
  std::string id, tenant_id, conversation_id, message_id, language, intent, entry_id, outcome, reason,
      reply_message_id;
  int64_t score_milli = 0, created_at = 0, seq = 0;
};
bool turn_exists(Tx& tx, const std::string& tenant, const std::string& message_id);
void insert_turn(Tx& tx, Turn& t);
std::vector<Turn> list_turns(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                             int64_t after_seq, int64_t limit);
boost::json::object to_json(const Turn& t);

// Conversations waiting for a person: open and unassigned.
int64_t queue_length(Tx& tx, const std::string& tenant);

}  // namespace bottega::bot::repo
