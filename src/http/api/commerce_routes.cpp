// The commerce API: catalog (products, search, import), settings, carts, discount codes, orders.
// Thin handlers: authenticate, parse strictly, run one src/commerce operation in a transaction,
// render. Money is integer minor units everywhere.
#include <boost/json/serialize.hpp>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/discounts.hpp"
#include "commerce/import.hpp"
#include "commerce/money.hpp"
#include "commerce/orders.hpp"
#include "commerce/profile.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"

namespace bottega::http::api {

namespace bj = boost::json;
namespace cm = bottega::commerce;

namespace {

constexpr const char* kProductSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"handle":{"type":"string"},"status":{"type":"string","enum":["active","archived"]},"vendor":{"type":"string"},"title":{"type":"object","additionalProperties":{"type":"string"}},"description":{"type":"object","additionalProperties":{"type":"string"}},"images":{"type":"array","items":{"type":"object","properties":{"url":{"type":"string"},"alt":{"type":"string"}}}},"collections":{"type":"array","items":{"type":"string"}},"variants":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"sku":{"type":"string"},"title":{"type":"string"},"prices":{"type":"object","additionalProperties":{"type":"integer"}},"stock":{"type":["integer","null"]},"image_url":{"type":["string","null"]}}}},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kProductInputSchema =
    R"({"type":"object","required":["title","variants"],"additionalProperties":false,"properties":{"handle":{"type":"string"},"status":{"type":"string","enum":["active","archived"]},"vendor":{"type":"string"},"title":{"type":["object","string"],"additionalProperties":{"type":"string"}},"description":{"type":["object","string"],"additionalProperties":{"type":"string"}},"images":{"type":"array","items":{"type":"object","properties":{"url":{"type":"string"},"alt":{"type":"string"}}}},"collections":{"type":"array","items":{"type":"string"}},"variants":{"type":"array","items":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string"},"title":{"type":"string"},"prices":{"type":"object","additionalProperties":{"type":"integer","minimum":0}},"stock":{"type":["integer","null"],"minimum":0},"image_url":{"type":"string"}}}}}})";
constexpr const char* kTotalsSchema =
    R"({"type":"object","properties":{"currency":{"type":"string"},"tax_inclusive":{"type":"boolean"},"country":{"type":"string"},"tax_rate":{"type":"string"},"subtotal":{"type":"integer"},"discount_total":{"type":"integer"},"manual_discount":{"type":"integer"},"shipping_total":{"type":"integer"},"tax_total":{"type":"integer"},"total":{"type":"integer"},"discount":{"type":["object","null"],"properties":{"code":{"type":"string"},"applied":{"type":"boolean"},"amount":{"type":"integer"},"refusal":{"type":["object","null"]}}},"shipping":{"type":["object","null"]},"lines":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"unit_price":{"type":"integer"},"quantity":{"type":"integer"},"subtotal":{"type":"integer"},"discount":{"type":"integer"},"tax":{"type":"integer"},"total":{"type":"integer"}}}}}})";
constexpr const char* kCartSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"contact_id":{"type":"string"},"conversation_id":{"type":["string","null"]},"currency":{"type":"string"},"country":{"type":["string","null"]},"status":{"type":"string","enum":["open","ordered","abandoned"]},"source":{"type":"string"},"shipping_option":{"type":["string","null"]},"discount_code":{"type":["string","null"]},"manual_discount":{"type":["object","null"]},"reserved_until":{"type":["string","null"]},"items":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"title":{"type":"string"},"unit_price":{"type":"integer"},"quantity":{"type":"integer"}}}},"totals":{"type":"object"},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kDiscountSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"code":{"type":"string"},"kind":{"type":"string","enum":["percentage","fixed_amount","free_shipping"]},"value":{"type":"integer"},"currency":{"type":["string","null"]},"starts_at":{"type":["string","null"]},"ends_at":{"type":["string","null"]},"usage_limit":{"type":["integer","null"]},"per_customer_limit":{"type":["integer","null"]},"minimum_subtotal":{"type":["integer","null"]},"product_ids":{"type":"array","items":{"type":"string"}},"collections":{"type":"array","items":{"type":"string"}},"batch_id":{"type":["string","null"]},"used_count":{"type":"integer"},"created_at":{"type":"string"}}})";
constexpr const char* kDiscountInputSchema =
    R"({"type":"object","required":["code","kind"],"additionalProperties":false,"properties":{"code":{"type":"string"},"kind":{"type":"string","enum":["percentage","fixed_amount","free_shipping"]},"percent":{"type":"string","description":"percentage discounts: \"10\", \"12.5\""},"value":{"type":"integer","description":"basis points for percentage, minor units for fixed_amount"},"currency":{"type":"string"},"starts_at":{"type":["string","integer"]},"ends_at":{"type":["string","integer"]},"usage_limit":{"type":"integer","minimum":1},"per_customer_limit":{"type":"integer","minimum":1},"minimum_subtotal":{"type":"integer","minimum":0},"product_ids":{"type":"array","items":{"type":"string"}},"collections":{"type":"array","items":{"type":"string"}}}})";
