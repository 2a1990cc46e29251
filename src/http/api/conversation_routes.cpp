// Conversations and their messages, for agents and API clients of one tenant.
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "channels/window.hpp"
#include "commerce/cards.hpp"
#include "http/api/common.hpp"
#include "pipeline/media.hpp"
#include "pipeline/window.hpp"
#include "service/mentions.hpp"
#include "service/service.hpp"
#include "store/repo/inbox_order.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kConversationSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"channel_id":{"type":"string"},"channel_type":{"type":"string"},"contact":{"type":"object"},"status":{"type":"string","enum":["open","pending","snoozed","resolved"]},"priority":{"type":"integer"},"assignee_id":{"type":["string","null"]},"tags":{"type":"array","items":{"type":"string"}},"last_message":{"type":["object","null"]},"first_response_at":{"type":["string","null"]},"snoozed_until":{"type":["string","null"],"description":"when a snoozed conversation comes back by itself"},"created_at":{"type":"string"},"updated_at":{"type":"string"},"priority_score":{"type":"object","description":"the inbox order: score, level, intent and each component's points - docs/service.md"},"sla":{"type":"object","description":"due times per target (first_response, next_response, resolution: {due_at, breached, seconds_left} or null), next_due_at, breached, breaches"}}})";
constexpr const char* kConversationWindowSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"channel_id":{"type":"string"},"channel_type":{"type":"string"},"subject":{"type":["string","null"]},"status":{"type":"string"},"priority_score":{"type":"object"},"sla":{"type":"object"},"window":{"type":"object","properties":{"policy":{"type":"string","enum":["none","whatsapp","meta","wechat"]},"open":{"type":"boolean"},"last_inbound_at":{"type":["string","null"]},"closes_at":{"type":["string","null"]},"human_agent_open":{"type":"boolean"},"human_agent_until":{"type":["string","null"]},"templates":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"language":{"type":"string"},"parameters":{"type":"integer"}}}}}}}})";
constexpr const char* kMessageSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"conversation_id":{"type":"string"},"direction":{"type":"string","enum":["in","out"]},"author":{"type":"object"},"kind":{"type":"string"},"text":{"type":"string"},"content":{"type":"object"},"delivery":{"type":"object"},"created_at":{"type":"string"}}})";

std::string list_schema(const char* item) {
  return std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + item +
         R"(},"next_cursor":{"type":["string","null"]}}})";
}

// A reply as asked: the input for the service, the template when it is one, and whether the
// caller says a person wrote it.
struct ReplyRequest {
  pipeline::ReplyInput in;
  std::optional<channels::TemplateSend> tmpl;
  bool human_agent = false;
  std::optional<commerce::ProductCardInput> product;  // kind "product", one
  std::optional<commerce::ProductListInput> products; // kind "product", several ("products")
  std::optional<std::string> cart_id, language;       // kind "cart"
  std::vector<std::string> media_ids;                 // kind "attachment": uploads to send
};

