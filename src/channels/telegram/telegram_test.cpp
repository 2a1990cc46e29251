#include "channels/telegram/telegram.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include "channels/attachments_testing.hpp"

namespace bottega::channels::telegram {
namespace {

namespace bj = boost::json;

Settings test_settings() {
  return Settings{"123456789:AAE-test_Token", "s3cr3t_T0ken-x", "http://127.0.0.1:9200"};
}

bj::object content(const InboundMessage& m) { return bj::parse(m.content_json).as_object(); }

TEST(TelegramVerify, SecretTokenHeader) {
  WebhookRequest req;
  req.body = R"({"update_id":1})";
  req.headers = {{"x-telegram-bot-api-secret-token", "s3cr3t_T0ken-x"}};
  EXPECT_TRUE(verify(req, test_settings()).ok());
  req.headers = {{"x-telegram-bot-api-secret-token", "s3cr3t_T0ken-y"}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.headers = {{"x-telegram-bot-api-secret-token", "s3cr3t"}};
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.headers.clear();
  auto missing = verify(req, test_settings());
  EXPECT_EQ(missing.error().code, "missing_signature");
  EXPECT_EQ(missing.error().errc, Errc::unauthenticated);
}

TEST(TelegramSettings, ValidatesTokens) {
  auto ok = parse_settings(
      bj::parse(R"({"bot_token":"123:ABC-def_g","secret_token":"abc"})").as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->api_base_url, "https://api.telegram.org");
  EXPECT_EQ(parse_settings(bj::parse(R"({"bot_token":"123:ABC"})").as_object()).error().field,
            "settings.secret_token");
  EXPECT_EQ(
      parse_settings(bj::parse(R"({"bot_token":"123:ABC","secret_token":"has space"})").as_object())
          .error()
          .field,
      "settings.secret_token");
  EXPECT_EQ(parse_settings(bj::parse(R"({"bot_token":"../x","secret_token":"a"})").as_object())
                .error()
                .field,
            "settings.bot_token");
  EXPECT_EQ(parse_settings(bj::parse(R"({"bot_token":"abc:def","secret_token":"a"})").as_object())
                .error()
                .field,
            "settings.bot_token");
}

TEST(TelegramParse, TextMessage) {
  auto batch = parse(R"({"update_id":10000,"message":{"message_id":1365,"date":1441645532,
    "from":{"id":1111111,"is_bot":false,"first_name":"Test","last_name":"Lastname","username":"Testusername","language_code":"it"},
    "chat":{"id":1111111,"type":"private","first_name":"Test","last_name":"Lastname","username":"Testusername"},
    "text":"/start@shop_bot promo42","entities":[{"type":"bot_command","offset":0,"length":15}]}})");
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 1u);
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "1111111:1365");
  EXPECT_EQ(m.contact_external_id, "1111111");
  EXPECT_EQ(m.contact_name, "Test Lastname");
  EXPECT_EQ(m.timestamp_ms, 1441645532000);
  EXPECT_EQ(m.kind, MessageKind::text);
  EXPECT_EQ(m.text, "/start@shop_bot promo42");
  EXPECT_EQ(content(m).at("command"), "/start");
  EXPECT_EQ(content(m).at("language_code"), "it");
}

TEST(TelegramParse, EditedMessageIsANewEventLinkedToTheOriginal) {
  auto batch = parse(R"({"update_id":10001,"edited_message":{"message_id":1365,"date":1441645532,
    "edit_date":1441645600,"chat":{"id":-1001234567890,"type":"supergroup","title":"Shop"},
    "from":{"id":5,"is_bot":false,"first_name":"Ann"},"text":"fixed typo"}})");
  ASSERT_TRUE(batch.ok());
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "-1001234567890:1365:edit:1441645600");
  EXPECT_EQ(m.edit_of, "-1001234567890:1365");
  EXPECT_EQ(m.timestamp_ms, 1441645600000);
  EXPECT_EQ(m.contact_external_id, "-1001234567890");
  EXPECT_EQ(m.contact_name, "Ann");
  EXPECT_EQ(content(m).at("edited"), true);

  auto no_edit_date = parse(R"({"update_id":1,"edited_message":{"message_id":1,"date":1,
    "chat":{"id":1,"type":"private"},"text":"x"}})");
  EXPECT_EQ(no_edit_date.error().field, "edited_message.edit_date");
}

