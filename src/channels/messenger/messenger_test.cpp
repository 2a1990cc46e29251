#include "channels/messenger/messenger.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/attachments_testing.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::messenger {
namespace {

namespace bj = boost::json;

Settings test_settings() {
  Settings s;
  s.page_id = "1234567890";
  s.page_access_token = "EAAB token/+=";
  s.app_secret = "page-app-secret";
  s.verify_token = "vt";
  s.api_base_url = "https://graph.example/v21.0";
  return s;
}

bj::object content(const InboundMessage& m) { return bj::parse(m.content_json).as_object(); }

TEST(MessengerVerify, OfficialVectorAndTamperedBody) {
  Settings s = test_settings();
  s.app_secret = "It's a Secret to Everybody";
  WebhookRequest req;
  req.body = "Hello, World!";
  req.headers = {{"x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}};
  EXPECT_TRUE(verify(req, s).ok());
  req.body = "Hello, World?";
  EXPECT_EQ(verify(req, s).error().code, "bad_signature");
  req.headers.clear();
  EXPECT_EQ(verify(req, s).error().code, "missing_signature");
}

TEST(MessengerVerify, SubscriptionHandshake) {
  auto ok = verify_subscription("hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42", "vt");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "42");
  EXPECT_EQ(verify_subscription("hub.mode=subscribe&hub.verify_token=VT&hub.challenge=42", "vt")
                .error()
                .errc,
            Errc::forbidden);
}

TEST(MessengerSettings, ErrorsNameTheField) {
  auto ok = parse_settings(bj::parse(R"({"page_id":"1","page_access_token":"t","app_secret":"s",
    "verify_token":"v"})")
                               .as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->api_base_url, "https://graph.facebook.com/v21.0");
  auto missing = parse_settings(bj::parse(R"({"page_id":"1","page_access_token":"t",
    "verify_token":"v"})")
                                    .as_object());
  EXPECT_EQ(missing.error().field, "settings.app_secret");
  auto empty = parse_settings(bj::parse(R"({"page_id":"","page_access_token":"t","app_secret":"s",
    "verify_token":"v"})")
                                  .as_object());
  EXPECT_EQ(empty.error().field, "settings.page_id");
}

