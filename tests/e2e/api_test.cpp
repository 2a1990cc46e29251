// The REST contract through the real server: the error shape, idempotency, cursor pagination, the
// OpenAPI document against the documented routes, /metrics, and the web chat rate limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <atomic>

#include "harness.hpp"

namespace e2e {
namespace {

class Api : public ::testing::Test {
 protected:
  void start(ProcessOptions o = {}) {
    srv = std::make_unique<BottegaProcess>(std::move(o));
    shop = srv->create_tenant("Api shop");
    srv->start();
    auth = bearer(shop.token);
  }
  void SetUp() override {}

  // A conversation with one visitor message.
  std::string new_conversation(const std::string& channel, const std::string& text = "Hi") {
    Visitor v = create_visitor(*srv, channel);
    auto r = visitor_send(*srv, channel, v.token, text);
    if (r.status != 201) throw std::runtime_error("visitor_send: " + r.describe());
    return str(r.json(), "conversation_id");
  }

  // Asserts {"error":{"code","message","field"?}} with nothing else in it.
  static void expect_error(const HttpResponse& r, int status, const std::string& code, const std::string& field = "") {
    if (r.status != status) {
      ADD_FAILURE() << "expected " << status << " " << code << ", got " << r.describe();
      return;
    }
    EXPECT_NE(r.header("Content-Type").find("application/json"), std::string::npos) << r.header("Content-Type");
    bj::value v;
    try {
      v = r.json();
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      return;
    }
    ASSERT_TRUE(v.is_object()) << r.body;
    ASSERT_EQ(v.as_object().size(), 1u) << "only \"error\" at the top: " << r.body;
    const bj::value* err = find(v, "error");
    ASSERT_TRUE(err && err->is_object()) << r.body;
    for (const auto& kv : err->as_object()) {
      std::string k(kv.key());
      EXPECT_TRUE(k == "code" || k == "message" || k == "field") << "unexpected key " << k << " in " << r.body;
      EXPECT_TRUE(kv.value().is_string()) << k << " is not a string in " << r.body;
    }
    EXPECT_EQ(str(v, "error.code"), code) << r.body;
    EXPECT_FALSE(str(v, "error.message").empty()) << r.body;
    if (!field.empty()) {
      EXPECT_EQ(str(v, "error.field"), field) << r.body;
    }
  }