constexpr const char* kOrderSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"number":{"type":"integer"},"cart_id":{"type":"string"},"contact_id":{"type":"string"},"conversation_id":{"type":["string","null"]},"status":{"type":"string","enum":["pending_payment","paid","fulfilled","cancelled","partially_refunded","refunded"]},"currency":{"type":"string"},"total":{"type":"integer"},"refunded_amount":{"type":"integer"},"totals":{"type":"object"},"lines":{"type":"array","items":{"type":"object"}},"payment_ref":{"type":["string","null"]},"fulfillment":{"type":"object","properties":{"tracking_number":{"type":["string","null"]},"tracking_url":{"type":["string","null"]},"carrier":{"type":["string","null"]},"fulfilled_at":{"type":["string","null"]}}},"paid_at":{"type":["string","null"]},"created_at":{"type":"string"},"updated_at":{"type":"string"}}})";
constexpr const char* kSettingsSchema =
    R"({"type":"object","properties":{"currency":{"type":"string"},"tax_inclusive":{"type":"boolean"},"tax_rates":{"type":"object","additionalProperties":{"type":"string"}},"default_country":{"type":"string"},"shipping_options":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"prices":{"type":"object","additionalProperties":{"type":"integer"}},"free_over":{"type":"object","additionalProperties":{"type":"integer"}}}}},"manual_discount_limits":{"type":"object","additionalProperties":{"type":"string"}},"reservation_minutes":{"type":"integer"},"reward_rules":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"min_orders":{"type":"integer"},"kind":{"type":"string"},"percent":{"type":"string"},"value":{"type":"integer"},"currency":{"type":["string","null"]},"valid_days":{"type":"integer"}}}}}})";

std::string list_of(const char* item) {
  return std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + item +
         R"(},"next_cursor":{"type":["string","null"]}}})";
}

// A cart with its current totals.
Result<bj::object> cart_view(store::Tx& tx, const std::string& tenant, const cm::Cart& c, int64_t now) {
  BOTTEGA_TRY(t, cm::price_cart(tx, tenant, c.id, now));
  auto o = cm::to_json(c);
  o["totals"] = cm::to_json(t);
  return o;
}

Result<std::string> rendered_cart(store::Tx& tx, const std::string& tenant, Result<cm::Cart> c, int64_t now) {
  if (!c) return std::move(c).error();
  BOTTEGA_TRY(v, cart_view(tx, tenant, *c, now));
  return bj::serialize(v);
}

// Runs a cart-changing operation and answers with the cart and its totals.
template <class Op>
asio::awaitable<Response> cart_write(Deps& d, Context& ctx, Op op) {
  auto who = co_await authenticate(d, ctx);
  if (!who) co_return error(ctx, who.error());
  std::string tenant = who->tenant_id;
  const Clock* clock = &d.clock;
  auto work = [tenant, clock, op](store::Tx& tx) -> Result<std::string> {
    int64_t now = clock->now_ms();
    return rendered_cart(tx, tenant, op(tx, tenant, now), now);
  };
  auto r = co_await db_write<std::string>(d.store, work);
  if (!r) co_return error(ctx, r.error());
  auto res = json(ctx, 200, bj::value());
  res.body() = std::move(*r);
  res.prepare_payload();
  co_return res;
}

