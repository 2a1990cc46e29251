// The pipeline against a real store: services write state and events together, the dispatcher
// delivers in order and resumes from its durable cursor, jobs retry and complete once, merchant
// webhooks are enqueued once per endpoint and signed. Each test runs against SQLite (a fresh file)
// and, when BOTTEGA_TEST_PG_URL names a PostgreSQL server (scripts/pg.sh), against PostgreSQL (a
// fresh database per test).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/crypto.hpp"
#include "pipeline/listener.hpp"
#include "pipeline/dispatcher.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"
#include "pipeline/webhooks.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {
namespace {

namespace fs = std::filesystem;
using store::Tx;

template <class Pred>
bool eventually(Pred p, int ms = 5000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

class PipelineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_pipeline");
    if (IsSkipped() || HasFatalFailure()) return;
    url_ = place_.url();
    open();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::create_tenant(tx, "ten_A", "Shop", 1);
                  repo::create_channel(tx, channel_);
                  repo::create_contact(tx, "ten_A", "ct_1", "Ann", std::nullopt, 1);
                  return {};
                }).ok());
  }
  void open() {
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  Env env() { return Env{clock_, ids_, {}, {}}; }

  store::ScratchStore place_;
  std::string url_;
  ManualClock clock_{1'700'000'000'000};
  RandomIdGenerator ids_{clock_};
  Metrics metrics_;
  Channel channel_{"ch_1", "ten_A", "webchat", "Chat", "{}", 1};
  std::unique_ptr<store::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, PipelineTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

struct Recorder : EventListener {
  std::mutex mu;
  std::vector<Event> seen;
  void on_event(const Event& e) override {
    std::lock_guard lk(mu);
    seen.push_back(e);
  }
  size_t size() {
    std::lock_guard lk(mu);
    return seen.size();
  }
};

TEST(Backoff, DoublesWithJitterAndCaps) {
  EXPECT_GE(backoff_ms(1, 1000, 60000, 0), 500);
  EXPECT_LE(backoff_ms(1, 1000, 60000, ~0ULL), 1000);
  EXPECT_GE(backoff_ms(3, 1000, 60000, 0), 2000);
  EXPECT_LE(backoff_ms(3, 1000, 60000, ~0ULL), 4000);
  EXPECT_LE(backoff_ms(40, 1000, 60000, ~0ULL), 60000);
  EXPECT_GE(backoff_ms(40, 1000, 60000, 0), 30000);
}

TEST(CreatedMessage, KeepsTheLastAnswerPerEventNotPerSeq) {
  auto event = [](int64_t seq, std::string id, std::string type, std::string data) {
    Event e;
    e.seq = seq;
    e.id = std::move(id);
    e.tenant_id = "ten_A";
    e.type = std::move(type);
    e.conversation_id = "cnv_1";
    e.payload_json = R"({"id":")" + e.id + R"(","type":")" + e.type + R"(","data":)" + data + "}";
    return e;
  };
  auto a = event(1, "evt_a", "message.created",
                 R"({"id":"msg_a","kind":"media","direction":"in","author":{"kind":"contact"},"content":{}})");
  auto b = event(2, "evt_b", "message.created",
                 R"({"id":"msg_b","kind":"text","direction":"out","author":{"kind":"bot"},"content":{"no_auto_reply":true}})");
  auto ma = created_message(a);
  ASSERT_TRUE(ma);
  EXPECT_EQ(ma->message_id, "msg_a");
  EXPECT_EQ(ma->kind, "media");
  EXPECT_EQ(ma->direction, "in");
  EXPECT_EQ(ma->author_kind, "contact");
  EXPECT_FALSE(ma->no_auto_reply);
  EXPECT_EQ(created_message(a)->message_id, "msg_a");  // asked again (the next listener): the same answer
  auto mb = created_message(b);
  ASSERT_TRUE(mb);
  EXPECT_EQ(mb->message_id, "msg_b");
  EXPECT_EQ(mb->author_kind, "bot");
  EXPECT_TRUE(mb->no_auto_reply);
  // The same seq and id with another payload is parsed anew (only the very same event reuses the
  // answer).
  auto b2 = b;
  b2.payload_json = R"({"data":{"id":"msg_b2","author":{"kind":"contact"}}})";
  EXPECT_EQ(created_message(b2)->message_id, "msg_b2");
  // The same seq with another id (another database's event in a test process) is parsed anew.
  auto c = event(2, "evt_c", "message.created", R"({"id":"msg_c","kind":"text","direction":"in","author":{"kind":"contact"}})");
  EXPECT_EQ(created_message(c)->message_id, "msg_c");
  // Not a public message.created about a conversation, or no message id: nothing.
  EXPECT_FALSE(created_message(event(3, "evt_d", "conversation.updated", R"({"id":"cnv_1"})")));
  auto internal = a;
  internal.id = "evt_e";
  internal.internal = true;
  EXPECT_FALSE(created_message(internal));
  auto orphan = a;
  orphan.id = "evt_f";
  orphan.conversation_id.clear();
  EXPECT_FALSE(created_message(orphan));
  EXPECT_FALSE(created_message(event(4, "evt_g", "message.created", R"({"kind":"text"})")));
  EXPECT_FALSE(created_message(event(5, "evt_h", "message.created", "[1,2")));
}

TEST_P(PipelineTest, IngestOpensOneConversationAndEmitsEventsAtomically) {
  auto e = env();
  IngestResult first, second;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto r = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hello", std::nullopt);
                if (!r) return r.error();
                first = *r;
                auto r2 = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "are you there?", std::nullopt);
                if (!r2) return r2.error();
                second = *r2;
                return {};
              }).ok());
  EXPECT_EQ(first.conversation.id, second.conversation.id);
  store::read_sync(*store_, [&](Tx& tx) {
    auto events = repo::events_after(tx, 0, 100);
    std::vector<std::string> types;
    for (auto& ev : events) types.push_back(ev.type);
    std::vector<std::string> want = {"conversation.created", "message.created", "message.created"};
    EXPECT_EQ(types, want);
    for (auto& ev : events) EXPECT_EQ(ev.contact_id, "ct_1");
    auto conv = repo::get_conversation(tx, "ten_A", first.conversation.id);
    ASSERT_TRUE(conv);
    EXPECT_EQ(conv->last_message_text.value_or(""), "are you there?");
  });
}

