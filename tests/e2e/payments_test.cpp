// Payments through the real server and the built-in sandbox PSP: a link created in a conversation,
// its checkout page, paying on the sandbox's page, "Paid" in the thread, partial refunds (one
// needing a second admin), concurrent refunds that would together exceed the capture, a paid link
// paid again, tampered tokens, forged and replayed webhooks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>

#include "core/crypto.hpp"
#include "harness.hpp"
#include "sim.hpp"

namespace e2e {
namespace {

constexpr const char* kSecret = "sandbox_whsec_e2e_0123456789";

class Payments : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Bottega Shoes");
    srv.create_agent(shop.id, "owner@shop.example", "correct horse battery", "admin", "Olga");
    srv.start();
    channel = create_webchat_channel(srv, shop.token, "Shop");
    auto v = create_visitor(srv, channel, "Carla");
    auto sent = visitor_send(srv, channel, v.token, "Can I pay for the boots?");
    ASSERT_EQ(sent.status, 201) << sent.describe();
    conversation = str(sent.json(), "conversation_id");
    auto p = srv.post("/api/v1/payment_providers",
                      bj::object{{"type", "sandbox"}, {"name", "Test"},
                                 {"settings", bj::object{{"webhook_secret", kSecret}, {"async_delay_ms", 300}}}},
                      bearer(shop.token));
    ASSERT_EQ(p.status, 201) << p.describe();
    provider = str(p.json(), "id");
    EXPECT_EQ(str(p.json(), "webhook_url"), srv.public_url() + "/webhooks/psp/" + provider);
    EXPECT_EQ(find(p.json(), "settings.webhook_secret"), nullptr) << "secrets are write-only";
  }

  bj::value create_link(int64_t amount, const std::string& key = "") {
    Headers h = bearer(shop.token);
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    auto r = srv.post("/api/v1/payment_links",
                      bj::object{{"conversation_id", conversation}, {"amount", amount}, {"currency", "EUR"}}, h);
    if (r.status != 201) throw std::runtime_error("create link: " + r.describe());
    return r.json();
  }

  static std::string path_of(const std::string& url) { return url.substr(url.find("/pay/")); }

  HttpResponse form(const std::string& path, const std::string& body) const {
    return srv.request("POST", path, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
  }

  bj::value payment(const std::string& id) {
    return srv.get("/api/v1/payment_links/" + id, bearer(shop.token)).json();
  }

  // Pays a link on the sandbox's page with `method`; returns the sandbox session path.
  std::string pay(const bj::value& link, const std::string& method) {
    auto start = form(path_of(str(link, "url")), "lang=en");
    EXPECT_EQ(start.status, 303) << start.describe();
    std::string session = start.header("Location").substr(srv.public_url().size());
    EXPECT_EQ(session.rfind("/sandbox-psp/sbx_", 0), 0u) << session;
    auto page = srv.get(session);
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("Card 4242"), std::string::npos);
    auto done = form(session, "method=" + method);
    if (method == "card_3ds") {
      EXPECT_EQ(done.status, 200);
      EXPECT_NE(done.body.find("Extra authentication"), std::string::npos);
      done = form(session, "method=3ds_approve");
    }
    EXPECT_EQ(done.status, 303) << done.describe();
    EXPECT_EQ(done.header("Location"), path_of(str(link, "url")) + "/return");
    return session;
  }

  bool status_becomes(const std::string& id, const std::string& status) {
    return eventually([&] { return str(payment(id), "status") == status; }, 10s);
  }

  std::vector<std::string> thread_texts() {
    std::vector<std::string> out;
    for (const auto& m : arr(srv.get("/api/v1/conversations/" + conversation + "/messages", bearer(shop.token)).json(), "data"))
      out.push_back(str(m, "text"));
    return out;
  }

  bool thread_has(const std::string& prefix) {
    for (const auto& t : thread_texts())
      if (t.rfind(prefix, 0) == 0) return true;
    return false;
  }

  HttpResponse signed_webhook(const std::string& body, int64_t t, const std::string& secret = kSecret) {
    std::string sig = "t=" + std::to_string(t) + ",v1=" +
                      bottega::crypto::hex(bottega::crypto::hmac_sha256(secret, std::to_string(t) + "." + body));
    return srv.request("POST", "/webhooks/psp/" + provider, body, {{"Sandbox-Signature", sig}});
  }

  BottegaProcess srv;
  Tenant shop;
  std::string channel, conversation, provider;
};

