// PSP adapters: the official signature vectors, webhook parsing, provider requests.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/stripe_vector_test.hpp"
#include "payments/checkout_page.hpp"
#include "payments/model.hpp"
#include "payments/psp/registry.hpp"

namespace bottega::payments::psp {
namespace {

// stripe-dotnet EventUtilityTest.cs with event_test_signature.json (signature-vectors.md).
using testdata::kStripeBody;
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

// ---------------------------------------------------------------------------------------------
// Mollie

mollie::Settings mollie_settings() {
  mollie::Settings s;
  s.api_key = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
  s.api_base_url = "http://127.0.0.1:9/mollie";
  return s;
}

TEST(MollieAmounts, ValuesAreExactInTheCurrencysDecimals) {
  EXPECT_EQ(*mollie::format_value(1000, "EUR"), "10.00");
  EXPECT_EQ(*mollie::format_value(5, "EUR"), "0.05");
  EXPECT_EQ(*mollie::format_value(1000, "JPY"), "1000");
  EXPECT_EQ(*mollie::format_value(1500, "KWD"), "1.500");
  EXPECT_EQ(mollie::format_value(100, "XYZ").error().code, "unsupported_currency");
  std::string cur;
  EXPECT_EQ(*mollie::parse_value(boost::json::object{{"currency", "EUR"}, {"value", "20.00"}}, &cur), 2000);
  EXPECT_EQ(cur, "EUR");
  EXPECT_EQ(*mollie::parse_value(boost::json::object{{"currency", "JPY"}, {"value", "1000"}}, &cur), 1000);
  EXPECT_EQ(*mollie::parse_value(boost::json::object{{"currency", "KWD"}, {"value", "1.234"}}, &cur), 1234);
  // Never rounded: more decimals than the currency has is an error.
  EXPECT_FALSE(mollie::parse_value(boost::json::object{{"currency", "EUR"}, {"value", "10.001"}}, &cur).ok());
  EXPECT_FALSE(mollie::parse_value(boost::json::object{{"currency", "JPY"}, {"value", "10.5"}}, &cur).ok());
  EXPECT_FALSE(mollie::parse_value(boost::json::object{{"currency", "EUR"}, {"value", 10}}, &cur).ok());
  EXPECT_FALSE(mollie::parse_value(boost::json::object{{"currency", "EUR"}, {"value", "1e3"}}, &cur).ok());
}

TEST(MollieRequests, CreatePaymentRefundAndFetchAreMolliesWireFormat) {
  CheckoutRequest c;
  c.payment_id = "pay_1";
  c.attempt_id = "att_1";
  c.amount = 2599;
  c.currency = "EUR";
  c.description = "Order ABC-234";
  c.return_url = "https://shop.example/pay/t/return";
  c.cancel_url = "https://shop.example/pay/t";
  c.webhook_url = "https://shop.example/webhooks/psp/psp_1";
  c.locale = "nl";
  auto r = mollie::build_checkout(mollie_settings(), c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:9/mollie/v2/payments");
  auto body = boost::json::parse(r->body).as_object();
  EXPECT_EQ(body.at("amount").as_object().at("value").as_string(), "25.99");
  EXPECT_EQ(body.at("amount").as_object().at("currency").as_string(), "EUR");
  EXPECT_EQ(body.at("redirectUrl").as_string(), c.return_url);
  EXPECT_EQ(body.at("webhookUrl").as_string(), c.webhook_url);
  EXPECT_EQ(body.at("metadata").as_object().at("payment_id").as_string(), "pay_1");
  EXPECT_EQ(body.at("locale").as_string(), "nl_NL");
  bool key = false, auth = false;
  for (const auto& [k, v] : r->headers) {
    key = key || (k == "Idempotency-Key" && v == "att_1");
    auth = auth || (k == "Authorization" && v == "Bearer test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM");
  }
  EXPECT_TRUE(key && auth);
  c.currency = "JPY";
  c.amount = 1500;
  EXPECT_EQ(boost::json::parse(mollie::build_checkout(mollie_settings(), c)->body).at("amount").at("value").as_string(), "1500");

  auto created = mollie::parse_checkout(201, R"({"resource":"payment","id":"tr_44aKxzEbr8","status":"open","_links":{"checkout":{"href":"https://www.mollie.com/payscreen/select-method/44aKxzEbr8","type":"text/html"}}})");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->provider_ref, "tr_44aKxzEbr8");
  EXPECT_EQ(created->redirect_url, "https://www.mollie.com/payscreen/select-method/44aKxzEbr8");
  auto rejected = mollie::parse_checkout(422, R"({"status":422,"title":"Unprocessable Entity","detail":"The amount is required for payments","field":"amount"})");
  EXPECT_EQ(rejected.error().errc, Errc::unprocessable);
  EXPECT_NE(rejected.error().message.find("The amount is required"), std::string::npos);
  EXPECT_EQ(mollie::parse_checkout(503, "").error().errc, Errc::unavailable);
  EXPECT_EQ(mollie::parse_checkout(201, R"({"id":"tr_1"})").error().code, "provider_bad_response");

  RefundCall rc{"rfd_1", "tr_44aKxzEbr8", 500, "EUR", "late"};
  auto refund = mollie::build_refund(mollie_settings(), rc);
  ASSERT_TRUE(refund.ok());
  EXPECT_EQ(refund->url, "http://127.0.0.1:9/mollie/v2/payments/tr_44aKxzEbr8/refunds");
  auto rb = boost::json::parse(refund->body).as_object();
  EXPECT_EQ(rb.at("amount").as_object().at("value").as_string(), "5.00");
  EXPECT_EQ(rb.at("metadata").as_object().at("refund_id").as_string(), "rfd_1");
  EXPECT_EQ(mollie::build_refund(mollie_settings(), RefundCall{"rfd_1", "", 500, "EUR", "x"}).error().code, "no_payment_reference");
  auto pending = mollie::parse_refund(201, R"({"resource":"refund","id":"re_4qqhO89gsT","status":"pending","amount":{"currency":"EUR","value":"5.00"},"paymentId":"tr_44aKxzEbr8"})");
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state, RefundOutcome::State::pending);
  EXPECT_EQ(pending->provider_ref, "re_4qqhO89gsT");

  auto fetch = mollie::build_fetch(mollie_settings(), "tr_44aKxzEbr8");
  ASSERT_TRUE(fetch.ok());
  EXPECT_EQ(fetch->method, "GET");
  EXPECT_EQ(fetch->url, "http://127.0.0.1:9/mollie/v2/payments/tr_44aKxzEbr8?embed=refunds");
  // Only a well-formed payment id ever reaches the URL.
  EXPECT_FALSE(mollie::build_fetch(mollie_settings(), "tr_../../v2/refunds").ok());
  EXPECT_FALSE(mollie::build_fetch(mollie_settings(), "re_1").ok());

  EXPECT_FALSE(mollie::parse_settings(boost::json::object{{"api_key", "sk_test_1"}}).ok());
  EXPECT_TRUE(mollie::parse_settings(boost::json::object{{"api_key", "live_abc"}}).ok());
  EXPECT_EQ(mollie::parse_settings(boost::json::object{{"api_key", "test_abc"}, {"secret", "x"}}).error().code, "unknown_field");
  EXPECT_EQ(mollie::parse_settings(boost::json::object{{"api_key", "test_abc"}})->api_base_url, "https://api.mollie.com");
}

TEST(MollieWebhook, OnlyAnIdIsReadAndTheStateComesFromTheFetchedPayment) {
  WebhookRequest req;
  req.body = "id=tr_5B8cwPMGnU6qLbRvo7qEZo";
  EXPECT_TRUE(mollie::verify(req, mollie_settings(), 0).ok());
  auto named = mollie::parse_webhook(req.body);
  ASSERT_TRUE(named.ok());
  ASSERT_EQ(named->size(), 1u);
  EXPECT_EQ((*named)[0].provider_ref, "tr_5B8cwPMGnU6qLbRvo7qEZo");
  EXPECT_EQ((*named)[0].kind, PspEvent::Kind::ignored) << "the body never says what happened";
  for (std::string bad : std::vector<std::string>{"", "status=paid", "id=tr_%2F..%2Fx", "id=cst_1", "id=tr_", "id=%zz", std::string(2000, 'a')}) {
    req.body = bad;
    auto v = mollie::verify(req, mollie_settings(), 0);
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) {
      EXPECT_EQ(v.error().errc, Errc::unauthenticated) << bad;
    }
    EXPECT_FALSE(mollie::parse_webhook(bad).ok()) << bad;
  }

  auto paid = mollie::parse_payment(200, R"({"resource":"payment","id":"tr_WDqYK6vllg","mode":"test","status":"paid","amount":{"value":"42.00","currency":"EUR"},"metadata":{"payment_id":"pay_1"},"amountRefunded":{"value":"0.00","currency":"EUR"}})");
  ASSERT_TRUE(paid.ok());
  ASSERT_EQ(paid->size(), 1u);
  const PspEvent& e = (*paid)[0];
  EXPECT_EQ(e.kind, PspEvent::Kind::paid);
  EXPECT_EQ(e.event_id, "tr_WDqYK6vllg:paid");
  EXPECT_EQ(e.payment_id, "pay_1");
  EXPECT_EQ(e.provider_ref, "tr_WDqYK6vllg");
  EXPECT_EQ(e.payment_ref, "tr_WDqYK6vllg");
  EXPECT_EQ(e.amount, 4200);
  EXPECT_EQ(e.currency, "EUR");
  auto kind_of = [](const char* status) {
    std::string b = std::string(R"({"resource":"payment","id":"tr_1","status":")") + status +
                    R"(","amount":{"value":"1.00","currency":"EUR"}})";
    return (*mollie::parse_payment(200, b))[0].kind;
  };
  EXPECT_EQ(kind_of("open"), PspEvent::Kind::ignored);
  EXPECT_EQ(kind_of("pending"), PspEvent::Kind::processing);
  EXPECT_EQ(kind_of("authorized"), PspEvent::Kind::processing);
  EXPECT_EQ(kind_of("failed"), PspEvent::Kind::failed);
  EXPECT_EQ(kind_of("canceled"), PspEvent::Kind::failed);
  EXPECT_EQ(kind_of("expired"), PspEvent::Kind::expired);
  // Settled embedded refunds become refund events, unsettled ones nothing yet.
  auto refunds = mollie::parse_payment(200, R"({"resource":"payment","id":"tr_1","status":"paid","amount":{"value":"42.00","currency":"EUR"},
    "_embedded":{"refunds":[{"resource":"refund","id":"re_1","status":"refunded","amount":{"value":"12.00","currency":"EUR"},"metadata":{"refund_id":"rfd_1"}},
                            {"resource":"refund","id":"re_2","status":"pending","amount":{"value":"1.00","currency":"EUR"}},
                            {"resource":"refund","id":"re_3","status":"failed","amount":{"value":"2.00","currency":"EUR"},"metadata":{"refund_id":"rfd_3"}}]}})");
  ASSERT_TRUE(refunds.ok());
  ASSERT_EQ(refunds->size(), 3u);
  EXPECT_EQ((*refunds)[1].kind, PspEvent::Kind::refund_succeeded);
  EXPECT_EQ((*refunds)[1].refund_id, "rfd_1");
  EXPECT_EQ((*refunds)[1].refund_ref, "re_1");
  EXPECT_EQ((*refunds)[1].event_id, "re_1:refunded");
  EXPECT_EQ((*refunds)[1].amount, 1200);
  EXPECT_EQ((*refunds)[2].kind, PspEvent::Kind::refund_failed);
  // Unknown to Mollie (another account's id, or made up): no events, not an error.
  auto unknown = mollie::parse_payment(404, R"({"status":404,"title":"Not Found","detail":"No payment exists with token tr_x."})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->empty());
  EXPECT_EQ(mollie::parse_payment(500, "{}").error().errc, Errc::unavailable);
  EXPECT_EQ(mollie::parse_payment(401, R"({"status":401,"title":"Unauthorized Request","detail":"Missing authentication, or failed to authenticate"})").error().errc, Errc::unprocessable);
  EXPECT_FALSE(mollie::parse_payment(200, R"({"resource":"payment","id":"tr_1","status":"paid","amount":{"value":"42.001","currency":"EUR"}})").ok());
  EXPECT_FALSE(mollie::parse_payment(200, R"({"resource":"refund","id":"tr_1","status":"paid","amount":{"value":"42.00","currency":"EUR"}})").ok());
}

