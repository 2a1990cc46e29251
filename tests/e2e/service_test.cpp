// Inbox operations on the real binary: business hours and SLA settings over the API (IANA zone
// validated), the inbox ordered by priority score with the score explained, and an SLA breach
// detected by the running server (a 2-second first-response target) and recorded exactly once,
// also across a restart.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <ctime>
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

// Snoozed until a time on the real binary: refused times name the field, the conversation shows
// when it comes back, and the server's scan reopens it then by itself (announced to agents).
TEST_F(Service, SnoozedUntilATimeComesBackByItself) {
  auto auth = bearer(shop.token);
  auto ann = create_visitor(srv, channel, "Ann");
  auto sent = visitor_send(srv, channel, ann.token, "I'll send the photo in a moment");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");
  const std::string path = "/api/v1/conversations/" + conv + "/snooze";
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  auto bad = srv.post(path, bj::object{{"until", now_ms() - 1000}}, auth);
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.error_field(), "until");
  bad = srv.post(path, bj::object{{"until", "next week"}}, auth);
  EXPECT_EQ(bad.error_field(), "until");
  bad = srv.post(path, bj::object{{"for", 60}}, auth);
  EXPECT_EQ(bad.error_field(), "for");
  EXPECT_EQ(srv.post("/api/v1/conversations/cnv_nope/snooze", bj::object{{"until", nullptr}}, auth).status, 404);
  EXPECT_EQ(str(conversation(conv), "status"), "open");  // the refusals changed nothing

  WsClient agent;
  ASSERT_TRUE(agent.connect(srv.port(), "/api/v1/realtime", bearer(shop.token)));
  ASSERT_TRUE(agent.read_until(is_type("ready"), 15s));
  int64_t until = now_ms() + 3000;
  auto r = srv.post(path, bj::object{{"until", until}}, auth);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(str(r.json(), "status"), "snoozed");
  EXPECT_FALSE(str(r.json(), "snoozed_until").empty());
  EXPECT_EQ(str(conversation(conv), "snoozed_until"), str(r.json(), "snoozed_until"));
  // The inbox list carries it (null if the scan has already woken it: the time is 3 s ahead).
  size_t listed = 0;
  for (const auto& c : arr(srv.get("/api/v1/conversations", auth).json(), "data")) {
    if (str(c, "id") != conv) continue;
    ++listed;
    if (str(c, "status") == "snoozed") EXPECT_EQ(str(c, "snoozed_until"), str(r.json(), "snoozed_until"));
    else EXPECT_TRUE(find(c, "snoozed_until")->is_null());
  }
  EXPECT_EQ(listed, 1u);
  // Announced snoozed (with the time), then back by itself, announced.
  auto update_to = [&](const std::string& status) {
    return [&conv, status](const bj::value& f) {
      return str(f, "type") == "conversation.updated" && str(f, "data.id") == conv && str(f, "data.status") == status;
    };
  };
  auto snoozed = agent.read_until(update_to("snoozed"), 15s);
  ASSERT_TRUE(snoozed);
  EXPECT_EQ(str(*snoozed, "data.snoozed_until"), str(r.json(), "snoozed_until"));
  auto woken = agent.read_until(update_to("open"), 20s);
  ASSERT_TRUE(woken) << dump(conversation(conv));
  EXPECT_TRUE(find(*woken, "data.snoozed_until")->is_null());
  EXPECT_GE(now_ms(), until);
  auto c = conversation(conv);
  EXPECT_EQ(str(c, "status"), "open");
  EXPECT_TRUE(find(c, "snoozed_until")->is_null());
  // A resolved conversation is not snoozed.
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + conv, bj::object{{"status", "resolved"}}, auth).status, 200);
  auto resolved = srv.post(path, bj::object{{"until", now_ms() + 60000}}, auth);
  EXPECT_EQ(resolved.status, 409);
  EXPECT_EQ(resolved.error_code(), "resolved");
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

