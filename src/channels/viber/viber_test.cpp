#include "channels/viber/viber.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/rate_limits.hpp"
#include "channels/attachments_testing.hpp"

namespace bottega::channels::viber {
namespace {

namespace bj = boost::json;

constexpr std::string_view kToken = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9";

Settings test_settings() { return Settings{std::string(kToken), "Bottega Shop", "", "http://127.0.0.1:9300/viber/pa", ""}; }

bj::object content(const InboundMessage& m) { return bj::parse(m.content_json).as_object(); }
bj::object body_of(const HttpRequest& r) { return bj::parse(r.body).as_object(); }

TEST(ViberVerify, HmacSha256OfTheRawBody) {
  WebhookRequest req;
  req.body = R"({"event":"delivered","timestamp":1457764197627,"message_token":491266184665523145,"user_id":"01234567890A="})";
  // python3: hmac.new(token, body, hashlib.sha256).hexdigest()
  const std::string sig = "adffb0c187cdc79245fae3b532617183c68d34c951c2577b11eb360d27dfc891";
  req.headers = {{"x-viber-content-signature", sig}};
  EXPECT_TRUE(verify(req, test_settings()).ok());
  std::string upper = sig;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  req.headers = {{"x-viber-content-signature", upper}};
  EXPECT_TRUE(verify(req, test_settings()).ok()) << "hex is case-insensitive";
  req.headers = {{"x-viber-content-signature", sig}};
  req.body += " ";  // one byte more: the signature is over the exact bytes
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.body.pop_back();
  req.headers = {{"x-viber-content-signature", sig.substr(0, 63) + "0"}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.headers = {{"x-viber-content-signature", sig.substr(0, 10)}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.headers.clear();
  auto missing = verify(req, test_settings());
  EXPECT_EQ(missing.error().code, "missing_signature");
  EXPECT_EQ(missing.error().errc, Errc::unauthenticated);
}

// The vector Viber's own bot libraries test their signature check with (viber-bot-node
// test/message/message-validator-test.js, viber-bot-python tests, viber-bot-java
// ViberSignatureValidatorTest): the same token, body and signature in all three.
TEST(ViberVerify, TheVectorOfVibersOwnBotLibraries) {
  auto settings = parse_settings(bj::parse(R"({"auth_token":"44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3",
      "sender_name":"testbot"})").as_object());
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  WebhookRequest req;
  req.body = R"({"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125})";
  req.headers = {{"x-viber-content-signature", "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"}};
  EXPECT_TRUE(verify(req, *settings).ok());
  req.headers = {{"x-viber-content-signature", "abcd"}};  // the libraries' invalid signature
  EXPECT_EQ(verify(req, *settings).error().code, "bad_signature");
}

TEST(ViberSettings, Validates) {
  auto ok = parse_settings(bj::parse(R"({"auth_token":"abc","sender_name":"Shop"})").as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->api_base_url, "https://chatapi.viber.com/pa");
  EXPECT_EQ(parse_settings(bj::parse(R"({"sender_name":"Shop"})").as_object()).error().field, "settings.auth_token");
  EXPECT_EQ(parse_settings(bj::parse(R"({"auth_token":"a"})").as_object()).error().field, "settings.sender_name");
  EXPECT_EQ(parse_settings(bj::parse(R"({"auth_token":"a","sender_name":"12345678901234567890123456789"})").as_object())
                .error().field, "settings.sender_name");
  EXPECT_EQ(parse_settings(bj::parse(R"({"auth_token":"a","sender_name":"S","sender_avatar":"ftp://x"})").as_object())
                .error().field, "settings.sender_avatar");
  EXPECT_EQ(parse_settings(bj::parse(R"({"auth_token":"a","sender_name":"S","bot":1})").as_object()).error().code,
            "unknown_field");
  auto rate = send_rate("viber", bj::object{});
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(rate->per_recipient_interval_ms, 72000);  // 50 + 3600/72 = 100 in any hour
  EXPECT_EQ(rate->per_recipient_burst, 50);
}

TEST(ViberWelcome, AnswersConversationStartedOnlyWhenConfigured) {
  auto st = parse_settings(bj::parse(R"({"auth_token":"a","sender_name":"Shop","sender_avatar":"https://shop.example/a.png",
                                         "welcome_text":"Welcome! Ask us anything."})")
                               .as_object());
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string started =
      R"({"event":"conversation_started","timestamp":1457764197627,"message_token":4912661846655238145,)"
      R"("type":"open","context":"ctx","user":{"id":"01234567890A=","name":"Vera"},"subscribed":false})";
  auto body = welcome_reply(started, *st);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(bj::parse(*body), bj::parse(R"({"sender":{"name":"Shop","avatar":"https://shop.example/a.png"},"type":"text",)"
                                        R"("text":"Welcome! Ask us anything."})"));
  // Other callbacks, unreadable bodies, and a channel without (or with a blank) welcome_text: none.
  EXPECT_FALSE(welcome_reply(R"({"event":"subscribed","timestamp":1,"user":{"id":"x"}})", *st).has_value());
  EXPECT_FALSE(welcome_reply("not json", *st).has_value());
  Settings plain = *st;
  plain.welcome_text = "";
  EXPECT_FALSE(welcome_reply(started, plain).has_value());
  plain.welcome_text = "  \n";
  EXPECT_FALSE(welcome_reply(started, plain).has_value());
  // At most 7000 characters.
  bj::object too_long{{"auth_token", "a"}, {"sender_name", "S"}, {"welcome_text", std::string(7001, 'x')}};
  EXPECT_EQ(parse_settings(too_long).error().field, "settings.welcome_text");
}

TEST(ViberParse, TextMessage) {
  auto batch = parse(R"({"event":"message","timestamp":1457764197627,"chat_hostname":"SN-376_",
    "message_token":4912661846655238145,"sender":{"id":"01234567890A=","name":"John McClane",
    "avatar":"http://avatar.example.com","country":"UK","language":"en","api_version":1},
    "message":{"type":"text","text":"a message to the service","tracking_data":"tracking data"},"silent":false})");
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 1u);
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "4912661846655238145");
  EXPECT_EQ(m.contact_external_id, "01234567890A=");
  EXPECT_EQ(m.contact_name, "John McClane");
  EXPECT_EQ(m.timestamp_ms, 1457764197627);
  EXPECT_EQ(m.kind, MessageKind::text);
  EXPECT_EQ(m.text, "a message to the service");
  EXPECT_EQ(content(m).at("language").as_string(), "en");
}

