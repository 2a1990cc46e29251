// Teams of agents and transfers of conversations between teams and agents (src/service/teams.hpp);
// snoozing a conversation until a time (src/service/snooze.hpp).
#include <boost/json/serialize.hpp>

#include "http/api/common.hpp"
#include "service/service.hpp"
#include "service/snooze.hpp"
#include "service/teams.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kTeamSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"agent_ids":{"type":"array","items":{"type":"string"}},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kTeamInputSchema =
    R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string","maxLength":80},"agent_ids":{"type":"array","items":{"type":"string"}}}})";
constexpr const char* kSnoozeSchema =
    R"({"type":"object","additionalProperties":false,"properties":{"until":{"type":["string","integer","null"],"description":"RFC 3339 or epoch ms, in the future, at most a year ahead; null: until the customer writes"}}})";
constexpr const char* kTransferSchema =
    R"({"type":"object","additionalProperties":false,"properties":{"team_id":{"type":["string","null"]},"agent_id":{"type":["string","null"]},"note":{"type":"string","maxLength":2000}}})";

}  // namespace

void register_team_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/teams", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<bj::array> {
      bj::array out;
      for (const auto& t : service::list_teams(tx, tenant)) out.push_back(service::to_json(t));
      return out;
    };
    auto rows = co_await db_read<bj::array>(d.store, work);
    if (!rows) co_return error(ctx, rows.error());
    co_return list(ctx, std::move(*rows), std::nullopt);
  }, {"The shop's teams with their members, by name", Auth::agent, "service", "",
      R"({"type":"object","properties":{"data":{"type":"array","items":)" + std::string(kTeamSchema) + R"(}}})"});

  r.add("POST", "/api/v1/teams", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_team(*body, false); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id;
    auto env = d.env();
    auto work = [&env, tenant, o = *body](store::Tx& tx) -> Result<Rendered> {
      auto t = service::create_team(tx, env, tenant, o);
      if (!t) return std::move(t).error();
      return Rendered{201, bj::serialize(service::to_json(*t))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Create a team {name, agent_ids}. 409 name_taken; 400 agent_ids[i] unknown_agent", Auth::agent, "service",
      kTeamInputSchema, kTeamSchema, 201, true});

  r.add("GET", "/api/v1/teams/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bj::object> {
      auto t = service::get_team(tx, tenant, id);
      if (!t) return Error::not_found("team");
      return service::to_json(*t);
    };
    auto t = co_await db_read<bj::object>(d.store, work);
    if (!t) co_return error(ctx, t.error());
    co_return json(ctx, 200, *t);
  }, {"One team", Auth::agent, "service", "", kTeamSchema});

  r.add("PATCH", "/api/v1/teams/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_team(*body, true); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto env = d.env();
    auto work = [&env, tenant, id, o = *body](store::Tx& tx) -> Result<bj::object> {
      auto t = service::update_team(tx, env, tenant, id, o);
      if (!t) return std::move(t).error();
      return service::to_json(*t);
    };
    auto t = co_await db_write<bj::object>(d.store, work);
    if (!t) co_return error(ctx, t.error());
    co_return json(ctx, 200, *t);
  }, {"Rename a team or replace its members (fields given replace)", Auth::agent, "service", kTeamInputSchema, kTeamSchema});

  r.add("DELETE", "/api/v1/teams/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bool> {
      if (auto st = service::delete_team(tx, tenant, id); !st) return st.error();
      return true;
    };
    auto done = co_await db_write<bool>(d.store, work);
    if (!done) co_return error(ctx, done.error());
    co_return json(ctx, 200, bj::object{{"deleted", true}});
  }, {"Delete a team (its conversations keep their agent and leave the team)", Auth::agent, "service", "",
      R"({"type":"object","properties":{"deleted":{"type":"boolean"}}})"});

  r.add("POST", "/api/v1/conversations/{id}/snooze", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    int64_t now = d.clock.now_ms();
    auto until = service::parse_snooze(*body, now);
    if (!until) co_return error(ctx, until.error());
    auto p = *who;
    std::string id = ctx.param("id");
    auto env = d.env();
    auto work = [&env, p, id, u = *until, now](store::Tx& tx) -> Result<bj::object> {
      auto r = service::snooze(tx, env, p, id, u);
      if (!r) return std::move(r).error();
      bj::object o = to_json(*r);
      service::add_service_json(tx, *r, o, now);
      return o;
    };
    auto out = co_await db_write<bj::object>(d.store, work);
    if (!out) co_return error(ctx, out.error());
    co_return json(ctx, 200, *out);
  }, {"Snooze the conversation until a time (or until the customer writes: until null); it comes back open by itself then. "
      "409 resolved for a resolved conversation",
      Auth::agent, "service", kSnoozeSchema,
      R"({"type":"object","description":"the Conversation with snoozed_until"})"});

  r.add("POST", "/api/v1/conversations/{id}/transfer", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto in = service::parse_transfer(*body);
    if (!in) co_return error(ctx, in.error());
    auto p = *who;
    std::string id = ctx.param("id");
    auto env = d.env();
    auto work = [&env, p, id, t = *in](store::Tx& tx) -> Result<bj::object> {
      auto r = service::transfer(tx, env, p, id, t);
      if (!r) return std::move(r).error();
      bj::object o = to_json(r->conversation);
      o["team"] = service::team_json(tx, p.tenant_id, id);
      o["note_message_id"] = r->note_message_id ? bj::value(*r->note_message_id) : bj::value(nullptr);
      return o;
    };
    auto o = co_await db_write<bj::object>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, *o);
  }, {"Transfer a conversation to a team and/or an agent, with an internal note (the reason). A team without an agent: one of its online members with capacity, or the team's queue. Emits conversation.transferred (internal) and conversation.updated",
      Auth::agent, "conversations", kTransferSchema,
      R"({"type":"object","description":"the conversation, with team {id,name}|null and note_message_id"})"});
}

}  // namespace bottega::http::api
