// The store against a real SQLite file: group commit, savepoint isolation, migrations, tenant
// scoping of the repositories, job leases and fencing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "bottega/store.hpp"
#include "store/repo/repo.hpp"

namespace bottega {
namespace {

namespace fs = std::filesystem;
using store::Tx;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bottega_store_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    url_ = "sqlite://" + (dir_ / "t.db").string();
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    seed();
  }
  void TearDown() override {
    if (store_) store_->close();
    fs::remove_all(dir_);
  }

  void seed() {
    auto st = store::write_sync(*store_, [](Tx& tx) -> Status {
      for (std::string t : {"ten_A", "ten_B"}) {
        repo::create_tenant(tx, t, "Shop " + t, 1);
        repo::create_channel(tx, Channel{"ch_" + t, t, "webchat", "Chat", "{}", 1});
        repo::create_contact(tx, t, "ct_" + t, "Ann", std::nullopt, 1);
        Conversation c;
        c.id = "cnv_" + t;
        c.tenant_id = t;
        c.channel_id = "ch_" + t;
        c.contact_id = "ct_" + t;
        c.last_message_at = c.created_at = c.updated_at = 1;
        repo::create_conversation(tx, c);
      }
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
};

constexpr store::Stmt kCountKv{"test.count_kv", "SELECT COUNT(*) FROM kv"};

TEST_F(StoreTest, ConcurrentWritesAreGroupCommitted) {
  constexpr int kWrites = 2000;
  std::atomic<int> done{0}, ok{0};
  std::promise<void> all;
  for (int i = 0; i < kWrites; ++i) {
    store_->write(
        [i](Tx& tx) -> Status {
          repo::kv_set(tx, "k" + std::to_string(i), "v");
          return {};
        },
        [&](Status s) {
          if (s.ok()) ok++;
          if (++done == kWrites) all.set_value();
        });
  }
  all.get_future().get();
  EXPECT_EQ(ok.load(), kWrites);
  auto stats = store_->stats();
  EXPECT_GE(stats.writes, static_cast<uint64_t>(kWrites));
  // Writes queued faster than one commit share transactions.
  EXPECT_LT(stats.batches, static_cast<uint64_t>(kWrites));
  int64_t n = 0;
  store::read_sync(*store_, [&](Tx& tx) { n = tx.query_one(kCountKv, {})->i64(0); });
  EXPECT_EQ(n, kWrites);
}

TEST_F(StoreTest, FailedWriteRollsBackOnlyItself) {
  std::promise<void> p1, p2, p3;
  Status s1, s2, s3;
  store_->write([](Tx& tx) -> Status { repo::kv_set(tx, "a", "1"); return {}; },
                [&](Status s) { s1 = s; p1.set_value(); });
  store_->write(
      [](Tx& tx) -> Status {
        repo::kv_set(tx, "b", "1");
        return Error::conflict("nope", "refused");
      },
      [&](Status s) { s2 = s; p2.set_value(); });
  store_->write(
      [](Tx& tx) -> Status {
        repo::create_tenant(tx, "ten_A", "dup", 1);  // unique violation -> DbError
        return {};
      },
      [&](Status s) { s3 = s; p3.set_value(); });
  p1.get_future().get();
  p2.get_future().get();
  p3.get_future().get();
  EXPECT_TRUE(s1.ok());
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.error().code, "nope");
  ASSERT_FALSE(s3.ok());
  EXPECT_EQ(s3.error().errc, Errc::conflict);
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_EQ(repo::kv_get(tx, "a"), std::optional<std::string>("1"));
    EXPECT_FALSE(repo::kv_get(tx, "b").has_value());
  });
}

TEST_F(StoreTest, DataSurvivesReopenAndMigrationsAreIdempotent) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status { repo::kv_set(tx, "x", "y"); return {}; }).ok());
  store_->close();
  store_.reset();
  auto again = store::open_store(url_, {}, true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  store_ = std::move(again).value();
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(repo::kv_get(tx, "x").value_or(""), "y"); });
}

TEST_F(StoreTest, OpenWithoutMigrateRefusesAnEmptyDatabase) {
  auto s = store::open_store("sqlite://" + (dir_ / "empty.db").string(), {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_missing");
}

TEST_F(StoreTest, RepositoriesNeverCrossTenants) {
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_TRUE(repo::get_conversation(tx, "ten_A", "cnv_ten_A").has_value());
    EXPECT_FALSE(repo::get_conversation(tx, "ten_A", "cnv_ten_B").has_value());
    EXPECT_FALSE(repo::get_channel(tx, "ten_B", "ch_ten_A").has_value());
    auto page = repo::list_conversations(tx, "ten_A", {});
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, "cnv_ten_A");
    EXPECT_EQ(page.items[0].channel_type, "webchat");
  });
}

