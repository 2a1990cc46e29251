// Inbox operations on the real binary: business hours and SLA settings over the API (IANA zone
// validated), the inbox ordered by priority score with the score explained, and an SLA breach
// detected by the running server (a 2-second first-response target) and recorded exactly once,
// also across a restart.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <thread>

#include "harness.hpp"
#include "store/repo/repo.hpp"

namespace e2e {
namespace {

class Service : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Service shop");
    srv.start();
    channel = create_webchat_channel(srv, shop.token);
  }
  bj::value conversation(const std::string& id) {
    auto r = srv.get("/api/v1/conversations/" + id, bearer(shop.token));
    if (r.status != 200) throw std::runtime_error(r.describe());
    return r.json();
  }
  // conversation.sla_breached events in the outbox (read from the database file directly).
  std::vector<bj::object> breach_events() {
    std::vector<bj::object> out;
    auto st = bottega::store::open_store("sqlite://" + srv.dir() + "/bottega.db", {}, false);
    if (!st.ok()) throw std::runtime_error(st.error().message);
    auto store = std::move(st).value();
    bottega::store::read_sync(*store, [&](bottega::store::Tx& tx) {
      for (const auto& e : bottega::repo::events_after(tx, 0, 100000))
        if (e.type == "conversation.sla_breached") out.push_back(bj::parse(e.payload_json).as_object().at("data").as_object());
    });
    store->close();
    return out;
  }

  BottegaProcess srv;
  Tenant shop;
  std::string channel;
};

TEST_F(Service, SettingsAreValidatedAndRoundTrip) {
  auto auth = bearer(shop.token);
  auto bad = srv.patch("/api/v1/service/settings", parse_json(R"({"business_hours":{"time_zone":"Mars/Olympus"}})"), auth);
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.error_field(), "business_hours.time_zone");
  bad = srv.patch("/api/v1/service/settings", parse_json(R"({"sla":{"policies":{"high":{"first_response_seconds":-5}}}})"), auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "sla.policies.high.first_response_seconds");
  bad = srv.patch("/api/v1/service/settings", parse_json(R"({"business_hours":{"days":{"mon":["18:00","18:00"]}}})"), auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "business_hours.days.mon");
  // Nothing changed by the refusals.
  auto got = srv.get("/api/v1/service/settings", auth);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(str(got.json(), "business_hours.time_zone"), "UTC");
  EXPECT_FALSE(find(got.json(), "business_hours_configured")->as_bool());

  auto ok = srv.patch("/api/v1/service/settings", parse_json(R"({"business_hours":{"time_zone":"Europe/Amsterdam",
      "days":{"mon":[["09:00","12:30"],["13:30","17:30"]],"sat":["10:00","14:00"]},"holidays":["2026-12-25"]},
      "sla":{"policies":{"high":{"first_response_seconds":900,"resolution_seconds":86400}}}})"), auth);
  ASSERT_EQ(ok.status, 200) << ok.describe();
  got = srv.get("/api/v1/service/settings", auth);
  auto v = got.json();
  EXPECT_EQ(str(v, "business_hours.time_zone"), "Europe/Amsterdam");
  EXPECT_EQ(arr(v, "business_hours.days.mon").size(), 2u);
  EXPECT_EQ(arr(v, "business_hours.holidays").size(), 1u);
  EXPECT_EQ(num(v, "sla.policies.high.first_response_seconds"), 900);
  EXPECT_TRUE(find(v, "sla.policies.normal.first_response_seconds")->is_null());
}

