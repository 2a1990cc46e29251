// The payment API routes: providers, payment links, refunds (with four-eyes approval), store
// credit and payouts; the hosted checkout page at a link's URL; the built-in sandbox PSP's pages;
// and PSP webhooks at /webhooks/psp/{provider_id}.
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "channels/form.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "payments/checkout_page.hpp"
#include "payments/engine.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/psp/registry.hpp"
#include "payments/service.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;
namespace pay = bottega::payments;

namespace {

constexpr const char* kProviderSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"type":{"type":"string","enum":["sandbox","stripe","mollie","adyen"]},"name":{"type":"string"},"settings":{"type":"object"},"webhook_url":{"type":"string"},"created_at":{"type":"string"}}})";
constexpr const char* kPaymentSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"},"status":{"type":"string","enum":["created","sent","opened","processing","paid","failed","expired","cancelled","partially_refunded","refunded"]},"verification_code":{"type":"string"},"amount":{"type":"integer"},"currency":{"type":"string"},"items":{"type":"array"},"conversation_id":{"type":["string","null"]},"provider_id":{"type":"string"},"credit_applied":{"type":"integer"},"due":{"type":"integer"},"captured":{"type":"integer"},"refunded":{"type":"integer"},"refundable":{"type":"integer"},"expires_at":{"type":"string"},"paid_at":{"type":["string","null"]},"created_at":{"type":"string"}}})";
constexpr const char* kRefundSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"payment_id":{"type":"string"},"amount":{"type":"integer"},"credit_amount":{"type":"integer"},"currency":{"type":"string"},"reason":{"type":"string"},"status":{"type":"string","enum":["pending_approval","processing","succeeded","failed","rejected"]},"requested_by":{"type":"string"},"approved_by":{"type":["string","null"]},"created_at":{"type":"string"}}})";
constexpr const char* kPayoutSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"contact_id":{"type":"string"},"provider_id":{"type":"string"},"amount":{"type":"integer"},"currency":{"type":"string"},"reason":{"type":"string"},"status":{"type":"string"}}})";

Response html(Context& ctx, int status, std::string body) {
  auto res = text_response(ctx.req, status, std::move(body), "text/html; charset=utf-8");
  res.set("Content-Security-Policy", std::string(pay::page::content_security_policy()));
  res.set("X-Frame-Options", "DENY");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(beast::http::field::cache_control, "no-store");
  return res;
}

Response redirect(Context& ctx, const std::string& location) {
  Response res{beast::http::status::see_other, ctx.req.version()};
  res.set(beast::http::field::location, location);
  res.set(beast::http::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

std::string language(Context& ctx, const std::string* form_lang = nullptr) {
  std::string param = form_lang ? *form_lang : ctx.query_param("lang").value_or("");
  return pay::page::pick_language(param, ctx.header("Accept-Language"));
}

Result<pay::LinkInput> parse_link(const bj::object& o) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"conversation_id", "cart_id", "items", "amount", "currency", "provider_id",
                                     "expires_in", "description", "contact_id", "apply_credit"}));
  pay::LinkInput in;
  BOTTEGA_TRY(contact, json::optional_string(o, "contact_id", {}, 100));
  in.contact_id = contact;
  if (const auto* c = o.if_contains("apply_credit"); c && !c->is_null()) {
    // true: as much store credit as the customer has (up to the amount); an integer: exactly that.
    if (c->is_bool()) {
      in.apply_credit = c->as_bool();
    } else if (c->is_int64() || c->is_uint64()) {
      auto v = c->to_number<int64_t>();
      if (v < 1) return Error::invalid("apply_credit", "apply_credit is true or a positive amount in minor units");
      in.apply_credit = true;
      in.credit_amount = v;
    } else {
      return Error::invalid("apply_credit", "apply_credit is true or a positive amount in minor units", "invalid_type");
    }
  }
  BOTTEGA_TRY(conv, json::optional_string(o, "conversation_id", {}, 100));
  in.conversation_id = conv;
  BOTTEGA_TRY(cart, json::optional_string(o, "cart_id", {}, 100));
  in.cart_id = cart;
  BOTTEGA_TRY(prov, json::optional_string(o, "provider_id", {}, 100));
  in.provider_id = prov;
  BOTTEGA_TRY(amount, json::optional_int(o, "amount"));
  in.amount = amount;
  BOTTEGA_TRY(currency, json::optional_string(o, "currency", {}, 3));
  in.currency = currency;
  BOTTEGA_TRY(exp, json::optional_int(o, "expires_in"));
  in.expires_in_s = exp;
  BOTTEGA_TRY(desc, json::optional_string(o, "description", {}, 500));
  in.description = desc.value_or("");
  BOTTEGA_TRY(items, json::optional_array(o, "items"));
  if (items) {
    if (items->empty()) return Error::invalid("items", "items must not be empty");
    for (size_t i = 0; i < items->size(); ++i) {
      std::string path = "items[" + std::to_string(i) + "]";
      if (!(*items)[i].is_object()) return Error::invalid(path, "each item is an object", "invalid_type");
      const auto& it = (*items)[i].as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(it, {"sku", "quantity"}));
      BOTTEGA_TRY(sku, json::required_string(it, "sku", path + ".sku", 200));
      BOTTEGA_TRY(q, json::optional_int(it, "quantity", path + ".quantity"));
      in.items.push_back({sku, q.value_or(1)});
    }
  }
  return in;
}

