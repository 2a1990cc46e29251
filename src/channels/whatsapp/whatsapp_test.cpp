#include "channels/whatsapp/whatsapp.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/attachments_testing.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::whatsapp {
namespace {

namespace bj = boost::json;

Settings test_settings() {
  return Settings{"106540352242922", "EAAG-token", "app-secret", "verify-me",
                  "https://graph.example/v21.0"};
}

WebhookRequest signed_request(const std::string& body, const std::string& secret) {
  WebhookRequest req;
  req.method = "POST";
  req.url = "https://shop.example/webhooks/ch_1";
  req.body = body;
  req.headers = {
      {"content-type", "application/json"},
      {"x-hub-signature-256", "sha256=" + crypto::hex(crypto::hmac_sha256(secret, body))}};
  return req;
}

bj::object content(const InboundMessage& m) { return bj::parse(m.content_json).as_object(); }

// --- verify ---------------------------------------------------------------------------------

TEST(WhatsAppVerify, AcceptsGitHubPublishedVector) {
  // docs.github.com "Validating webhook deliveries": same X-Hub-Signature-256 scheme as Meta.
  Settings s = test_settings();
  s.app_secret = "It's a Secret to Everybody";
  WebhookRequest req;
  req.body = "Hello, World!";
  req.headers = {{"x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}};
  EXPECT_TRUE(verify(req, s).ok());
}

TEST(WhatsAppVerify, AcceptsUppercaseHexDigits) {
  Settings s = test_settings();
  s.app_secret = "It's a Secret to Everybody";
  WebhookRequest req;
  req.body = "Hello, World!";
  req.headers = {{"x-hub-signature-256",
                  "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"}};
  EXPECT_TRUE(verify(req, s).ok());
}

TEST(WhatsAppVerify, RejectsTamperedBody) {
  WebhookRequest req =
      signed_request(R"({"object":"whatsapp_business_account","entry":[]})", "app-secret");
  ASSERT_TRUE(verify(req, test_settings()).ok());
  req.body[req.body.size() - 3] = '{';
  Status st = verify(req, test_settings());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errc, Errc::unauthenticated);
  EXPECT_EQ(st.error().code, "bad_signature");
}

TEST(WhatsAppVerify, RejectsWrongSecretMissingAndMalformedHeaders) {
  WebhookRequest req = signed_request("{}", "another-secret");
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.headers.clear();
  EXPECT_EQ(verify(req, test_settings()).error().code, "missing_signature");
  req.headers = {{"x-hub-signature-256", "sha1=abcdef"}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  // The legacy SHA-1 header alone is not accepted.
  req.headers = {{"x-hub-signature", "sha1=" + crypto::hex(crypto::hmac_sha1("app-secret", "{}"))}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "missing_signature");
}

TEST(WhatsAppVerify, SubscriptionHandshake) {
  auto ok = verify_subscription(
      "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me", "verify-me");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "1158201444");

  auto wrong = verify_subscription(
      "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope", "verify-me");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().errc, Errc::forbidden);

  auto mode = verify_subscription("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me",
                                  "verify-me");
  EXPECT_EQ(mode.error().errc, Errc::forbidden);

  // Percent-encoded keys and values are decoded; the challenge is echoed, so it must be a token.
  auto encoded = verify_subscription(
      "hub%2Emode=subscribe&hub.challenge=abc&hub.verify_token=verify%2Dme", "verify-me");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, "abc");
  auto script = verify_subscription(
      "hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=verify-me", "verify-me");
  EXPECT_EQ(script.error().errc, Errc::invalid_argument);
  EXPECT_EQ(
      verify_subscription("hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "").error().errc,
      Errc::forbidden);
}

// --- settings -------------------------------------------------------------------------------

TEST(WhatsAppSettings, ParsesWithDefaultBaseUrl) {
  auto s = parse_settings(bj::parse(R"({"phone_number_id":"106540352242922",
      "access_token":"t","app_secret":"s","verify_token":"v"})")
                              .as_object());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->api_base_url, "https://graph.facebook.com/v21.0");
  EXPECT_EQ(s->phone_number_id, "106540352242922");
}

