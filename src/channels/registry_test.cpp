#include "channels/registry.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

#include "channels/capabilities.hpp"
#include "channels/form.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "core/crypto.hpp"

namespace bottega::channels {
namespace {

namespace bj = boost::json;

TEST(ChannelRegistry, ListsEveryContractTypeOnce) {
  std::set<std::string_view> seen;
  for (const auto& a : adapters()) EXPECT_TRUE(seen.insert(a.type).second) << a.type;
  EXPECT_EQ(seen, (std::set<std::string_view>{"webchat", "whatsapp", "messenger", "instagram",
                                              "telegram", "twilio", "email", "viber",
                                              "wechat"}));
  EXPECT_EQ(find_adapter("fax"), nullptr);
}

TEST(ChannelRegistry, ProviderChannelsVerifyAndHaveEveryStep) {
  for (std::string_view type : {"whatsapp", "messenger", "instagram", "telegram", "twilio", "viber", "wechat"}) {
    const ChannelAdapter* a = find_adapter(type);
    ASSERT_NE(a, nullptr) << type;
    EXPECT_TRUE(a->verifies_webhooks) << type;
    EXPECT_NE(a->parse_settings, nullptr) << type;
    EXPECT_NE(a->verify, nullptr) << type;
    EXPECT_NE(a->parse, nullptr) << type;
    EXPECT_NE(a->build_send, nullptr) << type;
    EXPECT_NE(a->parse_send_response, nullptr) << type;
    EXPECT_FALSE(a->secret_settings.empty()) << type;
  }
  EXPECT_NE(find_adapter("whatsapp")->verify_subscription, nullptr);
  EXPECT_EQ(find_adapter("telegram")->verify_subscription, nullptr);
  // WeChat's server-URL check uses the same GET; its access token and its "success" answer.
  EXPECT_NE(find_adapter("wechat")->verify_subscription, nullptr);
  EXPECT_NE(find_adapter("wechat")->build_token_request, nullptr);
  EXPECT_NE(find_adapter("wechat")->authorize, nullptr);
  EXPECT_EQ(find_adapter("wechat")->ack_body, "success");
  EXPECT_EQ(find_adapter("whatsapp")->build_token_request, nullptr);
  EXPECT_TRUE(find_adapter("whatsapp")->ack_body.empty());
  EXPECT_NE(find_adapter("twilio")->ack_body.find("<Response>"), std::string_view::npos);
}

TEST(ChannelRegistry, RoundTripThroughAnySettings) {
  const ChannelAdapter* wa = find_adapter("whatsapp");
  auto settings = wa->parse_settings(bj::parse(R"({"phone_number_id":"1","access_token":"t",
    "app_secret":"secret","verify_token":"vt"})")
                                         .as_object());
  ASSERT_TRUE(settings.ok());

  WebhookRequest req;
  req.body = R"({"object":"whatsapp_business_account","entry":[]})";
  req.headers = {
      {"x-hub-signature-256", "sha256=" + crypto::hex(crypto::hmac_sha256("secret", req.body))}};
  EXPECT_TRUE(wa->verify(req, *settings).ok());
  EXPECT_TRUE(wa->parse(req.body).ok());
  EXPECT_EQ(
      *wa->verify_subscription("hub.mode=subscribe&hub.verify_token=vt&hub.challenge=9", *settings),
      "9");
  OutboundMessage msg;
  msg.text = "hi";
  EXPECT_TRUE(wa->build_send(*settings, "1", msg).ok());

  // Settings of another type are refused, not misread.
  const ChannelAdapter* tg = find_adapter("telegram");
  auto st = tg->verify(req, *settings);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "settings_type_mismatch");

  auto bad = wa->parse_settings(bj::parse(R"({})").as_object());
  EXPECT_EQ(bad.error().field, "settings.phone_number_id");
}

