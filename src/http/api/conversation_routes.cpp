// Conversations and their messages, for agents and API clients of one tenant.
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kConversationSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"channel_id":{"type":"string"},"channel_type":{"type":"string"},"contact":{"type":"object"},"status":{"type":"string","enum":["open","pending","snoozed","resolved"]},"priority":{"type":"integer"},"assignee_id":{"type":["string","null"]},"tags":{"type":"array","items":{"type":"string"}},"last_message":{"type":["object","null"]},"first_response_at":{"type":["string","null"]},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kMessageSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"conversation_id":{"type":"string"},"direction":{"type":"string","enum":["in","out"]},"author":{"type":"object"},"kind":{"type":"string"},"text":{"type":"string"},"content":{"type":"object"},"delivery":{"type":"object"},"created_at":{"type":"string"}}})";

std::string list_schema(const char* item) {
  return std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + item +
         R"(},"next_cursor":{"type":["string","null"]}}})";
}

Result<pipeline::ReplyInput> parse_reply(const bj::object& o) {
  pipeline::ReplyInput in;
  BOTTEGA_TRY(text, json::required_string(o, "text", {}, 65536));
  in.text = std::move(text);
  BOTTEGA_TRY(kind, json::optional_string(o, "kind", {}, 16));
  if (kind) {
    if (*kind != "text" && *kind != "note") return Error::invalid("kind", "kind must be \"text\" or \"note\"");
    in.kind = *kind;
  }
  if (in.text.empty()) return Error::invalid("text", "text must not be empty");
  BOTTEGA_TRY(choices, json::optional_array(o, "choices"));
  if (choices) {
    if (choices->size() > 10) return Error::invalid("choices", "at most 10 choices");
    for (size_t i = 0; i < choices->size(); ++i) {
      std::string path = "choices[" + std::to_string(i) + "]";
      const auto& c = (*choices)[i];
      if (!c.is_object()) return Error::invalid(path, "each choice is an object", "invalid_type");
      BOTTEGA_TRY(id, json::required_string(c.as_object(), "id", path + ".id", 200));
      BOTTEGA_TRY(title, json::required_string(c.as_object(), "title", path + ".title", 200));
      in.choices.push_back({std::move(id), std::move(title)});
    }
    if (in.kind == "note" && !in.choices.empty()) return Error::invalid("choices", "notes cannot carry choices");
  }
  return in;
}

Result<pipeline::ConversationPatch> parse_patch(const bj::object& o) {
  static const char* kKnown[] = {"status", "priority", "assignee_id", "tags"};
  for (const auto& kv : o) {
    bool known = false;
    for (const char* k : kKnown) known = known || kv.key() == k;
    if (!known) return Error::invalid(std::string(kv.key()), "unknown field", "unknown_field");
  }
  pipeline::ConversationPatch p;
  for (const char* k : {"status", "priority", "tags"})  // only assignee_id can be cleared with null
    if (auto it = o.find(k); it != o.end() && it->value().is_null())
      return Error::invalid(k, std::string(k) + " cannot be null", "invalid_type");
  BOTTEGA_TRY(status, json::optional_string(o, "status", {}, 16));
  if (status) {
    auto s = conversation_status_from(*status);
    if (!s) return Error::invalid("status", "status must be open, pending, snoozed or resolved");
    p.status = *s;
  }
  BOTTEGA_TRY(priority, json::optional_int(o, "priority"));
  if (priority) {
    if (*priority < 0 || *priority > 1000) return Error::invalid("priority", "priority must be 0..1000");
    p.priority = *priority;
  }
  if (auto it = o.find("assignee_id"); it != o.end()) {
    if (it->value().is_null()) p.assignee_id = std::optional<std::string>{};
    else if (it->value().is_string()) p.assignee_id = std::optional<std::string>(std::string(it->value().as_string()));
    else return Error::invalid("assignee_id", "assignee_id must be a string or null", "invalid_type");
  }
  BOTTEGA_TRY(tags, json::optional_array(o, "tags"));
  if (tags) {
    std::vector<std::string> v;
    if (tags->size() > 50) return Error::invalid("tags", "at most 50 tags");
    for (size_t i = 0; i < tags->size(); ++i) {
      const auto& t = (*tags)[i];
      if (!t.is_string() || t.as_string().empty() || t.as_string().size() > 64)
        return Error::invalid("tags[" + std::to_string(i) + "]", "a tag is a string of 1..64 characters", "invalid_type");
      v.emplace_back(t.as_string());
    }
    p.tags = std::move(v);
  }
  return p;
}

}  // namespace