// Two entries; each messaging array holds events of every kind.
constexpr const char* kBatch = R"({
  "object": "page",
  "entry": [
    { "id": "1234567890", "time": 1458692752478,
      "messaging": [
        { "sender": {"id": "PSID1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752478,
          "message": {"mid": "m_text", "text": "hello, world!"} },
        { "sender": {"id": "PSID1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752479,
          "message": {"mid": "m_qr", "text": "Red", "quick_reply": {"payload": "COLOR_RED"}} },
        { "sender": {"id": "PSID1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752480,
          "message": {"mid": "m_img", "attachments": [
            {"type": "image", "payload": {"url": "https://cdn.example/a.jpg"}},
            {"type": "file", "payload": {"url": "https://cdn.example/b.pdf"}}]} }
      ] },
    { "id": "1234567890", "time": 1458692752500,
      "messaging": [
        { "sender": {"id": "1234567890"}, "recipient": {"id": "PSID2"}, "timestamp": 1458692752500,
          "message": {"mid": "m_echo", "is_echo": true, "app_id": 1517776481860111,
                      "metadata": "bottega:msg_42", "text": "Thanks!"} },
        { "sender": {"id": "PSID2"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752501,
          "postback": {"mid": "m_pb", "title": "Buy now", "payload": "BUY_SKU_1"} },
        { "sender": {"id": "PSID2"}, "recipient": {"id": "1234567890"},
          "delivery": {"mids": ["m_out1", "m_out2"], "watermark": 1458668856253} },
        { "sender": {"id": "PSID2"}, "recipient": {"id": "1234567890"}, "timestamp": 1458668856463,
          "read": {"watermark": 1458668856253} },
        { "sender": {"id": "PSID2"}, "recipient": {"id": "1234567890"}, "timestamp": 1458668856470,
          "reaction": {"mid": "m_out1", "action": "react", "reaction": "love", "emoji": "\u2764"} },
        { "sender": {"id": "PSID2"}, "recipient": {"id": "1234567890"}, "timestamp": 1458668856480,
          "optin": {"ref": "x"} }
      ] }
  ]
})";

TEST(MessengerParse, NormalizesEveryEntryAndEvent) {
  auto batch = parse(kBatch);
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 6u);
  ASSERT_EQ(batch->statuses.size(), 3u);

  const auto& text = batch->messages[0];
  EXPECT_EQ(text.provider_message_id, "m_text");
  EXPECT_EQ(text.contact_external_id, "PSID1");
  EXPECT_EQ(text.account_id, "1234567890");
  EXPECT_EQ(text.timestamp_ms, 1458692752478);
  EXPECT_EQ(text.kind, MessageKind::text);
  EXPECT_EQ(text.text, "hello, world!");
  EXPECT_FALSE(text.echo);

  const auto& qr = batch->messages[1];
  EXPECT_EQ(qr.kind, MessageKind::interactive_reply);
  EXPECT_EQ(qr.text, "Red");
  EXPECT_EQ(content(qr).at("id"), "COLOR_RED");
  EXPECT_EQ(content(qr).at("type"), "quick_reply");

  const auto& img = batch->messages[2];
  EXPECT_EQ(img.kind, MessageKind::media);
  const bj::object img_content = content(img);
  const auto& atts = img_content.at("attachments").as_array();
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(atts[0].at("url"), "https://cdn.example/a.jpg");
  EXPECT_EQ(atts[1].at("type"), "file");

  const auto& echo = batch->messages[3];
  EXPECT_TRUE(echo.echo);
  EXPECT_EQ(echo.contact_external_id, "PSID2");  // the user, not our page
  EXPECT_EQ(echo.account_id, "1234567890");
  EXPECT_EQ(content(echo).at("metadata"), "bottega:msg_42");

  const auto& pb = batch->messages[4];
  EXPECT_EQ(pb.provider_message_id, "m_pb");
  EXPECT_EQ(pb.kind, MessageKind::interactive_reply);
  EXPECT_EQ(pb.text, "Buy now");
  EXPECT_EQ(content(pb).at("id"), "BUY_SKU_1");
  EXPECT_EQ(content(pb).at("type"), "postback");

  const auto& reaction = batch->messages[5];
  EXPECT_EQ(reaction.kind, MessageKind::reaction);
  EXPECT_EQ(reaction.reply_to, "m_out1");
  EXPECT_EQ(reaction.text, "\xE2\x9D\xA4");
  EXPECT_EQ(reaction.provider_message_id, "reaction:m_out1:PSID2:1458668856470");

  EXPECT_EQ(batch->statuses[0].provider_message_id, "m_out1");
  EXPECT_EQ(batch->statuses[0].state, DeliveryState::delivered);
  EXPECT_EQ(batch->statuses[0].timestamp_ms, 1458668856253);
  EXPECT_EQ(batch->statuses[1].provider_message_id, "m_out2");
  const auto& read = batch->statuses[2];
  EXPECT_TRUE(read.watermark);
  EXPECT_EQ(read.state, DeliveryState::read);
  EXPECT_TRUE(read.provider_message_id.empty());
  EXPECT_EQ(read.contact_external_id, "PSID2");
  EXPECT_EQ(read.timestamp_ms, 1458668856253);
}

std::string wrap(const std::string& event) {
  return R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[)" + event + "]}]}";
}

TEST(MessengerParse, DeliveryWithoutMidsIsAWatermark) {
  auto batch = parse(wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},
    "delivery":{"watermark":1458668856253}})"));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->statuses.size(), 1u);
  EXPECT_TRUE(batch->statuses[0].watermark);
  EXPECT_EQ(batch->statuses[0].state, DeliveryState::delivered);
}

