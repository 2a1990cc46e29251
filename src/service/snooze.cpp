#include "service/snooze.hpp"

#include "commerce/discounts.hpp"
#include "store/repo/repo.hpp"
#include "core/json.hpp"

namespace bottega::service {

namespace core_repo = ::bottega::repo;
using store::Stmt;

namespace {

// conversations.snoozed_until is Conversation::snoozed_until, written with the conversation
// (repo::update_conversation): a new status (a reopen, the customer's message, snoozing again)
// replaces it. kClearUntil only drops a time left in the row of a conversation no longer snoozed.
const Stmt kClearUntil{"snooze.clear_until",
    "UPDATE conversations SET snoozed_until = NULL WHERE tenant_id = $1 AND id = $2"};
// Partial index conversations_snoozed (core migration 9): only conversations snoozed to a time.
const Stmt kDue{"snooze.due",
    "SELECT tenant_id, id, snoozed_until FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= $1 "
    "ORDER BY snoozed_until LIMIT $2"};

}  // namespace

Result<std::optional<int64_t>> parse_snooze(const boost::json::object& body, int64_t now_ms) {
  BOTTEGA_TRY_STATUS(json::only_keys(body, {"until"}));
  BOTTEGA_TRY(until, commerce::time_field(body, "until"));
  if (until && *until <= now_ms) return Error::invalid("until", "the time to snooze until has passed");
  if (until && *until > now_ms + kMaxSnoozeMs) return Error::invalid("until", "a conversation is snoozed for at most a year");
  return until;
}

Result<Conversation> snooze(store::Tx& tx, pipeline::Env& env, const Principal& who, const std::string& conversation_id,
                            std::optional<int64_t> until) {
  auto conv = core_repo::get_conversation(tx, who.tenant_id, conversation_id);
  if (!conv) return Error::not_found("conversation");
  if (conv->status == ConversationStatus::resolved)
    return Error{Errc::conflict, "resolved", "a resolved conversation is not snoozed; reopen it first", {}};
  pipeline::ConversationPatch p;
  p.status = ConversationStatus::snoozed;
  p.snoozed_until = until;
  return pipeline::update_conversation(tx, env, who, conversation_id, p);
}

int64_t wake_snoozed(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit) {
  int64_t woken = 0;
  for (const auto& r : tx.query(kDue, {now, limit})) {
    std::string tenant = r.str(0), id = r.str(1);
    // Re-read in this write: another node may have woken it, or someone snoozed it again.
    auto conv = core_repo::get_conversation(tx, tenant, id);
    std::optional<int64_t> until = conv ? conv->snoozed_until : std::nullopt;
    if (!until) {  // no longer snoozed: a time left behind must not come up again
      tx.exec(kClearUntil, {tenant, id});
      continue;
    }
    if (*until > now) continue;
    Principal system;
    system.tenant_id = tenant;
    pipeline::ConversationPatch p;
    p.status = ConversationStatus::open;
    if (pipeline::update_conversation(tx, env, system, id, p)) ++woken;  // clears snoozed_until
  }
  return woken;
}

}  // namespace bottega::service
