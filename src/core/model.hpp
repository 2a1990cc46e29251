// Domain types shared by the store, the pipeline and the API, and their JSON renderings (the API's
// shapes, also used for outbox event payloads so a webhook carries exactly what the API shows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace bottega {

// RFC 3339 UTC with milliseconds: 2026-11-22T08:00:00.000Z
std::string rfc3339(int64_t ms);

enum class Role { admin, agent };
std::string_view to_string(Role r);
std::optional<Role> role_from(std::string_view s);

struct Agent {
  std::string id, tenant_id, email, name;
  Role role = Role::agent;
};

// Who is calling: an agent (session) or an API token; both belong to one tenant.
struct Principal {
  std::string tenant_id;
  std::string agent_id;   // empty for API tokens
  std::string token_id;   // empty for sessions
  Role role = Role::agent;
  std::string csrf_token; // session only
  bool via_cookie = false;
  std::string session_hash;  // session only: SHA-256 hex of the session id
};

struct Channel {
  std::string id, tenant_id, type, name;
  std::string settings_json;  // full settings including secrets: never rendered as is
  int64_t created_at = 0;
};

enum class ConversationStatus { open, pending, snoozed, resolved };
std::string_view to_string(ConversationStatus s);
std::optional<ConversationStatus> conversation_status_from(std::string_view s);

struct Conversation {
  std::string id, tenant_id, channel_id, channel_type, contact_id, contact_name;
  ConversationStatus status = ConversationStatus::open;
  int64_t priority = 0;
  std::optional<std::string> assignee_id;
  std::vector<std::string> tags;
  std::optional<std::string> subject;
  int64_t last_message_at = 0;
  std::optional<std::string> last_message_text, last_message_direction, last_message_author;
  std::optional<int64_t> first_response_at;
  // When a snoozed conversation comes back by itself (service/snooze.hpp). Meaningful only while
  // the status is snoozed: the store and to_json drop it for any other status.
  std::optional<int64_t> snoozed_until;
  int64_t created_at = 0, updated_at = 0;
  int64_t seq = 0;
};

struct Message {
  std::string id, tenant_id, conversation_id;
  std::string direction;    // "in" | "out"
  std::string author_kind;  // contact | bot | agent | system
  std::optional<std::string> author_id;
  std::string kind;         // text | attachment | choices | note | ...
  std::string text;
  std::string content_json = "{}";
  std::string delivery_state = "pending";
  std::optional<std::string> delivery_error;
  std::optional<std::string> provider_message_id;
  int64_t created_at = 0;
  int64_t seq = 0;
  bool internal() const { return kind == "note"; }
};

boost::json::object to_json(const Agent& a);
boost::json::object to_json(const Conversation& c);
boost::json::object to_json(const Message& m);
// The channel without secrets: settings keys listed in `secret_keys` are dropped.
boost::json::object to_json(const Channel& c, std::string_view public_url);

}  // namespace bottega
