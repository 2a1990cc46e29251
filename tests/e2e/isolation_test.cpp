// Tenant isolation through the real server: with shop A's credentials, every object of shop B is
// "not found" (the same answer as a missing id), lists never show B's objects, realtime never
// carries B's events, and B's visitor tokens do not work on A's channel.
#include <gtest/gtest.h>

#include <set>

#include "harness.hpp"

namespace e2e {
namespace {

struct Shop {
  Tenant tenant;
  std::string channel;
  Visitor visitor;
  std::string conversation;
  std::string message;
  std::string endpoint;
};

class Isolation : public ::testing::Test {
 protected:
  void SetUp() override {
    a.tenant = srv.create_tenant("Shop A");
    b.tenant = srv.create_tenant("Shop B");
    ASSERT_NE(a.tenant.id, b.tenant.id);
    srv.start();
    for (Shop* s : {&a, &b}) {
      s->channel = create_webchat_channel(srv, s->tenant.token, s == &a ? "A chat" : "B chat");
      s->visitor = create_visitor(srv, s->channel, s == &a ? "Alice" : "Bob");
      auto m = visitor_send(srv, s->channel, s->visitor.token, s == &a ? "hello from A" : "hello from B");
      ASSERT_EQ(m.status, 201) << m.describe();
      s->conversation = str(m.json(), "conversation_id");
      s->message = str(m.json(), "message_id");
      // The URL need not answer: deliveries to it simply fail.
      auto ep = srv.post("/api/v1/webhook_endpoints", bj::object{{"url", "http://127.0.0.1:9/hook"}},
                         bearer(s->tenant.token));
      ASSERT_EQ(ep.status, 201) << ep.describe();
      s->endpoint = str(ep.json(), "id");
    }
  }

  static void expect_not_found(const HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 404) << what << ": " << r.describe();
    EXPECT_EQ(r.error_code(), "not_found") << what << ": " << r.body;
  }

