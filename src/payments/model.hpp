// The payments area's records and their API renderings.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottega::payments {

struct Provider {
  std::string id, tenant_id, type, name;
  std::string settings_json;  // including secrets: never rendered as is
  int64_t created_at = 0;
};

// A payment request: the link, its frozen amount and items, and its state machine:
// created -> sent -> opened -> processing -> paid | failed | expired | cancelled, then
// partially_refunded / refunded. `failed` is an attempt that failed: the customer may try again
// until the link expires.
struct Payment {
  std::string id, tenant_id;
  std::optional<std::string> conversation_id, contact_id;
  std::string provider_id, token, verification_code, status;
  int64_t amount = 0;
  std::string currency;
  std::string items_json = "[]";  // [{"sku","name","quantity","unit_amount"}]
  std::string description;
  std::optional<std::string> cart_id, order_id, created_by, message_id, provider_ref, payment_ref, attempt_id;
  // captured: what the provider captured; credit_applied: what the customer's store credit paid
  // (held from link creation, spent when paid, returned on cancel/expiry). The provider is asked
  // for amount - credit_applied (due_at_provider).
  int64_t captured = 0, refunded = 0, expires_at = 0, credit_applied = 0;
  std::optional<int64_t> opened_at, paid_at;
  int64_t created_at = 0, updated_at = 0;
};

struct Refund {
  std::string id, tenant_id, payment_id;
  int64_t amount = 0;
  int64_t credit_amount = 0;  // the part going back to store credit (the provider refunds amount - credit_amount)
  std::string currency, reason, status;  // pending_approval | processing | succeeded | failed | rejected
  std::string requested_by;
  std::optional<std::string> approved_by, provider_ref, error;
  int64_t created_at = 0, updated_at = 0;
};

struct Payout {
  std::string id, tenant_id, contact_id, provider_id;
  int64_t amount = 0;
  std::string currency, reason, status;  // pending_approval | processing | succeeded | failed | rejected
  std::string requested_by;
  std::optional<std::string> approved_by, provider_ref;
  int64_t created_at = 0, updated_at = 0;
};

// What the provider is asked for: the amount less the store credit applied.
inline int64_t due_at_provider(const Payment& p) { return p.amount - p.credit_applied; }

std::string link_url(std::string_view public_url, std::string_view token);
boost::json::object to_json(const Provider& p, std::string_view public_url);
boost::json::object to_json(const Payment& p, std::string_view public_url);
boost::json::object to_json(const Refund& r);
boost::json::object to_json(const Payout& p);

// Minor-unit exponent of an ISO 4217 currency (2 unless listed: JPY 0, KWD 3, ...).
int currency_exponent(std::string_view currency);
// "EUR 12.90" style amount for messages (the currency code, then the decimal amount).
std::string format_amount(int64_t minor, std::string_view currency);
bool valid_currency(std::string_view c);

}  // namespace bottega::payments