// A customer's message goes to the newest unresolved conversation of the contact on the channel:
// a snoozed one is reopened (its whole row rewritten, conversation.updated announced), a resolved
// one is left alone (a new conversation opens), and the result names the conversation with its
// channel, contact and status.
TEST_P(PipelineTest, IngestFollowsTheActiveConversationThroughSnoozeResolveAndANewerOne) {
  auto e = env();
  Principal admin;
  admin.tenant_id = "ten_A";
  admin.token_id = "tok";
  admin.role = Role::admin;
  auto ingest = [&](const Incoming& in) {
    IngestResult out;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", in, std::nullopt);
                  if (!r) return r.error();
                  out = *r;
                  return {};
                }).ok());
    return out;
  };
  auto text = [](const std::string& t) {
    Incoming in;
    in.text = t;
    return in;
  };
  auto set_status = [&](const std::string& id, ConversationStatus st) {
    ConversationPatch p;
    p.status = st;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = update_conversation(tx, e, admin, id, p);
                  if (!r) return r.error();
                  return {};
                }).ok());
  };
  auto first = ingest(text("hello"));
  EXPECT_EQ(first.conversation.channel_id, "ch_1");
  EXPECT_EQ(first.conversation.channel_type, "webchat");
  EXPECT_EQ(first.conversation.contact_id, "ct_1");
  EXPECT_EQ(first.conversation.status, ConversationStatus::open);
  auto again = ingest(text("still there?"));
  EXPECT_EQ(again.conversation.id, first.conversation.id);
  EXPECT_EQ(again.conversation.seq, first.conversation.seq);
  EXPECT_EQ(again.conversation.status, ConversationStatus::open);
  EXPECT_EQ(again.conversation.channel_type, "webchat");
  EXPECT_EQ(again.conversation.last_message_text.value_or(""), "still there?");

  set_status(first.conversation.id, ConversationStatus::snoozed);
  int64_t before = 0;
  store::read_sync(*store_, [&](Tx& tx) { before = repo::max_event_seq(tx); });
  auto woke = ingest(text("hello again"));
  EXPECT_EQ(woke.conversation.id, first.conversation.id);
  EXPECT_EQ(woke.conversation.status, ConversationStatus::open);
  store::read_sync(*store_, [&](Tx& tx) {
    auto conv = repo::get_conversation(tx, "ten_A", first.conversation.id);
    ASSERT_TRUE(conv);
    EXPECT_EQ(conv->status, ConversationStatus::open);
    EXPECT_EQ(conv->last_message_text.value_or(""), "hello again");
    std::vector<std::string> types;
    for (auto& ev : repo::events_after(tx, before, 100)) types.push_back(ev.type);
    EXPECT_EQ(types, (std::vector<std::string>{"message.created", "conversation.updated"}));
  });

  set_status(first.conversation.id, ConversationStatus::resolved);
  auto fresh = ingest(text("new question"));
  EXPECT_NE(fresh.conversation.id, first.conversation.id);
  EXPECT_EQ(fresh.conversation.status, ConversationStatus::open);
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_EQ(repo::get_conversation(tx, "ten_A", first.conversation.id)->status, ConversationStatus::resolved);
    EXPECT_EQ(repo::count_messages(tx, "ten_A", first.conversation.id), 3);
    EXPECT_EQ(repo::count_messages(tx, "ten_A", fresh.conversation.id), 1);
  });

  // A newer unresolved conversation (an email thread starts one) takes the next messages.
  Incoming separate = text("another topic");
  separate.new_conversation = true;
  auto newer = ingest(separate);
  EXPECT_NE(newer.conversation.id, fresh.conversation.id);
  EXPECT_EQ(ingest(text("follow-up")).conversation.id, newer.conversation.id);
}

