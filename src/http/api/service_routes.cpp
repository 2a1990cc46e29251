// The service area: settings (business hours in an IANA time zone, SLA policy per level,
// assignment, after-hours reply), agents' availability, canned responses.
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "http/api/common.hpp"
#include "service/operations.hpp"
#include "service/service.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kServiceSettingsSchema =
    R"({"type":"object","properties":{"business_hours":{"type":["object","null"],"properties":{"time_zone":{"type":"string","description":"IANA zone, e.g. Europe/Rome"},"days":{"type":"object","description":"mon..sun: null (closed), [\"09:00\",\"18:00\"] or a list of such intervals"},"holidays":{"type":"array","items":{"type":"string","format":"date"}}}},"business_hours_configured":{"type":"boolean"},"sla":{"type":["object","null"],"properties":{"business_hours":{"type":"boolean"},"policies":{"type":"object","description":"urgent|high|normal|low -> {first_response_seconds, next_response_seconds, resolution_seconds} - each a whole number of seconds or null"}}},"assignment":{"type":["object","null"],"properties":{"mode":{"type":"string","enum":["off","round_robin","least_loaded"]},"default_capacity":{"type":"integer","minimum":1,"maximum":1000}}},"after_hours":{"type":["object","null"],"properties":{"enabled":{"type":"boolean"},"message":{"type":["string","null"]}}}}})";

constexpr const char* kAvailabilitySchema =
    R"({"type":"object","properties":{"agent_id":{"type":"string"},"name":{"type":"string"},"status":{"type":"string","enum":["online","away"]},"capacity":{"type":"integer"},"own_capacity":{"type":["integer","null"]},"load":{"type":"integer"},"updated_at":{"type":["string","null"]}}})";
constexpr const char* kCannedSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"shortcut":{"type":"string"},"title":{"type":"string"},"body":{"type":"string"},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kCannedInputSchema =
    R"({"type":"object","additionalProperties":false,"properties":{"shortcut":{"type":"string","pattern":"^[a-z0-9_-]{1,32}$"},"title":{"type":"string","maxLength":100},"body":{"type":"string","maxLength":4000}}})";

bj::object availability_json(const service::Availability& a) {
  return bj::object{{"agent_id", a.agent_id},
                    {"name", a.name},
                    {"status", a.status},
                    {"capacity", a.effective_capacity},
                    {"own_capacity", a.capacity ? bj::value(*a.capacity) : bj::value(nullptr)},
                    {"load", a.load},
                    {"updated_at", a.updated_at ? bj::value(rfc3339(*a.updated_at)) : bj::value(nullptr)}};
}

}  // namespace