void register_catalog(Router& r, Deps& d) {
  r.add("POST", "/api/v1/products", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto in = cm::parse_product(*body);
    if (!in) co_return error(ctx, in.error());
    std::string tenant = who->tenant_id;
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, ids, now, in = *in](store::Tx& tx) -> Result<Rendered> {
      BOTTEGA_TRY(p, cm::create_product(tx, *ids, tenant, in, now));
      return Rendered{201, bj::serialize(cm::to_json(p))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Create a product with its variants (SKU, prices per currency in minor units, stock), titles and descriptions per language, images and collections",
      Auth::agent, "catalog", kProductInputSchema, kProductSchema, 201, true});

  r.add("GET", "/api/v1/products", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    cm::SearchQuery q;
    q.q = ctx.query_param("q").value_or("");
    if (q.q.size() > 512) co_return error(ctx, Error::invalid("q", "at most 512 characters"));
    q.status = ctx.query_param("status").value_or("active");
    if (q.status != "active" && q.status != "archived" && q.status != "any")
      co_return error(ctx, Error::invalid("status", "status is active, archived or any"));
    q.limit = pg->limit;
    if (pg->cursor) q.after_seq = std::stoll(*pg->cursor);
    std::string tenant = who->tenant_id;
    auto work = [tenant, q](store::Tx& tx) -> Result<cm::ProductPage> { return cm::search_products(tx, tenant, q); };
    auto page = co_await db_read<cm::ProductPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& p : page->items) data.push_back(cm::to_json(p));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Search the catalog: with q, full-text search over titles and descriptions in every language, vendor, collections and SKUs (each word a prefix, all words must match), best match first; without q, the catalog in creation order (cursor). status: active (default), archived or any",
      Auth::agent, "catalog", "", list_of(kProductSchema)});

  r.add("GET", "/api/v1/products/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<cm::Product> {
      auto p = cm::get_product(tx, tenant, id);
      if (!p) return Error::not_found("product");
      return std::move(*p);
    };
    auto p = co_await db_read<cm::Product>(d.store, work);
    if (!p) co_return error(ctx, p.error());
    co_return json(ctx, 200, cm::to_json(*p));
  }, {"One product", Auth::agent, "catalog", "", kProductSchema});

  r.add("PATCH", "/api/v1/products/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, ids, now, patch = *body](store::Tx& tx) -> Result<cm::Product> {
      return cm::patch_product(tx, *ids, tenant, id, patch, now);
    };
    auto p = co_await db_write<cm::Product>(d.store, work);
    if (!p) co_return error(ctx, p.error());
    co_return json(ctx, 200, cm::to_json(*p));
  }, {"Change a product: fields present replace (title and description merge per language; variants are matched by SKU: given fields change, new SKUs are added)",
      Auth::agent, "catalog", R"({"type":"object","additionalProperties":false})", kProductSchema});

  r.add("POST", "/api/v1/catalog/import", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string type(ctx.header("Content-Type"));
    bool csv = type.rfind("text/csv", 0) == 0;
    if (!csv && type.rfind("application/json", 0) != 0)
      co_return error(ctx, Error::invalid("Content-Type", "send text/csv (columns in docs/commerce.md) or application/json (a Shopify products.json export)"));
    std::string tenant = who->tenant_id;
    auto currency_q = ctx.query_param("currency");
    std::string language = ctx.query_param("language").value_or("en");
    auto settings_work = [tenant](store::Tx& tx) -> Result<cm::CommerceSettings> { return cm::get_settings(tx, tenant); };
    auto settings = co_await db_read<cm::CommerceSettings>(d.store, settings_work);
    if (!settings) co_return error(ctx, settings.error());
    std::string currency = currency_q.value_or(settings->currency);
    auto body = std::make_shared<std::string>(ctx.req.body());
    auto parse = [body, csv, currency, language]() -> Result<std::vector<cm::ProductInput>> {
      if (csv) return cm::parse_catalog_csv(*body, currency);
      return cm::parse_shopify_products(*body, currency, language);
    };
    auto inputs = co_await on_cpu<Result<std::vector<cm::ProductInput>>>(d.cpu, parse);
    if (!inputs) co_return error(ctx, inputs.error());
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, ids, now, inputs = std::move(*inputs)](store::Tx& tx) -> Result<Rendered> {
      int64_t created = 0, updated = 0, unchanged = 0;
      bj::array products;
      for (size_t i = 0; i < inputs.size(); ++i) {
        auto r = cm::upsert_product(tx, *ids, tenant, inputs[i], now);
        if (!r) {
          Error e = std::move(r).error();
          e.field = "products[" + std::to_string(i) + "]." + e.field;
          e.message = "product " + inputs[i].handle.value_or("") + ": " + e.message;
          return e;
        }
        const char* what = r->created ? "created" : r->changed ? "updated" : "unchanged";
        (r->created ? created : r->changed ? updated : unchanged)++;
        products.push_back(bj::object{{"id", r->product.id}, {"handle", r->product.handle}, {"result", what}});
      }
      return Rendered{200, bj::serialize(bj::object{{"created", created}, {"updated", updated}, {"unchanged", unchanged},
                                                   {"products", std::move(products)}})};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Import a catalog, idempotent by SKU: a CSV file (Content-Type text/csv; columns in docs/commerce.md) or a Shopify products.json export (application/json). Query: currency (prices' currency, default the shop's), language (Shopify titles, default en). All or nothing: the first bad row is a 400 naming it",
      Auth::agent, "catalog", R"({"type":"string","description":"CSV text or Shopify products.json"})",
      R"({"type":"object","properties":{"created":{"type":"integer"},"updated":{"type":"integer"},"unchanged":{"type":"integer"},"products":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"handle":{"type":"string"},"result":{"type":"string","enum":["created","updated","unchanged"]}}}}}})",
      200, true});
}