TEST_F(Payments, LinkToCheckoutToPaidInTheThreadToPartialRefund) {
  auto link = create_link(2599, "link-1");
  EXPECT_EQ(str(link, "status"), "sent");
  EXPECT_EQ(num(link, "amount"), 2599);
  std::string id = str(link, "id"), code = str(link, "verification_code"), url = str(link, "url");
  EXPECT_EQ(url.rfind(srv.public_url() + "/pay/", 0), 0u);
  EXPECT_GE(url.size() - (srv.public_url() + "/pay/").size(), 43u) << "a token of at least 128 random bits";
  // The same Idempotency-Key gives the same link.
  EXPECT_EQ(str(create_link(2599, "link-1"), "id"), id);

  // The link is in the thread with its code.
  bool seen = false;
  for (const auto& t : thread_texts()) seen = seen || (t.find(code) != std::string::npos && t.find("EUR 25.99") != std::string::npos);
  EXPECT_TRUE(seen);

  // The checkout page: shop, amount, code; escaped, no script, CSP; in Italian on request.
  auto page = srv.get(path_of(url));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Bottega Shoes"), std::string::npos);
  EXPECT_NE(page.body.find("EUR 25.99"), std::string::npos);
  EXPECT_NE(page.body.find(code), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(srv.get(path_of(url) + "?lang=it").body.find("Paga EUR 25.99"), std::string::npos);
  EXPECT_NE(srv.request("GET", path_of(url), "", {{"Accept-Language", "de-DE,de;q=0.9"}}).body.find("Prüfcode"),
            std::string::npos);
  EXPECT_EQ(str(payment(id), "status"), "opened");

  pay(link, "card_success");
  ASSERT_TRUE(status_becomes(id, "paid")) << dump(payment(id));
  EXPECT_TRUE(eventually([&] { return thread_has("Paid: EUR 25.99"); }, 5s));
  EXPECT_EQ(num(payment(id), "captured"), 2599);

  // A paid link cannot be paid again, and its page says so.
  auto again = form(path_of(url), "lang=en");
  EXPECT_EQ(again.status, 409) << again.describe();
  EXPECT_NE(srv.get(path_of(url)).body.find("Paid"), std::string::npos);

  // Refunds: Idempotency-Key and reason required; a partial refund; more than is left refused.
  auto no_key = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 500}, {"reason", "size"}},
                         bearer(shop.token));
  EXPECT_EQ(no_key.status, 400);
  EXPECT_EQ(no_key.error_field(), "Idempotency-Key");
  auto no_reason = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 500}},
                            bearer(shop.token) + Headers{{"Idempotency-Key", "r0"}});
  EXPECT_EQ(no_reason.status, 400);
  auto refund = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1000}, {"reason", "one boot was scuffed"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "r1"}});
  ASSERT_EQ(refund.status, 201) << refund.describe();
  EXPECT_EQ(str(refund.json(), "status"), "processing");
  ASSERT_TRUE(status_becomes(id, "partially_refunded")) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "refunded"), 1000);
  EXPECT_EQ(num(payment(id), "refundable"), 1599);
  EXPECT_TRUE(eventually([&] { return thread_has("Refunded: EUR 10.00"); }, 5s));
  auto over = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1600}, {"reason", "too much"}},
                       bearer(shop.token) + Headers{{"Idempotency-Key", "r2"}});
  EXPECT_EQ(over.status, 409) << over.describe();
  EXPECT_EQ(over.error_code(), "amount_exceeds_refundable");

  // Every step is in the audit log.
  auto audit = arr(srv.get("/api/v1/payments/" + id + "/audit", bearer(shop.token)).json(), "data");
  std::vector<std::string> actions;
  for (const auto& a : audit) actions.push_back(str(a, "action"));
  for (const char* a : {"payment.created", "payment.attempt", "payment.succeeded", "refund.requested", "refund.succeeded"})
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;

  // The ledger reconciles with the sandbox's own records.
  auto rec = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id, "--provider", provider});
  EXPECT_EQ(rec.exit_code, 0) << rec.out << rec.err;
  EXPECT_NE(rec.out.find("\"payments_checked\":1,\"payouts_checked\":0,\"differences\":[]"), std::string::npos) << rec.out;
}