TEST(ViberParse, ButtonTapIsAnInteractiveReply) {
  // The customer tapped the reply button "Blue" of a keyboard we sent with these choices.
  auto batch = parse(R"({"event":"message","timestamp":1457764197627,"message_token":5,
    "sender":{"id":"u1","name":"A"},"message":{"type":"text","text":"Blue",
    "tracking_data":"{\"choices\":[[\"c_red\",\"Red\"],[\"c_blue\",\"Blue\"]]}"}})");
  ASSERT_TRUE(batch.ok());
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.kind, MessageKind::interactive_reply);
  EXPECT_EQ(m.text, "Blue");
  EXPECT_EQ(content(m).at("id").as_string(), "c_blue");
  // Typed text that matches no choice stays text.
  auto typed = parse(R"({"event":"message","timestamp":1,"message_token":6,"sender":{"id":"u1"},
    "message":{"type":"text","text":"Green","tracking_data":"{\"choices\":[[\"c_red\",\"Red\"]]}"}})");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->messages[0].kind, MessageKind::text);
  // Somebody else's tracking data is not ours to interpret.
  auto foreign = parse(R"({"event":"message","timestamp":1,"message_token":7,"sender":{"id":"u1"},
    "message":{"type":"text","text":"Red","tracking_data":"not json"}})");
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->messages[0].kind, MessageKind::text);
}

