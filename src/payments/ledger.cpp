#include "payments/ledger.hpp"

#include <map>

namespace bottega::payments::ledger {

namespace {

constexpr store::Stmt kInsertTxn{
    "ledger.insert_transaction",
    "INSERT INTO ledger_transactions (id, tenant_id, kind, ref_id, created_at) VALUES ($1, $2, $3, $4, $5)"};
constexpr store::Stmt kInsertPosting{
    "ledger.insert_posting",
    "INSERT INTO ledger_postings (tenant_id, transaction_id, account, currency, amount, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr store::Stmt kApply{
    "ledger.apply",
    "INSERT INTO ledger_balances (tenant_id, account, currency, balance, updated_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (tenant_id, account, currency) DO UPDATE SET balance = ledger_balances.balance + excluded.balance, "
    "updated_at = excluded.updated_at RETURNING balance"};
constexpr store::Stmt kUndo{
    "ledger.undo",
    "UPDATE ledger_balances SET balance = balance - $4 WHERE tenant_id = $1 AND account = $2 AND currency = $3"};
constexpr store::Stmt kBalance{
    "ledger.balance",
    "SELECT balance FROM ledger_balances WHERE tenant_id = $1 AND account = $2 AND currency = $3"};
constexpr store::Stmt kUnbalanced{
    "ledger.unbalanced",
    "SELECT t.id, p.currency, SUM(p.amount) FROM ledger_transactions t JOIN ledger_postings p "
    "ON p.transaction_id = t.id WHERE ($1 = '' OR t.tenant_id = $1) GROUP BY t.id, p.currency "
    "HAVING SUM(p.amount) <> 0"};
constexpr store::Stmt kEmptyTxns{
    "ledger.empty_transactions",
    "SELECT t.id FROM ledger_transactions t WHERE ($1 = '' OR t.tenant_id = $1) AND NOT EXISTS "
    "(SELECT 1 FROM ledger_postings p WHERE p.transaction_id = t.id)"};
constexpr store::Stmt kSums{
    "ledger.sums",
    "SELECT tenant_id, account, currency, SUM(amount) FROM ledger_postings WHERE ($1 = '' OR tenant_id = $1) "
    "GROUP BY tenant_id, account, currency"};
constexpr store::Stmt kBalances{
    "ledger.balances",
    "SELECT tenant_id, account, currency, balance FROM ledger_balances WHERE ($1 = '' OR tenant_id = $1) "
    "ORDER BY tenant_id, account, currency"};

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

bool wrong_side(Side side, int64_t balance) {
  return side == Side::debit ? balance < 0 : balance > 0;
}

}  // namespace

std::optional<Side> guarded_side(const std::string& account) {
  if (starts_with(account, "psp:")) return Side::debit;
  if (starts_with(account, "sales:") || starts_with(account, "credit:") || starts_with(account, "credit_held:") ||
      starts_with(account, "sales_credit:") ||
      starts_with(account, "refunds_pending:") || starts_with(account, "payouts_pending:"))
    return Side::credit;
  return std::nullopt;
}

Result<std::string> post(Tx& tx, IdGenerator& ids, const std::string& tenant, const std::string& kind,
                         const std::string& ref_id, const std::vector<Posting>& postings, int64_t now) {
  if (postings.size() < 2) return Error::invalid("postings", "a transaction has at least two postings", "unbalanced");
  std::map<std::string, int64_t> per_currency;
  for (const auto& p : postings) {
    if (p.account.empty() || p.currency.size() != 3 || p.amount == 0)
      return Error::invalid("postings", "a posting needs an account, a currency and a non-zero amount", "unbalanced");
    per_currency[p.currency] += p.amount;
  }
  for (const auto& [cur, sum] : per_currency)
    if (sum != 0) return Error::invalid("postings", "postings in " + cur + " do not sum to zero", "unbalanced");

  // Move the balances first; undo what moved if a guarded account ends on the wrong side. The
  // row locks taken by the updates are held to the end of the caller's transaction.
  std::vector<const Posting*> applied;
  for (const auto& p : postings) {
    auto row = tx.query_one(kApply, {tenant, p.account, p.currency, p.amount, now});
    applied.push_back(&p);
    auto side = guarded_side(p.account);
    if (side && row && wrong_side(*side, row->i64(0))) {
      for (const Posting* a : applied) tx.exec(kUndo, {tenant, a->account, a->currency, a->amount});
      return Error::conflict("insufficient_balance", "the balance of " + p.account + " cannot cover this movement");
    }
  }
  std::string id = ids.next("ltx");
  tx.exec(kInsertTxn, {id, tenant, kind, ref_id, now});
  for (const auto& p : postings) tx.exec(kInsertPosting, {tenant, id, p.account, p.currency, p.amount, now});
  return id;
}

int64_t balance(Tx& tx, const std::string& tenant, const std::string& account, const std::string& currency) {
  auto r = tx.query_one(kBalance, {tenant, account, currency});
  return r ? r->i64(0) : 0;
}

std::vector<std::string> check_invariants(Tx& tx, const std::string& tenant) {
  std::vector<std::string> out;
  for (const auto& r : tx.query(kUnbalanced, {tenant}))
    out.push_back("transaction " + r.str(0) + " sums to " + std::to_string(r.i64(2)) + " " + r.str(1));
  for (const auto& r : tx.query(kEmptyTxns, {tenant})) out.push_back("transaction " + r.str(0) + " has no postings");
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> sums;
  for (const auto& r : tx.query(kSums, {tenant})) sums[{r.str(0), r.str(1), r.str(2)}] = r.i64(3);
  for (const auto& r : tx.query(kBalances, {tenant})) {
    std::tuple<std::string, std::string, std::string> k{r.str(0), r.str(1), r.str(2)};
    int64_t b = r.i64(3);
    auto it = sums.find(k);
    int64_t s = it == sums.end() ? 0 : it->second;
    if (it != sums.end()) sums.erase(it);
    if (s != b)
      out.push_back("balance of " + r.str(1) + " " + r.str(2) + " is " + std::to_string(b) + " but its postings sum to " +
                    std::to_string(s));
    auto side = guarded_side(r.str(1));
    if (side && wrong_side(*side, b)) out.push_back("guarded account " + r.str(1) + " " + r.str(2) + " is " + std::to_string(b));
  }
  for (const auto& [k, s] : sums)
    out.push_back("account " + std::get<1>(k) + " has postings but no balance row");
  return out;
}

std::vector<AccountBalance> balances(Tx& tx, const std::string& tenant) {
  std::vector<AccountBalance> out;
  for (const auto& r : tx.query(kBalances, {tenant})) out.push_back({r.str(1), r.str(2), r.i64(3)});
  return out;
}

}  // namespace bottega::payments::ledger
