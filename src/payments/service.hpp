// Payment operations. Each runs inside one write transaction and commits its state change together
// with its ledger postings, its audit entries, its outbox events, any thread message and any job
// (a provider refund, a sandbox webhook), so none of them can exist without the others.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bottega/psp.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"
#include "payments/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::payments {

// The payments area's outbox events (payloads: the API's payment / refund / payout objects).
namespace event_type {
inline constexpr std::string_view kPaymentCreated = "payment.created";
inline constexpr std::string_view kPaymentUpdated = "payment.updated";  // opened, processing...
inline constexpr std::string_view kPaymentSucceeded = "payment.succeeded";
inline constexpr std::string_view kPaymentFailed = "payment.failed";
inline constexpr std::string_view kPaymentExpired = "payment.expired";
inline constexpr std::string_view kRefundCreated = "refund.created";
inline constexpr std::string_view kRefundApprovalRequired = "refund.approval_required";
inline constexpr std::string_view kRefundSucceeded = "refund.succeeded";
inline constexpr std::string_view kRefundFailed = "refund.failed";
inline constexpr std::string_view kRefundRejected = "refund.rejected";
inline constexpr std::string_view kPayoutCreated = "payout.created";
inline constexpr std::string_view kPayoutSucceeded = "payout.succeeded";
inline constexpr std::string_view kPayoutFailed = "payout.failed";
inline constexpr std::string_view kCreditGranted = "credit.granted";
inline constexpr std::string_view kMessageCreated = bottega::event_type::kMessageCreated;
inline constexpr std::string_view kConversationUpdated = bottega::event_type::kConversationUpdated;
}  // namespace event_type

using pipeline::Env;
using store::Tx;

inline constexpr int64_t kDefaultExpiryS = 24 * 3600;
inline constexpr int64_t kMinExpiryS = 15 * 60;
inline constexpr int64_t kMaxExpiryS = 30 * 24 * 3600;

// Who did it, for the audit log and four-eyes checks: "agent:<id>" or "token:<id>".
std::string actor_of(const Principal& who);

// Validates settings with the provider type's adapter (errors name "settings.<key>"); a sandbox
// without a webhook_secret gets a generated one. Admins only.
Result<Provider> create_provider(Tx& tx, Env& env, const Principal& who, const std::string& type,
                                 const std::string& name, const boost::json::object& settings);

struct LinkItemInput {
  std::string sku;
  int64_t quantity = 1;
};
struct LinkInput {
  std::optional<std::string> conversation_id, cart_id, provider_id, contact_id;
  // Store credit to spend (needs a customer: the conversation's, the cart's or contact_id):
  // apply_credit with no credit_amount takes as much as the customer has, up to the amount.
  bool apply_credit = false;
  std::optional<int64_t> credit_amount;
  std::vector<LinkItemInput> items;
  std::optional<int64_t> amount;
  std::optional<std::string> currency;
  std::optional<int64_t> expires_in_s;
  std::string description;
};
// Creates a payment request with a fresh token (256 random bits) and verification code, freezes its
// amount and items, and, with a conversation, sends the link into it (status "sent"). From a cart
// (cart_id): the cart's priced total and lines, its units reserved until the link expires (409
// insufficient_stock otherwise, nothing created), one open link per cart (409
// cart_has_open_link); once paid, the cart becomes a paid order in the same transaction.
// Store credit (apply_credit): moved from credit:<contact> to credit_held:<payment> in this
// transaction (409 insufficient_credit when the balance cannot cover it, so concurrent checkouts
// never overspend it); the provider is then asked only for the rest. When the credit covers the
// whole amount the link is paid at once ("paid by credit alone": no provider, the order exists).
// A cancelled or expired link gives the held credit back.
Result<Payment> create_link(Tx& tx, Env& env, const Principal& who, const LinkInput& in,
                            const std::string& public_url);

// An agent withdraws a link that is not being paid: created/sent/opened/failed -> cancelled, a
// cart's held units go back to stock. Cancelling a cancelled link returns it; conflicts:
// link_expired, link_processing (an attempt is at the provider), link_used (paid).
Result<Payment> cancel_link(Tx& tx, Env& env, const Principal& who, const std::string& payment_id);

