// The inbox priority score: who should a person answer first. Pure.
//
//   score = intent + explicit priority + value at stake + returning customer + channel + waiting
//
// - intent (from the conversation's tags, set by the bot's intents or by hand): pre-sale 400,
//   post-sale (order-status, refund, discount-issue, policy, human-request) 100, none 0;
// - explicit priority: the conversation's `priority` (0..1000) as is;
// - value at stake: the contact's open carts, 1 point per 10 major units (minor / 1000), at most 150;
// - returning customer (has a paid order): 30;
// - channel: live messaging (web chat, WhatsApp, Messenger, Instagram, Telegram, SMS) 20, email 0;
// - waiting: 2 points per full minute the customer has waited for an answer, at most 240 (2 hours).
// Explicit priority, channel and intent come from the conversation itself; value at stake and
// returning customer are stored by the service listener; waiting is added when the list is read.
// The SQL of repo.cpp's conversations.list_by_score computes the same sum and must agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace bottega::service {

inline constexpr int64_t kWaitPointsPerMinute = 2;
inline constexpr int64_t kWaitCapPoints = 240;

// SLA level: from the explicit priority when one is set (1-249 low, 250-499 normal, 500-749 high,
// 750+ urgent), otherwise high for a pre-sale conversation and normal for the rest.
enum class Level { low, normal, high, urgent };
const char* to_string(Level l);
bool level_from(const std::string& s, Level& out);

struct PriorityInput {
  std::vector<std::string> tags;
  int64_t explicit_priority = 0;
  std::string channel_type;
  bool returning = false;
  int64_t cart_value_minor = 0;
};

struct Component {
  std::string factor;  // intent | explicit | cart_value | returning | channel | waiting
  int64_t points = 0;
  std::string detail;
};

struct PriorityBase {
  int64_t points = 0;
  int64_t stored_points = 0;  // the part the list's SQL reads from conversation_service (cart, returning)
  Level level = Level::normal;
  std::string intent;  // "presale" | "postsale" | "none"
  std::vector<Component> components;
};

PriorityBase base_score(const PriorityInput& in);
// Points for waiting since `waiting_since_ms` (< 0: not waiting) at `now_ms`.
int64_t waiting_points(int64_t waiting_since_ms, int64_t now_ms);

// {"score", "level", "intent", "components":[{"factor","points","detail"}], "waiting_since"}.
boost::json::object explain(const PriorityBase& base, int64_t waiting_since_ms, int64_t now_ms);

}  // namespace bottega::service
