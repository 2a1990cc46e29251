// The event catalogue. Events are written to the outbox in the same transaction as the state
// change they describe; the dispatcher delivers committed events, in order, to listeners.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bottega {

namespace event_type {
inline constexpr std::string_view kMessageCreated = "message.created";
inline constexpr std::string_view kMessageUpdated = "message.updated";  // delivery state
inline constexpr std::string_view kConversationCreated = "conversation.created";
inline constexpr std::string_view kConversationUpdated = "conversation.updated";
inline constexpr std::string_view kContactCreated = "contact.created";
inline constexpr std::string_view kContactUpdated = "contact.updated";
// Commerce (src/commerce/orders.hpp): the order's JSON as data.
inline constexpr std::string_view kOrderCreated = "order.created";
inline constexpr std::string_view kOrderPaid = "order.paid";
inline constexpr std::string_view kOrderFulfilled = "order.fulfilled";
inline constexpr std::string_view kOrderUpdated = "order.updated";  // cancelled, tracking, refunds
// Service (inbox issue): a conversation missed an SLA target. data: {"conversation_id", "target":
// "first_response"|"next_response"|"resolution", "due_at", "breached_at" (ISO 8601 UTC), "priority",
// "assignee_id" (or null), "channel"}. Emitted once per conversation, target and due time.
inline constexpr std::string_view kSlaBreached = "conversation.sla_breached";
// Service: a customer answered the satisfaction survey. data: {"conversation_id", "score" (1..5),
// "comment" (or null), "assignee_id" (agent who handled it, or null), "bot_only" (true when no person
// took part), "channel", "created_at"}. One per survey; a later answer replaces it (emitted again).
inline constexpr std::string_view kCsatReceived = "csat.received";
// Bot (src/bot): the bot took a turn on a customer message. data: the turn as the API shows it
// (GET /api/v1/conversations/{id}/bot_turns): {"id", "conversation_id", "message_id", "language",
// "intent", "entry_id", "score", "outcome" ("answered"|"asked"|"handed_over"|"helpful"|
// "not_helpful"), "reason", "reply_message_id", "created_at"}. Internal (agents only).
inline constexpr std::string_view kBotTurn = "bot.turn";
// Service (proactive): an abandoned-cart reminder was sent. data: {"cart_id", "conversation_id",
// "contact_id", "channel" (type), "channel_id", "message_id", "mode" ("text"|"template"), "currency",
// "total" (the cart's total then, minor units), "sent_at"}. Internal; once per cart.
inline constexpr std::string_view kCartReminderSent = "cart.reminder_sent";
// Service (teams): a conversation was transferred. data: {"conversation_id", "from_team_id",
// "to_team_id", "from_agent_id", "to_agent_id" (each or null), "note" (the reason, or null),
// "note_message_id" (the internal note), "by" ("agent:<id>" | "api"), "at"}. Internal.
inline constexpr std::string_view kConversationTransferred = "conversation.transferred";
// Service (mentions, src/service/mentions.hpp): an internal note mentions an agent. data: the
// mention as GET /api/v1/mentions lists it: {"id", "agent_id" (the mentioned agent), "message_id",
// "conversation_id", "by_agent_id", "by_name", "contact_name", "text", "created_at", "read_at"}.
// Internal; on the realtime stream only the mentioned agent's sockets get it (realtime/hub.hpp).
inline constexpr std::string_view kAgentMentioned = "agent.mentioned";
// Internal: an agent's sessions were revoked (logout, password change); open sockets close.
inline constexpr std::string_view kSessionRevoked = "session.revoked";
}  // namespace event_type

struct Event {
  int64_t seq = 0;               // outbox position: strictly increasing, the realtime cursor
  std::string id;                // "evt_..."
  std::string tenant_id;
  std::string type;              // one of event_type
  std::string conversation_id;   // empty when not about a conversation
  std::string contact_id;        // the customer concerned, when there is one
  bool internal = false;         // true: agents only (internal notes), never to visitors
  std::string payload_json;      // {"type","id","created_at","data":{...}}
  int64_t created_at_ms = 0;
};

// Receives committed events in outbox order, on the dispatcher thread. on_event must not block;
// on_batch_end runs after each batch and may do store work synchronously (the dispatcher only
// advances its durable cursor after every listener's on_batch_end has returned).
class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_event(const Event& e) = 0;
  virtual void on_batch_end() {}
};

}  // namespace bottega