  std::unique_ptr<BottegaProcess> srv;
  Tenant shop;
  Headers auth;
};

TEST_F(Api, ErrorsHaveOneShape) {
  ProcessOptions o;
  o.max_body_bytes = 16384;
  start(o);
  std::string channel = create_webchat_channel(*srv, shop.token);
  std::string conversation = new_conversation(channel);

  // Invalid JSON.
  expect_error(srv->request("POST", "/api/v1/channels", "{\"type\": \"webchat\", ", auth), 400, "invalid_json");
  expect_error(srv->request("PATCH", "/api/v1/conversations/" + conversation, "[1,2", auth), 400, "invalid_json");
  // A string where a number belongs.
  expect_error(srv->patch("/api/v1/conversations/" + conversation, bj::object{{"priority", "high"}}, auth), 400,
               "invalid_type", "priority");
  // null is not "not sent": only assignee_id can be cleared with null.
  expect_error(srv->patch("/api/v1/conversations/" + conversation, bj::object{{"status", nullptr}}, auth), 400,
               "invalid_type", "status");
  // A JSON body that is not an object.
  {
    auto r = srv->request("POST", "/api/v1/channels", "[]", auth);
    EXPECT_EQ(r.status, 400) << r.describe();
  }
  // Missing fields.
  expect_error(srv->post("/api/v1/channels", bj::object{{"name", "No type"}}, auth), 400, "missing_field", "type");
  expect_error(srv->post("/api/v1/conversations/" + conversation + "/messages", bj::object{}, auth), 400,
               "missing_field", "text");
  expect_error(srv->post("/api/v1/webhook_endpoints", bj::object{{"events", bj::array{}}}, auth), 400,
               "missing_field", "url");
  // Out of range.
  {
    auto r = srv->patch("/api/v1/conversations/" + conversation, bj::object{{"priority", 100000}}, auth);
    EXPECT_EQ(r.status, 400) << r.describe();
    EXPECT_EQ(r.error_field(), "priority");
  }
  // Too large a body.
  {
    std::string big = "{\"text\":\"" + std::string(20000, 'x') + "\"}";
    expect_error(srv->request("POST", "/api/v1/conversations/" + conversation + "/messages", big, auth), 413,
                 "payload_too_large");
  }
  // Unknown routes, missing objects.
  expect_error(srv->get("/api/v1/no/such/route", auth), 404, "not_found");
  expect_error(srv->get("/api/v1/conversations/cnv_doesnotexist", auth), 404, "not_found");
  expect_error(srv->get("/api/v1/conversations/cnv_doesnotexist/messages", auth), 404, "not_found");
  // Authentication.
  expect_error(srv->get("/api/v1/conversations"), 401, "unauthenticated");
  expect_error(srv->get("/api/v1/conversations", bearer("bt_wrong")), 401, "unauthenticated");
  // A bad limit.
  expect_error(srv->get("/api/v1/conversations?limit=0", auth), 400, "invalid_argument", "limit");
  expect_error(srv->get("/api/v1/conversations?limit=201", auth), 400, "invalid_argument", "limit");
  // A wrong method on a known path.
  {
    auto r = srv->request("DELETE", "/api/v1/channels", "", auth);
    EXPECT_EQ(r.status, 405) << r.describe();
    EXPECT_FALSE(r.header("Allow").empty());
  }
  // The server keeps working after all that.
  EXPECT_EQ(srv->get("/api/v1/conversations/" + conversation, auth).status, 200);
}

TEST_F(Api, IdempotencyKeyReplaysTheFirstAnswer) {
  start();
  bj::object body{{"type", "webchat"}, {"name", "Once"}, {"settings", bj::object{}}};
  Headers h = auth + Headers{{"Idempotency-Key", "create-channel-1"}};
  auto first = srv->post("/api/v1/channels", body, h);
  ASSERT_EQ(first.status, 201) << first.describe();
  EXPECT_FALSE(first.has_header("Idempotent-Replayed"));
  auto again = srv->post("/api/v1/channels", body, h);
  EXPECT_EQ(again.status, 201) << again.describe();
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  auto list = srv->get("/api/v1/channels", auth);
  EXPECT_EQ(arr(list.json(), "data").size(), 1u) << list.body;

  bj::object other{{"type", "webchat"}, {"name", "Twice"}, {"settings", bj::object{}}};
  auto reused = srv->post("/api/v1/channels", other, h);
  EXPECT_EQ(reused.status, 422) << reused.describe();
  EXPECT_EQ(reused.error_code(), "idempotency_key_reused");
  EXPECT_EQ(arr(srv->get("/api/v1/channels", auth).json(), "data").size(), 1u);

  // A different key creates another one.
  auto second = srv->post("/api/v1/channels", other, auth + Headers{{"Idempotency-Key", "create-channel-2"}});
  EXPECT_EQ(second.status, 201);
  EXPECT_NE(str(second.json(), "id"), str(first.json(), "id"));

  // Web chat messages: the same key stores the message once and answers the same ids.
  std::string channel = str(first.json(), "id");
  Visitor v = create_visitor(*srv, channel);
  auto m1 = visitor_send(*srv, channel, v.token, "only once", "msg-key-1");
  ASSERT_EQ(m1.status, 201) << m1.describe();
  auto m2 = visitor_send(*srv, channel, v.token, "only once", "msg-key-1");
  EXPECT_EQ(m2.status, 201);
  EXPECT_EQ(m2.body, m1.body);
  EXPECT_EQ(m2.header("Idempotent-Replayed"), "true");
  auto m3 = visitor_send(*srv, channel, v.token, "something else", "msg-key-1");
  EXPECT_EQ(m3.status, 422) << m3.describe();
  EXPECT_EQ(m3.error_code(), "idempotency_key_reused");
  auto msgs = list_all(*srv, "/api/v1/conversations/" + str(m1.json(), "conversation_id") + "/messages", auth);
  EXPECT_EQ(msgs.size(), 1u);

  // Keys are per caller: another visitor may use the same key.
  Visitor w = create_visitor(*srv, channel);
  auto other_visitor = visitor_send(*srv, channel, w.token, "mine", "msg-key-1");
  EXPECT_EQ(other_visitor.status, 201) << other_visitor.describe();
  EXPECT_NE(other_visitor.body, m1.body);

  // Agent replies honour it too.
  std::string conv = str(m1.json(), "conversation_id");
  Headers rk = auth + Headers{{"Idempotency-Key", "reply-1"}};
  auto r1 = srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "reply"}}, rk);
  auto r2 = srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "reply"}}, rk);
  EXPECT_EQ(r1.status, 201);
  EXPECT_EQ(r2.body, r1.body);
  EXPECT_EQ(list_all(*srv, "/api/v1/conversations/" + conv + "/messages", auth).size(), 2u);

  // A bad key is a 400.
  auto bad = srv->post("/api/v1/channels", body, auth + Headers{{"Idempotency-Key", std::string(300, 'k')}});
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.error_field(), "Idempotency-Key");
}