// ---------------------------------------------------------------------------------------------
// Adyen

constexpr const char* kAdyenHexKey = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

adyen::Settings adyen_settings() {
  auto s = adyen::parse_settings(boost::json::object{{"api_key", "AQE_test"},
                                                     {"merchant_account", "ShopCoMerchantECOM"},
                                                     {"hmac_key", kAdyenHexKey},
                                                     {"api_base_url", "http://127.0.0.1:9/adyen/"}});
  if (!s) throw std::runtime_error(s.error().message);
  return *s;
}

TEST(AdyenSignature, OfficialVectorFromTheNodeLibrary) {
  boost::json::object item{{"pspReference", "pspReference"},
                           {"originalReference", "originalReference"},
                           {"merchantAccountCode", "merchantAccount"},
                           {"merchantReference", "reference"},
                           {"amount", boost::json::object{{"currency", "EUR"}, {"value", 1000}}},
                           {"eventCode", "EVENT"},
                           {"success", "true"}};
  EXPECT_EQ(adyen::signing_string(item), "pspReference:originalReference:merchantAccount:reference:1000:EUR:EVENT:true");
  std::string key = *crypto::unhex(kAdyenHexKey);
  EXPECT_EQ(adyen::sign_item(key, item), "ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc=");
  item["eventCode"] = "REPORT_AVAILABLE";
  EXPECT_EQ(adyen::signing_string(item), "pspReference:originalReference:merchantAccount:reference:1000:EUR:REPORT_AVAILABLE:true");
  EXPECT_EQ(adyen::sign_item(key, item), "ZNBPtI+oDyyRrLyD1XirkKnQgIAlFc07Vj27TeHsDRE=");
  // A missing field is an empty string between the colons.
  item.erase("originalReference");
  EXPECT_EQ(adyen::signing_string(item), "pspReference::merchantAccount:reference:1000:EUR:REPORT_AVAILABLE:true");
}

