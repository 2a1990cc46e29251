// Proactive messages end to end, through the real binary and the WhatsApp simulator
// (tools/sim): an abandoned cart gets one reminder after the shop's delay, also across a restart;
// the customer writes STOP and gets no more; an agent opts her back in; paying and shipping the
// order send the approved templates; the reports count the cart recovered after the reminder.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <ctime>
#include <thread>

#include "harness.hpp"
#include "sim.hpp"

namespace e2e {
namespace {

constexpr const char* kAppSecret = "proactive-app-secret";
constexpr const char* kWaId = "31611122233";

class Proactive : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Proactive shop");
    srv.start();
    auto ch = srv.post("/api/v1/channels",
                       bj::object{{"type", "whatsapp"},
                                  {"name", "WhatsApp"},
                                  {"settings", bj::object{{"phone_number_id", "106540352242922"},
                                                          {"access_token", "wa-token"},
                                                          {"app_secret", kAppSecret},
                                                          {"verify_token", "verify"},
                                                          {"api_base_url", sim.url() + "/whatsapp/v21.0"},
                                                          {"templates", bj::array{
                                                              bj::object{{"name", "order_paid"}, {"language", "en"}, {"parameters", 2}},
                                                              bj::object{{"name", "order_shipped"}, {"language", "en"}, {"parameters", 2}}}}}}},
                       auth());
    ASSERT_EQ(ch.status, 201) << ch.describe();
    channel = str(ch.json(), "id");
    auto p = srv.post("/api/v1/products",
                      bj::object{{"title", bj::object{{"en", "Mug"}}},
                                 {"variants", bj::array{bj::object{{"sku", "MUG"}, {"prices", bj::object{{"EUR", 1250}}}}}}},
                      auth());
    ASSERT_EQ(p.status, 201) << p.describe();
  }
  Headers auth() const { return bearer(shop.token); }
  void customer_writes(const std::string& text) {
    auto r = sim.post("/__sim/deliver", bj::object{{"provider", "whatsapp"},
                                                   {"url", srv.public_url() + "/webhooks/" + channel},
                                                   {"app_secret", kAppSecret},
                                                   {"build", bj::array{"whatsappText", kWaId, text}}});
    ASSERT_EQ(r.status, 200) << r.describe();
    ASSERT_EQ(num(r.json(), "status"), 200) << r.body;
  }
  // What the server sent to WhatsApp's send API so far.
  std::vector<bj::value> sends() {
    auto r = http_request(sim.port(), "GET", "/__sim/requests?provider=whatsapp");
    std::vector<bj::value> out;
    for (const auto& q : arr(r.json(), "requests"))
      if (str(q, "method") == "POST" && find(q, "json")) out.push_back(*find(q, "json"));
    return out;
  }
  std::vector<bj::value> sends_containing(const std::string& needle) {
    std::vector<bj::value> out;
    for (auto& s : sends())
      if (dump(s).find(needle) != std::string::npos) out.push_back(s);
    return out;
  }
  std::string cart_for(const std::string& conversation, int64_t qty) {
    auto c = srv.post("/api/v1/carts", bj::object{{"conversation_id", conversation}}, auth());
    if (c.status != 201) throw std::runtime_error(c.describe());
    std::string id = str(c.json(), "id");
    auto i = srv.post("/api/v1/carts/" + id + "/items", bj::object{{"sku", "MUG"}, {"quantity", qty}}, auth());
    if (i.status != 200 && i.status != 201) throw std::runtime_error(i.describe());
    return id;
  }
  bj::value reminder(const std::string& cart) {
    auto r = srv.get("/api/v1/proactive/cart_reminders", auth());
    for (const auto& x : arr(r.json(), "data"))
      if (str(x, "cart_id") == cart) return x;
    return nullptr;
  }

  Sim sim;
  BottegaProcess srv;
  Tenant shop;
  std::string channel;
};