TEST_F(Api, ConcurrentRequestsWithOneIdempotencyKeyStoreOnce) {
  start();
  std::string channel = create_webchat_channel(*srv, shop.token);
  Visitor v = create_visitor(*srv, channel);
  constexpr int kThreads = 8;
  std::vector<HttpResponse> answers(kThreads);
  std::atomic<int> waiting{kThreads};
  Threads threads;
  for (int i = 0; i < kThreads; ++i)
    threads.spawn([&, i] {
      --waiting;
      while (waiting.load() > 0) std::this_thread::yield();  // start together
      answers[static_cast<size_t>(i)] = visitor_send(*srv, channel, v.token, "exactly once", "race-key");
    });
  threads.join();
  int replays = 0;
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 201) << a.describe();
    EXPECT_EQ(a.body, answers[0].body);
    replays += a.header("Idempotent-Replayed") == "true";
  }
  EXPECT_EQ(replays, kThreads - 1) << "one request did the work, the others replayed it";
  auto msgs = list_all(*srv, "/api/v1/conversations/" + str(answers[0].json(), "conversation_id") + "/messages", auth);
  EXPECT_EQ(msgs.size(), 1u);
}

TEST_F(Api, WebChatAnswersCorsPreflight) {
  start();
  std::string channel = create_webchat_channel(*srv, shop.token);
  auto pre = srv->request("OPTIONS", "/api/v1/webchat/" + channel + "/messages", "",
                          {{"Origin", "https://shop.example"},
                           {"Access-Control-Request-Method", "POST"},
                           {"Access-Control-Request-Headers", "content-type, x-visitor-token"}});
  EXPECT_EQ(pre.status, 204) << pre.describe();
  EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(pre.header("Access-Control-Allow-Headers").find("X-Visitor-Token"), std::string::npos);
  EXPECT_NE(pre.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  auto created = srv->request("POST", "/api/v1/webchat/" + channel + "/visitors", "{}", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(created.header("Access-Control-Allow-Origin"), "*");
  auto cfg = srv->get("/api/v1/webchat/" + channel + "/config");
  ASSERT_EQ(cfg.status, 200) << cfg.describe();
  EXPECT_EQ(str(cfg.json(), "name"), "Shop");
  // No greeting configured: an empty string, so the widget greets in the visitor's language.
  ASSERT_NE(find(cfg.json(), "greeting"), nullptr) << cfg.body;
  EXPECT_TRUE(find(cfg.json(), "greeting")->is_string()) << cfg.body;
  EXPECT_EQ(str(cfg.json(), "greeting"), "");
  EXPECT_EQ(srv->get("/api/v1/webchat/ch_missing/config").status, 404);
  EXPECT_EQ(srv->post("/api/v1/webchat/ch_missing/visitors", bj::object{}).status, 404);
}

TEST_F(Api, CursorPaginationVisitsEveryConversationOnce) {
  start();
  std::string a = create_webchat_channel(*srv, shop.token, "A");
  std::string b = create_webchat_channel(*srv, shop.token, "B");
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) created.insert(new_conversation(i % 2 ? a : b, "hello " + std::to_string(i)));
  // Different priorities, so the order is not creation order.
  int k = 0;
  for (const auto& id : created) {
    auto r = srv->patch("/api/v1/conversations/" + id, bj::object{{"priority", (k++ * 37) % 5}}, auth);
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  ASSERT_EQ(created.size(), 7u);

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    std::string target = "/api/v1/conversations?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = srv->get(target, auth);
    ASSERT_EQ(r.status, 200) << r.describe();
    auto v = r.json();
    auto data = arr(v, "data");
    EXPECT_LE(data.size(), 2u);
    for (const auto& c : data) seen.push_back(str(c, "id"));
    ++pages;
    ASSERT_LT(pages, 20) << "pagination does not end";
    const bj::value* next = find(v, "next_cursor");
    ASSERT_TRUE(next != nullptr) << r.body;
    if (next->is_null()) break;
    ASSERT_TRUE(next->is_string());
    ASSERT_NE(std::string(next->as_string()), cursor);
    cursor = std::string(next->as_string());
  }
  EXPECT_GE(pages, 4);
  std::multiset<std::string> counted(seen.begin(), seen.end());
  for (const auto& id : created) EXPECT_EQ(counted.count(id), 1u) << id;
  EXPECT_EQ(seen.size(), created.size());

  // The pages follow the documented order: priority first (highest first).
  auto all = list_all(*srv, "/api/v1/conversations", auth, 200);
  ASSERT_EQ(all.size(), 7u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(num(all[i - 1], "priority"), num(all[i], "priority"));
  std::vector<std::string> order;
  for (const auto& c : all) order.push_back(str(c, "id"));
  EXPECT_EQ(order, seen) << "limit=2 pages list the same order as one page";

  // Filters combine with paging.
  auto only_a = list_all(*srv, "/api/v1/conversations?channel_id=" + a, auth, 2);
  EXPECT_EQ(only_a.size(), 3u);
  for (const auto& c : only_a) EXPECT_EQ(str(c, "channel_id"), a);

  // Messages page forward, oldest first.
  std::string conv = *created.begin();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "r" + std::to_string(i)}},
                        auth).status, 201);
  auto msgs = list_all(*srv, "/api/v1/conversations/" + conv + "/messages", auth, 2);
  ASSERT_EQ(msgs.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(str(msgs[static_cast<size_t>(i) + 1], "text"), "r" + std::to_string(i));
}