TEST(WhatsAppSettings, ErrorsNameTheField) {
  auto missing = parse_settings(
      bj::parse(R"({"phone_number_id":"1","app_secret":"s","verify_token":"v"})").as_object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "settings.access_token");
  EXPECT_EQ(missing.error().code, "missing_field");

  auto path = parse_settings(bj::parse(R"({"phone_number_id":"1/../me","access_token":"t",
      "app_secret":"s","verify_token":"v"})")
                                 .as_object());
  EXPECT_EQ(path.error().field, "settings.phone_number_id");

  auto unknown = parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t",
      "app_secret":"s","verify_token":"v","app_secert":"x"})")
                                    .as_object());
  EXPECT_EQ(unknown.error().field, "settings.app_secert");

  auto url = parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t",
      "app_secret":"s","verify_token":"v","api_base_url":"ftp://x"})")
                                .as_object());
  EXPECT_EQ(url.error().field, "settings.api_base_url");

  auto type = parse_settings(bj::parse(R"({"phone_number_id":1,"access_token":"t",
      "app_secret":"s","verify_token":"v"})")
                                 .as_object());
  EXPECT_EQ(type.error().field, "settings.phone_number_id");
  EXPECT_EQ(type.error().code, "invalid_type");

  auto trailing = parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t",
      "app_secret":"s","verify_token":"v","api_base_url":"http://127.0.0.1:9000/v21.0/"})")
                                     .as_object());
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->api_base_url, "http://127.0.0.1:9000/v21.0");
}

// --- parse ----------------------------------------------------------------------------------

// Two entries (two WABAs' changes), with several messages, statuses and a non-message change.
constexpr const char* kBatch = R"({
  "object": "whatsapp_business_account",
  "entry": [
    { "id": "102290129340398",
      "changes": [
        { "field": "messages",
          "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
            "contacts": [ { "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" },
                          { "profile": { "name": "Ravi" }, "wa_id": "447700900123" } ],
            "messages": [
              { "from": "16505551234", "id": "wamid.A1", "timestamp": "1749416383", "type": "text",
                "text": { "body": "Does it come in another color?" } },
              { "from": "447700900123", "id": "wamid.A2", "timestamp": "1749416390", "type": "text",
                "text": { "body": "Hi" }, "user_id": "US.13491208655302741918" },
              { "from": "16505551234", "id": "wamid.A3", "timestamp": "1749416400", "type": "interactive",
                "context": { "from": "15550783881", "id": "wamid.OUT1" },
                "interactive": { "type": "button_reply", "button_reply": { "id": "size_42", "title": "42" } } }
            ] } },
        { "field": "message_template_status_update",
          "value": { "event": "APPROVED", "message_template_id": 1, "message_template_name": "x" } }
      ] },
    { "id": "102290129340399",
      "changes": [
        { "field": "messages",
          "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783882", "phone_number_id": "106540352242923" },
            "statuses": [
              { "id": "wamid.OUT1", "status": "delivered", "timestamp": "1750857384",
                "recipient_id": "16505551234",
                "pricing": { "billable": true, "pricing_model": "PMP", "category": "service" } },
              { "id": "wamid.OUT2", "status": "failed", "timestamp": "1750857385",
                "recipient_id": "16505551234",
                "errors": [ { "code": 131047, "title": "Re-engagement message",
                              "message": "Re-engagement message",
                              "error_data": { "details": "More than 24 hours have passed." } } ] },
              { "id": "wamid.OUT1", "status": "read", "timestamp": "1750857390", "recipient_id": "16505551234" },
              { "id": "wamid.OUT3", "status": "deleted", "timestamp": "1750857391", "recipient_id": "1" }
            ] } },
        { "field": "messages",
          "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783882", "phone_number_id": "106540352242923" },
            "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "5511999990000" } ],
            "messages": [
              { "from": "5511999990000", "id": "wamid.B1", "timestamp": "1749416500", "type": "text",
                "text": { "body": "Olá" } },
              { "from": "5511999990000", "id": "wamid.B2", "timestamp": "1749416501", "type": "reaction",
                "reaction": { "message_id": "wamid.OUT9", "emoji": "\ud83d\udc4d" } }
            ] } }
      ] }
  ]
})";

