#include "channels/twilio/twilio.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/form.hpp"
#include "channels/attachments_testing.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::twilio {
namespace {

namespace bj = boost::json;

Settings test_settings() {
  return Settings{"AC0123456789abcdef0123456789abcdef", "12345", "+15557122661",
                  "http://127.0.0.1:9300"};
}

// twilio-node spec/validation.spec.js defaultParams, as Twilio posts them (form-encoded).
constexpr const char* kVectorBody =
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309"
    "&To=%2B18005551212";

WebhookRequest vector_request(std::string url, std::string signature) {
  WebhookRequest req;
  req.method = "POST";
  req.url = std::move(url);
  req.body = kVectorBody;
  req.headers = {{"content-type", "application/x-www-form-urlencoded"},
                 {"x-twilio-signature", std::move(signature)}};
  return req;
}

TEST(TwilioVerify, OfficialVectorWithoutPort) {
  EXPECT_TRUE(verify(vector_request("https://mycompany.com/myapp.php?foo=1&bar=2",
                                    "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                     test_settings())
                  .ok());
}

TEST(TwilioVerify, OfficialVectorSignedWith443) {
  // Signed over https://mycompany.com:443/...; we received the URL without the port.
  EXPECT_TRUE(verify(vector_request("https://mycompany.com/myapp.php?foo=1&bar=2",
                                    "kvajT1Ptam85bY51eRf/AJRuM3w="),
                     test_settings())
                  .ok());
  // And the other way round: we see :443, Twilio signed without it.
  EXPECT_TRUE(verify(vector_request("https://mycompany.com:443/myapp.php?foo=1&bar=2",
                                    "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                     test_settings())
                  .ok());
}

TEST(TwilioVerify, OfficialVectorHttpWith80) {
  EXPECT_TRUE(verify(vector_request("http://mycompany.com/myapp.php?foo=1&bar=2",
                                    "0ZXoZLH/DfblKGATFgpif+LLRf4="),
                     test_settings())
                  .ok());
  EXPECT_TRUE(verify(vector_request("http://mycompany.com:80/myapp.php?foo=1&bar=2",
                                    "0ZXoZLH/DfblKGATFgpif+LLRf4="),
                     test_settings())
                  .ok());
}

TEST(TwilioVerify, RejectsTamperingAndOtherPorts) {
  auto tampered =
      vector_request("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  tampered.body = std::string(kVectorBody).replace(tampered.body.find("1234&"), 4, "9999");
  auto st = verify(tampered, test_settings());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "bad_signature");
  EXPECT_EQ(st.error().errc, Errc::unauthenticated);

  auto other_url =
      vector_request("https://mycompany.com/myapp.php?foo=1&bar=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_EQ(verify(other_url, test_settings()).error().code, "bad_signature");

  // The :443 signature is not valid for http, nor the :80 one for https.
  EXPECT_FALSE(verify(vector_request("http://mycompany.com/myapp.php?foo=1&bar=2",
                                     "kvajT1Ptam85bY51eRf/AJRuM3w="),
                      test_settings())
                   .ok());
  EXPECT_FALSE(verify(vector_request("https://mycompany.com/myapp.php?foo=1&bar=2",
                                     "0ZXoZLH/DfblKGATFgpif+LLRf4="),
                      test_settings())
                   .ok());

  Settings wrong = test_settings();
  wrong.auth_token = "54321";
  EXPECT_FALSE(verify(vector_request("https://mycompany.com/myapp.php?foo=1&bar=2",
                                     "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                      wrong)
                   .ok());

  auto missing = vector_request("https://mycompany.com/myapp.php?foo=1&bar=2", "");
  missing.headers.pop_back();
  EXPECT_EQ(verify(missing, test_settings()).error().code, "missing_signature");
}

TEST(TwilioVerify, ParameterOrderOnTheWireDoesNotMatter) {
  auto req =
      vector_request("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  req.body =
      "To=%2B18005551212&From=%2B14158675309&Digits=1234&Caller=%2B14158675309"
      "&CallSid=CA1234567890ABCDE";
  EXPECT_TRUE(verify(req, test_settings()).ok());
}

TEST(TwilioVerify, RepeatedKeysAndGetAndJsonBodies) {
  Settings s = test_settings();
  std::string url = "https://shop.example/webhooks/ch_1";
  // Repeated names: each distinct value, sorted.
  std::string data = url + "MediaUrlaMediaUrlb";
  WebhookRequest req;
  req.method = "POST";
  req.url = url;
  req.body = "MediaUrl=b&MediaUrl=a&MediaUrl=b";
  req.headers = {{"x-twilio-signature", crypto::base64(crypto::hmac_sha1(s.auth_token, data))}};
  EXPECT_TRUE(verify(req, s).ok());

  // GET: only the URL (with its query) is signed.
  WebhookRequest get;
  get.method = "GET";
  get.url = url + "?MessageSid=SM1&Body=hi";
  get.headers = {{"x-twilio-signature", crypto::base64(crypto::hmac_sha1(s.auth_token, get.url))}};
  EXPECT_TRUE(verify(get, s).ok());

  // JSON body: the URL carries bodySHA256 and the body must match it.
  WebhookRequest json;
  json.method = "POST";
  json.body = R"({"a":1})";
  json.url = url + "?bodySHA256=" + crypto::hex(crypto::sha256(json.body));
  json.headers = {
      {"x-twilio-signature", crypto::base64(crypto::hmac_sha1(s.auth_token, json.url))}};
  EXPECT_TRUE(verify(json, s).ok());
  json.body = R"({"a":2})";
  EXPECT_EQ(verify(json, s).error().code, "bad_signature");
}

TEST(TwilioSettings, ErrorsNameTheField) {
  auto ok = parse_settings(
      bj::parse(R"({"account_sid":"AC1","auth_token":"t","from":"whatsapp:+15551234567"})")
          .as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->api_base_url, "https://api.twilio.com");
  EXPECT_EQ(parse_settings(bj::parse(R"({"account_sid":"AC1","auth_token":"t"})").as_object())
                .error()
                .field,
            "settings.from");
  EXPECT_EQ(parse_settings(
                bj::parse(R"({"account_sid":"AC1/x","auth_token":"t","from":"+1"})").as_object())
                .error()
                .field,
            "settings.account_sid");
}

// --- parse ----------------------------------------------------------------------------------

TEST(TwilioParse, SmsText) {
  auto batch = parse(
      "ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0"
      "&ToCity=&FromZip=94105&SmsSid=SM11111111111111111111111111111111&FromState=CA"
      "&SmsStatus=received&FromCity=SAN+FRANCISCO&Body=Hello+there%21+%C3%A9%26%3D&FromCountry=US"
      "&To=%2B15557122661&ToZip=&NumSegments=1&MessageSid=SM11111111111111111111111111111111"
      "&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155551234&ApiVersion=2010-04-01");
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 1u);
  EXPECT_TRUE(batch->statuses.empty());
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "SM11111111111111111111111111111111");
  EXPECT_EQ(m.contact_external_id, "+14155551234");
  EXPECT_EQ(m.account_id, "+15557122661");
  EXPECT_EQ(m.kind, MessageKind::text);
  EXPECT_EQ(m.text, "Hello there! \xC3\xA9&=");
  EXPECT_EQ(m.timestamp_ms, 0);
}

TEST(TwilioParse, WhatsAppMediaMessage) {
  auto batch = parse(
      "MessageSid=MM22222222222222222222222222222222&SmsStatus=received&NumMedia=2"
      "&MediaContentType0=image%2Fjpeg"
      "&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM2%"
      "2FMedia%2FME1"
      "&MediaContentType1=application%2Fpdf"
      "&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM2%"
      "2FMedia%2FME2"
      "&Body=two+files&From=whatsapp%3A%2B5511999990000&To=whatsapp%3A%2B15557122661"
      "&ProfileName=Ana+Souza&WaId=5511999990000&MessageType=image&OriginalRepliedMessageSid=SM9");
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.kind, MessageKind::media);
  EXPECT_EQ(m.text, "two files");
  EXPECT_EQ(m.contact_external_id, "whatsapp:+5511999990000");
  EXPECT_EQ(m.contact_name, "Ana Souza");
  EXPECT_EQ(m.reply_to, "SM9");
  auto c = bj::parse(m.content_json);
  const auto& atts = c.at("attachments").as_array();
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(atts[0].at("type"), "image");
  EXPECT_EQ(atts[0].at("mime_type"), "image/jpeg");
  EXPECT_EQ(atts[0].at("url"),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME1");
  EXPECT_EQ(atts[1].at("type"), "document");
  EXPECT_EQ(c.at("wa_id"), "5511999990000");

  auto missing = parse("MessageSid=MM3&From=%2B1&NumMedia=2&MediaUrl0=https%3A%2F%2Fx");
  EXPECT_EQ(missing.error().field, "MediaUrl1");
  EXPECT_EQ(parse("MessageSid=MM3&From=%2B1&NumMedia=lots").error().field, "NumMedia");
}

TEST(TwilioParse, ButtonLocationAndUnsupported) {
  auto button = parse(
      "MessageSid=SM1&From=whatsapp%3A%2B1&ButtonText=Yes%2C+confirm&ButtonPayload=CONFIRM"
      "&Body=Yes%2C+confirm&MessageType=button");
  ASSERT_TRUE(button.ok());
  EXPECT_EQ(button->messages[0].kind, MessageKind::interactive_reply);
  EXPECT_EQ(button->messages[0].text, "Yes, confirm");
  EXPECT_EQ(bj::parse(button->messages[0].content_json).at("id"), "CONFIRM");

  auto loc = parse(
      "MessageSid=SM2&From=whatsapp%3A%2B1&Latitude=45.4642&Longitude=9.19&Label=Duomo"
      "&Address=Piazza+del+Duomo&MessageType=location");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->messages[0].kind, MessageKind::location);
  EXPECT_EQ(loc->messages[0].text, "Location: Duomo, Piazza del Duomo");
  EXPECT_EQ(parse("MessageSid=SM2&From=%2B1&Latitude=north&Longitude=9").error().field, "Latitude");

  auto odd = parse("MessageSid=SM3&From=whatsapp%3A%2B1&Body=&MessageType=interactive&NumMedia=0");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->messages[0].kind, MessageKind::unsupported);
  EXPECT_EQ(odd->messages[0].text, "Unsupported Twilio message type: interactive");
}

TEST(TwilioParse, StatusCallbacks) {
  auto delivered = parse(
      "SmsSid=SM5&SmsStatus=delivered&MessageStatus=delivered&To=%2B14155551234"
      "&MessageSid=SM5&AccountSid=AC1&From=%2B15557122661&ApiVersion=2010-04-01");
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(delivered->statuses.size(), 1u);
  EXPECT_TRUE(delivered->messages.empty());
  EXPECT_EQ(delivered->statuses[0].provider_message_id, "SM5");
  EXPECT_EQ(delivered->statuses[0].state, DeliveryState::delivered);
  EXPECT_EQ(delivered->statuses[0].contact_external_id, "+14155551234");

  auto undelivered =
      parse("MessageSid=SM6&MessageStatus=undelivered&ErrorCode=30003&To=%2B1&From=%2B2");
  ASSERT_TRUE(undelivered.ok());
  EXPECT_EQ(undelivered->statuses[0].state, DeliveryState::failed);
  EXPECT_EQ(undelivered->statuses[0].error_code, "30003");
  EXPECT_EQ(undelivered->statuses[0].error_reason, "Unreachable destination handset");

  auto failed =
      parse("MessageSid=SM7&MessageStatus=failed&ErrorCode=63016&ErrorMessage=Outside+window");
  EXPECT_EQ(failed->statuses[0].error_reason, "Outside window");

  auto read = parse("MessageSid=SM8&MessageStatus=read&ChannelPrefix=whatsapp&EventType=READ");
  EXPECT_EQ(read->statuses[0].state, DeliveryState::read);
  EXPECT_EQ(parse("MessageSid=SM9&MessageStatus=queued")->statuses[0].state,
            DeliveryState::pending);
  EXPECT_EQ(parse("MessageSid=SM9&MessageStatus=sent")->statuses[0].state, DeliveryState::sent);
  EXPECT_TRUE(parse("MessageSid=SM9&MessageStatus=teleported")->statuses.empty());
}

TEST(TwilioParse, Errors) {
  EXPECT_EQ(parse("From=%2B1&Body=hi").error().field, "MessageSid");
  EXPECT_EQ(parse("MessageSid=SM1&Body=hi").error().field, "From");
  EXPECT_EQ(parse("MessageSid=SM1&From=%2B1&Body=%ZZ").error().code, "invalid_form");
  EXPECT_EQ(parse("MessageSid=SM1&From=%2B1&Body=%4").error().code, "invalid_form");
}

// Found by fuzzing: a %AF in a form value made content_json invalid JSON (raw non-UTF-8 byte).
TEST(TwilioParse, RegressionInvalidUtf8InFormValuesKeepsContentValidJson) {
  auto batch = parse(
      "MessageSid=MM1&From=%2B1&Body=caf%C3&NumMedia=1&MediaUrl0=https%3A%2F%2Fx"
      "&MediaContentType0=text%AF2vcard&ProfileName=%FF%FEAna");
  ASSERT_TRUE(batch.ok());
  const auto& m = batch->messages[0];
  boost::system::error_code ec;
  bj::parse(m.content_json, ec);
  EXPECT_FALSE(ec) << m.content_json;
  EXPECT_EQ(m.text, "caf\xEF\xBF\xBD");
  EXPECT_EQ(m.contact_name,
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "Ana");
}

// --- outbound -------------------------------------------------------------------------------

TEST(TwilioSend, FormBodyWithBasicAuthAndTextDegradation) {
  OutboundMessage msg;
  msg.text = "Which size?";
  msg.choices = {{"s", "Small", ""}, {"m", "Medium", ""}};
  msg.link = LinkButton{"Pay", "https://pay.example/l/1?a=b"};
  auto req = build_send(test_settings(), "whatsapp:+14155551234", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(
      req->url,
      "http://127.0.0.1:9300/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
  EXPECT_EQ(req->headers[0].second,
            "Basic " + crypto::base64("AC0123456789abcdef0123456789abcdef:12345"));
  EXPECT_EQ(req->headers[1].second, "application/x-www-form-urlencoded");
  auto params = form::parse(req->body);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*form::find(*params, "To"), "whatsapp:+14155551234");
  EXPECT_EQ(*form::find(*params, "From"), "+15557122661");
  EXPECT_EQ(*form::find(*params, "Body"),
            "Which size?\n\n1. Small\n2. Medium\n\nPay: https://pay.example/l/1?a=b");
  EXPECT_EQ(req->body.substr(0, 40), "To=whatsapp%3A%2B14155551234&From=%2B155");
}

TEST(TwilioSend, MessagingServiceAndLimits) {
  Settings s = test_settings();
  s.from = "MG0123456789abcdef0123456789abcdef";
  OutboundMessage msg;
  msg.text = "Hi";
  auto req = build_send(s, "+14155551234", msg);
  auto params = form::parse(req->body);
  EXPECT_EQ(*form::find(*params, "MessagingServiceSid"), s.from);
  EXPECT_EQ(form::find(*params, "From"), nullptr);

  msg.text = std::string(1601, 'a');
  EXPECT_EQ(build_send(s, "+1", msg).error().code, "text_too_long");
  msg.text = std::string(1600, 'a');
  EXPECT_TRUE(build_send(s, "+1", msg).ok());
}

TEST(TwilioSend, ParsesSendResponses) {
  auto ok = parse_send_response(201, R"({"account_sid":"AC1","api_version":"2010-04-01","body":"Hi",
    "direction":"outbound-api","error_code":null,"from":"+15557122661","num_media":"0","num_segments":"1",
    "sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+15558675310"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "SM0123456789abcdef0123456789abcdef");
  auto invalid = parse_send_response(
      400, R"({"code":21211,"message":"The 'To' number 123 is not a valid phone number.",
    "more_info":"https://www.twilio.com/docs/errors/21211","status":400})");
  EXPECT_EQ(invalid.error().code, "provider_rejected");
  EXPECT_NE(invalid.error().message.find("21211"), std::string::npos);
  EXPECT_EQ(
      parse_send_response(429, R"({"code":20429,"message":"Too Many Requests"})").error().errc,
      Errc::rate_limited);
  EXPECT_EQ(parse_send_response(400, R"({"code":63016,"message":"outside window"})").error().code,
            "outside_window");
  EXPECT_EQ(parse_send_response(401, R"({"code":20003,"message":"Authenticate"})").error().errc,
            Errc::unauthenticated);
  EXPECT_EQ(parse_send_response(503, "").error().errc, Errc::unavailable);
}

// --- outbound files ---------------------------------------------------------------------------

using channels::testing::file;
constexpr int64_t MB = 1024 * 1024;

std::vector<std::string> all(const form::Params& p, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p)
    if (k == name) out.push_back(v);
  return out;
}

TEST(TwilioFiles, MmsTakesUpToTenMediaUrlsAndFiveMegabytes) {
  OutboundMessage msg;
  msg.text = "Photos";
  msg.attachments = {file("a.jpg", "image/jpeg", 3 * MB), file("b.png", "image/png", 2 * MB),
                     file("c.jpg", "image/jpeg", 1), file("d.zip", "application/zip", 1)};
  auto reqs = build_sends(test_settings(), "+15558675310", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 1u);
  auto p = *form::parse((*reqs)[0].body);
  EXPECT_EQ(all(p, "MediaUrl"), (std::vector<std::string>{"https://shop.example/media/m1/a.jpg?exp=1&sig=ab",
                                                          "https://shop.example/media/m1/b.png?exp=1&sig=ab"}));
  // c.jpg would pass 5 MB in all; a zip is no MMS type: both as links in the body.
  EXPECT_EQ(all(p, "Body"), (std::vector<std::string>{
                                "Photos\n\nc.jpg: https://shop.example/media/m1/c.jpg?exp=1&sig=ab\n"
                                "d.zip: https://shop.example/media/m1/d.zip?exp=1&sig=ab"}));
  msg.text.clear();
  msg.attachments.assign(11, file("x.jpg", "image/jpeg", 10));
  p = *form::parse((*build_sends(test_settings(), "+15558675310", msg))[0].body);
  EXPECT_EQ(all(p, "MediaUrl").size(), 10u);
  EXPECT_EQ(all(p, "Body"), (std::vector<std::string>{"x.jpg: https://shop.example/media/m1/x.jpg?exp=1&sig=ab"}));
}

TEST(TwilioFiles, WhatsAppOneMediaPerMessageCaptionOnImagesOnly) {
  OutboundMessage msg;
  msg.text = "Your invoice";
  msg.status_callback_url = "https://shop.example/webhooks/ch_1";
  msg.attachments = {file("inv.pdf", "application/pdf", MB), file("a.jpg", "image/jpeg", MB)};
  auto reqs = build_sends(test_settings(), "whatsapp:+15558675310", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  // A document takes no caption through Twilio: the text first, then one message per file.
  ASSERT_EQ(reqs->size(), 3u);
  auto p0 = *form::parse((*reqs)[0].body);
  EXPECT_EQ(all(p0, "Body"), std::vector<std::string>{"Your invoice"});
  EXPECT_TRUE(all(p0, "MediaUrl").empty());
  for (size_t i = 1; i < 3; ++i) {
    auto p = *form::parse((*reqs)[i].body);
    EXPECT_EQ(all(p, "MediaUrl"), std::vector<std::string>{msg.attachments[i - 1].public_url});
    EXPECT_TRUE(all(p, "Body").empty());
    EXPECT_EQ(all(p, "StatusCallback"), std::vector<std::string>{msg.status_callback_url});
    EXPECT_EQ(all(p, "To"), std::vector<std::string>{"whatsapp:+15558675310"});
  }
  msg.attachments = {file("a.jpg", "image/jpeg", MB), file("big.jpg", "image/jpeg", 5 * MB + 1)};
  reqs = build_sends(test_settings(), "whatsapp:+15558675310", msg);
  ASSERT_EQ(reqs->size(), 1u);
  auto p = *form::parse((*reqs)[0].body);
  EXPECT_EQ(all(p, "Body"), std::vector<std::string>{
                                "Your invoice\n\nbig.jpg: https://shop.example/media/m1/big.jpg?exp=1&sig=ab"});
  EXPECT_EQ(all(p, "MediaUrl").size(), 1u);
}

}  // namespace
}  // namespace bottega::channels::twilio