  BottegaProcess srv;
  Shop a, b;
};

TEST_F(Isolation, AnotherShopsObjectsAreNotFound) {
  Headers as_a = bearer(a.tenant.token);
  // Sanity: A reaches its own objects.
  ASSERT_EQ(srv.get("/api/v1/conversations/" + a.conversation, as_a).status, 200);
  ASSERT_EQ(srv.get("/api/v1/channels/" + a.channel, as_a).status, 200);
  ASSERT_EQ(srv.get("/api/v1/webhook_endpoints/" + a.endpoint + "/deliveries", as_a).status, 200);

  expect_not_found(srv.get("/api/v1/conversations/" + b.conversation, as_a), "GET conversation");
  expect_not_found(srv.patch("/api/v1/conversations/" + b.conversation, bj::object{{"priority", 9}}, as_a),
                   "PATCH conversation");
  expect_not_found(srv.patch("/api/v1/conversations/" + b.conversation, bj::object{{"status", "resolved"}}, as_a),
                   "PATCH conversation status");
  expect_not_found(srv.get("/api/v1/conversations/" + b.conversation + "/messages", as_a), "GET messages");
  expect_not_found(srv.post("/api/v1/conversations/" + b.conversation + "/messages",
                            bj::object{{"text", "injected by A"}}, as_a),
                   "POST message");
  expect_not_found(srv.post("/api/v1/conversations/" + b.conversation + "/messages",
                            bj::object{{"text", "injected note"}, {"kind", "note"}},
                            as_a + Headers{{"Idempotency-Key", "iso-1"}}),
                   "POST note with an idempotency key");
  expect_not_found(srv.get("/api/v1/channels/" + b.channel, as_a), "GET channel");
  expect_not_found(srv.get("/api/v1/webhook_endpoints/" + b.endpoint + "/deliveries", as_a), "GET deliveries");

  // The answers are the same as for ids that do not exist at all.
  auto missing = srv.get("/api/v1/conversations/cnv_missing", as_a);
  auto foreign = srv.get("/api/v1/conversations/" + b.conversation, as_a);
  EXPECT_EQ(missing.status, foreign.status);
  EXPECT_EQ(missing.body, foreign.body);

  // Nothing of B changed.
  Headers as_b = bearer(b.tenant.token);
  auto conv = srv.get("/api/v1/conversations/" + b.conversation, as_b);
  ASSERT_EQ(conv.status, 200) << conv.describe();
  EXPECT_EQ(num(conv.json(), "priority"), 0);
  EXPECT_EQ(str(conv.json(), "status"), "open");
  auto msgs = list_all(srv, "/api/v1/conversations/" + b.conversation + "/messages", as_b);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(str(msgs[0], "text"), "hello from B");
}

TEST_F(Isolation, ListsShowOnlyTheShopsOwnObjects) {
  for (Shop* me : {&a, &b}) {
    const Shop& other = me == &a ? b : a;
    Headers h = bearer(me->tenant.token);
    auto convs = list_all(srv, "/api/v1/conversations", h, 1);
    ASSERT_EQ(convs.size(), 1u);
    EXPECT_EQ(str(convs[0], "id"), me->conversation);
    EXPECT_TRUE(list_all(srv, "/api/v1/conversations?channel_id=" + other.channel, h).empty());
    auto chans = arr(srv.get("/api/v1/channels", h).json(), "data");
    ASSERT_EQ(chans.size(), 1u);
    EXPECT_EQ(str(chans[0], "id"), me->channel);
    auto eps = arr(srv.get("/api/v1/webhook_endpoints", h).json(), "data");
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(str(eps[0], "id"), me->endpoint);
    // Nothing in any of A's answers mentions B's ids.
    for (const std::string& path : {std::string("/api/v1/conversations"), std::string("/api/v1/channels"),
                                    std::string("/api/v1/webhook_endpoints"),
                                    "/api/v1/conversations/" + me->conversation + "/messages"}) {
      auto r = srv.get(path, h);
      ASSERT_EQ(r.status, 200) << path << ": " << r.describe();
      for (const std::string* id : {&other.channel, &other.conversation, &other.message, &other.endpoint,
                                    &other.tenant.id, &other.visitor.id})
        EXPECT_EQ(r.body.find(*id), std::string::npos) << path << " shows " << *id;
    }
  }
}

TEST_F(Isolation, VisitorTokensWorkOnlyOnTheirOwnChannel) {
  // B's visitor on A's channel.
  auto post = visitor_send(srv, a.channel, b.visitor.token, "sneaking into A");
  EXPECT_TRUE(post.status == 401 || post.status == 403 || post.status == 404) << post.describe();
  auto list = srv.get("/api/v1/webchat/" + a.channel + "/messages", {{"X-Visitor-Token", b.visitor.token}});
  EXPECT_TRUE(list.status == 401 || list.status == 403 || list.status == 404) << list.describe();
  EXPECT_EQ(list.body.find("hello from A"), std::string::npos);
  WsClient ws;
  EXPECT_FALSE(ws.connect(srv.port(), "/api/v1/webchat/" + a.channel + "/realtime?visitor_token=" + b.visitor.token));
  EXPECT_NE(ws.handshake_status(), 101);
  // Nothing reached A's inbox.
  for (const auto& m : list_all(srv, "/api/v1/conversations/" + a.conversation + "/messages", bearer(a.tenant.token)))
    EXPECT_NE(str(m, "text"), "sneaking into A");
  EXPECT_EQ(list_all(srv, "/api/v1/conversations", bearer(a.tenant.token)).size(), 1u);
  // A visitor of the same shop's other channel is refused too.
  std::string a2 = create_webchat_channel(srv, a.tenant.token, "A second chat");
  EXPECT_NE(visitor_send(srv, a2, a.visitor.token, "wrong channel").status, 201);
  // The right pairing works.
  EXPECT_EQ(visitor_send(srv, a.channel, a.visitor.token, "still fine").status, 201);
  // A visitor only sees its own conversation, even in its own shop.
  Visitor other = create_visitor(srv, a.channel, "Carla");
  auto theirs = srv.get("/api/v1/webchat/" + a.channel + "/messages", {{"X-Visitor-Token", other.token}});
  ASSERT_EQ(theirs.status, 200) << theirs.describe();
  EXPECT_TRUE(arr(theirs.json(), "data").empty()) << theirs.body;
}

TEST_F(Isolation, RealtimeCarriesOnlyTheShopsOwnEvents) {
  WsClient a_ws;
  ASSERT_TRUE(a_ws.connect(srv.port(), "/api/v1/realtime", bearer(a.tenant.token)));
  ASSERT_TRUE(a_ws.read_until(is_type("ready"), 5s));
  // Replay from the start shows only A's history.
  WsClient a_replay;
  ASSERT_TRUE(a_replay.connect(srv.port(), "/api/v1/realtime?cursor=0", bearer(a.tenant.token)));
  std::vector<bj::value> history;
  ASSERT_TRUE(a_replay.read_until(is_type("ready"), 5s, &history));
  EXPECT_GE(history.size(), 3u);
  for (const auto& e : history) {
    EXPECT_EQ(dump(e).find(b.conversation), std::string::npos) << dump(e);
    EXPECT_EQ(dump(e).find("hello from B"), std::string::npos) << dump(e);
  }

  // B's visitor socket, and A's other visitor: B's traffic never shows on A's sockets.
  WsClient b_visitor;
  ASSERT_TRUE(b_visitor.connect(srv.port(), "/api/v1/webchat/" + b.channel + "/realtime?visitor_token=" + b.visitor.token));
  ASSERT_TRUE(b_visitor.read_until(is_type("ready"), 5s));
  ASSERT_EQ(visitor_send(srv, b.channel, b.visitor.token, "B secret").status, 201);
  ASSERT_EQ(srv.post("/api/v1/conversations/" + b.conversation + "/messages", bj::object{{"text", "B reply"}},
                     bearer(b.tenant.token)).status, 201);
  ASSERT_EQ(visitor_send(srv, a.channel, a.visitor.token, "A marker").status, 201);
  std::vector<bj::value> seen;
  ASSERT_TRUE(a_ws.read_until(is_message_with_text("A marker"), 5s, &seen));
  for (const auto& e : seen) {
    EXPECT_EQ(dump(e).find("B secret"), std::string::npos);
    EXPECT_EQ(dump(e).find("B reply"), std::string::npos);
  }
  // B's visitor sees B's messages, not A's.
  std::vector<bj::value> b_seen;
  ASSERT_TRUE(b_visitor.read_until(is_message_with_text("B reply"), 5s, &b_seen));
  while (auto more = b_visitor.read_json(300ms)) b_seen.push_back(*more);
  for (const auto& e : b_seen) EXPECT_EQ(dump(e).find("A marker"), std::string::npos);
}

}  // namespace
}  // namespace e2e