// {"kind":"product","sku"|"product_id","currency"?,"language"?,"url"?,"text"? (an intro line)},
// {"kind":"product","products":[{"sku"|"product_id","url"?}, ...2-10],"currency"?,"language"?,
// "text"?} and {"kind":"cart","cart_id","language"?}: the cards are built from the catalog in the
// write transaction (commerce/cards.hpp).
Result<ReplyRequest> parse_sell(const bj::object& o, const std::string& kind) {
  const std::string unknown = "unknown field for kind " + kind;
  BOTTEGA_TRY_STATUS(kind == "product"
                         ? json::only_keys(o, {"kind", "sku", "product_id", "currency", "language", "url", "text",
                                               "human_agent", "products"},
                                           {}, unknown)
                         : json::only_keys(o, {"kind", "cart_id", "language", "human_agent"}, {}, unknown));
  ReplyRequest req;
  req.in.kind = kind;
  BOTTEGA_TRY(human, json::optional_bool(o, "human_agent"));
  req.human_agent = human.value_or(false);
  BOTTEGA_TRY(language, json::optional_string(o, "language", {}, 16));
  if (language && (language->size() < 2 || language->size() > 16))
    return Error::invalid("language", "a language tag such as en, it, de or nl");
  if (kind == "cart") {
    BOTTEGA_TRY(cart_id, json::required_string(o, "cart_id", {}, 64));
    req.cart_id = std::move(cart_id);
    req.language = std::move(language);
    return req;
  }
  if (auto* list = o.if_contains("products")) {
    if (!list->is_array()) return Error::invalid("products", "products must be an array of {sku|product_id, url?}", "invalid_type");
    for (const char* k : {"sku", "product_id", "url"})
      if (o.contains(k))
        return Error::invalid(k, std::string(k) + " belongs inside each of products[]", "unknown_field");
    const auto& items = list->as_array();
    if (items.size() < 2 || items.size() > commerce::kMaxListProducts)
      return Error::invalid("products", "products has 2 to " + std::to_string(commerce::kMaxListProducts) +
                                            " items (one product: sku or product_id)", "invalid_value");
    commerce::ProductListInput l;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = "products[" + std::to_string(i) + "]";
      if (!items[i].is_object()) return Error::invalid(path, "each product is an object {sku|product_id, url?}", "invalid_type");
      const auto& it = items[i].as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(it, {"sku", "product_id", "url"}, path));
      commerce::ProductCardInput item;
      BOTTEGA_TRY(sku, json::optional_string(it, "sku", path + ".sku", 64));
      BOTTEGA_TRY(product_id, json::optional_string(it, "product_id", path + ".product_id", 64));
      BOTTEGA_TRY(url, json::optional_string(it, "url", path + ".url", 2048));
      if (!sku && !product_id)
        return Error::invalid(path + ".sku", "each product needs \"sku\" (a variant) or \"product_id\"", "missing_field");
      item.sku = std::move(sku);
      item.product_id = std::move(product_id);
      item.url = std::move(url);
      l.items.push_back(std::move(item));
    }
    BOTTEGA_TRY(currency, json::optional_string(o, "currency", {}, 3));
    BOTTEGA_TRY(text, json::optional_string(o, "text", {}, 1000));
    l.currency = std::move(currency);
    l.language = std::move(language);
    l.intro = std::move(text);
    req.products = std::move(l);
    return req;
  }
  commerce::ProductCardInput p;
  BOTTEGA_TRY(sku, json::optional_string(o, "sku", {}, 64));
  BOTTEGA_TRY(product_id, json::optional_string(o, "product_id", {}, 64));
  BOTTEGA_TRY(currency, json::optional_string(o, "currency", {}, 3));
  BOTTEGA_TRY(url, json::optional_string(o, "url", {}, 2048));
  BOTTEGA_TRY(text, json::optional_string(o, "text", {}, 1000));
  if (!sku && !product_id)
    return Error::invalid("sku", "a product card needs \"sku\" (a variant) or \"product_id\"", "missing_field");
  p.sku = std::move(sku);
  p.product_id = std::move(product_id);
  p.currency = std::move(currency);
  p.language = std::move(language);
  p.url = std::move(url);
  p.intro = std::move(text);
  req.product = std::move(p);
  return req;
}

Result<channels::TemplateSend> parse_template(const bj::object& o) {
  auto* t = o.if_contains("template");
  if (!t) return Error::invalid("template", "a template send needs \"template\": {name, language, parameters}", "missing_field");
  if (!t->is_object()) return Error::invalid("template", "template must be an object", "invalid_type");
  const auto& to = t->as_object();
  BOTTEGA_TRY_STATUS(json::only_keys(to, {"name", "language", "parameters"}, "template"));
  channels::TemplateSend ts;
  BOTTEGA_TRY(name, json::required_string(to, "name", "template.name", 512));
  BOTTEGA_TRY(language, json::required_string(to, "language", "template.language", 16));
  ts.name = std::move(name);
  ts.language = std::move(language);
  BOTTEGA_TRY(params, json::optional_array(to, "parameters", "template.parameters"));
  if (params) {
    if (params->size() > 20) return Error::invalid("template.parameters", "at most 20 parameters");
    for (size_t i = 0; i < params->size(); ++i) {
      const auto& p = (*params)[i];
      std::string path = "template.parameters[" + std::to_string(i) + "]";
      if (!p.is_string() || p.as_string().empty() || p.as_string().size() > 1024)
        return Error::invalid(path, "each parameter is a string of 1..1024 bytes", "invalid_type");
      ts.parameters.emplace_back(p.as_string());
    }
  }
  return ts;
}