TEST(ChannelCapabilities, TableMatchesProviderLimits) {
  const auto& wa = capabilities("whatsapp");
  EXPECT_EQ(wa.max_text, 4096u);
  EXPECT_EQ(wa.max_buttons, 3u);
  EXPECT_EQ(wa.max_list_rows, 10u);
  EXPECT_TRUE(wa.url_buttons);
  EXPECT_TRUE(wa.product_messages);
  EXPECT_TRUE(wa.media);
  EXPECT_EQ(wa.reply_window_ms, 24 * 3600 * 1000LL);

  const auto& fb = capabilities("messenger");
  EXPECT_EQ(fb.max_text, 2000u);
  EXPECT_EQ(fb.max_quick_replies, 13u);
  EXPECT_EQ(fb.max_buttons, 3u);
  EXPECT_TRUE(fb.card_templates);
  EXPECT_EQ(fb.reply_window_ms, 24 * 3600 * 1000LL);

  const auto& ig = capabilities("instagram");
  EXPECT_EQ(ig.max_text, 1000u);
  EXPECT_EQ(ig.max_quick_replies, 13u);
  EXPECT_EQ(ig.max_buttons, 0u);

  const auto& tg = capabilities("telegram");
  EXPECT_EQ(tg.max_text, 4096u);
  EXPECT_GT(tg.max_buttons, 0u);
  EXPECT_TRUE(tg.url_buttons);
  EXPECT_EQ(tg.reply_window_ms, 0);

  const auto& sms = capabilities("twilio");
  EXPECT_EQ(sms.max_text, 1600u);
  EXPECT_EQ(sms.max_buttons, 0u);
  EXPECT_FALSE(sms.url_buttons);

  EXPECT_GT(capabilities("email").max_text, 1000000u);
  EXPECT_TRUE(capabilities("email").url_buttons);
  EXPECT_TRUE(capabilities("webchat").url_buttons);
  EXPECT_EQ(capabilities("carrier-pigeon").max_buttons, 0u);
  for (const auto& a : adapters()) EXPECT_NE(&capabilities(a.type), &capabilities("?")) << a.type;
}

TEST(ChannelTypes, EnumNames) {
  EXPECT_EQ(to_string(MessageKind::text), "text");
  EXPECT_EQ(to_string(MessageKind::interactive_reply), "interactive_reply");
  EXPECT_EQ(to_string(MessageKind::media), "media");
  EXPECT_EQ(to_string(MessageKind::location), "location");
  EXPECT_EQ(to_string(MessageKind::contacts), "contacts");
  EXPECT_EQ(to_string(MessageKind::reaction), "reaction");
  EXPECT_EQ(to_string(MessageKind::order), "order");
  EXPECT_EQ(to_string(MessageKind::unsupported), "unsupported");
  EXPECT_EQ(to_string(DeliveryState::pending), "pending");
  EXPECT_EQ(to_string(DeliveryState::sent), "sent");
  EXPECT_EQ(to_string(DeliveryState::delivered), "delivered");
  EXPECT_EQ(to_string(DeliveryState::read), "read");
  EXPECT_EQ(to_string(DeliveryState::failed), "failed");
}

TEST(FormCodec, DecodesPlusPercentAndEdgeCases) {
  auto p = form::parse("a=1+2&b=%41%42%c3%a9&empty=&flag&&c=x%3Dy%26z&a=3");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 6u);
  EXPECT_EQ((*p)[0], (std::pair<std::string, std::string>{"a", "1 2"}));
  EXPECT_EQ((*p)[1].second, "AB\xC3\xA9");
  EXPECT_EQ((*p)[2].second, "");
  EXPECT_EQ((*p)[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ((*p)[4].second, "x=y&z");
  EXPECT_EQ(*form::find(*p, "a"), "1 2");
  EXPECT_FALSE(form::parse("a=%").ok());
  EXPECT_FALSE(form::parse("a=%G1").ok());
  EXPECT_FALSE(form::parse("a=1&b=2", 1).ok());
  EXPECT_TRUE(form::parse("").ok());
  EXPECT_EQ(form::encode({{"To", "+1 555"}, {"Body", "a&b=c/é~"}}),
            "To=%2B1%20555&Body=a%26b%3Dc%2F%C3%A9~");
  auto round = form::parse(form::encode({{"k", "any \x01 bytes + % &"}}));
  EXPECT_EQ((*round)[0].second, "any \x01 bytes + % &");
}

TEST(Payload, ValidUtf8ReplacesIllFormedSequences) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(payload::valid_utf8("plain \xC3\xA9 \xF0\x9F\x91\x8D"),
            "plain \xC3\xA9 \xF0\x9F\x91\x8D");
  EXPECT_EQ(payload::valid_utf8("\xAF"), fffd);
  EXPECT_EQ(payload::valid_utf8("a\xC3"), "a" + fffd);                            // truncated
  EXPECT_EQ(payload::valid_utf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(payload::valid_utf8("\xE0\x80\xAF"), fffd + fffd + fffd);             // overlong
  EXPECT_EQ(payload::valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // surrogate
  EXPECT_EQ(payload::valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
  EXPECT_EQ(payload::valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Render, CountsCharactersNotBytes) {
  EXPECT_EQ(render::char_count("h\xC3\xA9llo \xF0\x9F\x91\x8D"), 7u);
  EXPECT_TRUE(render::check_length(std::string(10, 'a'), 10).ok());
  EXPECT_FALSE(render::check_length(std::string(11, 'a'), 10).ok());
  std::string e;
  for (int i = 0; i < 10; ++i) e += "\xC3\xA9";  // 10 characters, 20 bytes
  EXPECT_TRUE(render::check_length(e, 10).ok());
}

}  // namespace
}  // namespace bottega::channels