WebhookRequest raw_request(const Deps& d, Context& ctx) {
  WebhookRequest w;
  w.method = std::string(ctx.req.method_string());
  w.url = d.opts.public_url + std::string(ctx.req.target());
  w.query = ctx.query;
  for (const auto& f : ctx.req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    w.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  w.body = ctx.req.body();
  return w;
}

struct PageData {
  pay::Payment payment;
  std::string shop;
  int64_t credit = 0;  // store credit the customer could use here
};

// Status page kind for a link that cannot be paid now, or "" when it can.
std::string blocked_kind(const pay::Payment& p) {
  if (p.status == "paid" || p.status == "partially_refunded") return "paid";
  if (p.status == "refunded") return "refunded";
  if (p.status == "expired") return "expired";
  if (p.status == "cancelled") return "cancelled";
  return "";
}

asio::awaitable<Response> checkout_get(Deps& d, Context& ctx) {
  std::string token = ctx.param("token");
  std::string lang = language(ctx);
  auto env = d.env();
  auto work = [&env, token](store::Tx& tx) -> Result<PageData> {
    auto p = pay::open_link(tx, env, token);
    if (!p) return std::move(p).error();
    std::string shop = pay::db::tenant_name(tx, p->tenant_id).value_or("");
    int64_t credit = pay::credit_offer(tx, *p);
    return PageData{std::move(p).value(), shop, credit};
  };
  auto r = co_await db_write<PageData>(d.store, work);
  if (!r) {
    if (r.error().errc == Errc::not_found) {
      d.metrics.inc("bottega_checkout_rejected_total", "reason=\"invalid_token\"");
      co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", lang, false));
    }
    co_return html(ctx, 503, pay::page::status_page("error", nullptr, "", lang, false));
  }
  std::string kind = blocked_kind(r->payment);
  if (!kind.empty()) co_return html(ctx, kind == "expired" ? 410 : 200, pay::page::status_page(kind, &r->payment, r->shop, lang, false));
  std::string notice = r->payment.status == "failed" ? "declined" : "";
  co_return html(ctx, 200, pay::page::checkout(r->payment, r->shop, lang, notice, r->credit));
}

asio::awaitable<Response> checkout_post(Deps& d, Context& ctx) {
  std::string token = ctx.param("token");
  auto form = channels::form::parse(ctx.req.body(), 20, 4096);
  const std::string* lang_field = form ? channels::form::find(*form, "lang") : nullptr;
  std::string lang = language(ctx, lang_field);
  const std::string* credit_field = form ? channels::form::find(*form, "use_credit") : nullptr;
  bool use_credit = credit_field && *credit_field == "1";
  if (!d.payments) co_return html(ctx, 503, pay::page::status_page("error", nullptr, "", lang, false));
  pay::Engine* engine = d.payments;
  auto start = [engine, token, lang, use_credit](auto cb) {
    engine->start_checkout(token, lang, use_credit, [cb](Result<std::string> r) mutable { cb(std::move(r)); });
  };
  auto url = co_await bridge<Result<std::string>>(start);
  if (url) co_return redirect(ctx, *url);
  const Error& e = url.error();
  if (e.errc == Errc::not_found) {
    d.metrics.inc("bottega_checkout_rejected_total", "reason=\"invalid_token\"");
    co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", lang, false));
  }
  // Show the link as it is now (used, expired...) or the error.
  auto work = [token](store::Tx& tx) -> Result<PageData> {
    auto p = pay::db::find_payment_by_token(tx, token);
    if (!p) return Error::not_found("payment link");
    return PageData{std::move(*p), pay::db::tenant_name(tx, p->tenant_id).value_or("")};
  };
  auto r = co_await db_read<PageData>(d.store, work);
  if (!r) co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", lang, false));
  d.metrics.inc("bottega_checkout_rejected_total", "reason=\"" + e.code + "\"");
  std::string kind = blocked_kind(r->payment);
  if (e.code == "link_expired") kind = "expired";
  if (kind.empty()) kind = "error";
  co_return html(ctx, e.errc == Errc::conflict ? 409 : 503, pay::page::status_page(kind, &r->payment, r->shop, lang, false));
}

asio::awaitable<Response> checkout_return(Deps& d, Context& ctx) {
  std::string token = ctx.param("token");
  std::string lang = language(ctx);
  auto work = [token](store::Tx& tx) -> Result<PageData> {
    auto p = pay::db::find_payment_by_token(tx, token);
    if (!p) return Error::not_found("payment link");
    return PageData{std::move(*p), pay::db::tenant_name(tx, p->tenant_id).value_or("")};
  };
  auto r = co_await db_read<PageData>(d.store, work);
  if (!r) co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", lang, false));
  std::string kind = blocked_kind(r->payment);
  if (!kind.empty()) co_return html(ctx, 200, pay::page::status_page(kind, &r->payment, r->shop, lang, false));
  if (r->payment.status == "failed") co_return html(ctx, 200, pay::page::checkout(r->payment, r->shop, lang, "declined"));
  co_return html(ctx, 200, pay::page::status_page("processing", &r->payment, r->shop, lang, true));
}

struct SandboxView {
  pay::Payment payment;
  std::string shop, status;
};

asio::awaitable<Response> sandbox_get(Deps& d, Context& ctx) {
  std::string id = ctx.param("session");
  auto work = [id](store::Tx& tx) -> Result<SandboxView> {
    auto s = pay::db::find_sandbox_payment(tx, id);
    if (!s) return Error::not_found("sandbox session");
    auto p = pay::db::get_payment(tx, s->tenant_id, s->payment_id);
    if (!p) return Error::not_found("sandbox session");
    return SandboxView{std::move(*p), pay::db::tenant_name(tx, s->tenant_id).value_or(""), s->status};
  };
  auto r = co_await db_read<SandboxView>(d.store, work);
  if (!r) co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", "en", false));
  if (r->status != "open")
    co_return redirect(ctx, "/pay/" + r->payment.token + "/return");
  co_return html(ctx, 200, pay::page::sandbox(id, r->payment, r->shop, "choose"));
}

asio::awaitable<Response> sandbox_post(Deps& d, Context& ctx) {
  std::string id = ctx.param("session");
  auto form = channels::form::parse(ctx.req.body(), 20, 4096);
  if (!form) co_return error(ctx, form.error());
  const std::string* method = channels::form::find(*form, "method");
  if (!method) co_return error(ctx, Error::invalid("method", "method is required", "missing_field"));
  auto env = d.env();
  std::string m = *method;
  struct Out {
    pay::SandboxStep step;
    SandboxView view;
  };
  auto work = [&env, id, m](store::Tx& tx) -> Result<Out> {
    auto step = pay::sandbox_choose(tx, env, id, m);
    if (!step) return std::move(step).error();
    auto s = pay::db::find_sandbox_payment(tx, id);
    auto p = pay::db::get_payment(tx, s->tenant_id, s->payment_id);
    return Out{*step, SandboxView{std::move(*p), pay::db::tenant_name(tx, s->tenant_id).value_or(""), s->status}};
  };
  auto r = co_await db_write<Out>(d.store, work);
  if (!r) {
    if (r.error().errc == Errc::not_found) co_return html(ctx, 404, pay::page::status_page("invalid", nullptr, "", "en", false));
    co_return error(ctx, r.error());
  }
  if (r->step.next == "done") co_return redirect(ctx, "/pay/" + r->step.token + "/return");
  co_return html(ctx, 200, pay::page::sandbox(id, r->view.payment, r->view.shop, r->step.next));
}

asio::awaitable<Response> psp_webhook(Deps& d, Context& ctx) {
  if (!d.payments) co_return error(ctx, Error{Errc::unavailable, "unavailable", "payments are not running", {}});
  pay::Engine* engine = d.payments;
  std::string provider_id = ctx.param("provider_id");
  auto raw = std::make_shared<WebhookRequest>(raw_request(d, ctx));
  auto run = [engine, provider_id, raw](auto cb) {
    engine->handle_webhook(provider_id, *raw, [cb](Result<pay::WebhookResult> r) mutable { cb(std::move(r)); });
  };
  auto r = co_await bridge<Result<pay::WebhookResult>>(run);
  if (!r) co_return error(ctx, r.error());
  if (const auto* a = pay::psp::find_adapter(r->provider_type); a && !a->webhook_ack.empty())
    co_return text_response(ctx.req, 200, std::string(a->webhook_ack), "text/plain; charset=utf-8");  // Adyen: "[accepted]"
  co_return json(ctx, 200, bj::object{{"ok", true}, {"events", r->events}, {"applied", r->applied},
                                      {"duplicates", r->duplicates}, {"ignored", r->ignored}});
}

}  // namespace

