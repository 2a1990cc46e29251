// Reports through the real server: a paid and partly refunded payment link, an agent's reply and
// a resolution show up in the report figures (JSON and CSV) once the aggregator has caught up;
// a restart keeps them and counts nothing twice; agents (not admins) and bad input are refused.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr const char* kSecret = "sandbox_whsec_reports_0123456789";

std::string utc_date(int64_t offset_days) {
  std::time_t t = std::time(nullptr) + offset_days * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// The summary's value for metric (and key, currency), or nullptr.
const bj::value* figure(const bj::value& report, const std::string& metric, const std::string& key = "",
                        const std::string& currency = "") {
  for (const auto& row : arr(report, "rows"))
    if (str(row, "metric") == metric && str(row, "key") == key && str(row, "currency") == currency)
      return &row.as_object().at("value");
  return nullptr;
}
int64_t ifigure(const bj::value& report, const std::string& metric, const std::string& key = "",
                const std::string& currency = "") {
  auto* v = figure(report, metric, key, currency);
  return v && v->is_int64() ? v->as_int64() : -1;
}

TEST(Reports, FiguresThroughTheApiAndCsvSurviveARestart) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Report Shoes");
  srv.create_agent(shop.id, "agent@shop.example", "agent password 12", "agent", "Ada");
  srv.start();
  std::string channel = create_webchat_channel(srv, shop.token, "Web");
  // A channel whose name a spreadsheet would run as a formula.
  std::string evil = create_webchat_channel(srv, shop.token, "=HYPERLINK(\"http://x\",\"y\")");
  auto v0 = create_visitor(srv, evil, "Mallory");
  ASSERT_EQ(visitor_send(srv, evil, v0.token, "hi").status, 201);
  auto v1 = create_visitor(srv, channel, "Carla");
  auto s1 = visitor_send(srv, channel, v1.token, "Can I pay for the boots?");
  ASSERT_EQ(s1.status, 201) << s1.describe();
  std::string conv1 = str(s1.json(), "conversation_id");
  auto v2 = create_visitor(srv, channel, "Dino");
  auto s2 = visitor_send(srv, channel, v2.token, "Where is my order?");
  ASSERT_EQ(s2.status, 201) << s2.describe();
  std::string conv2 = str(s2.json(), "conversation_id");

  // A reply (the first response) and a resolution in the second conversation.
  auto reply = srv.post("/api/v1/conversations/" + conv2 + "/messages", bj::object{{"text", "On its way!"}}, bearer(shop.token));
  ASSERT_EQ(reply.status, 201) << reply.describe();
  auto res = srv.patch("/api/v1/conversations/" + conv2, bj::object{{"status", "resolved"}}, bearer(shop.token));
  ASSERT_EQ(res.status, 200) << res.describe();

  // A link in the first conversation, paid on the sandbox, then partly refunded.
  auto p = srv.post("/api/v1/payment_providers",
                    bj::object{{"type", "sandbox"}, {"name", "Test"}, {"settings", bj::object{{"webhook_secret", kSecret}}}},
                    bearer(shop.token));
  ASSERT_EQ(p.status, 201) << p.describe();
  auto link = srv.post("/api/v1/payment_links",
                       bj::object{{"conversation_id", conv1}, {"amount", 2599}, {"currency", "EUR"}}, bearer(shop.token));
  ASSERT_EQ(link.status, 201) << link.describe();
  std::string pay_id = str(link.json(), "id"), url = str(link.json(), "url");
  std::string path = url.substr(url.find("/pay/"));
  auto form = [&](const std::string& target, const std::string& body) {
    return srv.request("POST", target, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
  };
  ASSERT_EQ(srv.get(path).status, 200);  // opened
  auto start = form(path, "lang=en");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string session = start.header("Location").substr(srv.public_url().size());
  ASSERT_EQ(form(session, "method=card_success").status, 303);
  auto status = [&] { return str(srv.get("/api/v1/payment_links/" + pay_id, bearer(shop.token)).json(), "status"); };
  ASSERT_TRUE(eventually([&] { return status() == "paid"; }, 10s));
  auto refund = srv.post("/api/v1/payments/" + pay_id + "/refunds", bj::object{{"amount", 1000}, {"reason", "scuffed"}},
                         bearer(shop.token) + Headers{{"Idempotency-Key", "rf-1"}});
  ASSERT_EQ(refund.status, 201) << refund.describe();
  ASSERT_TRUE(eventually([&] { return status() == "partially_refunded"; }, 10s));

  // A second link in it paid partly with store credit (EUR 6.00 of 15.00), refunded EUR 12.00:
  // the card's 9.00 back as money, 3.00 back as credit. Revenue counts the money only; the
  // order value counts the whole order (docs/reports.md, "Revenue and store credit").
  std::string contact = str(srv.get("/api/v1/conversations/" + conv1, bearer(shop.token)).json(), "contact.id");
  ASSERT_FALSE(contact.empty());
  auto granted = srv.post("/api/v1/contacts/" + contact + "/credit",
                          bj::object{{"amount", 600}, {"currency", "EUR"}, {"reason", "goodwill"}}, bearer(shop.token));
  ASSERT_EQ(granted.status, 201) << granted.describe();
  auto link2 = srv.post("/api/v1/payment_links",
                        bj::object{{"conversation_id", conv1}, {"amount", 1500}, {"currency", "EUR"}, {"apply_credit", 600}},
                        bearer(shop.token));
  ASSERT_EQ(link2.status, 201) << link2.describe();
  std::string pay2 = str(link2.json(), "id"), url2 = str(link2.json(), "url");
  auto start2 = form(url2.substr(url2.find("/pay/")), "lang=en");
  ASSERT_EQ(start2.status, 303) << start2.describe();
  ASSERT_EQ(form(start2.header("Location").substr(srv.public_url().size()), "method=card_success").status, 303);
  auto status2 = [&] { return str(srv.get("/api/v1/payment_links/" + pay2, bearer(shop.token)).json(), "status"); };
  ASSERT_TRUE(eventually([&] { return status2() == "paid"; }, 10s));
  auto refund2 = srv.post("/api/v1/payments/" + pay2 + "/refunds", bj::object{{"amount", 1200}, {"reason", "too big"}},
                          bearer(shop.token) + Headers{{"Idempotency-Key", "rf-2"}});
  ASSERT_EQ(refund2.status, 201) << refund2.describe();
  EXPECT_EQ(num(refund2.json(), "credit_amount"), 300);
  ASSERT_TRUE(eventually([&] { return status2() == "partially_refunded"; }, 10s));

  std::string q = "?from=" + utc_date(-1) + "&to=" + utc_date(1) + "&tz=UTC";
  auto summary = [&] { return srv.get("/api/v1/reports/summary" + q, bearer(shop.token)); };
  ASSERT_TRUE(eventually([&] { return ifigure(summary().json(), "refunds", "", "EUR") == 1900; }, 10s))
      << summary().body;
  auto check = [&](const bj::value& r) {
    EXPECT_EQ(ifigure(r, "conversations"), 3);
    EXPECT_EQ(ifigure(r, "conversations", channel), 2);
    EXPECT_EQ(ifigure(r, "conversations", evil), 1);
    EXPECT_EQ(ifigure(r, "payments", "", "EUR"), 2);
    EXPECT_EQ(ifigure(r, "revenue_gross", "", "EUR"), 2599 + 900);  // money: the card's part
    EXPECT_EQ(ifigure(r, "refunds", "", "EUR"), 1000 + 900);
    EXPECT_EQ(ifigure(r, "revenue_net", "", "EUR"), 1599);
    EXPECT_EQ(ifigure(r, "revenue_net", "api", "EUR"), 1599);  // sent with an API token
    EXPECT_EQ(ifigure(r, "credit_spent", "", "EUR"), 600);
    EXPECT_EQ(ifigure(r, "credit_refunded", "", "EUR"), 300);
    EXPECT_EQ(ifigure(r, "order_value", "", "EUR"), 2599 + 1500);
    EXPECT_EQ(ifigure(r, "order_value_net", "", "EUR"), 2599 + 1500 - 1000 - 1200);
    EXPECT_EQ(ifigure(r, "average_order_value", "", "EUR"), 2050);  // (2599 + 1500) / 2, rounded
    EXPECT_EQ(ifigure(r, "links_created"), 2);
    EXPECT_EQ(ifigure(r, "links_sent"), 2);
    EXPECT_EQ(ifigure(r, "links_opened"), 2);
    EXPECT_EQ(ifigure(r, "links_paid"), 2);
    EXPECT_EQ(ifigure(r, "links_expired"), 0);
    // The payment link message (author: the API token's agent side) answered conversation 1; the
    // reply answered conversation 2.
    EXPECT_EQ(ifigure(r, "first_response_count"), 2);
    EXPECT_EQ(ifigure(r, "resolution_count"), 1);
    EXPECT_EQ(ifigure(r, "sla_breaches"), 0);
    // No abandoned-cart reminders went out: none reminded, none recovered.
    EXPECT_EQ(ifigure(r, "cart_reminders"), 0);
    EXPECT_EQ(ifigure(r, "carts_recovered"), 0);
  };
  auto first = summary();
  ASSERT_EQ(first.status, 200) << first.describe();
  check(first.json());
  EXPECT_EQ(str(first.json(), "time_zone"), "UTC");

  // CSV: ?format=csv and the .csv name give the same file.
  auto csv = srv.get("/api/v1/reports/revenue" + q + "&format=csv", bearer(shop.token));
  ASSERT_EQ(csv.status, 200) << csv.describe();
  EXPECT_EQ(csv.header("Content-Type").rfind("text/csv", 0), 0u);
  EXPECT_NE(csv.header("Content-Disposition").find("attachment; filename=\"bottega-revenue-"), std::string::npos);
  EXPECT_EQ(csv.body.rfind("period,breakdown,key,label,currency,payments,gross,refunds,refund_count,net,", 0), 0u) << csv.body;
  EXPECT_NE(csv.body.find("total,total,,All,EUR,2,3499,1900,2,1599,2050,linked,4099,600,300,1899\r\n"), std::string::npos)
      << csv.body;
  auto csv2 = srv.get("/api/v1/reports/revenue.csv" + q, bearer(shop.token));
  EXPECT_EQ(csv2.body, csv.body);
  // Names are escaped and never start a formula.
  auto conv_csv = srv.get("/api/v1/reports/conversations.csv" + q, bearer(shop.token));
  EXPECT_NE(conv_csv.body.find(",channel," + evil + ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,"), std::string::npos)
      << conv_csv.body;
  EXPECT_EQ(conv_csv.body.find(",=HYPERLINK"), std::string::npos);
  for (const char* name : {"conversations", "attribution_window", "links", "response_times", "bot", "sla", "csat"}) {
    auto r = srv.get(std::string("/api/v1/reports/") + name + q, bearer(shop.token));
    EXPECT_EQ(r.status, 200) << name << " " << r.describe();
    auto c = srv.get(std::string("/api/v1/reports/") + name + ".csv" + q, bearer(shop.token));
    EXPECT_EQ(c.status, 200) << name;
    EXPECT_EQ(c.body.find("period,"), 0u) << name << c.body;
  }

  // Admins only; bad input is a clear error.
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "agent@shop.example"}, {"password", "agent password 12"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string cookie = login.header("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto denied = srv.get("/api/v1/reports/summary", {{"Cookie", cookie}});
  EXPECT_EQ(denied.status, 403) << denied.describe();
  EXPECT_EQ(srv.get("/api/v1/reports/summary").status, 401);
  auto bad_from = srv.get("/api/v1/reports/summary?from=2026-02-30", bearer(shop.token));
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(bad_from.error_field(), "from");
  auto bad_tz = srv.get("/api/v1/reports/summary?tz=Mars/Olympus", bearer(shop.token));
  EXPECT_EQ(bad_tz.status, 400);
  EXPECT_EQ(bad_tz.error_field(), "tz");
  EXPECT_EQ(srv.get("/api/v1/reports/nope", bearer(shop.token)).status, 404);
  EXPECT_EQ(srv.get("/api/v1/reports/summary?format=xml", bearer(shop.token)).error_field(), "format");

  // Settings: the zone and the attribution window; bad values change nothing.
  auto put = srv.request("PUT", "/api/v1/reports/settings", R"({"time_zone":"Europe/Rome","attribution_window_days":10})",
                         bearer(shop.token));
  ASSERT_EQ(put.status, 200) << put.describe();
  EXPECT_EQ(str(put.json(), "time_zone"), "Europe/Rome");
  auto badput = srv.request("PUT", "/api/v1/reports/settings", R"({"time_zone":"Nowhere/Town"})", bearer(shop.token));
  EXPECT_EQ(badput.status, 400);
  EXPECT_EQ(badput.error_field(), "time_zone");
  auto unknown = srv.request("PUT", "/api/v1/reports/settings", R"({"colour":"red"})", bearer(shop.token));
  EXPECT_EQ(unknown.error_field(), "colour");
  auto got = srv.get("/api/v1/reports/settings", bearer(shop.token));
  EXPECT_EQ(str(got.json(), "time_zone"), "Europe/Rome");
  EXPECT_EQ(num(got.json(), "attribution_window_days"), 10);
  // In the shop's zone now (day grain rebuilt): the same figures.
  auto rome = srv.get("/api/v1/reports/summary?from=" + utc_date(-1) + "&to=" + utc_date(1), bearer(shop.token));
  EXPECT_EQ(str(rome.json(), "source"), "day");
  check(rome.json());

  // A restart: the aggregates are durable and nothing is counted twice.
  srv.restart();
  auto visitor3 = create_visitor(srv, channel, "Eva");
  ASSERT_EQ(visitor_send(srv, channel, visitor3.token, "Hello").status, 201);
  ASSERT_TRUE(eventually([&] { return ifigure(summary().json(), "conversations") == 4; }, 10s)) << summary().body;
  auto after = summary().json();
  EXPECT_EQ(ifigure(after, "revenue_net", "", "EUR"), 1599);
  EXPECT_EQ(ifigure(after, "links_paid"), 2);
  EXPECT_EQ(ifigure(after, "order_value_net", "", "EUR"), 1899);
  EXPECT_EQ(ifigure(after, "first_response_count"), 2);
}

}  // namespace
}  // namespace e2e