TEST_P(PipelineTest, AFailedServiceLeavesNoEventBehind) {
  auto e = env();
  auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
    auto r = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hello", std::nullopt);
    EXPECT_TRUE(r.ok());
    return Error::internal("fail after the work");  // the savepoint rolls back message and events
  });
  ASSERT_FALSE(st.ok());
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_TRUE(repo::events_after(tx, 0, 10).empty());
    EXPECT_EQ(repo::list_conversations(tx, "ten_A", {}).items.size(), 0u);
  });
}

TEST_P(PipelineTest, ClientIdDeduplicatesRetries) {
  auto e = env();
  IngestResult a, b;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                a = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hi", std::string("c-1")).value();
                b = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hi", std::string("c-1")).value();
                return {};
              }).ok());
  EXPECT_FALSE(a.duplicate);
  EXPECT_TRUE(b.duplicate);
  EXPECT_EQ(a.message.id, b.message.id);
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(repo::count_messages(tx, "ten_A", a.conversation.id), 1); });
}

TEST_P(PipelineTest, ReplySetsFirstResponseAndNotesStayInternal) {
  auto e = env();
  std::string conv;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                conv = ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hi", std::nullopt)->conversation.id;
                return {};
              }).ok());
  clock_.advance_ms(42'000);
  Principal p{"ten_A", "", "tok_1", Role::admin, "", false, ""};
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                EXPECT_TRUE(agent_reply(tx, e, p, conv, {"internal thought", "note", {}}).ok());
                EXPECT_TRUE(agent_reply(tx, e, p, conv, {"Hello Ann", "text", {}}).ok());
                Principal other{"ten_B", "", "tok_2", Role::admin, "", false, ""};
                auto r = agent_reply(tx, e, other, conv, {"x", "text", {}});
                EXPECT_FALSE(r.ok());
                EXPECT_EQ(r.error().errc, Errc::not_found);
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) {
    auto c = repo::get_conversation(tx, "ten_A", conv);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->first_response_at.value_or(0), clock_.now_ms());
    int internal = 0;
    for (auto& ev : repo::events_after(tx, 0, 100)) internal += ev.internal ? 1 : 0;
    EXPECT_EQ(internal, 1);
    auto page = repo::list_contact_messages(tx, "ten_A", "ct_1", std::nullopt, 50);
    ASSERT_EQ(page.items.size(), 2u);  // the note is not among a visitor's messages
  });
}