TEST_F(Payments, StoreCreditSpentAtCheckoutThroughTheSandbox) {
  std::string contact = str(srv.get("/api/v1/conversations/" + conversation, bearer(shop.token)).json(), "contact.id");
  ASSERT_FALSE(contact.empty());
  auto credit = [&] {
    for (const auto& b : arr(srv.get("/api/v1/contacts/" + contact + "/credit", bearer(shop.token)).json(), "data"))
      if (str(b, "currency") == "EUR") return num(b, "balance");
    return int64_t{0};
  };
  auto granted = srv.post("/api/v1/contacts/" + contact + "/credit",
                          bj::object{{"amount", 1000}, {"currency", "EUR"}, {"reason", "late delivery"}}, bearer(shop.token));
  ASSERT_EQ(granted.status, 201) << granted.describe();
  auto link_with = [&](int64_t amount, bj::value apply) {
    return srv.post("/api/v1/payment_links",
                    bj::object{{"conversation_id", conversation}, {"amount", amount}, {"currency", "EUR"}, {"apply_credit", apply}},
                    bearer(shop.token));
  };
  // Bad credit requests: clear errors, nothing held.
  auto bad_type = link_with(2599, "yes");
  EXPECT_EQ(bad_type.status, 400) << bad_type.describe();
  EXPECT_EQ(bad_type.error_field(), "apply_credit");
  auto more_than_amount = link_with(2599, 3000);
  EXPECT_EQ(more_than_amount.status, 400) << more_than_amount.describe();
  EXPECT_EQ(more_than_amount.error_code(), "invalid_credit");
  auto more_than_credit = link_with(2599, 1001);
  EXPECT_EQ(more_than_credit.status, 409) << more_than_credit.describe();
  EXPECT_EQ(more_than_credit.error_code(), "insufficient_credit");
  EXPECT_EQ(credit(), 1000);

  // Part by credit, the rest through the sandbox.
  auto made = link_with(2599, true);
  ASSERT_EQ(made.status, 201) << made.describe();
  bj::value link = made.json();
  std::string id = str(link, "id");
  EXPECT_EQ(num(link, "credit_applied"), 1000);
  EXPECT_EQ(num(link, "due"), 1599);
  EXPECT_EQ(credit(), 0);
  EXPECT_TRUE(thread_has("Payment request from Bottega Shoes: EUR 25.99 (EUR 10.00 paid with your store credit, EUR 15.99 to pay)"));
  auto page = srv.get(path_of(str(link, "url")));
  EXPECT_NE(page.body.find("Paid with your store credit -EUR 10.00"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("Pay EUR 15.99"), std::string::npos);
  auto start = form(path_of(str(link, "url")), "lang=en");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string session = start.header("Location").substr(srv.public_url().size());
  EXPECT_NE(srv.get(session).body.find("EUR 15.99"), std::string::npos) << "the sandbox is asked for the rest only";
  EXPECT_EQ(form(session, "method=card_success").status, 303);
  ASSERT_TRUE(status_becomes(id, "paid")) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "captured"), 1599);
  EXPECT_EQ(num(payment(id), "refundable"), 2599);
  EXPECT_TRUE(eventually([&] { return thread_has("Paid: EUR 25.99 received (EUR 10.00 from store credit)"); }, 5s));

  // Refunds: the card's 15.99 first, the rest back to store credit.
  auto r1 = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 2000}, {"reason", "returned"}},
                     bearer(shop.token) + Headers{{"Idempotency-Key", "cr1"}});
  ASSERT_EQ(r1.status, 201) << r1.describe();
  EXPECT_EQ(num(r1.json(), "credit_amount"), 401);
  ASSERT_TRUE(status_becomes(id, "partially_refunded")) << dump(payment(id));
  EXPECT_EQ(credit(), 401);
  auto r2 = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 599}, {"reason", "returned"}},
                     bearer(shop.token) + Headers{{"Idempotency-Key", "cr2"}});
  ASSERT_EQ(r2.status, 201) << r2.describe();
  EXPECT_EQ(str(r2.json(), "status"), "succeeded") << "store credit only: no provider involved";
  EXPECT_EQ(str(payment(id), "status"), "refunded");
  EXPECT_EQ(credit(), 1000);
  EXPECT_TRUE(eventually([&] { return thread_has("Refunded: EUR 5.99 is back in your store credit."); }, 5s));

  // Paid by credit alone: paid at once, the sandbox never hears of it.
  auto all = link_with(500, true);
  ASSERT_EQ(all.status, 201) << all.describe();
  EXPECT_EQ(str(all.json(), "status"), "paid");
  EXPECT_EQ(num(all.json(), "captured"), 0);
  EXPECT_EQ(credit(), 500);
  EXPECT_TRUE(thread_has("Paid with store credit: EUR 5.00"));
  EXPECT_EQ(form(path_of(str(all.json(), "url")), "lang=en").status, 409);

  // A cancelled link gives its held credit back.
  auto held = link_with(2000, true);
  ASSERT_EQ(held.status, 201) << held.describe();
  EXPECT_EQ(credit(), 0);
  auto cancelled = srv.post("/api/v1/payment_links/" + str(held.json(), "id") + "/cancel", bj::object{}, bearer(shop.token));
  ASSERT_EQ(cancelled.status, 200) << cancelled.describe();
  EXPECT_EQ(credit(), 500);

  // A payout from the remaining credit (money the sandbox holds from another payment).
  auto other = create_link(3000);
  pay(other, "card_success");
  ASSERT_TRUE(status_becomes(str(other, "id"), "paid"));
  auto payout = srv.post("/api/v1/payouts", bj::object{{"contact_id", contact}, {"amount", 200}, {"currency", "EUR"}, {"reason", "cash back"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "po1"}});
  ASSERT_EQ(payout.status, 201) << payout.describe();
  EXPECT_EQ(credit(), 300);
  // The payouts list (the console's Payouts screen): by customer and status; another shop sees none;
  // a bad filter is a clear error.
  auto listed = srv.get("/api/v1/payouts?contact_id=" + contact, bearer(shop.token));
  ASSERT_EQ(listed.status, 200) << listed.describe();
  ASSERT_EQ(arr(listed.json(), "data").size(), 1u) << listed.body;
  EXPECT_EQ(str(arr(listed.json(), "data")[0], "id"), str(payout.json(), "id"));
  EXPECT_EQ(num(arr(listed.json(), "data")[0], "amount"), 200);
  EXPECT_EQ(arr(srv.get("/api/v1/payouts?contact_id=ct_nobody", bearer(shop.token)).json(), "data").size(), 0u);
  EXPECT_EQ(arr(srv.get("/api/v1/payouts?status=rejected", bearer(shop.token)).json(), "data").size(), 0u);
  auto other_shop = srv.create_tenant("Other shop");
  EXPECT_EQ(arr(srv.get("/api/v1/payouts", bearer(other_shop.token)).json(), "data").size(), 0u);
  auto bad_status = srv.get("/api/v1/payouts?status=lost", bearer(shop.token));
  EXPECT_EQ(bad_status.status, 400) << bad_status.describe();
  EXPECT_EQ(bad_status.error_field(), "status");

  // The customer uses the rest of their credit on the checkout page of a link made without it.
  auto plain = create_link(1000);
  auto offer = srv.get(path_of(str(plain, "url")));
  EXPECT_NE(offer.body.find("Use my store credit (EUR 3.00)"), std::string::npos) << offer.body;
  auto go = form(path_of(str(plain, "url")), "lang=en&use_credit=1");
  ASSERT_EQ(go.status, 303) << go.describe();
  std::string sbx = go.header("Location").substr(srv.public_url().size());
  EXPECT_NE(srv.get(sbx).body.find("EUR 7.00"), std::string::npos) << "the sandbox is asked for the rest only";
  EXPECT_EQ(credit(), 0);
  EXPECT_EQ(form(sbx, "method=card_success").status, 303);
  ASSERT_TRUE(status_becomes(str(plain, "id"), "paid"));
  EXPECT_EQ(num(payment(str(plain, "id")), "credit_applied"), 300);
  EXPECT_EQ(num(payment(str(plain, "id")), "captured"), 700);

  // The ledger still reconciles with the sandbox's records: captures, refunds, the payout, and the
  // money the ledger says the sandbox holds (1599 - 1599 + 3000 - 200 + 700).
  std::string rec_out;
  ASSERT_TRUE(eventually([&] {
    auto rec = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id, "--provider", provider});
    rec_out = rec.out + rec.err;
    return rec.exit_code == 0 && rec.out.find("\"payouts_checked\":1") != std::string::npos;
  }, 10s)) << rec_out;
  EXPECT_NE(rec_out.find("\"payments_checked\":3"), std::string::npos) << rec_out;
}

