#include "commerce/carts.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "bottega/events.hpp"
#include "commerce/catalog.hpp"
#include "commerce/money.hpp"
#include "core/json.hpp"
#include "store/repo/repo.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

constexpr Stmt kGetSettings{"commerce_settings.get",
                            "SELECT settings FROM commerce_settings WHERE tenant_id = $1"};
constexpr Stmt kEnsureSettings{
    "commerce_settings.ensure",
    "INSERT INTO commerce_settings(tenant_id, settings, updated_at) VALUES ($1, '{}', $2) ON CONFLICT (tenant_id) DO NOTHING"};
constexpr Stmt kPutSettings{"commerce_settings.put",
                            "UPDATE commerce_settings SET settings = $2, updated_at = $3 WHERE tenant_id = $1"};
constexpr Stmt kNextOrderNumber{
    "commerce_settings.next_order_number",
    "UPDATE commerce_settings SET next_order_number = next_order_number + 1 WHERE tenant_id = $1 "
    "RETURNING next_order_number - 1"};
constexpr Stmt kContactExists{"contacts.exists", "SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2"};

#define CART_COLUMNS                                                                                         \
  "id, tenant_id, contact_id, conversation_id, currency, country, status, source, shipping_option, "         \
  "discount_code, manual_discount, reserved_until, created_at, updated_at"
constexpr Stmt kInsertCart{
    "carts.insert",
    "INSERT INTO carts(id, tenant_id, contact_id, conversation_id, currency, country, status, source, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)"};
constexpr Stmt kGetCart{"carts.get", "SELECT " CART_COLUMNS " FROM carts WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kOpenCarts{
    "carts.open_of_contact",
    "SELECT " CART_COLUMNS " FROM carts WHERE tenant_id = $1 AND contact_id = $2 AND status = 'open' ORDER BY seq DESC "
    "LIMIT 20"};
constexpr Stmt kUpdateCart{
    "carts.update",
    "UPDATE carts SET country = $3, status = $4, shipping_option = $5, discount_code = $6, manual_discount = $7, "
    "reserved_until = $8, updated_at = $9 WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kItems{
    "cart_items.of_cart",
    "SELECT variant_id, product_id, sku, title, unit_price, quantity, position, added_at FROM cart_items "
    "WHERE tenant_id = $1 AND cart_id = $2 ORDER BY position"};
