// Repository functions: the only place SQL lives. Each takes the transaction and, for tenant data,
// the tenant id; a row of another tenant is never returned (callers answer 404). SQL is written
// once for both dialects with $1..$N placeholders. Functions throw DbError on database failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"

namespace bottega::repo {

using store::Tx;

// ---- tenants, agents, sessions, API tokens -------------------------------------------------
void create_tenant(Tx& tx, const std::string& id, const std::string& name, int64_t now);
bool tenant_exists(Tx& tx, const std::string& id);
// Conflict (DbError unique_violation) when the email is taken.
void create_agent(Tx& tx, const Agent& a, const std::string& password_hash, int64_t now);
struct AgentWithHash {
  Agent agent;
  std::string password_hash;
};
std::optional<AgentWithHash> find_agent_by_email(Tx& tx, const std::string& email);
std::optional<AgentWithHash> get_agent(Tx& tx, const std::string& tenant, const std::string& id);
std::vector<Agent> list_agents(Tx& tx, const std::string& tenant);
void set_agent_password(Tx& tx, const std::string& tenant, const std::string& id,
                        const std::string& hash, int64_t now);

void create_session(Tx& tx, const std::string& id_hash, const std::string& tenant,
                    const std::string& agent_id, const std::string& csrf, int64_t now,
                    int64_t expires_at);
std::optional<Principal> find_session(Tx& tx, const std::string& id_hash, int64_t now);
void delete_session(Tx& tx, const std::string& id_hash);
void delete_agent_sessions(Tx& tx, const std::string& tenant, const std::string& agent_id);

void create_api_token(Tx& tx, const std::string& id, const std::string& tenant,
                      const std::string& token_hash, const std::string& name, Role role,
                      int64_t now);
std::optional<Principal> find_api_token(Tx& tx, const std::string& token_hash);

// ---- channels ------------------------------------------------------------------------------
void create_channel(Tx& tx, const Channel& c);
std::optional<Channel> get_channel(Tx& tx, const std::string& tenant, const std::string& id);
// By id alone: for public entry points (webhooks, web chat) where the channel id is what the
// caller presents and the tenant follows from it.
std::optional<Channel> find_channel(Tx& tx, const std::string& id);
std::vector<Channel> list_channels(Tx& tx, const std::string& tenant);

// ---- contacts, visitors --------------------------------------------------------------------
void create_contact(Tx& tx, const std::string& tenant, const std::string& id,
                    const std::string& name, const std::optional<std::string>& email, int64_t now);
struct Visitor {
  std::string id, tenant_id, channel_id, contact_id;
};
void create_visitor(Tx& tx, const std::string& token_hash, const Visitor& v, int64_t now);
std::optional<Visitor> find_visitor(Tx& tx, const std::string& token_hash);

// ---- channel identities: a contact's id on a provider channel (wa_id, PSID, chat id, phone) ----
std::optional<std::string> find_identity(Tx& tx, const std::string& tenant, const std::string& channel_id,
                                         const std::string& external_id);
void create_identity(Tx& tx, const std::string& tenant, const std::string& channel_id,
                     const std::string& external_id, const std::string& contact_id, int64_t now);
std::optional<std::string> external_id_of(Tx& tx, const std::string& tenant, const std::string& channel_id,
                                          const std::string& contact_id);

// ---- conversations and messages ------------------------------------------------------------
void create_conversation(Tx& tx, Conversation& c);  // sets c.seq
std::optional<Conversation> get_conversation(Tx& tx, const std::string& tenant, const std::string& id);
// A conversation's stored tags column (a JSON array of strings) as a list; [] for anything else.
std::vector<std::string> tags_from_json(const std::string& text);
// The contact's latest conversation on that channel that is not resolved.
std::optional<Conversation> find_active_conversation(Tx& tx, const std::string& tenant,
                                                     const std::string& contact_id,
                                                     const std::string& channel_id);
struct ConversationFilter {
  std::optional<std::string> status, channel_id, assignee_id, tag;
  std::optional<std::string> team_id;  // conversations of a team (service migration 64, conversation_teams)
  std::optional<std::string> cursor;  // opaque, from a previous page
  int64_t limit = 50;
};
struct ConversationPage {
  std::vector<Conversation> items;
  std::optional<std::string> next_cursor;
};
ConversationPage list_conversations(Tx& tx, const std::string& tenant, const ConversationFilter& f);
// Writes status, priority, assignee, tags, snoozed_until (only while the status is snoozed: any
// other status clears it), first_response_at, last_message_* and updated_at of an existing
// conversation (same tenant).
void update_conversation(Tx& tx, const Conversation& c);
// Writes only c's last-message fields and updated_at (by seq): what a new inbound message changes
// when the status stays. Touches one index (the inbox order) instead of every conversation index.
void touch_conversation_last_message(Tx& tx, const Conversation& c);

void insert_message(Tx& tx, Message& m);  // sets m.seq
std::optional<Message> get_message(Tx& tx, const std::string& tenant, const std::string& id);
struct MessagePage {
  std::vector<Message> items;
  std::optional<std::string> next_cursor;
};
MessagePage list_messages(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                          const std::optional<std::string>& cursor, int64_t limit,
                          bool include_internal);
// Public messages (no internal notes) of every conversation of a contact (only those on
// `channel_id` when it is not empty), oldest first.
MessagePage list_contact_messages(Tx& tx, const std::string& tenant, const std::string& contact_id,
                                  const std::optional<std::string>& cursor, int64_t limit,
                                  const std::string& channel_id = "");
std::optional<Message> find_message_by_provider_id(Tx& tx, const std::string& tenant,
                                                  const std::string& provider_message_id);
// Outbound messages of a conversation sent at or before `at` that are not yet in `state` or past it.
std::vector<Message> outbound_messages_before(Tx& tx, const std::string& tenant,
                                              const std::string& conversation_id, int64_t at);
void update_message_delivery(Tx& tx, const Message& m);
// Statuses for a provider id no message carries yet (the provider's status outran our record of
// the send): kept, then applied when the send result names that id.
void keep_early_status(Tx& tx, const std::string& tenant, const std::string& provider_message_id,
                       const std::string& state, const std::string& error, int64_t now);
struct EarlyStatus {
  std::string state, error;
};
int64_t purge_early_statuses(Tx& tx, int64_t older_than);
std::vector<EarlyStatus> take_early_statuses(Tx& tx, const std::string& tenant,
                                             const std::string& provider_message_id);
int64_t count_messages(Tx& tx, const std::string& tenant, const std::string& conversation_id);

// ---- deduplication keys (provider ids, visitor client ids) ---------------------------------
// Records key in scope; false if it was already there (then *ref_out holds the first ref).
bool insert_dedupe(Tx& tx, const std::string& tenant, const std::string& scope,
                   const std::string& key, const std::string& ref, int64_t now,
                   std::string* ref_out = nullptr);
int64_t purge_dedupe(Tx& tx, int64_t older_than);

// ---- outbox --------------------------------------------------------------------------------
void append_event(Tx& tx, Event& e);  // sets e.seq
std::vector<Event> events_after(Tx& tx, int64_t after_seq, int64_t limit);
std::vector<Event> tenant_events_after(Tx& tx, const std::string& tenant, int64_t after_seq,
                                       int64_t limit);
std::vector<Event> contact_events_after(Tx& tx, const std::string& tenant,
                                        const std::string& contact_id, int64_t after_seq,
                                        int64_t limit);
int64_t max_event_seq(Tx& tx);
std::optional<Event> get_event(Tx& tx, const std::string& tenant, const std::string& id);
std::optional<std::string> kv_get(Tx& tx, const std::string& key);
void kv_set(Tx& tx, const std::string& key, const std::string& value);

// ---- durable jobs --------------------------------------------------------------------------
struct Job {
  std::string id, tenant_id, kind, idempotency_key, payload_json;
  std::string status = "queued";
  int64_t attempts = 0;
  int64_t run_at = 0, deadline_at = 0;
  std::optional<std::string> last_error;
  // Jobs with the same non-empty order_key run one at a time, in enqueue order (claim_jobs). Set
  // on enqueue only; not read back.
  std::string order_key;
};
// Inserts unless (tenant, kind, idempotency_key) exists; returns whether it was inserted.
bool enqueue_job(Tx& tx, const Job& j, int64_t now);
// Leases up to `limit` due jobs (queued and due, or running with an expired lease) to `owner`
// until now + lease_ms, incrementing attempts. Returns them.
std::vector<Job> claim_jobs(Tx& tx, const std::string& owner, int64_t now, int64_t lease_ms,
                            int64_t limit);
// Completion is fenced: it only applies while `owner` still holds the lease for `attempts`.
bool complete_job(Tx& tx, const std::string& id, const std::string& owner, int64_t attempts,
                  int64_t now);
// Schedules a retry at run_at, or marks the job dead when run_at is past its deadline.
bool fail_job(Tx& tx, const std::string& id, const std::string& owner, int64_t attempts,
              const std::string& error, int64_t run_at, int64_t now);
int64_t count_jobs(Tx& tx, const std::string& status);
// Deletes completed jobs last updated before `older_than` (dead ones are kept for inspection).
int64_t purge_done_jobs(Tx& tx, int64_t older_than);
std::optional<Job> get_job(Tx& tx, const std::string& tenant, const std::string& kind,
                           const std::string& idempotency_key);

// ---- idempotency keys ----------------------------------------------------------------------
struct IdempotentResponse {
  std::string request_hash;
  int64_t status = 0;
  std::string body;
};
std::optional<IdempotentResponse> find_idempotency(Tx& tx, const std::string& tenant,
                                                   const std::string& key);
void insert_idempotency(Tx& tx, const std::string& tenant, const std::string& key,
                        const IdempotentResponse& r, int64_t now);
int64_t purge_idempotency(Tx& tx, int64_t older_than);

// ---- merchant webhooks ---------------------------------------------------------------------
struct WebhookEndpoint {
  std::string id, tenant_id, url;
  std::vector<std::string> events;  // empty: all
  std::string secret;
  int64_t created_at = 0;
};
void create_endpoint(Tx& tx, const WebhookEndpoint& e);
std::vector<WebhookEndpoint> list_endpoints(Tx& tx, const std::string& tenant);
std::optional<WebhookEndpoint> get_endpoint(Tx& tx, const std::string& tenant, const std::string& id);
struct WebhookDelivery {
  std::string id, tenant_id, endpoint_id, event_id, event_type;
  int64_t attempt = 0;
  std::optional<int64_t> status_code;
  std::optional<std::string> error;
  int64_t duration_ms = 0, created_at = 0;
  int64_t seq = 0;
};
void insert_delivery(Tx& tx, WebhookDelivery& d);
std::vector<WebhookDelivery> list_deliveries(Tx& tx, const std::string& tenant,
                                             const std::string& endpoint_id, int64_t after_seq,
                                             int64_t limit);

}  // namespace bottega::repo
