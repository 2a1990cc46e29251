#include "bot/shop.hpp"
#include "pipeline/one_time_code.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "bot/text.hpp"
#include "channels/email/email.hpp"
#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/discounts.hpp"
#include "commerce/orders.hpp"
#include "pipeline/contacts.hpp"
#include "store/repo/repo.hpp"

namespace bottega::bot {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kOrderByNumber{"bot.order_by_number",
                              "SELECT id FROM orders WHERE tenant_id = $1 AND number = $2"};

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string line_text(int64_t qty, const std::string& title, const std::string& variant) {
  std::string s = std::to_string(qty) + " x " + title;
  if (!variant.empty()) s += " (" + variant + ")";
  return s;
}

OrderFacts facts_of(const commerce::Order& o) {
  OrderFacts f;
  f.id = o.id;
  f.number = o.number;
  f.status = o.status;
  f.currency = o.currency;
  f.total = o.total;
  f.refunded = o.refunded_amount;
  f.created_at = o.created_at;
  f.paid_at = o.paid_at;
  f.fulfilled_at = o.fulfilled_at;
  f.tracking_number = o.tracking_number;
  f.tracking_url = o.tracking_url;
  f.carrier = o.carrier;
  for (const auto& l : o.lines) f.lines.push_back(line_text(l.quantity, l.title, ""));
  f.payment_id = o.payment_ref;
  return f;
}

}  // namespace

std::vector<ProductFacts> StoreShop::find_products(const std::vector<std::string>& words, const std::string& lang,
                                                   size_t limit) {
  std::vector<ProductFacts> out;
  if (words.empty()) return out;
  commerce::SearchQuery q;
  for (const auto& w : words) q.q += (q.q.empty() ? "" : " ") + w;
  q.limit = static_cast<int64_t>(limit);
  auto page = commerce::search_products(tx_, tenant_, q);
  std::string currency;
  if (auto cart = open_cart()) currency = cart->currency;
  if (currency.empty()) currency = commerce::get_settings(tx_, tenant_).currency;
  for (const auto& p : page.items) {
    ProductFacts f;
    f.product_id = p.id;
    f.handle = p.handle;
    const auto& t = p.text(lang);
    f.title = t.title;
    f.description = t.description;
    f.currency = currency;
    for (const auto& v : p.variants) {
      VariantFacts vf;
      vf.sku = v.sku;
      vf.title = v.title;
      if (auto it = v.prices.find(currency); it != v.prices.end()) vf.price = it->second;
      vf.available = commerce::available_stock(tx_, tenant_, v.id, "", now_);
      f.variants.push_back(std::move(vf));
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool StoreShop::catalog_knows(const std::string& word) {
  auto it = known_.find(word);
  if (it != known_.end()) return it->second;
  commerce::SearchQuery q;
  q.q = word;
  q.limit = 1;
  bool k = !commerce::search_products(tx_, tenant_, q).items.empty();
  known_[word] = k;
  return k;
}

std::optional<CodeFacts> StoreShop::check_code(const std::string& code) {
  auto norm = commerce::normalize_code(code);
  if (!norm) return std::nullopt;
  auto d = commerce::find_discount(tx_, tenant_, *norm);
  if (!d) return std::nullopt;
  CodeFacts f;
  f.code = d->code;
  f.kind = d->kind;
  f.value = d->value;
  f.currency = d->currency.value_or("");
  f.minimum_subtotal = d->minimum_subtotal;
  f.starts_at = d->starts_at;
  f.ends_at = d->ends_at;
  for (const auto& pid : d->product_ids)
    if (auto p = commerce::get_product(tx_, tenant_, pid)) f.scope_titles.push_back(p->text("en").title);
  for (const auto& c : d->collections) f.scope_titles.push_back(c);
  commerce::DiscountContext ctx;
  ctx.now = now_;
  ctx.customer_uses = contact_.empty() ? 0 : commerce::customer_redemptions(tx_, tenant_, d->id, contact_);
  auto cart = open_cart();
  std::optional<commerce::Cart> c;
  if (cart) c = commerce::get_cart(tx_, tenant_, cart->id);
  if (c && !c->items.empty()) {
    ctx.currency = c->currency;
    for (const auto& it : c->items) {
      commerce::DiscountLine l;
      l.product_id = it.product_id;
      if (auto p = commerce::get_product(tx_, tenant_, it.product_id)) l.collections = p->collections;
      l.subtotal = it.unit_price * it.quantity;
      f.cart_subtotal += l.subtotal;
      ctx.lines.push_back(std::move(l));
    }
    f.checked_against_cart = true;
    f.cart_currency = c->currency;
    if (auto r = commerce::check_discount(*d, ctx)) f.refusal = r->code;
    return f;
  }
  // No cart: only the code's own rules (dates, limits, this customer's uses) can be checked; the
  // cart-dependent refusals (scope, minimum, currency) are told as conditions instead.
  ctx.currency = d->currency.value_or(commerce::get_settings(tx_, tenant_).currency);
  if (auto r = commerce::check_discount(*d, ctx)) {
    static const char* kOwn[] = {"not_started", "expired", "usage_limit_reached", "already_used_by_customer"};
    for (const char* k : kOwn)
      if (r->code == k) f.refusal = r->code;
  }
  return f;
}

std::vector<OrderFacts> StoreShop::customer_orders() {
  std::vector<OrderFacts> out;
  if (contact_.empty()) return out;
  commerce::OrderFilter filter;
  filter.contact_id = contact_;
  filter.limit = 10;
  for (const auto& o : commerce::list_orders(tx_, tenant_, filter).items) out.push_back(facts_of(o));
  return out;
}

std::optional<OrderFacts> StoreShop::order_for(int64_t number, const std::string& email) {
  auto r = tx_.query_one(kOrderByNumber, {tenant_, number});
  if (!r) return std::nullopt;
  auto o = commerce::get_order(tx_, tenant_, r->str(0));
  if (!o) return std::nullopt;
  auto c = pipeline::get_contact(tx_, tenant_, o->contact_id);
  if (!c || !c->email || c->email->empty()) return std::nullopt;
  if (lower_ascii(*c->email) != lower_ascii(email)) return std::nullopt;
  return facts_of(*o);
}

std::optional<OrderFacts> StoreShop::order(const std::string& id) {
  auto o = commerce::get_order(tx_, tenant_, id);
  if (!o) return std::nullopt;
  return facts_of(*o);
}

std::optional<CartFacts> StoreShop::open_cart() {
  if (contact_.empty()) return std::nullopt;
  auto carts = commerce::open_carts(tx_, tenant_, contact_);
  const commerce::Cart* pick = nullptr;
  for (const auto& c : carts)
    if (c.conversation_id && *c.conversation_id == conversation_) {
      pick = &c;
      break;
    }
  if (!pick && !carts.empty()) pick = &carts.front();
  if (!pick || pick->items.empty()) return std::nullopt;
  CartFacts f;
  f.id = pick->id;
  f.currency = pick->currency;
  auto totals = commerce::price_cart(tx_, tenant_, pick->id, now_);
  f.total = totals ? totals->total : 0;
  for (const auto& it : pick->items) f.lines.push_back(line_text(it.quantity, it.title, ""));  // title names the variant
  return f;
}

bool StoreShop::can_email_codes() { return pipeline::otp::can_send(tx_, tenant_); }

}  // namespace bottega::bot