constexpr Stmt kInsertItem{
    "cart_items.insert",
    "INSERT INTO cart_items(tenant_id, cart_id, variant_id, product_id, sku, title, unit_price, quantity, position, "
    "added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};
constexpr Stmt kSetQuantity{
    "cart_items.set_quantity",
    "UPDATE cart_items SET quantity = $4 WHERE tenant_id = $1 AND cart_id = $2 AND variant_id = $3"};
constexpr Stmt kDeleteItem{"cart_items.delete",
                           "DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2 AND variant_id = $3"};
// A no-op write that takes the variant's row lock (PostgreSQL) before its availability is read,
// so concurrent reservations of one variant are serialized. SQLite has a single writer already.
constexpr Stmt kLockVariant{
    "product_variants.lock",
    "UPDATE product_variants SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kVariantStock{"product_variants.stock",
                             "SELECT stock FROM product_variants WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kReservedByOthers{
    "stock_reservations.held_by_others",
    "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations WHERE tenant_id = $1 AND variant_id = $2 "
    "AND expires_at > $3 AND cart_id <> $4"};
constexpr Stmt kDeleteReservations{"stock_reservations.release",
                                   "DELETE FROM stock_reservations WHERE tenant_id = $1 AND cart_id = $2"};
constexpr Stmt kInsertReservation{
    "stock_reservations.insert",
    "INSERT INTO stock_reservations(tenant_id, cart_id, variant_id, quantity, expires_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Stmt kTakeStock{
    "product_variants.take_stock",
    "UPDATE product_variants SET stock = stock - $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 "
    "AND stock IS NOT NULL"};

Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return nullptr;
}
Value opt(const std::optional<int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

bj::value parse_doc(const std::string& s) {
  boost::system::error_code ec;
  auto v = bj::parse(s, ec);
  return ec ? bj::value() : v;
}

std::map<std::string, int64_t> int_map(const bj::value* v) {
  std::map<std::string, int64_t> out;
  if (v && v->is_object())
    for (const auto& kv : v->as_object())
      if (kv.value().is_int64()) out[std::string(kv.key())] = kv.value().as_int64();
  return out;
}
bj::object int_obj(const std::map<std::string, int64_t>& m) {
  bj::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}
bj::object percent_obj(const std::map<std::string, int64_t>& m) {
  bj::object o;
  for (const auto& [k, v] : m) o[k] = format_amount(v, "EUR");  // basis points as "22.00"
  return o;
}

// Stored form: integers only (basis points, minor units).
std::string settings_doc(const CommerceSettings& s) {
  bj::array ship;
  for (const auto& o : s.shipping_options)
    ship.push_back(bj::object{{"id", o.id}, {"name", o.name}, {"prices", int_obj(o.prices)}, {"free_over", int_obj(o.free_over)}});
  return bj::serialize(bj::object{{"currency", s.currency},
                                  {"tax_inclusive", s.tax_inclusive},
                                  {"tax_rates", int_obj(s.tax_rates)},
                                  {"default_country", s.default_country},
                                  {"shipping_options", std::move(ship)},
                                  {"manual_discount_limits", int_obj(s.manual_discount_limits)},
                                  {"reservation_minutes", s.reservation_minutes}});
}

bool valid_country(const std::string& c) {
  return c.size() == 2 && std::isupper(static_cast<unsigned char>(c[0])) && std::isupper(static_cast<unsigned char>(c[1]));
}

Cart cart_from(const store::Row& r) {
  Cart c;
  c.id = r.str(0);
  c.tenant_id = r.str(1);
  c.contact_id = r.str(2);
  c.conversation_id = r.opt_str(3);
  c.currency = r.str(4);
  c.country = r.opt_str(5);
  c.status = r.str(6);
  c.source = r.str(7);
  c.shipping_option = r.opt_str(8);
  c.discount_code = r.opt_str(9);
  if (auto md = r.opt_str(10)) {
    auto v = parse_doc(*md);
    if (v.is_object()) {
      ManualDiscount m;
      const auto& o = v.as_object();
      if (auto* k = o.if_contains("kind"); k && k->is_string()) m.kind = k->as_string();
      if (auto* k = o.if_contains("value"); k && k->is_int64()) m.value = k->as_int64();
      if (auto* k = o.if_contains("agent_id"); k && k->is_string()) m.agent_id = k->as_string();
      if (auto* k = o.if_contains("reason"); k && k->is_string()) m.reason = k->as_string();
      c.manual_discount = m;
    }
  }
  c.reserved_until = r.opt_i64(11);
  c.created_at = r.i64(12);
  c.updated_at = r.i64(13);
  return c;
}

void load_items(Tx& tx, Cart& c) {
  c.items.clear();
  for (const auto& r : tx.query(kItems, {c.tenant_id, c.id}))
    c.items.push_back(CartItem{r.str(0), r.str(1), r.str(2), r.str(3), r.i64(4), r.i64(5), r.i64(6), r.i64(7)});
}

void save_cart(Tx& tx, const Cart& c) {
  std::optional<std::string> md;
  if (c.manual_discount)
    md = bj::serialize(bj::object{{"kind", c.manual_discount->kind},
                                  {"value", c.manual_discount->value},
                                  {"agent_id", c.manual_discount->agent_id},
                                  {"reason", c.manual_discount->reason}});
  tx.exec(kUpdateCart, {c.tenant_id, c.id, opt(c.country), c.status, opt(c.shipping_option), opt(c.discount_code), opt(md),
                        opt(c.reserved_until), c.updated_at});
}

// The cart, open and not held by a live reservation (a payment link is pricing it).
Result<Cart> editable_cart(Tx& tx, const std::string& tenant, const std::string& id, int64_t now) {
  auto c = get_cart(tx, tenant, id);
  if (!c) return Error::not_found("cart");
  if (c->status != "open") return Error::conflict("cart_closed", "the cart is " + c->status);
  if (c->reserved_until && *c->reserved_until > now)
    return Error::conflict("cart_locked", "a payment link holds this cart's stock until " + rfc3339(*c->reserved_until) +
                                              "; release it before changing the cart");
  return std::move(*c);
}

Status check_quantity(int64_t q) {
  if (q <= 0) return Error::invalid("quantity", "quantity must be a positive integer");
  if (q > 10000) return Error::invalid("quantity", "quantity must be at most 10000");
  return {};
}

Status check_available(Tx& tx, const std::string& tenant, const Cart& c, const std::string& variant_id,
                       const std::string& sku, int64_t wanted, int64_t now, const std::string& field) {
  auto avail = available_stock(tx, tenant, variant_id, c.id, now);
  if (avail && wanted > *avail)
    return Error{Errc::conflict, "insufficient_stock",
                 "only " + std::to_string(std::max<int64_t>(*avail, 0)) + " of " + sku + " available", field};
  return {};
}

Result<Cart> reload(Tx& tx, const std::string& tenant, const std::string& id) {
  auto c = get_cart(tx, tenant, id);
  if (!c) return Error::internal("cart vanished");
  return std::move(*c);
}

DiscountContext discount_context(const Cart& c, const std::map<std::string, std::vector<std::string>>& collections,
                                 int64_t customer_uses, int64_t now) {
  DiscountContext ctx;
  ctx.currency = c.currency;
  ctx.customer_uses = customer_uses;
  ctx.now = now;
  for (const auto& i : c.items) {
    DiscountLine l;
    l.product_id = i.product_id;
    if (auto it = collections.find(i.product_id); it != collections.end()) l.collections = it->second;
    l.subtotal = i.unit_price * i.quantity;
    ctx.lines.push_back(std::move(l));
  }
  return ctx;
}

std::map<std::string, std::vector<std::string>> collections_of(Tx& tx, const std::string& tenant, const Cart& c) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& i : c.items) {
    if (out.count(i.product_id)) continue;
    auto p = get_product(tx, tenant, i.product_id);
    out[i.product_id] = p ? p->collections : std::vector<std::string>{};
  }
  return out;
}

}  // namespace

