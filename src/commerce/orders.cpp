#include "commerce/orders.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "bottega/events.hpp"
#include "core/json.hpp"
#include "core/model.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

#define ORDER_COLUMNS                                                                                        \
  "seq, id, tenant_id, number, cart_id, contact_id, conversation_id, status, currency, totals, total, "       \
  "payment_ref, refunded_amount, tracking_number, tracking_url, carrier, created_at, updated_at, paid_at, " \
  "fulfilled_at"

constexpr Stmt kInsert{
    "orders.insert",
    "INSERT INTO orders(id, tenant_id, number, cart_id, contact_id, conversation_id, status, currency, totals, total, "
    "payment_ref, created_at, updated_at, paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) "
    "RETURNING seq"};
constexpr Stmt kInsertLine{
    "order_lines.insert",
    "INSERT INTO order_lines(tenant_id, order_id, position, variant_id, product_id, sku, title, unit_price, quantity, "
    "subtotal, discount, tax, total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"};
constexpr Stmt kGet{"orders.get", "SELECT " ORDER_COLUMNS " FROM orders WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kOfCart{"orders.of_cart", "SELECT " ORDER_COLUMNS " FROM orders WHERE tenant_id = $1 AND cart_id = $2"};
constexpr Stmt kList{
    "orders.list",
    "SELECT " ORDER_COLUMNS " FROM orders WHERE tenant_id = $1 AND ($2 = '' OR contact_id = $2) "
    "AND ($3 = '' OR status = $3) AND seq < $4 ORDER BY seq DESC LIMIT $5"};
constexpr Stmt kLines{
    "order_lines.of_order",
    "SELECT position, variant_id, product_id, sku, title, unit_price, quantity, subtotal, discount, tax, total "
    "FROM order_lines WHERE tenant_id = $1 AND order_id = $2 ORDER BY position"};
constexpr Stmt kUpdate{
    "orders.update",
    "UPDATE orders SET status = $3, payment_ref = $4, refunded_amount = $5, tracking_number = $6, tracking_url = $7, "
    "carrier = $8, updated_at = $9, paid_at = $10, fulfilled_at = $11 WHERE tenant_id = $1 AND id = $2"};

Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return nullptr;
}
Value opt(const std::optional<int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

Order from_row(const store::Row& r) {
  Order o;
  o.seq = r.i64(0);
  o.id = r.str(1);
  o.tenant_id = r.str(2);
  o.number = r.i64(3);
  o.cart_id = r.str(4);
  o.contact_id = r.str(5);
  o.conversation_id = r.opt_str(6);
  o.status = r.str(7);
  o.currency = r.str(8);
  o.totals_json = r.str(9);
  o.total = r.i64(10);
  o.payment_ref = r.opt_str(11);
  o.refunded_amount = r.i64(12);
  o.tracking_number = r.opt_str(13);
  o.tracking_url = r.opt_str(14);
  o.carrier = r.opt_str(15);
  o.created_at = r.i64(16);
  o.updated_at = r.i64(17);
  o.paid_at = r.opt_i64(18);
  o.fulfilled_at = r.opt_i64(19);
  return o;
}

Order with_lines(Tx& tx, Order o) {
  for (const auto& r : tx.query(kLines, {o.tenant_id, o.id}))
    o.lines.push_back(OrderLine{r.i64(0), r.str(1), r.str(2), r.str(3), r.str(4), r.i64(5), r.i64(6), r.i64(7),
                                r.i64(8), r.i64(9), r.i64(10)});
  return o;
}

void save(Tx& tx, const Order& o) {
  tx.exec(kUpdate, {o.tenant_id, o.id, o.status, opt(o.payment_ref), o.refunded_amount, opt(o.tracking_number),
                    opt(o.tracking_url), opt(o.carrier), o.updated_at, opt(o.paid_at), opt(o.fulfilled_at)});
}

}  // namespace