// A cursor the server did not hand out is an error (400, field "cursor"), as on the deliveries
// log; silently serving the first page again would make a client re-read (and re-process) data.
TEST_F(Api, MalformedCursorIsRejected) {
  start();
  std::string channel = create_webchat_channel(*srv, shop.token);
  Visitor v = create_visitor(*srv, channel);
  auto sent = visitor_send(*srv, channel, v.token, "hello");
  ASSERT_EQ(sent.status, 201);
  std::string conversation = str(sent.json(), "conversation_id");
  auto ep = srv->post("/api/v1/webhook_endpoints", bj::object{{"url", "http://127.0.0.1:9/x"}}, auth);
  ASSERT_EQ(ep.status, 201);
  std::string endpoint = str(ep.json(), "id");

  {
    SCOPED_TRACE("deliveries");
    expect_error(srv->get("/api/v1/webhook_endpoints/" + endpoint + "/deliveries?cursor=not-a-cursor", auth), 400,
                 "invalid_argument", "cursor");
  }
  {
    SCOPED_TRACE("GET /api/v1/conversations");
    expect_error(srv->get("/api/v1/conversations?cursor=not-a-cursor", auth), 400, "invalid_argument", "cursor");
  }
  {
    SCOPED_TRACE("GET /api/v1/conversations/{id}/messages");
    expect_error(srv->get("/api/v1/conversations/" + conversation + "/messages?cursor=not-a-cursor", auth), 400,
                 "invalid_argument", "cursor");
  }
  {
    SCOPED_TRACE("GET /api/v1/webchat/{channel_id}/messages");
    expect_error(srv->get("/api/v1/webchat/" + channel + "/messages?cursor=not-a-cursor", {{"X-Visitor-Token", v.token}}),
                 400, "invalid_argument", "cursor");
  }
}