TEST(WhatsAppParse, NormalizesEveryEntryChangeMessageAndStatus) {
  auto batch = parse(kBatch);
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 5u);
  ASSERT_EQ(batch->statuses.size(), 3u);  // "deleted" is not a delivery state

  const auto& m0 = batch->messages[0];
  EXPECT_EQ(m0.provider_message_id, "wamid.A1");
  EXPECT_EQ(m0.contact_external_id, "16505551234");
  EXPECT_EQ(m0.contact_name, "Sheena Nelson");
  EXPECT_EQ(m0.timestamp_ms, 1749416383000);
  EXPECT_EQ(m0.kind, MessageKind::text);
  EXPECT_EQ(m0.text, "Does it come in another color?");
  EXPECT_EQ(m0.account_id, "106540352242922");
  EXPECT_EQ(m0.content_json, "{}");

  EXPECT_EQ(batch->messages[1].contact_name, "Ravi");
  EXPECT_EQ(batch->messages[1].text, "Hi");

  const auto& m2 = batch->messages[2];
  EXPECT_EQ(m2.kind, MessageKind::interactive_reply);
  EXPECT_EQ(m2.text, "42");
  EXPECT_EQ(m2.reply_to, "wamid.OUT1");
  EXPECT_EQ(content(m2).at("id"), "size_42");
  EXPECT_EQ(content(m2).at("type"), "button_reply");

  EXPECT_EQ(batch->messages[3].provider_message_id, "wamid.B1");
  EXPECT_EQ(batch->messages[3].text, "Olá");
  EXPECT_EQ(batch->messages[3].contact_name, "Ana");
  EXPECT_EQ(batch->messages[3].account_id, "106540352242923");

  const auto& r = batch->messages[4];
  EXPECT_EQ(r.kind, MessageKind::reaction);
  EXPECT_EQ(r.text, "\xF0\x9F\x91\x8D");
  EXPECT_EQ(r.reply_to, "wamid.OUT9");

  const auto& s0 = batch->statuses[0];
  EXPECT_EQ(s0.provider_message_id, "wamid.OUT1");
  EXPECT_EQ(s0.state, DeliveryState::delivered);
  EXPECT_EQ(s0.timestamp_ms, 1750857384000);
  EXPECT_EQ(s0.contact_external_id, "16505551234");
  EXPECT_EQ(s0.account_id, "106540352242923");
  const auto& s1 = batch->statuses[1];
  EXPECT_EQ(s1.state, DeliveryState::failed);
  EXPECT_EQ(s1.error_code, "131047");
  EXPECT_EQ(s1.error_reason, "Re-engagement message: More than 24 hours have passed.");
  EXPECT_EQ(batch->statuses[2].state, DeliveryState::read);
}

std::string one_message(const std::string& message_json) {
  return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
    "value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},
    "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],"messages":[)" +
         message_json + "]}}]}]}";
}

InboundMessage parse_one(const std::string& message_json) {
  auto batch = parse(one_message(message_json));
  EXPECT_TRUE(batch.ok()) << (batch.ok() ? "" : batch.error().field + ": " + batch.error().message);
  if (!batch.ok() || batch->messages.size() != 1) return {};
  return batch->messages[0];
}

TEST(WhatsAppParse, ListReplyAndTemplateButton) {
  auto list =
      parse_one(R"({"from":"16505551234","id":"wamid.L","timestamp":"1","type":"interactive",
    "interactive":{"type":"list_reply","list_reply":{"id":"sku_9","title":"Blue","description":"Size M"}}})");
  EXPECT_EQ(list.kind, MessageKind::interactive_reply);
  EXPECT_EQ(list.text, "Blue");
  EXPECT_EQ(content(list).at("id"), "sku_9");
  EXPECT_EQ(content(list).at("description"), "Size M");

  auto button = parse_one(R"({"from":"16505551234","id":"wamid.B","timestamp":"1","type":"button",
    "context":{"from":"15550783881","id":"wamid.TPL"},"button":{"payload":"STOP_PROMOS","text":"Stop promotions"}})");
  EXPECT_EQ(button.kind, MessageKind::interactive_reply);
  EXPECT_EQ(button.text, "Stop promotions");
  EXPECT_EQ(content(button).at("id"), "STOP_PROMOS");
  EXPECT_EQ(content(button).at("type"), "button");
  EXPECT_EQ(button.reply_to, "wamid.TPL");
}

TEST(WhatsAppParse, MediaKeepsMetadataForLaterDownload) {
  auto image =
      parse_one(R"({"from":"16505551234","id":"wamid.I","timestamp":"1749416383","type":"image",
    "image":{"caption":"this one","mime_type":"image/jpeg","sha256":"abc=","id":"1003383421387256"}})");
  EXPECT_EQ(image.kind, MessageKind::media);
  EXPECT_EQ(image.text, "this one");
  auto c = content(image);
  const auto& att = c.at("attachments").as_array().at(0).as_object();
  EXPECT_EQ(att.at("type"), "image");
  EXPECT_EQ(att.at("id"), "1003383421387256");
  EXPECT_EQ(att.at("mime_type"), "image/jpeg");
  EXPECT_EQ(att.at("sha256"), "abc=");
  EXPECT_EQ(c.at("caption"), "this one");

  for (const char* type : {"audio", "video", "document", "sticker"}) {
    std::string t = type;
    auto m = parse_one(
        R"({"from":"16505551234","id":"wamid.)" + t + R"(","timestamp":"1","type":")" + t +
        R"(",")" + t +
        R"(":{"id":"55","mime_type":"x/y","filename":"f.pdf","voice":true,"animated":false}})");
    EXPECT_EQ(m.kind, MessageKind::media) << t;
    EXPECT_EQ(content(m).at("attachments").as_array().at(0).at("type"), bj::value(t));
  }
  auto voice = parse_one(R"({"from":"1","id":"w","timestamp":"1","type":"audio",
    "audio":{"id":"55","mime_type":"audio/ogg; codecs=opus","voice":true}})");
  EXPECT_EQ(content(voice).at("attachments").as_array().at(0).at("voice"), true);
}

