// The payments area's SQL: every statement the area runs against its own tables. Each function
// takes the transaction and, for tenant data, the tenant; rows of another tenant are never
// returned. Functions throw store::DbError on database failure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bottega/store.hpp"
#include "payments/model.hpp"

namespace bottega::payments::db {

using store::Tx;

void insert_provider(Tx& tx, const Provider& p);
std::optional<Provider> get_provider(Tx& tx, const std::string& tenant, const std::string& id);
std::optional<Provider> find_provider(Tx& tx, const std::string& id);  // webhooks: the id is the entry point
std::optional<Provider> default_provider(Tx& tx, const std::string& tenant);  // the first created
std::vector<Provider> list_providers(Tx& tx, const std::string& tenant);

struct Settings {
  std::optional<int64_t> refund_approval_threshold, payout_approval_threshold;
};
Settings get_settings(Tx& tx, const std::string& tenant);
void put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now);

void insert_payment(Tx& tx, const Payment& p);
void update_payment(Tx& tx, const Payment& p);  // status, refs, amounts, times, message/order ids
std::optional<Payment> get_payment(Tx& tx, const std::string& tenant, const std::string& id);
std::optional<Payment> find_payment_by_token(Tx& tx, const std::string& token);
// The links made from a cart, oldest first.
std::vector<Payment> payments_of_cart(Tx& tx, const std::string& tenant, const std::string& cart_id);
std::optional<Payment> find_payment_by_ref(Tx& tx, const std::string& provider_id, const std::string& provider_ref);
std::optional<Payment> find_payment_by_payment_ref(Tx& tx, const std::string& provider_id, const std::string& payment_ref);
struct PaymentPage {
  std::vector<Payment> items;
  std::optional<std::string> next_cursor;
};
PaymentPage list_payments(Tx& tx, const std::string& tenant, const std::optional<std::string>& cursor, int64_t limit);
std::vector<Payment> list_provider_payments(Tx& tx, const std::string& tenant, const std::string& provider_id);

void insert_refund(Tx& tx, const Refund& r);
void update_refund(Tx& tx, const Refund& r);
std::optional<Refund> get_refund(Tx& tx, const std::string& tenant, const std::string& id);
std::optional<Refund> find_refund_by_ref(Tx& tx, const std::string& tenant, const std::string& provider_ref);
std::vector<Refund> list_refunds(Tx& tx, const std::string& tenant, const std::string& payment_id);

void insert_payout(Tx& tx, const Payout& p);
void update_payout(Tx& tx, const Payout& p);
std::optional<Payout> get_payout(Tx& tx, const std::string& tenant, const std::string& id);
std::vector<Payout> list_provider_payouts(Tx& tx, const std::string& tenant, const std::string& provider_id);
struct PayoutPage {
  std::vector<Payout> items;
  std::optional<std::string> next_cursor;
};
// Newest first; `contact_id` / `status` empty: any.
PayoutPage list_payouts(Tx& tx, const std::string& tenant, const std::optional<std::string>& cursor,
                        const std::string& contact_id, const std::string& status, int64_t limit);

struct AuditEntry {
  std::string tenant_id;
  std::optional<std::string> payment_id;
  std::string subject_id, action, actor;
  std::optional<int64_t> amount;
  std::optional<std::string> currency, reason;
  int64_t created_at = 0;
};
void audit(Tx& tx, const AuditEntry& e);
std::vector<AuditEntry> audit_of(Tx& tx, const std::string& tenant, const std::string& payment_id);

// Records a provider event id; false when it was already recorded.
bool insert_psp_event(Tx& tx, const std::string& provider_id, const std::string& event_id,
                      const std::string& tenant, const std::string& outcome, int64_t now);

// The sandbox provider's own records.
struct SandboxPayment {
  std::string id, tenant_id, provider_id, payment_id;
  int64_t amount = 0;
  std::string currency;
  std::optional<std::string> method;
  std::string status;  // open | processing | succeeded | failed
  int64_t refunded = 0;
  int64_t created_at = 0, updated_at = 0;
};
void insert_sandbox_payment(Tx& tx, const SandboxPayment& s);
void update_sandbox_payment(Tx& tx, const SandboxPayment& s);
std::optional<SandboxPayment> find_sandbox_payment(Tx& tx, const std::string& id);
std::vector<SandboxPayment> list_sandbox_payments(Tx& tx, const std::string& tenant, const std::string& provider_id);
// The sandbox's record of a payout it made (what reconcile compares payouts with).
struct SandboxPayout {
  std::string id, tenant_id, provider_id, payout_id;
  int64_t amount = 0;
  std::string currency;
  int64_t created_at = 0;
};
void insert_sandbox_payout(Tx& tx, const SandboxPayout& s);  // once per payout (ON CONFLICT DO NOTHING)
std::vector<SandboxPayout> list_sandbox_payouts(Tx& tx, const std::string& tenant, const std::string& provider_id);

std::optional<std::string> tenant_name(Tx& tx, const std::string& tenant);
bool contact_exists(Tx& tx, const std::string& tenant, const std::string& contact_id);
struct ProductRow {
  std::string sku, title;
  int64_t price_minor = 0;
  std::string currency;
};
// The catalog variant with this SKU (commerce/catalog), priced in `currency` when the variant has
// a price in it, else in its first currency (alphabetically): the caller refuses a mix.
std::optional<ProductRow> find_product_by_sku(Tx& tx, const std::string& tenant, const std::string& sku,
                                              const std::string& currency = {});

}  // namespace bottega::payments::db