// The list routes read ?limit= then ?cursor= (one page_params): a bad cursor names "cursor", a bad
// limit names "limit" even when the cursor is bad too (GET /api/v1/mentions too, for agent sessions;
// it answers 403 agent_only to the API token used here).
TEST_F(Api, ListRoutesCheckTheLimitThenTheCursor) {
  start();
  std::string channel = create_webchat_channel(*srv, shop.token);
  Visitor v = create_visitor(*srv, channel);
  auto sent = visitor_send(*srv, channel, v.token, "hello");
  ASSERT_EQ(sent.status, 201);
  std::string conversation = str(sent.json(), "conversation_id");
  for (const std::string& list : std::vector<std::string>{"/api/v1/products", "/api/v1/discounts", "/api/v1/orders", "/api/v1/payments",
                           "/api/v1/payouts", "/api/v1/kb/entries",
                           "/api/v1/search/messages?q=hello", "/api/v1/conversations/" + conversation + "/bot_turns",
                           "/api/v1/conversations/" + conversation + "/messages"}) {
    SCOPED_TRACE(list);
    std::string sep = list.find('?') == std::string::npos ? "?" : "&";
    expect_error(srv->get(list + sep + "cursor=not-a-cursor", auth), 400, "invalid_argument", "cursor");
    expect_error(srv->get(list + sep + "limit=0&cursor=not-a-cursor", auth), 400, "invalid_argument", "limit");
    EXPECT_EQ(srv->get(list + sep + "limit=1", auth).status, 200);
  }
  Headers visitor{{"X-Visitor-Token", v.token}};
  std::string wl = "/api/v1/webchat/" + channel + "/messages";
  expect_error(srv->get(wl + "?limit=201&cursor=x", visitor), 400, "invalid_argument", "limit");
  EXPECT_EQ(srv->get(wl + "?limit=1", visitor).status, 200);
}

