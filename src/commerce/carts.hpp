// Carts, their pricing, stock reservations, and the order a paid cart becomes.
//
// Everything here runs inside the caller's store transaction (Tx&) and takes the tenant: another
// tenant's cart, product or code is "not found" / unknown_code. Bad input is an Error naming the
// field, and nothing is changed (callers run each call in its own write, whose savepoint rolls
// back on error). Functions throw store::DbError on database failure.
//
// For the payment flow (src/payments): price_cart() gives the amount to charge; reserve_stock()
// holds the cart's units until the payment link expires (release_stock() gives them back);
// create_order_from_cart() turns the paid cart into an order (idempotent per cart).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "commerce/discounts.hpp"
#include "commerce/orders.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::commerce {

using store::Tx;

// ---- per-tenant settings -------------------------------------------------------------------
struct ShippingOption {
  std::string id, name;
  std::map<std::string, int64_t> prices;     // currency -> minor units
  std::map<std::string, int64_t> free_over;  // currency -> subtotal (after discounts) from which it is free
};
struct CommerceSettings {
  std::string currency = "EUR";       // default currency of new carts
  bool tax_inclusive = true;          // catalog prices include tax (EU retail) or not (US, B2B)
  std::map<std::string, int64_t> tax_rates;  // country (ISO 3166 alpha-2) -> basis points
  std::string default_country;        // used when a cart has no country
  std::vector<ShippingOption> shipping_options;
  // Largest manual discount an agent may give, in basis points of the cart subtotal, per role.
  std::map<std::string, int64_t> manual_discount_limits = {{"agent", 1000}, {"admin", 3000}};
  int64_t reservation_minutes = 30;   // default hold when a payment link reserves stock
};
CommerceSettings get_settings(Tx& tx, const std::string& tenant);
void put_settings(Tx& tx, const std::string& tenant, const CommerceSettings& s, int64_t now);
// {"currency","tax_inclusive","tax_rates":{"IT":"22"},"default_country","shipping_options":[{"id",
// "name","prices":{"EUR":590},"free_over":{"EUR":5000}}],"manual_discount_limits":{"agent":"10"},
// "reservation_minutes"}: fields present replace the current ones.
Result<CommerceSettings> parse_settings(const boost::json::object& o, CommerceSettings base);
boost::json::object to_json(const CommerceSettings& s);

// ---- carts ---------------------------------------------------------------------------------
struct CartItem {
  std::string variant_id, product_id, sku, title;
  int64_t unit_price = 0;  // snapshot of the variant's price in the cart currency when first added
  int64_t quantity = 0;
  int64_t position = 0, added_at = 0;
};
struct ManualDiscount {
  std::string kind = "percentage";  // percentage (value in basis points) | fixed_amount (minor units)
  int64_t value = 0;
  std::string agent_id, reason;
};
struct Cart {
  std::string id, tenant_id, contact_id;
  std::optional<std::string> conversation_id;
  std::string currency;
  std::optional<std::string> country;
  std::string status = "open";  // open | ordered | abandoned
  std::string source = "agent"; // agent | api | webchat | whatsapp
  std::optional<std::string> shipping_option, discount_code;
  std::optional<ManualDiscount> manual_discount;
  std::optional<int64_t> reserved_until;
  std::vector<CartItem> items;
  int64_t created_at = 0, updated_at = 0;
};

struct NewCart {
  std::optional<std::string> contact_id, conversation_id;  // at least one; they must agree
  std::optional<std::string> currency, country;
  std::string source = "agent";
};
Result<Cart> create_cart(Tx& tx, IdGenerator& ids, const std::string& tenant, const NewCart& in, int64_t now);
std::optional<Cart> get_cart(Tx& tx, const std::string& tenant, const std::string& id);
// Open carts of a contact, newest first.
std::vector<Cart> open_carts(Tx& tx, const std::string& tenant, const std::string& contact_id);

// Adds `quantity` of the variant with `sku` (to its line if present). Errors: quantity <= 0
// (field quantity), unknown_sku / product_archived / currency_mismatch (field sku),
// insufficient_stock (409, field quantity), cart_closed or cart_locked (409).
Result<Cart> add_item(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& sku,
                      int64_t quantity, int64_t now);
Result<Cart> set_item_quantity(Tx& tx, const std::string& tenant, const std::string& cart_id,
                               const std::string& sku, int64_t quantity, int64_t now);
Result<Cart> remove_item(Tx& tx, const std::string& tenant, const std::string& cart_id, const std::string& sku,
                         int64_t now);