bj::object to_json(const Order& o) {
  auto s = [](const std::optional<std::string>& v) { return v ? bj::value(*v) : bj::value(nullptr); };
  auto t = [](const std::optional<int64_t>& v) { return v ? bj::value(rfc3339(*v)) : bj::value(nullptr); };
  bj::array lines;
  for (const auto& l : o.lines)
    lines.push_back(bj::object{{"sku", l.sku},          {"variant_id", l.variant_id}, {"product_id", l.product_id},
                               {"title", l.title},      {"unit_price", l.unit_price}, {"quantity", l.quantity},
                               {"subtotal", l.subtotal}, {"discount", l.discount},    {"tax", l.tax},
                               {"total", l.total}});
  boost::system::error_code ec;
  auto totals = bj::parse(o.totals_json, ec);
  if (ec || !totals.is_object()) totals = bj::object{};
  auto& tobj = totals.as_object();
  tobj.erase("lines");  // the order's own lines above
  return bj::object{{"id", o.id},
                    {"number", o.number},
                    {"cart_id", o.cart_id},
                    {"contact_id", o.contact_id},
                    {"conversation_id", s(o.conversation_id)},
                    {"status", o.status},
                    {"currency", o.currency},
                    {"total", o.total},
                    {"refunded_amount", o.refunded_amount},
                    {"totals", std::move(totals)},
                    {"lines", std::move(lines)},
                    {"payment_ref", s(o.payment_ref)},
                    {"fulfillment", bj::object{{"tracking_number", s(o.tracking_number)},
                                               {"tracking_url", s(o.tracking_url)},
                                               {"carrier", s(o.carrier)},
                                               {"fulfilled_at", t(o.fulfilled_at)}}},
                    {"paid_at", t(o.paid_at)},
                    {"created_at", rfc3339(o.created_at)},
                    {"updated_at", rfc3339(o.updated_at)}};
}

void insert_order(Tx& tx, Order& o) {
  o.seq = tx.query_one(kInsert, {o.id, o.tenant_id, o.number, o.cart_id, o.contact_id, opt(o.conversation_id), o.status,
                                 o.currency, o.totals_json, o.total, opt(o.payment_ref), o.created_at, opt(o.paid_at)})
              ->i64(0);
  for (const auto& l : o.lines)
    tx.exec(kInsertLine, {o.tenant_id, o.id, l.position, l.variant_id, l.product_id, l.sku, l.title, l.unit_price,
                          l.quantity, l.subtotal, l.discount, l.tax, l.total});
}

void emit_order_event(Tx& tx, pipeline::Env& env, std::string_view type, const Order& o) {
  pipeline::emit(tx, env, o.tenant_id, type, o.conversation_id.value_or(""), "", false, to_json(o));
}

std::optional<Order> get_order(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGet, {tenant, id});
  if (!r) return std::nullopt;
  return with_lines(tx, from_row(*r));
}

std::optional<Order> order_of_cart(Tx& tx, const std::string& tenant, const std::string& cart_id) {
  auto r = tx.query_one(kOfCart, {tenant, cart_id});
  if (!r) return std::nullopt;
  return with_lines(tx, from_row(*r));
}

OrderPage list_orders(Tx& tx, const std::string& tenant, const OrderFilter& f) {
  OrderPage page;
  int64_t last = 0;
  for (const auto& r : tx.query(kList, {tenant, f.contact_id.value_or(""), f.status.value_or(""),
                                        f.before_seq.value_or(INT64_MAX), f.limit})) {
    page.items.push_back(with_lines(tx, from_row(r)));
    last = r.i64(0);
  }
  if (static_cast<int64_t>(page.items.size()) == f.limit) page.next_cursor = std::to_string(last);
  return page;
}

Result<OrderPatch> parse_order_patch(const bj::object& o) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"status", "tracking_number", "tracking_url", "carrier", "payment_ref"}));
  OrderPatch p;
  BOTTEGA_TRY(status, json::optional_string(o, "status", {}, 32));
  if (status && *status != "paid" && *status != "fulfilled" && *status != "cancelled")
    return Error::invalid("status", "status can be set to paid, fulfilled or cancelled (refunds come from payments)");
  p.status = status;
  BOTTEGA_TRY(ref, json::optional_string(o, "payment_ref", {}, 200));
  if (ref && status != "paid") return Error::invalid("payment_ref", "payment_ref goes with status paid");
  p.payment_ref = ref;
  BOTTEGA_TRY(tn, json::optional_string(o, "tracking_number", {}, 200));
  BOTTEGA_TRY(tu, json::optional_string(o, "tracking_url", {}, 2048));
  BOTTEGA_TRY(carrier, json::optional_string(o, "carrier", {}, 200));
  if (tu && tu->rfind("https://", 0) != 0 && tu->rfind("http://", 0) != 0)
    return Error::invalid("tracking_url", "an absolute http(s) URL");
  p.tracking_number = tn;
  p.tracking_url = tu;
  p.carrier = carrier;
  if (!p.status && !tn && !tu && !carrier) return Error::invalid("status", "nothing to change", "missing_field");
  return p;
}

