// The service area's settings: business hours (IANA time zone) and SLA policy per level.
#include "http/api/common.hpp"
#include "service/service.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kServiceSettingsSchema =
    R"({"type":"object","properties":{"business_hours":{"type":["object","null"],"properties":{"time_zone":{"type":"string","description":"IANA zone, e.g. Europe/Rome"},"days":{"type":"object","description":"mon..sun: null (closed), [\"09:00\",\"18:00\"] or a list of such intervals"},"holidays":{"type":"array","items":{"type":"string","format":"date"}}}},"business_hours_configured":{"type":"boolean"},"sla":{"type":["object","null"],"properties":{"business_hours":{"type":"boolean"},"policies":{"type":"object","description":"urgent|high|normal|low -> {first_response_seconds, next_response_seconds, resolution_seconds} - each a whole number of seconds or null"}}}}})";

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
}

}  // namespace bottega::http::api
