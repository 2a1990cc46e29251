// The double-entry ledger. Every movement of money is one ledger transaction: postings that sum to
// zero per currency, written in the caller's Tx (so it commits atomically with the state change
// that caused it). Running balances are kept per (tenant, account, currency); accounts that must
// not go negative (a payment's refundable amount, a customer's credit, money held at a PSP,
// reservations) are checked in the same statement that moves them.
//
// Accounts (see docs/payments.md): "psp:<provider_id>" money held at the provider (debit-normal);
// "sales:<payment_id>" what a payment captured and may still refund (credit-normal);
// "refunds_pending:<provider_id>" / "payouts_pending:<provider_id>" reservations while the
// provider works (credit-normal); "credit:<contact_id>" a customer's store credit (credit-normal);
// "credit_held:<payment_id>" store credit set aside for an open payment link (credit-normal);
// "sales_credit:<payment_id>" what a payment took from store credit and may still give back to it
// (credit-normal); "refunds_pending:credit" refunds to store credit awaiting approval (credit-normal);
// "credit_granted" store credit given away (debit-normal, unguarded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/store.hpp"

namespace bottega::payments::ledger {

using store::Tx;

struct Posting {
  std::string account;
  std::string currency;
  int64_t amount = 0;  // positive: debit, negative: credit
};

// Which side an account's balance must stay on, or nullopt for an unguarded account.
enum class Side { debit, credit };
std::optional<Side> guarded_side(const std::string& account);

// Records one transaction. Errors (nothing written): invalid_argument "unbalanced" when the
// postings do not sum to zero per currency, or when a posting is zero / has no account;
// conflict "insufficient_balance" when a guarded account would end on the wrong side.
// Returns the transaction id ("ltx_...").
// REQUIRES: tx is writable.
Result<std::string> post(Tx& tx, IdGenerator& ids, const std::string& tenant, const std::string& kind,
                         const std::string& ref_id, const std::vector<Posting>& postings, int64_t now);

// The balance (sum of postings) of an account; 0 when it has none.
int64_t balance(Tx& tx, const std::string& tenant, const std::string& account,
                const std::string& currency);

// Every invariant the ledger promises, checked from the stored rows: each transaction sums to zero
// per currency, each running balance equals the sum of its postings, no guarded account is on the
// wrong side. Returns one line per violation (empty: all hold). An empty tenant checks all tenants.
std::vector<std::string> check_invariants(Tx& tx, const std::string& tenant);

struct AccountBalance {
  std::string account, currency;
  int64_t balance = 0;
};
std::vector<AccountBalance> balances(Tx& tx, const std::string& tenant);

}  // namespace bottega::payments::ledger