TEST_F(Proactive, OneReminderPerCartThenStopThenOrderTemplatesAndTheRecoveredCartInReports) {
  // Settings are validated; errors name the field and change nothing.
  auto bad = srv.request("PATCH", "/api/v1/proactive/settings", R"({"cart_reminder":{"enabled":true,"delay_seconds":0}})", auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "cart_reminder.delay_seconds");
  auto bad2 = srv.request("PATCH", "/api/v1/proactive/settings",
                          R"({"order_updates":{"enabled":true,"paid":{"name":"order_paid","language":"en","parameters":["order.secret"]}}})", auth());
  EXPECT_EQ(bad2.status, 400);
  EXPECT_EQ(bad2.error_field(), "order_updates.paid.parameters[0]");
  EXPECT_FALSE(find(srv.get("/api/v1/proactive/settings", auth()).json(), "cart_reminder.enabled")->as_bool());
  auto ok = srv.request("PATCH", "/api/v1/proactive/settings",
                        R"({"cart_reminder":{"enabled":true,"delay_seconds":2},
                            "order_updates":{"enabled":true,
                              "paid":{"name":"order_paid","language":"en","parameters":["contact.first_name","order.number"]},
                              "fulfilled":{"name":"order_shipped","language":"en","parameters":["order.number","order.tracking_url"]}}})",
                        auth());
  ASSERT_EQ(ok.status, 200) << ok.describe();

  customer_writes("Hi, is the mug dishwasher safe?");
  std::string conv, contact;
  ASSERT_TRUE(eventually([&] {
    auto l = srv.get("/api/v1/conversations", auth());
    auto data = arr(l.json(), "data");
    if (data.empty()) return false;
    conv = str(data[0], "id");
    contact = str(data[0], "contact.id");
    return true;
  }, 5s));
  auto cart = cart_for(conv, 2);

  // The reminder reaches WhatsApp once, as text (inside the 24-hour window).
  ASSERT_TRUE(eventually([&] { return !sends_containing("in your cart").empty(); }, 20s, 200ms)) << srv.server_output();
  auto first = sends_containing("in your cart");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(str(first[0], "type"), "text");
  EXPECT_EQ(str(first[0], "to"), kWaId);
  EXPECT_NE(str(first[0], "text.body").find("Hi Sheena! You left 2 x Mug in your cart (25.00 EUR)"), std::string::npos)
      << dump(first[0]);
  auto rem = reminder(cart);
  EXPECT_EQ(str(rem, "status"), "sent");
  EXPECT_EQ(str(rem, "mode"), "text");
  EXPECT_EQ(num(rem, "total"), 2500);

  // A restart (and the monitor's scans after it) sends nothing more for that cart.
  srv.restart();
  std::this_thread::sleep_for(4s);
  EXPECT_EQ(sends_containing("in your cart").size(), 1u);

  // STOP: opted out, confirmed; a new cart gets no reminder.
  customer_writes("STOP");
  ASSERT_TRUE(eventually([&] { return !sends_containing("Write START").empty(); }, 10s, 100ms));
  auto oo = srv.get("/api/v1/contacts/" + contact + "/opt_out", auth());
  ASSERT_EQ(oo.status, 200) << oo.describe();
  EXPECT_TRUE(find(oo.json(), "opted_out")->as_bool());
  EXPECT_EQ(str(oo.json(), "source"), "customer");
  EXPECT_EQ(str(oo.json(), "keyword"), "stop");
  auto cart2 = cart_for(conv, 1);
  ASSERT_TRUE(eventually([&] { return str(reminder(cart2), "status") == "skipped"; }, 15s, 200ms));
  EXPECT_EQ(str(reminder(cart2), "reason"), "opted_out");
  EXPECT_EQ(sends_containing("in your cart").size(), 1u);

  // An agent (here the API) opts her back in; bad bodies are refused with the field.
  EXPECT_EQ(srv.request("PUT", "/api/v1/contacts/" + contact + "/opt_out", R"({"opted_out":"no"})", auth()).error_field(),
            "opted_out");
  EXPECT_EQ(srv.request("PUT", "/api/v1/contacts/ct_nope/opt_out", R"({"opted_out":false})", auth()).status, 404);
  auto in = srv.request("PUT", "/api/v1/contacts/" + contact + "/opt_out", R"({"opted_out":false})", auth());
  ASSERT_EQ(in.status, 200) << in.describe();
  EXPECT_EQ(str(in.json(), "source"), "api");

  // The reminded cart is ordered and paid, then shipped: two templates, once each.
  auto order = srv.post("/api/v1/orders", bj::object{{"cart_id", cart}}, auth());
  ASSERT_EQ(order.status, 201) << order.describe();
  std::string order_id = str(order.json(), "id");
  auto paid = srv.patch("/api/v1/orders/" + order_id, bj::object{{"status", "paid"}, {"payment_ref", "bank-42"}}, auth());
  ASSERT_EQ(paid.status, 200) << paid.describe();
  ASSERT_TRUE(eventually([&] { return !sends_containing("order_paid").empty(); }, 10s, 100ms)) << srv.server_output();
  auto tp = sends_containing("order_paid")[0];
  EXPECT_EQ(str(tp, "type"), "template");
  EXPECT_EQ(dump(*find(tp, "template.components")),
            R"([{"type":"body","parameters":[{"type":"text","text":"Sheena"},{"type":"text","text":"1001"}]}])");
  auto shipped = srv.patch("/api/v1/orders/" + order_id,
                           bj::object{{"status", "fulfilled"}, {"tracking_url", "https://track.example/A1"}}, auth());
  ASSERT_EQ(shipped.status, 200) << shipped.describe();
  ASSERT_TRUE(eventually([&] { return !sends_containing("order_shipped").empty(); }, 10s, 100ms));
  EXPECT_NE(dump(sends_containing("order_shipped")[0]).find("https://track.example/A1"), std::string::npos);
  auto notes = srv.get("/api/v1/orders/" + order_id + "/notifications", auth());
  ASSERT_EQ(arr(notes.json(), "data").size(), 2u) << notes.body;
  for (const auto& n : arr(notes.json(), "data")) EXPECT_EQ(str(n, "status"), "sent");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(sends_containing("order_paid").size(), 1u);

  // Reports: one reminder, one cart recovered with its revenue.
  char today[16];
  std::time_t now = std::time(nullptr);
  std::strftime(today, sizeof today, "%Y-%m-%d", std::gmtime(&now));
  auto figure = [&](const std::string& metric, const std::string& currency) -> int64_t {
    auto r = srv.get(std::string("/api/v1/reports/summary?from=") + today + "&to=" + today, auth());
    for (const auto& row : arr(r.json(), "rows"))
      if (str(row, "metric") == metric && str(row, "breakdown") == "total" && str(row, "currency") == currency)
        return num(row, "value");
    return -1;
  };
  ASSERT_TRUE(eventually([&] { return figure("carts_recovered", "") == 1; }, 10s, 200ms))
      << srv.get(std::string("/api/v1/reports/summary?from=") + today + "&to=" + today, auth()).body;
  EXPECT_EQ(figure("cart_reminders", ""), 1);
  EXPECT_EQ(figure("recovered_revenue", "EUR"), 2500);
}