TEST(WhatsAppParse, LocationContactsAndReferredProduct) {
  auto loc = parse_one(R"({"from":"16505551234","id":"wamid.LOC","timestamp":"1","type":"location",
    "location":{"address":"1 Hacker Way","latitude":37.4837,"longitude":-122.1483,"name":"Meta HQ"}})");
  EXPECT_EQ(loc.kind, MessageKind::location);
  EXPECT_EQ(loc.text, "Location: Meta HQ, 1 Hacker Way");
  EXPECT_DOUBLE_EQ(content(loc).at("latitude").as_double(), 37.4837);
  EXPECT_EQ(content(loc).at("name"), "Meta HQ");

  auto card = parse_one(R"({"from":"16505551234","id":"wamid.C","timestamp":"1","type":"contacts",
    "contacts":[{"name":{"formatted_name":"Barbara Johnson","first_name":"Barbara"},
                 "phones":[{"phone":"+1 (940) 555-1234","wa_id":"19405551234","type":"HOME"}]}]})");
  EXPECT_EQ(card.kind, MessageKind::contacts);
  EXPECT_EQ(card.text, "Contact: Barbara Johnson");
  EXPECT_EQ(content(card).at("contacts").as_array().at(0).at("phones").as_array().size(), 1u);

  auto enquiry = parse_one(R"({"from":"16505551234","id":"wamid.Q","timestamp":"1","type":"text",
    "text":{"body":"Is this in stock?"},
    "context":{"from":"15550783881","id":"wamid.P","referred_product":{"catalog_id":"cat1","product_retailer_id":"SKU1"}}})");
  EXPECT_EQ(content(enquiry).at("referred_product").at("product_retailer_id"), "SKU1");
}

TEST(WhatsAppParse, OrderKeepsStructuredItemsAndMinorUnits) {
  auto order =
      parse_one(R"({"from":"16505551234","id":"wamid.O","timestamp":"1749416383","type":"order",
    "order":{"catalog_id":"194836987003835","text":"please deliver tomorrow","product_items":[
      {"product_retailer_id":"di9ozbzfi4","quantity":2,"item_price":7.99,"currency":"USD"},
      {"product_retailer_id":"nqryix03ez","quantity":1,"item_price":1500,"currency":"JPY"},
      {"product_retailer_id":"kwd","quantity":1,"item_price":0.125,"currency":"KWD"}]}})");
  EXPECT_EQ(order.kind, MessageKind::order);
  EXPECT_EQ(order.text, "Order: 4 items - please deliver tomorrow");
  auto c = content(order);
  EXPECT_EQ(c.at("catalog_id"), "194836987003835");
  const auto& items = c.at("product_items").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].at("product_retailer_id"), "di9ozbzfi4");
  EXPECT_EQ(items[0].at("quantity"), 2);
  EXPECT_DOUBLE_EQ(items[0].at("item_price").as_double(), 7.99);
  EXPECT_EQ(items[0].at("item_price_minor"), 799);
  EXPECT_EQ(items[0].at("currency"), "USD");
  EXPECT_EQ(items[1].at("item_price_minor"), 1500);
  EXPECT_EQ(items[2].at("item_price_minor"), 125);
}

TEST(WhatsAppParse, OrderItemMissingCurrencyNamesThePath) {
  auto batch = parse(one_message(R"({"from":"1","id":"w","timestamp":"1","type":"order",
    "order":{"catalog_id":"c","product_items":[{"product_retailer_id":"a","quantity":1,"item_price":1,"currency":"EUR"},
      {"product_retailer_id":"b","quantity":1,"item_price":2}]}})"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().field,
            "entry[0].changes[0].value.messages[0].order.product_items[1].currency");
  EXPECT_EQ(batch.error().code, "missing_field");
}

TEST(WhatsAppParse, UnsupportedAndUnknownTypesAreNeverEmpty) {
  auto unsupported = parse_one(R"({"from":"1","id":"w1","timestamp":"1","type":"unsupported",
    "errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown"}],
    "unsupported":{"type":"edit"}})");
  EXPECT_EQ(unsupported.kind, MessageKind::unsupported);
  EXPECT_EQ(unsupported.text, "Unsupported WhatsApp message type: edit");
  EXPECT_EQ(content(unsupported).at("error_code"), 131051);

  auto unknown =
      parse_one(R"({"from":"1","id":"w2","timestamp":"1","type":"hologram","hologram":{}})");
  EXPECT_EQ(unknown.kind, MessageKind::unsupported);
  EXPECT_EQ(unknown.text, "Unsupported WhatsApp message type: hologram");

  auto system = parse_one(R"({"from":"1","id":"w3","timestamp":"1","type":"system",
    "system":{"body":"User A changed from 1 to 2","wa_id":"2","type":"user_changed_number"}})");
  EXPECT_EQ(system.kind, MessageKind::unsupported);
  EXPECT_EQ(system.text, "WhatsApp system message: User A changed from 1 to 2");

  auto flow = parse_one(R"({"from":"1","id":"w4","timestamp":"1","type":"interactive",
    "interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"a\":1}"}}})");
  EXPECT_EQ(flow.kind, MessageKind::interactive_reply);
  EXPECT_EQ(content(flow).at("response_json"), "{\"a\":1}");

  auto odd = parse_one(R"({"from":"1","id":"w5","timestamp":"1","type":"interactive",
    "interactive":{"type":"call_permission_reply"}})");
  EXPECT_EQ(odd.kind, MessageKind::unsupported);
  EXPECT_FALSE(odd.text.empty());
}

