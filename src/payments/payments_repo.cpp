#include "payments/payments_repo.hpp"

#include "commerce/catalog.hpp"

namespace bottega::payments::db {

using store::Row;
using store::Stmt;
using store::Value;

namespace {

Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
Value opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

constexpr Stmt kInsertProvider{"payments.insert_provider",
                               "INSERT INTO payment_providers (id, tenant_id, type, name, settings, created_at) "
                               "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Stmt kGetProvider{"payments.get_provider",
                            "SELECT id, tenant_id, type, name, settings, created_at FROM payment_providers "
                            "WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kFindProvider{"payments.find_provider",
                             "SELECT id, tenant_id, type, name, settings, created_at FROM payment_providers WHERE id = $1"};
constexpr Stmt kDefaultProvider{"payments.default_provider",
                                "SELECT id, tenant_id, type, name, settings, created_at FROM payment_providers "
                                "WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1"};
constexpr Stmt kListProviders{"payments.list_providers",
                              "SELECT id, tenant_id, type, name, settings, created_at FROM payment_providers "
                              "WHERE tenant_id = $1 ORDER BY created_at, id"};

Provider provider_from(const Row& r) {
  return Provider{r.str(0), r.str(1), r.str(2), r.str(3), r.str(4), r.i64(5)};
}

constexpr Stmt kGetSettings{"payments.get_settings",
                            "SELECT refund_approval_threshold, payout_approval_threshold FROM payment_settings "
                            "WHERE tenant_id = $1"};
constexpr Stmt kPutSettings{
    "payments.put_settings",
    "INSERT INTO payment_settings (tenant_id, refund_approval_threshold, payout_approval_threshold, updated_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET refund_approval_threshold = "
    "excluded.refund_approval_threshold, payout_approval_threshold = excluded.payout_approval_threshold, "
    "updated_at = excluded.updated_at"};

#define PAYMENT_COLS                                                                                          \
  "seq, id, tenant_id, conversation_id, contact_id, provider_id, token, verification_code, status, amount, " \
  "currency, items, description, cart_id, order_id, created_by, message_id, provider_ref, payment_ref, "     \
  "attempt_id, captured, refunded, expires_at, opened_at, paid_at, created_at, updated_at, credit_applied"

constexpr Stmt kInsertPayment{
    "payments.insert_payment",
    "INSERT INTO payments (id, tenant_id, conversation_id, contact_id, provider_id, token, verification_code, status, "
    "amount, currency, items, description, cart_id, order_id, created_by, message_id, provider_ref, payment_ref, "
    "attempt_id, captured, refunded, expires_at, opened_at, paid_at, created_at, updated_at, credit_applied) VALUES ($1, "
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, "
    "$26, $27)"};
constexpr Stmt kUpdatePayment{
    "payments.update_payment",
    "UPDATE payments SET status = $3, order_id = $4, message_id = $5, provider_ref = $6, payment_ref = $7, "
    "attempt_id = $8, captured = $9, refunded = $10, opened_at = $11, paid_at = $12, updated_at = $13, "
    "contact_id = $14, credit_applied = $15 WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kGetPayment{"payments.get_payment", "SELECT " PAYMENT_COLS " FROM payments WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kPaymentByToken{"payments.payment_by_token", "SELECT " PAYMENT_COLS " FROM payments WHERE token = $1"};
constexpr Stmt kPaymentsOfCart{"payments.payments_of_cart",
                               "SELECT " PAYMENT_COLS " FROM payments WHERE tenant_id = $1 AND cart_id = $2 ORDER BY seq"};
constexpr Stmt kPaymentByRef{"payments.payment_by_ref",
                             "SELECT " PAYMENT_COLS " FROM payments WHERE provider_id = $1 AND provider_ref = $2"};
constexpr Stmt kPaymentByPaymentRef{"payments.payment_by_payment_ref",
                                    "SELECT " PAYMENT_COLS " FROM payments WHERE provider_id = $1 AND payment_ref = $2"};
constexpr Stmt kListPayments{"payments.list_payments",
                             "SELECT " PAYMENT_COLS " FROM payments WHERE tenant_id = $1 AND seq < $2 "
                             "ORDER BY seq DESC LIMIT $3"};
constexpr Stmt kListProviderPayments{"payments.list_provider_payments",
                                     "SELECT " PAYMENT_COLS " FROM payments WHERE tenant_id = $1 AND provider_id = $2 "
                                     "ORDER BY seq"};

Payment payment_from(const Row& r) {
  Payment p;
  p.id = r.str(1);
  p.tenant_id = r.str(2);
  p.conversation_id = r.opt_str(3);
  p.contact_id = r.opt_str(4);
  p.provider_id = r.str(5);
  p.token = r.str(6);
  p.verification_code = r.str(7);
  p.status = r.str(8);
  p.amount = r.i64(9);
  p.currency = r.str(10);
  p.items_json = r.str(11);
  p.description = r.str(12);
  p.cart_id = r.opt_str(13);
  p.order_id = r.opt_str(14);
  p.created_by = r.opt_str(15);
  p.message_id = r.opt_str(16);
  p.provider_ref = r.opt_str(17);
  p.payment_ref = r.opt_str(18);
  p.attempt_id = r.opt_str(19);
  p.captured = r.i64(20);
  p.refunded = r.i64(21);
  p.expires_at = r.i64(22);
  p.opened_at = r.opt_i64(23);
  p.paid_at = r.opt_i64(24);
  p.created_at = r.i64(25);
  p.updated_at = r.i64(26);
  p.credit_applied = r.i64(27);
  return p;
}

#define REFUND_COLS                                                                                         \
  "id, tenant_id, payment_id, amount, currency, reason, status, requested_by, approved_by, provider_ref, error, " \
  "created_at, updated_at, credit_amount"
constexpr Stmt kInsertRefund{"payments.insert_refund",
                             "INSERT INTO refunds (" REFUND_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                             "$11, $12, $13, $14)"};
constexpr Stmt kUpdateRefund{"payments.update_refund",
                             "UPDATE refunds SET status = $3, approved_by = $4, provider_ref = $5, error = $6, "
                             "updated_at = $7 WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kGetRefund{"payments.get_refund", "SELECT " REFUND_COLS " FROM refunds WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kRefundByRef{"payments.refund_by_ref",
                            "SELECT " REFUND_COLS " FROM refunds WHERE tenant_id = $1 AND provider_ref = $2"};
constexpr Stmt kListRefunds{"payments.list_refunds",
                            "SELECT " REFUND_COLS " FROM refunds WHERE tenant_id = $1 AND payment_id = $2 ORDER BY seq"};

Refund refund_from(const Row& r) {
  Refund x;
  x.id = r.str(0);
  x.tenant_id = r.str(1);
  x.payment_id = r.str(2);
  x.amount = r.i64(3);
  x.currency = r.str(4);
  x.reason = r.str(5);
  x.status = r.str(6);
  x.requested_by = r.str(7);
  x.approved_by = r.opt_str(8);
  x.provider_ref = r.opt_str(9);
  x.error = r.opt_str(10);
  x.created_at = r.i64(11);
  x.updated_at = r.i64(12);
  x.credit_amount = r.i64(13);
  return x;
}

#define PAYOUT_COLS \
  "id, tenant_id, contact_id, provider_id, amount, currency, reason, status, requested_by, approved_by, provider_ref, created_at, updated_at"
constexpr Stmt kInsertPayout{"payments.insert_payout",
                             "INSERT INTO payouts (" PAYOUT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                             "$11, $12, $13)"};
constexpr Stmt kUpdatePayout{"payments.update_payout",
                             "UPDATE payouts SET status = $3, approved_by = $4, provider_ref = $5, updated_at = $6 "
                             "WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kGetPayout{"payments.get_payout", "SELECT " PAYOUT_COLS " FROM payouts WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kProviderPayouts{"payments.provider_payouts",
                                "SELECT " PAYOUT_COLS " FROM payouts WHERE tenant_id = $1 AND provider_id = $2 ORDER BY seq"};
constexpr Stmt kListPayouts{"payments.list_payouts",
                            "SELECT " PAYOUT_COLS ", seq FROM payouts WHERE tenant_id = $1 AND seq < $2 "
                            "AND ($3 = '' OR contact_id = $3) AND ($4 = '' OR status = $4) ORDER BY seq DESC LIMIT $5"};
constexpr Stmt kInsertSandboxPayout{
    "payments.insert_sandbox_payout",
    "INSERT INTO sandbox_psp_payouts (id, tenant_id, provider_id, payout_id, amount, currency, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (payout_id) DO NOTHING"};
constexpr Stmt kListSandboxPayouts{
    "payments.list_sandbox_payouts",
    "SELECT id, tenant_id, provider_id, payout_id, amount, currency, created_at FROM sandbox_psp_payouts "
    "WHERE tenant_id = $1 AND provider_id = $2 ORDER BY created_at, id"};

Payout payout_from(const Row& r) {
  Payout x;
  x.id = r.str(0);
  x.tenant_id = r.str(1);
  x.contact_id = r.str(2);
  x.provider_id = r.str(3);
  x.amount = r.i64(4);
  x.currency = r.str(5);
  x.reason = r.str(6);
  x.status = r.str(7);
  x.requested_by = r.str(8);
  x.approved_by = r.opt_str(9);
  x.provider_ref = r.opt_str(10);
  x.created_at = r.i64(11);
  x.updated_at = r.i64(12);
  return x;
}

constexpr Stmt kAudit{"payments.audit",
                      "INSERT INTO payment_audit (tenant_id, payment_id, subject_id, action, actor, amount, currency, "
                      "reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};
constexpr Stmt kAuditOf{"payments.audit_of",
                        "SELECT tenant_id, payment_id, subject_id, action, actor, amount, currency, reason, created_at "
                        "FROM payment_audit WHERE tenant_id = $1 AND payment_id = $2 ORDER BY seq"};
constexpr Stmt kInsertPspEvent{"payments.insert_psp_event",
                               "INSERT INTO psp_events (provider_id, event_id, tenant_id, outcome, received_at) "
                               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider_id, event_id) DO NOTHING"};

#define SANDBOX_COLS \
  "id, tenant_id, provider_id, payment_id, amount, currency, method, status, refunded, created_at, updated_at"
constexpr Stmt kInsertSandbox{"payments.insert_sandbox",
                              "INSERT INTO sandbox_psp_payments (" SANDBOX_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
                              "$8, $9, $10, $11)"};
constexpr Stmt kUpdateSandbox{"payments.update_sandbox",
                              "UPDATE sandbox_psp_payments SET method = $2, status = $3, refunded = $4, updated_at = $5 "
                              "WHERE id = $1"};
constexpr Stmt kFindSandbox{"payments.find_sandbox", "SELECT " SANDBOX_COLS " FROM sandbox_psp_payments WHERE id = $1"};
constexpr Stmt kListSandbox{"payments.list_sandbox",
                            "SELECT " SANDBOX_COLS " FROM sandbox_psp_payments WHERE tenant_id = $1 AND provider_id = $2 "
                            "ORDER BY created_at, id"};

SandboxPayment sandbox_from(const Row& r) {
  SandboxPayment s;
  s.id = r.str(0);
  s.tenant_id = r.str(1);
  s.provider_id = r.str(2);
  s.payment_id = r.str(3);
  s.amount = r.i64(4);
  s.currency = r.str(5);
  s.method = r.opt_str(6);
  s.status = r.str(7);
  s.refunded = r.i64(8);
  s.created_at = r.i64(9);
  s.updated_at = r.i64(10);
  return s;
}

constexpr Stmt kTenantName{"payments.tenant_name", "SELECT name FROM tenants WHERE id = $1"};

}  // namespace

void insert_provider(Tx& tx, const Provider& p) {
  tx.exec(kInsertProvider, {p.id, p.tenant_id, p.type, p.name, p.settings_json, p.created_at});
}
std::optional<Provider> get_provider(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetProvider, {tenant, id});
  if (!r) return std::nullopt;
  return provider_from(*r);
}
std::optional<Provider> find_provider(Tx& tx, const std::string& id) {
  auto r = tx.query_one(kFindProvider, {id});
  if (!r) return std::nullopt;
  return provider_from(*r);
}
std::optional<Provider> default_provider(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kDefaultProvider, {tenant});
  if (!r) return std::nullopt;
  return provider_from(*r);
}
std::vector<Provider> list_providers(Tx& tx, const std::string& tenant) {
  std::vector<Provider> out;
  for (const auto& r : tx.query(kListProviders, {tenant})) out.push_back(provider_from(r));
  return out;
}

Settings get_settings(Tx& tx, const std::string& tenant) {
  Settings s;
  if (auto r = tx.query_one(kGetSettings, {tenant})) {
    s.refund_approval_threshold = r->opt_i64(0);
    s.payout_approval_threshold = r->opt_i64(1);
  }
  return s;
}
void put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now) {
  tx.exec(kPutSettings, {tenant, opt(s.refund_approval_threshold), opt(s.payout_approval_threshold), now});
}

void insert_payment(Tx& tx, const Payment& p) {
  tx.exec(kInsertPayment,
          {p.id, p.tenant_id, opt(p.conversation_id), opt(p.contact_id), p.provider_id, p.token, p.verification_code,
           p.status, p.amount, p.currency, p.items_json, p.description, opt(p.cart_id), opt(p.order_id),
           opt(p.created_by), opt(p.message_id), opt(p.provider_ref), opt(p.payment_ref), opt(p.attempt_id),
           p.captured, p.refunded, p.expires_at, opt(p.opened_at), opt(p.paid_at), p.created_at, p.updated_at,
           p.credit_applied});
}
void update_payment(Tx& tx, const Payment& p) {
  tx.exec(kUpdatePayment, {p.tenant_id, p.id, p.status, opt(p.order_id), opt(p.message_id), opt(p.provider_ref),
                           opt(p.payment_ref), opt(p.attempt_id), p.captured, p.refunded, opt(p.opened_at),
                           opt(p.paid_at), p.updated_at, opt(p.contact_id), p.credit_applied});
}
std::optional<Payment> get_payment(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetPayment, {tenant, id});
  if (!r) return std::nullopt;
  return payment_from(*r);
}
std::optional<Payment> find_payment_by_token(Tx& tx, const std::string& token) {
  auto r = tx.query_one(kPaymentByToken, {token});
  if (!r) return std::nullopt;
  return payment_from(*r);
}
std::vector<Payment> payments_of_cart(Tx& tx, const std::string& tenant, const std::string& cart_id) {
  std::vector<Payment> out;
  for (const auto& r : tx.query(kPaymentsOfCart, {tenant, cart_id})) out.push_back(payment_from(r));
  return out;
}
std::optional<Payment> find_payment_by_ref(Tx& tx, const std::string& provider_id, const std::string& ref) {
  auto r = tx.query_one(kPaymentByRef, {provider_id, ref});
  if (!r) return std::nullopt;
  return payment_from(*r);
}
std::optional<Payment> find_payment_by_payment_ref(Tx& tx, const std::string& provider_id, const std::string& ref) {
  auto r = tx.query_one(kPaymentByPaymentRef, {provider_id, ref});
  if (!r) return std::nullopt;
  return payment_from(*r);
}
PaymentPage list_payments(Tx& tx, const std::string& tenant, const std::optional<std::string>& cursor, int64_t limit) {
  int64_t before = cursor ? std::stoll(*cursor) : INT64_MAX;
  PaymentPage page;
  auto rows = tx.query(kListPayments, {tenant, before, limit + 1});
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < limit; ++i) page.items.push_back(payment_from(rows[i]));
  if (static_cast<int64_t>(rows.size()) > limit) page.next_cursor = std::to_string(rows[static_cast<size_t>(limit) - 1].i64(0));
  return page;
}
std::vector<Payment> list_provider_payments(Tx& tx, const std::string& tenant, const std::string& provider_id) {
  std::vector<Payment> out;
  for (const auto& r : tx.query(kListProviderPayments, {tenant, provider_id})) out.push_back(payment_from(r));
  return out;
}