// Country (ISO 3166 alpha-2, upper case) and shipping option (an id from the settings, or "" to
// clear); nullopt leaves a field as is.
Result<Cart> set_cart_options(Tx& tx, const std::string& tenant, const std::string& cart_id,
                              const std::optional<std::string>& country,
                              const std::optional<std::string>& shipping_option, int64_t now);
// Applies a code. A refused code is 422 with error.code the refusal (unknown_code, expired, ...)
// and field "code"; the cart is unchanged.
Result<Cart> apply_discount_code(Tx& tx, const std::string& tenant, const std::string& cart_id,
                                 const std::string& code, int64_t now);
Result<Cart> remove_discount_code(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now);
// An agent's own discount, up to the tenant's limit for the agent's role (403
// manual_discount_over_limit beyond it; a fixed amount counts as its share of the subtotal).
Result<Cart> apply_manual_discount(Tx& tx, const std::string& tenant, const std::string& cart_id, Role role,
                                   const ManualDiscount& md, int64_t now);

// ---- pricing -------------------------------------------------------------------------------
struct PricedLine {
  std::string variant_id, product_id, sku, title;
  int64_t unit_price = 0, quantity = 0;
  int64_t subtotal = 0;  // unit_price x quantity
  int64_t discount = 0;  // code and manual discounts allocated to this line
  int64_t tax = 0;       // included in or added to (subtotal - discount), per tax_inclusive
  int64_t total = 0;     // what the customer pays for the line
};
struct CartTotals {
  std::string currency;
  bool tax_inclusive = true;
  std::string country;   // whose tax rate applied ("" when none)
  int64_t tax_rate_bp = 0;
  std::vector<PricedLine> lines;
  int64_t subtotal = 0, discount_total = 0, shipping_total = 0, tax_total = 0, total = 0;
  int64_t code_discount = 0, manual_discount = 0;
  std::optional<std::string> discount_code, discount_id;
  std::optional<Refusal> discount_refusal;  // the cart's code no longer applies (why)
  bool free_shipping = false;
  std::optional<ShippingOption> shipping;
};
boost::json::object to_json(const CartTotals& t);

// The pure pricing rule (docs/commerce.md): line subtotals; the code's discount on the lines in
// its scope, then the manual discount on what is left, each spread over lines by the largest
// remainder method; shipping (free above the option's threshold or with a free_shipping code);
// tax per line and on shipping at the cart country's rate, inclusive or exclusive. Every
// rounding is half away from zero, in minor units. `collections` maps product ids to theirs.
struct PricingInput {
  const Cart* cart = nullptr;
  const CommerceSettings* settings = nullptr;
  std::optional<Discount> discount;
  int64_t customer_uses = 0;
  std::map<std::string, std::vector<std::string>> collections;
  int64_t now = 0;
};
Result<CartTotals> compute_totals(const PricingInput& in);
// Loads what compute_totals needs and prices the cart. Not found for another tenant's cart.
Result<CartTotals> price_cart(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now);

// ---- stock ---------------------------------------------------------------------------------
// Units of a variant that can still be promised: stock minus unexpired reservations of other
// carts (nullopt: not tracked, unlimited).
std::optional<int64_t> available_stock(Tx& tx, const std::string& tenant, const std::string& variant_id,
                                       const std::string& except_cart, int64_t now);
// Reserves every line of the cart until `until` (replacing the cart's earlier reservation). When
// any line cannot be covered, 409 insufficient_stock naming the line (field items[i].quantity)
// and nothing is reserved. Two carts racing for the last unit: exactly one succeeds.
Status reserve_stock(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t until, int64_t now);
// Gives the cart's reserved units back (idempotent).
void release_stock(Tx& tx, const std::string& tenant, const std::string& cart_id, int64_t now);

// ---- orders --------------------------------------------------------------------------------
struct OrderPayment {
  bool paid = true;              // false: the order waits in pending_payment
  std::string payment_ref;       // the payment's id, kept on the order
};
// Prices the cart, numbers the order (1001, 1002... per tenant), takes the units out of stock
// (consuming the cart's reservation), records the code's redemption, marks the cart ordered and
// emits order.created (and order.paid when paid). Idempotent: a cart already ordered returns its
// order unchanged. Errors: not found, empty cart (409 cart_empty).
Result<Order> create_order_from_cart(Tx& tx, pipeline::Env& env, const std::string& tenant,
                                     const std::string& cart_id, const OrderPayment& payment);

boost::json::object to_json(const Cart& c);

}  // namespace bottega::commerce
