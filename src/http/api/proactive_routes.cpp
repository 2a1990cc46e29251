// Proactive messages (src/service/proactive.hpp): settings, the abandoned-cart reminders and
// order updates sent or skipped, and a contact's opt-out (src/pipeline/optout.hpp).
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "http/api/common.hpp"
#include "pipeline/contacts.hpp"
#include "pipeline/optout.hpp"
#include "service/proactive.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kTemplateChoiceSchema =
    R"({"type":["object","null"],"properties":{"name":{"type":"string","pattern":"^[a-z0-9_]{1,512}$"},"language":{"type":"string"},"parameters":{"type":"array","maxItems":10,"items":{"type":"string"}}}})";

std::string settings_schema() {
  return std::string(R"({"type":"object","properties":{"cart_reminder":{"type":["object","null"],"properties":{"enabled":{"type":"boolean"},"delay_seconds":{"type":"integer","minimum":1,"maximum":604800},"message":{"type":["string","null"],"maxLength":1000,"description":"variables {{contact.name}}, {{contact.first_name}}, {{cart.items}}, {{cart.total}}, {{shop.name}}"},"template":)") +
         kTemplateChoiceSchema +
         R"(}},"order_updates":{"type":["object","null"],"properties":{"enabled":{"type":"boolean"},"paid":)" +
         kTemplateChoiceSchema + R"(,"fulfilled":)" + kTemplateChoiceSchema + "}}}}";
}

constexpr const char* kOptOutSchema =
    R"({"type":"object","properties":{"contact_id":{"type":"string"},"opted_out":{"type":"boolean"},"source":{"type":["string","null"],"enum":["customer","agent","api",null]},"keyword":{"type":["string","null"]},"updated_at":{"type":["string","null"]}}})";
constexpr const char* kReminderSchema =
    R"({"type":"object","properties":{"cart_id":{"type":"string"},"contact_id":{"type":"string"},"status":{"type":"string","enum":["queued","running","sent","skipped"]},"reason":{"type":["string","null"]},"conversation_id":{"type":["string","null"]},"channel":{"type":["string","null"]},"mode":{"type":["string","null"],"enum":["text","template",null]},"message_id":{"type":["string","null"]},"currency":{"type":["string","null"]},"total":{"type":["integer","null"]},"queued_at":{"type":"string"},"done_at":{"type":["string","null"]}}})";
constexpr const char* kNotificationSchema =
    R"({"type":"object","properties":{"kind":{"type":"string","enum":["paid","fulfilled"]},"status":{"type":"string","enum":["pending","sent","skipped"]},"reason":{"type":["string","null"]},"conversation_id":{"type":["string","null"]},"message_id":{"type":["string","null"]},"created_at":{"type":"string"}}})";

bj::object opt_out_json(const std::string& contact_id, const std::optional<pipeline::OptOut>& o) {
  if (!o)
    return bj::object{{"contact_id", contact_id}, {"opted_out", false}, {"source", nullptr}, {"keyword", nullptr},
                      {"updated_at", nullptr}};
  return bj::object{{"contact_id", contact_id},
                    {"opted_out", o->opted_out},
                    {"source", o->source},
                    {"keyword", o->keyword ? bj::value(*o->keyword) : bj::value(nullptr)},
                    {"updated_at", rfc3339(o->updated_at)}};
}

}  // namespace