TEST(TelegramParse, CallbackQueryTakesTheButtonLabel) {
  auto batch =
      parse(R"({"update_id":10002,"callback_query":{"id":"4382bfdwdsb323b2d9","chat_instance":"-1",
    "from":{"id":1111111,"is_bot":false,"first_name":"Test"},"data":"size_42",
    "message":{"message_id":77,"date":1441645532,"chat":{"id":1111111,"type":"private"},
      "text":"Which size?","reply_markup":{"inline_keyboard":[[{"text":"EU 41","callback_data":"size_41"}],
                                                             [{"text":"EU 42","callback_data":"size_42"}]]}}}})");
  ASSERT_TRUE(batch.ok()) << batch.error().field;
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "cbq:4382bfdwdsb323b2d9");
  EXPECT_EQ(m.kind, MessageKind::interactive_reply);
  EXPECT_EQ(m.text, "EU 42");
  EXPECT_EQ(m.reply_to, "1111111:77");
  EXPECT_EQ(m.contact_external_id, "1111111");
  EXPECT_EQ(m.timestamp_ms, 0);
  EXPECT_EQ(content(m).at("id"), "size_42");
  EXPECT_EQ(content(m).at("callback_query_id"), "4382bfdwdsb323b2d9");

  // Without the message (inline mode), the user's private chat is the contact.
  auto inline_cb = parse(R"({"update_id":10003,"callback_query":{"id":"q2","chat_instance":"-1",
    "inline_message_id":"AAA","from":{"id":42,"is_bot":false,"first_name":"Z"},"data":"x"}})");
  ASSERT_TRUE(inline_cb.ok());
  EXPECT_EQ(inline_cb->messages[0].contact_external_id, "42");
  EXPECT_EQ(inline_cb->messages[0].text, "x");

  auto game = parse(
      R"({"update_id":1,"callback_query":{"id":"q3","from":{"id":4,"first_name":"G"},"game_short_name":"g"}})");
  ASSERT_TRUE(game.ok());
  EXPECT_EQ(game->messages[0].kind, MessageKind::unsupported);
}

std::string message_with(const std::string& fields) {
  return R"({"update_id":5,"message":{"message_id":9,"date":1700000000,"chat":{"id":7,"type":"private","first_name":"C"},)" +
         fields + "}}";
}

InboundMessage parse_one(const std::string& fields) {
  auto batch = parse(message_with(fields));
  EXPECT_TRUE(batch.ok()) << (batch.ok() ? "" : batch.error().field + ": " + batch.error().message);
  if (!batch.ok() || batch->messages.empty()) return {};
  return batch->messages[0];
}

TEST(TelegramParse, MediaLocationContactAndUnsupported) {
  auto photo = parse_one(R"("caption":"this one","photo":[
    {"file_id":"small","file_unique_id":"u1","width":90,"height":90,"file_size":1000},
    {"file_id":"large","file_unique_id":"u2","width":1280,"height":1280,"file_size":90000}])");
  EXPECT_EQ(photo.kind, MessageKind::media);
  EXPECT_EQ(photo.text, "this one");
  auto att = content(photo).at("attachments").as_array().at(0);
  EXPECT_EQ(att.at("id"), "large");
  EXPECT_EQ(att.at("type"), "image");
  EXPECT_EQ(att.at("size"), 90000);

  auto doc = parse_one(
      R"("document":{"file_id":"d1","file_unique_id":"u","file_name":"invoice.pdf","mime_type":"application/pdf"})");
  EXPECT_EQ(doc.kind, MessageKind::media);
  EXPECT_EQ(content(doc).at("attachments").as_array().at(0).at("filename"), "invoice.pdf");

  auto gif = parse_one(
      R"("animation":{"file_id":"a1","file_unique_id":"u","width":1,"height":1,"duration":2},
    "document":{"file_id":"a1","file_unique_id":"u"})");
  EXPECT_EQ(content(gif).at("attachments").as_array().at(0).at("animated"), true);

  auto voice = parse_one(
      R"("voice":{"file_id":"v1","file_unique_id":"u","duration":3,"mime_type":"audio/ogg"})");
  EXPECT_EQ(content(voice).at("attachments").as_array().at(0).at("type"), "audio");

  auto sticker = parse_one(
      R"("sticker":{"file_id":"s1","file_unique_id":"u","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false,"emoji":"😀"})");
  EXPECT_EQ(content(sticker).at("attachments").as_array().at(0).at("type"), "sticker");

  auto loc = parse_one(R"("location":{"latitude":45.4642,"longitude":9.19})");
  EXPECT_EQ(loc.kind, MessageKind::location);
  EXPECT_DOUBLE_EQ(content(loc).at("latitude").as_double(), 45.4642);

  auto venue = parse_one(R"("location":{"latitude":45.4642,"longitude":9.19},
    "venue":{"location":{"latitude":45.4642,"longitude":9.19},"title":"Duomo","address":"Piazza del Duomo"})");
  EXPECT_EQ(venue.text, "Location: Duomo, Piazza del Duomo");

  auto contact =
      parse_one(R"("contact":{"phone_number":"+393331234567","first_name":"Mario","user_id":99})");
  EXPECT_EQ(contact.kind, MessageKind::contacts);
  EXPECT_EQ(contact.text, "Contact: Mario");

  auto poll = parse_one(R"("poll":{"id":"p","question":"?","options":[]})");
  EXPECT_EQ(poll.kind, MessageKind::unsupported);
  EXPECT_EQ(poll.text, "Unsupported Telegram message: poll");

  auto unknown = parse_one(R"("hologram":{"x":1})");
  EXPECT_EQ(unknown.kind, MessageKind::unsupported);
  EXPECT_EQ(unknown.text, "Unsupported Telegram message");

  auto reply = parse_one(
      R"("text":"yes","reply_to_message":{"message_id":8,"date":1,"chat":{"id":7,"type":"private"},"text":"?"})");
  EXPECT_EQ(reply.reply_to, "7:8");
}