TEST_F(Service, HandoverIsAssignedRoundRobinToOnlineAgentsWithCapacity) {
  auto auth = bearer(shop.token);
  std::string ada = srv.create_agent(shop.id, "ada@shop.test", "correct horse battery", "agent", "Ada");
  std::string bea = srv.create_agent(shop.id, "bea@shop.test", "correct horse battery", "agent", "Bea");
  auto s = srv.patch("/api/v1/service/settings", parse_json(R"({"assignment":{"mode":"round_robin","default_capacity":2}})"), auth);
  ASSERT_EQ(s.status, 200) << s.describe();
  EXPECT_EQ(str(s.json(), "assignment.mode"), "round_robin");
  auto bad = srv.patch("/api/v1/service/settings", parse_json(R"({"assignment":{"mode":"random"}})"), auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "assignment.mode");

  // Nobody online: the conversation waits unassigned.
  auto ann = create_visitor(srv, channel, "Ann");
  std::string c1 = str(visitor_send(srv, channel, ann.token, "hello?").json(), "conversation_id");
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(find(conversation(c1), "assignee_id")->is_null());

  // Ada goes online (an admin sets it here; agents set their own): she takes the waiting one.
  auto on = srv.request("PUT", "/api/v1/agents/" + ada + "/availability", R"({"status":"online"})", auth);
  ASSERT_EQ(on.status, 200) << on.describe();
  EXPECT_EQ(str(on.json(), "status"), "online");
  ASSERT_TRUE(eventually([&] { return str(conversation(c1), "assignee_id") == ada; }, 5s));
  ASSERT_EQ(srv.request("PUT", "/api/v1/agents/" + bea + "/availability", R"({"status":"online","capacity":1})", auth).status, 200);

  // Next ones alternate (round robin) until capacities are full: Bea 1, Ada 2.
  std::vector<std::string> assignees;
  for (int i = 0; i < 3; ++i) {
    auto v = create_visitor(srv, channel, "V" + std::to_string(i));
    std::string c = str(visitor_send(srv, channel, v.token, "question " + std::to_string(i)).json(), "conversation_id");
    std::string who;
    eventually([&] {
      who = str(conversation(c), "assignee_id");
      return !who.empty();
    }, 3s);
    assignees.push_back(who);
  }
  EXPECT_EQ(assignees, (std::vector<std::string>{bea, ada, ""}));  // the third finds everyone full
  auto list = srv.get("/api/v1/agents/availability", auth);
  ASSERT_EQ(list.status, 200);
  int seen = 0;
  for (const auto& a : arr(list.json(), "data")) {
    if (str(a, "agent_id") == ada) {
      EXPECT_EQ(num(a, "load"), 2);
      EXPECT_EQ(num(a, "capacity"), 2);
      ++seen;
    }
    if (str(a, "agent_id") == bea) {
      EXPECT_EQ(num(a, "load"), 1);
      EXPECT_EQ(num(a, "capacity"), 1);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
  auto bad_status = srv.request("PUT", "/api/v1/agents/" + ada + "/availability", R"({"status":"busy"})", auth);
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_EQ(bad_status.error_field(), "status");
  EXPECT_EQ(srv.request("PUT", "/api/v1/agents/agt_nobody/availability", R"({"status":"away"})", auth).status, 404);
}

TEST_F(Service, CannedResponsesRenderVariablesOncePerPass) {
  auto auth = bearer(shop.token);
  auto created = srv.post("/api/v1/canned_responses",
                          parse_json(R"({"shortcut":"hi","title":"Greeting","body":"Hi {{contact.first_name}}, {{shop.name}} here. \\{{not a variable}}"})"),
                          auth);
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string id = str(created.json(), "id");
  auto dup = srv.post("/api/v1/canned_responses", parse_json(R"({"shortcut":"hi","title":"Again","body":"x"})"), auth);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.error_code(), "shortcut_taken");
  auto bad = srv.post("/api/v1/canned_responses", parse_json(R"({"shortcut":"x","title":"X","body":"{{order.secret}}"})"), auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "body");
  bad = srv.post("/api/v1/canned_responses", parse_json(R"({"shortcut":"Bad Shortcut","title":"X","body":"x"})"), auth);
  EXPECT_EQ(bad.error_field(), "shortcut");

  // A contact whose name looks like a variable is not expanded again.
  auto v = create_visitor(srv, channel, "{{shop.name}} Smith");
  std::string conv = str(visitor_send(srv, channel, v.token, "hi").json(), "conversation_id");
  auto r = srv.post("/api/v1/canned_responses/" + id + "/render", bj::object{{"conversation_id", conv}}, auth);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(str(r.json(), "text"), "Hi {{shop.name}}, Service shop here. {{not a variable}}");
  EXPECT_EQ(srv.post("/api/v1/canned_responses/" + id + "/render", bj::object{{"conversation_id", "cnv_nope"}}, auth).status, 404);

  auto p = srv.patch("/api/v1/canned_responses/" + id, parse_json(R"({"title":"Hello"})"), auth);
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(str(p.json(), "title"), "Hello");
  auto list = srv.get("/api/v1/canned_responses", auth);
  ASSERT_EQ(arr(list.json(), "data").size(), 1u);
  EXPECT_EQ(srv.request("DELETE", "/api/v1/canned_responses/" + id, "", auth).status, 200);
  EXPECT_EQ(srv.request("DELETE", "/api/v1/canned_responses/" + id, "", auth).status, 404);
  EXPECT_EQ(arr(srv.get("/api/v1/canned_responses", auth).json(), "data").size(), 0u);
}

TEST_F(Service, TheBotKeepsWhatItAnswersAndItsHandoverGoesToAnAgent) {
  auto auth = bearer(shop.token);
  auto imp = srv.post("/api/v1/kb/import", parse_json(R"({"entries":[{"id":"ship-be","language":"en","questions":["Do you ship to Belgium?"],"answer":"Yes, to Belgium in 2-3 working days."}]})"), auth);
  ASSERT_EQ(imp.status, 200) << imp.describe();
  std::string ada = srv.create_agent(shop.id, "ada@shop.test", "correct horse battery", "agent", "Ada");
  ASSERT_EQ(srv.patch("/api/v1/service/settings", parse_json(R"({"assignment":{"mode":"least_loaded"}})"), auth).status, 200);
  ASSERT_EQ(srv.request("PUT", "/api/v1/agents/" + ada + "/availability", R"({"status":"online"})", auth).status, 200);

  // Answered by the bot: nobody waits, nobody is assigned.
  auto ann = create_visitor(srv, channel, "Ann");
  std::string c1 = str(visitor_send(srv, channel, ann.token, "Do you ship to Belgium?").json(), "conversation_id");
  ASSERT_TRUE(eventually([&] {
    auto m = srv.get("/api/v1/conversations/" + c1 + "/messages", auth);
    for (const auto& x : arr(m.json(), "data"))
      if (str(x, "author.kind") == "bot") return true;
    return false;
  }, 10s));
  std::this_thread::sleep_for(700ms);
  auto c = conversation(c1);
  EXPECT_TRUE(find(c, "assignee_id")->is_null()) << dump(c);
  EXPECT_TRUE(find(c, "priority_score.waiting_since")->is_null()) << dump(c);

  // Asks for a person: the bot hands over (with its summary note) and Ada gets it.
  auto bob = create_visitor(srv, channel, "Bob");
  std::string c2 = str(visitor_send(srv, channel, bob.token, "I want to talk to a person please").json(), "conversation_id");
  ASSERT_TRUE(eventually([&] { return str(conversation(c2), "assignee_id") == ada; }, 10s)) << dump(conversation(c2));
  c = conversation(c2);
  bool handed = false;
  for (const auto& t : arr(c, "tags")) handed = handed || t.as_string() == "bot-handover";
  EXPECT_TRUE(handed) << dump(c);
  EXPECT_FALSE(find(c, "priority_score.waiting_since")->is_null());  // the handover keeps the customer waiting
}

TEST_F(Service, AfterHoursTheCustomerIsToldHonestlyWhenAPersonAnswersOnce) {
  auto auth = bearer(shop.token);
  // Closed today and tomorrow (holidays, UTC): the next opening is a later day at 09:00 UTC.
  auto date = [](int64_t days_from_now) {
    std::time_t t = std::time(nullptr) + days_from_now * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  auto s = srv.patch("/api/v1/service/settings",
                     parse_json(R"({"business_hours":{"time_zone":"UTC","holidays":[")" + date(0) + R"(",")" + date(1) +
                                R"("]},"after_hours":{"enabled":true}})"),
                     auth);
  ASSERT_EQ(s.status, 200) << s.describe();
  auto ann = create_visitor(srv, channel, "Ann");
  ASSERT_EQ(visitor_send(srv, channel, ann.token, "Hello, I have a question about my order").status, 201);
  auto replies = [&](const Visitor& v) {
    std::vector<std::string> out;
    auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}});
    for (const auto& m : arr(hist.json(), "data"))
      if (str(m, "author.kind") == "system") out.push_back(str(m, "text"));
    return out;
  };
  ASSERT_TRUE(eventually([&] { return replies(ann).size() == 1; }, 5s)) << srv.server_output();
  std::string text = replies(ann)[0];
  EXPECT_NE(text.find("We're closed right now"), std::string::npos) << text;
  EXPECT_NE(text.find("09:00 (UTC)"), std::string::npos) << text;
  // Once per closed period: a second message gets no second auto-reply.
  ASSERT_EQ(visitor_send(srv, channel, ann.token, "Anyone?").status, 201);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(replies(ann).size(), 1u);
  // In the customer's language; the conversation still waits for a person.
  auto bram = create_visitor(srv, channel, "Bram");
  std::string conv = str(visitor_send(srv, channel, bram.token, "Hallo, ik heb een vraag over mijn bestelling").json(), "conversation_id");
  ASSERT_TRUE(eventually([&] { return replies(bram).size() == 1; }, 5s));
  EXPECT_NE(replies(bram)[0].find("Bedankt voor je bericht"), std::string::npos) << replies(bram)[0];
  EXPECT_FALSE(find(conversation(conv), "priority_score.waiting_since")->is_null());
}