// ---- settings --------------------------------------------------------------------------------

CommerceSettings get_settings(Tx& tx, const std::string& tenant) {
  CommerceSettings s;
  auto r = tx.query_one(kGetSettings, {tenant});
  if (!r) return s;
  auto v = parse_doc(r->str(0));
  if (!v.is_object()) return s;
  const auto& o = v.as_object();
  if (auto* x = o.if_contains("currency"); x && x->is_string()) s.currency = x->as_string();
  if (auto* x = o.if_contains("tax_inclusive"); x && x->is_bool()) s.tax_inclusive = x->as_bool();
  s.tax_rates = int_map(o.if_contains("tax_rates"));
  if (auto* x = o.if_contains("default_country"); x && x->is_string()) s.default_country = x->as_string();
  if (auto* x = o.if_contains("shipping_options"); x && x->is_array())
    for (const auto& e : x->as_array()) {
      if (!e.is_object()) continue;
      ShippingOption so;
      if (auto* y = e.as_object().if_contains("id"); y && y->is_string()) so.id = y->as_string();
      if (auto* y = e.as_object().if_contains("name"); y && y->is_string()) so.name = y->as_string();
      so.prices = int_map(e.as_object().if_contains("prices"));
      so.free_over = int_map(e.as_object().if_contains("free_over"));
      s.shipping_options.push_back(std::move(so));
    }
  if (o.contains("manual_discount_limits")) s.manual_discount_limits = int_map(o.if_contains("manual_discount_limits"));
  if (auto* x = o.if_contains("reservation_minutes"); x && x->is_int64()) s.reservation_minutes = x->as_int64();
  return s;
}

void put_settings(Tx& tx, const std::string& tenant, const CommerceSettings& s, int64_t now) {
  tx.exec(kEnsureSettings, {tenant, now});
  // Other documents kept in the same row (reward rules, profile.hpp) stay as they are.
  auto doc = parse_doc(settings_doc(s));
  if (auto r = tx.query_one(kGetSettings, {tenant})) {
    auto old = parse_doc(r->str(0));
    if (old.is_object())
      if (auto* rules = old.as_object().if_contains("reward_rules")) doc.as_object()["reward_rules"] = *rules;
  }
  tx.exec(kPutSettings, {tenant, bj::serialize(doc), now});
}