TEST(TelegramParse, ReactionsOtherUpdatesAndErrors) {
  auto reaction =
      parse(R"({"update_id":77,"message_reaction":{"chat":{"id":7,"type":"private"},"message_id":12,
    "user":{"id":7,"first_name":"C"},"date":1700000000,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}})");
  ASSERT_TRUE(reaction.ok());
  EXPECT_EQ(reaction->messages[0].kind, MessageKind::reaction);
  EXPECT_EQ(reaction->messages[0].reply_to, "7:12");
  EXPECT_EQ(reaction->messages[0].provider_message_id, "reaction:7:12:77");

  auto other = parse(R"({"update_id":1,"my_chat_member":{"chat":{"id":1}}})");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->messages.empty());

  EXPECT_EQ(parse(R"({"message":{}})").error().field, "update_id");
  EXPECT_EQ(parse(R"({"update_id":1,"message":{"message_id":1,"date":1,"chat":{}}})").error().field,
            "message.chat.id");
  EXPECT_EQ(parse(R"({"update_id":1,"message":{"message_id":1,"chat":{"id":1}}})").error().field,
            "message.date");
  EXPECT_EQ(parse(R"({"update_id":1,"callback_query":{"id":"q","from":{"id":1},"data":"x",
    "message":{"message_id":1,"date":0}}})")
                .error()
                .field,
            "callback_query.message.chat");
}

// --- outbound -------------------------------------------------------------------------------

TEST(TelegramSend, TextWithInlineKeyboardAndUrlButton) {
  OutboundMessage msg;
  msg.text = "Which size?";
  msg.choices = {{"size_41", "EU 41", ""}, {"size_42", "EU 42", ""}};
  msg.link = LinkButton{"Size guide", "https://shop.example/sizes"};
  msg.reply_to = "1111111:1365";
  auto req = build_send(test_settings(), "1111111", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->url, "http://127.0.0.1:9200/bot123456789:AAE-test_Token/sendMessage");
  EXPECT_EQ(bj::parse(req->body), bj::parse(R"({"chat_id":1111111,"text":"Which size?",
    "reply_markup":{"inline_keyboard":[[{"text":"EU 41","callback_data":"size_41"}],
                                       [{"text":"EU 42","callback_data":"size_42"}],
                                       [{"text":"Size guide","url":"https://shop.example/sizes"}]]},
    "reply_parameters":{"message_id":1365}})"));
}

