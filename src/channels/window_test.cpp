// Messaging windows with an injected time: WhatsApp 24 h then templates only; Messenger and
// Instagram 24 h, then 7 days for a person's reply (HUMAN_AGENT); no window elsewhere; the
// templates setting and template checks; the WhatsApp template request.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/whatsapp/whatsapp.hpp"
#include "channels/window.hpp"

namespace bottega::channels {
namespace {

namespace bj = boost::json;
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;

TEST(Window, WhatsAppFreeFormOnlyWithin24Hours) {
  auto open = window_state("whatsapp", kT0, kT0 + 23 * kHour);
  EXPECT_TRUE(open.open);
  EXPECT_EQ(*open.closes_at_ms, kT0 + 24 * kHour);
  EXPECT_TRUE(check_send(open, false, false).allowed);
  auto closed = window_state("whatsapp", kT0, kT0 + 24 * kHour);  // the boundary is closed
  EXPECT_FALSE(closed.open);
  auto v = check_send(closed, false, true);  // even a person cannot send free-form
  EXPECT_FALSE(v.allowed);
  EXPECT_NE(v.message.find("template"), std::string::npos);
  EXPECT_TRUE(check_send(closed, true, false).allowed);  // templates any time
  // Never written: closed, templates only.
  auto never = window_state("whatsapp", std::nullopt, kT0);
  EXPECT_FALSE(never.open);
  EXPECT_FALSE(check_send(never, false, false).allowed);
}

TEST(Window, WeChatCustomerServiceWithin48Hours) {
  auto open = window_state("wechat", kT0, kT0 + 47 * kHour);
  EXPECT_EQ(open.policy, WindowPolicy::wechat);
  EXPECT_TRUE(open.open);
  EXPECT_EQ(*open.closes_at_ms, kT0 + 48 * kHour);
  EXPECT_TRUE(check_send(open, false, true).allowed);
  auto closed = window_state("wechat", kT0, kT0 + 48 * kHour);
  EXPECT_FALSE(closed.open);
  auto v = check_send(closed, false, true);  // a person's reply too: WeChat has no HUMAN_AGENT tag
  EXPECT_FALSE(v.allowed);
  EXPECT_NE(v.message.find("48 hours"), std::string::npos);
  EXPECT_TRUE(check_send(closed, true, false).allowed) << "template messages reach a follower at any time";
  EXPECT_FALSE(check_send(window_state("wechat", std::nullopt, kT0), false, false).allowed);
  EXPECT_EQ(window_json(closed, {}).at("policy").as_string(), "wechat");
  MessageTemplate shipped{"order_shipped", "zh_CN", 2, "TPL1", {"first", "keyword1"}, ""};
  auto j = window_json(closed, {shipped});
  ASSERT_EQ(j.at("templates").as_array().size(), 1u);
  EXPECT_EQ(j.at("templates").as_array()[0], bj::parse(R"({"name":"order_shipped","language":"zh_CN","parameters":2,"keys":["first","keyword1"]})"));
  // Only WeChat channels read WeChat's template fields.
  EXPECT_EQ(parse_templates(bj::parse(R"({"templates":[{"name":"a","language":"en","template_id":"T","keys":["k"]}]})").as_object())
                .error().field, "settings.templates[0].template_id");
}

TEST(Window, MetaHumanAgentForSevenDays) {
  for (const char* type : {"messenger", "instagram"}) {
    auto w = window_state(type, kT0, kT0 + 2 * 24 * kHour);
    EXPECT_FALSE(w.open);
    EXPECT_TRUE(w.human_agent_open);
    auto bot = check_send(w, false, false);
    EXPECT_FALSE(bot.allowed) << type;
    EXPECT_NE(bot.message.find("HUMAN_AGENT"), std::string::npos);
    auto person = check_send(w, false, true);
    EXPECT_TRUE(person.allowed);
    EXPECT_TRUE(person.human_agent_tag);
    auto inside = check_send(window_state(type, kT0, kT0 + kHour), false, true);
    EXPECT_TRUE(inside.allowed);
    EXPECT_FALSE(inside.human_agent_tag);  // no tag needed inside 24 h
    auto late = window_state(type, kT0, kT0 + 7 * 24 * kHour);
    EXPECT_FALSE(late.human_agent_open);
    EXPECT_FALSE(check_send(late, false, true).allowed);
    EXPECT_FALSE(check_send(late, true, true).allowed);  // no templates on Meta channels here
  }
}

TEST(Window, OtherChannelsHaveNone) {
  // Viber has no customer-service window (its limit is 100 messages an hour to a user who has
  // not replied: a send-rate matter, docs/channels.md#viber).
  for (const char* type : {"webchat", "telegram", "twilio", "email", "viber"}) {
    auto w = window_state(type, kT0, kT0 + 30 * 24 * kHour);
    EXPECT_TRUE(w.open);
    EXPECT_TRUE(check_send(w, false, false).allowed);
    EXPECT_FALSE(check_send(w, true, false).allowed) << "templates are WhatsApp's and WeChat's";
  }
}

TEST(Window, JsonShowsTemplatesOnWhatsApp) {
  std::vector<MessageTemplate> t{{"order_update", "en_US", 2}};
  auto j = window_json(window_state("whatsapp", kT0, kT0 + 25 * kHour), t);
  EXPECT_EQ(j.at("policy").as_string(), "whatsapp");
  EXPECT_FALSE(j.at("open").as_bool());
  EXPECT_EQ(j.at("closes_at").as_string(), "2023-11-15T22:13:20.000Z");
  ASSERT_EQ(j.at("templates").as_array().size(), 1u);
  auto none = window_json(window_state("telegram", std::nullopt, kT0), t);
  EXPECT_EQ(none.at("policy").as_string(), "none");
  EXPECT_TRUE(none.at("templates").as_array().empty());
  EXPECT_TRUE(none.at("last_inbound_at").is_null());
}

TEST(Window, TemplatesSettingAndChecks) {
  auto t = parse_templates(bj::parse(R"({"templates":[{"name":"order_update","language":"en_US","parameters":2},
                                                        {"name":"hello","language":"it"}]})").as_object());
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[1].parameters, 0u);
  EXPECT_TRUE(check_template({"order_update", "en_US", {"Asha", "A1"}}, *t).ok());
  auto wrong_count = check_template({"order_update", "en_US", {"Asha"}}, *t);
  EXPECT_EQ(wrong_count.error().field, "template.parameters");
  auto unknown = check_template({"promo", "en_US", {}}, *t);
  EXPECT_EQ(unknown.error().field, "template.name");
  EXPECT_NE(unknown.error().message.find("order_update (en_US)"), std::string::npos);
  EXPECT_EQ(parse_templates(bj::parse(R"({"templates":[{"name":"Bad Name","language":"en"}]})").as_object()).error().field,
            "settings.templates[0].name");
  EXPECT_EQ(parse_templates(bj::parse(R"({"templates":[{"name":"a","language":"en","x":1}]})").as_object()).error().field,
            "settings.templates[0].x");
  EXPECT_EQ(parse_templates(bj::parse(R"({"templates":[{"name":"a","language":"en","parameters":99}]})").as_object()).error().field,
            "settings.templates[0].parameters");
  EXPECT_TRUE(parse_templates(bj::parse(R"({})").as_object())->empty());
}