TEST_F(Payments, ThreeDSecureBankRedirectAndDelayedConfirmation) {
  auto a = create_link(1000);
  pay(a, "card_3ds");
  EXPECT_TRUE(status_becomes(str(a, "id"), "paid"));

  auto b = create_link(2000);
  auto start = form(path_of(str(b, "url")), "");
  std::string session = start.header("Location").substr(srv.public_url().size());
  auto bank = form(session, "method=bank_redirect");
  EXPECT_NE(bank.body.find("Sandbox Bank"), std::string::npos);
  EXPECT_EQ(form(session, "method=bank_authorize").status, 303);
  EXPECT_TRUE(status_becomes(str(b, "id"), "paid"));

  auto c = create_link(3000);
  pay(c, "async");
  EXPECT_TRUE(status_becomes(str(c, "id"), "processing"));
  auto ret = srv.get(path_of(str(c, "url")) + "/return");
  EXPECT_NE(ret.body.find("http-equiv=\"refresh\""), std::string::npos) << "the return page refreshes itself";
  EXPECT_TRUE(status_becomes(str(c, "id"), "paid"));

  auto d = create_link(4000);
  pay(d, "card_decline");
  EXPECT_TRUE(status_becomes(str(d, "id"), "failed"));
  // A declined attempt can be retried on the same link.
  auto retry = srv.get(path_of(str(d, "url")));
  EXPECT_NE(retry.body.find("did not go through"), std::string::npos);
  pay(d, "card_success");
  EXPECT_TRUE(status_becomes(str(d, "id"), "paid"));
}

TEST_F(Payments, ConcurrentRefundsNeverExceedTheCapture) {
  auto link = create_link(2599);
  std::string id = str(link, "id");
  pay(link, "card_success");
  ASSERT_TRUE(status_becomes(id, "paid"));
  std::atomic<int> created{0}, refused{0}, other{0};
  {
    Threads threads;
    for (int i = 0; i < 12; ++i)
      threads.spawn([&, i] {
        auto r = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1000}, {"reason", "parallel"}},
                          bearer(shop.token) + Headers{{"Idempotency-Key", "par-" + std::to_string(i)}});
        if (r.status == 201) ++created;
        else if (r.status == 409) ++refused;
        else ++other;
      });
  }
  EXPECT_EQ(created.load(), 2);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(other.load(), 0);
  EXPECT_TRUE(eventually([&] { return num(payment(id), "refunded") == 2000; }, 10s)) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "refundable"), 599);
}

TEST_F(Payments, RefundsAboveTheThresholdNeedASecondAdmin) {
  auto s = srv.request("PUT", "/api/v1/payment_settings", R"({"refund_approval_threshold":500})", bearer(shop.token));
  ASSERT_EQ(s.status, 200) << s.describe();
  auto link = create_link(2000);
  std::string id = str(link, "id");
  pay(link, "card_success");
  ASSERT_TRUE(status_becomes(id, "paid"));
  auto r = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 800}, {"reason", "damaged"}},
                    bearer(shop.token) + Headers{{"Idempotency-Key", "big"}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(str(r.json(), "status"), "pending_approval");
  std::string refund = str(r.json(), "id");
  // The requester cannot approve their own refund.
  auto self = srv.request("POST", "/api/v1/refunds/" + refund + "/approve", "", bearer(shop.token));
  EXPECT_EQ(self.status, 403);
  EXPECT_EQ(self.error_code(), "four_eyes");
  // Another admin can.
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "owner@shop.example"}, {"password", "correct horse battery"}});
  ASSERT_EQ(login.status, 200);
  std::string cookie = login.header("Set-Cookie").substr(0, login.header("Set-Cookie").find(';'));
  auto ok = srv.request("POST", "/api/v1/refunds/" + refund + "/approve", "",
                        {{"Cookie", cookie}, {"X-CSRF-Token", str(login.json(), "csrf_token")}});
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_TRUE(eventually([&] { return num(payment(id), "refunded") == 800; }, 10s));
}

