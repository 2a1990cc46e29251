// The service area against a real store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is set):
// the listener's recompute keeps score and SLA clock current, the inbox orders by the score, and
// the breach scan emits conversation.sla_breached exactly once per conversation, target and due
// time, also with several scanners at once.
#include "service/service.hpp"
#include "service/service_fixture.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <filesystem>
#include <thread>

#include "bot/bot_repo.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/repo/inbox_order.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service {
namespace {

using test_support::ServiceTest;

namespace fs = std::filesystem;
namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

INSTANTIATE_TEST_SUITE_P(Stores, ServiceTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ServiceTest, FirstResponseBreachIsEmittedOnceWithTheContractPayload) {
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":60,"resolution_seconds":3600}}}})");
  int64_t t0 = clock_.now_ms();
  auto conv = customer_says("ten_A", channel_, "ct_1", "hello?");
  auto sla = service("ten_A", conv).at("sla").as_object();
  EXPECT_EQ(sla.at("first_response").as_object().at("due_at").as_string(), rfc3339(t0 + 60'000));
  EXPECT_EQ(sla.at("resolution").as_object().at("due_at").as_string(), rfc3339(t0 + 3'600'000));
  EXPECT_TRUE(sla.at("next_response").is_null());
  EXPECT_EQ(scan(), 0);  // not due yet

  clock_.advance_ms(61'000);
  EXPECT_EQ(scan(), 1);
  EXPECT_EQ(scan(), 0);  // the same due time never again
  recompute_now("ten_A", conv);  // a later event about the conversation changes nothing
  EXPECT_EQ(scan(), 0);
  auto events = breach_events();
  ASSERT_EQ(events.size(), 1u);
  const auto& d = events[0];
  EXPECT_EQ(d.at("conversation_id").as_string(), conv);
  EXPECT_EQ(d.at("target").as_string(), "first_response");
  EXPECT_EQ(d.at("due_at").as_string(), rfc3339(t0 + 60'000));
  EXPECT_EQ(d.at("breached_at").as_string(), rfc3339(t0 + 61'000));
  EXPECT_EQ(d.at("priority").as_string(), "normal");
  EXPECT_TRUE(d.at("assignee_id").is_null());
  EXPECT_EQ(d.at("channel").as_string(), "webchat");
  EXPECT_EQ(d.size(), 7u);
  sla = service("ten_A", conv).at("sla").as_object();
  EXPECT_TRUE(sla.at("breached").as_bool());
  EXPECT_EQ(sla.at("breaches").as_array().size(), 1u);

  // The agent answers: no first-response clock any more. The customer writes again: next response.
  agent_says(conv, "Hi Ann!");
  sla = service("ten_A", conv).at("sla").as_object();
  EXPECT_TRUE(sla.at("first_response").is_null());
  EXPECT_TRUE(sla.at("next_response").is_null());  // no next_response policy for normal
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":60,"next_response_seconds":30}}}})");
  clock_.advance_ms(5'000);
  customer_says("ten_A", channel_, "ct_1", "still there?");
  sla = service("ten_A", conv).at("sla").as_object();
  ASSERT_TRUE(sla.at("next_response").is_object());
  EXPECT_EQ(sla.at("next_response").as_object().at("due_at").as_string(), rfc3339(clock_.now_ms() + 30'000));
  clock_.advance_ms(31'000);
  EXPECT_EQ(scan(), 1);
  events = breach_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].at("target").as_string(), "next_response");
}

TEST_P(ServiceTest, ChannelPoliciesApplyPerConversationChannelAndTenant) {
  Channel mail{"ch_mail", "ten_A", "email", "Mail", "{}", 1};
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                core_repo::create_channel(tx, mail);
                return {};
              }).ok());
  // Chat: an hour by default; email: a day for normal priority.
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"default":{"first_response_seconds":3600}},
                            "channels":{"email":{"normal":{"first_response_seconds":86400}}}}})");
  settings("ten_B", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":60}}}})");
  int64_t t0 = clock_.now_ms();
  auto chat = customer_says("ten_A", channel_, "ct_1", "hello on chat");
  auto email = customer_says("ten_A", mail, "ct_2", "hello by email");
  auto other = customer_says("ten_B", channel_b_, "ct_9", "hello elsewhere");
  auto due = [&](const std::string& tenant, const std::string& conv) {
    return std::string(service(tenant, conv).at("sla").as_object().at("first_response").as_object().at("due_at").as_string());
  };
  EXPECT_EQ(due("ten_A", chat), rfc3339(t0 + 3'600'000));
  EXPECT_EQ(due("ten_A", email), rfc3339(t0 + 86'400'000));
  EXPECT_EQ(due("ten_B", other), rfc3339(t0 + 60'000));  // ten_B's own policy, not ten_A's
  // The breach scan sees the chat one at its hour, not the email one.
  clock_.advance_ms(3'600'000 + 1000);
  EXPECT_EQ(scan(), 2);  // the chat (ten_A) and ten_B's conversation
  for (const auto& e : breach_events()) EXPECT_NE(e.at("conversation_id").as_string(), email);
  // Removing the channel policy: the email conversation falls back to the default (recomputed).
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"default":{"first_response_seconds":7200}}}})");
  EXPECT_EQ(due("ten_A", email), rfc3339(t0 + 7'200'000));
}

