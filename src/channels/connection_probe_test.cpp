#include "channels/connection_probe.hpp"

#include <gtest/gtest.h>

namespace bottega::channels {
namespace {

const ChannelAdapter& adapter(std::string_view type) {
  const auto* a = find_adapter(type);
  if (!a) throw std::runtime_error("no adapter");
  return *a;
}

TEST(ConnectionProbe, RequestsPerProviderCarryTheStoredCredentials) {
  auto wa = connection_test_request(adapter("whatsapp"), whatsapp::Settings{"106540352242922", "EAAG-token", "s", "v", "https://graph.example/v21.0"});
  ASSERT_TRUE(wa && *wa);
  EXPECT_EQ((*wa)->method, "GET");
  EXPECT_EQ((*wa)->url, "https://graph.example/v21.0/106540352242922?fields=display_phone_number,verified_name");
  EXPECT_EQ((*wa)->headers.at(0).second, "Bearer EAAG-token");

  auto vb = connection_test_request(adapter("viber"), viber::Settings{"tok", "Shop", "", "https://chatapi.example/pa", ""});
  ASSERT_TRUE(vb && *vb);
  EXPECT_EQ((*vb)->method, "POST");
  EXPECT_EQ((*vb)->url, "https://chatapi.example/pa/get_account_info");
  EXPECT_EQ((*vb)->body, "{}");

  auto wc = connection_test_request(adapter("wechat"), wechat::Settings{"wx123", "secret", "tok", "https://api.example"});
  ASSERT_TRUE(wc && *wc);
  EXPECT_NE((*wc)->url.find("/cgi-bin/token?"), std::string::npos) << (*wc)->url;

  // Nothing to test without a provider account.
  EXPECT_FALSE(connection_test_request(adapter("webchat"), std::monostate{}).has_value());
}

TEST(ConnectionProbe, AnswersNameTheAccountOrCarryTheProvidersError) {
  auto ok = parse_connection_test(adapter("viber"), 200, R"({"status":0,"status_message":"ok","id":"pa:123","name":"Shop","uri":"shop"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->id, "pa:123");
  EXPECT_EQ(ok->name, "Shop");
  // Viber says "invalid auth token" with HTTP 200 and status 2.
  auto bad = parse_connection_test(adapter("viber"), 200, R"({"status":2,"status_message":"invalidAuthToken"})");
  ASSERT_FALSE(bad);

  auto token = parse_connection_test(adapter("wechat"), 200, R"({"access_token":"ACCESS","expires_in":7200})");
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->detail, "access token issued, valid 7200 s");
  auto wrong = parse_connection_test(adapter("wechat"), 200, R"({"errcode":40001,"errmsg":"invalid credential"})");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("invalid credential"), std::string::npos) << wrong.error().message;

  auto wa = parse_connection_test(adapter("whatsapp"), 200, R"({"verified_name":"Shop","display_phone_number":"+1 555","id":"1"})");
  ASSERT_TRUE(wa);
  EXPECT_EQ(wa->detail, "+1 555");
  // A 200 that does not name the number is not a success.
  EXPECT_FALSE(parse_connection_test(adapter("whatsapp"), 200, R"({"id":"1"})"));
  auto denied = parse_connection_test(adapter("whatsapp"), 401, R"({"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}})");
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("Invalid OAuth access token"), std::string::npos) << denied.error().message;
}

}  // namespace
}  // namespace bottega::channels