TEST_F(Payments, BadTokensAndForgedOrReplayedWebhooksChangeNothing) {
  auto link = create_link(1500);
  std::string id = str(link, "id"), url = str(link, "url");
  // Tampered and unknown tokens: a clear page, nothing changes.
  std::string tampered = path_of(url);
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  auto bad = srv.get(tampered);
  EXPECT_EQ(bad.status, 404);
  EXPECT_NE(bad.body.find("not valid"), std::string::npos);
  EXPECT_EQ(form(tampered, "").status, 404);
  EXPECT_EQ(str(payment(id), "status"), "sent");

  // Forged, unsigned, too old: 401, counted.
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string body = R"({"id":"sbe_forged","type":"payment.succeeded","created":1,"data":{"session":"sbx_x","reference":")" + id +
                     R"(","amount":1500,"currency":"EUR"}})";
  EXPECT_EQ(signed_webhook(body, now, "another_secret_0123456789").status, 401);
  EXPECT_EQ(srv.request("POST", "/webhooks/psp/" + provider, body).status, 401);
  EXPECT_EQ(signed_webhook(body, now - 400).status, 401);
  EXPECT_EQ(str(payment(id), "status"), "sent");
  auto metrics = srv.get("/metrics").body;
  EXPECT_NE(metrics.find("bottega_psp_webhooks_rejected_total{provider=\"sandbox\",reason=\"signature_mismatch\"}"), std::string::npos);
  EXPECT_NE(metrics.find("reason=\"signature_too_old\""), std::string::npos);
  EXPECT_NE(metrics.find("reason=\"signature_missing\""), std::string::npos);

  // Pay for real, then replay the same (validly signed) event and deliver a late failure: no change.
  pay(link, "card_success");
  ASSERT_TRUE(status_becomes(id, "paid"));
  auto late = signed_webhook(R"({"id":"sbe_late","type":"payment.failed","created":1,"data":{"reference":")" + id +
                             R"(","session":"sbx_other","amount":1500,"currency":"EUR"}})", now);
  EXPECT_EQ(late.status, 200) << late.describe();
  auto twice = signed_webhook(R"({"id":"sbe_late","type":"payment.failed","created":1,"data":{"reference":")" + id +
                              R"(","session":"sbx_other","amount":1500,"currency":"EUR"}})", now);
  EXPECT_EQ(num(twice.json(), "duplicates"), 1);
  EXPECT_EQ(str(payment(id), "status"), "paid");
  int paid_messages = 0;
  for (const auto& t : thread_texts()) paid_messages += t.rfind("Paid:", 0) == 0;
  EXPECT_EQ(paid_messages, 1);

  // Another tenant cannot see the payment.
  auto other = srv.create_tenant("Other shop");
  EXPECT_EQ(srv.get("/api/v1/payment_links/" + id, bearer(other.token)).status, 404);
  EXPECT_EQ(srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1}, {"reason", "x"}},
                     bearer(other.token) + Headers{{"Idempotency-Key", "o"}}).status, 404);
}

TEST_F(Payments, BadLinkRequestsAreClearErrors) {
  auto post = [&](const bj::object& body) { return srv.post("/api/v1/payment_links", body, bearer(shop.token)); };
  EXPECT_EQ(post(bj::object{{"conversation_id", conversation}, {"amount", 100}}).error_field(), "currency");
  EXPECT_EQ(post(bj::object{{"conversation_id", conversation}, {"amount", -5}, {"currency", "EUR"}}).error_field(), "amount");
  EXPECT_EQ(post(bj::object{{"conversation_id", conversation}, {"amount", 100}, {"currency", "euro"}}).error_field(), "currency");
  EXPECT_EQ(post(bj::object{{"amount", 100}, {"currency", "EUR"}, {"expires_in", 60}}).error_field(), "expires_in");
  EXPECT_EQ(post(bj::object{{"amount", 100}, {"currency", "EUR"}, {"colour", "red"}}).error_field(), "colour");
  EXPECT_EQ(post(bj::object{{"conversation_id", "cnv_nope"}, {"amount", 100}, {"currency", "EUR"}}).error_field(),
            "conversation_id");
  auto ok = post(bj::object{{"amount", 100}, {"currency", "EUR"}, {"expires_in", 900}});
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(str(ok.json(), "status"), "created");
}


