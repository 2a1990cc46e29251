#include "service/snooze.hpp"

#include "commerce/discounts.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service {

namespace core_repo = ::bottega::repo;
using store::Stmt;
using store::Value;

namespace {

// conversations.snoozed_until is written only here; every other conversation update (a reopen,
// the customer's message, a new status) clears it (repo::update_conversation).
const Stmt kSetUntil{"snooze.set_until",
    "UPDATE conversations SET snoozed_until = $3 WHERE tenant_id = $1 AND id = $2"};
const Stmt kUntil{"snooze.until",
    "SELECT snoozed_until FROM conversations WHERE tenant_id = $1 AND id = $2 AND status = 'snoozed'"};
// Partial index conversations_snoozed (core migration 9): only conversations snoozed to a time.
const Stmt kDue{"snooze.due",
    "SELECT tenant_id, id, snoozed_until FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= $1 "
    "ORDER BY snoozed_until LIMIT $2"};

}  // namespace

Result<std::optional<int64_t>> parse_snooze(const boost::json::object& body, int64_t now_ms) {
  for (const auto& kv : body)
    if (kv.key() != "until") return Error::invalid(std::string(kv.key()), "unknown field", "unknown_field");
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
  BOTTEGA_TRY(updated, pipeline::update_conversation(tx, env, who, conversation_id, p));
  tx.exec(kSetUntil, {who.tenant_id, conversation_id, until ? Value{*until} : Value{}});
  return updated;
}

std::optional<int64_t> snoozed_until(store::Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  auto r = tx.query_one(kUntil, {tenant, conversation_id});
  if (!r || r->is_null(0)) return std::nullopt;
  return r->i64(0);
}

int64_t wake_snoozed(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit) {
  int64_t woken = 0;
  for (const auto& r : tx.query(kDue, {now, limit})) {
    std::string tenant = r.str(0), id = r.str(1);
    // Re-read in this write: another node may have woken it, or someone snoozed it again.
    auto until = snoozed_until(tx, tenant, id);
    if (!until) {  // no longer snoozed: a time left behind must not come up again
      tx.exec(kSetUntil, {tenant, id, Value{}});
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