Result<CommerceSettings> parse_settings(const bj::object& o, CommerceSettings s) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"currency", "tax_inclusive", "tax_rates", "default_country", "shipping_options",
                                         "manual_discount_limits", "reservation_minutes"}));
  BOTTEGA_TRY(currency, json::optional_string(o, "currency", {}, 8));
  if (currency) {
    BOTTEGA_TRY_STATUS(check_currency(*currency, "currency"));
    s.currency = *currency;
  }
  BOTTEGA_TRY(incl, json::optional_bool(o, "tax_inclusive"));
  if (incl) s.tax_inclusive = *incl;
  BOTTEGA_TRY(rates, json::optional_object(o, "tax_rates"));
  if (rates) {
    s.tax_rates.clear();
    for (const auto& kv : *rates) {
      std::string c(kv.key()), path = "tax_rates." + c;
      if (!valid_country(c)) return Error::invalid(path, "a country is an ISO 3166 alpha-2 code (IT, DE, NL)");
      if (!kv.value().is_string()) return Error::invalid(path, "a rate is a percentage string such as \"22\" or \"5.5\"", "invalid_type");
      BOTTEGA_TRY(bp, parse_percent(std::string(kv.value().as_string()), path));
      s.tax_rates[c] = bp;
    }
  }
  BOTTEGA_TRY(dc, json::optional_string(o, "default_country", {}, 2));
  if (dc) {
    if (!dc->empty() && !valid_country(*dc)) return Error::invalid("default_country", "an ISO 3166 alpha-2 code");
    s.default_country = *dc;
  }
  BOTTEGA_TRY(ship, json::optional_array(o, "shipping_options"));
  if (ship) {
    s.shipping_options.clear();
    if (ship->size() > 20) return Error::invalid("shipping_options", "at most 20 options");
    for (size_t i = 0; i < ship->size(); ++i) {
      std::string path = "shipping_options[" + std::to_string(i) + "]";
      if (!(*ship)[i].is_object()) return Error::invalid(path, "an object", "invalid_type");
      const auto& e = (*ship)[i].as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(e, {"id", "name", "prices", "free_over"}, path));
      ShippingOption so;
      BOTTEGA_TRY(id, json::required_string(e, "id", path + ".id", 64));
      BOTTEGA_TRY(name, json::required_string(e, "name", path + ".name", 200));
      so.id = id;
      so.name = name;
      for (const char* key : {"prices", "free_over"}) {
        BOTTEGA_TRY(m, json::optional_object(e, key, path + "." + key));
        if (!m) continue;
        for (const auto& kv : *m) {
          std::string cur(kv.key()), p = path + "." + key + "." + cur;
          BOTTEGA_TRY_STATUS(check_currency(cur, p));
          if (!kv.value().is_int64() || kv.value().as_int64() < 0 || kv.value().as_int64() > kMaxAmount)
            return Error::invalid(p, "an amount is a non-negative integer in minor units");
          (std::string_view(key) == "prices" ? so.prices : so.free_over)[cur] = kv.value().as_int64();
        }
      }
      for (const auto& other : s.shipping_options)
        if (other.id == so.id) return Error::invalid(path + ".id", "duplicate shipping option id");
      s.shipping_options.push_back(std::move(so));
    }
  }
  BOTTEGA_TRY(limits, json::optional_object(o, "manual_discount_limits"));
  if (limits) {
    s.manual_discount_limits.clear();
    for (const auto& kv : *limits) {
      std::string role(kv.key()), path = "manual_discount_limits." + role;
      if (role != "agent" && role != "admin") return Error::invalid(path, "roles are agent and admin");
      if (!kv.value().is_string()) return Error::invalid(path, "a percentage string such as \"10\"", "invalid_type");
      BOTTEGA_TRY(bp, parse_percent(std::string(kv.value().as_string()), path));
      s.manual_discount_limits[role] = bp;
    }
  }
  BOTTEGA_TRY(rm, json::optional_int(o, "reservation_minutes"));
  if (rm) {
    if (*rm < 1 || *rm > 7 * 24 * 60) return Error::invalid("reservation_minutes", "1..10080 minutes");
    s.reservation_minutes = *rm;
  }
  return s;
}

bj::object to_json(const CommerceSettings& s) {
  bj::array ship;
  for (const auto& o : s.shipping_options)
    ship.push_back(bj::object{{"id", o.id}, {"name", o.name}, {"prices", int_obj(o.prices)}, {"free_over", int_obj(o.free_over)}});
  return bj::object{{"currency", s.currency},
                    {"tax_inclusive", s.tax_inclusive},
                    {"tax_rates", percent_obj(s.tax_rates)},
                    {"default_country", s.default_country},
                    {"shipping_options", std::move(ship)},
                    {"manual_discount_limits", percent_obj(s.manual_discount_limits)},
                    {"reservation_minutes", s.reservation_minutes}};
}

// ---- carts -----------------------------------------------------------------------------------

Result<Cart> create_cart(Tx& tx, IdGenerator& ids, const std::string& tenant, const NewCart& in, int64_t now) {
  Cart c;
  c.tenant_id = tenant;
  if (in.conversation_id) {
    auto conv = repo::get_conversation(tx, tenant, *in.conversation_id);
    if (!conv) return Error::invalid("conversation_id", "no such conversation", "not_found");
    if (in.contact_id && *in.contact_id != conv->contact_id)
      return Error::invalid("contact_id", "the conversation belongs to another contact");
    c.contact_id = conv->contact_id;
    c.conversation_id = in.conversation_id;
  } else if (in.contact_id) {
    if (!tx.query_one(kContactExists, {tenant, *in.contact_id}))
      return Error::invalid("contact_id", "no such contact", "not_found");
    c.contact_id = *in.contact_id;
  } else {
    return Error::invalid("contact_id", "a cart belongs to a contact or a conversation", "missing_field");
  }
  auto settings = get_settings(tx, tenant);
  c.currency = in.currency.value_or(settings.currency);
  BOTTEGA_TRY_STATUS(check_currency(c.currency, "currency"));
  if (in.country && !valid_country(*in.country)) return Error::invalid("country", "an ISO 3166 alpha-2 code (IT, DE, NL)");
  c.country = in.country;
  c.source = in.source;
  c.id = ids.next("crt");
  c.created_at = c.updated_at = now;
  tx.exec(kInsertCart, {c.id, tenant, c.contact_id, opt(c.conversation_id), c.currency, opt(c.country), c.source, now});
  return c;
}

std::optional<Cart> get_cart(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetCart, {tenant, id});
  if (!r) return std::nullopt;
  Cart c = cart_from(*r);
  load_items(tx, c);
  return c;
}