TEST(ViberParse, MediaLocationContactUrlSticker) {
  auto pic = parse(R"({"event":"message","timestamp":1,"message_token":10,"sender":{"id":"u"},
    "message":{"type":"picture","text":"look","media":"https://dl-media.viber.com/1.jpg","thumbnail":"https://dl-media.viber.com/t.jpg","file_name":"a.jpg","size":1234}})");
  ASSERT_TRUE(pic.ok());
  EXPECT_EQ(pic->messages[0].kind, MessageKind::media);
  EXPECT_EQ(pic->messages[0].text, "look");
  auto att = content(pic->messages[0]).at("attachments").as_array()[0].as_object();
  EXPECT_EQ(att.at("type").as_string(), "image");
  EXPECT_EQ(att.at("url").as_string(), "https://dl-media.viber.com/1.jpg");
  EXPECT_EQ(att.at("size").as_int64(), 1234);

  auto file = parse(R"({"event":"message","timestamp":1,"message_token":11,"sender":{"id":"u"},
    "message":{"type":"file","media":"https://dl-media.viber.com/x.pdf","file_name":"x.pdf","size":10}})");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(content(file->messages[0]).at("attachments").as_array()[0].as_object().at("type").as_string(), "document");

  auto loc = parse(R"({"event":"message","timestamp":1,"message_token":12,"sender":{"id":"u"},
    "message":{"type":"location","location":{"lat":50.76891,"lon":6.11499}}})");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->messages[0].kind, MessageKind::location);
  EXPECT_DOUBLE_EQ(content(loc->messages[0]).at("latitude").as_double(), 50.76891);

  auto contact = parse(R"({"event":"message","timestamp":1,"message_token":13,"sender":{"id":"u"},
    "message":{"type":"contact","contact":{"name":"Itamar","phone_number":"+972511123123"}}})");
  ASSERT_TRUE(contact.ok());
  EXPECT_EQ(contact->messages[0].kind, MessageKind::contacts);
  EXPECT_EQ(contact->messages[0].text, "Contact: Itamar");

  auto url = parse(R"({"event":"message","timestamp":1,"message_token":14,"sender":{"id":"u"},
    "message":{"type":"url","media":"http://www.website.com/go_here"}})");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->messages[0].kind, MessageKind::text);
  EXPECT_EQ(url->messages[0].text, "http://www.website.com/go_here");

  auto sticker = parse(R"({"event":"message","timestamp":1,"message_token":15,"sender":{"id":"u"},
    "message":{"type":"sticker","sticker_id":46105}})");
  ASSERT_TRUE(sticker.ok());
  EXPECT_EQ(sticker->messages[0].kind, MessageKind::media);

  auto odd = parse(R"({"event":"message","timestamp":1,"message_token":16,"sender":{"id":"u"},
    "message":{"type":"rich_media"}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->messages[0].kind, MessageKind::unsupported);
  EXPECT_EQ(odd->messages[0].text, "Unsupported Viber message: rich_media");
}

TEST(ViberParse, StatusesAndOtherEvents) {
  auto delivered = parse(R"({"event":"delivered","timestamp":1457764197627,"chat_hostname":"SN-376_",
    "message_token":491266184665523145,"user_id":"01234567890A="})");
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(delivered->statuses.size(), 1u);
  EXPECT_EQ(delivered->statuses[0].state, DeliveryState::delivered);
  EXPECT_EQ(delivered->statuses[0].provider_message_id, "491266184665523145");
  EXPECT_EQ(delivered->statuses[0].contact_external_id, "01234567890A=");
  auto seen = parse(R"({"event":"seen","timestamp":1,"message_token":1,"user_id":"u"})");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->statuses[0].state, DeliveryState::read);
  auto failed = parse(R"({"event":"failed","timestamp":1,"message_token":1,"user_id":"u","desc":"failure description"})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->statuses[0].state, DeliveryState::failed);
  EXPECT_EQ(failed->statuses[0].error_reason, "failure description");
  for (const char* body :
       {R"({"event":"subscribed","timestamp":1,"user":{"id":"u","name":"A"},"message_token":2})",
        R"({"event":"unsubscribed","timestamp":1,"user_id":"u","message_token":3})",
        R"({"event":"conversation_started","timestamp":1,"message_token":4,"type":"open","context":"ctx","user":{"id":"u"},"subscribed":false})",
        R"({"event":"webhook","timestamp":1,"chat_hostname":"SN","message_token":5})",
        R"({"event":"client_status","timestamp":1})"}) {
    auto b = parse(body);
    ASSERT_TRUE(b.ok()) << body;
    EXPECT_TRUE(b->messages.empty() && b->statuses.empty()) << body;
  }
}