void register_proactive_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/proactive/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<bj::object> { return to_json(service::load_proactive(tx, tenant)); };
    auto s = co_await db_read<bj::object>(d.store, work);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"Proactive messages: the abandoned-cart reminder (delay, text, WhatsApp template after 24 h) and WhatsApp order updates (templates for paid and fulfilled orders)",
      Auth::agent, "service", "", settings_schema()});

  r.add("PATCH", "/api/v1/proactive/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto check = service::apply_proactive_patch(service::ProactiveSettings{}, *body); !check)
      co_return error(ctx, check.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, now, o = *body](store::Tx& tx) -> Result<bj::object> {
      auto s = service::update_proactive(tx, tenant, o, now);
      if (!s) return std::move(s).error();
      return to_json(*s);
    };
    auto s = co_await db_write<bj::object>(d.store, work);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"Change the proactive settings (fields given replace; a section set to null resets it). Errors name the field, e.g. cart_reminder.delay_seconds",
      Auth::agent, "service", settings_schema(), settings_schema()});

  r.add("GET", "/api/v1/proactive/cart_reminders", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto limit = limit_param(ctx);
    if (!limit) co_return error(ctx, limit.error());
    std::string tenant = who->tenant_id;
    int64_t n = *limit;
    auto work = [tenant, n](store::Tx& tx) -> Result<bj::array> { return service::list_reminders(tx, tenant, n); };
    auto rows = co_await db_read<bj::array>(d.store, work);
    if (!rows) co_return error(ctx, rows.error());
    co_return list(ctx, std::move(*rows), std::nullopt);
  }, {"Abandoned-cart reminders, newest first: sent (text, or a template after WhatsApp's 24 h), skipped with the reason (ordered, emptied, payment_open, paid, opted_out, window_closed, template_not_approved, no_conversation, disabled) or queued",
      Auth::agent, "service", "", R"({"type":"object","properties":{"data":{"type":"array","items":)" + std::string(kReminderSchema) + R"(}}})"});

  r.add("GET", "/api/v1/orders/{id}/notifications", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bj::array> { return service::order_notifications(tx, tenant, id); };
    auto rows = co_await db_read<bj::array>(d.store, work);
    if (!rows) co_return error(ctx, rows.error());
    co_return list(ctx, std::move(*rows), std::nullopt);
  }, {"The WhatsApp order updates of an order (paid, fulfilled): sent, or skipped with the reason (opted_out, no_whatsapp, template_not_approved)",
      Auth::agent, "service", "", R"({"type":"object","properties":{"data":{"type":"array","items":)" + std::string(kNotificationSchema) + R"(}}})"});

  r.add("GET", "/api/v1/contacts/{id}/opt_out", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<bj::object> {
      if (auto c = pipeline::get_contact(tx, tenant, id); !c) return c.error();
      return opt_out_json(id, pipeline::get_opt_out(tx, tenant, id));
    };
    auto o = co_await db_read<bj::object>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, *o);
  }, {"Whether the contact opted out of proactive messages (cart reminders, order updates), by whom and when", Auth::agent,
      "contacts", "", kOptOutSchema});

  r.add("PUT", "/api/v1/contacts/{id}/opt_out", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"opted_out"}); !st) co_return error(ctx, st.error());
    auto* v = body->if_contains("opted_out");
    if (!v) co_return error(ctx, Error::invalid("opted_out", "opted_out is required", "missing_field"));
    if (!v->is_bool()) co_return error(ctx, Error::invalid("opted_out", "opted_out is true or false", "invalid_type"));
    bool out = v->as_bool();
    std::string tenant = who->tenant_id, id = ctx.param("id"), source = who->agent_id.empty() ? "api" : "agent";
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, out, source, now](store::Tx& tx) -> Result<bj::object> {
      if (auto c = pipeline::get_contact(tx, tenant, id); !c) return c.error();
      pipeline::set_opt_out(tx, tenant, id, out, source, std::nullopt, now);
      return opt_out_json(id, pipeline::get_opt_out(tx, tenant, id));
    };
    auto o = co_await db_write<bj::object>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, *o);
  }, {"Opt the contact out of proactive messages (true) or back in (false), on the customer's behalf", Auth::agent,
      "contacts", R"({"type":"object","required":["opted_out"],"additionalProperties":false,"properties":{"opted_out":{"type":"boolean"}}})",
      kOptOutSchema});
}

}  // namespace bottega::http::api
