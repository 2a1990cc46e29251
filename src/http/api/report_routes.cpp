// The report API: key figures and breakdowns from the incrementally maintained aggregates
// (src/reports/), as JSON or CSV, and the tenant's report settings. Admins only: the reports show
// revenue (docs/reports.md). Thin: parse -> reports/ -> render.
// GCC 12 reports std::variant<..., std::string> cells in initializer lists as maybe-uninitialized
// (a known false positive at -O2).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "http/api/common.hpp"
#include "reports/aggregator.hpp"
#include "reports/report.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kSettingsSchema =
    R"({"type":"object","properties":{"time_zone":{"type":"string","description":"IANA time zone, e.g. Europe/Rome"},"attribution_window_days":{"type":"integer","minimum":1,"maximum":90}}})";
constexpr const char* kReportSchema =
    R"({"type":"object","properties":{"report":{"type":"string"},"from":{"type":"string","format":"date"},"to":{"type":"string","format":"date"},"time_zone":{"type":"string"},"window_days":{"type":"integer"},"source":{"type":"string","enum":["day","hour"]},"columns":{"type":"array","items":{"type":"string"}},"rows":{"type":"array","items":{"type":"object"}}}})";

bj::object settings_json(const reports::Settings& s) {
  return bj::object{{"time_zone", s.time_zone}, {"attribution_window_days", s.window_days}};
}

}  // namespace

void register_report_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/reports/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    std::string tenant = who->tenant_id;
    auto work_get_ = [tenant](store::Tx& tx) -> Result<reports::Settings> { return reports::get_settings(tx, tenant); };
    auto s = co_await db_read<reports::Settings>(d.store, work_get_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, settings_json(*s));
  }, {"The shop's report settings: time zone (IANA) and the time-window attribution's N days", Auth::agent, "reports",
      "", kSettingsSchema});

  r.add("PUT", "/api/v1/reports/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"time_zone", "attribution_window_days"}); !st) co_return error(ctx, st.error());
    auto tz = json::optional_string(*body, "time_zone", {}, 64);
    if (!tz) co_return error(ctx, tz.error());
    auto days = json::optional_int(*body, "attribution_window_days");
    if (!days) co_return error(ctx, days.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work_put_ = [tenant, now, tz = *tz, days = *days](store::Tx& tx) -> Result<reports::Settings> {
      auto s = reports::get_settings(tx, tenant);
      if (tz) s.time_zone = *tz;
      if (days) s.window_days = *days;
      if (auto st = reports::put_settings(tx, tenant, s, now); !st) return std::move(st).error();
      return s;
    };
    auto s = co_await db_write<reports::Settings>(d.store, work_put_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, settings_json(*s));
  }, {"Changes the report settings (admins). A new time zone rebuilds the daily figures in that zone", Auth::agent,
      "reports", kSettingsSchema, kSettingsSchema});

  r.add("GET", "/api/v1/reports/{report}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    std::string name = ctx.param("report");
    std::string format = ctx.query_param("format").value_or("json");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0) {
      name.resize(name.size() - 4);
      format = "csv";
    }
    if (!reports::is_report(name)) co_return error(ctx, Error::not_found("report"));
    if (format != "json" && format != "csv") co_return error(ctx, Error::invalid("format", "format is json or csv"));
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto from = ctx.query_param("from"), to = ctx.query_param("to"), tz = ctx.query_param("tz"),
         window = ctx.query_param("window_days");
    struct Out {
      reports::Table table;
      reports::Range range;
      reports::Data data;
    };
    auto work_report_ = [tenant, now, name, from, to, tz, window](store::Tx& tx) -> Result<Out> {
      auto settings = reports::get_settings(tx, tenant);
      auto range = reports::parse_range(from, to, tz, window, settings, now);
      if (!range) return std::move(range).error();
      Out o;
      o.range = *range;
      o.data = reports::load(tx, tenant, *range, settings, name);  // only what the report reads
      o.table = reports::build(name, o.data, *range);
      return o;
    };
    auto out = co_await db_read<Out>(d.store, work_report_);
    if (!out) co_return error(ctx, out.error());
    if (format == "csv") {
      auto resp = text_response(ctx.req, 200, reports::to_csv(out->table), "text/csv; charset=utf-8");
      resp.set("Content-Disposition", "attachment; filename=\"bottega-" + name + "-" + reports::format_date(out->range.from) +
                                          "-" + reports::format_date(out->range.to) + ".csv\"");
      co_return resp;
    }
    co_return json(ctx, 200, reports::to_json(name, out->table, out->range, out->data));
  }, {"A report over a range of local days (admins): summary, conversations, revenue, attribution_window, links, "
      "response_times, bot, sla or csat. Query: from, to (YYYY-MM-DD, inclusive; default the last 30 days), tz (IANA; "
      "default the shop's), window_days (time-window attribution), format=csv (or the name with .csv) for CSV",
      Auth::agent, "reports", "", kReportSchema});
}

}  // namespace bottega::http::api