void insert_refund(Tx& tx, const Refund& r) {
  tx.exec(kInsertRefund, {r.id, r.tenant_id, r.payment_id, r.amount, r.currency, r.reason, r.status, r.requested_by,
                          opt(r.approved_by), opt(r.provider_ref), opt(r.error), r.created_at, r.updated_at,
                          r.credit_amount});
}
void update_refund(Tx& tx, const Refund& r) {
  tx.exec(kUpdateRefund, {r.tenant_id, r.id, r.status, opt(r.approved_by), opt(r.provider_ref), opt(r.error), r.updated_at});
}
std::optional<Refund> get_refund(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetRefund, {tenant, id});
  if (!r) return std::nullopt;
  return refund_from(*r);
}
std::optional<Refund> find_refund_by_ref(Tx& tx, const std::string& tenant, const std::string& ref) {
  auto r = tx.query_one(kRefundByRef, {tenant, ref});
  if (!r) return std::nullopt;
  return refund_from(*r);
}
std::vector<Refund> list_refunds(Tx& tx, const std::string& tenant, const std::string& payment_id) {
  std::vector<Refund> out;
  for (const auto& r : tx.query(kListRefunds, {tenant, payment_id})) out.push_back(refund_from(r));
  return out;
}

void insert_payout(Tx& tx, const Payout& p) {
  tx.exec(kInsertPayout, {p.id, p.tenant_id, p.contact_id, p.provider_id, p.amount, p.currency, p.reason, p.status,
                          p.requested_by, opt(p.approved_by), opt(p.provider_ref), p.created_at, p.updated_at});
}
void update_payout(Tx& tx, const Payout& p) {
  tx.exec(kUpdatePayout, {p.tenant_id, p.id, p.status, opt(p.approved_by), opt(p.provider_ref), p.updated_at});
}
std::vector<Payout> list_provider_payouts(Tx& tx, const std::string& tenant, const std::string& provider_id) {
  std::vector<Payout> out;
  for (const auto& r : tx.query(kProviderPayouts, {tenant, provider_id})) out.push_back(payout_from(r));
  return out;
}
PayoutPage list_payouts(Tx& tx, const std::string& tenant, const std::optional<std::string>& cursor,
                        const std::string& contact_id, const std::string& status, int64_t limit) {
  int64_t before = cursor ? std::stoll(*cursor) : INT64_MAX;
  PayoutPage page;
  auto rows = tx.query(kListPayouts, {tenant, before, contact_id, status, limit + 1});
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < limit; ++i) page.items.push_back(payout_from(rows[i]));
  if (static_cast<int64_t>(rows.size()) > limit) page.next_cursor = std::to_string(rows[static_cast<size_t>(limit) - 1].i64(13));
  return page;
}
void insert_sandbox_payout(Tx& tx, const SandboxPayout& s) {
  tx.exec(kInsertSandboxPayout, {s.id, s.tenant_id, s.provider_id, s.payout_id, s.amount, s.currency, s.created_at});
}
std::vector<SandboxPayout> list_sandbox_payouts(Tx& tx, const std::string& tenant, const std::string& provider_id) {
  std::vector<SandboxPayout> out;
  for (const auto& r : tx.query(kListSandboxPayouts, {tenant, provider_id}))
    out.push_back({r.str(0), r.str(1), r.str(2), r.str(3), r.i64(4), r.str(5), r.i64(6)});
  return out;
}
std::optional<Payout> get_payout(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetPayout, {tenant, id});
  if (!r) return std::nullopt;
  return payout_from(*r);
}