Result<Order> update_order(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                           const OrderPatch& patch) {
  if (patch.status == "paid") {
    if (patch.tracking_number || patch.tracking_url || patch.carrier)
      return Error::invalid("tracking_number", "mark the order paid first, then fulfil it");
    return mark_order_paid(tx, env, tenant, id, patch.payment_ref.value_or("offline"));
  }
  auto cur = get_order(tx, tenant, id);
  if (!cur) return Error::not_found("order");
  Order o = *cur;
  int64_t now = env.clock.now_ms();
  bool fulfilled = false;
  if (patch.status == "fulfilled" && o.status != "fulfilled") {
    if (o.status != "paid")
      return Error::conflict("invalid_status_transition", "only a paid order can be fulfilled (this one is " + o.status + ")");
    o.status = "fulfilled";
    o.fulfilled_at = now;
    fulfilled = true;
  } else if (patch.status == "cancelled" && o.status != "cancelled") {
    if (o.status != "pending_payment" && o.status != "paid")
      return Error::conflict("invalid_status_transition", "a " + o.status + " order cannot be cancelled");
    o.status = "cancelled";
  }
  bool tracking = patch.tracking_number || patch.tracking_url || patch.carrier;
  if (tracking && o.status != "paid" && o.status != "fulfilled")
    return Error::conflict("invalid_status_transition", "tracking can be set on paid or fulfilled orders only");
  if (patch.tracking_number) o.tracking_number = patch.tracking_number;
  if (patch.tracking_url) o.tracking_url = patch.tracking_url;
  if (patch.carrier) o.carrier = patch.carrier;
  o.updated_at = now;
  save(tx, o);
  emit_order_event(tx, env, fulfilled ? event_type::kOrderFulfilled : event_type::kOrderUpdated, o);
  return o;
}

Result<Order> mark_order_paid(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                              const std::string& payment_ref) {
  auto cur = get_order(tx, tenant, id);
  if (!cur) return Error::not_found("order");
  Order o = *cur;
  if (o.status == "paid" && o.payment_ref == payment_ref) return o;
  if (o.status != "pending_payment")
    return Error::conflict("invalid_status_transition", "a " + o.status + " order cannot be marked paid");
  int64_t now = env.clock.now_ms();
  o.status = "paid";
  o.payment_ref = payment_ref;
  o.paid_at = now;
  o.updated_at = now;
  save(tx, o);
  emit_order_event(tx, env, event_type::kOrderPaid, o);
  return o;
}

Result<Order> record_refund(Tx& tx, pipeline::Env& env, const std::string& tenant, const std::string& id,
                            int64_t amount) {
  auto cur = get_order(tx, tenant, id);
  if (!cur) return Error::not_found("order");
  Order o = *cur;
  if (amount <= 0) return Error::invalid("amount", "a refund is a positive amount in minor units");
  if (o.status != "paid" && o.status != "fulfilled" && o.status != "partially_refunded")
    return Error::conflict("invalid_status_transition", "a " + o.status + " order cannot be refunded");
  if (o.refunded_amount + amount > o.total)
    return Error::invalid("amount", "refunds would exceed the order total", "refund_exceeds_total");
  o.refunded_amount += amount;
  o.status = o.refunded_amount == o.total ? "refunded" : "partially_refunded";
  o.updated_at = env.clock.now_ms();
  save(tx, o);
  emit_order_event(tx, env, event_type::kOrderUpdated, o);
  return o;
}

}  // namespace bottega::commerce
