// Reconciliation: every kind of difference between what Bottega booked and what the provider
// holds is reported, and agreeing books report nothing.
#include "payments/reconcile.hpp"

#include <gtest/gtest.h>

namespace bottega::payments::reconcile {
namespace {

Booked paid(const std::string& id, const std::string& ref, int64_t amount, int64_t refunded = 0, int64_t in_flight = 0) {
  Booked b;
  b.payment.id = id;
  b.payment.provider_ref = ref;
  b.payment.status = refunded ? "partially_refunded" : "paid";
  b.payment.amount = b.payment.captured = amount;
  b.payment.refunded = refunded;
  b.payment.currency = "EUR";
  b.refunds_succeeded = refunded;
  b.refunds_in_flight = in_flight;
  b.sales_balance = -(amount - refunded - in_flight);
  return b;
}

ProviderRecord theirs(const std::string& ref, const std::string& payment_id, int64_t captured, int64_t refunded = 0) {
  ProviderRecord r;
  r.ref = ref;
  r.payment_id = payment_id;
  r.captured = captured;
  r.currency = "EUR";
  r.refunded = refunded;
  return r;
}

std::vector<std::string> kinds(const std::vector<Difference>& d) {
  std::vector<std::string> out;
  for (const auto& x : d) out.push_back(x.kind + ":" + x.payment_id);
  return out;
}

TEST(Reconcile, AgreeingBooksHaveNoDifferences) {
  Booked open;
  open.payment.id = "pay_open";
  open.payment.status = "sent";
  open.payment.currency = "EUR";
  EXPECT_TRUE(compare("psp_1", {paid("pay_1", "tr_1", 4200, 1200), open}, {theirs("tr_1", "pay_1", 4200, 1200)}, true).empty());
}

TEST(Reconcile, EveryKindOfDifferenceIsListed) {
  Booked wrong_ledger = paid("pay_5", "tr_5", 100);
  wrong_ledger.sales_balance = -50;
  ProviderRecord gone;
  gone.ref = "tr_2";
  gone.exists = false;
  ProviderRecord usd = theirs("tr_7", "pay_7", 100);
  usd.currency = "USD";
  auto d = compare("psp_1",
                   {paid("pay_1", "tr_1", 4200), paid("pay_2", "tr_2", 100), paid("pay_3", "tr_3", 100),
                    paid("pay_4", "tr_4", 100, 50), wrong_ledger, paid("pay_7", "tr_7", 100)},
                   {theirs("tr_1", "pay_1", 4000), gone, theirs("tr_3", "pay_3", 0), theirs("tr_4", "pay_4", 100, 0),
                    theirs("tr_5", "pay_5", 100), usd, theirs("tr_9", "pay_9", 700)},
                   true);
  EXPECT_EQ(kinds(d), (std::vector<std::string>{"amount_mismatch:pay_1", "missing_at_provider:pay_2",
                                                "not_captured_at_provider:pay_3", "refund_mismatch:pay_4",
                                                "ledger_mismatch:pay_5", "currency_mismatch:pay_7",
                                                "missing_in_ledger:pay_9"}));
  EXPECT_NE(d[0].detail.find("EUR 40.00"), std::string::npos) << d[0].detail;
  EXPECT_NE(d[0].detail.find("EUR 42.00"), std::string::npos) << d[0].detail;
  // Only a complete listing (the sandbox's) can show payments Bottega does not have.
  EXPECT_EQ(compare("psp_1", {}, {theirs("tr_9", "pay_9", 700)}, false).size(), 0u);
}

TEST(Reconcile, MoneyTheProviderTookThatBottegaDidNotBook) {
  Booked failed;
  failed.payment.id = "pay_1";
  failed.payment.provider_ref = "tr_1";
  failed.payment.status = "failed";
  failed.payment.currency = "EUR";
  auto d = compare("psp_1", {failed}, {theirs("tr_1", "pay_1", 500)}, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "missing_in_ledger");
  // A second capture booked as unallocated agrees with the provider.
  Booked twice = paid("pay_2", "tr_2", 500);
  twice.unallocated = 500;
  EXPECT_TRUE(compare("psp_1", {twice}, {theirs("tr_2", "pay_2", 500), theirs("tr_2b", "pay_2", 500)}, false).empty());
}

TEST(Reconcile, ProviderAnswersBecomeRecords) {
  auto m = mollie_record("tr_1", 200, R"({"resource":"payment","id":"tr_1","status":"paid","amount":{"value":"42.00","currency":"EUR"},"metadata":{"payment_id":"pay_1"},
    "_embedded":{"refunds":[{"id":"re_1","status":"refunded","amount":{"value":"12.00","currency":"EUR"}},{"id":"re_2","status":"pending","amount":{"value":"1.00","currency":"EUR"}}]}})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->captured, 4200);
  EXPECT_EQ(m->refunded, 1200);
  EXPECT_EQ(m->payment_id, "pay_1");
  EXPECT_FALSE(mollie_record("tr_1", 404, "{}")->exists);
  EXPECT_FALSE(mollie_record("tr_1", 500, "{}").ok());
  std::string pi;
  auto s = stripe_session_record("cs_1", 200, R"({"id":"cs_1","payment_status":"paid","amount_total":2599,"currency":"eur","client_reference_id":"pay_1","payment_intent":"pi_1"})", &pi);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->captured, 2599);
  EXPECT_EQ(s->currency, "EUR");
  EXPECT_EQ(pi, "pi_1");
  EXPECT_EQ(*stripe_refunded(200, R"({"object":"list","data":[{"amount":100,"status":"succeeded"},{"amount":50,"status":"failed"}]})"), 100);
}

}  // namespace
}  // namespace bottega::payments::reconcile