void register_settings(Router& r, Deps& d) {
  r.add("GET", "/api/v1/commerce/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work = [tenant](store::Tx& tx) -> Result<bj::object> {
      auto o = cm::to_json(cm::get_settings(tx, tenant));
      o["reward_rules"] = cm::to_json(cm::get_reward_rules(tx, tenant));
      return o;
    };
    auto s = co_await db_read<bj::object>(d.store, work);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"The shop's commerce settings: default currency, tax inclusive or exclusive, tax rates per country (percent strings), shipping options, manual discount limits per role, stock hold minutes",
      Auth::agent, "commerce", "", kSettingsSchema});

  r.add("PATCH", "/api/v1/commerce/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (who->role != Role::admin) co_return error(ctx, Error::forbidden("forbidden", "changing settings needs an admin"));
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, now, patch = *body](store::Tx& tx) -> Result<bj::object> {
      bj::object rest = patch;
      rest.erase("reward_rules");
      BOTTEGA_TRY(s, cm::parse_settings(rest, cm::get_settings(tx, tenant)));
      std::optional<std::vector<cm::RewardRule>> rules;
      if (auto* r = patch.if_contains("reward_rules")) {
        BOTTEGA_TRY(parsed, cm::parse_reward_rules(*r));
        rules = std::move(parsed);
      }
      cm::put_settings(tx, tenant, s, now);
      if (rules) cm::put_reward_rules(tx, tenant, *rules, now);
      auto o = cm::to_json(s);
      o["reward_rules"] = cm::to_json(cm::get_reward_rules(tx, tenant));
      return o;
    };
    auto s = co_await db_write<bj::object>(d.store, work);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, *s);
  }, {"Change the commerce settings (admin); fields present replace", Auth::agent, "commerce", kSettingsSchema, kSettingsSchema});
}

