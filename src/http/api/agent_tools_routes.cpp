// Agent tools (issue 6): full-text search over the shop's messages (src/service/search.hpp) and
// agents' mentions in internal notes (src/service/mentions.hpp).
#include <boost/json/serialize.hpp>

#include "http/api/common.hpp"
#include "service/mentions.hpp"
#include "service/search.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kMessageHitSchema =
    R"J({"type":"object","properties":{"message":{"type":"object","description":"Message"},"conversation":{"type":"object","description":"Conversation (id, channel_id, channel_type, contact {id, name}, status, assignee_id, tags, subject, ...)"},"snippet":{"type":"string","description":"HTML: the message text escaped, cut around the first match, matching words in <mark></mark>"}}})J";

constexpr const char* kMentionSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"agent_id":{"type":"string"},"message_id":{"type":"string"},"conversation_id":{"type":"string"},"by_agent_id":{"type":["string","null"]},"by_name":{"type":"string"},"contact_name":{"type":"string"},"text":{"type":"string"},"created_at":{"type":"string"},"read_at":{"type":["string","null"]}}})";

// Mentions belong to an agent: an agent's session (an API token has no inbox of its own).
Status require_agent(const Principal& p) {
  if (p.agent_id.empty())
    return Error{Errc::forbidden, "agent_only", "mentions belong to an agent: use an agent's session", {}};
  return {};
}

}  // namespace

void register_agent_tools_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/search/messages", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    service::MessageSearchQuery q;
    q.q = ctx.query_param("q").value_or("");
    if (auto s = ctx.query_param("status"); s && !s->empty()) q.status = *s;
    if (auto c = ctx.query_param("channel_id"); c && !c->empty()) q.channel_id = *c;
    q.limit = pg->limit;
    if (pg->cursor) q.offset = std::stoll(*pg->cursor);
    if (auto st = service::validate_message_search(q); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id;
    // SQLite fills its message index in chunks: what is left is indexed first, in a write.
    // PostgreSQL's index is kept with each row: no write (and no write lock) for a search.
    const std::string_view dialect = d.store.dialect();
    if (dialect == "sqlite") {
      auto catch_up = [dialect](store::Tx& tx) -> Result<bool> {
        BOTTEGA_TRY_STATUS(service::catch_up_message_index(tx, dialect));
        return true;
      };
      auto caught_up = co_await db_write<bool>(d.store, catch_up);
      if (!caught_up) co_return error(ctx, caught_up.error());
    }
    auto work = [dialect, tenant, q](store::Tx& tx) -> Result<service::MessageSearchPage> {
      return service::search_messages(tx, dialect, tenant, q);
    };
    auto page = co_await db_read<service::MessageSearchPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& h : page->items)
      data.push_back(bj::object{{"message", to_json(h.message)},
                                {"conversation", to_json(h.conversation)},
                                {"snippet", h.snippet}});
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Full-text search over the shop's text messages and internal notes: every word of q a prefix, all must match, accents and case ignored; best match first, newest first among equals (the newest 400 matches are ranked). Filters: status (the conversation's), channel_id. Each item: the message, its conversation (with the contact) and an escaped snippet with <mark> around matching words. 400 field q (no words, over 512 characters), status",
      Auth::agent, "conversations", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kMessageHitSchema +
          R"(},"next_cursor":{"type":["string","null"]}}})"});

  r.add("GET", "/api/v1/mentions", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto st = require_agent(*who); !st) co_return error(ctx, st.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    auto unread = ctx.query_param("unread").value_or("false");
    if (unread != "true" && unread != "false")
      co_return error(ctx, Error::invalid("unread", "unread is true or false"));
    std::string tenant = who->tenant_id, agent = who->agent_id;
    bool only_unread = unread == "true";
    std::optional<int64_t> before;
    if (pg->cursor) before = std::stoll(*pg->cursor);
    int64_t n = pg->limit;
    auto work = [tenant, agent, only_unread, before, n](store::Tx& tx) -> Result<service::MentionPage> {
      return service::list_mentions(tx, tenant, agent, only_unread, before, n);
    };
    auto page = co_await db_read<service::MentionPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& m : page->items) data.push_back(service::to_json(m));
    co_return json(ctx, 200,
                   bj::object{{"data", std::move(data)},
                              {"next_cursor", page->next_cursor ? bj::value(*page->next_cursor) : bj::value(nullptr)},
                              {"unread_count", page->unread}});
  }, {"The calling agent's mentions in internal notes, newest first (unread=true: only those not yet read), with the note's text, its author and the conversation's contact, and unread_count (all unread). 403 agent_only for API tokens",
      Auth::agent, "conversations", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kMentionSchema +
          R"(},"next_cursor":{"type":["string","null"]},"unread_count":{"type":"integer"}}})"});

  r.add("POST", "/api/v1/mentions/{id}/read", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto st = require_agent(*who); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id, agent = who->agent_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work = [tenant, agent, id, now](store::Tx& tx) -> Result<bj::object> {
      auto m = service::mark_mention_read(tx, tenant, agent, id, now);
      if (!m) return std::move(m).error();
      return service::to_json(*m);
    };
    auto m = co_await db_write<bj::object>(d.store, work);
    if (!m) co_return error(ctx, m.error());
    co_return json(ctx, 200, *m);
  }, {"Mark one of the calling agent's mentions read (the first read time is kept). 404 for another agent's mention", Auth::agent,
      "conversations", "", kMentionSchema});

  r.add("POST", "/api/v1/mentions/read", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto st = require_agent(*who); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id, agent = who->agent_id;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, agent, now](store::Tx& tx) -> Result<int64_t> {
      return service::mark_all_mentions_read(tx, tenant, agent, now);
    };
    auto n = co_await db_write<int64_t>(d.store, work);
    if (!n) co_return error(ctx, n.error());
    co_return json(ctx, 200, bj::object{{"marked", *n}});
  }, {"Mark every unread mention of the calling agent read", Auth::agent, "conversations", "",
      R"({"type":"object","properties":{"marked":{"type":"integer"}}})"});
}

}  // namespace bottega::http::api
