// POST /api/v1/channels/{id}/test against the provider simulator: each provider's identity call is
// made with the channel's stored credentials and the account (or the provider's own error) is
// reported; nothing is sent to a customer; agents, other shops and channels without a provider
// account are refused.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "sim.hpp"

namespace e2e {
namespace {

class ChannelConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Connection shop");
    srv.start();
  }
  std::string channel(const std::string& type, bj::object settings) {
    auto r = srv.post("/api/v1/channels", bj::object{{"type", type}, {"name", type + " channel"}, {"settings", std::move(settings)}},
                      bearer(shop.token));
    if (r.status != 201) throw std::runtime_error(r.describe());
    return str(r.json(), "id");
  }
  HttpResponse test(const std::string& id, const Headers& h) { return srv.post("/api/v1/channels/" + id + "/test", bj::object{}, h); }
  void account(bj::object a) {
    auto r = sim.post("/__sim/accounts", a);
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  size_t sends() {
    size_t n = 0;
    for (const char* p : {"whatsapp", "messenger", "telegram", "twilio"}) {
      auto r = http_request(sim.port(), "GET", std::string("/__sim/requests?provider=") + p);
      for (const auto& q : arr(r.json(), "requests"))
        if (str(q, "path").find("/messages") != std::string::npos || str(q, "path").find("/send") != std::string::npos) ++n;
    }
    return n;
  }

  Sim sim;
  BottegaProcess srv;
  Tenant shop;
};

TEST_F(ChannelConnection, EachProviderNamesTheAccountOrSaysWhyNot) {
  account(bj::object{{"provider", "whatsapp"}, {"phone_number_id", "106540352242922"}, {"access_token", "wa-good"}});
  account(bj::object{{"provider", "telegram"}, {"bot_token", "123456:good-token"}});
  account(bj::object{{"provider", "twilio"}, {"account_sid", "AC123"}, {"auth_token", "tw-good"}});
  std::string wa = channel("whatsapp", bj::object{{"phone_number_id", "106540352242922"}, {"access_token", "wa-good"},
                                                  {"app_secret", "s"}, {"verify_token", "v"},
                                                  {"api_base_url", sim.url() + "/whatsapp/v21.0"}});
  std::string wa_bad = channel("whatsapp", bj::object{{"phone_number_id", "106540352242922"}, {"access_token", "wa-stale"},
                                                      {"app_secret", "s"}, {"verify_token", "v"},
                                                      {"api_base_url", sim.url() + "/whatsapp/v21.0"}});
  std::string ms = channel("messenger", bj::object{{"page_id", "100200300"}, {"page_access_token", "page-token"}, {"app_secret", "s"},
                                                   {"verify_token", "v"}, {"api_base_url", sim.url() + "/messenger/v21.0"}});
  std::string tg = channel("telegram", bj::object{{"bot_token", "123456:good-token"}, {"secret_token", "sec"},
                                                  {"api_base_url", sim.url() + "/telegram"}});
  std::string tg_bad = channel("telegram", bj::object{{"bot_token", "123456:revoked"}, {"secret_token", "sec"},
                                                      {"api_base_url", sim.url() + "/telegram"}});
  std::string tw = channel("twilio", bj::object{{"account_sid", "AC123"}, {"auth_token", "tw-good"}, {"from", "+15550001111"},
                                                {"api_base_url", sim.url() + "/twilio"}});
  std::string web = create_webchat_channel(srv, shop.token, "Web");

  auto r = test(wa, bearer(shop.token));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(str(r.json(), "account.id"), "106540352242922");
  EXPECT_EQ(str(r.json(), "account.name"), "Bottega Sim Shop");
  EXPECT_EQ(str(r.json(), "account.detail"), "+1 555-010-0100");

  r = test(wa_bad, bearer(shop.token));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_FALSE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(str(r.json(), "error.code"), "provider_unauthorized") << r.body;
  EXPECT_NE(str(r.json(), "error.message").find("Error validating access token"), std::string::npos) << r.body;
  EXPECT_EQ(num(r.json(), "error.http_status"), 401);

  r = test(ms, bearer(shop.token));
  EXPECT_TRUE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(str(r.json(), "account.name"), "Bottega Sim Page");

  r = test(tg, bearer(shop.token));
  EXPECT_TRUE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(str(r.json(), "account.id"), "123456");
  EXPECT_EQ(str(r.json(), "account.name"), "@bottega_sim_bot");
  r = test(tg_bad, bearer(shop.token));
  EXPECT_FALSE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(num(r.json(), "error.http_status"), 401) << r.body;

  r = test(tw, bearer(shop.token));
  EXPECT_TRUE(find(r.json(), "ok")->as_bool()) << r.body;
  EXPECT_EQ(str(r.json(), "account.id"), "AC123");
  EXPECT_EQ(str(r.json(), "account.detail"), "active");

  // The identity calls went to the providers with the stored credentials; no message was sent.
  auto calls = http_request(sim.port(), "GET", "/__sim/requests?provider=whatsapp");
  bool saw = false;
  for (const auto& q : arr(calls.json(), "requests"))
    if (str(q, "method") == "GET" && str(q, "path").find("/106540352242922") != std::string::npos) saw = true;
  EXPECT_TRUE(saw) << calls.body;
  EXPECT_EQ(sends(), 0u);

  // Nothing to test, not an admin, another shop's channel, an unknown one.
  auto none = test(web, bearer(shop.token));
  EXPECT_EQ(none.status, 422) << none.describe();
  EXPECT_EQ(none.error_code(), "test_unsupported");
  srv.create_agent(shop.id, "plain@shop.test", "plain agent password", "agent");
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "plain@shop.test"}, {"password", "plain agent password"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string cookie = login.header("Set-Cookie");
  Headers agent{{"Cookie", cookie.substr(0, cookie.find(';'))}, {"X-CSRF-Token", str(login.json(), "csrf_token")}};
  EXPECT_EQ(test(wa, agent).status, 403);
  auto other = srv.create_tenant("Other shop");
  EXPECT_EQ(test(wa, bearer(other.token)).status, 404);
  EXPECT_EQ(test("ch_unknown", bearer(shop.token)).status, 404);
}

// The connection test sends the identity call through the same outbound client as every provider
// call: a destination the configuration does not allow is refused before anything is sent, and a
// redirect is reported, never followed.
TEST(ChannelConnectionDestinations, ABlockedDestinationIsRefusedWithAClearErrorAndNothingIsSent) {
  Sim sim;
  ProcessOptions strict;
  strict.allow_private_networks = false;  // production's default
  BottegaProcess srv(strict);
  Tenant shop = srv.create_tenant("Strict shop");
  srv.start();
  auto create = [&](const std::string& base) {
    auto r = srv.post("/api/v1/channels",
                      bj::object{{"type", "telegram"}, {"name", "tg " + base},
                                 {"settings", bj::object{{"bot_token", "123456:good-token"}, {"secret_token", "sec"}, {"api_base_url", base}}}},
                      bearer(shop.token));
    if (r.status != 201) throw std::runtime_error(r.describe());
    return str(r.json(), "id");
  };
  // The simulator on loopback, a private address and the cloud metadata address.
  for (const std::string& base : {sim.url() + "/telegram", std::string("http://10.1.2.3/telegram"),
                                  std::string("http://169.254.169.254/latest")}) {
    std::string id = create(base);
    auto r = srv.post("/api/v1/channels/" + id + "/test", bj::object{}, bearer(shop.token));
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_FALSE(find(r.json(), "ok")->as_bool()) << base << ": " << r.body;
    EXPECT_EQ(str(r.json(), "error.code"), "destination_blocked") << base << ": " << r.body;
    std::string host = base.substr(7, base.find('/', 7) - 7);
    EXPECT_NE(str(r.json(), "error.message").find("non-public address (" + host.substr(0, host.find(':')) + ")"), std::string::npos)
        << r.body;
    EXPECT_EQ(find(r.json(), "error.http_status"), nullptr) << "no provider answered: " << r.body;
  }
  // Nothing reached the simulator.
  auto calls = http_request(sim.port(), "GET", "/__sim/requests?provider=telegram");
  EXPECT_TRUE(arr(calls.json(), "requests").empty()) << calls.body;
  // The metric counts the failed tests.
  auto metrics = srv.get("/metrics");
  EXPECT_NE(metrics.body.find("bottega_channel_tests_total{type=\"telegram\",result=\"error\"} 3"), std::string::npos);
}

TEST(ChannelConnectionDestinations, ARedirectToAPrivateAddressIsReportedAndNotFollowed) {
  Sim sim;
  BottegaProcess srv;  // loopback allowed: the simulator plays a provider that redirects
  Tenant shop = srv.create_tenant("Redirect shop");
  srv.start();
  auto r = srv.post("/api/v1/channels",
                    bj::object{{"type", "telegram"}, {"name", "tg"},
                               {"settings", bj::object{{"bot_token", "123456:good-token"}, {"secret_token", "sec"},
                                                       {"api_base_url", sim.url() + "/telegram"}}}},
                    bearer(shop.token));
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string id = str(r.json(), "id");
  auto f = sim.post("/__sim/fail", bj::object{{"provider", "telegram"}, {"status", 302},
                                              {"location", "http://169.254.169.254/latest/meta-data/iam/"}});
  ASSERT_EQ(f.status, 200) << f.describe();
  auto t = srv.post("/api/v1/channels/" + id + "/test", bj::object{}, bearer(shop.token));
  ASSERT_EQ(t.status, 200) << t.describe();
  EXPECT_FALSE(find(t.json(), "ok")->as_bool()) << t.body;
  EXPECT_EQ(str(t.json(), "error.code"), "redirect_not_followed") << t.body;
  EXPECT_EQ(num(t.json(), "error.http_status"), 302) << t.body;
  EXPECT_NE(str(t.json(), "error.message").find("http://169.254.169.254/latest/meta-data/iam/"), std::string::npos) << t.body;
  // One request: the getMe that was answered with the redirect; the client made no second one.
  auto calls = http_request(sim.port(), "GET", "/__sim/requests?provider=telegram");
  ASSERT_EQ(arr(calls.json(), "requests").size(), 1u) << calls.body;
  EXPECT_NE(str(arr(calls.json(), "requests")[0], "path").find("/getMe"), std::string::npos) << calls.body;
  // Once the redirect is gone the same channel tests fine.
  auto ok = srv.post("/api/v1/channels/" + id + "/test", bj::object{}, bearer(shop.token));
  EXPECT_TRUE(find(ok.json(), "ok")->as_bool()) << ok.body;
}

}  // namespace
}  // namespace e2e
