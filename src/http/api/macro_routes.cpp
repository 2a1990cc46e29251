// Macros: admins define them, agents read and run them on a conversation (src/service/macros.hpp).
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "http/api/common.hpp"
#include "service/macros.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kActionsSchema =
    R"({"type":"object","additionalProperties":false,"properties":{"reply":{"type":"object","required":["text"],"properties":{"text":{"type":"string","maxLength":4000,"description":"canned responses' variables: {{customer.first_name}}, {{order.number}}, ..."},"note":{"type":"boolean"}}},"add_tags":{"type":"array","maxItems":20,"items":{"type":"string","pattern":"^[a-z0-9_-]{1,64}$"}},"remove_tags":{"type":"array","maxItems":20,"items":{"type":"string"}},"priority":{"type":"integer","minimum":0,"maximum":1000},"status":{"type":"string","enum":["open","snoozed","resolved"]},"assign":{"type":"object","properties":{"team_id":{"type":["string","null"]},"agent_id":{"type":["string","null"]}}},"payment_link":{"type":"object","properties":{"amount":{"type":"integer","minimum":1},"currency":{"type":"string"},"cart":{"type":"boolean"},"description":{"type":"string","maxLength":500}}}}})";

std::string macro_schema() {
  return std::string(R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"description":{"type":"string"},"actions":)") +
         kActionsSchema + R"(,"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
}
std::string macro_input_schema() {
  return std::string(R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","maxLength":80},"description":{"type":["string","null"],"maxLength":500},"actions":)") +
         kActionsSchema + "}}";
}
constexpr const char* kRunSchema =
    R"({"type":"object","properties":{"run_id":{"type":"string"},"macro_id":{"type":"string"},"macro_name":{"type":"string"},"conversation_id":{"type":"string"},"ran_by":{"type":"string"},"ran_at":{"type":"string"},"steps":{"type":"array","items":{"type":"object","properties":{"action":{"type":"string","enum":["reply","payment_link","tags","priority","status","assign"]}}}},"note_message_id":{"type":"string"},"conversation":{"type":"object"}}})";

}  // namespace