TEST_F(Payments, StripeThroughTheSimulatorLinkToPaidToPartialRefund) {
  Sim sim;
  auto p = srv.post("/api/v1/payment_providers",
                    bj::object{{"type", "stripe"}, {"name", "Stripe"},
                               {"settings", bj::object{{"secret_key", "sk_test_e2e"}, {"webhook_secret", "whsec_e2e"},
                                                       {"api_base_url", sim.url() + "/stripe"}}}},
                    bearer(shop.token));
  ASSERT_EQ(p.status, 201) << p.describe();
  std::string stripe = str(p.json(), "id");
  auto r = srv.post("/api/v1/payment_links",
                    bj::object{{"conversation_id", conversation}, {"amount", 4200}, {"currency", "EUR"}, {"provider_id", stripe}},
                    bearer(shop.token));
  ASSERT_EQ(r.status, 201) << r.describe();
  auto link = r.json();
  std::string id = str(link, "id");
  auto start = form(path_of(str(link, "url")), "lang=it");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string location = start.header("Location");
  ASSERT_EQ(location.rfind(sim.url() + "/stripe/checkout/cs_test_", 0), 0u) << location;
  std::string session = location.substr(location.rfind('/') + 1);
  EXPECT_EQ(str(payment(id), "status"), "processing");

  auto paid = sim.post("/__sim/stripe/pay", bj::object{{"session", session},
                                                       {"webhook_url", srv.public_url() + "/webhooks/psp/" + stripe},
                                                       {"webhook_secret", "whsec_e2e"}});
  ASSERT_EQ(paid.status, 200) << paid.describe();
  EXPECT_EQ(num(paid.json(), "delivery.status"), 200) << paid.body;
  EXPECT_EQ(str(payment(id), "status"), "paid");
  EXPECT_TRUE(eventually([&] { return thread_has("Paid: EUR 42.00"); }, 5s));

  // The same delivery again (Stripe retries): a duplicate, nothing changes.
  std::string body = str(paid.json(), "sent.body");
  auto again = srv.request("POST", "/webhooks/psp/" + stripe, body,
                           {{"Stripe-Signature", str(paid.json(), "sent.headers.stripe-signature")}});
  EXPECT_EQ(again.status, 200) << again.describe();
  EXPECT_EQ(num(again.json(), "duplicates"), 1);
  // A forged one is refused.
  auto forged = srv.request("POST", "/webhooks/psp/" + stripe, body, {{"Stripe-Signature", "t=1,v1=00"}});
  EXPECT_EQ(forged.status, 401);

  auto refund = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1200}, {"reason", "late delivery"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "s1"}});
  ASSERT_EQ(refund.status, 201) << refund.describe();
  ASSERT_TRUE(status_becomes(id, "partially_refunded")) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "refunded"), 1200);
  EXPECT_TRUE(eventually([&] { return thread_has("Refunded: EUR 12.00"); }, 5s));
  auto records = http_request(sim.port(), "GET", "/__sim/stripe/records");
  auto refunds = arr(records.json(), "refunds");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(num(refunds[0], "amount"), 1200);

  // The ledger agrees with Stripe's records (session and refunds), and with the sandbox's.
  auto rec = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id});
  EXPECT_EQ(rec.exit_code, 0) << rec.out << rec.err;
  EXPECT_NE(rec.out.find("\"type\":\"stripe\",\"name\":\"Stripe\",\"payments_checked\":1"), std::string::npos) << rec.out;
  EXPECT_EQ(srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id, "--provider", "psp_nope"}).exit_code, 1);
}

