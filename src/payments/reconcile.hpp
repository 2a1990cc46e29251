// Reconciliation: the ledger and the payments against the provider's own records. For each
// provider of a shop, every payment that reached the provider is looked up there under every
// provider reference its attempts had (the sandbox's records in the database; Stripe, Mollie and
// Adyen's payment links through their APIs, simulators included) and compared with what Bottega
// booked: captures, each refund (Stripe and Mollie list them one by one; the sandbox keeps a sum;
// Adyen's API cannot read refunds back), payouts (the sandbox's payout records), and the money
// the ledger says is held at the provider. The ledger's invariants are checked too. Every
// difference is listed; nothing is changed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "payments/model.hpp"

namespace bottega::payments::reconcile {

// One refund as the provider lists it.
struct ProviderRefund {
  std::string ref;        // re_..., Stripe's re_...
  std::string refund_id;  // ours (the provider echoes it in metadata)
  int64_t amount = 0;
  bool succeeded = false;  // settled (refunded / succeeded); false: failed or cancelled
};

// What the provider says about one payment (one provider reference).
struct ProviderRecord {
  std::string ref;         // the provider's id (sandbox session, cs_..., tr_..., PL...)
  std::string payment_id;  // ours, when the provider echoes it
  bool exists = true;      // false: the provider does not know `ref`
  int64_t captured = 0;    // what the provider took; 0: not paid
  std::string currency;
  int64_t refunded = 0;    // settled refunds
  bool refunds_known = true;      // false: the provider's API cannot tell (Adyen)
  bool refunds_itemized = false;  // refund_items lists every settled or failed refund
  std::vector<ProviderRefund> refund_items;
};

// Bottega's side of one payment.
struct Booked {
  Payment payment;
  std::vector<std::string> refs;  // every provider reference its attempts had (the audit log)
  std::vector<Refund> refunds;
  // The provider's part of the refunds (a refund's store-credit part never reaches a provider).
  int64_t refunds_succeeded = 0;  // sum of succeeded refunds
  int64_t refunds_in_flight = 0;  // processing / pending approval (reserved in the ledger)
  int64_t sales_balance = 0;      // ledger balance of sales:<id> (credit: negative)
  // Store credit spent on the payment and the refunds' store-credit parts.
  int64_t credit_refunds_succeeded = 0, credit_refunds_in_flight = 0;
  int64_t sales_credit_balance = 0;  // ledger balance of sales_credit:<id>
  int64_t unallocated = 0;        // ledger credit of unallocated:<id>, as a positive amount
};

struct Difference {
  std::string provider_id, payment_id, ref;
  // missing_at_provider, not_captured_at_provider, missing_in_ledger, amount_mismatch,
  // currency_mismatch, refund_mismatch, refund_missing_at_provider, refund_amount_mismatch,
  // refund_missing_in_ledger, payout_missing_at_provider, payout_missing_in_ledger,
  // payout_amount_mismatch, psp_balance_mismatch, ledger_mismatch, ledger_invariant, fetch_failed
  std::string kind;
  std::string detail;
};

// Compares one provider's records with what Bottega booked. `complete`: `theirs` lists every
// payment the provider holds (the sandbox), so a record Bottega does not know is a difference too.
std::vector<Difference> compare(const std::string& provider_id, const std::vector<Booked>& ours,
                                const std::vector<ProviderRecord>& theirs, bool complete);

// A provider's records for the payments Bottega sent there, derived from its API answers.
// Mollie: GET /v2/payments/{id}?embed=refunds. Stripe: the Checkout Session, then its payment
// intent's refunds (GET /v1/refunds?payment_intent=...).
Result<ProviderRecord> mollie_record(const std::string& ref, int status, std::string_view body);
Result<ProviderRecord> stripe_session_record(const std::string& ref, int status, std::string_view body,
                                             std::string* payment_intent);
Result<int64_t> stripe_refunded(int status, std::string_view body);
// GET /v1/refunds?payment_intent=...: every refund with its metadata.refund_id.
Result<std::vector<ProviderRefund>> stripe_refunds(int status, std::string_view body);
// Adyen: GET /v72/paymentLinks/{id}: captured when the link is completed (or paid). Refunds are
// not readable through Adyen's API (refunds_known = false).
Result<ProviderRecord> adyen_link_record(const std::string& ref, int status, std::string_view body);

// A payout as the provider recorded it (the sandbox's payout records).
struct ProviderPayout {
  std::string ref, payout_id;
  int64_t amount = 0;
  std::string currency;
};
// Succeeded payouts against the provider's payout records: payout_missing_at_provider,
// payout_amount_mismatch, payout_missing_in_ledger.
std::vector<Difference> compare_payouts(const std::string& provider_id, const std::vector<Payout>& ours,
                                        const std::vector<ProviderPayout>& theirs);

struct ProviderReport {
  std::string provider_id, type, name;
  int payments_checked = 0, payouts_checked = 0;
  std::optional<std::string> skipped;            // why the provider could not be compared
  std::optional<std::string> refunds_unchecked;  // why refunds could not be compared
  std::vector<Difference> differences;
};

struct Report {
  std::vector<ProviderReport> providers;
  std::vector<Difference> ledger;  // invariant violations (provider-independent)
  size_t difference_count() const;
};

// Synchronous HTTP for the provider lookups.
using Fetch = std::function<Result<HttpResponse>(HttpRequest)>;

// Reads the shop's providers (or only `provider_id`), payments, refunds and ledger, asks each
// provider, and compares. Errors: not_found for an unknown provider id.
Result<Report> run(store::Store& store, const std::string& tenant, const std::optional<std::string>& provider_id,
                   const Fetch& fetch);

boost::json::object to_json(const Report& r);

}  // namespace bottega::payments::reconcile
