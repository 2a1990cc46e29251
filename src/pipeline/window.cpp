#include "pipeline/window.hpp"

#include <boost/json/parse.hpp>

#include "store/repo/repo.hpp"

namespace bottega::pipeline::window {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kNoteInbound{
    "windows.note_inbound",
    "INSERT INTO conversation_windows(tenant_id, conversation_id, last_inbound_at) VALUES ($1,$2,$3) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET "
    "last_inbound_at = MAX(conversation_windows.last_inbound_at, excluded.last_inbound_at)",
    "INSERT INTO conversation_windows(tenant_id, conversation_id, last_inbound_at) VALUES ($1,$2,$3) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET "
    "last_inbound_at = GREATEST(conversation_windows.last_inbound_at, EXCLUDED.last_inbound_at)"};
constexpr Stmt kLastInbound{
    "windows.last_inbound",
    "SELECT last_inbound_at FROM conversation_windows WHERE tenant_id = $1 AND conversation_id = $2"};
constexpr Stmt kLastInboundMessage{
    "windows.last_inbound_message",
    "SELECT created_at FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' "
    "ORDER BY seq DESC LIMIT 1"};

// A message of several parts (a WeChat text then its images) is one reply per part the provider
// accepted (message_send_parts records every part of such a message, also of one that failed at a
// later part); a one-part message counts once when it reached the provider.
#define BOTTEGA_REPLIES_SINCE(GREATEST)                                                                    \
  "SELECT CAST(COALESCE(SUM(" GREATEST "(CASE WHEN delivery_state IN ('sent', 'delivered', 'read') THEN 1 " \
  "ELSE 0 END, (SELECT COUNT(*) FROM message_send_parts p WHERE p.tenant_id = $1 AND p.message_id = "     \
  "messages.id))), 0) AS BIGINT) FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND "         \
  "direction = 'out' AND kind <> 'note' AND kind <> 'template' AND id <> $3 AND seq > COALESCE("           \
  "(SELECT MAX(seq) FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' "    \
  "AND (provider_message_id IS NULL OR provider_message_id NOT LIKE 'evt:%')), 0)"
constexpr Stmt kRepliesSince{"windows.replies_since", BOTTEGA_REPLIES_SINCE("MAX"), BOTTEGA_REPLIES_SINCE("GREATEST")};
#undef BOTTEGA_REPLIES_SINCE

}  // namespace

int64_t replies_since_customer_message(Tx& tx, const std::string& tenant, const std::string& conversation_id,
                                       const std::string& except_message_id) {
  return tx.query_one(kRepliesSince, {tenant, conversation_id, except_message_id})->i64(0);
}

void note_inbound(Tx& tx, const std::string& tenant, const std::string& conversation_id, int64_t at_ms) {
  tx.exec(kNoteInbound, {tenant, conversation_id, at_ms});
}

std::optional<int64_t> last_inbound(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  if (auto r = tx.query_one(kLastInbound, {tenant, conversation_id})) return r->i64(0);
  if (auto r = tx.query_one(kLastInboundMessage, {tenant, conversation_id})) return r->i64(0);
  return std::nullopt;
}

ConversationWindow for_conversation(Tx& tx, const Conversation& conv, int64_t now_ms) {
  ConversationWindow w;
  if (channels::window_policy(conv.channel_type) == channels::WindowPolicy::none) {
    w.state = channels::window_state(conv.channel_type, std::nullopt, now_ms);
    return w;
  }
  // WeChat channels are newer than the recorded windows, and their events (stored as inbound
  // messages) must not open one: only the recorded customer messages count.
  std::optional<int64_t> last;
  if (channels::window_policy(conv.channel_type) == channels::WindowPolicy::wechat) {
    if (auto r = tx.query_one(kLastInbound, {conv.tenant_id, conv.id})) last = r->i64(0);
  } else {
    last = last_inbound(tx, conv.tenant_id, conv.id);
  }
  w.state = channels::window_state(conv.channel_type, last, now_ms);
  if (auto ch = repo::get_channel(tx, conv.tenant_id, conv.channel_id)) {
    boost::system::error_code ec;
    auto v = bj::parse(ch->settings_json, ec);
    if (!ec && v.is_object())
      if (auto t = channels::parse_templates(v.as_object(), conv.channel_type); t.ok()) w.templates = std::move(t).value();
  }
  return w;
}

}  // namespace bottega::pipeline::window