TEST(Window, WhatsAppTemplateRequest) {
  auto s = whatsapp::parse_settings(bj::parse(R"({"phone_number_id":"123","access_token":"t","app_secret":"s",
      "verify_token":"v","templates":[{"name":"order_update","language":"en_US","parameters":1}]})").as_object());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->templates.size(), 1u);
  auto req = whatsapp::build_template_send(*s, "16505551234", {"order_update", "en_US", {"Asha"}});
  ASSERT_TRUE(req.ok());
  auto b = bj::parse(req->body).as_object();
  EXPECT_EQ(b.at("type").as_string(), "template");
  EXPECT_EQ(b.at("to").as_string(), "16505551234");
  const auto& t = b.at("template").as_object();
  EXPECT_EQ(t.at("name").as_string(), "order_update");
  EXPECT_EQ(t.at("language").at("code").as_string(), "en_US");
  const auto& comp = t.at("components").as_array()[0].as_object();
  EXPECT_EQ(comp.at("type").as_string(), "body");
  EXPECT_EQ(comp.at("parameters").as_array()[0].at("text").as_string(), "Asha");
  auto none = whatsapp::build_template_send(*s, "1", {"hello", "it", {}});
  EXPECT_FALSE(bj::parse(none->body).at("template").as_object().contains("components"));
}

}  // namespace
}  // namespace bottega::channels