TEST(MessengerParse, StandbyEventsAndUserRefSenders) {
  auto batch = parse(R"({"object":"page","entry":[{"id":"1","time":1,"standby":[
    {"sender":{"user_ref":"UREF"},"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m1","text":"hi"}}]}]})");
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->messages.size(), 1u);
  EXPECT_EQ(batch->messages[0].contact_external_id, "UREF");
}

TEST(MessengerParse, LocationFallbackAndUnknownAttachments) {
  auto loc = parse(wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"timestamp":5,
    "message":{"mid":"m1","attachments":[{"type":"location","payload":{"coordinates":{"lat":52.37,"long":4.89}}}]}})"));
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->messages[0].kind, MessageKind::location);
  EXPECT_DOUBLE_EQ(content(loc->messages[0]).at("longitude").as_double(), 4.89);

  auto fallback = parse(wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"timestamp":5,
    "message":{"mid":"m2","text":"look","attachments":[{"type":"fallback","title":"A page","payload":{"url":"https://x.example"}}]}})"));
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->messages[0].kind, MessageKind::unsupported);
  EXPECT_EQ(fallback->messages[0].text, "Unsupported Messenger attachment: fallback");
  EXPECT_EQ(content(fallback->messages[0]).at("attachments").as_array()[0].at("url"),
            "https://x.example");

  auto empty = parse(
      wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m3"}})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->messages[0].kind, MessageKind::unsupported);
  EXPECT_FALSE(empty->messages[0].text.empty());
}

TEST(MessengerParse, PostbackWithoutMidGetsAStableId) {
  auto batch = parse(wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"timestamp":77,
    "postback":{"title":"Get Started","payload":"GET_STARTED","referral":{"ref":"ad1","source":"ADS","type":"OPEN_THREAD"}}})"));
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->messages[0].provider_message_id, "postback:P:77");
  EXPECT_EQ(content(batch->messages[0]).at("referral").at("ref"), "ad1");
}

TEST(MessengerParse, ErrorsNameTheJsonPath) {
  EXPECT_EQ(
      parse(
          wrap(
              R"({"sender":{"id":"P"},"recipient":{"id":"1"},"timestamp":5,"message":{"text":"x"}})"))
          .error()
          .field,
      "entry[0].messaging[0].message.mid");
  EXPECT_EQ(
      parse(wrap(R"({"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m","text":"x"}})"))
          .error()
          .field,
      "entry[0].messaging[0].sender");
  EXPECT_EQ(
      parse(
          wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"message":{"mid":"m","text":"x"}})"))
          .error()
          .field,
      "entry[0].messaging[0].timestamp");
  EXPECT_EQ(
      parse(wrap(R"({"sender":{"id":"P"},"recipient":{"id":"1"},"delivery":{}})")).error().field,
      "entry[0].messaging[0].delivery.watermark");
  EXPECT_EQ(parse(R"({"object":"instagram","entry":[]})").error().field, "object");
}

// --- outbound -------------------------------------------------------------------------------

TEST(MessengerSend, TextUsesPageTokenAndResponseType) {
  OutboundMessage msg;
  msg.text = "Hello";
  auto req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->url, "https://graph.example/v21.0/me/messages?access_token=EAAB%20token%2F%2B%3D");
  EXPECT_EQ(bj::parse(req->body),
            bj::parse(R"({"recipient":{"id":"PSID1"},"messaging_type":"RESPONSE",
    "message":{"text":"Hello"}})"));
}

TEST(MessengerSend, ChoicesAreQuickReplies) {
  OutboundMessage msg;
  msg.text = "Color?";
  msg.choices = {{"RED", "Red", ""}, {"BLUE", "Blue", ""}};
  auto req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(bj::parse(req->body).at("message"), bj::parse(R"({"text":"Color?","quick_replies":[
    {"content_type":"text","title":"Red","payload":"RED"},
    {"content_type":"text","title":"Blue","payload":"BLUE"}]})"));
}