std::vector<Cart> open_carts(Tx& tx, const std::string& tenant, const std::string& contact_id) {
  std::vector<Cart> out;
  for (const auto& r : tx.query(kOpenCarts, {tenant, contact_id})) {
    out.push_back(cart_from(r));
    load_items(tx, out.back());
  }
  return out;
}

Result<Cart> add_item(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& sku,
                      int64_t quantity, int64_t now) {
  BOTTEGA_TRY_STATUS(check_quantity(quantity));
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  auto ref = find_variant_by_sku(tx, tenant, sku);
  if (!ref) return Error::invalid("sku", "unknown SKU " + sku.substr(0, 64), "unknown_sku");
  if (ref->product.status != "active") return Error::invalid("sku", sku + " is archived", "product_archived");
  auto price = ref->variant.prices.find(c.currency);
  if (price == ref->variant.prices.end())
    return Error::invalid("sku", sku + " has no price in " + c.currency + " (a cart holds one currency)", "currency_mismatch");
  auto line = std::find_if(c.items.begin(), c.items.end(), [&](const CartItem& i) { return i.variant_id == ref->variant.id; });
  int64_t total = quantity + (line == c.items.end() ? 0 : line->quantity);
  BOTTEGA_TRY_STATUS(check_quantity(total));
  BOTTEGA_TRY_STATUS(check_available(tx, tenant, c, ref->variant.id, sku, total, now, "quantity"));
  if (line == c.items.end()) {
    if (c.items.size() >= 100) return Error::invalid("sku", "a cart holds at most 100 lines");
    std::string title = ref->product.text().title;
    if (!ref->variant.title.empty()) title += " - " + ref->variant.title;
    int64_t pos = c.items.empty() ? 0 : c.items.back().position + 1;
    tx.exec(kInsertItem, {tenant, c.id, ref->variant.id, ref->product.id, sku, title, price->second, quantity, pos, now});
  } else {
    tx.exec(kSetQuantity, {tenant, c.id, ref->variant.id, total});
  }
  c.updated_at = now;
  save_cart(tx, c);
  return reload(tx, tenant, cart_id);
}

Result<Cart> set_item_quantity(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& sku,
                               int64_t quantity, int64_t now) {
  BOTTEGA_TRY_STATUS(check_quantity(quantity));
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  auto line = std::find_if(c.items.begin(), c.items.end(), [&](const CartItem& i) { return i.sku == sku; });
  if (line == c.items.end()) return Error::invalid("sku", sku.substr(0, 64) + " is not in the cart", "not_in_cart");
  BOTTEGA_TRY_STATUS(check_available(tx, tenant, c, line->variant_id, sku, quantity, now, "quantity"));
  tx.exec(kSetQuantity, {tenant, c.id, line->variant_id, quantity});
  c.updated_at = now;
  save_cart(tx, c);
  return reload(tx, tenant, cart_id);
}

Result<Cart> remove_item(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& sku,
                         int64_t now) {
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  auto line = std::find_if(c.items.begin(), c.items.end(), [&](const CartItem& i) { return i.sku == sku; });
  if (line == c.items.end()) return Error::invalid("sku", sku.substr(0, 64) + " is not in the cart", "not_in_cart");
  tx.exec(kDeleteItem, {tenant, c.id, line->variant_id});
  c.updated_at = now;
  save_cart(tx, c);
  return reload(tx, tenant, cart_id);
}

Result<Cart> set_cart_options(Tx& tx, const std::string& tenant, const std::string& cart_id,
                              const std::optional<std::string>& country,
                              const std::optional<std::string>& shipping_option, int64_t now) {
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  if (country) {
    if (!country->empty() && !valid_country(*country)) return Error::invalid("country", "an ISO 3166 alpha-2 code (IT, DE, NL)");
    c.country = country->empty() ? std::nullopt : country;
  }
  if (shipping_option) {
    if (shipping_option->empty()) {
      c.shipping_option.reset();
    } else {
      auto s = get_settings(tx, tenant);
      auto it = std::find_if(s.shipping_options.begin(), s.shipping_options.end(),
                             [&](const ShippingOption& o) { return o.id == *shipping_option; });
      if (it == s.shipping_options.end()) return Error::invalid("shipping_option", "unknown shipping option", "unknown_shipping_option");
      if (!it->prices.count(c.currency))
        return Error::invalid("shipping_option", "this option has no price in " + c.currency, "currency_mismatch");
      c.shipping_option = shipping_option;
    }
  }
  c.updated_at = now;
  save_cart(tx, c);
  return c;
}