void register_carts(Router& r, Deps& d) {
  r.add("POST", "/api/v1/carts", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"contact_id", "conversation_id", "currency", "country", "items"});
    if (!st) co_return error(ctx, st.error());
    cm::NewCart in;
    auto contact = json::optional_string(*body, "contact_id", {}, 64);
    auto conv = json::optional_string(*body, "conversation_id", {}, 64);
    auto currency = json::optional_string(*body, "currency", {}, 8);
    auto country = json::optional_string(*body, "country", {}, 8);
    for (const auto* f : {&contact, &conv, &currency, &country})
      if (!f->ok()) co_return error(ctx, f->error());
    in.contact_id = *contact;
    in.conversation_id = *conv;
    in.currency = *currency;
    in.country = *country;
    in.source = "agent";
    std::vector<std::pair<std::string, int64_t>> items;
    auto arr = json::optional_array(*body, "items");
    if (!arr) co_return error(ctx, arr.error());
    if (*arr) {
      if ((*arr)->size() > 100) co_return error(ctx, Error::invalid("items", "at most 100 items"));
      for (size_t i = 0; i < (*arr)->size(); ++i) {
        std::string path = "items[" + std::to_string(i) + "]";
        const auto& v = (**arr)[i];
        if (!v.is_object()) co_return error(ctx, Error::invalid(path, "an item is {\"sku\",\"quantity\"}", "invalid_type"));
        auto sku = json::required_string(v.as_object(), "sku", path + ".sku", 64);
        if (!sku) co_return error(ctx, sku.error());
        auto q = json::required_int(v.as_object(), "quantity", path + ".quantity");
        if (!q) co_return error(ctx, q.error());
        items.emplace_back(*sku, *q);
      }
    }
    std::string tenant = who->tenant_id;
    IdGenerator* ids = &d.ids;
    const Clock* clock = &d.clock;
    auto work = [tenant, ids, clock, in, items](store::Tx& tx) -> Result<Rendered> {
      int64_t now = clock->now_ms();
      BOTTEGA_TRY(c, cm::create_cart(tx, *ids, tenant, in, now));
      for (size_t i = 0; i < items.size(); ++i) {
        auto added = cm::add_item(tx, tenant, c.id, items[i].first, items[i].second, now);
        if (!added) {
          Error e = std::move(added).error();
          if (!e.field.empty()) e.field = "items[" + std::to_string(i) + "]." + e.field;
          return e;
        }
        c = std::move(*added);
      }
      BOTTEGA_TRY(v, cart_view(tx, tenant, c, now));
      return Rendered{201, bj::serialize(v)};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Create a cart for a contact (or the contact of a conversation), in the shop's currency unless given, optionally with items; answers the cart with its totals",
      Auth::agent, "carts",
      R"({"type":"object","additionalProperties":false,"properties":{"contact_id":{"type":"string"},"conversation_id":{"type":"string"},"currency":{"type":"string"},"country":{"type":"string"},"items":{"type":"array","items":{"type":"object","required":["sku","quantity"],"properties":{"sku":{"type":"string"},"quantity":{"type":"integer","minimum":1}}}}}})",
      kCartSchema, 201, true});

  r.add("GET", "/api/v1/carts/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, now](store::Tx& tx) -> Result<bj::object> {
      auto c = cm::get_cart(tx, tenant, id);
      if (!c) return Error::not_found("cart");
      return cart_view(tx, tenant, *c, now);
    };
    auto v = co_await db_read<bj::object>(d.store, work);
    if (!v) co_return error(ctx, v.error());
    co_return json(ctx, 200, *v);
  }, {"A cart with its totals (tax, shipping, discounts; a code that no longer applies says why in totals.discount.refusal)",
      Auth::agent, "carts", "", kCartSchema});

  r.add("GET", "/api/v1/carts/{id}/totals", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, now](store::Tx& tx) -> Result<cm::CartTotals> { return cm::price_cart(tx, tenant, id, now); };
    auto t = co_await db_read<cm::CartTotals>(d.store, work);
    if (!t) co_return error(ctx, t.error());
    co_return json(ctx, 200, cm::to_json(*t));
  }, {"The cart's totals only", Auth::agent, "carts", "", kTotalsSchema});

  r.add("PATCH", "/api/v1/carts/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"country", "shipping_option"});
    if (!st) co_return error(ctx, st.error());
    auto country = json::optional_string(*body, "country", {}, 8);
    if (!country) co_return error(ctx, country.error());
    auto ship = json::optional_string(*body, "shipping_option", {}, 64);
    if (!ship) co_return error(ctx, ship.error());
    std::optional<std::string> c = body->contains("country") ? std::optional<std::string>(country->value_or("")) : std::nullopt;
    std::optional<std::string> s = body->contains("shipping_option") ? std::optional<std::string>(ship->value_or("")) : std::nullopt;
    std::string id = ctx.param("id");
    auto op = [id, c, s](store::Tx& tx, const std::string& tenant, int64_t now) {
      return cm::set_cart_options(tx, tenant, id, c, s, now);
    };
    co_return co_await cart_write(d, ctx, op);
  }, {"Set the cart's country (tax rate) and shipping option (an id from the settings; null clears)", Auth::agent, "carts",
      R"({"type":"object","additionalProperties":false,"properties":{"country":{"type":["string","null"]},"shipping_option":{"type":["string","null"]}}})",
      kCartSchema});

  r.add("POST", "/api/v1/carts/{id}/items", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"sku", "quantity"});
    if (!st) co_return error(ctx, st.error());
    auto sku = json::required_string(*body, "sku", {}, 64);
    if (!sku) co_return error(ctx, sku.error());
    auto q = json::required_int(*body, "quantity");
    if (!q) co_return error(ctx, q.error());
    std::string id = ctx.param("id"), s = *sku;
    int64_t qty = *q;
    auto op = [id, s, qty](store::Tx& tx, const std::string& tenant, int64_t now) {
      return cm::add_item(tx, tenant, id, s, qty, now);
    };
    co_return co_await cart_write(d, ctx, op);
  }, {"Add units of a SKU (its current price is snapshotted on the line). Errors: unknown_sku, product_archived, currency_mismatch (field sku); quantity <= 0 (400) or over stock (409 insufficient_stock, field quantity)",
      Auth::agent, "carts",
      R"({"type":"object","required":["sku","quantity"],"additionalProperties":false,"properties":{"sku":{"type":"string"},"quantity":{"type":"integer","minimum":1}}})",
      kCartSchema});

  r.add("PATCH", "/api/v1/carts/{id}/items/{sku}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"quantity"});
    if (!st) co_return error(ctx, st.error());
    auto q = json::required_int(*body, "quantity");
    if (!q) co_return error(ctx, q.error());
    std::string id = ctx.param("id"), s = ctx.param("sku");
    int64_t qty = *q;
    auto op = [id, s, qty](store::Tx& tx, const std::string& tenant, int64_t now) {
      return cm::set_item_quantity(tx, tenant, id, s, qty, now);
    };
    co_return co_await cart_write(d, ctx, op);
  }, {"Set a line's quantity (>= 1; remove the line with DELETE)", Auth::agent, "carts",
      R"({"type":"object","required":["quantity"],"additionalProperties":false,"properties":{"quantity":{"type":"integer","minimum":1}}})",
      kCartSchema});

  r.add("DELETE", "/api/v1/carts/{id}/items/{sku}", [&d](Context& ctx) -> asio::awaitable<Response> {
    std::string id = ctx.param("id"), s = ctx.param("sku");
    auto op = [id, s](store::Tx& tx, const std::string& tenant, int64_t now) { return cm::remove_item(tx, tenant, id, s, now); };
    co_return co_await cart_write(d, ctx, op);
  }, {"Remove a line", Auth::agent, "carts", "", kCartSchema});

  r.add("POST", "/api/v1/carts/{id}/discount", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"code"});
    if (!st) co_return error(ctx, st.error());
    auto code = json::required_string(*body, "code", {}, 200);
    if (!code) co_return error(ctx, code.error());
    std::string id = ctx.param("id"), c = *code;
    auto op = [id, c](store::Tx& tx, const std::string& tenant, int64_t now) {
      return cm::apply_discount_code(tx, tenant, id, c, now);
    };
    co_return co_await cart_write(d, ctx, op);
  }, {"Apply a discount code. A refused code is 422 with error.code one of unknown_code, not_started, expired, usage_limit_reached, already_used_by_customer, not_applicable_to_products, minimum_not_reached, currency_mismatch (field code); the cart is unchanged",
      Auth::agent, "carts",
      R"({"type":"object","required":["code"],"additionalProperties":false,"properties":{"code":{"type":"string"}}})",
      kCartSchema});

  r.add("DELETE", "/api/v1/carts/{id}/discount", [&d](Context& ctx) -> asio::awaitable<Response> {
    std::string id = ctx.param("id");
    auto op = [id](store::Tx& tx, const std::string& tenant, int64_t now) { return cm::remove_discount_code(tx, tenant, id, now); };
    co_return co_await cart_write(d, ctx, op);
  }, {"Remove the cart's discount code", Auth::agent, "carts", "", kCartSchema});

  r.add("POST", "/api/v1/carts/{id}/manual_discount", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"kind", "percent", "value", "reason"});
    if (!st) co_return error(ctx, st.error());
    cm::ManualDiscount md;
    auto kind = json::required_string(*body, "kind", {}, 32);
    if (!kind) co_return error(ctx, kind.error());
    md.kind = *kind;
    auto reason = json::optional_string(*body, "reason", {}, 500);
    if (!reason) co_return error(ctx, reason.error());
    md.reason = reason->value_or("");
    md.agent_id = who->agent_id;
    if (md.kind == "percentage") {
      auto p = json::required_string(*body, "percent", {}, 16);
      if (!p) co_return error(ctx, p.error());
      auto bp = cm::parse_percent(*p, "percent");
      if (!bp) co_return error(ctx, bp.error());
      md.value = *bp;
    } else {
      auto v = json::required_int(*body, "value");
      if (!v) co_return error(ctx, v.error());
      md.value = *v;
    }
    Role role = who->role;
    std::string id = ctx.param("id");
    auto op = [id, role, md](store::Tx& tx, const std::string& tenant, int64_t now) {
      return cm::apply_manual_discount(tx, tenant, id, role, md, now);
    };
    co_return co_await cart_write(d, ctx, op);
  }, {"An agent's own discount on the cart: {\"kind\":\"percentage\",\"percent\":\"5\"} or {\"kind\":\"fixed_amount\",\"value\":500}, up to the shop's limit for the caller's role (403 manual_discount_over_limit)",
      Auth::agent, "carts",
      R"({"type":"object","required":["kind"],"additionalProperties":false,"properties":{"kind":{"type":"string","enum":["percentage","fixed_amount"]},"percent":{"type":"string"},"value":{"type":"integer"},"reason":{"type":"string"}}})",
      kCartSchema});
}

