// Domain operations. Each runs inside one write transaction (Store::write) and commits its state
// change together with the outbox events that describe it, so a listener never sees an event for
// a change that did not happen, and no committed change goes without its event.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bottega/channel.hpp"
#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"

namespace bottega::pipeline {

using store::Tx;

// Everything a service needs besides the transaction. Thread-safe collaborators only.
struct Env {
  const Clock& clock;
  IdGenerator& ids;
  std::function<void()> on_commit;  // wakes the dispatcher after a commit that emitted events
  std::function<void()> on_job;     // wakes the job runner after a commit that enqueued a job
  // When set, emit() hands each event to it after the commit (Dispatcher::offer: delivered from
  // memory, no outbox read) instead of calling on_commit.
  std::function<void(Event)> on_event{};
};

// Appends an event {"id","type","created_at","data":data} to the outbox.
Event emit(Tx& tx, Env& env, const std::string& tenant, std::string_view type,
           const std::string& conversation_id, const std::string& contact_id, bool internal,
           const boost::json::object& data);
// The same with data already serialized (one JSON value).
Event emit_json(Tx& tx, Env& env, const std::string& tenant, std::string_view type,
                const std::string& conversation_id, const std::string& contact_id, bool internal,
                std::string_view data_json);

// Queues the durable job that delivers an outbound message of a provider conversation: an
// "email.send" job (SMTP relay) for email, a "channel.send" job for every other provider channel.
// The conversation id is the job's order key, so a conversation's messages leave in order.
// REQUIRES: channel_type is not "webchat" (web chat delivers through the visitor's stream).
void queue_provider_send(Tx& tx, Env& env, const std::string& tenant, const std::string& conversation_id,
                         const std::string& channel_type, const std::string& message_id, int64_t now);

// ---- web chat visitors ---------------------------------------------------------------------
struct NewVisitor {
  std::string visitor_id, visitor_token;
};
// Creates a contact and a visitor identity on a web chat channel. The token is returned once and
// stored hashed.
Result<NewVisitor> create_visitor(Tx& tx, Env& env, const Channel& channel,
                                  const std::string& name, const std::optional<std::string>& email);

struct IngestResult {
  Message message;
  // The message's conversation: id, seq, tenant, channel (id, type), contact id, status and the
  // last-message fields always; every other field only when the message created or reopened it
  // or named it (Incoming::conversation_id), or was a duplicate (read whole from the store then).
  Conversation conversation;
  bool duplicate = false;  // the client id was seen before: the first message is returned
};
// What a customer sent, normalized.
struct Incoming {
  std::string text;
  std::string kind = "text";        // text | interactive_reply | media | location | ...
  std::string content_json = "{}";  // structured content for the kind
  std::optional<std::string> provider_message_id;
  int64_t at_ms = 0;                // the provider's timestamp (0: now)
  // Threading (email): the conversation this message belongs to (reopened when resolved or
  // snoozed), or a new conversation even if the contact has an active one. Neither: the contact's
  // active conversation on the channel, or a new one.
  std::optional<std::string> conversation_id{};
  bool new_conversation = false;
  std::optional<std::string> subject{};  // set on a conversation this message creates
};

// Stores a customer's message: finds the contact's active conversation on the channel or opens a
// new one, inserts the message, updates the conversation and emits message.created and
// conversation.created/updated. `client_id` (optional) deduplicates retries of the same message.
Result<IngestResult> ingest_contact_message(Tx& tx, Env& env, const std::string& tenant,
                                            const Channel& channel, const std::string& contact_id,
                                            const std::string& text,
                                            const std::optional<std::string>& client_id);
Result<IngestResult> ingest_contact_message(Tx& tx, Env& env, const std::string& tenant,
                                            const Channel& channel, const std::string& contact_id,
                                            const Incoming& in,
                                            const std::optional<std::string>& client_id);

// ---- provider channels ---------------------------------------------------------------------
struct BatchOutcome {
  int messages = 0, duplicates = 0, echoes = 0, statuses = 0, unmatched_statuses = 0;
};
// Stores a verified, parsed provider webhook: every message (deduplicated by the provider's id in
// the same transaction, kept 7+ days), contacts found or created by their channel identity, and
// delivery statuses applied monotonically (sent < delivered < read; failed keeps its reason).
Result<BatchOutcome> ingest_provider_batch(Tx& tx, Env& env, const Channel& channel,
                                           const InboundBatch& batch);
// The outcome of a provider send, applied to the message (and announced as message.updated).
Status apply_send_result(Tx& tx, Env& env, const std::string& tenant, const std::string& message_id,
                         const std::optional<std::string>& provider_message_id,
                         const std::optional<std::string>& error);

// ---- agents --------------------------------------------------------------------------------
struct Choice {
  std::string id, title;
};
struct ReplyInput {
  std::string text;
  std::string kind = "text";  // "text" | "note" | "template" | "product" | "cart" | "attachment"
  std::vector<Choice> choices;
  std::string content_json{};  // "template": {"template":{"name","language","parameters":[...]}};
                               // "product" / "cart": commerce/cards.hpp; "attachment":
                               // {"attachments":[...]} (pipeline/media.hpp outbound_attachments)
  bool human_agent = false;   // sent with Meta's HUMAN_AGENT tag (a person's reply after 24 h)
};
// An agent's (or API client's) message into a conversation. Notes stay internal. Sets the
// conversation's first response time on the first public reply.
Result<Message> agent_reply(Tx& tx, Env& env, const Principal& who,
                            const std::string& conversation_id, const ReplyInput& in);

struct ConversationPatch {
  std::optional<ConversationStatus> status;
  std::optional<int64_t> priority;
  std::optional<std::optional<std::string>> assignee_id;  // set to nullopt to unassign
  std::optional<std::vector<std::string>> tags;
  // With a status: when a snoozed conversation comes back by itself (service/snooze.hpp). A new
  // status always replaces the time (nullopt: none); a patch without a status keeps it.
  std::optional<int64_t> snoozed_until;
};
Result<Conversation> update_conversation(Tx& tx, Env& env, const Principal& who,
                                         const std::string& conversation_id,
                                         const ConversationPatch& patch);

}  // namespace bottega::pipeline