void register_service_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/service/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work_ = [tenant](store::Tx& tx) -> Result<bj::object> { return to_json(service::load_settings(tx, tenant)); };
    auto s = co_await db_read<bj::object>(d.store, work_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"Business hours (IANA time zone, intervals per weekday, holidays) and the SLA policy per level", Auth::agent,
      "service", "", kServiceSettingsSchema});

  r.add("PATCH", "/api/v1/service/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    // Validate before queuing the write, so a bad body never reaches the store.
    if (auto check = service::apply_settings_patch(service::ServiceSettings{}, *body); !check)
      co_return error(ctx, check.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work_ = [tenant, now, o = *body](store::Tx& tx) -> Result<bj::object> {
      auto s = service::update_settings(tx, tenant, o, now);
      if (!s) return std::move(s).error();
      return to_json(*s);
    };
    auto s = co_await db_write<bj::object>(d.store, work_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"Change business hours and SLA policy (a section given replaces that section; null resets it). Due times of open conversations are recomputed",
      Auth::agent, "service", kServiceSettingsSchema, kServiceSettingsSchema});

  // ---- availability --------------------------------------------------------------------------
  r.add("GET", "/api/v1/agents/availability", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work_ = [tenant](store::Tx& tx) -> Result<bj::array> {
      auto s = service::load_settings(tx, tenant);
      bj::array out;
      for (const auto& a : service::list_availability(tx, tenant, s)) out.push_back(availability_json(a));
      return out;
    };
    auto list = co_await db_read<bj::array>(d.store, work_);
    if (!list) co_return error(ctx, list.error());
    co_return json(ctx, 200, bj::object{{"data", std::move(*list)}, {"next_cursor", nullptr}});
  }, {"Every agent's availability (online or away), capacity and load (open conversations assigned)", Auth::agent,
      "service", "", R"({"type":"object","properties":{"data":{"type":"array","items":)" + std::string(kAvailabilitySchema) + R"(}}})"});

  r.add("PUT", "/api/v1/agents/{id}/availability", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string id = ctx.param("id");
    if (id == "me") id = who->agent_id;
    if (id.empty()) co_return error(ctx, Error::invalid("id", "an API token has no availability of its own: name the agent"));
    bool self = id == who->agent_id;
    if (!self) {
      if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    }
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"status", "capacity"}); !st) co_return error(ctx, st.error());
    auto status = json::required_string(*body, "status", "status", 16);
    if (!status) co_return error(ctx, status.error());
    if (*status != "online" && *status != "away") co_return error(ctx, Error::invalid("status", "status is online or away"));
    std::optional<int64_t> capacity;
    bool reset = false;
    if (auto it = body->find("capacity"); it != body->end()) {
      if (who->role != Role::admin) co_return error(ctx, Error{Errc::forbidden, "forbidden", "only admins set capacities", "capacity"});
      if (it->value().is_null()) {
        reset = true;
      } else if (it->value().is_int64() && it->value().as_int64() >= 1 && it->value().as_int64() <= 1000) {
        capacity = it->value().as_int64();
      } else {
        co_return error(ctx, Error::invalid("capacity", "a capacity is 1..1000, or null for the shop's default"));
      }
    }
    std::string tenant = who->tenant_id;
    auto env = d.env();
    auto work_ = [&env, tenant, id, st = *status, capacity, reset](store::Tx& tx) -> Result<bj::object> {
      auto a = service::set_availability(tx, env, tenant, id, st, capacity, reset);
      if (!a) return std::move(a).error();
      return availability_json(*a);
    };
    auto a = co_await db_write<bj::object>(d.store, work_);
    if (!a) co_return error(ctx, a.error());
    co_return json(ctx, 200, *a);
  }, {"Set an agent's availability: {\"status\":\"online\"|\"away\",\"capacity\"?:1..1000|null}. Agents set their own (id or \"me\"); admins anyone's, and capacities. Going online takes waiting conversations when automatic assignment is on",
      Auth::agent, "service", R"({"type":"object","required":["status"],"properties":{"status":{"type":"string","enum":["online","away"]},"capacity":{"type":["integer","null"],"minimum":1,"maximum":1000}}})",
      kAvailabilitySchema});

  // ---- canned responses ----------------------------------------------------------------------
  r.add("GET", "/api/v1/canned_responses", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work_ = [tenant](store::Tx& tx) -> Result<bj::array> {
      bj::array out;
      for (const auto& c : service::list_canned(tx, tenant)) out.push_back(service::to_json(c));
      return out;
    };
    auto list = co_await db_read<bj::array>(d.store, work_);
    if (!list) co_return error(ctx, list.error());
    co_return json(ctx, 200, bj::object{{"data", std::move(*list)}, {"next_cursor", nullptr}});
  }, {"The shop's canned responses, by shortcut", Auth::agent, "service", "",
      R"({"type":"object","properties":{"data":{"type":"array","items":)" + std::string(kCannedSchema) + R"(}}})"});

  r.add("POST", "/api/v1/canned_responses", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_canned(*body, false); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id;
    auto env = d.env();
    auto work_ = [&env, tenant, o = *body](store::Tx& tx) -> Result<Rendered> {
      auto c = service::create_canned(tx, env, tenant, o);
      if (!c) return std::move(c).error();
      return Rendered{201, bj::serialize(service::to_json(*c))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work_);
  }, {"Create a canned response {shortcut, title, body}; the body may use {{contact.name}}, {{contact.first_name}}, {{contact.email}}, {{agent.name}}, {{agent.first_name}}, {{shop.name}}, {{conversation.id}}. 409 shortcut_taken",
      Auth::agent, "service", kCannedInputSchema, kCannedSchema, 201, true});

  r.add("PATCH", "/api/v1/canned_responses/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = service::validate_canned(*body, true); !st) co_return error(ctx, st.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto env = d.env();
    auto work_ = [&env, tenant, id, o = *body](store::Tx& tx) -> Result<bj::object> {
      auto c = service::update_canned(tx, env, tenant, id, o);
      if (!c) return std::move(c).error();
      return service::to_json(*c);
    };
    auto c = co_await db_write<bj::object>(d.store, work_);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, *c);
  }, {"Change a canned response (fields given are replaced)", Auth::agent, "service", kCannedInputSchema, kCannedSchema});

  r.add("DELETE", "/api/v1/canned_responses/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work_ = [tenant, id](store::Tx& tx) -> Result<bool> {
      if (auto st = service::delete_canned(tx, tenant, id); !st) return st.error();
      return true;
    };
    auto done = co_await db_write<bool>(d.store, work_);
    if (!done) co_return error(ctx, done.error());
    co_return json(ctx, 200, bj::object{{"deleted", true}});
  }, {"Delete a canned response", Auth::agent, "service", "", R"({"type":"object","properties":{"deleted":{"type":"boolean"}}})"});

  r.add("POST", "/api/v1/canned_responses/{id}/render", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"conversation_id"}); !st) co_return error(ctx, st.error());
    auto conv = json::required_string(*body, "conversation_id", "conversation_id", 100);
    if (!conv) co_return error(ctx, conv.error());
    auto p = *who;
    std::string id = ctx.param("id"), cid = *conv;
    auto work_ = [p, id, cid](store::Tx& tx) -> Result<std::string> { return service::render_canned(tx, p, id, cid); };
    auto text = co_await db_read<std::string>(d.store, work_);
    if (!text) co_return error(ctx, text.error());
    co_return json(ctx, 200, bj::object{{"canned_response_id", id}, {"conversation_id", cid}, {"text", *text}});
  }, {"A canned response filled in for a conversation (the contact, the calling agent, the shop); the text to put in the composer",
      Auth::agent, "service", R"({"type":"object","required":["conversation_id"],"properties":{"conversation_id":{"type":"string"}}})",
      R"({"type":"object","properties":{"canned_response_id":{"type":"string"},"conversation_id":{"type":"string"},"text":{"type":"string"}}})"});
}

}  // namespace bottega::http::api
