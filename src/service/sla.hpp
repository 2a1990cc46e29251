// A tenant's service settings (business hours, SLA policy) and the SLA arithmetic. Pure.
//
// Policies, most specific first: per channel type and level ("channels": {"email": {"normal":
// {...}}}), per level ("policies": {"normal": {...}}), and the default ("policies": {"default":
// {...}}). The most specific policy that sets at least one target applies, as a whole: its targets
// left unset are not filled in from a less specific one.
//
// Targets of a policy, each optional, in seconds:
// - first_response: from the first customer message a person has not answered yet, until a
//   person's first public reply in the conversation;
// - next_response: the same after a person has already replied once;
// - resolution: from the conversation's (re)opening until it is resolved.
// The customer stops waiting when a person replies, or when the bot answers without handing over;
// a bot handover keeps the clock running from the customer's message. Snoozed and resolved
// conversations have no due times. With `business_hours` on (default) only opening time counts.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"
#include "service/assignment.hpp"
#include "hours/hours.hpp"
#include "service/priority.hpp"

namespace bottega::service {

// Business hours and zones live in the hours library (below bot and service).
using hours::BusinessHours;
using hours::parse_business_hours;
using hours::TimeZone;

enum class Target { first_response, next_response, resolution };
const char* to_string(Target t);
inline constexpr Target kTargets[] = {Target::first_response, Target::next_response, Target::resolution};

struct Targets {
  std::optional<int64_t> first_response_s, next_response_s, resolution_s;
  std::optional<int64_t> get(Target t) const;
  bool set() const { return first_response_s || next_response_s || resolution_s; }
};

// Which policy applies to a conversation.
enum class PolicyScope { none, fallback, level, channel };
const char* to_string(PolicyScope s);  // "none", "default", "priority", "channel"

struct SlaPolicy {
  bool business_hours = true;
  std::array<Targets, 4> levels;  // indexed by Level
  Targets fallback;               // "default": a level (and channel) without a policy of its own
  std::map<std::string, std::array<Targets, 4>> channels;  // channel type -> per level
  bool any() const;
  // The policy for a conversation of this level on this channel type (most specific first).
  const Targets& targets_for(Level level, std::string_view channel_type, PolicyScope* scope = nullptr) const;
};

struct ServiceSettings {
  BusinessHours hours;
  bool hours_configured = false;
  SlaPolicy sla;
  // {"assignment": {"mode": "off"|"round_robin"|"least_loaded", "default_capacity": 1..1000}}
  AssignMode assign_mode = AssignMode::off;
  int64_t default_capacity = 5;
  // {"after_hours": {"enabled": bool, "message": string|null}}: the auto-reply outside business
  // hours (only with business hours configured); `message` replaces the default text, "{opens_at}"
  // in it becomes the next opening.
  bool after_hours = false;
  std::string after_hours_message;
  // {"csat": {"enabled": bool}}: a satisfaction survey when a conversation is resolved.
  bool csat = false;
};

// Applies a PATCH body {"business_hours", "sla", "assignment", "after_hours"} to `current`:
// a section given replaces that section (null resets it to the default). Unknown fields and bad
// values are errors naming the field; nothing is changed then.
Result<ServiceSettings> apply_settings_patch(const ServiceSettings& current, const boost::json::object& patch,
                                             const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
// The stored form (the same shape as the API's).
boost::json::object to_json(const ServiceSettings& s);
// Reads the stored form; a stored form that no longer parses (e.g. a zone removed) gives defaults.
ServiceSettings settings_from_json(const std::string& stored, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

// What the SLA clock needs to know about a conversation.
struct SlaClock {
  int64_t opened_at = 0;              // created, or reopened
  std::optional<int64_t> waiting_since;  // the customer's oldest unanswered message
  bool person_replied = false;        // a person has replied publicly before
  bool active = true;                 // open or pending (not snoozed, not resolved)
};

struct Dues {
  std::optional<int64_t> first_response, next_response, resolution;  // UTC ms
  std::optional<int64_t> get(Target t) const;
};

// The due times under the policy for `level` on `channel_type` (SlaPolicy::targets_for).
Dues compute_dues(const ServiceSettings& s, Level level, std::string_view channel_type, const SlaClock& c);

}  // namespace bottega::service