std::string adyen_notification(std::vector<boost::json::object> items, const std::string& key) {
  boost::json::array list;
  for (auto& it : items) {
    it["additionalData"].emplace_object()["hmacSignature"] = adyen::sign_item(key, it);
    list.push_back(boost::json::object{{"NotificationRequestItem", it}});
  }
  return boost::json::serialize(boost::json::object{{"live", "false"}, {"notificationItems", list}});
}

boost::json::object adyen_item(const char* code, const char* success, const char* psp, const char* reference,
                               int64_t value, const char* original = nullptr) {
  boost::json::object it{{"eventCode", code},
                         {"success", success},
                         {"pspReference", psp},
                         {"merchantAccountCode", "ShopCoMerchantECOM"},
                         {"merchantReference", reference},
                         {"amount", boost::json::object{{"value", value}, {"currency", "EUR"}}},
                         {"eventDate", "2026-11-22T10:15:30+01:00"}};
  if (original) it["originalReference"] = original;
  return it;
}

TEST(AdyenWebhook, EveryItemIsVerifiedThenNormalized) {
  auto s = adyen_settings();
  EXPECT_EQ(s.api_base_url, "http://127.0.0.1:9/adyen");
  WebhookRequest req;
  req.body = adyen_notification({adyen_item("AUTHORISATION", "true", "QFQTPCQ8HXSKGK82", "pay_1", 2599),
                                  adyen_item("REFUND", "true", "RFND000000000001", "rfd_1", 500, "QFQTPCQ8HXSKGK82")},
                                 s.hmac_key);
  ASSERT_TRUE(adyen::verify(req, s, 0).ok());
  auto events = adyen::parse_webhook(req.body);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, PspEvent::Kind::paid);
  EXPECT_EQ((*events)[0].payment_id, "pay_1");
  EXPECT_EQ((*events)[0].payment_ref, "QFQTPCQ8HXSKGK82");
  EXPECT_EQ((*events)[0].amount, 2599);
  EXPECT_EQ((*events)[0].event_id, "QFQTPCQ8HXSKGK82:AUTHORISATION:true");
  EXPECT_EQ((*events)[1].kind, PspEvent::Kind::refund_succeeded);
  EXPECT_EQ((*events)[1].refund_id, "rfd_1");
  EXPECT_EQ((*events)[1].payment_ref, "QFQTPCQ8HXSKGK82");

  // One tampered item fails the whole notification, before anything is parsed.
  auto tampered = req;
  auto at = tampered.body.find("2599");
  tampered.body.replace(at, 4, "9999");
  EXPECT_EQ(adyen::verify(tampered, s, 0).error().code, "signature_mismatch");
  auto other_key = req;
  other_key.body = adyen_notification({adyen_item("AUTHORISATION", "true", "P1", "pay_1", 2599)}, std::string(32, 'k'));
  EXPECT_EQ(adyen::verify(other_key, s, 0).error().code, "signature_mismatch");
  WebhookRequest unsigned_req;
  unsigned_req.body = R"({"live":"false","notificationItems":[{"NotificationRequestItem":{"eventCode":"AUTHORISATION","success":"true","pspReference":"P1","merchantReference":"pay_1","amount":{"value":1,"currency":"EUR"}}}]})";
  EXPECT_EQ(adyen::verify(unsigned_req, s, 0).error().code, "signature_missing");
  for (std::string bad : std::vector<std::string>{"", "[accepted]", "{}", R"({"notificationItems":[]})", R"({"notificationItems":[1]})"}) {
    WebhookRequest b;
    b.body = bad;
    auto v = adyen::verify(b, s, 0);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, "signature_malformed") << bad;
  }

  auto declined = adyen::parse_webhook(adyen_notification({[] {
    auto it = adyen_item("AUTHORISATION", "false", "P2", "pay_2", 100);
    it["reason"] = "Refused";
    return it;
  }()}, s.hmac_key));
  EXPECT_EQ((*declined)[0].kind, PspEvent::Kind::failed);
  EXPECT_EQ((*declined)[0].reason, "Refused");
  auto refund_failed = adyen::parse_webhook(adyen_notification({adyen_item("REFUND_FAILED", "true", "R2", "rfd_2", 100, "P1")}, s.hmac_key));
  EXPECT_EQ((*refund_failed)[0].kind, PspEvent::Kind::refund_failed);
  auto capture = adyen::parse_webhook(adyen_notification({adyen_item("CAPTURE", "true", "C1", "pay_1", 100, "P1")}, s.hmac_key));
  EXPECT_EQ((*capture)[0].kind, PspEvent::Kind::ignored);
}

