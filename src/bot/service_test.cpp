// The bot in the message path against a real store (SQLite, and PostgreSQL when
// BOTTEGA_TEST_PG_URL is set): a customer message gets its turn, the reply and the log commit
// together, a handover leaves a summary note and tags, and the bot stays out where it must.
#include "bot/service.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <filesystem>
#include <future>

#include "store/postgres/postgres_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::bot {
namespace {

namespace fs = std::filesystem;
namespace core_repo = ::bottega::repo;
using store::Tx;

class BotServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
      if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
      scratch_ = std::make_unique<store::ScratchDatabase>(admin, store::ScratchDatabase::unique_name("bottega_bot_test"));
      ASSERT_TRUE(scratch_->status().ok()) << scratch_->status().error().message;
      url_ = scratch_->url();
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      dir_ = fs::temp_directory_path() / ("bottega_bot_" + std::to_string(::getpid()) + "_" + name);
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      url_ = "sqlite://" + (dir_ / "b.db").string();
    }
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    bot_ = std::make_unique<BotService>(*store_, env(), metrics_, [](const std::string&) { return int64_t{1}; });
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_tenant(tx, "ten_A", "Shop", 1);
                  core_repo::create_tenant(tx, "ten_B", "Other", 1);
                  core_repo::create_channel(tx, channel_);
                  core_repo::create_contact(tx, "ten_A", "ct_1", "Ann", std::nullopt, 1);
                  return {};
                }).ok());
  }
  void TearDown() override {
    bot_.reset();
    if (store_) store_->close();
    store_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  pipeline::Env env() { return pipeline::Env{clock_, ids_, {}, {}}; }

  void import_kb(const std::string& tenant = "ten_A") {
    auto kb = parse_kb_json(R"({"entries":[
      {"id":"ship-be-nl","language":"nl","questions":["Verzenden jullie naar België?","Leveren jullie in België?"],"answer":"Ja, we verzenden naar België in 2-3 werkdagen.","tags":["shipping"]},
      {"id":"ship-be-en","language":"en","questions":["Do you ship to Belgium?"],"answer":"Yes, in 2-3 working days.","tags":["shipping"]},
      {"id":"sneaker-fit","language":"en","questions":["Do the sneakers run true to size?"],"answer":"They fit true to size.","tags":["presale"],"product_ids":["prd_snk"]}]})");
    ASSERT_TRUE(kb.ok());
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::import_entries(tx, tenant, *kb, clock_.now_ms());
                  return {};
                }).ok());
  }

  // A customer message; returns its id and conversation.
  std::pair<std::string, std::string> customer_says(const std::string& text) {
    std::string mid, cid;
    auto env_ = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = pipeline::ingest_contact_message(tx, env_, "ten_A", channel_, "ct_1", text, std::nullopt);
                  if (!r) return std::move(r).error();
                  mid = r->message.id;
                  cid = r->conversation.id;
                  return {};
                }).ok());
    return {mid, cid};
  }

  std::optional<repo::Turn> turn(const std::string& message_id) {
    std::optional<repo::Turn> out;
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      auto r = bot_->take_turn(tx, "ten_A", message_id);
      if (!r) return std::move(r).error();
      out = std::move(*r);
      return {};
    });
    EXPECT_TRUE(st.ok());
    return out;
  }

  std::vector<Message> messages(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) { out = core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 100, true).items; });
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::ScratchDatabase> scratch_;
  std::string url_;
  ManualClock clock_{1'795'428'000'000};  // Monday 10:00 UTC: open (default hours)
  RandomIdGenerator ids_{clock_};
  Metrics metrics_;
  Channel channel_{"ch_1", "ten_A", "webchat", "Chat", "{}", 1};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BotService> bot_;
};

INSTANTIATE_TEST_SUITE_P(Stores, BotServiceTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(BotServiceTest, WithoutAKnowledgeBaseTheBotStaysQuiet) {
  auto [mid, cid] = customer_says("Verzenden jullie naar België?");
  EXPECT_FALSE(turn(mid).has_value());
  EXPECT_EQ(messages(cid).size(), 1u);
}

TEST_P(BotServiceTest, AnswersInTheCustomersLanguageAndLogsTheTurn) {
  import_kb();
  auto [mid, cid] = customer_says("Verzenden jullie ook naar België?");
  auto t = turn(mid);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "answered");
  EXPECT_EQ(t->entry_id, "ship-be-nl");
  EXPECT_EQ(t->language, "nl");
  EXPECT_GE(t->score_milli, 500);
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].author_kind, "bot");
  EXPECT_EQ(ms[1].kind, "choices");
  EXPECT_NE(ms[1].text.find("verzenden naar België"), std::string::npos);
  EXPECT_EQ(ms[1].id, t->reply_message_id);
  // the same message never gets a second turn (job retried after a crash)
  EXPECT_FALSE(turn(mid).has_value());
  std::vector<repo::Turn> turns;
  store::read_sync(*store_, [&](Tx& tx) { turns = repo::list_turns(tx, "ten_A", cid, 0, 50); });
  ASSERT_EQ(turns.size(), 1u);
  // the turn is also an (internal) outbox event, committed with it (the reports count it)
  std::vector<Event> events;
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  int turn_events = 0;
  for (const auto& e : events)
    if (e.type == event_type::kBotTurn) {
      ++turn_events;
      EXPECT_TRUE(e.internal);
      EXPECT_EQ(e.conversation_id, cid);
      EXPECT_NE(e.payload_json.find("\"outcome\":\"answered\""), std::string::npos) << e.payload_json;
    }
  EXPECT_EQ(turn_events, 1);
  // another tenant sees nothing
  store::read_sync(*store_, [&](Tx& tx) { turns = repo::list_turns(tx, "ten_B", cid, 0, 50); });
  EXPECT_TRUE(turns.empty());
}