void audit(Tx& tx, const AuditEntry& e) {
  tx.exec(kAudit, {e.tenant_id, opt(e.payment_id), e.subject_id, e.action, e.actor, opt(e.amount), opt(e.currency),
                   opt(e.reason), e.created_at});
}
std::vector<AuditEntry> audit_of(Tx& tx, const std::string& tenant, const std::string& payment_id) {
  std::vector<AuditEntry> out;
  for (const auto& r : tx.query(kAuditOf, {tenant, payment_id}))
    out.push_back({r.str(0), r.opt_str(1), r.str(2), r.str(3), r.str(4), r.opt_i64(5), r.opt_str(6), r.opt_str(7), r.i64(8)});
  return out;
}

bool insert_psp_event(Tx& tx, const std::string& provider_id, const std::string& event_id, const std::string& tenant,
                      const std::string& outcome, int64_t now) {
  return tx.exec(kInsertPspEvent, {provider_id, event_id, tenant, outcome, now}) == 1;
}

void insert_sandbox_payment(Tx& tx, const SandboxPayment& s) {
  tx.exec(kInsertSandbox, {s.id, s.tenant_id, s.provider_id, s.payment_id, s.amount, s.currency, opt(s.method), s.status,
                           s.refunded, s.created_at, s.updated_at});
}
void update_sandbox_payment(Tx& tx, const SandboxPayment& s) {
  tx.exec(kUpdateSandbox, {s.id, opt(s.method), s.status, s.refunded, s.updated_at});
}
std::optional<SandboxPayment> find_sandbox_payment(Tx& tx, const std::string& id) {
  auto r = tx.query_one(kFindSandbox, {id});
  if (!r) return std::nullopt;
  return sandbox_from(*r);
}
std::vector<SandboxPayment> list_sandbox_payments(Tx& tx, const std::string& tenant, const std::string& provider_id) {
  std::vector<SandboxPayment> out;
  for (const auto& r : tx.query(kListSandbox, {tenant, provider_id})) out.push_back(sandbox_from(r));
  return out;
}

bool contact_exists(Tx& tx, const std::string& tenant, const std::string& contact_id) {
  static constexpr Stmt kContactExists{"payments.contact_exists", "SELECT 1 FROM contacts WHERE tenant_id = $1 AND id = $2"};
  return tx.query_one(kContactExists, {tenant, contact_id}).has_value();
}

std::optional<std::string> tenant_name(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kTenantName, {tenant});
  if (!r) return std::nullopt;
  return r->str(0);
}
std::optional<ProductRow> find_product_by_sku(Tx& tx, const std::string& tenant, const std::string& sku,
                                              const std::string& currency) {
  auto ref = commerce::find_variant_by_sku(tx, tenant, sku);
  if (!ref || ref->variant.prices.empty()) return std::nullopt;
  auto price = ref->variant.prices.find(currency);
  if (currency.empty() || price == ref->variant.prices.end()) price = ref->variant.prices.begin();
  std::string title = ref->product.text("en").title;
  if (!ref->variant.title.empty()) title += " - " + ref->variant.title;
  return ProductRow{ref->variant.sku, title, price->second, price->first};
}

}  // namespace bottega::payments::db
