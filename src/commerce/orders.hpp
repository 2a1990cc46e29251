// Orders: created from a paid cart (carts.hpp create_order_from_cart), numbered per tenant from
// 1001, with statuses pending_payment -> paid -> fulfilled, cancelled, partially_refunded,
// refunded. Changes are announced through the outbox (order.created, order.paid,
// order.fulfilled, order.updated), so merchant webhooks and agents see them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "pipeline/services.hpp"

namespace bottega::commerce {

using store::Tx;

struct OrderLine {
  int64_t position = 0;
  std::string variant_id, product_id, sku, title;
  int64_t unit_price = 0, quantity = 0, subtotal = 0, discount = 0, tax = 0, total = 0;
};
struct Order {
  std::string id, tenant_id;
  int64_t number = 0;
  std::string cart_id, contact_id;
  std::optional<std::string> conversation_id;
  std::string status;  // pending_payment | paid | fulfilled | cancelled | partially_refunded | refunded
  std::string currency;
  std::string totals_json;  // the cart's priced totals when the order was made (CartTotals)
  int64_t total = 0, refunded_amount = 0;
  std::optional<std::string> payment_ref, tracking_number, tracking_url, carrier;
  int64_t created_at = 0, updated_at = 0;
  std::optional<int64_t> paid_at, fulfilled_at;
  std::vector<OrderLine> lines;
  int64_t seq = 0;
};
boost::json::object to_json(const Order& o);

std::optional<Order> get_order(Tx& tx, const std::string& tenant, const std::string& id);
std::optional<Order> order_of_cart(Tx& tx, const std::string& tenant, const std::string& cart_id);
struct OrderFilter {
  std::optional<std::string> contact_id, status;
  std::optional<int64_t> before_seq;  // cursor: newest first
  int64_t limit = 50;
};
struct OrderPage {
  std::vector<Order> items;
  std::optional<std::string> next_cursor;
};
OrderPage list_orders(Tx& tx, const std::string& tenant, const OrderFilter& f);

// PATCH: {"status":"paid"|"fulfilled"|"cancelled", "payment_ref", "tracking_number",
// "tracking_url", "carrier"}. Allowed moves: pending_payment -> paid (an offline payment), paid -> fulfilled, pending_payment|paid -> cancelled; tracking fields can be set
// on paid or fulfilled orders. Emits order.fulfilled or order.updated.
struct OrderPatch {
  std::optional<std::string> status, tracking_number, tracking_url, carrier, payment_ref;
};
Result<OrderPatch> parse_order_patch(const boost::json::object& o);
Result<Order> update_order(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                           const OrderPatch& patch);
// pending_payment -> paid (idempotent when already paid with the same reference); emits order.paid.
Result<Order> mark_order_paid(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                              const std::string& payment_ref);
// Adds a refund of `amount` minor units: partially_refunded, or refunded once the whole total is
// refunded. Error when the refunds would exceed the total. Emits order.updated.
Result<Order> record_refund(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                            int64_t amount);

// Internal to the commerce module: inserts a new order with its lines.
void insert_order(Tx& tx, Order& o);
// Emits `type` with the order as data. Order events carry the contact in the payload only, so
// they reach agents and merchant webhooks but not the customer's own web chat stream.
void emit_order_event(Tx& tx, pipeline::Env& env, std::string_view type, const Order& o);

}  // namespace bottega::commerce