TEST(TelegramSend, SeveralProductsAreTheListWithARowOfButtonsEach) {
  OutboundMessage msg;
  msg.text = "Our picks\n\n1. Trail runner\n€129.00 · In stock\n\n2. Boot\n€99.00 · Out of stock";
  ProductList list{"Our picks", "", {}};
  list.items.push_back({ProductCard{"TR-42", "Trail runner", "€129.00 · In stock", "", "https://img.example/r.jpg", true},
                        LinkButton{"View product", "https://shop.example/tr"}, ReplyChoice{"buy:TR-42", "Add to cart", ""}});
  list.items.push_back({ProductCard{"BT-1", "Boot", "€99.00 · Out of stock", "", "", false},
                        LinkButton{"View product", "https://shop.example/bt"}, std::nullopt});
  msg.products = list;
  auto req = build_send(test_settings(), "1111111", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->url, "http://127.0.0.1:9200/bot123456789:AAE-test_Token/sendMessage");
  EXPECT_EQ(bj::parse(req->body), bj::parse(R"({"chat_id":1111111,
    "text":"Our picks\n\n1. Trail runner\n€129.00 · In stock\n\n2. Boot\n€99.00 · Out of stock",
    "reply_markup":{"inline_keyboard":[[{"text":"1. Add to cart","callback_data":"buy:TR-42"},
                                        {"text":"1. View product","url":"https://shop.example/tr"}],
                                       [{"text":"2. View product","url":"https://shop.example/bt"}]]}})"));
}

TEST(TelegramSend, PlainTextAndDegradation) {
  OutboundMessage msg;
  msg.text = "Hi";
  auto plain = build_send(test_settings(), "@shop_channel", msg);
  EXPECT_EQ(bj::parse(plain->body), bj::parse(R"({"chat_id":"@shop_channel","text":"Hi"})"));

  msg.choices = {{std::string(65, 'x'), "Too long data", ""}};  // callback_data is 1-64 bytes
  auto degraded = build_send(test_settings(), "-1001234567890", msg);
  auto b = bj::parse(degraded->body);
  EXPECT_EQ(b.at("chat_id"), -1001234567890LL);
  EXPECT_EQ(b.at("text"), "Hi\n\n1. Too long data");
  EXPECT_FALSE(b.as_object().contains("reply_markup"));

  OutboundMessage long_text;
  long_text.text = std::string(4097, 'a');
  EXPECT_EQ(build_send(test_settings(), "1", long_text).error().code, "text_too_long");
}

TEST(TelegramSend, ParsesSendResponses) {
  auto ok = parse_send_response(200, R"({"ok":true,"result":{"message_id":1366,"date":1,
    "chat":{"id":1111111,"type":"private"},"text":"Hi"}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "1111111:1366");
  auto limited = parse_send_response(429, R"({"ok":false,"error_code":429,
    "description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}})");
  EXPECT_EQ(limited.error().errc, Errc::rate_limited);
  EXPECT_NE(limited.error().message.find("35"), std::string::npos);
  EXPECT_EQ(
      parse_send_response(
          403,
          R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})")
          .error()
          .code,
      "recipient_unavailable");
  EXPECT_EQ(parse_send_response(
                400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})")
                .error()
                .code,
            "provider_rejected");
  EXPECT_EQ(parse_send_response(502, "Bad Gateway").error().errc, Errc::unavailable);
}

// --- outbound files ---------------------------------------------------------------------------

using channels::testing::field;
using channels::testing::file;
using channels::testing::form_fields;
constexpr int64_t MB = 1024 * 1024;

TEST(TelegramFiles, OnePhotoUploadedWithTheCaptionAndReply) {
  OutboundMessage msg;
  msg.text = "Here it is";
  msg.reply_to = "42:7";
  msg.attachments = {file("shoe.jpg", "image/jpeg", 2 * MB, std::string("\xff\xd8\xff\xe0\0\0JFIF", 10))};
  auto reqs = build_sends(test_settings(), "42", msg);
  ASSERT_TRUE(reqs.ok()) << reqs.error().message;
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ((*reqs)[0].url, "http://127.0.0.1:9200/bot123456789:AAE-test_Token/sendPhoto");
  auto f = form_fields((*reqs)[0]);
  EXPECT_EQ(field(f, "chat_id")->value, "42");
  EXPECT_EQ(field(f, "caption")->value, "Here it is");
  EXPECT_EQ(bj::parse(field(f, "reply_parameters")->value), bj::parse(R"({"message_id":7})"));
  ASSERT_NE(field(f, "photo"), nullptr);
  EXPECT_EQ(field(f, "photo")->filename, "shoe.jpg");
  EXPECT_EQ(field(f, "photo")->content_type, "image/jpeg");
  EXPECT_EQ(field(f, "photo")->value, *msg.attachments[0].bytes);
}