TEST_P(ServiceTest, ConcurrentScannersEmitEachBreachOnce) {
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":10}}}})");
  std::vector<std::string> convs;
  convs.push_back(customer_says("ten_A", channel_, "ct_1", "one"));
  convs.push_back(customer_says("ten_A", channel_, "ct_2", "two"));
  clock_.advance_ms(11'000);
  Metrics metrics;
  SlaMonitor m1(*store_, env(), metrics), m2(*store_, env(), metrics);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { total += (i % 2 ? m1 : m2).scan_once(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), 2);
  EXPECT_EQ(breach_events().size(), 2u);
  EXPECT_EQ(metrics.counter_value("bottega_sla_breaches_total"), 2.0);
}

TEST_P(ServiceTest, ResolvedAndSnoozedConversationsHaveNoDueTimes) {
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":10,"resolution_seconds":20}}}})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "hi");
  pipeline::ConversationPatch p;
  p.status = ConversationStatus::resolved;
  patch(conv, p);
  clock_.advance_ms(60'000);
  EXPECT_EQ(scan(), 0);
  auto sla = service("ten_A", conv).at("sla").as_object();
  EXPECT_TRUE(sla.at("first_response").is_null());
  EXPECT_TRUE(sla.at("resolution").is_null());
  // Reopened: the resolution clock starts again from the reopening.
  p.status = ConversationStatus::open;
  patch(conv, p);
  sla = service("ten_A", conv).at("sla").as_object();
  ASSERT_TRUE(sla.at("resolution").is_object());
  EXPECT_EQ(sla.at("resolution").as_object().at("due_at").as_string(), rfc3339(clock_.now_ms() + 20'000));
}

// A stop word needs no answer: it neither starts nor restarts the SLA clock, and it does not wake a
// snoozed conversation.
TEST_P(ServiceTest, AStopWordNeitherStartsNorRestartsTheClock) {
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"default":{"first_response_seconds":60,"next_response_seconds":60,"resolution_seconds":3600}}}})");
  // Answered, then STOP: nobody is waiting.
  auto conv = customer_says("ten_A", channel_, "ct_1", "where is my parcel?");
  agent_says(conv, "On its way!");
  clock_.advance_ms(1000);
  EXPECT_EQ(customer_says("ten_A", channel_, "ct_1", "STOP"), conv);
  auto sla = service("ten_A", conv).at("sla").as_object();
  EXPECT_TRUE(sla.at("first_response").is_null());
  EXPECT_TRUE(sla.at("next_response").is_null());
  EXPECT_TRUE(sla.at("resolution").is_object());  // the conversation was opened by a real question
  // A real message after it starts the clock from that message, not from the STOP.
  clock_.advance_ms(5000);
  int64_t asked = clock_.now_ms();
  customer_says("ten_A", channel_, "ct_1", "one more thing");
  sla = service("ten_A", conv).at("sla").as_object();
  ASSERT_TRUE(sla.at("next_response").is_object());
  EXPECT_EQ(sla.at("next_response").as_object().at("due_at").as_string(), rfc3339(asked + 60'000));

  // A conversation that is only a STOP (and a START) has no clock at all, and never breaches.
  auto only = customer_says("ten_A", channel_, "ct_2", "STOP");
  EXPECT_NE(only, conv);
  customer_says("ten_A", channel_, "ct_2", "START");
  sla = service("ten_A", only).at("sla").as_object();
  EXPECT_TRUE(sla.at("first_response").is_null());
  EXPECT_TRUE(sla.at("resolution").is_null());
  clock_.advance_ms(2 * 3'600'000);
  scan();
  for (const auto& e : breach_events()) EXPECT_NE(e.at("conversation_id").as_string(), only);

  // Snoozed until the customer answers: a STOP does not wake it (nor start a clock).
  pipeline::ConversationPatch p;
  p.status = ConversationStatus::snoozed;
  patch(conv, p);
  customer_says("ten_A", channel_, "ct_1", "stop");
  std::optional<Conversation> c;
  store::read_sync(*store_, [&](Tx& tx) { c = core_repo::get_conversation(tx, "ten_A", conv); });
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->status, ConversationStatus::snoozed);
  EXPECT_TRUE(service("ten_A", conv).at("sla").as_object().at("first_response").is_null());
  // ... while a real message does.
  customer_says("ten_A", channel_, "ct_1", "hello again");
  store::read_sync(*store_, [&](Tx& tx) { c = core_repo::get_conversation(tx, "ten_A", conv); });
  EXPECT_EQ(c->status, ConversationStatus::open);
}

