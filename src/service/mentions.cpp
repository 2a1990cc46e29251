#include "service/mentions.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cctype>
#include <limits>

#include "core/json.hpp"
#include "pipeline/services.hpp"
#include "service/search.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kInsert{
    "agent_mentions.insert",
    "INSERT INTO agent_mentions(id, tenant_id, agent_id, message_id, conversation_id, by_agent_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"};
#define MENTION_COLS                                                                                          \
  "m.seq, m.id, m.agent_id, m.message_id, m.conversation_id, m.by_agent_id, m.created_at, m.read_at, "         \
  "COALESCE(msg.text, ''), COALESCE(a.name, ''), COALESCE(ct.name, '') FROM agent_mentions m "                  \
  "LEFT JOIN messages msg ON msg.tenant_id = m.tenant_id AND msg.id = m.message_id "                           \
  "LEFT JOIN agents a ON a.tenant_id = m.tenant_id AND a.id = m.by_agent_id "                                  \
  "LEFT JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id "                       \
  "LEFT JOIN contacts ct ON ct.tenant_id = m.tenant_id AND ct.id = c.contact_id "
constexpr Stmt kList{"agent_mentions.list",
                     "SELECT " MENTION_COLS
                     "WHERE m.tenant_id = $1 AND m.agent_id = $2 AND ($3 = 0 OR m.read_at IS NULL) AND m.seq < $4 "
                     "ORDER BY m.seq DESC LIMIT $5"};
constexpr Stmt kGet{"agent_mentions.get",
                    "SELECT " MENTION_COLS "WHERE m.tenant_id = $1 AND m.agent_id = $2 AND m.id = $3"};
#undef MENTION_COLS
constexpr Stmt kUnread{"agent_mentions.unread",
                       "SELECT COUNT(*) FROM agent_mentions WHERE tenant_id = $1 AND agent_id = $2 AND read_at IS NULL"};
constexpr Stmt kRead{"agent_mentions.read",
                     "UPDATE agent_mentions SET read_at = $4 WHERE tenant_id = $1 AND agent_id = $2 AND id = $3 "
                     "AND read_at IS NULL"};
constexpr Stmt kReadAll{"agent_mentions.read_all",
                        "UPDATE agent_mentions SET read_at = $3 WHERE tenant_id = $1 AND agent_id = $2 AND read_at IS NULL"};

bool word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Where the text from `from` spells `folded` (fold_for_search's form), case and accents aside:
// the byte after it, or npos.
size_t spelled_until(const std::string& text, size_t from, const std::string& folded) {
  std::string got;
  size_t i = from;
  while (got.size() < folded.size() && i < text.size()) {
    size_t n = static_cast<unsigned char>(text[i]) == 0xC3 && i + 1 < text.size() ? 2 : 1;
    got += fold_for_search(std::string_view(text).substr(i, n));
    i += n;
    if (folded.compare(0, got.size(), got) != 0) return std::string::npos;
  }
  return got == folded ? i : std::string::npos;
}

Mention mention_from(const store::Row& r) {
  Mention m;
  m.seq = r.i64(0);
  m.id = r.str(1);
  m.agent_id = r.str(2);
  m.message_id = r.str(3);
  m.conversation_id = r.str(4);
  m.by_agent_id = r.opt_str(5);
  m.created_at = r.i64(6);
  m.read_at = r.opt_i64(7);
  m.text = r.str(8);
  m.by_name = r.str(9);
  m.contact_name = r.str(10);
  return m;
}

}  // namespace

std::vector<MentionedAgent> find_mentions(const std::string& text, const std::vector<Agent>& agents) {
  std::vector<MentionedAgent> out;
  auto add = [&](const Agent& a) {
    for (const auto& m : out)
      if (m.agent_id == a.id) return;
    out.push_back({a.id, a.name});
  };
  for (size_t at = 0; at < text.size(); ++at) {
    if (text[at] != '@') continue;
    if (at > 0) {
      auto p = static_cast<unsigned char>(text[at - 1]);
      if (word_char(p) || p == '_' || p == '.') continue;  // an email address, not a mention
    }
    size_t from = at + 1;
    auto ends_here = [&](size_t end) { return end == text.size() || !word_char(static_cast<unsigned char>(text[end])); };
    // An id token: "@agt_..." exactly.
    bool by_id = false;
    for (const auto& a : agents)
      if (!a.id.empty() && text.compare(from, a.id.size(), a.id) == 0 && ends_here(from + a.id.size())) {
        add(a);
        by_id = true;
      }
    if (by_id) continue;
    // A display name: the longest that fits, every agent of that name.
    std::vector<size_t> ends(agents.size(), std::string::npos);
    size_t best = 0;
    for (size_t k = 0; k < agents.size(); ++k) {
      if (agents[k].name.empty()) continue;
      size_t end = spelled_until(text, from, fold_for_search(agents[k].name));
      if (end == std::string::npos || !ends_here(end)) continue;
      ends[k] = end;
      best = std::max(best, end);
    }
    if (best == 0) continue;
    for (size_t k = 0; k < agents.size(); ++k)
      if (ends[k] == best) add(agents[k]);
  }
  return out;
}