TEST(ViberParse, ErrorsNameTheField) {
  EXPECT_EQ(parse(R"({"timestamp":1})").error().field, "event");
  EXPECT_EQ(parse(R"({"event":"message"})").error().field, "timestamp");
  EXPECT_EQ(parse(R"({"event":"message","timestamp":1,"sender":{"id":"u"},"message":{"type":"text","text":"x"}})").error().field,
            "message_token");
  EXPECT_EQ(parse(R"({"event":"message","timestamp":1,"message_token":1,"message":{"type":"text","text":"x"}})").error().field,
            "sender");
  EXPECT_EQ(parse(R"({"event":"message","timestamp":1,"message_token":1,"sender":{"id":"u"},"message":{"text":"x"}})").error().field,
            "message.type");
  EXPECT_EQ(parse(R"({"event":"message","timestamp":1,"message_token":1,"sender":{"id":"u"},"message":{"type":"picture"}})").error().field,
            "message.media");
  EXPECT_EQ(parse(R"({"event":"seen","timestamp":1})").error().field, "message_token");
  EXPECT_FALSE(parse("not json").ok());
}

TEST(ViberSend, TextWithKeyboardAndTrackingData) {
  OutboundMessage msg;
  msg.text = "Which colour?";
  msg.choices = {{"c_red", "Red", ""}, {"c_blue", "Blue", ""}};
  msg.link = LinkButton{"All colours", "https://shop.example/colours"};
  auto req = build_send(test_settings(), "01234567890A=", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->url, "http://127.0.0.1:9300/viber/pa/send_message");
  bool auth = false;
  for (const auto& [k, v] : req->headers) auth = auth || (k == "X-Viber-Auth-Token" && v == kToken);
  EXPECT_TRUE(auth);
  auto b = body_of(*req);
  EXPECT_EQ(b.at("receiver").as_string(), "01234567890A=");
  EXPECT_EQ(b.at("type").as_string(), "text");
  EXPECT_EQ(b.at("text").as_string(), "Which colour?");
  EXPECT_EQ(b.at("sender").as_object().at("name").as_string(), "Bottega Shop");
  const auto& buttons = b.at("keyboard").as_object().at("Buttons").as_array();
  ASSERT_EQ(buttons.size(), 3u);
  EXPECT_EQ(buttons[0].as_object().at("ActionType").as_string(), "reply");
  EXPECT_EQ(buttons[0].as_object().at("ActionBody").as_string(), "Red");
  EXPECT_EQ(buttons[2].as_object().at("ActionType").as_string(), "open-url");
  EXPECT_EQ(buttons[2].as_object().at("ActionBody").as_string(), "https://shop.example/colours");
  // The tap comes back as the title with our tracking_data: parse maps it to the choice id.
  std::string echo = R"({"event":"message","timestamp":1,"message_token":9,"sender":{"id":"u"},"message":{"type":"text","text":"Red","tracking_data":)" +
                     std::string(bj::serialize(b.at("tracking_data"))) + "}}";
  auto tapped = parse(echo);
  ASSERT_TRUE(tapped.ok());
  EXPECT_EQ(content(tapped->messages[0]).at("id").as_string(), "c_red");
}

TEST(ViberSend, FallbacksAndLimits) {
  OutboundMessage msg;
  msg.text = "Pick";
  msg.choices = {{"a", "Same", ""}, {"b", "Same", ""}};  // indistinguishable taps: numbered text
  auto req = build_send(test_settings(), "u", msg);
  ASSERT_TRUE(req.ok());
  auto b = body_of(*req);
  EXPECT_FALSE(b.contains("keyboard"));
  EXPECT_EQ(b.at("text").as_string(), "Pick\n\n1. Same\n2. Same");
  msg.choices.clear();
  msg.text = std::string(7001, 'x');
  EXPECT_EQ(build_send(test_settings(), "u", msg).error().code, "text_too_long");
  msg.text = "";
  EXPECT_EQ(build_send(test_settings(), "u", msg).error().field, "text");
}