void register_payment_routes(Router& r, Deps& d) {
  r.add("POST", "/api/v1/payment_providers", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto o = *body;
    if (auto s = json::only_keys(o, {"type", "name", "settings"}); !s) co_return error(ctx, s.error());
    auto type = json::required_string(o, "type", {}, 32);
    if (!type) co_return error(ctx, type.error());
    auto name = json::optional_string(o, "name", {}, 200);
    if (!name) co_return error(ctx, name.error());
    auto settings = json::optional_object(o, "settings");
    if (!settings) co_return error(ctx, settings.error());
    bj::object s = *settings ? **settings : bj::object{};
    auto p = *who;
    auto env = d.env();
    std::string t = *type, n = name->value_or(*type), public_url = d.opts.public_url;
    auto work = [&env, p, t, n, s, public_url](store::Tx& tx) -> Result<Rendered> {
      auto prov = pay::create_provider(tx, env, p, t, n, s);
      if (!prov) return std::move(prov).error();
      return Rendered{201, bj::serialize(pay::to_json(*prov, public_url))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Connect a payment provider (admins). Types: sandbox (built in), stripe, mollie, adyen. Secrets are write-only",
      Auth::agent, "payments",
      R"({"type":"object","required":["type"],"additionalProperties":false,"properties":{"type":{"type":"string","enum":["sandbox","stripe","mollie","adyen"]},"name":{"type":"string"},"settings":{"type":"object","description":"sandbox: webhook_secret?, async_delay_ms?; stripe: secret_key, webhook_secret, api_base_url?; mollie: api_key, api_base_url?; adyen: api_key, merchant_account, hmac_key, api_base_url?, basic_username?, basic_password?"}}})",
      kProviderSchema, 201, true});

  r.add("GET", "/api/v1/payment_providers", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<std::vector<pay::Provider>> { return pay::db::list_providers(tx, tenant); };
    auto list_r = co_await db_read<std::vector<pay::Provider>>(d.store, work);
    if (!list_r) co_return error(ctx, list_r.error());
    bj::array data;
    for (const auto& p : *list_r) data.push_back(pay::to_json(p, d.opts.public_url));
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"The shop's payment providers", Auth::agent, "payments", "", kProviderSchema});

  r.add("GET", "/api/v1/payment_settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<pay::db::Settings> { return pay::db::get_settings(tx, tenant); };
    auto s = co_await db_read<pay::db::Settings>(d.store, work);
    if (!s) co_return error(ctx, s.error());
    auto v = [](const std::optional<int64_t>& x) { return x ? bj::value(*x) : bj::value(nullptr); };
    co_return json(ctx, 200, bj::object{{"refund_approval_threshold", v(s->refund_approval_threshold)},
                                        {"payout_approval_threshold", v(s->payout_approval_threshold)}});
  }, {"Payment guardrails: refunds and payouts above a threshold wait for a second admin", Auth::agent, "payments", "",
      R"({"type":"object","properties":{"refund_approval_threshold":{"type":["integer","null"]},"payout_approval_threshold":{"type":["integer","null"]}}})"});

  r.add("PUT", "/api/v1/payment_settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (who->role != Role::admin) co_return error(ctx, Error::forbidden("admin_required", "only admins change payment settings"));
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto s = json::only_keys(*body, {"refund_approval_threshold", "payout_approval_threshold"}); !s)
      co_return error(ctx, s.error());
    pay::db::Settings s;
    for (const char* k : {"refund_approval_threshold", "payout_approval_threshold"}) {
      auto v = json::optional_int(*body, k);
      if (!v) co_return error(ctx, v.error());
      if (*v && **v < 0) co_return error(ctx, Error::invalid(k, "a threshold is a non-negative amount in minor units"));
      (std::string_view(k) == "refund_approval_threshold" ? s.refund_approval_threshold : s.payout_approval_threshold) = *v;
    }
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, s, now](store::Tx& tx) -> Result<pay::db::Settings> {
      pay::db::put_settings(tx, tenant, s, now);
      return s;
    };
    auto out = co_await db_write<pay::db::Settings>(d.store, work);
    if (!out) co_return error(ctx, out.error());
    auto v = [](const std::optional<int64_t>& x) { return x ? bj::value(*x) : bj::value(nullptr); };
    co_return json(ctx, 200, bj::object{{"refund_approval_threshold", v(out->refund_approval_threshold)},
                                        {"payout_approval_threshold", v(out->payout_approval_threshold)}});
  }, {"Set the payment guardrails (admins)", Auth::agent, "payments",
      R"({"type":"object","additionalProperties":false,"properties":{"refund_approval_threshold":{"type":["integer","null"]},"payout_approval_threshold":{"type":["integer","null"]}}})",
      R"({"type":"object"})"});

  r.add("POST", "/api/v1/payment_links", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto in = parse_link(*body);
    if (!in) co_return error(ctx, in.error());
    auto p = *who;
    auto env = d.env();
    std::string public_url = d.opts.public_url;
    auto work = [&env, p, in = *in, public_url](store::Tx& tx) -> Result<Rendered> {
      auto link = pay::create_link(tx, env, p, in, public_url);
      if (!link) return std::move(link).error();
      return Rendered{201, bj::serialize(pay::to_json(*link, public_url))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Create a payment link (amount+currency, items by SKU, or a cart: its total, its stock held until the link expires) and send it into the conversation; apply_credit spends the customer's store credit first (the provider is asked only for the rest; all of it: paid at once). 409 insufficient_credit",
      Auth::agent, "payments",
      R"({"type":"object","additionalProperties":false,"properties":{"conversation_id":{"type":"string"},"cart_id":{"type":"string"},"items":{"type":"array","items":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string"},"quantity":{"type":"integer","minimum":1}}}},"amount":{"type":"integer","minimum":1},"currency":{"type":"string"},"provider_id":{"type":"string"},"expires_in":{"type":"integer","minimum":900,"maximum":2592000},"description":{"type":"string"},"contact_id":{"type":"string"},"apply_credit":{"type":["boolean","integer"]}}})",
      kPaymentSchema, 201, true});

  auto get_payment = [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    struct Out {
      pay::Payment p;
      std::vector<pay::Refund> refunds;
    };
    auto work = [tenant, id](store::Tx& tx) -> Result<Out> {
      auto p = pay::db::get_payment(tx, tenant, id);
      if (!p) return Error::not_found("payment");
      return Out{std::move(*p), pay::db::list_refunds(tx, tenant, id)};
    };
    auto r = co_await db_read<Out>(d.store, work);
    if (!r) co_return error(ctx, r.error());
    auto o = pay::to_json(r->p, d.opts.public_url);
    bj::array refunds;
    for (const auto& x : r->refunds) refunds.push_back(pay::to_json(x));
    o["refunds"] = std::move(refunds);
    co_return json(ctx, 200, o);
  };
  r.add("GET", "/api/v1/payment_links/{id}", get_payment,
        {"One payment link (its payment request), with its refunds", Auth::agent, "payments", "", kPaymentSchema});
  r.add("POST", "/api/v1/payment_links/{id}/cancel", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (!ctx.req.body().empty()) {
      auto body = body_object(ctx);
      if (!body) co_return error(ctx, body.error());
      if (auto s = json::only_keys(*body, {}); !s) co_return error(ctx, s.error());
    }
    auto p = *who;
    auto env = d.env();
    std::string id = ctx.param("id");
    auto work = [&env, p, id](store::Tx& tx) { return pay::cancel_link(tx, env, p, id); };
    auto out = co_await db_write<pay::Payment>(d.store, work);
    if (!out) co_return error(ctx, out.error());
    co_return json(ctx, 200, pay::to_json(*out, d.opts.public_url));
  }, {"Cancel a payment link nobody is paying (created, sent, opened or failed); a cart's held units go back to stock. 409 link_expired, link_processing, link_used",
      Auth::agent, "payments", R"({"type":"object","additionalProperties":false,"properties":{}})", kPaymentSchema});
  r.add("GET", "/api/v1/payments/{id}", get_payment,
        {"One payment (same object as its payment link), with its refunds", Auth::agent, "payments", "", kPaymentSchema});

  r.add("GET", "/api/v1/payments", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    std::string tenant = who->tenant_id;
    auto c = pg->cursor;
    int64_t lim = pg->limit;
    auto work = [tenant, c, lim](store::Tx& tx) -> Result<pay::db::PaymentPage> { return pay::db::list_payments(tx, tenant, c, lim); };
    auto page = co_await db_read<pay::db::PaymentPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& p : page->items) data.push_back(pay::to_json(p, d.opts.public_url));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Payments, newest first", Auth::agent, "payments", "", kPaymentSchema});

  r.add("GET", "/api/v1/payments/{id}/audit", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<std::vector<pay::db::AuditEntry>> {
      if (!pay::db::get_payment(tx, tenant, id)) return Error::not_found("payment");
      return pay::db::audit_of(tx, tenant, id);
    };
    auto r = co_await db_read<std::vector<pay::db::AuditEntry>>(d.store, work);
    if (!r) co_return error(ctx, r.error());
    bj::array data;
    for (const auto& e : *r)
      data.push_back(bj::object{{"subject_id", e.subject_id}, {"action", e.action}, {"actor", e.actor},
                                {"amount", e.amount ? bj::value(*e.amount) : bj::value(nullptr)},
                                {"currency", e.currency ? bj::value(*e.currency) : bj::value(nullptr)},
                                {"reason", e.reason ? bj::value(*e.reason) : bj::value(nullptr)},
                                {"at", rfc3339(e.created_at)}});
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"The payment's append-only audit log: who, when, why, how much", Auth::agent, "payments", "", R"({"type":"object"})"});

  r.add("POST", "/api/v1/payments/{id}/refunds", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (ctx.header("Idempotency-Key").empty())
      co_return error(ctx, Error::invalid("Idempotency-Key", "refunds require an Idempotency-Key header", "missing_field"));
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto s = json::only_keys(*body, {"amount", "reason"}); !s) co_return error(ctx, s.error());
    auto amount = json::required_int(*body, "amount");
    if (!amount) co_return error(ctx, amount.error());
    auto reason = json::required_string(*body, "reason", {}, 500);
    if (!reason) co_return error(ctx, reason.error());
    auto p = *who;
    auto env = d.env();
    std::string id = ctx.param("id"), why = *reason;
    int64_t amt = *amount;
    auto work = [&env, p, id, amt, why](store::Tx& tx) -> Result<Rendered> {
      auto r = pay::request_refund(tx, env, p, id, amt, why);
      if (!r) return std::move(r).error();
      return Rendered{201, bj::serialize(pay::to_json(*r))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Refund all or part of a payment (Idempotency-Key required; reason required); above the shop's threshold it "
      "waits for another admin's approval",
      Auth::agent, "payments",
      R"({"type":"object","required":["amount","reason"],"additionalProperties":false,"properties":{"amount":{"type":"integer","minimum":1},"reason":{"type":"string"}}})",
      kRefundSchema, 201, true});

  for (const char* verb : {"approve", "reject"}) {
    bool approve = std::string_view(verb) == "approve";
    r.add("POST", std::string("/api/v1/refunds/{id}/") + verb, [&d, approve](Context& ctx) -> asio::awaitable<Response> {
      auto who = co_await authenticate(d, ctx);
      if (!who) co_return error(ctx, who.error());
      std::string note;
      if (!ctx.req.body().empty()) {
        auto body = body_object(ctx);
        if (!body) co_return error(ctx, body.error());
        if (auto s = json::only_keys(*body, {"note"}); !s) co_return error(ctx, s.error());
        auto n = json::optional_string(*body, "note", {}, 500);
        if (!n) co_return error(ctx, n.error());
        note = n->value_or("");
      }
      auto p = *who;
      auto env = d.env();
      std::string id = ctx.param("id");
      auto work = [&env, p, id, approve, note](store::Tx& tx) { return pay::decide_refund(tx, env, p, id, approve, note); };
      auto out = co_await db_write<pay::Refund>(d.store, work);
      if (!out) co_return error(ctx, out.error());
      co_return json(ctx, 200, pay::to_json(*out));
    }, {approve ? "Approve a refund waiting for approval (an admin other than the requester)"
                : "Reject a refund waiting for approval (an admin other than the requester)",
        Auth::agent, "payments", R"({"type":"object","properties":{"note":{"type":"string"}}})", kRefundSchema});
  }

  r.add("POST", "/api/v1/contacts/{id}/credit", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto s = json::only_keys(*body, {"amount", "currency", "reason"}); !s) co_return error(ctx, s.error());
    auto amount = json::required_int(*body, "amount");
    if (!amount) co_return error(ctx, amount.error());
    auto currency = json::required_string(*body, "currency", {}, 3);
    if (!currency) co_return error(ctx, currency.error());
    auto reason = json::required_string(*body, "reason", {}, 500);
    if (!reason) co_return error(ctx, reason.error());
    auto p = *who;
    auto env = d.env();
    std::string contact = ctx.param("id"), cur = *currency, why = *reason;
    int64_t amt = *amount;
    auto work = [&env, p, contact, amt, cur, why](store::Tx& tx) -> Result<Rendered> {
      if (!pay::db::contact_exists(tx, p.tenant_id, contact)) return Error::not_found("contact");
      auto bal = pay::grant_credit(tx, env, p, contact, amt, cur, why);
      if (!bal) return std::move(bal).error();
      return Rendered{201, bj::serialize(bj::object{{"contact_id", contact}, {"currency", cur}, {"balance", *bal}})};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Grant store credit to a customer (admins): a ledger account spendable later", Auth::agent, "payments",
      R"({"type":"object","required":["amount","currency","reason"],"properties":{"amount":{"type":"integer"},"currency":{"type":"string"},"reason":{"type":"string"}}})",
      R"({"type":"object","properties":{"contact_id":{"type":"string"},"currency":{"type":"string"},"balance":{"type":"integer"}}})",
      201, true});

  r.add("GET", "/api/v1/contacts/{id}/credit", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, contact = ctx.param("id");
    auto work = [tenant, contact](store::Tx& tx) -> Result<std::vector<pay::ledger::AccountBalance>> {
      std::vector<pay::ledger::AccountBalance> out;
      for (auto& b : pay::ledger::balances(tx, tenant))
        if (b.account == "credit:" + contact) out.push_back(b);
      return out;
    };
    auto r = co_await db_read<std::vector<pay::ledger::AccountBalance>>(d.store, work);
    if (!r) co_return error(ctx, r.error());
    bj::array data;
    for (const auto& b : *r) data.push_back(bj::object{{"currency", b.currency}, {"balance", -b.balance}});
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"A customer's store credit per currency", Auth::agent, "payments", "", R"({"type":"object"})"});

  r.add("GET", "/api/v1/payouts", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    std::string contact = ctx.query_param("contact_id").value_or("");
    std::string status = ctx.query_param("status").value_or("");
    if (contact.size() > 100) co_return error(ctx, Error::invalid("contact_id", "contact_id is an id"));
    if (!status.empty() && status != "pending_approval" && status != "processing" && status != "succeeded" &&
        status != "failed" && status != "rejected")
      co_return error(ctx, Error::invalid("status", "status is pending_approval, processing, succeeded, failed or rejected"));
    std::string tenant = who->tenant_id;
    auto c = pg->cursor;
    int64_t lim = pg->limit;
    auto work = [tenant, c, contact, status, lim](store::Tx& tx) -> Result<pay::db::PayoutPage> {
      return pay::db::list_payouts(tx, tenant, c, contact, status, lim);
    };
    auto page = co_await db_read<pay::db::PayoutPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& p : page->items) data.push_back(pay::to_json(p));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Payouts, newest first; filters contact_id, status (pending_approval, processing, succeeded, failed, rejected)",
      Auth::agent, "payments", "", kPayoutSchema});

  r.add("POST", "/api/v1/payouts", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (ctx.header("Idempotency-Key").empty())
      co_return error(ctx, Error::invalid("Idempotency-Key", "payouts require an Idempotency-Key header", "missing_field"));
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto s = json::only_keys(*body, {"contact_id", "provider_id", "amount", "currency", "reason"}); !s)
      co_return error(ctx, s.error());
    auto contact = json::required_string(*body, "contact_id", {}, 100);
    if (!contact) co_return error(ctx, contact.error());
    auto prov = json::optional_string(*body, "provider_id", {}, 100);
    if (!prov) co_return error(ctx, prov.error());
    auto amount = json::required_int(*body, "amount");
    if (!amount) co_return error(ctx, amount.error());
    auto currency = json::required_string(*body, "currency", {}, 3);
    if (!currency) co_return error(ctx, currency.error());
    auto reason = json::required_string(*body, "reason", {}, 500);
    if (!reason) co_return error(ctx, reason.error());
    auto p = *who;
    auto env = d.env();
    std::string c = *contact, cur = *currency, why = *reason;
    auto pid = *prov;
    int64_t amt = *amount;
    auto work = [&env, p, c, pid, amt, cur, why](store::Tx& tx) -> Result<Rendered> {
      auto po = pay::request_payout(tx, env, p, c, pid, amt, cur, why);
      if (!po) return std::move(po).error();
      return Rendered{201, bj::serialize(pay::to_json(*po))};
    };
    co_return co_await idempotent_write(d, ctx, p.tenant_id, work);
  }, {"Pay a customer's store credit out through the provider (sandbox), same guardrails as refunds", Auth::agent,
      "payments",
      R"({"type":"object","required":["contact_id","amount","currency","reason"],"properties":{"contact_id":{"type":"string"},"provider_id":{"type":"string"},"amount":{"type":"integer"},"currency":{"type":"string"},"reason":{"type":"string"}}})",
      kPayoutSchema, 201, true});

  for (const char* verb : {"approve", "reject"}) {
    bool approve = std::string_view(verb) == "approve";
    r.add("POST", std::string("/api/v1/payouts/{id}/") + verb, [&d, approve](Context& ctx) -> asio::awaitable<Response> {
      auto who = co_await authenticate(d, ctx);
      if (!who) co_return error(ctx, who.error());
      auto p = *who;
      auto env = d.env();
      std::string id = ctx.param("id");
      auto work = [&env, p, id, approve](store::Tx& tx) { return pay::decide_payout(tx, env, p, id, approve); };
      auto out = co_await db_write<pay::Payout>(d.store, work);
      if (!out) co_return error(ctx, out.error());
      co_return json(ctx, 200, pay::to_json(*out));
    }, {approve ? "Approve a payout waiting for approval (a different admin)" : "Reject a payout waiting for approval",
        Auth::agent, "payments", "", kPayoutSchema});
  }

  // The hosted checkout page: the link's URL.
  r.add("GET", "/pay/{token}", [&d](Context& ctx) { return checkout_get(d, ctx); },
        {"Hosted checkout page of a payment link (HTML, no JavaScript; ?lang=en|it|de|nl)", Auth::none, "checkout", "", ""});
  r.add("POST", "/pay/{token}", [&d](Context& ctx) { return checkout_post(d, ctx); },
        {"Start paying: redirects (303) to the provider's page", Auth::none, "checkout", "", "", 303});
  r.add("GET", "/pay/{token}/return", [&d](Context& ctx) { return checkout_return(d, ctx); },
        {"Where the provider sends the customer back: the payment's result", Auth::none, "checkout", "", ""});
  r.add("GET", "/sandbox-psp/{session}", [&d](Context& ctx) { return sandbox_get(d, ctx); },
        {"The sandbox provider's hosted payment page (test methods)", Auth::none, "checkout", "", ""});
  r.add("POST", "/sandbox-psp/{session}", [&d](Context& ctx) { return sandbox_post(d, ctx); },
        {"A choice on the sandbox provider's page (form field method)", Auth::none, "checkout", "", ""});
  r.add("POST", "/webhooks/psp/{provider_id}", [&d](Context& ctx) { return psp_webhook(d, ctx); },
        {"PSP webhook: verified on the raw bytes (Sandbox-Signature, Stripe-Signature, Adyen hmacSignature per item; "
         "Mollie's id-only notification is fetched from Mollie's API), deduplicated by event id, applied in one "
         "transaction (payment state, ledger postings, outbox events); 200 only after the commit (Adyen: \"[accepted]\")",
         Auth::webhook, "provider webhooks", "", R"({"type":"object"})"});
}

}  // namespace bottega::http::api