// {"kind":"attachment","content":{"attachments":[{"media_id"}, ...1-10]},"text"? (the caption),
// "human_agent"?}: files uploaded with POST /api/v1/media; the server fills each attachment's
// type, name, size and sha256 from the upload and binds the upload to the message.
Result<ReplyRequest> parse_attachment(const bj::object& o) {
  BOTTEGA_TRY_STATUS(
      json::only_keys(o, {"kind", "text", "content", "human_agent"}, {}, "unknown field for kind attachment"));
  ReplyRequest req;
  req.in.kind = "attachment";
  BOTTEGA_TRY(human, json::optional_bool(o, "human_agent"));
  req.human_agent = human.value_or(false);
  BOTTEGA_TRY(text, json::optional_string(o, "text", {}, 65536));
  req.in.text = text.value_or("");
  auto* content = o.if_contains("content");
  if (!content) return Error::invalid("content.attachments", "attachments are required (content.attachments)", "missing_field");
  if (!content->is_object()) return Error::invalid("content", "content must be an object", "invalid_type");
  BOTTEGA_TRY_STATUS(json::only_keys(content->as_object(), {"attachments"}, "content"));
  BOTTEGA_TRY(atts, json::optional_array(content->as_object(), "attachments", "content.attachments"));
  if (!atts || atts->empty() || atts->size() > 10)
    return Error::invalid("content.attachments", "between 1 and 10 attachments", atts ? "invalid_argument" : "missing_field");
  for (size_t i = 0; i < atts->size(); ++i) {
    std::string path = "content.attachments[" + std::to_string(i) + "]";
    const auto& a = (*atts)[i];
    if (!a.is_object()) return Error::invalid(path, "each attachment is an object {\"media_id\"}", "invalid_type");
    BOTTEGA_TRY_STATUS(json::only_keys(a.as_object(), {"media_id"}, path));
    BOTTEGA_TRY(id, json::required_string(a.as_object(), "media_id", path + ".media_id", 100));
    if (id.empty()) return Error::invalid(path + ".media_id", "media_id must not be empty");
    req.media_ids.push_back(std::move(id));
  }
  return req;
}

Result<ReplyRequest> parse_reply(const bj::object& o) {
  ReplyRequest req;
  pipeline::ReplyInput& in = req.in;
  BOTTEGA_TRY(kind, json::optional_string(o, "kind", {}, 16));
  if (kind) {
    if (*kind == "product" || *kind == "cart") return parse_sell(o, *kind);
    if (*kind == "attachment") return parse_attachment(o);
    if (*kind != "text" && *kind != "note" && *kind != "template")
      return Error::invalid("kind", "kind must be \"text\", \"note\", \"template\", \"product\", \"cart\" or \"attachment\"");
    in.kind = *kind;
  }
  BOTTEGA_TRY(human, json::optional_bool(o, "human_agent"));
  req.human_agent = human.value_or(false);
  if (in.kind == "template") {
    BOTTEGA_TRY(t, parse_template(o));
    if (o.contains("choices")) return Error::invalid("choices", "a template cannot carry choices");
    BOTTEGA_TRY(text, json::optional_string(o, "text", {}, 65536));
    // What the conversation shows: the given text, or the template and its parameters.
    std::string shown = "[template " + t.name + "]";
    for (size_t i = 0; i < t.parameters.size(); ++i) shown += (i ? ", " : " ") + t.parameters[i];
    in.text = text && !text->empty() ? *text : shown;
    bj::array params;
    for (const auto& p : t.parameters) params.emplace_back(p);
    in.content_json = bj::serialize(bj::object{
        {"template", bj::object{{"name", t.name}, {"language", t.language}, {"parameters", std::move(params)}}}});
    req.tmpl = std::move(t);
    return req;
  }
  if (o.contains("template")) return Error::invalid("template", "template needs \"kind\": \"template\"");
  BOTTEGA_TRY(text, json::required_string(o, "text", {}, 65536));
  in.text = std::move(text);
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
  return req;
}

// The refusal of a message the window does not allow: 409 window_closed, with the templates that
// could be sent instead.
Response window_closed(Context& ctx, const std::string& message, const std::vector<channels::MessageTemplate>& templates) {
  bj::array list;
  for (const auto& t : templates)
    list.push_back(bj::object{{"name", t.name}, {"language", t.language}, {"parameters", t.parameters}});
  std::string names;
  for (const auto& t : templates) names += (names.empty() ? "" : ", ") + t.name + " (" + t.language + ")";
  std::string text = message + (templates.empty() ? std::string() : ". Templates that can be sent: " + names);
  return json(ctx, 409,
              bj::object{{"error", bj::object{{"code", "window_closed"}, {"message", text}, {"templates", std::move(list)}}}});
}