// Every route of docs/api.md plus the system routes, as (method, OpenAPI path).
const std::vector<std::pair<std::string, std::string>> kDocumentedRoutes = {
    {"get", "/api/v1/search/messages"},
    {"get", "/api/v1/mentions"},
    {"post", "/api/v1/mentions/{id}/read"},
    {"post", "/api/v1/mentions/read"},
    {"get", "/api/v1/contacts/{id}/credit"},
    {"get", "/api/v1/media/{id}"},
    {"post", "/api/v1/media"},
    {"get", "/media/{id}/{filename}"},
    {"get", "/api/v1/webchat/{channel_id}/media/{id}"},
    {"get", "/api/v1/payment_links/{id}"},
    {"post", "/api/v1/payment_links/{id}/cancel"},
    {"get", "/api/v1/payment_providers"},
    {"get", "/api/v1/payments"},
    {"get", "/api/v1/payments/{id}"},
    {"get", "/api/v1/payments/{id}/audit"},
    {"get", "/pay/{token}"},
    {"get", "/pay/{token}/return"},
    {"post", "/api/v1/contacts/{id}/credit"},
    {"post", "/api/v1/payment_links"},
    {"post", "/api/v1/payment_providers"},
    {"post", "/api/v1/payments/{id}/refunds"},
    {"get", "/api/v1/payouts"},
    {"post", "/api/v1/channels/{id}/test"},
    {"post", "/api/v1/payouts"},
    {"post", "/api/v1/payouts/{id}/approve"},
    {"post", "/api/v1/refunds/{id}/approve"},
    {"post", "/pay/{token}"},
    {"post", "/webhooks/psp/{provider_id}"},
    {"put", "/api/v1/payment_settings"},
    {"post", "/api/v1/auth/login"},
    {"post", "/api/v1/auth/logout"},
    {"get", "/api/v1/auth/session"},
    {"post", "/api/v1/auth/password"},
    {"get", "/api/v1/agents"},
    {"post", "/api/v1/agents"},
    {"patch", "/api/v1/agents/{id}"},
    {"get", "/api/v1/conversations"},
    {"get", "/api/v1/conversations/{id}"},
    {"patch", "/api/v1/conversations/{id}"},
    {"get", "/api/v1/conversations/{id}/messages"},
    {"post", "/api/v1/conversations/{id}/messages"},
    {"get", "/api/v1/realtime"},
    {"get", "/api/v1/webchat/{channel_id}/config"},
    {"post", "/api/v1/webchat/{channel_id}/visitors"},
    {"post", "/api/v1/webchat/{channel_id}/messages"},
    {"get", "/api/v1/webchat/{channel_id}/messages"},
    {"post", "/api/v1/webchat/{channel_id}/email-verification"},
    {"post", "/api/v1/webchat/{channel_id}/email-verification/confirm"},
    {"get", "/api/v1/webchat/{channel_id}/realtime"},
    {"post", "/api/v1/channels"},
    {"get", "/api/v1/channels"},
    {"get", "/api/v1/channels/{id}"},
    {"post", "/api/v1/webhook_endpoints"},
    {"get", "/api/v1/webhook_endpoints"},
    {"get", "/api/v1/webhook_endpoints/{id}/deliveries"},
    {"get", "/webhooks/{channel_id}"},
    {"post", "/webhooks/{channel_id}"},
    {"get", "/api/v1/products"},
    {"delete", "/api/v1/carts/{id}/discount"},
    {"delete", "/api/v1/carts/{id}/items/{sku}"},
    {"get", "/api/v1/carts/{id}"},
    {"get", "/api/v1/carts/{id}/totals"},
    {"get", "/api/v1/contacts/{id}/profile"},
    {"get", "/api/v1/contacts/{id}"},
    {"post", "/api/v1/contacts/{id}/merge"},
    {"get", "/api/v1/discounts"},
    {"get", "/api/v1/orders"},
    {"get", "/api/v1/orders/{id}"},
    {"get", "/api/v1/products/{id}"},
    {"patch", "/api/v1/carts/{id}"},
    {"patch", "/api/v1/commerce/settings"},
    {"patch", "/api/v1/orders/{id}"},
    {"patch", "/api/v1/products/{id}"},
    {"post", "/api/v1/carts"},
    {"post", "/api/v1/carts/{id}/items"},
    {"post", "/api/v1/carts/{id}/manual_discount"},
    {"post", "/api/v1/catalog/import"},
    {"post", "/api/v1/contacts/{id}/rewards"},
    {"post", "/api/v1/discounts"},
    {"post", "/api/v1/discounts/batch"},
    {"post", "/api/v1/orders"},
    {"post", "/api/v1/products"},
    {"get", "/api/v1/commerce/settings"},
    {"patch", "/api/v1/carts/{id}/items/{sku}"},
    {"post", "/api/v1/carts/{id}/discount"},
    {"post", "/api/v1/kb/import"},
    {"get", "/api/v1/kb/entries"},
    {"delete", "/api/v1/kb/entries/{id}"},
    {"get", "/api/v1/kb/export"},
    {"post", "/api/v1/kb/search"},
    {"get", "/api/v1/bot/settings"},
    {"get", "/api/v1/service/settings"},
    {"patch", "/api/v1/service/settings"},
    {"get", "/api/v1/agents/availability"},
    {"put", "/api/v1/agents/{id}/availability"},
    {"get", "/api/v1/canned_responses"},
    {"post", "/api/v1/canned_responses"},
    {"patch", "/api/v1/canned_responses/{id}"},
    {"delete", "/api/v1/canned_responses/{id}"},
    {"post", "/api/v1/canned_responses/{id}/render"},
    {"get", "/api/v1/proactive/settings"},
    {"patch", "/api/v1/proactive/settings"},
    {"get", "/api/v1/proactive/cart_reminders"},
    {"get", "/api/v1/orders/{id}/notifications"},
    {"get", "/api/v1/contacts/{id}/opt_out"},
    {"put", "/api/v1/contacts/{id}/opt_out"},
    {"get", "/api/v1/teams"},
    {"post", "/api/v1/teams"},
    {"get", "/api/v1/teams/{id}"},
    {"patch", "/api/v1/teams/{id}"},
    {"delete", "/api/v1/teams/{id}"},
    {"post", "/api/v1/conversations/{id}/transfer"},
    {"post", "/api/v1/conversations/{id}/snooze"},
    {"get", "/api/v1/macros"},
    {"post", "/api/v1/macros"},
    {"get", "/api/v1/macros/{id}"},
    {"patch", "/api/v1/macros/{id}"},
    {"delete", "/api/v1/macros/{id}"},
    {"get", "/api/v1/conversations/{id}/macros/{macro_id}/preview"},
    {"post", "/api/v1/conversations/{id}/macros/{macro_id}/run"},
    {"get", "/api/v1/macro_runs"},
    {"patch", "/api/v1/bot/settings"},
    {"get", "/api/v1/channels/{id}/bot"},
    {"put", "/api/v1/channels/{id}/bot"},
    {"get", "/api/v1/conversations/{id}/bot_turns"},
    {"get", "/api/v1/reports/{report}"},
    {"get", "/api/v1/reports/settings"},
    {"put", "/api/v1/reports/settings"},
    {"get", "/"},
    {"get", "/chat/{channel_id}"},
    {"get", "/widget.js"},
    {"get", "/healthz"},
    {"get", "/readyz"},
    {"get", "/metrics"},
    {"get", "/api/v1/openapi.json"},
};

