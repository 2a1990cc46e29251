// The service area's SQL (tables of service_migrations.cpp). Every query is tenant-scoped except
// the breach scan, which walks due rows of every tenant and carries each row's tenant on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bottega/store.hpp"

namespace bottega::service::repo {

using store::Tx;

std::optional<std::string> get_settings(Tx& tx, const std::string& tenant);
void put_settings(Tx& tx, const std::string& tenant, const std::string& settings_json, int64_t now);

struct ConvState {
  std::string tenant_id, conversation_id, status, level;
  int64_t score_base = 0;
  std::string score_detail = "[]";  // the base's components, JSON
  std::optional<int64_t> waiting_since;
  bool person_replied = false;
  int64_t opened_at = 0;
  std::optional<int64_t> first_response_due, next_response_due, resolution_due, next_due_at;
  int64_t updated_at = 0;
};
// Whether two states hold the same stored values, updated_at aside (the listener skips writing a
// state that did not change).
bool same_state(const ConvState& a, const ConvState& b);
std::optional<ConvState> get_state(Tx& tx, const std::string& tenant, const std::string& conversation_id);

// What the listener's recompute reads of a conversation (no contact join).
struct ConvBrief {
  std::string status, contact_id, channel_type, tags_json;
  int64_t priority = 0, created_at = 0;
};
// Everything but the replies recompute reads, in one statement: the conversation's brief, its
// stored state (none yet: nullopt), whether its contact has a paid (or later) order and the value of
// the contact's open carts (minor units).
// nullopt when the tenant has no such conversation.
struct RecomputeInputs {
  ConvBrief brief;
  std::optional<ConvState> state;
  bool returning = false;
  int64_t cart_value_minor = 0;
};
std::optional<RecomputeInputs> recompute_inputs(Tx& tx, const std::string& tenant, const std::string& conversation_id);
void put_state(Tx& tx, const ConvState& s);
// Rows with a due time at or before `now` (every tenant), oldest first.
std::vector<ConvState> due_states(Tx& tx, int64_t now, int64_t limit);
void set_next_due(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                  const std::optional<int64_t>& next_due_at);
// Conversations of the tenant that are not resolved (for a settings change).
std::vector<std::string> active_conversation_ids(Tx& tx, const std::string& tenant, int64_t limit);
// One contact's conversations that are not resolved, newest first.
std::vector<std::string> contact_active_conversation_ids(Tx& tx, const std::string& tenant, const std::string& contact_id,
                                                         int64_t limit);

// waiting_since: when the customer's oldest message not yet answered was written (the first
// inbound message after the last public reply by a person, or by the bot when that reply was not a
// handover); nullopt when nothing is waiting. person_replied: a person has replied publicly.
// Two index descents, whatever the conversation's length (core migration 7).
struct ReplyState {
  std::optional<int64_t> waiting_since;  // stop and start words left out: they need no answer
  bool person_replied = false;
  bool only_opt_words = false;  // the customer wrote only stop/start words here (no SLA at all)
};
ReplyState reply_state(Tx& tx, const std::string& tenant, const std::string& conversation_id);
std::optional<int64_t> waiting_since(Tx& tx, const std::string& tenant, const std::string& conversation_id);
bool person_replied(Tx& tx, const std::string& tenant, const std::string& conversation_id);

struct Breach {
  std::string target;
  int64_t due_at = 0, breached_at = 0;
  std::string level, event_id;
};
// Records a breach; false when this (conversation, target, due time) was recorded before.
bool insert_breach(Tx& tx, const std::string& tenant, const std::string& conversation_id, const Breach& b);
std::vector<Breach> breaches(Tx& tx, const std::string& tenant, const std::string& conversation_id);
bool breached(Tx& tx, const std::string& tenant, const std::string& conversation_id, const std::string& target,
              int64_t due_at);

}  // namespace bottega::service::repo