TEST(MessengerSend, LinkWithFewChoicesIsAButtonTemplate) {
  OutboundMessage msg;
  msg.text = "Total 25.99 EUR";
  msg.choices = {{"CANCEL", "Cancel", ""}};
  msg.link = LinkButton{"Pay now", "https://pay.example/l/1"};
  auto req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(bj::parse(req->body).at("message"), bj::parse(R"({"attachment":{"type":"template",
    "payload":{"template_type":"button","text":"Total 25.99 EUR","buttons":[
      {"type":"postback","title":"Cancel","payload":"CANCEL"},
      {"type":"web_url","url":"https://pay.example/l/1","title":"Pay now"}]}}})"));
}

TEST(MessengerSend, DegradesWhatDoesNotFit) {
  OutboundMessage msg;
  msg.text = "Pick";
  for (int i = 1; i <= 14; ++i)
    msg.choices.push_back({"p" + std::to_string(i), "Item " + std::to_string(i), ""});
  msg.link = LinkButton{"Catalog", "https://shop.example/c"};
  auto req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok());
  auto m = bj::parse(req->body).at("message");
  EXPECT_FALSE(m.as_object().contains("quick_replies"));
  std::string text(m.at("text").as_string());
  EXPECT_NE(text.find("\n14. Item 14"), std::string::npos);
  EXPECT_NE(text.find("\n\nCatalog: https://shop.example/c"), std::string::npos);

  msg.choices.resize(3);  // three choices + link > 3 template buttons: quick replies + link text
  auto qr = build_send(test_settings(), "PSID1", msg);
  auto q = bj::parse(qr->body).at("message");
  EXPECT_EQ(q.at("quick_replies").as_array().size(), 3u);
  EXPECT_EQ(q.at("text"), "Pick\n\nCatalog: https://shop.example/c");

  OutboundMessage long_text;
  long_text.text = std::string(2001, 'a');
  EXPECT_EQ(build_send(test_settings(), "PSID1", long_text).error().code, "text_too_long");
}

TEST(MessengerSend, SeveralProductsAreAGenericTemplateCarousel) {
  OutboundMessage msg;
  msg.text = "Our picks\n\n1. Trail runner ...";
  ProductList list{"Our picks", "", {}};
  list.items.push_back({ProductCard{"TR-42", "Trail runner", "€129.00 · In stock", "Light", "https://img.example/r.jpg", true},
                        LinkButton{"View product", "https://shop.example/tr"}, ReplyChoice{"buy:TR-42", "Add to cart", ""}});
  list.items.push_back({ProductCard{"BT-1", "Boot", "€99.00 · Out of stock", "", "", false}, std::nullopt, std::nullopt});
  msg.products = list;
  auto req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(bj::parse(req->body).at("message"), bj::parse(R"({"attachment":{"type":"template",
    "payload":{"template_type":"generic","elements":[
      {"title":"Trail runner","subtitle":"€129.00 · In stock\nLight","image_url":"https://img.example/r.jpg",
       "default_action":{"type":"web_url","url":"https://shop.example/tr"},
       "buttons":[{"type":"web_url","url":"https://shop.example/tr","title":"View product"},
                  {"type":"postback","title":"Add to cart","payload":"buy:TR-42"}]},
      {"title":"Boot","subtitle":"€99.00 · Out of stock"}]}}})"));
  // More than a carousel holds (10): the text list.
  for (int i = 0; i < 9; ++i) msg.products->items.push_back(list.items[1]);
  req = build_send(test_settings(), "PSID1", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(bj::parse(req->body).at("message"), bj::parse(R"({"text":"Our picks\n\n1. Trail runner ..."})"));
}

TEST(MessengerSend, HumanAgentTag) {
  OutboundMessage msg;
  msg.text = "Sorry for the wait";
  msg.human_agent = true;
  auto req = build_send(test_settings(), "PSID1", msg);
  auto b = bj::parse(req->body);
  EXPECT_EQ(b.at("messaging_type"), "MESSAGE_TAG");
  EXPECT_EQ(b.at("tag"), "HUMAN_AGENT");
}