TEST(WhatsAppParse, RemovedReaction) {
  auto r = parse_one(R"({"from":"1","id":"w","timestamp":"1","type":"reaction",
    "reaction":{"message_id":"wamid.X"}})");
  EXPECT_EQ(r.kind, MessageKind::reaction);
  EXPECT_EQ(content(r).at("removed"), true);
}

TEST(WhatsAppParse, MissingRequiredFieldsNameTheJsonPath) {
  auto no_ts = parse(one_message(R"({"from":"1","id":"w","type":"text","text":{"body":"x"}})"));
  EXPECT_EQ(no_ts.error().field, "entry[0].changes[0].value.messages[0].timestamp");
  auto no_body =
      parse(one_message(R"({"from":"1","id":"w","timestamp":"1","type":"text","text":{}})"));
  EXPECT_EQ(no_body.error().field, "entry[0].changes[0].value.messages[0].text.body");
  auto bad_ts = parse(
      one_message(R"({"from":"1","id":"w","timestamp":"soon","type":"text","text":{"body":"x"}})"));
  EXPECT_EQ(bad_ts.error().field, "entry[0].changes[0].value.messages[0].timestamp");
  EXPECT_EQ(parse(R"({"object":"page","entry":[]})").error().field, "object");
  EXPECT_EQ(parse(R"({"object":"whatsapp_business_account"})").error().field, "entry");
  EXPECT_EQ(parse("not json").error().code, "invalid_json");
  auto status =
      parse(R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
    "value":{"statuses":[{"id":"w","timestamp":"1"}]}}]}]})");
  EXPECT_EQ(status.error().field, "entry[0].changes[0].value.statuses[0].status");
}

TEST(WhatsAppParse, IgnoresUnknownFieldsAndOtherSubscriptions) {
  auto batch =
      parse(R"({"object":"whatsapp_business_account","new_top":1,"entry":[{"id":"1","changes":[
    {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}},
    {"field":"messages","value":{"future":{"x":[1,2]},"messages":[{"from":"1","id":"w","timestamp":"1",
      "type":"text","text":{"body":"hi","extra":true},"username":"@sheena"}]}}]}]})");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->messages.size(), 1u);
}

// --- outbound -------------------------------------------------------------------------------

bj::value body_of(const HttpRequest& r) { return bj::parse(r.body); }

TEST(WhatsAppSend, Text) {
  OutboundMessage msg;
  msg.text = "Hello";
  msg.reply_to = "wamid.IN";
  auto req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->url, "https://graph.example/v21.0/106540352242922/messages");
  EXPECT_EQ(req->headers[0].first, "Authorization");
  EXPECT_EQ(req->headers[0].second, "Bearer EAAG-token");
  EXPECT_EQ(body_of(*req),
            bj::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
    "to":"16505551234","context":{"message_id":"wamid.IN"},"type":"text",
    "text":{"preview_url":false,"body":"Hello"}})"));
}

TEST(WhatsAppSend, ReplyButtons) {
  OutboundMessage msg;
  msg.text = "Which size?";
  msg.choices = {{"s", "Small", ""}, {"m", "Medium", ""}, {"l", "Large", ""}};
  auto req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req),
            bj::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
    "to":"16505551234","type":"interactive","interactive":{"type":"button","body":{"text":"Which size?"},
    "action":{"buttons":[{"type":"reply","reply":{"id":"s","title":"Small"}},
                         {"type":"reply","reply":{"id":"m","title":"Medium"}},
                         {"type":"reply","reply":{"id":"l","title":"Large"}}]}}})"));
}

TEST(WhatsAppSend, MoreThanThreeChoicesBecomeAList) {
  OutboundMessage msg;
  msg.text = "Pick a color";
  msg.choices_label = "Colors";
  for (int i = 0; i < 5; ++i)
    msg.choices.push_back({"c" + std::to_string(i), "Color " + std::to_string(i), ""});
  msg.choices[0].description = "Best seller";
  auto req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok());
  auto b = body_of(*req);
  const auto& it = b.at("interactive");
  EXPECT_EQ(it.at("type"), "list");
  EXPECT_EQ(it.at("action").at("button"), "Colors");
  const auto& rows = it.at("action").at("sections").as_array().at(0).at("rows").as_array();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], bj::parse(R"({"id":"c0","title":"Color 0","description":"Best seller"})"));
}