TEST_P(PipelineTest, DispatcherDeliversInOrderAndResumesFromItsCursor) {
  auto e = env();
  Recorder rec;
  {
    Dispatcher d(*store_, metrics_, DispatcherOptions{.poll_ms = 20, .batch = 512, .persist_every_ms = 0});
    d.add_listener(&rec);
    d.start();
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                    return ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "m" + std::to_string(i),
                                                  std::nullopt).ok() ? Status{} : Error::internal("x");
                  }).ok());
    d.notify();
    ASSERT_TRUE(eventually([&] { return rec.size() >= 6; }));  // conversation.created + 5 messages
    d.stop();
  }
  for (size_t i = 1; i < rec.seen.size(); ++i) EXPECT_LT(rec.seen[i - 1].seq, rec.seen[i].seq);
  int64_t last = rec.seen.back().seq;
  // Written while no dispatcher runs: a restarted dispatcher delivers them, and only them.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                return ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "later", std::nullopt).ok()
                           ? Status{} : Error::internal("x");
              }).ok());
  Recorder rec2;
  Dispatcher d2(*store_, metrics_, DispatcherOptions{.poll_ms = 20, .batch = 512, .persist_every_ms = 0});
  d2.add_listener(&rec2);
  d2.start();
  ASSERT_TRUE(eventually([&] { return rec2.size() >= 1; }));
  d2.stop();
  for (auto& ev : rec2.seen) EXPECT_GT(ev.seq, last);
}

