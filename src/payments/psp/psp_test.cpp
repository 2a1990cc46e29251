// PSP adapters: the official signature vectors, webhook parsing, provider requests.
#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "payments/checkout_page.hpp"
#include "payments/model.hpp"
#include "payments/psp/registry.hpp"

namespace bottega::payments::psp {
namespace {

// stripe-dotnet EventUtilityTest.cs with event_test_signature.json (signature-vectors.md).
const std::string kStripeBody =
    "{\n"
    "  \"id\": \"evt_123\",\n"
    "  \"object\": \"event\",\n"
    "  \"account\": \"acct_123\",\n"
    "  \"api_version\": \"2017-05-25\",\n"
    "  \"created\": 1533204620,\n"
    "  \"data\": {\n"
    "    \"object\": {\n"
    "      \"id\": \"cus_123\",\n"
    "      \"object\": \"customer\",\n"
    "      \"created\": 123456789,\n"
    "      \"email\": \"test@stripe.com\",\n"
    "      \"livemode\": false,\n"
    "      \"metadata\": {}\n"
    "    }\n"
    "  },\n"
    "  \"livemode\": false,\n"
    "  \"pending_webhooks\": 1,\n"
    "  \"request\": {\n"
    "    \"id\": \"req_123\",\n"
    "    \"idempotency_key\": \"idempotency-key-123\"\n"
    "  },\n"
    "  \"type\": \"customer.created\"\n"
    "}\n";
const std::string kStripeHeader =
    "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,"
    "v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";

TEST(StripeSignature, OfficialVectorAcceptedWithinToleranceRejectedAfter) {
  ASSERT_EQ(kStripeBody.size(), 484u);
  EXPECT_TRUE(stripe::verify_signature(kStripeHeader, kStripeBody, "webhook_secret", 1533204620 + 100).ok());
  auto late = stripe::verify_signature(kStripeHeader, kStripeBody, "webhook_secret", 1533204620 + 400);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "signature_too_old");
  auto other = stripe::verify_signature(kStripeHeader, kStripeBody, "whsec_other", 1533204620);
  EXPECT_EQ(other.error().code, "signature_mismatch");
  auto tampered = stripe::verify_signature(kStripeHeader, kStripeBody + " ", "webhook_secret", 1533204620);
  EXPECT_EQ(tampered.error().code, "signature_mismatch");
  EXPECT_EQ(stripe::verify_signature("", kStripeBody, "webhook_secret", 1533204620).error().code, "signature_missing");
  EXPECT_EQ(stripe::verify_signature("t=abc,v1=00", kStripeBody, "webhook_secret", 1533204620).error().code,
            "signature_malformed");
  // Only v0 (the old scheme) is not enough.
  EXPECT_FALSE(stripe::verify_signature("t=1533204620,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef",
                                        kStripeBody, "webhook_secret", 1533204620).ok());
  // During a secret rotation any v1 may match.
  std::string rotated = "t=1533204620,v1=" + std::string(64, '0') +
                        ",v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
  EXPECT_TRUE(stripe::verify_signature(rotated, kStripeBody, "webhook_secret", 1533204620).ok());
}

TEST(StripeWebhook, CheckoutAndRefundEventsNormalize) {
  auto e = stripe::parse_webhook(
      R"({"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_test_1","client_reference_id":"pay_1","payment_status":"paid","amount_total":2599,"currency":"eur","payment_intent":"pi_1"}}})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].kind, PspEvent::Kind::paid);
  EXPECT_EQ((*e)[0].payment_id, "pay_1");
  EXPECT_EQ((*e)[0].provider_ref, "cs_test_1");
  EXPECT_EQ((*e)[0].payment_ref, "pi_1");
  EXPECT_EQ((*e)[0].currency, "EUR");
  EXPECT_EQ((*e)[0].amount, 2599);
  auto unpaid = stripe::parse_webhook(
      R"({"id":"evt_2","type":"checkout.session.completed","data":{"object":{"id":"cs_1","payment_status":"unpaid"}}})");
  EXPECT_EQ((*unpaid)[0].kind, PspEvent::Kind::processing);
  auto refund = stripe::parse_webhook(
      R"({"id":"evt_3","type":"refund.updated","data":{"object":{"id":"re_1","status":"succeeded","amount":100,"currency":"eur","metadata":{"refund_id":"rfd_1"}}}})");
  EXPECT_EQ((*refund)[0].kind, PspEvent::Kind::refund_succeeded);
  EXPECT_EQ((*refund)[0].refund_id, "rfd_1");
  auto other = stripe::parse_webhook(kStripeBody);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)[0].kind, PspEvent::Kind::ignored);
  EXPECT_FALSE(stripe::parse_webhook("[1,2").ok());
  EXPECT_FALSE(stripe::parse_webhook(R"({"id":"evt","type":"checkout.session.completed","data":{"object":{}}})").ok());
}

