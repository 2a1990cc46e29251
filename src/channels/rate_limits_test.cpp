// The send-rate table, its per-channel override with named errors, and how each provider's
// "slow down" answer is read.
#include "channels/rate_limits.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bottega::channels {
namespace {

namespace bj = boost::json;

bj::object obj(std::string_view s) { return bj::parse(s).as_object(); }

TEST(SendRate, ProvidersDocumentedDefaults) {
  EXPECT_EQ(default_send_rate("whatsapp").per_second, 80);
  EXPECT_EQ(default_send_rate("whatsapp").per_recipient_interval_ms, 6000);
  EXPECT_EQ(default_send_rate("whatsapp").per_recipient_burst, 45);
  EXPECT_EQ(default_send_rate("telegram").per_second, 30);
  EXPECT_EQ(default_send_rate("telegram").per_recipient_interval_ms, 1000);
  EXPECT_EQ(default_send_rate("twilio").per_second, 1);
  EXPECT_EQ(default_send_rate("messenger").per_second, 40);
  // Viber: 100 messages an hour to a user who has not replied (one per 72 s, bursts of 50);
  // WeChat: no per-recipient pace (its own quota is per customer message).
  EXPECT_EQ(default_send_rate("viber").per_second, 20);
  EXPECT_EQ(default_send_rate("viber").per_recipient_interval_ms, 72000);
  EXPECT_EQ(default_send_rate("viber").per_recipient_burst, 50);
  EXPECT_EQ(default_send_rate("wechat").per_second, 20);
  EXPECT_EQ(default_send_rate("wechat").per_recipient_interval_ms, 0);
  EXPECT_EQ(default_send_rate("webchat").per_second, 0);
  EXPECT_EQ(default_send_rate("email").per_second, 0);
}

TEST(SendRate, ChannelSettingsOverrideFieldByField) {
  auto r = send_rate("whatsapp", obj(R"({"phone_number_id":"1","send_rate":{"per_second":1000}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->per_second, 1000);
  EXPECT_EQ(r->per_recipient_interval_ms, 6000) << "the rest keeps the default";
  auto off = send_rate("telegram", obj(R"({"send_rate":{"per_recipient_interval_ms":0}})"));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->per_recipient_interval_ms, 0);
}

TEST(SendRate, BadOverridesNameTheField) {
  struct Case {
    const char* json;
    const char* field;
    const char* code;
  } cases[] = {
      {R"({"send_rate":5})", "settings.send_rate", "invalid_type"},
      {R"({"send_rate":{"per_minute":5}})", "settings.send_rate.per_minute", "unknown_field"},
      {R"({"send_rate":{"per_second":"80"}})", "settings.send_rate.per_second", "invalid_type"},
      {R"({"send_rate":{"per_second":-1}})", "settings.send_rate.per_second", "out_of_range"},
      {R"({"send_rate":{"per_second":18446744073709551615}})", "settings.send_rate.per_second", "out_of_range"},
      {R"({"send_rate":{"per_recipient_burst":0}})", "settings.send_rate.per_recipient_burst", "out_of_range"},
      {R"({"send_rate":{"per_second":1.5}})", "settings.send_rate.per_second", "invalid_type"},
  };
  for (const auto& c : cases) {
    auto r = send_rate("whatsapp", obj(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().field, c.field) << c.json;
    EXPECT_EQ(r.error().code, c.code) << c.json;
  }
}

HttpResponse response(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

constexpr int64_t kNow = 1'784'000'000'000;  // 2026-07-14T03:33:20Z

TEST(Throttle, WhatsAppThroughputHoldsTheChannel) {
  auto t = read_throttle("whatsapp", response(400, R"({"error":{"code":130429,"message":"(#130429) Rate limit hit"}})"), 1, kNow);
  EXPECT_EQ(t.scope, Throttle::Scope::channel);
  EXPECT_EQ(t.retry_after_ms, 2000);
}

TEST(Throttle, WhatsAppPairLimitBacksOffFourToTheN) {
  std::string body = R"({"error":{"code":131056,"message":"pair rate limit hit"}})";
  EXPECT_EQ(read_throttle("whatsapp", response(400, body), 1, kNow).scope, Throttle::Scope::recipient);
  EXPECT_EQ(read_throttle("whatsapp", response(400, body), 1, kNow).retry_after_ms, 4000);
  EXPECT_EQ(read_throttle("whatsapp", response(400, body), 2, kNow).retry_after_ms, 16000);
  EXPECT_EQ(read_throttle("whatsapp", response(400, body), 9, kNow).retry_after_ms, 1024000) << "capped at 4^5 s";
}

TEST(Throttle, TelegramRetryAfterIsPerChat) {
  auto t = read_throttle("telegram",
                         response(429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}})"),
                         1, kNow);
  EXPECT_EQ(t.scope, Throttle::Scope::recipient);
  EXPECT_EQ(t.retry_after_ms, 35000);
}

TEST(Throttle, RetryAfterHeaderInSecondsOrAsADate) {
  EXPECT_EQ(read_throttle("twilio", response(429, R"({"code":20429})", {{"retry-after", "7"}}), 1, kNow).retry_after_ms, 7000);
  // kNow + 90 s as an HTTP date.
  auto t = read_throttle("messenger", response(429, "{}", {{"Retry-After", "Tue, 14 Jul 2026 03:34:50 GMT"}}), 1, kNow);
  EXPECT_EQ(t.retry_after_ms, 90000);
  EXPECT_EQ(t.scope, Throttle::Scope::channel);
  EXPECT_EQ(read_throttle("twilio", response(429, "{}", {{"Retry-After", "soon"}}), 1, kNow).retry_after_ms, 2000)
      << "an unreadable header falls back to the default pause";
}

}  // namespace
}  // namespace bottega::channels