TEST(AdyenWebhook, BasicAuthWhenConfigured) {
  auto s = adyen_settings();
  s.basic_username = "adyen";
  s.basic_password = "pa:ss";
  WebhookRequest req;
  req.body = adyen_notification({adyen_item("AUTHORISATION", "true", "P1", "pay_1", 1)}, s.hmac_key);
  EXPECT_EQ(adyen::verify(req, s, 0).error().code, "signature_missing");
  req.headers = {{"authorization", "Basic " + crypto::base64("adyen:wrong")}};
  EXPECT_EQ(adyen::verify(req, s, 0).error().code, "signature_mismatch");
  req.headers = {{"authorization", "Basic " + crypto::base64("adyen:pa:ss")}};
  EXPECT_TRUE(adyen::verify(req, s, 0).ok());
}

TEST(AdyenRequests, PaymentLinkAndRefundInMinorUnits) {
  auto s = adyen_settings();
  CheckoutRequest c;
  c.payment_id = "pay_1";
  c.attempt_id = "att_1";
  c.amount = 1234;
  c.currency = "KWD";
  c.return_url = "https://shop.example/pay/t/return";
  c.expires_at_ms = 1795000000000;
  c.locale = "de";
  c.items = {{"Boots", 1234, 1}};
  auto r = adyen::build_checkout(s, c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://127.0.0.1:9/adyen/v72/paymentLinks");
  auto b = boost::json::parse(r->body).as_object();
  EXPECT_EQ(b.at("amount").at("value").as_int64(), 1234);
  EXPECT_EQ(b.at("amount").at("currency").as_string(), "KWD");
  EXPECT_EQ(b.at("reference").as_string(), "pay_1");
  EXPECT_EQ(b.at("merchantAccount").as_string(), "ShopCoMerchantECOM");
  EXPECT_EQ(b.at("shopperLocale").as_string(), "de-DE");
  EXPECT_EQ(b.at("expiresAt").as_string(), "2026-11-18T11:06:40Z");
  EXPECT_EQ(b.at("lineItems").at(0).at("amountIncludingTax").as_int64(), 1234);
  bool api_key = false, idem = false;
  for (const auto& [k, v] : r->headers) {
    api_key = api_key || (k == "X-API-Key" && v == "AQE_test");
    idem = idem || (k == "Idempotency-Key" && v == "att_1");
  }
  EXPECT_TRUE(api_key && idem);
  auto link = adyen::parse_checkout(201, R"({"id":"PLE83C39B5A7B1F3B1","url":"https://test.adyen.link/PLE83C39B5A7B1F3B1","status":"active","amount":{"value":1234,"currency":"KWD"},"reference":"pay_1"})");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->provider_ref, "PLE83C39B5A7B1F3B1");
  EXPECT_EQ(link->redirect_url, "https://test.adyen.link/PLE83C39B5A7B1F3B1");
  auto err = adyen::parse_checkout(422, R"({"status":422,"errorCode":"14_012","message":"The provided merchant account is not valid","errorType":"validation"})");
  EXPECT_EQ(err.error().errc, Errc::unprocessable);
  EXPECT_NE(err.error().message.find("14_012"), std::string::npos);

  auto refund = adyen::build_refund(s, RefundCall{"rfd_1", "QFQTPCQ8HXSKGK82", 500, "EUR", "late"});
  ASSERT_TRUE(refund.ok());
  EXPECT_EQ(refund->url, "http://127.0.0.1:9/adyen/v72/payments/QFQTPCQ8HXSKGK82/refunds");
  auto rb = boost::json::parse(refund->body).as_object();
  EXPECT_EQ(rb.at("reference").as_string(), "rfd_1");
  EXPECT_EQ(rb.at("amount").at("value").as_int64(), 500);
  EXPECT_EQ(adyen::build_refund(s, RefundCall{"rfd_1", "PLE83C39B5A7B1F3B1", 5, "EUR", "x"}).error().code, "no_payment_reference");
  EXPECT_EQ(adyen::build_refund(s, RefundCall{"rfd_1", "../x", 5, "EUR", "x"}).error().code, "no_payment_reference");
  auto received = adyen::parse_refund(201, R"({"merchantAccount":"ShopCoMerchantECOM","paymentPspReference":"QFQTPCQ8HXSKGK82","pspReference":"RFND000000000001","reference":"rfd_1","status":"received"})");
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(received->state, RefundOutcome::State::pending);
  EXPECT_EQ(received->provider_ref, "RFND000000000001");

  EXPECT_FALSE(adyen::parse_settings(boost::json::object{{"api_key", "k"}, {"merchant_account", "m"}, {"hmac_key", "xyz"}}).ok());
  EXPECT_FALSE(adyen::parse_settings(boost::json::object{{"api_key", "k"}, {"merchant_account", "m"}, {"hmac_key", kAdyenHexKey}, {"basic_username", "u"}}).ok());
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

// Found by psp_sandbox_fuzz: an event with an empty id parsed, and deliveries are deduplicated by
// that id.
TEST(SandboxWebhook, AnEmptyEventIdIsRefusedWithTheField) {
  auto e = sandbox::parse_webhook(R"({"id":"","type":"pay","data":{}})");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().field, "id");
}

TEST(Registry, EveryTypeIsListedOnceWithItsSecrets) {
  ASSERT_NE(find_adapter("sandbox"), nullptr);
  ASSERT_NE(find_adapter("stripe"), nullptr);
  ASSERT_NE(find_adapter("mollie"), nullptr);
  ASSERT_NE(find_adapter("adyen"), nullptr);
  EXPECT_NE(find_adapter("mollie")->build_fetch, nullptr) << "Mollie is webhook-then-fetch";
  EXPECT_EQ(find_adapter("adyen")->webhook_ack, "[accepted]");
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
  EXPECT_EQ(html.find("use_credit"), std::string::npos) << "no credit: no checkbox";
  // With store credit to offer: the checkbox, in the page's language, with the amount.
  std::string offered = page::checkout(p, "Shop", "de", "", 60);
  EXPECT_NE(offered.find("name=\"use_credit\" value=\"1\"> Mein Guthaben verwenden (EUR 0.60)"), std::string::npos) << offered;
}

}  // namespace
}  // namespace bottega::payments::psp