Result<Message> write_note(store::Tx& tx, pipeline::Env& env, const Principal& who, const std::string& conversation_id,
                           const std::string& text, const std::string& content_json) {
  auto mentioned = find_mentions(text, repo::list_agents(tx, who.tenant_id));
  pipeline::ReplyInput in;
  in.kind = "note";
  in.text = text;
  bj::object content;
  if (!content_json.empty()) {
    boost::system::error_code ec;
    auto v = bj::parse(content_json, ec);
    if (ec || !v.is_object()) return Error::internal("note content is not a JSON object");
    content = v.as_object();
  }
  if (!mentioned.empty()) {
    bj::array list;
    for (const auto& m : mentioned) list.push_back(bj::object{{"agent_id", m.agent_id}, {"name", m.name}});
    content["mentions"] = std::move(list);
  }
  if (!content.empty()) in.content_json = bj::serialize(content);
  auto note = pipeline::agent_reply(tx, env, who, conversation_id, in);
  if (!note) return note;
  auto conv = repo::get_conversation(tx, who.tenant_id, note->conversation_id);
  for (const auto& m : mentioned) {
    if (m.agent_id == who.agent_id) continue;  // one's own name: nothing to tell
    std::string id = env.ids.next("mnt");
    std::optional<std::string> by;
    if (!who.agent_id.empty()) by = who.agent_id;
    tx.exec(kInsert, {id, who.tenant_id, m.agent_id, note->id, note->conversation_id,
                      by ? store::Value(*by) : store::Value(nullptr), note->created_at});
    auto row = tx.query_one(kGet, {who.tenant_id, m.agent_id, id});
    if (!row) continue;
    pipeline::emit(tx, env, who.tenant_id, event_type::kAgentMentioned, note->conversation_id,
                   conv ? conv->contact_id : std::string(), true, to_json(mention_from(*row)));
  }
  return note;
}

bj::object to_json(const Mention& m) {
  return {{"id", m.id},
          {"agent_id", m.agent_id},
          {"message_id", m.message_id},
          {"conversation_id", m.conversation_id},
          {"by_agent_id", m.by_agent_id ? bj::value(*m.by_agent_id) : bj::value(nullptr)},
          {"by_name", m.by_name},
          {"contact_name", m.contact_name},
          {"text", m.text},
          {"created_at", rfc3339(m.created_at)},
          {"read_at", m.read_at ? bj::value(rfc3339(*m.read_at)) : bj::value(nullptr)}};
}

MentionPage list_mentions(store::Tx& tx, const std::string& tenant, const std::string& agent_id, bool unread_only,
                          std::optional<int64_t> before_seq, int64_t limit) {
  MentionPage page;
  auto rows = tx.query(kList, {tenant, agent_id, int64_t{unread_only ? 1 : 0},
                               before_seq.value_or(std::numeric_limits<int64_t>::max()), limit + 1});
  for (const auto& r : rows) page.items.push_back(mention_from(r));
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = std::to_string(page.items.back().seq);
  }
  page.unread = tx.query_one(kUnread, {tenant, agent_id})->i64(0);
  return page;
}

Result<Mention> mark_mention_read(store::Tx& tx, const std::string& tenant, const std::string& agent_id,
                                  const std::string& mention_id, int64_t now) {
  tx.exec(kRead, {tenant, agent_id, mention_id, now});
  auto row = tx.query_one(kGet, {tenant, agent_id, mention_id});
  if (!row) return Error::not_found("mention");
  return mention_from(*row);
}

int64_t mark_all_mentions_read(store::Tx& tx, const std::string& tenant, const std::string& agent_id, int64_t now) {
  return tx.exec(kReadAll, {tenant, agent_id, now});
}

}  // namespace bottega::service