TEST(MessengerSend, ParsesSendResponses) {
  auto ok = parse_send_response(
      200, R"({"recipient_id":"1254477777772919","message_id":"AG5Hz2Uq7tuw"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "AG5Hz2Uq7tuw");
  auto window = parse_send_response(
      400, R"({"error":{"message":"(#10) This message is sent outside of allowed window.",
    "type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"x"}})");
  EXPECT_EQ(window.error().code, "outside_window");
  EXPECT_EQ(parse_send_response(400, R"({"error":{"code":613}})").error().errc, Errc::rate_limited);
  EXPECT_EQ(parse_send_response(400, R"({"error":{"code":551}})").error().code,
            "provider_rejected");
}

// --- outbound files ---------------------------------------------------------------------------

using channels::testing::field;
using channels::testing::file;
using channels::testing::form_fields;
constexpr int64_t MB = 1024 * 1024;

TEST(MessengerFiles, TextFirstThenOneMultipartUploadPerFile) {
  OutboundMessage msg;
  msg.text = "Your receipt";
  msg.human_agent = true;
  msg.attachments = {file("receipt.pdf", "application/pdf", 20, "%PDF-1.4 receipt bytes"),
                     file("shoe.png", "image/png", 12, "\x89PNG\r\n\x1a\nabcd")};
  auto reqs = build_sends(test_settings(), "PSID1", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 3u);
  EXPECT_EQ(bj::parse((*reqs)[0].body).at("message"), bj::parse(R"({"text":"Your receipt"})"));
  const char* types[] = {"file", "image"};
  for (size_t i = 1; i < 3; ++i) {
    const HttpRequest& r = (*reqs)[i];
    EXPECT_EQ(r.url, "https://graph.example/v21.0/me/messages?access_token=EAAB%20token%2F%2B%3D");
    auto f = form_fields(r);
    ASSERT_EQ(f.size(), 5u);
    EXPECT_EQ(bj::parse(field(f, "recipient")->value), bj::parse(R"({"id":"PSID1"})"));
    EXPECT_EQ(field(f, "messaging_type")->value, "MESSAGE_TAG");
    EXPECT_EQ(field(f, "tag")->value, "HUMAN_AGENT");
    EXPECT_EQ(bj::parse(field(f, "message")->value),
              bj::parse(std::string(R"({"attachment":{"type":")") + types[i - 1] +
                        R"(","payload":{"is_reusable":false}}})"));
    const auto* data = field(f, "filedata");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->filename, msg.attachments[i - 1].filename);
    EXPECT_EQ(data->content_type, msg.attachments[i - 1].mime_type);
    EXPECT_EQ(data->value, *msg.attachments[i - 1].bytes);  // the exact bytes, binary included
  }
}

TEST(MessengerFiles, NoTextNoLeadAndTooLargeGoesAsLink) {
  OutboundMessage msg;
  msg.attachments = {file("a.mp4", "video/mp4", 10)};
  auto reqs = build_sends(test_settings(), "PSID1", msg);
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ(bj::parse(field(form_fields((*reqs)[0]), "message")->value).at("attachment").at("type"), "video");
  msg.attachments = {file("huge.mov", "video/quicktime", 25 * MB + 1)};
  reqs = build_sends(test_settings(), "PSID1", msg);
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ(bj::parse((*reqs)[0].body).at("message").at("text"),
            "huge.mov: https://shop.example/media/m1/huge.mov?exp=1&sig=ab");
  msg.attachments[0].public_url.clear();  // too large and nothing to link to
  EXPECT_EQ(build_sends(test_settings(), "PSID1", msg).error().field, "attachments");
  msg.attachments = {file("a.pdf", "application/pdf", 10)};
  msg.attachments[0].bytes.reset();
  EXPECT_EQ(build_sends(test_settings(), "PSID1", msg).error().field, "attachments[0].bytes");
}

}  // namespace
}  // namespace bottega::channels::messenger