void register_conversation_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/conversations", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto limit = limit_param(ctx);
    if (!limit) co_return error(ctx, limit.error());
    repo::ConversationFilter f;
    f.limit = *limit;
    f.status = ctx.query_param("status");
    if (f.status && !conversation_status_from(*f.status))
      co_return error(ctx, Error::invalid("status", "status must be open, pending, snoozed or resolved"));
    f.channel_id = ctx.query_param("channel_id");
    f.assignee_id = ctx.query_param("assignee_id");
    f.tag = ctx.query_param("tag");
    auto cursor = cursor_param(ctx, 3);
    if (!cursor) co_return error(ctx, cursor.error());
    f.cursor = *cursor;
    std::string tenant = who->tenant_id;
    auto work26_ = [tenant, f](store::Tx& tx) -> Result<repo::ConversationPage> {
      return repo::list_conversations(tx, tenant, f);
    };
    auto page = co_await db_read<repo::ConversationPage>(d.store, work26_);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& c : page->items) data.push_back(to_json(c));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"List conversations, highest priority and most recent activity first. Filters: status, channel_id, assignee_id, tag",
      Auth::agent, "conversations", "", list_schema(kConversationSchema)});

  r.add("GET", "/api/v1/conversations/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work27_ = [tenant, id](store::Tx& tx) -> Result<Conversation> {
      auto c = repo::get_conversation(tx, tenant, id);
      if (!c) return Error::not_found("conversation");
      return std::move(*c);
    };
    auto c = co_await db_read<Conversation>(d.store, work27_);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, to_json(*c));
  }, {"One conversation", Auth::agent, "conversations", "", kConversationSchema});

  r.add("PATCH", "/api/v1/conversations/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto patch = parse_patch(*body);
    if (!patch) co_return error(ctx, patch.error());
    auto p = *who;
    auto id = ctx.param("id");
    auto env = d.env();
    auto work28_ = [&env, p, id, patch = *patch](store::Tx& tx) {
      return pipeline::update_conversation(tx, env, p, id, patch);
    };
    auto c = co_await db_write<Conversation>(d.store, work28_);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, to_json(*c));
  }, {"Change status, priority, assignee or tags", Auth::agent, "conversations",
      R"({"type":"object","additionalProperties":false,"properties":{"status":{"type":"string","enum":["open","pending","snoozed","resolved"]},"priority":{"type":"integer","minimum":0,"maximum":1000},"assignee_id":{"type":["string","null"]},"tags":{"type":"array","items":{"type":"string"}}}})",
      kConversationSchema});

  r.add("GET", "/api/v1/conversations/{id}/messages", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto limit = limit_param(ctx);
    if (!limit) co_return error(ctx, limit.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto cursor_r = cursor_param(ctx, 1);
    if (!cursor_r) co_return error(ctx, cursor_r.error());
    auto cursor = *cursor_r;
    int64_t lim = *limit;
    auto work29_ = [=](store::Tx& tx) -> Result<repo::MessagePage> {
      if (!repo::get_conversation(tx, tenant, id)) return Error::not_found("conversation");
      return repo::list_messages(tx, tenant, id, cursor, lim, true);
    };
    auto page = co_await db_read<repo::MessagePage>(d.store, work29_);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& m : page->items) data.push_back(to_json(m));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Messages of a conversation, oldest first, including internal notes", Auth::agent, "conversations", "",
      list_schema(kMessageSchema)});

  r.add("POST", "/api/v1/conversations/{id}/messages", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto in = parse_reply(*body);
    if (!in) co_return error(ctx, in.error());
    auto p = *who;
    auto id = ctx.param("id");
    auto env = d.env();
    auto work30_ = [&env, p, id, in = *in](store::Tx& tx) -> Result<Rendered> {
      auto m = pipeline::agent_reply(tx, env, p, id, in);
      if (!m) return std::move(m).error();
      return Rendered{201, bj::serialize(to_json(*m))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work30_);
  }, {"Send a message (or an internal note) into the conversation", Auth::agent, "conversations",
      R"({"type":"object","required":["text"],"properties":{"text":{"type":"string"},"kind":{"type":"string","enum":["text","note"]},"choices":{"type":"array","maxItems":10,"items":{"type":"object","required":["id","title"],"properties":{"id":{"type":"string"},"title":{"type":"string"}}}}}})",
      kMessageSchema, 201, true});
}

}  // namespace bottega::http::api