TEST(TelegramFiles, MethodPerType) {
  struct Case {
    OutboundAttachment a;
    const char* method;
    const char* field;
  } cases[] = {{file("a.mp4", "video/mp4", MB), "sendVideo", "video"},
               {file("a.mp3", "audio/mpeg", MB), "sendAudio", "audio"},
               {file("a.pdf", "application/pdf", MB), "sendDocument", "document"},
               {file("big.png", "image/png", 10 * MB + 1), "sendDocument", "document"}};
  for (const auto& c : cases) {
    OutboundMessage msg;
    msg.attachments = {c.a};
    auto reqs = build_sends(test_settings(), "42", msg);
    ASSERT_EQ(reqs->size(), 1u);
    EXPECT_EQ((*reqs)[0].url, std::string("http://127.0.0.1:9200/bot123456789:AAE-test_Token/") + c.method);
    auto f = form_fields((*reqs)[0]);
    ASSERT_NE(field(f, c.field), nullptr) << c.method;
    EXPECT_EQ(field(f, "caption"), nullptr);
  }
}

TEST(TelegramFiles, SeveralAreOneAlbumMixedKindsAsDocuments) {
  OutboundMessage msg;
  msg.text = "Both";
  msg.attachments = {file("a.jpg", "image/jpeg", 10), file("b.mp4", "video/mp4", 10)};
  auto reqs = build_sends(test_settings(), "42", msg);
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ((*reqs)[0].url, "http://127.0.0.1:9200/bot123456789:AAE-test_Token/sendMediaGroup");
  auto f = form_fields((*reqs)[0]);
  EXPECT_EQ(bj::parse(field(f, "media")->value), bj::parse(R"([
    {"type":"photo","media":"attach://file0","caption":"Both"},{"type":"video","media":"attach://file1"}])"));
  EXPECT_EQ(field(f, "file0")->filename, "a.jpg");
  EXPECT_EQ(field(f, "file1")->filename, "b.mp4");
  // A photo and a PDF cannot share an album as they are: both go as documents.
  msg.attachments = {file("a.jpg", "image/jpeg", 10), file("b.pdf", "application/pdf", 10)};
  f = form_fields((*build_sends(test_settings(), "42", msg))[0]);
  EXPECT_EQ(bj::parse(field(f, "media")->value), bj::parse(R"([
    {"type":"document","media":"attach://file0","caption":"Both"},{"type":"document","media":"attach://file1"}])"));
}

TEST(TelegramFiles, LongTextKeyboardsAndHugeFiles) {
  OutboundMessage msg;
  msg.text = std::string(1025, 'a');  // over the 1024-character caption: sendMessage first
  msg.attachments = {file("a.pdf", "application/pdf", 10), file("huge.zip", "application/zip", 50 * MB + 1)};
  auto reqs = build_sends(test_settings(), "42", msg);
  ASSERT_EQ(reqs->size(), 2u);
  EXPECT_EQ((*reqs)[0].url, "http://127.0.0.1:9200/bot123456789:AAE-test_Token/sendMessage");
  EXPECT_EQ(std::string(bj::parse((*reqs)[0].body).at("text").as_string()),
            msg.text + "\n\nhuge.zip: https://shop.example/media/m1/huge.zip?exp=1&sig=ab");
  EXPECT_EQ(field(form_fields((*reqs)[1]), "caption"), nullptr);
  // An inline keyboard stays on the text message.
  msg.text = "Pick";
  msg.choices = {{"a", "A", ""}};
  reqs = build_sends(test_settings(), "42", msg);
  ASSERT_EQ(reqs->size(), 2u);
  EXPECT_TRUE(bj::parse((*reqs)[0].body).as_object().contains("reply_markup"));
}

TEST(TelegramFiles, AlbumResponseIsItsFirstMessage) {
  auto id = parse_send_response(200, R"({"ok":true,"result":[
    {"message_id":11,"chat":{"id":42,"type":"private"},"date":1},
    {"message_id":12,"chat":{"id":42,"type":"private"},"date":1}]})");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, "42:11");
  EXPECT_EQ(parse_send_response(200, R"({"ok":true,"result":[]})").error().code, "provider_bad_response");
}

}  // namespace
}  // namespace bottega::channels::telegram
