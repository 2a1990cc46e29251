// Web chat "continue on another channel": the settings are validated field by field and the public
// config hands the widget ready-made links (wa.me, m.me, mailto:) and nothing else.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace e2e {
namespace {

TEST(WebchatContinue, ConfigOffersTheShopsOtherChannelsAsLinks) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Continue shop");
  srv.start();
  auto created = srv.post("/api/v1/channels",
                          bj::object{{"type", "webchat"},
                                     {"name", "Site chat"},
                                     {"settings", bj::object{{"greeting", "Ciao!"},
                                                             {"continue_whatsapp", "+31 6-1234 5678"},
                                                             {"continue_messenger", "bottega.shop"},
                                                             {"continue_email", "help@shop.example"}}}},
                          bearer(shop.token));
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string id = str(created.json(), "id");
  auto cfg = srv.get("/api/v1/webchat/" + id + "/config");
  ASSERT_EQ(cfg.status, 200) << cfg.describe();
  auto offers = arr(cfg.json(), "continue_on");
  ASSERT_EQ(offers.size(), 3u) << cfg.body;
  EXPECT_EQ(str(offers[0], "channel"), "whatsapp");
  EXPECT_EQ(str(offers[0], "url"), "https://wa.me/31612345678");
  EXPECT_EQ(str(offers[1], "url"), "https://m.me/bottega.shop");
  EXPECT_EQ(str(offers[2], "url"), "mailto:help@shop.example");
  EXPECT_EQ(str(cfg.json(), "greeting"), "Ciao!");

  // Without the settings, nothing is offered.
  std::string plain = create_webchat_channel(srv, shop.token, "Plain");
  EXPECT_TRUE(arr(srv.get("/api/v1/webchat/" + plain + "/config").json(), "continue_on").empty());
}

TEST(WebchatContinue, BadSettingsNameTheFieldAndCreateNothing) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Continue shop");
  srv.start();
  std::vector<std::pair<bj::object, std::string>> cases = {
      {{{"continue_whatsapp", "call us"}}, "settings.continue_whatsapp"},
      {{{"continue_whatsapp", "+0612"}}, "settings.continue_whatsapp"},
      {{{"continue_messenger", "javascript:alert(1)"}}, "settings.continue_messenger"},
      {{{"continue_email", "a@b.c?subject=x"}}, "settings.continue_email"},
      {{{"continue_email", "not an address"}}, "settings.continue_email"},
      {{{"continue_telegram", "x"}}, "settings.continue_telegram"},
  };
  for (const auto& [settings, field] : cases) {
    auto r = srv.post("/api/v1/channels", bj::object{{"type", "webchat"}, {"name", "X"}, {"settings", settings}},
                      bearer(shop.token));
    EXPECT_EQ(r.status, 400) << dump(settings) << " -> " << r.describe();
    EXPECT_EQ(r.error_field(), field) << r.describe();
  }
  EXPECT_TRUE(arr(srv.get("/api/v1/channels", bearer(shop.token)).json(), "data").empty());
}

}  // namespace
}  // namespace e2e