void register_discounts(Router& r, Deps& d) {
  r.add("POST", "/api/v1/discounts", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto disc = cm::parse_discount(*body, false);
    if (!disc) co_return error(ctx, disc.error());
    std::string tenant = who->tenant_id;
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, ids, now, dd = *disc](store::Tx& tx) -> Result<Rendered> {
      BOTTEGA_TRY(x, cm::create_discount(tx, *ids, tenant, dd, now));
      return Rendered{201, bj::serialize(cm::to_json(x))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Create a discount code (case-insensitive): percentage (percent \"10\" or value in basis points), fixed_amount (value in minor units of currency) or free_shipping; optional validity window, total and per-customer limits, minimum subtotal, scope by product ids and/or collections",
      Auth::agent, "discounts", kDiscountInputSchema, kDiscountSchema, 201, true});

  r.add("POST", "/api/v1/discounts/batch", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto disc = cm::parse_discount(*body, true);
    if (!disc) co_return error(ctx, disc.error());
    auto prefix = json::required_string(*body, "prefix", {}, 32);
    if (!prefix) co_return error(ctx, prefix.error());
    auto count = json::required_int(*body, "count");
    if (!count) co_return error(ctx, count.error());
    std::string tenant = who->tenant_id, p = *prefix;
    int64_t n = *count;
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, ids, now, p, n, dd = *disc](store::Tx& tx) -> Result<Rendered> {
      BOTTEGA_TRY(codes, cm::create_discount_batch(tx, *ids, tenant, dd, p, n, now));
      bj::array data;
      for (const auto& c : codes) data.push_back(cm::to_json(c));
      return Rendered{201, bj::serialize(bj::object{{"batch_id", codes.front().batch_id.value_or("")}, {"data", std::move(data)}})};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Generate count (1..1000) single-use unique codes PREFIX-XXXXXXXX sharing the same rules",
      Auth::agent, "discounts",
      R"({"type":"object","required":["prefix","count","kind"],"properties":{"prefix":{"type":"string"},"count":{"type":"integer","minimum":1,"maximum":1000},"kind":{"type":"string"}}})",
      std::string(R"({"type":"object","properties":{"batch_id":{"type":"string"},"data":{"type":"array","items":)") + kDiscountSchema + "}}}",
      201, true});

  r.add("GET", "/api/v1/discounts", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    std::string tenant = who->tenant_id;
    int64_t after = pg->cursor ? std::stoll(*pg->cursor) : 0, lim = pg->limit;
    struct Page {
      std::vector<cm::Discount> items;
      int64_t last = 0;
    };
    auto work = [tenant, after, lim](store::Tx& tx) -> Result<Page> {
      Page p;
      p.items = cm::list_discounts(tx, tenant, after, lim, &p.last);
      return p;
    };
    auto page = co_await db_read<Page>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& x : page->items) data.push_back(cm::to_json(x));
    std::optional<std::string> next;
    if (static_cast<int64_t>(page->items.size()) == lim) next = std::to_string(page->last);
    co_return list(ctx, std::move(data), next);
  }, {"Discount codes, oldest first", Auth::agent, "discounts", "", list_of(kDiscountSchema)});
}