TEST_F(Payments, MollieThroughTheSimulatorWebhookThenFetchToPaidToPartialRefund) {
  Sim sim;
  auto p = srv.post("/api/v1/payment_providers",
                    bj::object{{"type", "mollie"}, {"name", "Mollie"},
                               {"settings", bj::object{{"api_key", "test_e2eMollieKey"}, {"api_base_url", sim.url() + "/mollie"}}}},
                    bearer(shop.token));
  ASSERT_EQ(p.status, 201) << p.describe();
  EXPECT_EQ(find(p.json(), "settings.api_key"), nullptr) << "secrets are write-only";
  std::string mollie = str(p.json(), "id");
  std::string hook = "/webhooks/psp/" + mollie;
  auto notify = [&](const std::string& body) {
    return srv.request("POST", hook, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
  };
  auto r = srv.post("/api/v1/payment_links",
                    bj::object{{"conversation_id", conversation}, {"amount", 4200}, {"currency", "EUR"}, {"provider_id", mollie}},
                    bearer(shop.token));
  ASSERT_EQ(r.status, 201) << r.describe();
  auto link = r.json();
  std::string id = str(link, "id");
  auto start = form(path_of(str(link, "url")), "lang=nl");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string location = start.header("Location");
  ASSERT_EQ(location.rfind(sim.url() + "/mollie/checkout/tr_", 0), 0u) << location;
  std::string tr = location.substr(location.rfind('/') + 1);
  EXPECT_EQ(str(payment(id), "status"), "processing");
  auto records = http_request(sim.port(), "GET", "/__sim/mollie/records").json();
  auto created = arr(records, "payments");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(str(created[0], "amount.value"), "42.00");
  EXPECT_EQ(str(created[0], "amount.currency"), "EUR");
  EXPECT_EQ(str(created[0], "locale"), "nl_NL");
  EXPECT_EQ(str(created[0], "webhookUrl"), srv.public_url() + hook);

  // The body is never trusted: a notification while the payment is still open at Mollie, even one
  // claiming "paid", changes nothing; an id Mollie does not know gets 200 and changes nothing; a
  // body that is not a payment id is refused.
  auto early = notify("id=" + tr + "&status=paid");
  EXPECT_EQ(early.status, 200) << early.describe();
  EXPECT_EQ(str(payment(id), "status"), "processing");
  EXPECT_EQ(notify("id=tr_NoSuchPayment1").status, 200);
  EXPECT_EQ(notify("id=tr_..%2Fv2%2Frefunds").status, 401);
  EXPECT_EQ(notify("").status, 401);
  EXPECT_EQ(str(payment(id), "status"), "processing");

  auto paid = sim.post("/__sim/mollie/pay", bj::object{{"payment", tr}, {"outcome", "paid"}});
  ASSERT_EQ(paid.status, 200) << paid.describe();
  EXPECT_EQ(num(paid.json(), "delivery.status"), 200) << paid.body;
  EXPECT_EQ(str(paid.json(), "sent.body"), "id=" + tr);
  EXPECT_EQ(str(payment(id), "status"), "paid");
  EXPECT_EQ(num(payment(id), "captured"), 4200);
  EXPECT_TRUE(eventually([&] { return thread_has("Paid: EUR 42.00"); }, 5s));

  // Mollie retries the same notification: a duplicate, nothing changes.
  auto again = sim.post("/__sim/mollie/notify", bj::object{{"payment", tr}});
  ASSERT_EQ(num(again.json(), "delivery.status"), 200) << again.body;
  auto summary = bj::parse(str(again.json(), "delivery.body"));
  EXPECT_EQ(num(summary, "duplicates"), 1) << again.body;
  EXPECT_EQ(num(summary, "applied"), 0);
  EXPECT_EQ(num(payment(id), "captured"), 4200);

  auto refund = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1200}, {"reason", "late delivery"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "m1"}});
  ASSERT_EQ(refund.status, 201) << refund.describe();
  std::string refund_id = str(refund.json(), "id");
  // Mollie answers "pending"; the refund settles at the simulator, which notifies with the payment
  // id; Bottega fetches the payment with its refunds embedded and settles ours.
  ASSERT_TRUE(status_becomes(id, "partially_refunded")) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "refunded"), 1200);
  EXPECT_TRUE(eventually([&] { return thread_has("Refunded: EUR 12.00"); }, 5s));
  records = http_request(sim.port(), "GET", "/__sim/mollie/records").json();
  auto refunds = arr(records, "refunds");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(str(refunds[0], "amount.value"), "12.00");
  EXPECT_EQ(str(refunds[0], "metadata.refund_id"), refund_id);
  EXPECT_EQ(str(refunds[0], "status"), "refunded");
  // The refund's notification again: nothing changes.
  auto replay = notify("id=" + tr);
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(num(replay.json(), "applied"), 0) << replay.body;
  EXPECT_EQ(num(payment(id), "refunded"), 1200);

  // Zero-decimal currencies go out exact: JPY 1500 is "1500".
  auto jpy = srv.post("/api/v1/payment_links",
                      bj::object{{"conversation_id", conversation}, {"amount", 1500}, {"currency", "JPY"}, {"provider_id", mollie}},
                      bearer(shop.token));
  ASSERT_EQ(jpy.status, 201) << jpy.describe();
  ASSERT_EQ(form(path_of(str(jpy.json(), "url")), "lang=en").status, 303);
  records = http_request(sim.port(), "GET", "/__sim/mollie/records").json();
  EXPECT_EQ(str(arr(records, "payments").back(), "amount.value"), "1500");

  // `bottega reconcile`: the books agree with Mollie...
  auto rec = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id, "--provider", mollie});
  ASSERT_EQ(rec.exit_code, 0) << rec.out << rec.err;
  auto report = bj::parse(rec.out);
  EXPECT_EQ(num(report, "differences"), 0);
  EXPECT_EQ(num(report.at("providers").at(0), "payments_checked"), 2) << rec.out;
  // ...until money moves at Mollie that Bottega did not ask for (a refund made in Mollie's
  // dashboard): Bottega ignores the unknown refund, and reconcile lists that refund.
  auto outside = http_request(sim.port(), "POST", "/mollie/v2/payments/" + tr + "/refunds",
                              R"({"amount":{"currency":"EUR","value":"5.00"}})",
                              {{"Authorization", "Bearer test_e2eMollieKey"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(outside.status, 201) << outside.describe();
  ASSERT_TRUE(eventually([&] {
    auto recs = arr(http_request(sim.port(), "GET", "/__sim/mollie/records").json(), "deliveries");
    return recs.size() >= 4;
  }, 5s));
  EXPECT_EQ(num(payment(id), "refunded"), 1200);
  rec = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id});
  EXPECT_EQ(rec.exit_code, 1) << rec.out << rec.err;
  report = bj::parse(rec.out);
  EXPECT_EQ(num(report, "differences"), 1) << rec.out;
  bool listed = false;
  for (const auto& prov : arr(report, "providers"))
    for (const auto& d : arr(prov, "differences"))
      listed = listed || (str(d, "kind") == "refund_missing_in_ledger" && str(d, "payment_id") == id &&
                          str(d, "detail").find("EUR 5.00") != std::string::npos);
  EXPECT_TRUE(listed) << rec.out;
}