TEST_F(Service, ResolvingAsksForASatisfactionScoreAndTheAnswerIsRecorded) {
  auto auth = bearer(shop.token);
  ASSERT_EQ(srv.patch("/api/v1/service/settings", parse_json(R"({"csat":{"enabled":true}})"), auth).status, 200);
  auto ann = create_visitor(srv, channel, "Ann");
  std::string conv = str(visitor_send(srv, channel, ann.token, "Where can I find the size chart?").json(), "conversation_id");
  ASSERT_EQ(srv.post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "Here it is: /sizes"}}, auth).status, 201);
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + conv, bj::object{{"status", "resolved"}}, auth).status, 200);
  // The survey arrives in the chat as choices 1..5.
  auto history = [&] { return arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", ann.token}}).json(), "data"); };
  std::optional<bj::value> survey;
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : history())
      if (str(m, "author.kind") == "system" && str(m, "kind") == "choices") survey = m;
    return survey.has_value();
  }, 5s));
  EXPECT_NE(str(*survey, "text").find("How did we do?"), std::string::npos);
  EXPECT_EQ(arr(*survey, "content.choices").size(), 5u);
  EXPECT_EQ(str(arr(*survey, "content.choices")[3], "id"), "csat:4");

  // "4" stays in the resolved conversation (no new one), and is recorded.
  auto answer = visitor_send(srv, channel, ann.token, "4");
  ASSERT_EQ(answer.status, 201);
  EXPECT_EQ(str(answer.json(), "conversation_id"), conv);
  ASSERT_TRUE(eventually([&] { return num(conversation(conv), "csat.score") == 4; }, 5s)) << dump(conversation(conv));
  EXPECT_EQ(str(conversation(conv), "status"), "resolved");
  // A later answer replaces it.
  ASSERT_EQ(str(visitor_send(srv, channel, ann.token, "5 stars").json(), "conversation_id"), conv);
  ASSERT_TRUE(eventually([&] { return num(conversation(conv), "csat.score") == 5; }, 5s));
  // After the score the shop asks once for a comment; the next text is it (it stays there too).
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : history())
      if (str(m, "author.kind") == "system" && str(m, "text") == "Thank you! Anything you'd like to add? Just reply here.")
        return true;
    return false;
  }, 5s));
  EXPECT_EQ(str(visitor_send(srv, channel, ann.token, "Quick & <b>kind</b> answer").json(), "conversation_id"), conv);
  ASSERT_TRUE(eventually([&] { return str(conversation(conv), "csat.comment") == "Quick & <b>kind</b> answer"; }, 5s))
      << dump(conversation(conv));
  EXPECT_EQ(num(conversation(conv), "csat.score"), 5);
  EXPECT_EQ(str(conversation(conv), "status"), "resolved");
  // Anything else opens a new conversation as before.
  EXPECT_NE(str(visitor_send(srv, channel, ann.token, "One more question").json(), "conversation_id"), conv);

  srv.terminate();
  std::vector<bj::object> events;
  auto st = bottega::store::open_store("sqlite://" + srv.dir() + "/bottega.db", {}, false);
  ASSERT_TRUE(st.ok());
  auto store = std::move(st).value();
  bottega::store::read_sync(*store, [&](bottega::store::Tx& tx) {
    for (const auto& e : bottega::repo::events_after(tx, 0, 100000))
      if (e.type == "csat.received") {
        EXPECT_TRUE(e.internal);
        events.push_back(bj::parse(e.payload_json).as_object().at("data").as_object());
      }
  });
  store->close();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at("score").as_int64(), 4);
  EXPECT_EQ(events[1].at("score").as_int64(), 5);
  EXPECT_EQ(events[2].at("score").as_int64(), 5);  // the same answer again, with its comment
  EXPECT_EQ(std::string(events[2].at("comment").as_string()), "Quick & <b>kind</b> answer");
  EXPECT_EQ(events[2].at("created_at"), events[1].at("created_at"));
  EXPECT_EQ(std::string(events[1].at("conversation_id").as_string()), conv);
  EXPECT_FALSE(events[1].at("bot_only").as_bool());  // a person (the API caller) replied
  EXPECT_TRUE(events[1].at("comment").is_null());
  EXPECT_TRUE(events[1].at("assignee_id").is_null());
  EXPECT_EQ(std::string(events[1].at("channel").as_string()), "webchat");
  EXPECT_EQ(events[1].at("created_at").as_string().size(), 24u);
  EXPECT_EQ(events[1].size(), 7u);
}

}  // namespace
}  // namespace e2e