TEST(WhatsAppSend, TooManyChoicesDegradeToNumberedText) {
  OutboundMessage msg;
  msg.text = "Pick";
  for (int i = 1; i <= 11; ++i)
    msg.choices.push_back({"id" + std::to_string(i), "Opt " + std::to_string(i), ""});
  auto req = build_send(test_settings(), "1", msg);
  ASSERT_TRUE(req.ok());
  auto b = body_of(*req);
  EXPECT_EQ(b.at("type"), "text");
  std::string text(b.at("text").at("body").as_string());
  EXPECT_EQ(text.rfind("Pick\n\n1. Opt 1\n2. Opt 2\n", 0), 0u);
  EXPECT_NE(text.find("\n11. Opt 11"), std::string::npos);
}

TEST(WhatsAppSend, LongButtonTitlesUseAListAndLongerOnesText) {
  OutboundMessage msg;
  msg.text = "Pick";
  msg.choices = {{"a", "A title of 22 letters!", ""}};  // > 20 (button) but <= 24 (row)
  auto list = build_send(test_settings(), "1", msg);
  EXPECT_EQ(body_of(*list).at("interactive").at("type"), "list");
  msg.choices = {{"a", "A title that is far too long for a row", ""}};
  auto text = build_send(test_settings(), "1", msg);
  EXPECT_EQ(body_of(*text).at("type"), "text");
}

TEST(WhatsAppSend, LinkAloneIsACtaButtonAndWithChoicesGoesInTheBody) {
  OutboundMessage msg;
  msg.text = "Your order is ready";
  msg.link = LinkButton{"Pay now", "https://pay.example/l/abc"};
  auto cta = build_send(test_settings(), "1", msg);
  ASSERT_TRUE(cta.ok());
  EXPECT_EQ(body_of(*cta).at("interactive"),
            bj::parse(R"({"type":"cta_url","body":{"text":"Your order is ready"},
    "action":{"name":"cta_url","parameters":{"display_text":"Pay now","url":"https://pay.example/l/abc"}}})"));

  msg.choices = {{"yes", "Yes", ""}};
  auto both = build_send(test_settings(), "1", msg);
  auto b = body_of(*both);
  EXPECT_EQ(b.at("interactive").at("type"), "button");
  EXPECT_EQ(b.at("interactive").at("body").at("text"),
            "Your order is ready\n\nPay now: https://pay.example/l/abc");

  msg.choices.clear();
  msg.link->title = "A label longer than twenty";
  auto degraded = build_send(test_settings(), "1", msg);
  EXPECT_EQ(body_of(*degraded).at("text"), bj::parse(R"({"preview_url":true,
    "body":"Your order is ready\n\nA label longer than twenty: https://pay.example/l/abc"})"));
}

TEST(WhatsAppSettings, CatalogIdIsOptionalAndNumeric) {
  auto ok = parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t","app_secret":"s",
      "verify_token":"v","catalog_id":"987654321"})").as_object());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->catalog_id, "987654321");
  auto bad = parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t","app_secret":"s",
      "verify_token":"v","catalog_id":"../x"})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "settings.catalog_id");
}

TEST(WhatsAppSend, ProductCards) {
  OutboundMessage msg;
  msg.text = "Trail runner\n€129.00 · In stock";
  msg.card = ProductCard{"TR-42", "Trail runner", "€129.00 · In stock", "", "https://img.example/r.jpg", true};
  msg.choices = {{"buy:TR-42", "Add to cart", ""}};
  // Without a catalog: reply button under the image header.
  auto req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(body_of(*req).as_object().at("interactive"),
            bj::parse(R"({"type":"button","header":{"type":"image","image":{"link":"https://img.example/r.jpg"}},
    "body":{"text":"Trail runner\n€129.00 · In stock"},
    "action":{"buttons":[{"type":"reply","reply":{"id":"buy:TR-42","title":"Add to cart"}}]}})"));
  // With the shop's catalog: the single-product message, WhatsApp shows the catalog's item.
  Settings s = test_settings();
  s.catalog_id = "555";
  req = build_send(s, "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req).as_object().at("interactive"),
            bj::parse(R"({"type":"product","body":{"text":"€129.00 · In stock"},
    "action":{"catalog_id":"555","product_retailer_id":"TR-42"}})"));
  // Too long for an interactive body: plain text, nothing lost.
  msg.text = std::string(1100, 'x');
  req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req).as_object().at("type").as_string(), "text");
}