void register_orders(Router& r, Deps& d) {
  r.add("POST", "/api/v1/orders", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"cart_id"});
    if (!st) co_return error(ctx, st.error());
    auto cart = json::required_string(*body, "cart_id", {}, 64);
    if (!cart) co_return error(ctx, cart.error());
    std::string tenant = who->tenant_id, cart_id = *cart;
    auto env = d.env();
    auto work = [&env, tenant, cart_id](store::Tx& tx) -> Result<Rendered> {
      auto o = cm::create_order_from_cart(tx, env, tenant, cart_id, cm::OrderPayment{false, ""});
      if (!o) {
        Error e = std::move(o).error();
        if (e.code == "not_found") e = Error::invalid("cart_id", "no such cart", "not_found");
        return e;
      }
      return Rendered{201, bj::serialize(cm::to_json(*o))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Turn a cart into an order awaiting an offline payment (pending_payment; PATCH status paid once it arrives). Paid carts become orders through the payment flow",
      Auth::agent, "orders",
      R"({"type":"object","required":["cart_id"],"additionalProperties":false,"properties":{"cart_id":{"type":"string"}}})",
      kOrderSchema, 201, true});

  r.add("GET", "/api/v1/orders", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    cm::OrderFilter f;
    f.limit = pg->limit;
    f.contact_id = ctx.query_param("contact_id");
    f.status = ctx.query_param("status");
    if (pg->cursor) f.before_seq = std::stoll(*pg->cursor);
    std::string tenant = who->tenant_id;
    auto work = [tenant, f](store::Tx& tx) -> Result<cm::OrderPage> { return cm::list_orders(tx, tenant, f); };
    auto page = co_await db_read<cm::OrderPage>(d.store, work);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& o : page->items) data.push_back(cm::to_json(o));
    co_return list(ctx, std::move(data), page->next_cursor);
  }, {"Orders, newest first. Filters: contact_id, status", Auth::agent, "orders", "", list_of(kOrderSchema)});

  r.add("GET", "/api/v1/orders/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<cm::Order> {
      auto o = cm::get_order(tx, tenant, id);
      if (!o) return Error::not_found("order");
      return std::move(*o);
    };
    auto o = co_await db_read<cm::Order>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, cm::to_json(*o));
  }, {"One order", Auth::agent, "orders", "", kOrderSchema});

  r.add("PATCH", "/api/v1/orders/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto patch = cm::parse_order_patch(*body);
    if (!patch) co_return error(ctx, patch.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto env = d.env();
    auto work = [&env, tenant, id, p = *patch](store::Tx& tx) -> Result<cm::Order> {
      return cm::update_order(tx, env, tenant, id, p);
    };
    auto o = co_await db_write<cm::Order>(d.store, work);
    if (!o) co_return error(ctx, o.error());
    co_return json(ctx, 200, cm::to_json(*o));
  }, {"Update an order from the merchant's systems: status paid (an offline payment, with payment_ref), fulfilled or cancelled; tracking_number, tracking_url, carrier. Emits order.paid, order.fulfilled or order.updated",
      Auth::agent, "orders",
      R"({"type":"object","additionalProperties":false,"properties":{"status":{"type":"string","enum":["paid","fulfilled","cancelled"]},"payment_ref":{"type":"string"},"tracking_number":{"type":"string"},"tracking_url":{"type":"string"},"carrier":{"type":"string"}}})",
      kOrderSchema});
}

