// Discount codes: percentage (basis points), fixed amount (minor units of one currency) or free
// shipping; a validity window; limits in total and per customer; a minimum subtotal; a scope of
// products and/or collections; batches of single-use unique codes. A refused code always says why
// (Refusal::code). Codes are case-insensitive (stored upper case) and tenant-scoped: another
// tenant's code is unknown_code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/store.hpp"

namespace bottega::commerce {

using store::Tx;

struct Discount {
  std::string id, tenant_id, code;
  std::string kind = "percentage";  // percentage | fixed_amount | free_shipping
  int64_t value = 0;                // basis points (percentage) or minor units (fixed_amount)
  std::optional<std::string> currency;  // fixed_amount and minimum_subtotal are in this currency
  std::optional<int64_t> starts_at, ends_at;  // ms; ends_at exclusive
  std::optional<int64_t> usage_limit, per_customer_limit, minimum_subtotal;
  std::vector<std::string> product_ids, collections;  // both empty: the whole cart
  std::optional<std::string> batch_id;
  int64_t used_count = 0, created_at = 0;
};

// Why a code does not apply. `code` is one of: unknown_code, not_started, expired,
// usage_limit_reached, already_used_by_customer, not_applicable_to_products,
// minimum_not_reached, currency_mismatch.
struct Refusal {
  std::string code, message;
};

// What a discount is checked against.
struct DiscountLine {
  std::string product_id;
  std::vector<std::string> collections;
  int64_t subtotal = 0;  // unit price x quantity
};
struct DiscountContext {
  std::string currency;
  std::vector<DiscountLine> lines;
  int64_t customer_uses = 0;  // orders of this customer that already redeemed the code
  int64_t now = 0;
};

// Whether line i is in the discount's scope.
bool in_scope(const Discount& d, const DiscountLine& line);
// nullopt when the discount applies; otherwise the first refusal in this order: not_started,
// expired, usage_limit_reached, already_used_by_customer, currency_mismatch,
// not_applicable_to_products, minimum_not_reached (on the whole cart's subtotal).
std::optional<Refusal> check_discount(const Discount& d, const DiscountContext& ctx);
// The amount the discount takes off the eligible lines, before tax (0 for free_shipping).
// REQUIRES: check_discount(d, ctx) is nullopt.
int64_t discount_amount(const Discount& d, const DiscountContext& ctx);

// Parses {"code","kind","value"|"percent","currency","starts_at","ends_at","usage_limit",
// "per_customer_limit","minimum_subtotal","product_ids","collections"}; for a batch, "code" is
// replaced by "prefix" and "count". Times are RFC 3339 strings or epoch milliseconds.
Result<Discount> parse_discount(const boost::json::object& o, bool batch);
// The time at `key`: RFC 3339 ("2026-11-22T08:00:00Z", optional fraction, Z or +hh:mm) or epoch
// milliseconds; absent or null -> nullopt. Errors name `key`.
Result<std::optional<int64_t>> time_field(const boost::json::object& o, const char* key);
boost::json::object to_json(const Discount& d);

// Creates a code (upper-cased). Conflict code_taken when it exists.
Result<Discount> create_discount(Tx& tx, IdGenerator& ids, const std::string& tenant, Discount d, int64_t now);
// Creates `count` (1..1000) single-use codes PREFIX-XXXXXXXX sharing d's rules; returns them.
Result<std::vector<Discount>> create_discount_batch(Tx& tx, IdGenerator& ids, const std::string& tenant,
                                                   const Discount& d, const std::string& prefix, int64_t count,
                                                   int64_t now);
std::optional<Discount> find_discount(Tx& tx, const std::string& tenant, const std::string& code);
std::optional<Discount> get_discount(Tx& tx, const std::string& tenant, const std::string& id);
std::vector<Discount> list_discounts(Tx& tx, const std::string& tenant, int64_t after_seq, int64_t limit,
                                     int64_t* last_seq);
int64_t customer_redemptions(Tx& tx, const std::string& tenant, const std::string& discount_id,
                             const std::string& contact_id);
// Records a redemption by an order and counts it against the limits.
void redeem_discount(Tx& tx, const std::string& tenant, const std::string& discount_id,
                     const std::string& order_id, const std::string& contact_id, int64_t now);

// Normalizes a code typed by a customer: trimmed, upper case. Empty or over 64 bytes: nullopt.
std::optional<std::string> normalize_code(const std::string& code);

}  // namespace bottega::commerce