TEST(WhatsAppSend, SeveralProductsAreTheCatalogsMultiProductMessage) {
  OutboundMessage msg;
  msg.text = "Two ideas\n\n1. Trail runner\n€129.00 · In stock\n\n2. Socks\n€9.00 · In stock";
  ProductList list{"Our picks for you", "Two ideas", {}};
  list.items.push_back({ProductCard{"TR-42", "Trail runner", "€129.00 · In stock", "", "https://img.example/r.jpg", true},
                        std::nullopt, std::nullopt});
  list.items.push_back({ProductCard{"SOCK", "Socks", "€9.00 · In stock", "", "", true}, std::nullopt, std::nullopt});
  msg.products = list;
  Settings s = test_settings();
  s.catalog_id = "555";
  auto req = build_send(s, "16505551234", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(body_of(*req).as_object().at("type").as_string(), "interactive");
  EXPECT_EQ(body_of(*req).as_object().at("interactive"),
            bj::parse(R"({"type":"product_list","header":{"type":"text","text":"Our picks for you"},
    "body":{"text":"Two ideas"},
    "action":{"catalog_id":"555","sections":[{"title":"Our picks for you",
      "product_items":[{"product_retailer_id":"TR-42"},{"product_retailer_id":"SOCK"}]}]}})"));
  // No intro: the heading is the body too.
  msg.products->intro.clear();
  req = build_send(s, "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req).as_object().at("interactive").at("body").at("text").as_string(), "Our picks for you");
  // A product without a SKU is not in the catalog, and without a catalog there is no multi-product
  // message: the numbered text list.
  msg.products->items[1].card.sku.clear();
  req = build_send(s, "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req).as_object().at("type").as_string(), "text");
  EXPECT_EQ(body_of(*req).as_object().at("text").at("body").as_string(), msg.text);
  msg.products->items[1].card.sku = "SOCK";
  req = build_send(test_settings(), "16505551234", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(body_of(*req).as_object().at("type").as_string(), "text");
}

TEST(WhatsAppSend, Validation) {
  OutboundMessage msg;
  EXPECT_EQ(build_send(test_settings(), "1", msg).error().field, "text");
  msg.text = std::string(4097, 'x');
  EXPECT_EQ(build_send(test_settings(), "1", msg).error().code, "text_too_long");
  msg.text = "ok";
  EXPECT_EQ(build_send(test_settings(), "", msg).error().field, "to");
  msg.link = LinkButton{"Pay", "javascript:alert(1)"};
  EXPECT_EQ(build_send(test_settings(), "1", msg).error().field, "link.url");
  msg.link.reset();
  msg.choices = {{"", "x", ""}};
  EXPECT_EQ(build_send(test_settings(), "1", msg).error().field, "choices[0].id");
}

TEST(WhatsAppSend, ParsesSendResponses) {
  auto ok = parse_send_response(200, R"({"messaging_product":"whatsapp",
    "contacts":[{"input":"+16505551234","wa_id":"16505551234"}],
    "messages":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA"}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA");

  auto limited = parse_send_response(400, R"({"error":{"message":"(#130429) Rate limit hit",
    "type":"OAuthException","code":130429,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}})");
  EXPECT_EQ(limited.error().errc, Errc::rate_limited);
  EXPECT_NE(limited.error().message.find("130429"), std::string::npos);
  auto window =
      parse_send_response(400, R"({"error":{"message":"Re-engagement message","code":131047}})");
  EXPECT_EQ(window.error().code, "outside_window");
  EXPECT_EQ(parse_send_response(401, R"({"error":{"code":190}})").error().errc,
            Errc::unauthenticated);
  EXPECT_EQ(parse_send_response(502, "<html>").error().errc, Errc::unavailable);
  EXPECT_EQ(parse_send_response(200, "{}").error().code, "provider_bad_response");
}

// --- outbound files ---------------------------------------------------------------------------

using channels::testing::file;
constexpr int64_t MB = 1024 * 1024;

std::vector<bj::value> bodies(const std::vector<HttpRequest>& reqs) {
  std::vector<bj::value> out;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.url, "https://graph.example/v21.0/106540352242922/messages");
    out.push_back(bj::parse(r.body));
  }
  return out;
}

TEST(WhatsAppFiles, OneImageWithTheTextAsCaption) {
  OutboundMessage msg;
  msg.text = "Your invoice photo";
  msg.reply_to = "wamid.IN";
  msg.attachments = {file("photo.jpg", "image/jpeg", 2 * MB)};
  auto reqs = build_sends(test_settings(), "16505551234", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ(bodies(*reqs)[0], bj::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
    "to":"16505551234","context":{"message_id":"wamid.IN"},"type":"image",
    "image":{"link":"https://shop.example/media/m1/photo.jpg?exp=1&sig=ab","caption":"Your invoice photo"}})"));
  // build_send is the first of them.
  EXPECT_EQ(build_send(test_settings(), "16505551234", msg)->body, (*reqs)[0].body);
}

TEST(WhatsAppFiles, OneMessagePerFileDocumentsKeepTheirNameAudioHasNoCaption) {
  OutboundMessage msg;
  msg.attachments = {file("invoice.pdf", "application/pdf", 3 * MB), file("clip.mp4", "video/mp4", MB),
                     file("note.ogg", "audio/ogg", MB)};
  auto b = bodies(*build_sends(test_settings(), "16505551234", msg));
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].at("type"), "document");
  EXPECT_EQ(b[0].at("document"), bj::parse(R"({"link":"https://shop.example/media/m1/invoice.pdf?exp=1&sig=ab","filename":"invoice.pdf"})"));
  EXPECT_EQ(b[1].at("type"), "video");
  EXPECT_EQ(b[1].at("video"), bj::parse(R"({"link":"https://shop.example/media/m1/clip.mp4?exp=1&sig=ab"})"));
  EXPECT_EQ(b[2].at("type"), "audio");
  EXPECT_EQ(b[2].at("audio"), bj::parse(R"({"link":"https://shop.example/media/m1/note.ogg?exp=1&sig=ab"})"));
  for (const auto& x : b) EXPECT_FALSE(x.as_object().contains("context"));

  // Audio takes no caption: the text goes first as a text message, with the reply context.
  msg.text = "Listen";
  msg.reply_to = "wamid.IN";
  msg.attachments = {file("note.ogg", "audio/ogg", MB)};
  b = bodies(*build_sends(test_settings(), "16505551234", msg));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].at("text").at("body"), "Listen");
  EXPECT_EQ(b[0].at("context").at("message_id"), "wamid.IN");
  EXPECT_FALSE(b[1].as_object().contains("context"));
  EXPECT_FALSE(b[1].at("audio").as_object().contains("caption"));
}

TEST(WhatsAppFiles, WhatItCannotTakeGoesAsALinkNeverDropped) {
  OutboundMessage msg;
  msg.text = "Here you are";
  msg.attachments = {file("big.png", "image/png", 5 * MB + 1), file("data.zip", "application/zip", 10),
                     file("ok.png", "image/png", 10)};
  auto b = bodies(*build_sends(test_settings(), "16505551234", msg));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].at("type"), "image");
  EXPECT_EQ(b[0].at("image").at("caption"),
            "Here you are\n\nbig.png: https://shop.example/media/m1/big.png?exp=1&sig=ab\n"
            "data.zip: https://shop.example/media/m1/data.zip?exp=1&sig=ab");
  // Nothing it can take: one text message with the links.
  msg.attachments = {file("data.zip", "application/zip", 10)};
  b = bodies(*build_sends(test_settings(), "16505551234", msg));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].at("text").at("body"), "Here you are\n\ndata.zip: https://shop.example/media/m1/data.zip?exp=1&sig=ab");
  msg.text.clear();
  b = bodies(*build_sends(test_settings(), "16505551234", msg));
  EXPECT_EQ(b[0].at("text").at("body"), "data.zip: https://shop.example/media/m1/data.zip?exp=1&sig=ab");
}