TEST(ViberSend, ProductCardAsRichMedia) {
  OutboundMessage msg;
  msg.text = "Trail Runner - EU 42\n129,00 €";
  msg.card = ProductCard{"TR-42", "Trail Runner <EU 42>", "129,00 €", "", "https://cdn.example/tr.jpg", true};
  msg.choices = {{"add:TR-42", "Add to cart", ""}};
  msg.link = LinkButton{"View", "https://shop.example/tr"};
  auto req = build_send(test_settings(), "u", msg);
  ASSERT_TRUE(req.ok());
  auto b = body_of(*req);
  EXPECT_EQ(b.at("type").as_string(), "rich_media");
  EXPECT_EQ(b.at("min_api_version").as_int64(), 2);
  const auto& rm = b.at("rich_media").as_object();
  EXPECT_EQ(rm.at("ButtonsGroupRows").as_int64(), 7);
  const auto& items = rm.at("Buttons").as_array();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].as_object().at("Image").as_string(), "https://cdn.example/tr.jpg");
  EXPECT_EQ(items[1].as_object().at("Text").as_string(), "<b>Trail Runner &lt;EU 42&gt;</b><br>129,00 €");
  EXPECT_EQ(items[2].as_object().at("ActionBody").as_string(), "Add to cart");
  EXPECT_EQ(items[3].as_object().at("ActionType").as_string(), "open-url");
  EXPECT_NE(std::string(b.at("alt_text").as_string()).find("https://shop.example/tr"), std::string::npos);
  // Too many buttons for one item: a text message with a keyboard instead.
  msg.choices.push_back({"more", "More", ""});
  auto plain = build_send(test_settings(), "u", msg);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(body_of(*plain).at("type").as_string(), "text");
}