Result<Cart> apply_discount_code(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& code,
                                 int64_t now) {
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  auto d = find_discount(tx, tenant, code);
  if (!d) return Error{Errc::unprocessable, "unknown_code", "there is no discount code " + code.substr(0, 64), "code"};
  auto ctx = discount_context(c, collections_of(tx, tenant, c), customer_redemptions(tx, tenant, d->id, c.contact_id), now);
  if (c.items.empty()) return Error{Errc::unprocessable, "not_applicable_to_products", "the cart is empty", "code"};
  if (auto refusal = check_discount(*d, ctx)) return Error{Errc::unprocessable, refusal->code, refusal->message, "code"};
  c.discount_code = d->code;
  c.updated_at = now;
  save_cart(tx, c);
  return c;
}

Result<Cart> remove_discount_code(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now) {
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  c.discount_code.reset();
  c.updated_at = now;
  save_cart(tx, c);
  return c;
}

Result<Cart> apply_manual_discount(Tx& tx, const std::string& tenant, const std::string& cart_id, Role role,
                                   const ManualDiscount& md, int64_t now) {
  BOTTEGA_TRY(c, editable_cart(tx, tenant, cart_id, now));
  if (md.kind != "percentage" && md.kind != "fixed_amount")
    return Error::invalid("kind", "a manual discount is percentage or fixed_amount");
  if (md.value <= 0) return Error::invalid("value", "a manual discount is positive");
  auto s = get_settings(tx, tenant);
  int64_t limit = 0;
  if (auto it = s.manual_discount_limits.find(std::string(to_string(role))); it != s.manual_discount_limits.end())
    limit = it->second;
  int64_t subtotal = 0;
  for (const auto& i : c.items) subtotal += i.unit_price * i.quantity;
  bool over = md.kind == "percentage" ? md.value > limit
                                      : static_cast<__int128>(md.value) * kBasisPoints > static_cast<__int128>(subtotal) * limit;
  if (over)
    return Error{Errc::forbidden, "manual_discount_over_limit",
                 "a " + std::string(to_string(role)) + " may give at most " + format_amount(limit, "EUR") +
                     " % of the subtotal",
                 "value"};
  c.manual_discount = md;
  c.updated_at = now;
  save_cart(tx, c);
  return c;
}

// ---- pricing ---------------------------------------------------------------------------------

Result<CartTotals> compute_totals(const PricingInput& in) {
  const Cart& c = *in.cart;
  const CommerceSettings& s = *in.settings;
  CartTotals t;
  t.currency = c.currency;
  t.tax_inclusive = s.tax_inclusive;
  t.country = c.country.value_or(s.default_country);
  if (auto it = s.tax_rates.find(t.country); it != s.tax_rates.end()) t.tax_rate_bp = it->second;
  std::vector<int64_t> subtotals;
  for (const auto& i : c.items) {
    PricedLine l{i.variant_id, i.product_id, i.sku, i.title, i.unit_price, i.quantity, 0, 0, 0, 0};
    auto sub = mul_div_round(i.unit_price, i.quantity, 1);
    if (!sub) return std::move(sub).error();
    l.subtotal = *sub;
    t.subtotal += l.subtotal;
    subtotals.push_back(l.subtotal);
    t.lines.push_back(std::move(l));
  }
  if (t.subtotal > kMaxAmount) return Error::invalid("items", "the cart total is too large", "amount_out_of_range");
  // 1. The code, on the lines in its scope.
  if (in.discount) {
    t.discount_code = in.discount->code;
    auto ctx = discount_context(c, in.collections, in.customer_uses, in.now);
    if (auto refusal = check_discount(*in.discount, ctx)) {
      t.discount_refusal = refusal;
    } else {
      t.discount_id = in.discount->id;
      t.free_shipping = in.discount->kind == "free_shipping";
      t.code_discount = discount_amount(*in.discount, ctx);
      std::vector<int64_t> weights;
      for (size_t i = 0; i < ctx.lines.size(); ++i) weights.push_back(in_scope(*in.discount, ctx.lines[i]) ? subtotals[i] : 0);
      if (!weights.empty()) {
        auto parts = allocate(t.code_discount, weights);
        for (size_t i = 0; i < parts.size(); ++i) t.lines[i].discount += parts[i];
      }
    }
  }
  // 2. The agent's manual discount, on what is left.
  if (c.manual_discount && !t.lines.empty()) {
    std::vector<int64_t> left;
    int64_t remaining = 0;
    for (const auto& l : t.lines) {
      left.push_back(l.subtotal - l.discount);
      remaining += l.subtotal - l.discount;
    }
    int64_t amount = 0;
    if (c.manual_discount->kind == "percentage") {
      auto v = percent_of(remaining, c.manual_discount->value);
      if (!v) return std::move(v).error();
      amount = *v;
    } else {
      amount = c.manual_discount->value;
    }
    amount = std::min(amount, remaining);
    t.manual_discount = amount;
    auto parts = allocate(amount, left);
    for (size_t i = 0; i < parts.size(); ++i) t.lines[i].discount += parts[i];
  }
  t.discount_total = t.code_discount + t.manual_discount;
  int64_t after_discount = t.subtotal - t.discount_total;
  // 3. Shipping.
  if (c.shipping_option) {
    auto it = std::find_if(s.shipping_options.begin(), s.shipping_options.end(),
                           [&](const ShippingOption& o) { return o.id == *c.shipping_option; });
    if (it != s.shipping_options.end()) {
      t.shipping = *it;
      if (auto p = it->prices.find(c.currency); p != it->prices.end()) t.shipping_total = p->second;
      if (auto f = it->free_over.find(c.currency); f != it->free_over.end() && after_discount >= f->second) t.shipping_total = 0;
      if (t.free_shipping) t.shipping_total = 0;
    }
  }
  // 4. Tax, per line and on shipping.
  int64_t goods = 0;
  for (auto& l : t.lines) {
    int64_t taxable = l.subtotal - l.discount;
    auto split = s.tax_inclusive ? tax_inclusive(taxable, t.tax_rate_bp) : tax_exclusive(taxable, t.tax_rate_bp);
    if (!split) return std::move(split).error();
    l.tax = split->tax;
    l.total = split->gross;
    t.tax_total += l.tax;
    goods += l.total;
  }
  auto ship = s.tax_inclusive ? tax_inclusive(t.shipping_total, t.tax_rate_bp) : tax_exclusive(t.shipping_total, t.tax_rate_bp);
  if (!ship) return std::move(ship).error();
  t.tax_total += ship->tax;
  t.total = goods + ship->gross;
  return t;
}