TEST_F(StoreTest, ConversationListPagesByPriorityThenActivity) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                for (int i = 0; i < 7; ++i) {
                  Conversation c;
                  c.id = "cnv_p" + std::to_string(i);
                  c.tenant_id = "ten_A";
                  c.channel_id = "ch_ten_A";
                  c.contact_id = "ct_ten_A";
                  c.priority = i % 2;
                  c.tags = {i % 3 == 0 ? "presale" : "other"};
                  c.last_message_at = 100 + i;
                  c.created_at = c.updated_at = 100;
                  repo::create_conversation(tx, c);
                }
                return {};
              }).ok());
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  store::read_sync(*store_, [&](Tx& tx) {
    do {
      repo::ConversationFilter f;
      f.limit = 3;
      f.cursor = cursor;
      auto page = repo::list_conversations(tx, "ten_A", f);
      for (auto& c : page.items) seen.push_back(c.id);
      cursor = page.next_cursor;
    } while (cursor);
  });
  std::vector<std::string> want = {"cnv_p5", "cnv_p3", "cnv_p1", "cnv_p6", "cnv_p4",
                                   "cnv_p2", "cnv_p0", "cnv_ten_A"};
  EXPECT_EQ(seen, want);
  store::read_sync(*store_, [&](Tx& tx) {
    repo::ConversationFilter f;
    f.tag = "presale";
    auto page = repo::list_conversations(tx, "ten_A", f);
    EXPECT_EQ(page.items.size(), 3u);  // p0, p3, p6
  });
}

TEST_F(StoreTest, JobLeaseExpiresAndCompletionIsFenced) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::Job j;
                j.id = "job_1";
                j.tenant_id = "ten_A";
                j.kind = "webhook";
                j.idempotency_key = "evt_1:we_1";
                j.payload_json = "{}";
                j.run_at = 1000;
                j.deadline_at = 100000;
                EXPECT_TRUE(repo::enqueue_job(tx, j, 1000));
                j.id = "job_dup";
                EXPECT_FALSE(repo::enqueue_job(tx, j, 1000));  // same idempotency key
                return {};
              }).ok());
  std::vector<repo::Job> first, second, none;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                first = repo::claim_jobs(tx, "node1", 1000, 500, 10);
                none = repo::claim_jobs(tx, "node2", 1200, 500, 10);  // leased
                second = repo::claim_jobs(tx, "node2", 1600, 500, 10);  // lease expired
                // node1 wakes up late: its completion must not apply.
                EXPECT_FALSE(repo::complete_job(tx, "job_1", "node1", 1, 1700));
                EXPECT_TRUE(repo::complete_job(tx, "job_1", "node2", 2, 1700));
                return {};
              }).ok());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(none.empty());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempts, 2);
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(repo::count_jobs(tx, "done"), 1); });
}

TEST_F(StoreTest, FailedJobRetriesThenDiesAfterDeadline) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::Job j{"job_2", "ten_A", "webhook", "k2", "{}", "queued", 0, 0, 5000, {}};
                repo::enqueue_job(tx, j, 0);
                auto c = repo::claim_jobs(tx, "n", 0, 100, 1);
                EXPECT_TRUE(repo::fail_job(tx, "job_2", "n", 1, "503", 2000, 10));
                c = repo::claim_jobs(tx, "n", 2000, 100, 1);
                EXPECT_EQ(c.size(), 1u);
                EXPECT_TRUE(repo::fail_job(tx, "job_2", "n", 2, "503", 9000, 2010));
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) {
    auto j = repo::get_job(tx, "ten_A", "webhook", "k2");
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->status, "dead");
    EXPECT_EQ(j->last_error.value_or(""), "503");
  });
}

TEST_F(StoreTest, DedupeKeysAreScopedPerTenant) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                std::string ref;
                EXPECT_TRUE(repo::insert_dedupe(tx, "ten_A", "ch", "wamid.1", "msg_1", 1));
                EXPECT_FALSE(repo::insert_dedupe(tx, "ten_A", "ch", "wamid.1", "msg_2", 1, &ref));
                EXPECT_EQ(ref, "msg_1");
                EXPECT_TRUE(repo::insert_dedupe(tx, "ten_B", "ch", "wamid.1", "msg_3", 1));
                return {};
              }).ok());
}

}  // namespace
}  // namespace bottega