// (method, path) pairs named in docs/api.md: "`GET /api/v1/...`", "WebSocket `GET /...`", "WS `/...`".
std::set<std::pair<std::string, std::string>> routes_in_docs(const std::string& text) {
  std::set<std::pair<std::string, std::string>> out;
  std::regex http_re("`(GET|POST|PATCH|PUT|DELETE) (/[^` ?]*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), http_re); it != std::sregex_iterator(); ++it) {
    std::string m = (*it)[1];
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.emplace(m, (*it)[2]);
  }
  std::regex ws_re("WS `(/[^` ?]*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ws_re); it != std::sregex_iterator(); ++it)
    out.emplace("get", (*it)[1]);
  return out;
}

TEST_F(Api, OpenApiDescribesEveryRoute) {
  start();
  auto r = srv->get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto doc = r.json();
  EXPECT_EQ(str(doc, "openapi").substr(0, 2), "3.");
  const bj::value* paths = find(doc, "paths");
  ASSERT_TRUE(paths && paths->is_object());

  auto has = [&](const std::string& method, const std::string& path) -> std::string {
    const bj::value* item = paths->as_object().if_contains(path);
    if (!item || !item->is_object()) return "path missing";
    const bj::value* op = item->as_object().if_contains(method);
    if (!op || !op->is_object()) return "method missing";
    if (str(*op, "summary").empty()) return "no summary";
    if (!find(*op, "responses")) return "no responses";
    return {};
  };
  for (const auto& [method, path] : kDocumentedRoutes) EXPECT_EQ(has(method, path), "") << method << " " << path;

  // The list above stays in step with docs/api.md when the source tree is at hand.
  if (const char* src = std::getenv("BOTTEGA_SOURCE_DIR")) {
    std::ifstream in(std::string(src) + "/docs/api.md");
    std::stringstream ss;
    ss << in.rdbuf();
    auto documented = routes_in_docs(ss.str());
    EXPECT_GE(documented.size(), 15u) << "docs/api.md was not read";
    for (const auto& [method, path] : documented) {
      EXPECT_EQ(has(method, path), "") << "docs/api.md documents " << method << " " << path;
      EXPECT_NE(std::find(kDocumentedRoutes.begin(), kDocumentedRoutes.end(), std::make_pair(method, path)),
                kDocumentedRoutes.end())
          << "add " << method << " " << path << " to kDocumentedRoutes";
    }
  }

  // Conversely, every path in the document is answered by the server (not the router's 404/405).
  for (const auto& [path, item] : paths->as_object()) {
    std::string concrete(path);
    for (size_t i; (i = concrete.find('{')) != std::string::npos;)
      concrete.replace(i, concrete.find('}', i) - i + 1, "x_probe");
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (m == "POST" || m == "PATCH" || m == "PUT" || m == "DELETE" || m == "GET" || m == "OPTIONS") {
        auto probe = srv->request(m, concrete, m == "GET" || m == "OPTIONS" ? "" : "{}");
        EXPECT_NE(probe.status, 405) << m << " " << concrete << ": " << probe.describe();
        bool router_404 = probe.status == 404 && probe.body.find("route not found") != std::string::npos;
        EXPECT_FALSE(router_404) << m << " " << concrete << " is in the OpenAPI document but not routed";
      }
    }
  }
}