TEST_F(Service, BreachIsDetectedByTheServerOnceAndSurvivesARestart) {
  auto auth = bearer(shop.token);
  auto s = srv.patch("/api/v1/service/settings",
                     parse_json(R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":2,"resolution_seconds":86400}}}})"),
                     auth);
  ASSERT_EQ(s.status, 200) << s.describe();
  auto ann = create_visitor(srv, channel, "Ann");
  auto sent = visitor_send(srv, channel, ann.token, "hello, anyone?");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");
  // The due time appears once the listener has run.
  ASSERT_TRUE(eventually([&] { return find(conversation(conv), "sla.first_response.due_at") != nullptr; }, 5s));
  auto c = conversation(conv);
  EXPECT_EQ(str(c, "sla.level"), "normal");
  EXPECT_FALSE(find(c, "sla.resolution")->is_null());
  EXPECT_GE(num(c, "priority_score.score"), 20);  // the live channel's points at least
  // The breach, recorded by the server's detector.
  ASSERT_TRUE(eventually([&] { return arr(conversation(conv), "sla.breaches").size() == 1; }, 10s)) << dump(conversation(conv));
  c = conversation(conv);
  EXPECT_TRUE(find(c, "sla.breached")->as_bool());
  EXPECT_EQ(str(arr(c, "sla.breaches")[0], "target"), "first_response");
  std::this_thread::sleep_for(2500ms);  // more scans: nothing new
  EXPECT_EQ(arr(conversation(conv), "sla.breaches").size(), 1u);
  srv.restart();
  std::this_thread::sleep_for(2500ms);
  srv.terminate();
  auto events = breach_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::string(events[0].at("conversation_id").as_string()), conv);
  EXPECT_EQ(std::string(events[0].at("target").as_string()), "first_response");
  EXPECT_EQ(std::string(events[0].at("priority").as_string()), "normal");
  EXPECT_EQ(std::string(events[0].at("channel").as_string()), "webchat");
  EXPECT_TRUE(events[0].at("assignee_id").is_null());
  EXPECT_EQ(events[0].at("due_at").as_string().size(), 24u);
  EXPECT_EQ(events[0].at("breached_at").as_string().size(), 24u);
}

TEST_F(Service, InboxPutsPresaleFirstAndExplainsWhy) {
  auto auth = bearer(shop.token);
  auto ann = create_visitor(srv, channel, "Ann");
  auto bob = create_visitor(srv, channel, "Bob");
  std::string post = str(visitor_send(srv, channel, ann.token, "my parcel did not arrive").json(), "conversation_id");
  std::string pre = str(visitor_send(srv, channel, bob.token, "is the blue jacket available in M").json(), "conversation_id");
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + post, bj::object{{"tags", bj::array{"order-status"}}}, auth).status, 200);
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + pre, bj::object{{"tags", bj::array{"presale"}}}, auth).status, 200);
  ASSERT_TRUE(eventually([&] { return str(conversation(pre), "priority_score.intent") == "presale"; }, 5s));
  ASSERT_TRUE(eventually([&] { return str(conversation(post), "priority_score.intent") == "postsale"; }, 5s));
  auto list = srv.get("/api/v1/conversations", auth);
  ASSERT_EQ(list.status, 200);
  auto data = arr(list.json(), "data");
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(str(data[0], "id"), pre);
  EXPECT_EQ(str(data[0], "priority_score.level"), "high");
  EXPECT_GT(num(data[0], "priority_score.score"), num(data[1], "priority_score.score"));
  bool explained = false;
  for (const auto& comp : arr(data[0], "priority_score.components"))
    explained = explained || (str(comp, "factor") == "intent" && num(comp, "points") == 400);
  EXPECT_TRUE(explained) << dump(data[0]);
  // Explicit priority: sort=priority orders by it alone; the score adds it.
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + post, bj::object{{"priority", 900}}, auth).status, 200);
  ASSERT_TRUE(eventually([&] { return str(conversation(post), "priority_score.level") == "urgent"; }, 5s));
  data = arr(srv.get("/api/v1/conversations", auth).json(), "data");
  EXPECT_EQ(str(data[0], "id"), post);
  data = arr(srv.get("/api/v1/conversations?sort=priority", auth).json(), "data");
  EXPECT_EQ(str(data[0], "id"), post);
  // Paging the score order with limit=1 visits both once.
  auto all = list_all(srv, "/api/v1/conversations", auth, 1);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(str(all[0], "id"), post);
  EXPECT_EQ(str(all[1], "id"), pre);
  auto bad = srv.get("/api/v1/conversations?sort=oldest", auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "sort");
  bad = srv.get("/api/v1/conversations?cursor=1.2.3", auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "cursor");
}

}  // namespace
}  // namespace e2e