// Events this process commits through emit() reach the listeners from memory (Dispatcher::offer),
// in order and once each, without reading the outbox back; the polls are set far apart so that
// only the dispatcher's own decisions cause reads.
TEST_P(PipelineTest, DispatcherDeliversOfferedEventsFromMemory) {
  Recorder rec;
  Dispatcher d(*store_, metrics_, DispatcherOptions{.poll_ms = 600'000, .batch = 512, .persist_every_ms = 0});
  d.add_listener(&rec);
  d.start();
  auto e = Env{clock_, ids_, [&] { d.notify(); }, {}, [&](Event ev) { d.offer(std::move(ev)); }};
  auto write = [&](const std::string& text) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  return ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", text, std::nullopt).ok()
                             ? Status{} : Error::internal("x");
                }).ok());
  };
  write("first");  // the first wake reads the outbox (the dispatcher has not read it yet)
  ASSERT_TRUE(eventually([&] { return rec.size() == 2; }, 20'000));  // conversation.created + message
  uint64_t reads = d.store_reads();
  EXPECT_GE(reads, 1u);
  for (int i = 0; i < 20; ++i) write("m" + std::to_string(i));
  ASSERT_TRUE(eventually([&] { return rec.size() == 22; }, 20'000));
  EXPECT_EQ(d.store_reads(), reads) << "offered events continuing the cursor need no read";
  d.stop();
  std::vector<Event> stored;
  store::read_sync(*store_, [&](Tx& tx) { stored = repo::events_after(tx, 0, 100); });
  std::lock_guard lk(rec.mu);
  ASSERT_EQ(rec.seen.size(), stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {  // the same events as the outbox holds, field by field
    EXPECT_EQ(rec.seen[i].seq, stored[i].seq);
    EXPECT_EQ(rec.seen[i].id, stored[i].id);
    EXPECT_EQ(rec.seen[i].tenant_id, stored[i].tenant_id);
    EXPECT_EQ(rec.seen[i].type, stored[i].type);
    EXPECT_EQ(rec.seen[i].conversation_id, stored[i].conversation_id);
    EXPECT_EQ(rec.seen[i].contact_id, stored[i].contact_id);
    EXPECT_EQ(rec.seen[i].internal, stored[i].internal);
    EXPECT_EQ(rec.seen[i].payload_json, stored[i].payload_json);
    EXPECT_EQ(rec.seen[i].created_at_ms, stored[i].created_at_ms);
  }
}

// An event committed without being offered (another node's, or a write without the hook) leaves a
// gap in memory: the next offered event makes the dispatcher read the outbox, and both arrive in
// order, once. An offer of an event delivered already is dropped.
TEST_P(PipelineTest, DispatcherReadsTheOutboxAtAGapInWhatWasOffered) {
  Recorder rec;
  Dispatcher d(*store_, metrics_, DispatcherOptions{.poll_ms = 600'000, .batch = 512, .persist_every_ms = 0});
  d.add_listener(&rec);
  d.start();
  auto offered = Env{clock_, ids_, [&] { d.notify(); }, {}, [&](Event ev) { d.offer(std::move(ev)); }};
  auto silent = Env{clock_, ids_, {}, {}};  // commits without telling the dispatcher
  auto write = [&](Env& e, const std::string& text) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  return ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", text, std::nullopt).ok()
                             ? Status{} : Error::internal("x");
                }).ok());
  };
  write(offered, "first");
  ASSERT_TRUE(eventually([&] { return rec.size() == 2; }, 20'000));
  uint64_t reads = d.store_reads();
  write(silent, "unannounced");
  write(offered, "next");
  ASSERT_TRUE(eventually([&] { return rec.size() == 4; }, 20'000));
  EXPECT_GT(d.store_reads(), reads);
  Event old;
  {
    std::lock_guard lk(rec.mu);
    old = rec.seen.front();
  }
  d.offer(old);
  write(offered, "last");
  ASSERT_TRUE(eventually([&] { return rec.size() == 5; }, 20'000));
  d.stop();
  std::vector<Event> stored;
  store::read_sync(*store_, [&](Tx& tx) { stored = repo::events_after(tx, 0, 100); });
  std::lock_guard lk(rec.mu);
  ASSERT_EQ(rec.seen.size(), stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(rec.seen[i].seq, stored[i].seq);
    EXPECT_EQ(rec.seen[i].id, stored[i].id);
  }
}

struct FakeHttp : HttpClient {
  std::mutex mu;
  std::vector<HttpRequest> requests;
  std::vector<int> statuses;  // answered in order; then 200
  void send(HttpRequest req, std::function<void(Result<HttpResponse>)> done) override {
    int status = 200;
    {
      std::lock_guard lk(mu);
      if (requests.size() < statuses.size()) status = statuses[requests.size()];
      requests.push_back(req);
    }
    done(HttpResponse{status, {}, "ok"});
  }
  size_t count() {
    std::lock_guard lk(mu);
    return requests.size();
  }
};

TEST_P(PipelineTest, WebhooksAreSignedRetriedAndLogged) {
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_endpoint(tx, {"we_1", "ten_A", "http://merchant.example/hook", {}, "whsec_test", 1});
                repo::create_endpoint(tx, {"we_2", "ten_A", "http://merchant.example/other", {"conversation.updated"}, "s2", 1});
                return {};
              }).ok());
  SystemClock real;
  FakeHttp http;
  http.statuses = {503};
  JobRunnerOptions jo;
  jo.owner = "test";
  jo.poll_ms = 20;
  jo.backoff_base_ms = 10;
  JobRunner runner(*store_, real, metrics_, jo);
  WebhookService hooks(*store_, http, real, ids_, metrics_, runner);
  runner.add_handler("webhook", [&](const repo::Job& j, std::function<void(JobOutcome)> done) { hooks.run(j, done); });
  Dispatcher d(*store_, metrics_, DispatcherOptions{.poll_ms = 20, .batch = 512, .persist_every_ms = 0});
  d.add_listener(&hooks);
  d.start();
  runner.start();
  auto e = Env{clock_, ids_, [&] { d.notify(); }, {}};
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                return ingest_contact_message(tx, e, "ten_A", channel_, "ct_1", "hi", std::nullopt).ok()
                           ? Status{} : Error::internal("x");
              }).ok());
  // 2 events for we_1 (conversation.created, message.created): first attempt 503, then retried.
  ASSERT_TRUE(eventually([&] { return http.count() >= 3; }));
  runner.stop(1000);
  d.stop();
  std::lock_guard lk(http.mu);
  for (const auto& req : http.requests) {
    EXPECT_EQ(req.url, "http://merchant.example/hook");  // we_2 is not subscribed to these types
    std::string sig, id;
    for (auto& [k, v] : req.headers) {
      if (k == "Bottega-Signature") sig = v;
      if (k == "Bottega-Event-Id") id = v;
    }
    EXPECT_FALSE(id.empty());
    EXPECT_TRUE(crypto::verify_webhook_signature("whsec_test", sig, req.body, real.now_ms() / 1000));
    auto body = boost::json::parse(req.body).as_object();
    EXPECT_EQ(body["id"].as_string(), id);
  }
  store::read_sync(*store_, [&](Tx& tx) {
    auto log = repo::list_deliveries(tx, "ten_A", "we_1", 0, 100);
    ASSERT_GE(log.size(), 3u);
    EXPECT_EQ(log[0].status_code.value_or(0), 503);
    EXPECT_EQ(repo::count_jobs(tx, "done"), 2);
  });
}

}  // namespace
}  // namespace bottega::pipeline