TEST_F(Api, MetricsArePrometheusText) {
  start();
  ASSERT_EQ(srv->get("/healthz").status, 200);
  ASSERT_EQ(srv->get("/api/v1/channels", auth).status, 200);
  auto m = srv->get("/metrics");
  ASSERT_EQ(m.status, 200) << m.describe();
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos) << m.header("Content-Type");
  EXPECT_NE(m.body.find("# TYPE bottega_http_requests_total counter"), std::string::npos) << m.body.substr(0, 2000);
  EXPECT_NE(m.body.find("bottega_http_requests_total{"), std::string::npos);
  // Every sample line is `name{labels} value` or `name value` with a number.
  std::istringstream lines(m.body);
  std::string line;
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfa]+( [0-9]+)?$)");
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 3);
}

TEST_F(Api, VisitorMessagesAreRateLimited) {
  ProcessOptions o;
  o.visitor_messages_per_minute = 3;
  start(o);
  std::string channel = create_webchat_channel(*srv, shop.token);
  Visitor v = create_visitor(*srv, channel);
  for (int i = 0; i < 3; ++i) {
    auto r = visitor_send(*srv, channel, v.token, "message " + std::to_string(i));
    ASSERT_EQ(r.status, 201) << i << ": " << r.describe();
  }
  auto limited = visitor_send(*srv, channel, v.token, "one too many");
  expect_error(limited, 429, "rate_limited");
  std::string retry = limited.header("Retry-After");
  ASSERT_FALSE(retry.empty());
  int secs = std::atoi(retry.c_str());
  EXPECT_GE(secs, 1);
  EXPECT_LE(secs, 60);
  // The refused message was not stored.
  auto hist = srv->get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}});
  EXPECT_EQ(arr(hist.json(), "data").size(), 3u) << hist.body;
  // The limit is per visitor: another visitor still gets through.
  Visitor w = create_visitor(*srv, channel);
  EXPECT_EQ(visitor_send(*srv, channel, w.token, "I am new").status, 201);
}

}  // namespace
}  // namespace e2e
