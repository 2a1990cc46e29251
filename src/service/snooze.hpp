// Snoozing a conversation until a time (docs/service.md#snooze). A snoozed conversation leaves the
// working inbox and has no SLA clock; it comes back (status open) when the customer writes, when
// an agent reopens it, or at the time it was snoozed until: the SLA monitor's scan wakes the
// conversations whose time has come, on whichever node scans first (each is woken once: the wake
// re-reads the conversation in its write and skips one that is no longer snoozed or was snoozed
// again to a later time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::service {

// The longest snooze: a year.
inline constexpr int64_t kMaxSnoozeMs = 366LL * 24 * 3600 * 1000;

// `{"until": RFC 3339 | epoch ms | null}`: a time in the future (at most a year ahead), or null
// for "until the customer writes". Errors name the field.
Result<std::optional<int64_t>> parse_snooze(const boost::json::object& body, int64_t now_ms);

// Snoozes the conversation (status snoozed; until the given time, or until the customer writes
// when nullopt). 404 for another shop's or an unknown conversation; 409 `resolved` for a resolved
// one (reopen it first). Emits conversation.updated, whose conversation carries snoozed_until.
Result<Conversation> snooze(store::Tx& tx, pipeline::Env& env, const Principal& who, const std::string& conversation_id,
                            std::optional<int64_t> until);

// Reopens up to `limit` conversations whose snooze ended at or before `now` (every shop), each
// with a conversation.updated; returns how many.
int64_t wake_snoozed(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit);

}  // namespace bottega::service