TEST(StripeRequests, CheckoutSessionIsFormEncodedWithTheAttemptAsIdempotencyKey) {
  stripe::Settings s;
  s.secret_key = "sk_test_1";
  s.webhook_secret = "whsec_1";
  s.api_base_url = "http://127.0.0.1:9/stripe";
  CheckoutRequest c;
  c.payment_id = "pay_1";
  c.attempt_id = "att_1";
  c.amount = 2599;
  c.currency = "EUR";
  c.items = {{"Blue sneakers 42", 2599, 1}};
  c.return_url = "https://shop.example/pay/t/return";
  c.cancel_url = "https://shop.example/pay/t";
  auto r = stripe::build_checkout(s, c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:9/stripe/v1/checkout/sessions");
  EXPECT_NE(r->body.find("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=2599"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("product_data%5D%5Bname%5D=Blue+sneakers+42"), std::string::npos);
  EXPECT_NE(r->body.find("client_reference_id=pay_1"), std::string::npos);
  EXPECT_NE(r->body.find("currency%5D=eur"), std::string::npos);
  bool key = false;
  for (const auto& [k, v] : r->headers) key = key || (k == "Idempotency-Key" && v == "att_1");
  EXPECT_TRUE(key);
  auto session = stripe::parse_checkout(200, R"({"id":"cs_test_1","url":"https://checkout.stripe.com/c/pay/cs_test_1"})");
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->provider_ref, "cs_test_1");
  EXPECT_EQ(stripe::parse_checkout(500, "{}").error().errc, Errc::unavailable);
  EXPECT_EQ(stripe::parse_checkout(400, R"({"error":{"message":"bad"}})").error().errc, Errc::unprocessable);
}

TEST(SandboxSignature, SignedEventsVerifyAndTamperingFails) {
  sandbox::Settings s;
  s.webhook_secret = "sandbox_secret_0123456789";
  WebhookRequest req;
  req.body = sandbox::event_body("sbe_1", "payment.succeeded", 1700000000,
                                 boost::json::object{{"session", "sbx_1"}, {"reference", "pay_1"}, {"amount", 5}, {"currency", "EUR"}});
  req.headers = {{"sandbox-signature", sandbox::sign(s.webhook_secret, 1700000000, req.body)}};
  EXPECT_TRUE(sandbox::verify(req, s, 1700000000'000).ok());
  EXPECT_EQ(sandbox::verify(req, s, 1700000400'000).error().code, "signature_too_old");
  auto tampered = req;
  tampered.body[10] = tampered.body[10] == 'x' ? 'y' : 'x';
  EXPECT_EQ(sandbox::verify(tampered, s, 1700000000'000).error().code, "signature_mismatch");
  auto events = sandbox::parse_webhook(req.body);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)[0].kind, PspEvent::Kind::paid);
  EXPECT_EQ((*events)[0].payment_id, "pay_1");
}

TEST(Registry, EveryTypeIsListedOnceWithItsSecrets) {
  ASSERT_NE(find_adapter("sandbox"), nullptr);
  ASSERT_NE(find_adapter("stripe"), nullptr);
  EXPECT_EQ(find_adapter("paypal"), nullptr);
  for (const auto& a : adapters()) {
    EXPECT_NE(a.parse_settings, nullptr) << a.type;
    EXPECT_NE(a.verify, nullptr) << a.type;
    EXPECT_NE(a.parse_webhook, nullptr) << a.type;
    EXPECT_FALSE(a.secret_settings.empty()) << a.type;
  }
  EXPECT_FALSE(find_adapter("stripe")->parse_settings(boost::json::object{{"secret_key", "sk"}}).ok());
}

TEST(CheckoutPage, EscapesLanguagesAndAmounts) {
  EXPECT_EQ(page::escape("<b>\"x\"&'y'</b>"), "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;");
  EXPECT_EQ(page::pick_language("nl", "it-IT"), "nl");
  EXPECT_EQ(page::pick_language("xx", "fr-FR,de;q=0.8"), "de");
  EXPECT_EQ(page::pick_language("", "english"), "en");
  EXPECT_EQ(format_amount(2599, "EUR"), "EUR 25.99");
  EXPECT_EQ(format_amount(5, "EUR"), "EUR 0.05");
  EXPECT_EQ(format_amount(1500, "JPY"), "JPY 1500");
  EXPECT_EQ(format_amount(1234, "KWD"), "KWD 1.234");
  Payment p;
  p.token = "tok";
  p.amount = 100;
  p.currency = "EUR";
  p.verification_code = "ABC-234";
  p.items_json = R"([{"sku":"S","name":"<script>alert(1)</script>","quantity":1,"unit_amount":100}])";
  std::string html = page::checkout(p, "Shop & <Co>", "it", "");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("Shop &amp; &lt;Co&gt;"), std::string::npos);
  EXPECT_NE(html.find("Paga EUR 1.00"), std::string::npos);
  EXPECT_NE(html.find("ABC-234"), std::string::npos);
}

}  // namespace
}  // namespace bottega::payments::psp