// The clock's inputs, read through the messages_replies index (core migration 7): waiting since the
// customer's first message after the last answer; an answer is a public reply by a person, or by
// the bot unless its turn handed over; notes and the shop's system messages answer nothing.
TEST_P(ServiceTest, WaitingSinceFollowsTheLastAnswer) {
  auto reply_state = [&](const std::string& tenant, const std::string& conv) {
    repo::ReplyState st;
    store::read_sync(*store_, [&](Tx& tx) { st = repo::reply_state(tx, tenant, conv); });
    return st;
  };
  auto post = [&](const std::string& conv, const char* author, const char* kind, const char* turn_outcome) {
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  Message m;
                  m.id = ids_.next("msg");
                  m.tenant_id = "ten_A";
                  m.conversation_id = conv;
                  m.direction = "out";
                  m.author_kind = author;
                  m.kind = kind;
                  m.text = "reply";
                  m.delivery_state = "sent";
                  m.created_at = clock_.now_ms();
                  core_repo::insert_message(tx, m);
                  if (turn_outcome) {
                    bot::repo::Turn t;
                    t.id = ids_.next("bturn");
                    t.tenant_id = "ten_A";
                    t.conversation_id = conv;
                    t.message_id = ids_.next("msg");
                    t.language = "en";
                    t.intent = "other";
                    t.outcome = turn_outcome;
                    t.reply_message_id = m.id;
                    t.created_at = m.created_at;
                    bot::repo::insert_turn(tx, t);
                  }
                  return {};
                }).ok());
    clock_.advance_ms(1'000);
  };
  int64_t t0 = clock_.now_ms();
  auto conv = customer_says("ten_A", channel_, "ct_1", "hello?");
  clock_.advance_ms(1'000);
  customer_says("ten_A", channel_, "ct_1", "anyone?");
  auto other = customer_says("ten_A", channel_, "ct_2", "me too");  // another conversation
  clock_.advance_ms(1'000);
  auto st = reply_state("ten_A", conv);
  EXPECT_EQ(st.waiting_since, t0);
  EXPECT_FALSE(st.person_replied);

  post(conv, "bot", "text", "answered");  // the bot answered
  st = reply_state("ten_A", conv);
  EXPECT_FALSE(st.waiting_since);
  EXPECT_FALSE(st.person_replied);
  EXPECT_TRUE(reply_state("ten_A", other).waiting_since);  // its own clock

  int64_t t1 = clock_.now_ms();
  customer_says("ten_A", channel_, "ct_1", "that did not help");
  clock_.advance_ms(1'000);
  post(conv, "bot", "text", "handed_over");  // "a person will take over": not an answer
  post(conv, "bot", "note", nullptr);        // the handover summary
  post(conv, "agent", "note", nullptr);      // an internal note
  post(conv, "system", "text", nullptr);     // the after-hours notice
  st = reply_state("ten_A", conv);
  EXPECT_EQ(st.waiting_since, t1);
  EXPECT_FALSE(st.person_replied);
  {
    SCOPED_TRACE("the listener stores the same");
    recompute_now("ten_A", conv);
    store::read_sync(*store_, [&](Tx& tx) {
      auto s = repo::get_state(tx, "ten_A", conv);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->waiting_since, t1);
      EXPECT_FALSE(s->person_replied);
    });
  }

  agent_says(conv, "Hi Ann, I am here");
  st = reply_state("ten_A", conv);
  EXPECT_FALSE(st.waiting_since);
  EXPECT_TRUE(st.person_replied);
  clock_.advance_ms(1'000);
  int64_t t2 = clock_.now_ms();
  customer_says("ten_A", channel_, "ct_1", "thanks, one more thing");
  st = reply_state("ten_A", conv);
  EXPECT_EQ(st.waiting_since, t2);
  EXPECT_TRUE(st.person_replied);
  EXPECT_FALSE(reply_state("ten_A", other).person_replied);
  EXPECT_FALSE(reply_state("ten_B", conv).waiting_since);  // tenant-scoped
}

TEST_P(ServiceTest, InboxOrderPutsPresaleFirstAndExplainsTheScore) {
  auto post = customer_says("ten_A", channel_, "ct_1", "where is my order");
  auto pre = customer_says("ten_A", channel_, "ct_2", "is the blue one in stock");
  pipeline::ConversationPatch tp;
  tp.tags = std::vector<std::string>{"order-status"};
  patch(post, tp);
  tp.tags = std::vector<std::string>{"presale"};
  patch(pre, tp);
  // The post-sale one is older and has waited longer, still the pre-sale one comes first.
  clock_.advance_ms(20 * 60'000);
  core_repo::ConversationFilter f;
  int64_t now = clock_.now_ms();
  std::vector<std::string> order;
  store::read_sync(*store_, [&](Tx& tx) {
    for (const auto& c : core_repo::list_conversations_by_score(tx, "ten_A", f, now).items) order.push_back(c.id);
  });
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], pre);
  EXPECT_EQ(order[1], post);
  auto score = service("ten_A", pre).at("priority_score").as_object();
  EXPECT_EQ(score.at("intent").as_string(), "presale");
  EXPECT_EQ(score.at("level").as_string(), "high");
  EXPECT_EQ(score.at("score").as_int64(), 400 + 20 + 40);  // intent, live channel, 20 minutes waiting
  // An explicit priority puts the post-sale one first; pages of the score order agree.
  pipeline::ConversationPatch pp;
  pp.priority = 500;
  patch(post, pp);
  f.limit = 1;
  std::vector<std::string> paged;
  store::read_sync(*store_, [&](Tx& tx) {
    auto page = core_repo::list_conversations_by_score(tx, "ten_A", f, now);
    for (const auto& c : page.items) paged.push_back(c.id);
    ASSERT_TRUE(page.next_cursor.has_value());
    f.cursor = page.next_cursor;
    auto next = core_repo::list_conversations_by_score(tx, "ten_A", f, now);
    for (const auto& c : next.items) paged.push_back(c.id);
    EXPECT_FALSE(next.next_cursor.has_value());
  });
  EXPECT_EQ(paged, (std::vector<std::string>{post, pre}));
}

TEST_P(ServiceTest, TenantsDoNotSeeEachOthersState) {
  settings("ten_A", R"({"sla":{"business_hours":false,"policies":{"normal":{"first_response_seconds":10}}}})");
  auto a = customer_says("ten_A", channel_, "ct_1", "hi");
  auto b = customer_says("ten_B", channel_b_, "ct_9", "hi");
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_FALSE(repo::get_state(tx, "ten_B", a).has_value());
    EXPECT_TRUE(repo::get_state(tx, "ten_A", a).has_value());
    ASSERT_TRUE(repo::get_state(tx, "ten_B", b).has_value());
    EXPECT_FALSE(repo::get_state(tx, "ten_B", b)->first_response_due.has_value());  // B has no policy
  });
  clock_.advance_ms(11'000);
  EXPECT_EQ(scan(), 1);
}

}  // namespace
}  // namespace bottega::service