Result<CartTotals> price_cart(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now) {
  auto c = get_cart(tx, tenant, cart_id);
  if (!c) return Error::not_found("cart");
  auto settings = get_settings(tx, tenant);
  PricingInput in;
  in.cart = &*c;
  in.settings = &settings;
  in.now = now;
  in.collections = collections_of(tx, tenant, *c);
  if (c->discount_code) {
    in.discount = find_discount(tx, tenant, *c->discount_code);
    if (in.discount) in.customer_uses = customer_redemptions(tx, tenant, in.discount->id, c->contact_id);
  }
  auto t = compute_totals(in);
  if (t && c->discount_code && !in.discount)
    t->discount_refusal = Refusal{"unknown_code", "the code " + *c->discount_code + " no longer exists"};
  return t;
}

bj::object to_json(const CartTotals& t) {
  bj::array lines;
  for (const auto& l : t.lines)
    lines.push_back(bj::object{{"sku", l.sku},           {"variant_id", l.variant_id}, {"title", l.title},
                               {"unit_price", l.unit_price}, {"quantity", l.quantity},   {"subtotal", l.subtotal},
                               {"discount", l.discount},     {"tax", l.tax},             {"total", l.total}});
  bj::value discount = nullptr;
  if (t.discount_code) {
    bj::value refusal = nullptr;
    if (t.discount_refusal) refusal = bj::object{{"code", t.discount_refusal->code}, {"message", t.discount_refusal->message}};
    discount = bj::object{{"code", *t.discount_code},
                          {"applied", !t.discount_refusal.has_value()},
                          {"amount", t.code_discount},
                          {"free_shipping", t.free_shipping},
                          {"refusal", std::move(refusal)}};
  }
  bj::value shipping = nullptr;
  if (t.shipping) shipping = bj::object{{"id", t.shipping->id}, {"name", t.shipping->name}, {"amount", t.shipping_total}};
  return bj::object{{"currency", t.currency},
                    {"tax_inclusive", t.tax_inclusive},
                    {"country", t.country},
                    {"tax_rate", format_amount(t.tax_rate_bp, "EUR")},
                    {"subtotal", t.subtotal},
                    {"discount_total", t.discount_total},
                    {"manual_discount", t.manual_discount},
                    {"shipping_total", t.shipping_total},
                    {"tax_total", t.tax_total},
                    {"total", t.total},
                    {"discount", std::move(discount)},
                    {"shipping", std::move(shipping)},
                    {"lines", std::move(lines)}};
}

bj::object to_json(const Cart& c) {
  auto s = [](const std::optional<std::string>& v) { return v ? bj::value(*v) : bj::value(nullptr); };
  bj::array items;
  for (const auto& i : c.items)
    items.push_back(bj::object{{"sku", i.sku},
                               {"variant_id", i.variant_id},
                               {"product_id", i.product_id},
                               {"title", i.title},
                               {"unit_price", i.unit_price},
                               {"quantity", i.quantity},
                               {"added_at", rfc3339(i.added_at)}});
  bj::value md = nullptr;
  if (c.manual_discount)
    md = bj::object{{"kind", c.manual_discount->kind},
                    {"value", c.manual_discount->value},
                    {"agent_id", c.manual_discount->agent_id},
                    {"reason", c.manual_discount->reason}};
  return bj::object{{"id", c.id},
                    {"contact_id", c.contact_id},
                    {"conversation_id", s(c.conversation_id)},
                    {"currency", c.currency},
                    {"country", s(c.country)},
                    {"status", c.status},
                    {"source", c.source},
                    {"shipping_option", s(c.shipping_option)},
                    {"discount_code", s(c.discount_code)},
                    {"manual_discount", std::move(md)},
                    {"reserved_until", c.reserved_until ? bj::value(rfc3339(*c.reserved_until)) : bj::value(nullptr)},
                    {"items", std::move(items)},
                    {"created_at", rfc3339(c.created_at)},
                    {"updated_at", rfc3339(c.updated_at)}};
}