TEST_F(Payments, AdyenPayByLinkThroughTheSimulatorSignedNotificationsToPartialRefund) {
  Sim sim;
  const std::string key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
  auto p = srv.post("/api/v1/payment_providers",
                    bj::object{{"type", "adyen"}, {"name", "Adyen"},
                               {"settings", bj::object{{"api_key", "AQE_e2e"}, {"merchant_account", "BottegaShoesECOM"},
                                                       {"hmac_key", key}, {"api_base_url", sim.url() + "/adyen"}}}},
                    bearer(shop.token));
  ASSERT_EQ(p.status, 201) << p.describe();
  EXPECT_EQ(find(p.json(), "settings.hmac_key"), nullptr) << "secrets are write-only";
  std::string adyen = str(p.json(), "id");
  std::string hook = "/webhooks/psp/" + adyen;
  ASSERT_EQ(sim.post("/__sim/adyen/webhook", bj::object{{"merchant_account", "BottegaShoesECOM"},
                                                          {"url", srv.public_url() + hook}, {"hmac_key", key}}).status, 200);
  auto r = srv.post("/api/v1/payment_links",
                    bj::object{{"conversation_id", conversation}, {"amount", 4200}, {"currency", "EUR"}, {"provider_id", adyen}},
                    bearer(shop.token));
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string id = str(r.json(), "id");
  auto start = form(path_of(str(r.json(), "url")), "lang=de");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string location = start.header("Location");
  ASSERT_EQ(location.rfind(sim.url() + "/adyen/link/PL", 0), 0u) << location;
  std::string link_id = location.substr(location.rfind('/') + 1);
  auto links = arr(http_request(sim.port(), "GET", "/__sim/adyen/records").json(), "links");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(num(links[0], "amount.value"), 4200);
  EXPECT_EQ(str(links[0], "reference"), id);
  EXPECT_EQ(str(links[0], "shopperLocale"), "de-DE");

  auto paid = sim.post("/__sim/adyen/pay", bj::object{{"link", link_id}});
  ASSERT_EQ(paid.status, 200) << paid.describe();
  EXPECT_EQ(num(paid.json(), "delivery.status"), 200) << paid.body;
  EXPECT_EQ(str(paid.json(), "delivery.body"), "[accepted]");
  EXPECT_EQ(str(payment(id), "status"), "paid");
  EXPECT_TRUE(eventually([&] { return thread_has("Paid: EUR 42.00"); }, 5s));

  // Adyen delivers the same notification again: "[accepted]", nothing changes.
  std::string body = str(paid.json(), "sent.body");
  auto again = srv.request("POST", hook, body, {{"Content-Type", "application/json"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "[accepted]");
  EXPECT_EQ(num(payment(id), "captured"), 4200);
  // The same notification with another amount (signature now wrong), or unsigned: 401, nothing changes.
  std::string forged = body;
  forged.replace(forged.find("4200"), 4, "9999");
  EXPECT_EQ(srv.request("POST", hook, forged, {{"Content-Type", "application/json"}}).status, 401);
  auto stripped = bj::parse(body);
  stripped.at("notificationItems").at(0).at("NotificationRequestItem").at("additionalData").as_object().erase("hmacSignature");
  EXPECT_EQ(srv.request("POST", hook, dump(stripped), {{"Content-Type", "application/json"}}).status, 401);
  auto metrics = srv.get("/metrics").body;
  EXPECT_NE(metrics.find("bottega_psp_webhooks_total{provider=\"adyen\",outcome=\"duplicate\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("bottega_psp_webhooks_rejected_total{provider=\"adyen\",reason=\"signature_mismatch\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("bottega_psp_webhooks_rejected_total{provider=\"adyen\",reason=\"signature_missing\"} 1"), std::string::npos);

  auto refund = srv.post("/api/v1/payments/" + id + "/refunds", bj::object{{"amount", 1200}, {"reason", "late delivery"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "a1"}});
  ASSERT_EQ(refund.status, 201) << refund.describe();
  // "received" at once; the REFUND notification settles it.
  ASSERT_TRUE(status_becomes(id, "partially_refunded")) << dump(payment(id));
  EXPECT_EQ(num(payment(id), "refunded"), 1200);
  EXPECT_TRUE(eventually([&] { return thread_has("Refunded: EUR 12.00"); }, 5s));
  auto rec = http_request(sim.port(), "GET", "/__sim/adyen/records").json();
  auto refunds = arr(rec, "refunds");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(num(refunds[0], "amount.value"), 1200);
  EXPECT_EQ(str(refunds[0], "reference"), str(refund.json(), "id"));
  EXPECT_EQ(str(refunds[0], "paymentPspReference"), str(paid.json(), "notification.pspReference"));

  // A refused payment on another link: failed, and the link can be tried again.
  auto r2 = srv.post("/api/v1/payment_links",
                     bj::object{{"conversation_id", conversation}, {"amount", 100}, {"currency", "EUR"}, {"provider_id", adyen}},
                     bearer(shop.token));
  std::string id2 = str(r2.json(), "id");
  auto start2 = form(path_of(str(r2.json(), "url")), "lang=en");
  ASSERT_EQ(start2.status, 303);
  std::string link2 = start2.header("Location").substr(start2.header("Location").rfind('/') + 1);
  auto refused = sim.post("/__sim/adyen/pay", bj::object{{"link", link2}, {"outcome", "refused"}});
  EXPECT_EQ(str(refused.json(), "delivery.body"), "[accepted]");
  EXPECT_EQ(str(payment(id2), "status"), "failed");

  // Reconcile reads the payment links back (GET /v72/paymentLinks/{id}): the captures agree; Adyen's
  // API cannot read refunds back, and reconcile says so instead of guessing.
  auto reconciled = srv.run_cli({"reconcile", "--config", srv.config_path(), "--tenant", shop.id, "--provider", adyen});
  EXPECT_EQ(reconciled.exit_code, 0) << reconciled.out << reconciled.err;
  auto report = bj::parse(reconciled.out);
  EXPECT_EQ(num(report.at("providers").at(0), "payments_checked"), 2) << reconciled.out;
  EXPECT_NE(str(report.at("providers").at(0), "refunds_unchecked").find("settlement details report"), std::string::npos)
      << reconciled.out;
}

}  // namespace
}  // namespace e2e