TEST_P(BotServiceTest, HandoverLeavesASummaryNoteTagsAndSilence) {
  import_kb();
  auto [m1, cid] = customer_says("Do the sneakers run true to size?");
  ASSERT_EQ(turn(m1)->outcome, "answered");
  auto [m2, c2] = customer_says("I want to talk to a person");
  ASSERT_EQ(c2, cid);
  auto t = turn(m2);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "handed_over");
  EXPECT_EQ(t->reason, "human_request");
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 5u);  // q, answer, request, handover reply, note
  EXPECT_NE(ms[3].text.find("minutes"), std::string::npos);
  EXPECT_EQ(ms[4].kind, "note");
  EXPECT_NE(ms[4].text.find("Intent: presale"), std::string::npos);
  EXPECT_NE(ms[4].text.find("sneaker-fit"), std::string::npos);
  EXPECT_NE(ms[4].text.find("prd_snk"), std::string::npos);
  std::optional<Conversation> conv;
  store::read_sync(*store_, [&](Tx& tx) { conv = core_repo::get_conversation(tx, "ten_A", cid); });
  ASSERT_TRUE(conv.has_value());
  auto has = [&](const char* tag) { return std::find(conv->tags.begin(), conv->tags.end(), tag) != conv->tags.end(); };
  EXPECT_TRUE(has("presale"));
  EXPECT_TRUE(has("bot-handover"));
  // handed over: the bot does not speak again in this conversation
  auto [m3, c3] = customer_says("Do you ship to Belgium?");
  EXPECT_FALSE(turn(m3).has_value());
}

TEST_P(BotServiceTest, ChannelSwitchAndAssignmentKeepTheBotOut) {
  import_kb();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::set_channel_enabled(tx, "ten_A", "ch_1", false, 2);
                return {};
              }).ok());
  auto [m1, cid] = customer_says("Do you ship to Belgium?");
  EXPECT_FALSE(turn(m1).has_value());
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::set_channel_enabled(tx, "ten_A", "ch_1", true, 3);
                return {};
              }).ok());
  auto [m2, c2] = customer_says("Do you ship to Belgium?");
  EXPECT_TRUE(turn(m2).has_value());
}

TEST_P(BotServiceTest, ListenerEnqueuesOneJobPerCustomerMessageOnlyWithAKnowledgeBase) {
  auto [m0, c0] = customer_says("hello?");
  std::vector<Event> events;
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  for (const auto& e : events) bot_->on_event(e);
  bot_->on_batch_end();
  int64_t queued = 0;
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 0);
  import_kb();
  auto [m1, c1] = customer_says("Do you ship to Belgium?");
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  for (int twice = 0; twice < 2; ++twice) {  // a replayed batch enqueues nothing new
    for (const auto& e : events) bot_->on_event(e);
    bot_->on_batch_end();
  }
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 2);  // both customer messages (the first one arrived before the KB)
  std::optional<core_repo::Job> job;
  store::read_sync(*store_, [&](Tx& tx) { job = core_repo::get_job(tx, "ten_A", kTurnJob, m1); });
  ASSERT_TRUE(job.has_value());
  // running it takes the turn
  std::promise<pipeline::JobOutcome> p;
  bot_->run(*job, [&](pipeline::JobOutcome o) { p.set_value(o); });
  EXPECT_TRUE(p.get_future().get().ok);
  EXPECT_EQ(messages(c1).back().author_kind, "bot");
}

TEST_P(BotServiceTest, AutoRepliesAndBulkMailAreNeverAnswered) {
  import_kb();
  // A message.created event as the email channel emits it for an out-of-office reply.
  Event e;
  e.seq = 1;
  e.id = "evt_auto";
  e.tenant_id = "ten_A";
  e.type = event_type::kMessageCreated;
  e.conversation_id = "cnv_mail";
  e.payload_json =
      R"({"data":{"id":"msg_auto","author":{"kind":"contact","id":null},"content":{"no_auto_reply":true}}})";
  bot_->on_event(e);
  bot_->on_batch_end();
  int64_t queued = -1;
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 0);
  // The same message without the flag is queued (the filter is what kept it out).
  e.payload_json = R"({"data":{"id":"msg_human","author":{"kind":"contact","id":null},"content":{}}})";
  bot_->on_event(e);
  bot_->on_batch_end();
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 1);
}

}  // namespace
}  // namespace bottega::bot