TEST_F(Proactive, AgentsReadAndSetOptOutButOnlyAdminsChangeSettings) {
  srv.create_agent(shop.id, "agent@shop.test", "agent password 12", "agent", "Bea");
  EXPECT_EQ(srv.get("/api/v1/proactive/settings").status, 401);
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "agent@shop.test"}, {"password", "agent password 12"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string set = login.header("Set-Cookie");
  Headers agent{{"Cookie", set.substr(0, set.find(';'))}, {"X-CSRF-Token", str(login.json(), "csrf_token")}};
  EXPECT_EQ(srv.request("PATCH", "/api/v1/proactive/settings", R"({"cart_reminder":{"enabled":true}})", agent).status, 403);
  EXPECT_EQ(srv.get("/api/v1/proactive/settings", agent).status, 200);
  customer_writes("hello");
  std::string contact;
  ASSERT_TRUE(eventually([&] {
    auto data = arr(srv.get("/api/v1/conversations", auth()).json(), "data");
    if (!data.empty()) contact = str(data[0], "contact.id");
    return !contact.empty();
  }, 5s));
  auto out = srv.request("PUT", "/api/v1/contacts/" + contact + "/opt_out", R"({"opted_out":true})", agent);
  ASSERT_EQ(out.status, 200) << out.describe();
  EXPECT_EQ(str(out.json(), "source"), "agent");
  // Another shop cannot read or set it.
  auto other = srv.create_tenant("Other shop");
  EXPECT_EQ(srv.get("/api/v1/contacts/" + contact + "/opt_out", bearer(other.token)).status, 404);
  EXPECT_EQ(srv.request("PUT", "/api/v1/contacts/" + contact + "/opt_out", R"({"opted_out":false})", bearer(other.token)).status, 404);
  EXPECT_TRUE(find(srv.get("/api/v1/contacts/" + contact + "/opt_out", auth()).json(), "opted_out")->as_bool());
}

}  // namespace
}  // namespace e2e