void register_macro_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/macros", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<bj::array> {
      bj::array out;
      for (const auto& m : service::list_macros(tx, tenant)) out.push_back(service::to_json(m));
      return out;
    };
    auto rows = co_await db_read<bj::array>(d.store, work);
    if (!rows) co_return error(ctx, rows.error());
    co_return list(ctx, std::move(*rows), std::nullopt);
  }, {"The shop's macros, by name (any agent may read them)", Auth::agent, "service", "",
      R"({"type":"object","properties":{"data":{"type":"array","items":)" + macro_schema() + R"(}}})"});

  r.add("POST", "/api/v1/macros", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_macro(*body, false); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id;
    auto env = d.env();
    auto work = [&env, tenant, o = *body](store::Tx& tx) -> Result<Rendered> {
      auto m = service::create_macro(tx, env, tenant, o);
      if (!m) return std::move(m).error();
      return Rendered{201, bj::serialize(service::to_json(*m))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Create a macro {name, description?, actions: {reply?, add_tags?, remove_tags?, priority?, status?, assign?, payment_link?}} (admins). 400 naming the field (unknown_variable, invalid_tag, unknown_agent, unknown_team, invalid_amount); 409 name_taken",
      Auth::agent, "service", macro_input_schema(), macro_schema(), 201, true});

  r.add("GET", "/api/v1/macros/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bj::object> {
      auto m = service::get_macro(tx, tenant, id);
      if (!m) return Error::not_found("macro");
      return service::to_json(*m);
    };
    auto m = co_await db_read<bj::object>(d.store, work);
    if (!m) co_return error(ctx, m.error());
    co_return json(ctx, 200, *m);
  }, {"One macro", Auth::agent, "service", "", macro_schema()});

  r.add("PATCH", "/api/v1/macros/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_macro(*body, true); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto env = d.env();
    auto work = [&env, tenant, id, o = *body](store::Tx& tx) -> Result<bj::object> {
      auto m = service::update_macro(tx, env, tenant, id, o);
      if (!m) return std::move(m).error();
      return service::to_json(*m);
    };
    auto m = co_await db_write<bj::object>(d.store, work);
    if (!m) co_return error(ctx, m.error());
    co_return json(ctx, 200, *m);
  }, {"Change a macro (admins; the fields given replace, actions as a whole)", Auth::agent, "service",
      macro_input_schema(), macro_schema()});

  r.add("DELETE", "/api/v1/macros/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bool> {
      if (auto st = service::delete_macro(tx, tenant, id); !st) return st.error();
      return true;
    };
    auto done = co_await db_write<bool>(d.store, work);
    if (!done) co_return error(ctx, done.error());
    co_return json(ctx, 200, bj::object{{"deleted", true}});
  }, {"Delete a macro (admins; its runs stay in the audit)", Auth::agent, "service", "",
      R"({"type":"object","properties":{"deleted":{"type":"boolean"}}})"});

  r.add("GET", "/api/v1/conversations/{id}/macros/{macro_id}/preview", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto p = *who;
    std::string id = ctx.param("id"), macro = ctx.param("macro_id");
    int64_t now = d.clock.now_ms();
    auto work = [p, id, macro, now](store::Tx& tx) { return service::preview_macro(tx, p, id, macro, now); };
    auto o = co_await db_read<bj::object>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, *o);
  }, {"What running the macro on the conversation would do now (the reply filled in, tags, assignment, the link's amount), changing nothing; the same errors as a run",
      Auth::agent, "conversations", "",
      R"({"type":"object","properties":{"macro_id":{"type":"string"},"macro_name":{"type":"string"},"conversation_id":{"type":"string"},"steps":{"type":"array","items":{"type":"object"}}}})"});

  r.add("POST", "/api/v1/conversations/{id}/macros/{macro_id}/run", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (!ctx.req.body().empty()) {
      auto body = body_object(ctx);
      if (!body) co_return error(ctx, body.error());
      if (auto st = json::only_keys(*body, {}); !st) co_return error(ctx, st.error());
    }
    auto p = *who;
    std::string id = ctx.param("id"), macro = ctx.param("macro_id");
    auto env = d.env();
    std::string public_url = d.opts.public_url;
    auto work = [&env, p, id, macro, public_url](store::Tx& tx) -> Result<Rendered> {
      auto out = service::run_macro(tx, env, p, id, macro, public_url);
      if (!out) return std::move(out).error();
      return Rendered{200, bj::serialize(*out)};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Run a macro on the conversation: its reply, payment link, tags, priority, status and assignment in one transaction (all or nothing), with an internal note and an audit row. 409 window_closed, no_open_cart, macro_out_of_date; the payment link's errors. Honours Idempotency-Key",
      Auth::agent, "conversations", R"({"type":"object","additionalProperties":false,"properties":{}})", kRunSchema, 200, true});

  r.add("GET", "/api/v1/macro_runs", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto limit = limit_param(ctx);
    if (!limit) co_return error(ctx, limit.error());
    std::string tenant = who->tenant_id;
    auto conv = ctx.query_param("conversation_id");
    auto macro = ctx.query_param("macro_id");
    int64_t lim = *limit;
    auto work = [tenant, conv, macro, lim](store::Tx& tx) -> Result<bj::array> {
      return service::list_macro_runs(tx, tenant, conv, macro, lim);
    };
    auto rows = co_await db_read<bj::array>(d.store, work);
    if (!rows) co_return error(ctx, rows.error());
    co_return list(ctx, std::move(*rows), std::nullopt);
  }, {"The macro audit, newest first: who ran which macro on which conversation, when, and what it did. Filters conversation_id, macro_id; limit",
      Auth::agent, "service", "",
      R"({"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"macro_id":{"type":"string"},"macro_name":{"type":"string"},"conversation_id":{"type":"string"},"ran_by":{"type":"string"},"steps":{"type":"array"},"note_message_id":{"type":["string","null"]},"ran_at":{"type":"string"}}}}}})"});
}

}  // namespace bottega::http::api