// The customer opened the link: created/sent -> opened; a link past its expiry becomes expired.
// Unknown token: not_found. The link is returned in whatever state it is.
Result<Payment> open_link(Tx& tx, Env& env, const std::string& token);

struct Attempt {
  Payment payment;
  Provider provider;
  std::string attempt_id;
  bool paid_by_credit = false;  // use_credit covered the whole amount: paid, no provider call
};
// The customer pressed "Pay": checks the link can still be paid (conflict "link_used" when paid or
// refunded, "link_expired", "link_cancelled") and assigns a new attempt id (the idempotency key of
// the provider call). use_credit (the checkout page's "use my store credit"): before any attempt
// reached a provider and when the link has no credit applied yet, as much of the customer's credit
// as covers the amount is held now, as at link creation; covering all of it, the link is paid.
Result<Attempt> begin_attempt(Tx& tx, Env& env, const std::string& token, bool use_credit = false);

// The store credit the link's customer could spend on it (its currency; 0 without a customer, when
// credit is already applied, or once an attempt reached a provider).
int64_t credit_offer(Tx& tx, const Payment& p);
// The provider accepted the attempt: the payment is processing under provider_ref.
Result<Payment> record_attempt(Tx& tx, Env& env, const std::string& tenant, const std::string& payment_id,
                               const std::string& attempt_id, const std::string& provider_ref);
// Sandbox: opens the sandbox provider's session for an attempt; returns its id.
Result<std::string> sandbox_open_session(Tx& tx, Env& env, const Attempt& a);

// A customer's choice on the sandbox's hosted page ("card_success", "card_decline", "card_3ds",
// "3ds_approve", "3ds_fail", "bank_redirect", "bank_authorize", "async"). Updates the sandbox's
// records and schedules its signed webhooks. Returns the next step: "done" (back to the shop),
// "3ds" or "bank" (another sandbox page).
struct SandboxStep {
  std::string next;
  std::string token;  // the payment link's token, for the redirect back
};
Result<SandboxStep> sandbox_choose(Tx& tx, Env& env, const std::string& session_id, const std::string& method);

// Applies one verified provider event: deduplicated by (provider, event id); late, repeated and
// out-of-order events change nothing. Returns the outcome: "applied", "duplicate", "stale",
// "ignored", "unknown_payment", "amount_mismatch".
Result<std::string> apply_psp_event(Tx& tx, Env& env, const Provider& provider, const PspEvent& e);

// Refunds. The amount is reserved in the ledger at once (so concurrent requests can never exceed
// captured minus refunded); above the tenant's threshold the refund waits for another admin.
Result<Refund> request_refund(Tx& tx, Env& env, const Principal& who, const std::string& payment_id,
                              int64_t amount, const std::string& reason);
Result<Refund> decide_refund(Tx& tx, Env& env, const Principal& who, const std::string& refund_id,
                             bool approve, const std::string& note);
// The provider's answer for a refund (from the refund job or a webhook).
Status complete_refund(Tx& tx, Env& env, const std::string& tenant, const std::string& refund_id,
                       const RefundOutcome& outcome);

// Store credit and payouts.
Result<int64_t> grant_credit(Tx& tx, Env& env, const Principal& who, const std::string& contact_id,
                             int64_t amount, const std::string& currency, const std::string& reason);
Result<Payout> request_payout(Tx& tx, Env& env, const Principal& who, const std::string& contact_id,
                              const std::optional<std::string>& provider_id, int64_t amount,
                              const std::string& currency, const std::string& reason);
Result<Payout> decide_payout(Tx& tx, Env& env, const Principal& who, const std::string& payout_id, bool approve);
Status complete_payout(Tx& tx, Env& env, const std::string& tenant, const std::string& payout_id, bool ok,
                       const std::string& provider_ref);

// Posts a system message into a conversation (sent to the provider by a channel.send job), with an
// optional link button.
Result<Message> post_thread_message(Tx& tx, Env& env, const std::string& tenant, const std::string& conversation_id,
                                    const std::string& author_kind, const std::optional<std::string>& author_id,
                                    const std::string& kind, const std::string& text,
                                    const boost::json::object& content);

}  // namespace bottega::payments