TEST(WhatsAppFiles, CaptionLimitAndButtonsSendTheTextFirst) {
  OutboundMessage msg;
  msg.text = std::string(1024, 'a');
  msg.attachments = {file("photo.jpg", "image/jpeg", 10)};
  auto b = bodies(*build_sends(test_settings(), "1", msg));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].at("image").at("caption").as_string().size(), 1024u);
  msg.text += "b";  // 1025 characters: too long for a caption
  b = bodies(*build_sends(test_settings(), "1", msg));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].at("type"), "text");
  EXPECT_FALSE(b[1].at("image").as_object().contains("caption"));
  // Reply buttons stay on the text message; the file follows.
  msg.text = "Which one?";
  msg.choices = {{"a", "A", ""}, {"b", "B", ""}};
  b = bodies(*build_sends(test_settings(), "1", msg));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].at("type"), "interactive");
  EXPECT_EQ(b[1].at("type"), "image");
}

TEST(WhatsAppFiles, Validation) {
  OutboundMessage msg;
  msg.attachments = {file("a.pdf", "application/pdf", 10)};
  msg.attachments[0].public_url.clear();
  EXPECT_EQ(build_sends(test_settings(), "1", msg).error().field, "attachments[0].public_url");
  msg.attachments[0].public_url = "ftp://x/y";
  EXPECT_EQ(build_sends(test_settings(), "1", msg).error().field, "attachments[0].public_url");
  msg.attachments[0].public_url = "https://x/y";
  msg.attachments[0].filename.clear();
  EXPECT_EQ(build_sends(test_settings(), "1", msg).error().field, "attachments[0].filename");
  msg.attachments.clear();
  EXPECT_EQ(build_sends(test_settings(), "1", msg).error().field, "text");
}

}  // namespace
}  // namespace bottega::channels::whatsapp