void register_profile(Router& r, Deps& d) {
  r.add("GET", "/api/v1/contacts/{id}/profile", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, now](store::Tx& tx) -> Result<bj::object> { return cm::customer_profile(tx, tenant, id, now); };
    auto p = co_await db_read<bj::object>(d.store, work);
    if (!p) co_return error(ctx, p.error());
    co_return json(ctx, 200, *p);
  }, {"Who the customer is: new or returning, paid order count, lifetime value per currency (paid minus refunded), last order and its status, open carts with totals, the contact's conversations on every channel, products often bought together with what they bought, and the reward rules they qualify for",
      Auth::agent, "customers", "",
      R"({"type":"object","properties":{"contact":{"type":"object"},"customer":{"type":"string","enum":["new","returning"]},"order_count":{"type":"integer"},"lifetime_value":{"type":"object","additionalProperties":{"type":"integer"}},"last_order":{"type":["object","null"]},"open_carts":{"type":"array","items":{"type":"object"}},"conversations":{"type":"array","items":{"type":"object"}},"bought_together":{"type":"array","items":{"type":"object","properties":{"product_id":{"type":"string"},"title":{"type":"string"},"sku":{"type":"string"},"orders_together":{"type":"integer"}}}},"rewards":{"type":"array","items":{"type":"object","properties":{"rule_id":{"type":"string"},"name":{"type":"string"},"min_orders":{"type":"integer"},"eligible":{"type":"boolean"}}}}}})"});

  r.add("POST", "/api/v1/contacts/{id}/rewards", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto st = json::only_keys(*body, {"rule_id"});
    if (!st) co_return error(ctx, st.error());
    auto rule = json::required_string(*body, "rule_id", {}, 64);
    if (!rule) co_return error(ctx, rule.error());
    std::string tenant = who->tenant_id, id = ctx.param("id"), rule_id = *rule;
    IdGenerator* ids = &d.ids;
    int64_t now = d.clock.now_ms();
    auto work = [tenant, id, rule_id, ids, now](store::Tx& tx) -> Result<Rendered> {
      BOTTEGA_TRY(code, cm::issue_reward(tx, *ids, tenant, id, rule_id, now));
      return Rendered{201, bj::serialize(cm::to_json(code))};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Give the customer a personal single-use code from a reward rule they qualify for (409 not_eligible otherwise)",
      Auth::agent, "customers",
      R"({"type":"object","required":["rule_id"],"additionalProperties":false,"properties":{"rule_id":{"type":"string"}}})",
      kDiscountSchema, 201, true});
}

}  // namespace

void register_commerce_routes(Router& r, Deps& d) {
  register_catalog(r, d);
  register_settings(r, d);
  register_carts(r, d);
  register_discounts(r, d);
  register_orders(r, d);
  register_profile(r, d);
}

}  // namespace bottega::http::api
