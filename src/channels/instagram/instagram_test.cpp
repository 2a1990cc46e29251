#include "channels/instagram/instagram.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/attachments_testing.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::instagram {
namespace {

namespace bj = boost::json;

Settings test_settings() {
  Settings s;
  s.page_id = "17841400000000000";
  s.page_access_token = "IGQ-token";
  s.app_secret = "ig-secret";
  s.verify_token = "vt";
  s.api_base_url = "http://127.0.0.1:9100/v21.0";
  return s;
}

TEST(InstagramVerify, SignatureOverRawBytes) {
  // Meta signs the escaped-unicode form that is on the wire; the raw bytes are what counts.
  std::string body =
      R"({"object":"instagram","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"U"},)"
      R"("recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"\u00e4\u00f6\u00e5"}}]}]})";
  WebhookRequest req;
  req.body = body;
  req.headers = {
      {"x-hub-signature-256", "sha256=" + crypto::hex(crypto::hmac_sha256("ig-secret", body))}};
  EXPECT_TRUE(verify(req, test_settings()).ok());
  auto batch = parse(req.body);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->messages[0].text, "\xC3\xA4\xC3\xB6\xC3\xA5");
  req.body =
      R"({"object":"instagram","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"U"},)"
      R"("recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"äöå"}}]}]})";
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
}

TEST(InstagramSettings, ErrorsNameTheField) {
  auto r = parse_settings(
      bj::parse(R"({"page_id":"1","app_secret":"s","verify_token":"v"})").as_object());
  EXPECT_EQ(r.error().field, "settings.page_access_token");
}

constexpr const char* kBatch = R"({
  "object": "instagram",
  "entry": [
    { "id": "17841400000000000", "time": 1700000000000,
      "messaging": [
        { "sender": {"id": "IGSID1"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000001,
          "message": {"mid": "aWdf1", "text": "Is the bag available?", "reply_to": {"story": {"id": "s1"}}} },
        { "sender": {"id": "17841400000000000"}, "recipient": {"id": "IGSID1"}, "timestamp": 1700000000002,
          "message": {"mid": "aWdf2", "text": "Yes!", "is_echo": true} },
        { "sender": {"id": "IGSID1"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000003,
          "read": {"mid": "aWdf2"} }
      ] },
    { "id": "17841400000000000", "time": 1700000000100,
      "messaging": [
        { "sender": {"id": "IGSID2"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000101,
          "message": {"mid": "aWdf3", "attachments": [{"type": "story_mention", "payload": {"url": "https://cdn.example/s"}}]} },
        { "sender": {"id": "IGSID2"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000102,
          "message": {"mid": "aWdf4", "is_deleted": true} },
        { "sender": {"id": "IGSID2"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000103,
          "message": {"mid": "aWdf5", "is_unsupported": true} },
        { "sender": {"id": "IGSID2"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1700000000104,
          "reaction": {"mid": "aWdf2", "action": "unreact"} }
      ] }
  ]
})";

TEST(InstagramParse, EchoesReadsDeletionsAndUnsupported) {
  auto batch = parse(kBatch);
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 6u);
  ASSERT_EQ(batch->statuses.size(), 1u);

  EXPECT_EQ(batch->messages[0].kind, MessageKind::text);
  EXPECT_EQ(batch->messages[0].contact_external_id, "IGSID1");

  EXPECT_TRUE(batch->messages[1].echo);
  EXPECT_EQ(batch->messages[1].contact_external_id, "IGSID1");

  EXPECT_EQ(batch->statuses[0].provider_message_id, "aWdf2");
  EXPECT_EQ(batch->statuses[0].state, DeliveryState::read);
  EXPECT_FALSE(batch->statuses[0].watermark);
  EXPECT_EQ(batch->statuses[0].timestamp_ms, 1700000000003);

  EXPECT_EQ(batch->messages[2].kind, MessageKind::unsupported);
  EXPECT_EQ(batch->messages[2].text, "Unsupported Instagram attachment: story_mention");

  EXPECT_EQ(batch->messages[3].kind, MessageKind::unsupported);
  EXPECT_EQ(batch->messages[3].provider_message_id, "aWdf4:deleted");
  EXPECT_EQ(batch->messages[3].reply_to, "aWdf4");

  EXPECT_EQ(batch->messages[4].kind, MessageKind::unsupported);
  EXPECT_EQ(batch->messages[4].text, "Unsupported Instagram message");

  const auto& unreact = batch->messages[5];
  EXPECT_EQ(unreact.kind, MessageKind::reaction);
  EXPECT_EQ(bj::parse(unreact.content_json).at("removed"), true);
}

TEST(InstagramParse, RejectsPagePayloads) {
  EXPECT_EQ(parse(R"({"object":"page","entry":[]})").error().field, "object");
}

TEST(InstagramSend, TextAndQuickRepliesWithoutTemplates) {
  OutboundMessage msg;
  msg.text = "Which size?";
  msg.choices = {{"S", "Small", ""}, {"M", "Medium", ""}};
  msg.link = LinkButton{"Size guide", "https://shop.example/sizes"};
  auto req = build_send(test_settings(), "IGSID1", msg);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->url, "http://127.0.0.1:9100/v21.0/me/messages?access_token=IGQ-token");
  EXPECT_EQ(bj::parse(req->body), bj::parse(R"({"recipient":{"id":"IGSID1"},"message":{
    "text":"Which size?\n\nSize guide: https://shop.example/sizes",
    "quick_replies":[{"content_type":"text","title":"Small","payload":"S"},
                     {"content_type":"text","title":"Medium","payload":"M"}]}})"));

  OutboundMessage long_text;
  long_text.text = std::string(1001, 'a');
  EXPECT_EQ(build_send(test_settings(), "IGSID1", long_text).error().code, "text_too_long");
}

TEST(InstagramSend, ParsesSendResponses) {
  EXPECT_EQ(*parse_send_response(200, R"({"recipient_id":"IGSID1","message_id":"aWdfX"})"),
            "aWdfX");
  EXPECT_EQ(parse_send_response(500, "").error().errc, Errc::unavailable);
}

// --- outbound files ---------------------------------------------------------------------------

TEST(InstagramFiles, ImagesVideoAudioAndPdfUploadOthersGoAsLinks) {
  using channels::testing::field;
  using channels::testing::file;
  using channels::testing::form_fields;
  constexpr int64_t MB = 1024 * 1024;
  OutboundMessage msg;
  msg.text = "Look";
  msg.attachments = {file("a.jpg", "image/jpeg", MB), file("b.pdf", "application/pdf", MB),
                     file("c.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 10),
                     file("d.png", "image/png", 8 * MB + 1)};
  auto reqs = build_sends(test_settings(), "IGSID1", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 3u);
  EXPECT_EQ(bj::parse((*reqs)[0].body).at("message").at("text"),
            "Look\n\nc.docx: https://shop.example/media/m1/c.docx?exp=1&sig=ab\n"
            "d.png: https://shop.example/media/m1/d.png?exp=1&sig=ab");
  auto f1 = form_fields((*reqs)[1]);
  EXPECT_EQ(bj::parse(field(f1, "message")->value).at("attachment").at("type"), "image");
  EXPECT_EQ(field(f1, "messaging_type"), nullptr);  // Instagram sends no messaging_type
  auto f2 = form_fields((*reqs)[2]);
  EXPECT_EQ(bj::parse(field(f2, "message")->value).at("attachment").at("type"), "file");
  EXPECT_EQ(field(f2, "filedata")->filename, "b.pdf");
}

}  // namespace
}  // namespace bottega::channels::instagram