TEST(ViberSendResponse, StatusCodes) {
  auto ok = parse_send_response(200, R"({"status":0,"status_message":"ok","message_token":5741311803571721087,"chat_hostname":"SN-CHAT-05_","billing_status":1})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "5741311803571721087");
  EXPECT_EQ(parse_send_response(200, R"({"status":2,"status_message":"invalidAuthToken"})").error().errc, Errc::unauthenticated);
  auto unsub = parse_send_response(200, R"({"status":6,"status_message":"receiverNotSubscribed"})");
  EXPECT_EQ(unsub.error().code, "recipient_unavailable");
  EXPECT_NE(unsub.error().message.find("receiverNotSubscribed"), std::string::npos);
  EXPECT_EQ(parse_send_response(200, R"({"status":12,"status_message":"Too many requests"})").error().errc, Errc::rate_limited);
  EXPECT_EQ(parse_send_response(200, R"({"status":3,"status_message":"badData"})").error().code, "provider_rejected");
  EXPECT_EQ(parse_send_response(200, R"({"status":24,"status_message":"noBalance"})").error().code, "billing");
  EXPECT_EQ(parse_send_response(200, R"({"status":99,"status_message":"generalError"})").error().errc, Errc::unavailable);
  EXPECT_EQ(parse_send_response(502, "<html>").error().errc, Errc::unavailable);
  EXPECT_EQ(parse_send_response(200, R"({"status":0})").error().code, "provider_bad_response");
  EXPECT_EQ(parse_send_response(200, "garbage").error().code, "provider_bad_response");
  // Status 12 holds this recipient: 1, 2, 4 minutes...
  HttpResponse r;
  r.status = 200;
  r.body = R"({"status":12})";
  auto t = read_throttle("viber", r, 2, 0);
  EXPECT_EQ(t.scope, Throttle::Scope::recipient);
  EXPECT_EQ(t.retry_after_ms, 120000);
}

// --- outbound files ---------------------------------------------------------------------------

TEST(ViberFiles, PictureWithDescriptionVideoAndFileWithSizeAndName) {
  using channels::testing::file;
  constexpr int64_t MB = 1024 * 1024;
  OutboundMessage msg;
  msg.text = "New arrivals";
  msg.attachments = {file("a.jpg", "image/jpeg", MB), file("b.mp4", "video/mp4", 2 * MB),
                     file("c.pdf", "application/pdf", 3), file("big.png", "image/png", MB + 1),
                     file("huge.zip", "application/zip", 50 * MB + 1)};
  auto reqs = build_sends(test_settings(), "01234567890A=", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 4u);
  for (const auto& r : *reqs) EXPECT_EQ(r.url, "http://127.0.0.1:9300/viber/pa/send_message");
  EXPECT_EQ(body_of((*reqs)[0]), bj::parse(R"({"receiver":"01234567890A=","min_api_version":1,
    "sender":{"name":"Bottega Shop"},"type":"picture","media":"https://shop.example/media/m1/a.jpg?exp=1&sig=ab",
    "text":"New arrivals\n\nhuge.zip: https://shop.example/media/m1/huge.zip?exp=1&sig=ab"})"));
  EXPECT_EQ(body_of((*reqs)[1]), bj::parse(R"({"receiver":"01234567890A=","min_api_version":1,
    "sender":{"name":"Bottega Shop"},"type":"video","media":"https://shop.example/media/m1/b.mp4?exp=1&sig=ab",
    "size":2097152})"));
  EXPECT_EQ(body_of((*reqs)[2]), bj::parse(R"({"receiver":"01234567890A=","min_api_version":1,
    "sender":{"name":"Bottega Shop"},"type":"file","media":"https://shop.example/media/m1/c.pdf?exp=1&sig=ab",
    "size":3,"file_name":"c.pdf"})"));
  // A picture over 1 MB goes as a file.
  EXPECT_EQ(body_of((*reqs)[3]).at("type"), "file");
  EXPECT_EQ(body_of((*reqs)[3]).at("file_name"), "big.png");

  // Executables and scripts are no file Viber takes: a link.
  msg.text = "Installer";
  msg.attachments = {file("setup.EXE", "application/octet-stream", 10)};
  reqs = build_sends(test_settings(), "01234567890A=", msg);
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ(body_of((*reqs)[0]).at("text"), "Installer\n\nsetup.EXE: https://shop.example/media/m1/setup.EXE?exp=1&sig=ab");

  // Viber needs the extension as the URL's last path segment (picture .jpeg/.jpg/.png/.gif, video
  // .mp4; a file "should" have one): a JPEG named without one goes as a link, an MP4 named
  // ".mov" as a file.
  msg.text = "Scans";
  msg.attachments = {file("scan", "image/jpeg", 10), file("clip.MOV", "video/mp4", 10), file("PHOTO.JPEG", "image/jpeg", 10)};
  reqs = build_sends(test_settings(), "01234567890A=", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 3u);  // a file takes no caption: the text (with the link line) first
  EXPECT_EQ(body_of((*reqs)[0]).at("type"), "text");
  EXPECT_EQ(body_of((*reqs)[0]).at("text"), "Scans\n\nscan: https://shop.example/media/m1/scan?exp=1&sig=ab");
  EXPECT_EQ(body_of((*reqs)[1]).at("type"), "file");
  EXPECT_EQ(body_of((*reqs)[1]).at("file_name"), "clip.MOV");
  EXPECT_EQ(body_of((*reqs)[2]).at("type"), "picture");
  EXPECT_EQ(body_of((*reqs)[2]).at("media"), "https://shop.example/media/m1/PHOTO.JPEG?exp=1&sig=ab");

  // The description holds 768 characters; longer text goes first as a text message.
  msg.text = std::string(769, 'a');
  msg.attachments = {file("a.jpg", "image/jpeg", 10)};
  reqs = build_sends(test_settings(), "01234567890A=", msg);
  ASSERT_EQ(reqs->size(), 2u);
  EXPECT_EQ(body_of((*reqs)[0]).at("type"), "text");
  EXPECT_EQ(body_of((*reqs)[1]).at("text"), "");
}

}  // namespace
}  // namespace bottega::channels::viber