Result<pipeline::ConversationPatch> parse_patch(const bj::object& o) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"status", "priority", "assignee_id", "tags"}));
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
    f.team_id = ctx.query_param("team_id");
    bool by_score = true;
    if (auto sort = ctx.query_param("sort")) {
      if (*sort != "score" && *sort != "priority")
        co_return error(ctx, Error::invalid("sort", "sort must be score or priority"));
      by_score = *sort == "score";
    }
    int64_t now = d.clock.now_ms();
    if (by_score) {  // "s<now>.<score>.<last_message_at>.<seq>"
      if (auto c = ctx.query_param("cursor")) {
        size_t parts = 1, digits = 0;
        bool ok = c->size() >= 2 && c->size() <= 80 && (*c)[0] == 's';
        for (size_t i = 1; ok && i < c->size(); ++i) {
          char ch = (*c)[i];
          if (ch == '.') {
            ok = digits > 0 && digits <= 18;
            digits = 0;
            ++parts;
          } else if (ch >= '0' && ch <= '9') {
            ++digits;
          } else {
            ok = false;
          }
        }
        if (!ok || digits == 0 || digits > 18 || parts != 4)
          co_return error(ctx, Error::invalid("cursor", "not a cursor this list handed out"));
        f.cursor = *c;
      }
    } else {
      auto cursor = cursor_param(ctx, 3);
      if (!cursor) co_return error(ctx, cursor.error());
      f.cursor = *cursor;
    }
    std::string tenant = who->tenant_id;
    struct Listed {
      bj::array data;
      std::optional<std::string> next_cursor;
    };
    auto work26_ = [tenant, f, by_score, now](store::Tx& tx) -> Result<Listed> {
      auto page = by_score ? repo::list_conversations_by_score(tx, tenant, f, now) : repo::list_conversations(tx, tenant, f);
      Listed out;
      for (const auto& c : page.items) {
        bj::object o = to_json(c);
        service::add_service_json(tx, c, o, now);
        out.data.push_back(std::move(o));
      }
      out.next_cursor = page.next_cursor;
      return out;
    };
    auto page = co_await db_read<Listed>(d.store, work26_);
    if (!page) co_return error(ctx, page.error());
    co_return list(ctx, std::move(page->data), page->next_cursor);
  }, {"List conversations, by default highest priority score first (sort=score: pre-sale before post-sale, explicit priority, value at stake, waiting time; see priority_score), sort=priority: explicit priority first; then most recent activity. Filters: status, channel_id, assignee_id, tag, team_id",
      Auth::agent, "conversations", "", list_schema(kConversationSchema)});

  r.add("GET", "/api/v1/conversations/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work27_ = [tenant, id, now](store::Tx& tx) -> Result<bj::object> {
      auto c = repo::get_conversation(tx, tenant, id);
      if (!c) return Error::not_found("conversation");
      auto w = pipeline::window::for_conversation(tx, *c, now);
      bj::object o = to_json(*c);
      service::add_service_json(tx, *c, o, now);
      o["window"] = channels::window_json(w.state, w.templates);
      return o;
    };
    auto c = co_await db_read<bj::object>(d.store, work27_);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, *c);
  }, {"One conversation, with its messaging window (WhatsApp 24 h and templates; Messenger/Instagram 24 h and 7 days for a person's reply)",
      Auth::agent, "conversations", "", kConversationWindowSchema});

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
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto cursor = pg->cursor;
    int64_t lim = pg->limit;
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
    auto req = parse_reply(*body);
    if (!req) co_return error(ctx, req.error());
    auto p = *who;
    auto id = ctx.param("id");
    // The messaging window, before anything is queued. Notes are internal: no window.
    if (req->in.kind != "note") {
      int64_t now = d.clock.now_ms();
      std::string tenant = p.tenant_id;
      auto work_window_ = [tenant, id, now](store::Tx& tx) -> Result<pipeline::window::ConversationWindow> {
        auto c = repo::get_conversation(tx, tenant, id);
        if (!c) return Error::not_found("conversation");
        return pipeline::window::for_conversation(tx, *c, now);
      };
      auto w = co_await db_read<pipeline::window::ConversationWindow>(d.store, work_window_);
      if (!w) co_return error(ctx, w.error());
      // A person: an agent's session, or an API caller that says a person wrote it.
      bool by_person = !p.agent_id.empty() || req->human_agent;
      auto verdict = channels::check_send(w->state, req->tmpl.has_value(), by_person);
      if (!verdict.allowed) {
        if (req->tmpl) co_return error(ctx, Error{Errc::unprocessable, "templates_unsupported", verdict.message, "kind"});
        co_return window_closed(ctx, verdict.message, w->templates);
      }
      if (req->tmpl) {
        if (auto s = channels::check_template(*req->tmpl, w->templates); !s) co_return error(ctx, s.error());
      }
      req->in.human_agent = verdict.human_agent_tag;
    }
    auto env = d.env();
    int64_t now = d.clock.now_ms();
    auto work30_ = [&env, p, id, in = req->in, product = req->product, products = req->products,
                    cart_id = req->cart_id, language = req->language, media_ids = req->media_ids,
                    now](store::Tx& tx) -> Result<Rendered> {
      pipeline::ReplyInput reply = in;
      if (!media_ids.empty()) {  // the uploads' stored facts, bound to the message below
        BOTTEGA_TRY(atts, pipeline::media::outbound_attachments(tx, p.tenant_id, media_ids));
        reply.content_json = bj::serialize(bj::object{{"attachments", std::move(atts)}});
      }
      if (product || products || cart_id) {  // product cards or a cart summary, built from the catalog now
        auto conv = repo::get_conversation(tx, p.tenant_id, id);
        if (!conv) return Error::not_found("conversation");
        auto card = product    ? commerce::product_card(tx, p.tenant_id, *conv, *product, now)
                    : products ? commerce::product_list(tx, p.tenant_id, *conv, *products, now)
                               : commerce::cart_summary(tx, p.tenant_id, *conv, *cart_id, language, now);
        if (!card) return std::move(card).error();
        if (auto* ch = card->content.if_contains("choices"); ch && ch->is_array()) {
          for (const auto& c : ch->as_array())
            reply.choices.push_back({std::string(c.as_object().at("id").as_string()),
                                     std::string(c.as_object().at("title").as_string())});
          card->content.erase("choices");  // agent_reply writes them back
        }
        reply.text = std::move(card->text);
        reply.content_json = bj::serialize(card->content);
      }
      // A note records the agents it mentions (service/mentions.hpp).
      auto m = reply.kind == "note" ? service::write_note(tx, env, p, id, reply.text, reply.content_json)
                                    : pipeline::agent_reply(tx, env, p, id, reply);
      if (!m) return std::move(m).error();
      if (!media_ids.empty()) pipeline::media::bind_uploads(tx, p.tenant_id, media_ids, m->id);
      return Rendered{201, bj::serialize(to_json(*m))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work30_);
  }, {"Send a message, an approved template (WhatsApp), a product card (kind product), a cart summary (kind cart), files (kind attachment: content.attachments [{media_id}] of uploads from POST /api/v1/media, 1-10, each sent once; text is the caption) or an internal note into the conversation. A message the channel's window does not allow is refused before it is queued: 409 window_closed with the templates that could be sent (error.templates)", Auth::agent, "conversations",
      R"({"type":"object","properties":{"text":{"type":"string","description":"required unless kind is template"},"kind":{"type":"string","enum":["text","note","template","product","cart","attachment"]},"content":{"type":"object","description":"kind attachment: {\"attachments\":[{\"media_id\"}]} (1-10 uploads); the stored message's content.attachments adds mime_type, filename, size and sha256","properties":{"attachments":{"type":"array","minItems":1,"maxItems":10,"items":{"type":"object","required":["media_id"],"properties":{"media_id":{"type":"string"}}}}}},"choices":{"type":"array","maxItems":10,"items":{"type":"object","required":["id","title"],"properties":{"id":{"type":"string"},"title":{"type":"string"}}}},"template":{"type":"object","required":["name","language"],"properties":{"name":{"type":"string"},"language":{"type":"string"},"parameters":{"type":"array","items":{"type":"string"}}}},"human_agent":{"type":"boolean","description":"an API caller declares a person wrote it (Messenger/Instagram 7-day HUMAN_AGENT window); agent sessions always count as a person"},"sku":{"type":"string","description":"kind product: the variant to show"},"products":{"type":"array","minItems":2,"maxItems":10,"description":"kind product, several products in one message (instead of sku/product_id/url): a WhatsApp catalog multi-product message, a Messenger/Instagram carousel, a numbered list elsewhere","items":{"type":"object","properties":{"sku":{"type":"string"},"product_id":{"type":"string"},"url":{"type":"string"}}}},"product_id":{"type":"string","description":"kind product: the product, shown at its lowest price when it has several variants"},"currency":{"type":"string","description":"kind product: ISO 4217 code; default: the currency of the conversation's open cart, else the shop's"},"language":{"type":"string","description":"kind product or cart: en, it, de or nl; default: the customer's detected language"},"url":{"type":"string","description":"kind product: the product page, shown as a View button"},"cart_id":{"type":"string","description":"kind cart: the cart to summarize"}}})",
      kMessageSchema, 201, true});
}

}  // namespace bottega::http::api
