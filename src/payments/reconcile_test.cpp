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

TEST(Reconcile, EveryAttemptOfAPaymentIsLookedUp) {
  // The customer paid on a first attempt (tr_old) and again on a second (tr_new): Bottega booked
  // one capture; the provider holds two.
  Booked b = paid("pay_1", "tr_new", 500);
  b.refs = {"tr_old", "tr_new"};
  auto d = compare("psp_1", {b}, {theirs("tr_new", "", 500), theirs("tr_old", "", 500)}, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "amount_mismatch");
  EXPECT_NE(d[0].detail.find("EUR 10.00"), std::string::npos) << d[0].detail;
  // Booked as unallocated (the second capture's webhook arrived): they agree.
  b.unallocated = 500;
  EXPECT_TRUE(compare("psp_1", {b}, {theirs("tr_new", "", 500), theirs("tr_old", "", 500)}, false).empty());
}

TEST(Reconcile, RefundsAreComparedOneByOneWhereTheProviderListsThem) {
  Booked b = paid("pay_1", "tr_1", 4200, 1500);
  Refund ok;
  ok.id = "rfd_1";
  ok.amount = 1000;
  ok.status = "succeeded";
  ok.provider_ref = "re_1";
  Refund credit_part;  // 300 of its 800 went back to store credit: the provider refunded 500
  credit_part.id = "rfd_2";
  credit_part.amount = 800;
  credit_part.credit_amount = 300;
  credit_part.status = "succeeded";
  Refund wrong;
  wrong.id = "rfd_3";
  wrong.amount = 200;
  wrong.status = "succeeded";
  Refund to_credit;  // wholly store credit: never at the provider
  to_credit.id = "rfd_4";
  to_credit.amount = 700;
  to_credit.credit_amount = 700;
  to_credit.status = "succeeded";
  b.refunds = {ok, credit_part, wrong, to_credit};
  ProviderRecord r = theirs("tr_1", "pay_1", 4200);
  r.refunds_itemized = true;
  r.refund_items = {{"re_1", "", 1000, true}, {"re_2", "rfd_2", 500, true}, {"re_3", "rfd_3", 250, true},
                    {"re_9", "", 400, true}, {"re_8", "", 100, false}};
  auto d = compare("psp_1", {b}, {r}, false);
  EXPECT_EQ(kinds(d), (std::vector<std::string>{"refund_amount_mismatch:pay_1", "refund_missing_in_ledger:pay_1"}));
  EXPECT_NE(d[1].detail.find("re_9"), std::string::npos) << d[1].detail;
  // A succeeded refund the provider does not have settled.
  r.refund_items = {{"re_1", "", 1000, true}, {"re_2", "rfd_2", 500, true}, {"re_3", "rfd_3", 200, false}};
  EXPECT_EQ(kinds(compare("psp_1", {b}, {r}, false)), (std::vector<std::string>{"refund_missing_at_provider:pay_1"}));
  // A provider whose refunds cannot be read (Adyen): not compared at all.
  ProviderRecord adyen = theirs("PL1", "pay_1", 4200);
  adyen.refunds_known = false;
  EXPECT_TRUE(compare("psp_1", {b}, {adyen}, false).empty());
}

TEST(Reconcile, PayoutsAgainstTheProvidersPayoutRecords) {
  auto payout = [](const std::string& id, int64_t amount, const std::string& status) {
    Payout p;
    p.id = id;
    p.amount = amount;
    p.currency = "EUR";
    p.status = status;
    return p;
  };
  std::vector<Payout> ours{payout("po_1", 500, "succeeded"), payout("po_2", 300, "succeeded"),
                           payout("po_3", 100, "processing"), payout("po_4", 900, "succeeded")};
  std::vector<ProviderPayout> theirs_{{"sbpo_po_1", "po_1", 500, "EUR"}, {"sbpo_po_2", "po_2", 350, "EUR"},
                                      {"sbpo_x", "po_x", 70, "EUR"}};
  auto d = compare_payouts("psp_1", ours, theirs_);
  std::vector<std::string> k;
  for (const auto& x : d) k.push_back(x.kind + ":" + x.ref);
  EXPECT_EQ(k, (std::vector<std::string>{"payout_amount_mismatch:po_2", "payout_missing_at_provider:po_4",
                                         "payout_missing_in_ledger:sbpo_x"}));
  EXPECT_TRUE(compare_payouts("psp_1", {payout("po_1", 500, "succeeded")}, {{"sbpo_po_1", "po_1", 500, "EUR"}}).empty());
}

TEST(Reconcile, AdyenPaymentLinksBecomeRecords) {
  auto done = adyen_link_record("PL1", 200, R"({"id":"PL1","status":"completed","reference":"pay_1","amount":{"value":2599,"currency":"EUR"}})");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->captured, 2599);
  EXPECT_EQ(done->currency, "EUR");
  EXPECT_EQ(done->payment_id, "pay_1");
  EXPECT_FALSE(done->refunds_known);
  EXPECT_EQ(adyen_link_record("PL1", 200, R"({"id":"PL1","status":"active","amount":{"value":2599,"currency":"EUR"}})")->captured, 0);
  EXPECT_FALSE(adyen_link_record("PL1", 404, "{}")->exists);
  EXPECT_FALSE(adyen_link_record("PL1", 503, "{}").ok());
}

}  // namespace
}  // namespace bottega::payments::reconcile