// ---- stock -----------------------------------------------------------------------------------

std::optional<int64_t> available_stock(Tx& tx, const std::string& tenant, const std::string& variant_id,
                                       const std::string& except_cart, int64_t now) {
  auto r = tx.query_one(kVariantStock, {tenant, variant_id});
  if (!r || r->is_null(0)) return std::nullopt;
  int64_t held = tx.query_one(kReservedByOthers, {tenant, variant_id, now, except_cart})->i64(0);
  return r->i64(0) - held;
}

Status reserve_stock(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t until, int64_t now) {
  auto c = get_cart(tx, tenant, cart_id);
  if (!c) return Error::not_found("cart");
  if (c->status != "open") return Error::conflict("cart_closed", "the cart is " + c->status);
  if (c->items.empty()) return Error::conflict("cart_empty", "the cart has no items");
  if (until <= now) return Error::invalid("until", "a reservation ends in the future");
  for (size_t i = 0; i < c->items.size(); ++i) {
    const auto& item = c->items[i];
    tx.exec(kLockVariant, {tenant, item.variant_id});
    BOTTEGA_TRY_STATUS(check_available(tx, tenant, *c, item.variant_id, item.sku, item.quantity, now,
                                       "items[" + std::to_string(i) + "].quantity"));
  }
  tx.exec(kDeleteReservations, {tenant, cart_id});
  for (const auto& item : c->items)
    tx.exec(kInsertReservation, {tenant, cart_id, item.variant_id, item.quantity, until, now});
  c->reserved_until = until;
  c->updated_at = now;
  save_cart(tx, *c);
  return {};
}

void release_stock(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now) {
  tx.exec(kDeleteReservations, {tenant, cart_id});
  auto c = get_cart(tx, tenant, cart_id);
  if (c && c->reserved_until) {
    c->reserved_until.reset();
    c->updated_at = now;
    save_cart(tx, *c);
  }
}

// ---- orders ----------------------------------------------------------------------------------

Result<Order> create_order_from_cart(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& cart_id,
                                     const OrderPayment& payment) {
  if (auto existing = order_of_cart(tx, tenant, cart_id)) return std::move(*existing);
  auto c = get_cart(tx, tenant, cart_id);
  if (!c) return Error::not_found("cart");
  if (c->status != "open") return Error::conflict("cart_closed", "the cart is " + c->status);
  if (c->items.empty()) return Error::conflict("cart_empty", "the cart has no items");
  int64_t now = env.clock.now_ms();
  BOTTEGA_TRY(totals, price_cart(tx, tenant, cart_id, now));
  tx.exec(kEnsureSettings, {tenant, now});
  int64_t number = tx.query_one(kNextOrderNumber, {tenant})->i64(0);
  Order o;
  o.id = env.ids.next("ord");
  o.tenant_id = tenant;
  o.number = number;
  o.cart_id = c->id;
  o.contact_id = c->contact_id;
  o.conversation_id = c->conversation_id;
  o.status = payment.paid ? "paid" : "pending_payment";
  o.currency = c->currency;
  o.totals_json = bj::serialize(to_json(totals));
  o.total = totals.total;
  if (!payment.payment_ref.empty()) o.payment_ref = payment.payment_ref;
  o.created_at = o.updated_at = now;
  if (payment.paid) o.paid_at = now;
  for (size_t i = 0; i < totals.lines.size(); ++i) {
    const auto& l = totals.lines[i];
    o.lines.push_back(OrderLine{static_cast<int64_t>(i), l.variant_id, l.product_id, l.sku, l.title, l.unit_price,
                                l.quantity, l.subtotal, l.discount, l.tax, l.total});
    // The units leave stock now; the cart's reservation (if any) has done its job.
    tx.exec(kTakeStock, {tenant, l.variant_id, l.quantity, now});
  }
  tx.exec(kDeleteReservations, {tenant, cart_id});
  insert_order(tx, o);
  if (totals.discount_id) redeem_discount(tx, tenant, *totals.discount_id, o.id, o.contact_id, now);
  c->status = "ordered";
  c->reserved_until.reset();
  c->updated_at = now;
  save_cart(tx, *c);
  emit_order_event(tx, env, event_type::kOrderCreated, o);
  if (payment.paid) emit_order_event(tx, env, event_type::kOrderPaid, o);
  return o;
}

}  // namespace bottega::commerce
