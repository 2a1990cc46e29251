// The Store's conformance suite: group commit, savepoint isolation, migrations, tenant scoping of
// the repositories, job leases and fencing. Every test runs against SQLite (a fresh file) and, when
// BOTTEGA_TEST_PG_URL names a PostgreSQL server (scripts/pg.sh starts one), against PostgreSQL (a
// fresh database per test); without it the PostgreSQL cases are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "bottega/store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/repo/repo.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace bottega {
namespace {

namespace fs = std::filesystem;
using store::Tx;

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (pg()) {
      const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
      if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
      admin_url_ = admin;
    } else {
      dir_ = fs::temp_directory_path() / ("bottega_store_test_" + std::to_string(::getpid()) + "_" +
                                          file_safe(::testing::UnitTest::GetInstance()->current_test_info()->name()));
      fs::remove_all(dir_);
      fs::create_directories(dir_);
    }
    url_ = fresh_url();
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    seed();
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    scratch_.clear();  // drops the PostgreSQL databases
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  bool pg() const { return GetParam() == "postgresql"; }

  // The URL of a new, empty database of the dialect under test.
  std::string fresh_url() {
    if (!pg()) return "sqlite://" + (dir_ / ("t" + std::to_string(scratch_count_++) + ".db")).string();
    scratch_.push_back(std::make_unique<store::ScratchDatabase>(
        admin_url_, store::ScratchDatabase::unique_name("bottega_store_test")));
    EXPECT_TRUE(scratch_.back()->status().ok()) << scratch_.back()->status().error().message;
    return scratch_.back()->url();
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
  std::string admin_url_;
  std::vector<std::unique_ptr<store::ScratchDatabase>> scratch_;
  int scratch_count_ = 0;
  std::string url_;
  std::unique_ptr<store::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

constexpr store::Stmt kCountKv{"test.count_kv", "SELECT COUNT(*) FROM kv"};

TEST_P(StoreTest, ConcurrentWritesAreGroupCommitted) {
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

TEST_P(StoreTest, FailedWriteRollsBackOnlyItself) {
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

// The writer runs a batch without savepoints first and, when an op fails, rolls back and runs the
// batch again with one savepoint per op. Hold the writer on a first write until the others are
// queued, so they share one batch: the failed ops leave nothing, the others commit once.
TEST_P(StoreTest, AFailedWriteInABatchRollsBackOnlyItself) {
  std::promise<void> release, first_running;
  auto gate = release.get_future().share();
  std::promise<void> p0;
  std::atomic<bool> signalled{false};
  store_->write(
      [&, gate](Tx& tx) -> Status {
        if (!signalled.exchange(true)) first_running.set_value();
        gate.wait();
        repo::kv_set(tx, "gate", "1");
        return {};
      },
      [&](Status) { p0.set_value(); });
  first_running.get_future().get();
  constexpr int kOps = 6;
  std::vector<std::promise<Status>> done(kOps);
  std::atomic<int> runs{0};
  for (int i = 0; i < kOps; ++i) {
    store_->write(
        [i, &runs](Tx& tx) -> Status {
          runs++;
          repo::kv_set(tx, "k" + std::to_string(i), "v");
          if (i == 2) return Error::conflict("nope", "refused after a write");
          if (i == 4) repo::create_tenant(tx, "ten_A", "dup", 1);  // unique violation -> DbError
          return {};
        },
        [&done, i](Status s) { done[i].set_value(s); });
  }
  release.set_value();
  p0.get_future().get();
  for (int i = 0; i < kOps; ++i) {
    Status s = done[i].get_future().get();
    EXPECT_EQ(s.ok(), i != 2 && i != 4) << i;
  }
  EXPECT_GE(runs.load(), kOps);
  store::read_sync(*store_, [&](Tx& tx) {
    for (int i = 0; i < kOps; ++i)
      EXPECT_EQ(repo::kv_get(tx, "k" + std::to_string(i)).has_value(), i != 2 && i != 4) << i;
  });
  // The writer goes back to batches without savepoints and still commits them.
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::kv_set(tx, "after", "1");
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_TRUE(repo::kv_get(tx, "after").has_value()); });
}

// Store::write's run-twice rule, end to end: SQLite runs a batch without savepoints, and when an op
// fails rolls everything back and runs the batch again op by op, so an fn may run twice. Each fn
// here generates ids inside (different on each run), inserts events, captures their seqs the way
// callers capture outputs (starting over on each run) and registers an after_commit hook. After the
// batch, every committed fn's captured outputs must be those of its last run and match the rows on
// disk, nothing of an earlier run may remain, each committed fn's hook runs exactly once and a failed
// fn's never. PostgreSQL runs each fn once in its own savepoint and must give the same results.
TEST_P(StoreTest, ARerunBatchLeavesOutputsAndHooksAsIfEachWriteRanOnce) {
  static constexpr store::Stmt kSeqOf{"test.event_seq", "SELECT seq FROM events WHERE id = $1"};
  static constexpr store::Stmt kCountLike{"test.count_events_like",
                                          "SELECT COUNT(*) FROM events WHERE id LIKE $1"};
  std::promise<void> release, first_running;
  auto gate = release.get_future().share();
  std::promise<void> p0;
  std::atomic<bool> signalled{false};
  store_->write(
      [&, gate](Tx& tx) -> Status {
        if (!signalled.exchange(true)) first_running.set_value();
        gate.wait();
        repo::kv_set(tx, "gate", "1");
        return {};
      },
      [&](Status) { p0.set_value(); });
  first_running.get_future().get();

  constexpr int kOps = 8, kFailReturn = 3, kFailDb = 6;
  struct Out {
    std::atomic<int> runs{0}, hooks{0};
    std::vector<std::pair<std::string, int64_t>> events;  // id, seq of the last run
    std::promise<Status> done;
  };
  std::vector<std::unique_ptr<Out>> outs;
  for (int i = 0; i < kOps; ++i) outs.push_back(std::make_unique<Out>());
  for (int i = 0; i < kOps; ++i) {
    Out* o = outs[i].get();
    store_->write(
        [i, o](Tx& tx) -> Status {
          int run = ++o->runs;
          o->events.clear();
          for (int k = 0; k < 2; ++k) {
            Event e;
            e.id = "evt_rerun_" + std::to_string(i) + "_" + std::to_string(k) + "_run" + std::to_string(run);
            e.tenant_id = "ten_A";
            e.type = "message.created";
            e.payload_json = "{}";
            e.created_at_ms = 1;
            repo::append_event(tx, e);
            o->events.emplace_back(e.id, e.seq);
          }
          tx.after_commit([o] { o->hooks++; });
          if (i == kFailReturn) return Error::conflict("nope", "refused after writing");
          if (i == kFailDb) repo::create_tenant(tx, "ten_A", "dup", 1);  // unique violation -> DbError
          return {};
        },
        [o](Status s) { o->done.set_value(std::move(s)); });
  }
  release.set_value();
  p0.get_future().get();
  std::vector<Status> results;
  for (auto& o : outs) results.push_back(o->done.get_future().get());
  // Hooks run after the batch's done callbacks; the next write's done comes after them.
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::kv_set(tx, "after", "1");
                return {};
              }).ok());

  if (!pg()) {
    // The first pass ran ops 0..kFailReturn, then the batch ran again: those ran twice.
    EXPECT_EQ(outs[0]->runs.load(), 2);
    EXPECT_EQ(outs[kFailReturn]->runs.load(), 2);
    EXPECT_EQ(outs[kOps - 1]->runs.load(), 1);
  } else {
    for (auto& o : outs) EXPECT_EQ(o->runs.load(), 1);
  }
  std::set<int64_t> seqs;
  for (int i = 0; i < kOps; ++i) {
    const Out& o = *outs[i];
    bool ok = i != kFailReturn && i != kFailDb;
    EXPECT_EQ(results[i].ok(), ok) << i;
    EXPECT_EQ(o.hooks.load(), ok ? 1 : 0) << i;
    ASSERT_EQ(o.events.size(), 2u) << i;
    store::read_sync(*store_, [&](Tx& tx) {
      // Only the last run's rows exist, and they are what the fn captured.
      int64_t n = tx.query_one(kCountLike, {"evt_rerun_" + std::to_string(i) + "_%"})->i64(0);
      EXPECT_EQ(n, ok ? 2 : 0) << i;
      for (const auto& [id, seq] : o.events) {
        auto row = tx.query_one(kSeqOf, {id});
        EXPECT_EQ(row.has_value(), ok) << id;
        if (row) {
          EXPECT_EQ(row->i64(0), seq) << id;
          seqs.insert(seq);
        }
      }
    });
  }
  EXPECT_EQ(seqs.size(), 2u * (kOps - 2));
}

// INSERT ... RETURNING seq answers the new row's seq (SQLite answers it from the rowid).
TEST_P(StoreTest, InsertReturningSeqAnswersTheNewRowsSeq) {
  static constexpr store::Stmt kSeqOf{"test.event_seq", "SELECT seq FROM events WHERE id = $1"};
  int64_t prev = 0;
  for (int i = 0; i < 3; ++i) {
    Event e;
    e.id = "evt_" + std::to_string(i);
    e.tenant_id = "ten_A";
    e.type = "message.created";
    e.payload_json = "{}";
    e.created_at_ms = 1;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::append_event(tx, e);
                  return {};
                }).ok());
    EXPECT_GT(e.seq, prev);
    prev = e.seq;
    store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(tx.query_one(kSeqOf, {e.id})->i64(0), e.seq); });
  }
}

// A visitor's replay: its contact's events after a cursor, in seq order, up to the limit, and
// nobody else's. On SQLite, contact_events holds the events up to a chunk's end and the rest come
// from the events table: cursors and limits on both sides of that boundary, and across it, answer
// the same as an index over every event would (PostgreSQL's events_contact index).
TEST_P(StoreTest, AContactsEventsAfterACursorAreEveryOneInOrderAcrossTheIndexedChunksEnd) {
  std::vector<int64_t> mine;  // ct_ten_A's events on ten_A, in seq order
  auto append = [&](int n) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  for (int i = 0; i < n; ++i) {
                    int k = static_cast<int>(mine.size()) * 10 + i;
                    Event e;
                    e.id = "evt_" + std::to_string(k);
                    e.type = "message.created";
                    e.payload_json = "{}";
                    e.created_at_ms = k;
                    // Every third event is ct_ten_A's on ten_A; the others another contact's, or
                    // the same contact id's on ten_B.
                    e.tenant_id = i % 3 == 2 ? "ten_B" : "ten_A";
                    e.contact_id = i % 3 == 0 ? "ct_ten_A" : i % 3 == 1 ? "ct_other" : "ct_ten_A";
                    repo::append_event(tx, e);
                    if (i % 3 == 0) mine.push_back(e.seq);
                  }
                  return {};
                }).ok());
  };
  append(9);  // 3 of ct_ten_A's
  if (!pg()) {
    ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                  store::index_contact_events(tx);  // the chunk ends here
                  return {};
                }).ok());
  }
  append(12);  // 4 more, after the chunk's end
  ASSERT_EQ(mine.size(), 7u);
  auto after = [&](int64_t cursor, int64_t limit) {
    std::vector<int64_t> seqs;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : repo::contact_events_after(tx, "ten_A", "ct_ten_A", cursor, limit)) {
        EXPECT_EQ(e.tenant_id, "ten_A");
        EXPECT_EQ(e.contact_id, "ct_ten_A");
        EXPECT_EQ(e.type, "message.created");
        seqs.push_back(e.seq);
      }
    });
    return seqs;
  };
  auto want = [&](size_t from, size_t n) {
    return std::vector<int64_t>(mine.begin() + static_cast<long>(from),
                                mine.begin() + static_cast<long>(std::min(mine.size(), from + n)));
  };
  EXPECT_EQ(after(0, 100), want(0, 7));
  EXPECT_EQ(after(0, 2), want(0, 2));           // inside the chunk
  EXPECT_EQ(after(mine[1], 3), want(2, 3));     // across its end
  EXPECT_EQ(after(mine[2], 100), want(3, 4));   // after it
  EXPECT_EQ(after(mine[4], 1), want(5, 1));
  EXPECT_EQ(after(mine[6], 100), want(7, 0));
  // The same contact id on another tenant is another contact: its own 7 events, none of ten_A's.
  store::read_sync(*store_, [&](Tx& tx) {
    auto theirs = repo::contact_events_after(tx, "ten_B", "ct_ten_A", 0, 100);
    EXPECT_EQ(theirs.size(), 7u);
    for (const auto& e : theirs) EXPECT_EQ(e.tenant_id, "ten_B");
  });
}

// SQLite fills contact_events by itself at the end of a write batch once 2048 events have
// gathered since the last fill (the first batch fills at once: the 2 s since the store's start,
// as it counts, have passed); the replay answers the same before and after.
TEST_P(StoreTest, TheSqliteStoreFillsContactEventsInChunksByItself) {
  if (pg()) GTEST_SKIP() << "PostgreSQL keeps the events_contact index";
  static constexpr store::Stmt kState{"test.contact_events_state",
                                      "SELECT indexed_seq FROM contact_events_state WHERE id = 1"};
  static constexpr store::Stmt kRows{"test.contact_events_rows", "SELECT COUNT(*) FROM contact_events"};
  auto state = [&] {
    std::pair<int64_t, int64_t> out;
    store::read_sync(*store_, [&](Tx& tx) {
      out = {tx.query_one(kState, {})->i64(0), tx.query_one(kRows, {})->i64(0)};
    });
    return out;
  };
  auto before = state();
  int64_t last = 0;
  for (int b = 0; b < 23; ++b)
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  for (int i = 0; i < 100; ++i) {
                    Event e;
                    e.id = "evt_" + std::to_string(b) + "_" + std::to_string(i);
                    e.tenant_id = "ten_A";
                    e.contact_id = i % 2 ? "ct_ten_A" : "";  // events without a contact are not indexed
                    e.type = "message.created";
                    e.payload_json = "{}";
                    e.created_at_ms = 1;
                    repo::append_event(tx, e);
                    last = e.seq;
                  }
                  return {};
                }).ok());
  auto after = state();
  EXPECT_GE(after.first, before.first + 2048);
  EXPECT_LE(after.first, last);
  EXPECT_GE(after.second, before.second + 1024);
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_EQ(repo::contact_events_after(tx, "ten_A", "ct_ten_A", 0, 5000).size(), 1150u);
  });
}

TEST_P(StoreTest, DataSurvivesReopenAndMigrationsAreIdempotent) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status { repo::kv_set(tx, "x", "y"); return {}; }).ok());
  store_->close();
  store_.reset();
  auto again = store::open_store(url_, {}, true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  store_ = std::move(again).value();
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(repo::kv_get(tx, "x").value_or(""), "y"); });
}

TEST_P(StoreTest, OpenWithoutMigrateRefusesAnEmptyDatabase) {
  auto s = store::open_store(fresh_url(), {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_missing");
}

TEST_P(StoreTest, RepositoriesNeverCrossTenants) {
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

TEST_P(StoreTest, ConversationListPagesByPriorityThenActivity) {
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

TEST_P(StoreTest, JobLeaseExpiresAndCompletionIsFenced) {
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

TEST_P(StoreTest, FailedJobRetriesThenDiesAfterDeadline) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::Job j{"job_2", "ten_A", "webhook", "k2", "{}", "queued", 0, 0, 5000, {}, {}};
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

// A conversation's sends leave in order: a job with an order key is not claimed while an earlier
// job with the same key is queued (even deferred to later) or running; other keys and unkeyed
// jobs are not held back, and a dead predecessor releases the next one.
TEST_P(StoreTest, JobsWithAnOrderKeyAreClaimedOneAtATimeInOrder) {
  auto job = [](std::string id, std::string key) {
    repo::Job j{id, "ten_A", "channel.send", id, "{}", "queued", 0, 0, 100000, {}, {}};
    j.order_key = std::move(key);
    return j;
  };
  auto ids = [](const std::vector<repo::Job>& js) {
    std::vector<std::string> out;
    for (const auto& j : js) out.push_back(j.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<repo::Job> c1, c2, c3, c4, c5;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                for (auto j : {job("j1", "conversation:1"), job("j2", "conversation:1"), job("j3", "conversation:2"),
                               job("j4", ""), job("j5", "conversation:1")})
                  EXPECT_TRUE(repo::enqueue_job(tx, j, 0));
                c1 = repo::claim_jobs(tx, "n", 10, 1000, 10);
                // j1 goes back to the queue for later (a retry): j2 must still wait behind it.
                EXPECT_TRUE(repo::fail_job(tx, "j1", "n", 1, "503", 500, 20));
                EXPECT_TRUE(repo::complete_job(tx, "j3", "n", 1, 20));
                c2 = repo::claim_jobs(tx, "n", 30, 1000, 10);
                c3 = repo::claim_jobs(tx, "n", 500, 1000, 10);  // j1 is due again
                EXPECT_TRUE(repo::complete_job(tx, "j1", "n", 2, 510));
                c4 = repo::claim_jobs(tx, "n", 520, 1000, 10);
                // j2 gives up (past its deadline): j5 is released.
                EXPECT_TRUE(repo::fail_job(tx, "j2", "n", 1, "gone", 200000, 530));
                c5 = repo::claim_jobs(tx, "n", 540, 1000, 10);
                return {};
              }).ok());
  EXPECT_EQ(ids(c1), (std::vector<std::string>{"j1", "j3", "j4"}));
  EXPECT_TRUE(c2.empty()) << "j2 and j5 wait behind the retried j1";
  EXPECT_EQ(ids(c3), (std::vector<std::string>{"j1"}));
  EXPECT_EQ(ids(c4), (std::vector<std::string>{"j2"}));
  EXPECT_EQ(ids(c5), (std::vector<std::string>{"j5"}));
}

TEST_P(StoreTest, HousekeepingDropsOldCompletedJobsOnly) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::Job done{"job_d", "ten_A", "webhook", "kd", "{}", "queued", 0, 0, 5000, {}, {}};
                repo::Job dead{"job_x", "ten_A", "webhook", "kx", "{}", "queued", 0, 0, 5000, {}, {}};
                repo::enqueue_job(tx, done, 0);
                repo::enqueue_job(tx, dead, 0);
                auto c = repo::claim_jobs(tx, "n", 0, 100, 2);
                EXPECT_EQ(c.size(), 2u);
                EXPECT_TRUE(repo::complete_job(tx, "job_d", "n", 1, 100));
                EXPECT_TRUE(repo::fail_job(tx, "job_x", "n", 1, "gone", 9000, 100));
                EXPECT_EQ(repo::purge_done_jobs(tx, 50), 0);   // not old enough
                EXPECT_EQ(repo::purge_done_jobs(tx, 200), 1);  // the completed one only
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_FALSE(repo::get_job(tx, "ten_A", "webhook", "kd").has_value());
    ASSERT_TRUE(repo::get_job(tx, "ten_A", "webhook", "kx").has_value());
  });
}

TEST_P(StoreTest, DedupeKeysAreScopedPerTenant) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                std::string ref;
                EXPECT_TRUE(repo::insert_dedupe(tx, "ten_A", "ch", "wamid.1", "msg_1", 1));
                EXPECT_FALSE(repo::insert_dedupe(tx, "ten_A", "ch", "wamid.1", "msg_2", 1, &ref));
                EXPECT_EQ(ref, "msg_1");
                EXPECT_TRUE(repo::insert_dedupe(tx, "ten_B", "ch", "wamid.1", "msg_3", 1));
                return {};
              }).ok());
}


// Every repository statement runs on the dialect under test (each is prepared on PostgreSQL the
// first time it runs, so a statement the server rejects fails here), with the same answers.
TEST_P(StoreTest, EveryRepositoryFunctionRuns) {
  Agent agent{"agt_1", "ten_A", "ann@example.com", "Ann", Role::admin};
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_agent(tx, agent, "hash1", 10);
                repo::create_agent(tx, {"agt_2", "ten_A", "bob@example.com", "Bob", Role::agent}, "h", 10);
                repo::set_agent_password(tx, "ten_A", "agt_1", "hash2", 11);
                repo::create_session(tx, "sess_hash", "ten_A", "agt_1", "csrf", 10, 1000);
                repo::create_session(tx, "sess_gone", "ten_A", "agt_2", "csrf", 10, 1000);
                repo::delete_session(tx, "sess_gone");
                repo::create_api_token(tx, "tok_1", "ten_A", "tok_hash", "ci", Role::agent, 10);
                repo::create_visitor(tx, "vis_hash", {"vis_1", "ten_A", "ch_ten_A", "ct_ten_A"}, 10);
                repo::create_identity(tx, "ten_A", "ch_ten_A", "+15550001", "ct_ten_A", 10);
                repo::create_contact(tx, "ten_A", "ct_2", "Bea", std::string("bea@example.com"), 10);

                auto conv = repo::get_conversation(tx, "ten_A", "cnv_ten_A");
                EXPECT_TRUE(conv.has_value());
                conv->status = ConversationStatus::pending;
                conv->priority = 3;
                conv->assignee_id = "agt_1";
                conv->tags = {"a", "b"};
                conv->first_response_at = 20;
                conv->last_message_at = 20;
                conv->last_message_text = "hi";
                conv->last_message_direction = "out";
                conv->last_message_author = "agent";
                conv->updated_at = 20;
                conv->subject = "Order";
                repo::update_conversation(tx, *conv);
                for (int i = 0; i < 3; ++i) {
                  Message m;
                  m.id = "msg_" + std::to_string(i);
                  m.tenant_id = "ten_A";
                  m.conversation_id = "cnv_ten_A";
                  m.direction = i == 0 ? "in" : "out";
                  m.author_kind = i == 0 ? "contact" : "agent";
                  m.kind = i == 2 ? "note" : "text";
                  m.text = "t" + std::to_string(i);
                  m.created_at = 10 + i;
                  repo::insert_message(tx, m);
                  EXPECT_GT(m.seq, 0);
                }
                auto m1 = repo::get_message(tx, "ten_A", "msg_1");
                EXPECT_TRUE(m1.has_value());
                m1->delivery_state = "delivered";
                m1->provider_message_id = "wamid.1";
                repo::update_message_delivery(tx, *m1);

                for (int i = 0; i < 3; ++i) {
                  Event e;
                  e.id = "evt_" + std::to_string(i);
                  e.tenant_id = i == 2 ? "ten_B" : "ten_A";
                  e.type = "message.created";
                  e.conversation_id = i == 0 ? "cnv_ten_A" : "";
                  e.contact_id = i == 0 ? "ct_ten_A" : "";
                  e.internal = i == 1;
                  e.payload_json = "{}";
                  e.created_at_ms = 30;
                  repo::append_event(tx, e);
                }
                repo::insert_idempotency(tx, "ten_A", "idem_1", {"rh", 201, "{\"ok\":true}"}, 10);
                repo::create_endpoint(tx, {"we_1", "ten_A", "https://x.example/h", {"message.created"}, "s", 10});
                for (int i = 0; i < 2; ++i) {
                  repo::WebhookDelivery d;
                  d.id = "wd_" + std::to_string(i);
                  d.tenant_id = "ten_A";
                  d.endpoint_id = "we_1";
                  d.event_id = "evt_0";
                  d.event_type = "message.created";
                  d.attempt = i + 1;
                  if (i == 1) d.status_code = 200;
                  else d.error = "timeout";
                  d.duration_ms = 5;
                  d.created_at = 40;
                  repo::insert_delivery(tx, d);
                }
                EXPECT_TRUE(repo::insert_dedupe(tx, "ten_A", "s", "old", "r", 1));
                EXPECT_EQ(repo::purge_dedupe(tx, 5), 1);
                EXPECT_EQ(repo::purge_idempotency(tx, 5), 0);
                return {};
              }).ok());

  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_TRUE(repo::tenant_exists(tx, "ten_A"));
    EXPECT_FALSE(repo::tenant_exists(tx, "ten_C"));
    auto a = repo::find_agent_by_email(tx, "ann@example.com");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->password_hash, "hash2");
    EXPECT_EQ(a->agent.role, Role::admin);
    EXPECT_TRUE(repo::get_agent(tx, "ten_A", "agt_1").has_value());
    EXPECT_FALSE(repo::get_agent(tx, "ten_B", "agt_1").has_value());
    auto agents = repo::list_agents(tx, "ten_A");
    ASSERT_EQ(agents.size(), 2u);
    EXPECT_EQ(agents[0].email, "ann@example.com");

    auto p = repo::find_session(tx, "sess_hash", 500);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->agent_id, "agt_1");
    EXPECT_EQ(p->role, Role::admin);
    EXPECT_FALSE(repo::find_session(tx, "sess_hash", 1000).has_value());  // expired
    EXPECT_FALSE(repo::find_session(tx, "sess_gone", 500).has_value());
    auto t = repo::find_api_token(tx, "tok_hash");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->tenant_id, "ten_A");
    EXPECT_EQ(t->role, Role::agent);

    auto ch = repo::find_channel(tx, "ch_ten_B");
    ASSERT_TRUE(ch.has_value());
    EXPECT_EQ(ch->tenant_id, "ten_B");
    EXPECT_EQ(repo::list_channels(tx, "ten_A").size(), 1u);
    auto v = repo::find_visitor(tx, "vis_hash");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->contact_id, "ct_ten_A");
    EXPECT_EQ(repo::find_identity(tx, "ten_A", "ch_ten_A", "+15550001").value_or(""), "ct_ten_A");
    EXPECT_FALSE(repo::find_identity(tx, "ten_B", "ch_ten_A", "+15550001").has_value());
    EXPECT_EQ(repo::external_id_of(tx, "ten_A", "ch_ten_A", "ct_ten_A").value_or(""), "+15550001");

    auto c = repo::get_conversation(tx, "ten_A", "cnv_ten_A");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->status, ConversationStatus::pending);
    EXPECT_EQ(c->priority, 3);
    EXPECT_EQ(c->assignee_id.value_or(""), "agt_1");
    EXPECT_EQ(c->tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(c->first_response_at.value_or(0), 20);
    EXPECT_EQ(c->subject.value_or(""), "Order");
    EXPECT_EQ(c->contact_name, "Ann");
    auto active = repo::find_active_conversation(tx, "ten_A", "ct_ten_A", "ch_ten_A");
    ASSERT_TRUE(active.has_value());
    EXPECT_EQ(active->id, "cnv_ten_A");
    repo::ConversationFilter f;
    f.status = "pending";
    f.assignee_id = "agt_1";
    f.channel_id = "ch_ten_A";
    EXPECT_EQ(repo::list_conversations(tx, "ten_A", f).items.size(), 1u);
    f.status = "open";
    EXPECT_EQ(repo::list_conversations(tx, "ten_A", f).items.size(), 0u);

    auto all = repo::list_messages(tx, "ten_A", "cnv_ten_A", std::nullopt, 2, true);
    ASSERT_EQ(all.items.size(), 2u);
    ASSERT_TRUE(all.next_cursor.has_value());
    auto rest = repo::list_messages(tx, "ten_A", "cnv_ten_A", all.next_cursor, 2, true);
    ASSERT_EQ(rest.items.size(), 1u);
    EXPECT_EQ(rest.items[0].kind, "note");
    EXPECT_EQ(repo::list_messages(tx, "ten_A", "cnv_ten_A", std::nullopt, 10, false).items.size(), 2u);
    EXPECT_EQ(repo::list_contact_messages(tx, "ten_A", "ct_ten_A", std::nullopt, 10).items.size(), 2u);
    auto byp = repo::find_message_by_provider_id(tx, "ten_A", "wamid.1");
    ASSERT_TRUE(byp.has_value());
    EXPECT_EQ(byp->id, "msg_1");
    EXPECT_EQ(byp->delivery_state, "delivered");
    EXPECT_FALSE(byp->delivery_error.has_value());
    EXPECT_EQ(repo::outbound_messages_before(tx, "ten_A", "cnv_ten_A", 11).size(), 1u);
    EXPECT_EQ(repo::count_messages(tx, "ten_A", "cnv_ten_A"), 3);

    auto evs = repo::events_after(tx, 0, 10);
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[0].conversation_id, "cnv_ten_A");
    EXPECT_TRUE(evs[1].internal);
    EXPECT_EQ(evs[1].contact_id, "");  // NULL reads back as empty
    EXPECT_EQ(repo::max_event_seq(tx), evs[2].seq);
    EXPECT_EQ(repo::tenant_events_after(tx, "ten_A", 0, 10).size(), 2u);
    EXPECT_EQ(repo::tenant_events_after(tx, "ten_A", evs[0].seq, 10).size(), 1u);
    EXPECT_EQ(repo::contact_events_after(tx, "ten_A", "ct_ten_A", 0, 10).size(), 1u);
    EXPECT_TRUE(repo::get_event(tx, "ten_A", "evt_1").has_value());
    EXPECT_FALSE(repo::get_event(tx, "ten_A", "evt_2").has_value());

    auto idem = repo::find_idempotency(tx, "ten_A", "idem_1");
    ASSERT_TRUE(idem.has_value());
    EXPECT_EQ(idem->status, 201);
    EXPECT_EQ(idem->body, "{\"ok\":true}");
    EXPECT_FALSE(repo::find_idempotency(tx, "ten_B", "idem_1").has_value());

    auto eps = repo::list_endpoints(tx, "ten_A");
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].events, (std::vector<std::string>{"message.created"}));
    EXPECT_TRUE(repo::get_endpoint(tx, "ten_A", "we_1").has_value());
    EXPECT_FALSE(repo::get_endpoint(tx, "ten_B", "we_1").has_value());
    auto log = repo::list_deliveries(tx, "ten_A", "we_1", 0, 10);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_FALSE(log[0].status_code.has_value());
    EXPECT_EQ(log[0].error.value_or(""), "timeout");
    EXPECT_EQ(log[1].status_code.value_or(0), 200);
    EXPECT_EQ(repo::list_deliveries(tx, "ten_A", "we_1", log[0].seq, 10).size(), 1u);
  });
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::delete_agent_sessions(tx, "ten_A", "agt_1");
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_FALSE(repo::find_session(tx, "sess_hash", 500).has_value()); });
  // A taken email is a conflict on both stores.
  auto dup = store::write_sync(*store_, [&](Tx& tx) -> Status {
    repo::create_agent(tx, {"agt_3", "ten_B", "ann@example.com", "Ann B", Role::agent}, "h", 10);
    return {};
  });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().errc, Errc::conflict);
}

constexpr store::Stmt kEcho{
    "test.echo",
    "SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS TEXT), CAST($4 AS TEXT), "
    "CAST($5 AS TEXT), COUNT(*) FROM kv"};

TEST_P(StoreTest, ValuesKeepTheirTypesBothWays) {
  std::string text = "h\xc3\xa9llo 'quoted' \"x\" \\ $1 %_";
  store::read_sync(*store_, [&](Tx& tx) {
    auto r = tx.query_one(kEcho, {INT64_MAX, INT64_MIN, text, nullptr, std::string()});
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->cols.size(), 6u);
    EXPECT_EQ(std::get<int64_t>(r->cols[0]), INT64_MAX);
    EXPECT_EQ(std::get<int64_t>(r->cols[1]), INT64_MIN);
    EXPECT_EQ(std::get<std::string>(r->cols[2]), text);
    EXPECT_TRUE(r->is_null(3));
    EXPECT_EQ(std::get<std::string>(r->cols[4]), "");  // empty text is not NULL
    EXPECT_EQ(std::get<int64_t>(r->cols[5]), 0);
  });
}

constexpr store::Stmt kNamesInOrder{
    "test.names_in_order", "SELECT name FROM contacts WHERE tenant_id = $1 AND id LIKE 'p%' ORDER BY name, id"};

TEST_P(StoreTest, TextOrdersByBytesAndMatchesIgnoringAsciiCaseOnly) {
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                std::vector<std::string> names = {"apple", "Zebra", "Blue Shirt", "\xc3\x89" "charpe"};
                for (size_t i = 0; i < names.size(); ++i)
                  repo::create_contact(tx, "ten_A", "p" + std::to_string(i), names[i], std::nullopt, 1);
                Conversation c;
                c.id = "cnv_vip";
                c.tenant_id = "ten_A";
                c.channel_id = "ch_ten_A";
                c.contact_id = "ct_ten_A";
                c.tags = {"VIP"};
                c.last_message_at = c.created_at = c.updated_at = 2;
                repo::create_conversation(tx, c);
                return {};
              }).ok());
  store::read_sync(*store_, [&](Tx& tx) {
    std::vector<std::string> all;
    for (auto& r : tx.query(kNamesInOrder, {"ten_A"})) all.push_back(r.str(0));
    // Byte order (SQLite's BINARY collation, PostgreSQL's "C"), whatever the server's locale.
    std::vector<std::string> want = {"Blue Shirt", "Zebra", "apple", "\xc3\x89" "charpe"};
    EXPECT_EQ(all, want);
    repo::ConversationFilter f;
    f.tag = "vip";
    auto page = repo::list_conversations(tx, "ten_A", f);
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, "cnv_vip");
  });
}

TEST_P(StoreTest, TwoNodesClaimEachJobOnce) {
  constexpr int kJobs = 120;
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                for (int i = 0; i < kJobs; ++i) {
                  repo::Job j{"job_" + std::to_string(i), "ten_A", "webhook", "k" + std::to_string(i),
                              "{}", "queued", 0, 1000, 100000, {}, {}};
                  repo::enqueue_job(tx, j, 1000);
                }
                return {};
              }).ok());
  auto other = store::open_store(url_, {}, false);  // a second node on the same database
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto claim_all = [](store::Store& s, std::string owner) {
    std::vector<std::string> ids;
    for (;;) {
      std::vector<repo::Job> got;
      auto st = store::write_sync(s, [&](Tx& tx) -> Status {
        got = repo::claim_jobs(tx, owner, 2000, 60000, 3);
        return {};
      });
      if (!st.ok()) continue;  // busy: try again
      if (got.empty()) return ids;
      for (auto& j : got) ids.push_back(j.id);
    }
  };
  auto a = std::async(std::launch::async, claim_all, std::ref(*store_), "node1");
  auto b = std::async(std::launch::async, claim_all, std::ref(*other.value()), "node2");
  auto ids = a.get();
  auto ids_b = b.get();
  ids.insert(ids.end(), ids_b.begin(), ids_b.end());
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(unique.size(), static_cast<size_t>(kJobs));
  other.value()->close();
}

TEST_P(StoreTest, NodesStartingTogetherMigrateOnce) {
  if (!pg()) GTEST_SKIP() << "one SQLite file serves one node";
  std::string url = fresh_url();
  std::vector<std::future<Result<std::unique_ptr<store::Store>>>> opens;
  for (int i = 0; i < 4; ++i)
    opens.push_back(std::async(std::launch::async, [url] { return store::open_store(url, {}, true); }));
  for (auto& f : opens) {
    auto s = f.get();
    ASSERT_TRUE(s.ok()) << s.error().message;
    s.value()->close();
  }
}

constexpr store::Stmt kKillSelf{"test.kill_self", "SELECT pg_terminate_backend(pg_backend_pid())"};
constexpr store::Stmt kKillOthers{
    "test.kill_others",
    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"};

TEST_P(StoreTest, ALostConnectionFailsItsBatchAndTheStoreReconnects) {
  if (!pg()) GTEST_SKIP() << "SQLite has no connection to lose";
  auto st = store::write_sync(*store_, [](Tx& tx) -> Status {
    tx.query(kKillSelf, {});
    return {};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errc, Errc::unavailable);
  // The next batch gets a new connection.
  ASSERT_TRUE(store::write_sync(*store_, [](Tx& tx) -> Status {
                repo::kv_set(tx, "after", "reconnect");
                return {};
              }).ok());
  // Readers whose connections died while idle reconnect before their next read.
  int64_t killed = 0;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                killed = tx.query_one(kKillOthers, {})->i64(0);
                return {};
              }).ok());
  EXPECT_GE(killed, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 4; ++i)
    store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(repo::kv_get(tx, "after").value_or(""), "reconnect"); });
}

constexpr store::Stmt kSqliteColumns{
    "test.sqlite_columns",
    "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '%\\_fts%' ESCAPE '\\'"};
constexpr store::Stmt kSqliteIndexes{
    "test.sqlite_indexes",
    "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE '%\\_fts%' ESCAPE '\\'"};
constexpr store::Stmt kPgColumns{
    "test.pg_columns",
    "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT) "
    "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE '%\\_fts%' ESCAPE '\\'"};
constexpr store::Stmt kPgIndexes{
    "test.pg_indexes",
    "SELECT CAST(i.indexname AS TEXT) FROM pg_indexes i WHERE i.schemaname = current_schema() "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
    "AND i.tablename NOT LIKE '%\\_fts%' ESCAPE '\\' AND i.indexname NOT LIKE '%\\_fts%' ESCAPE '\\'"};

// The PostgreSQL migrations mirror SQLite's: same tables, columns and indexes; INTEGER is BIGINT.
// Full-text search tables and indexes (`*_fts*`: an FTS5 virtual table and its shadow tables on
// SQLite, a tsvector table or an expression index under GIN on PostgreSQL) differ by nature and
// are left out, and so does what serves a visitor's replay (realtime migration 80: SQLite's
// contact_events tables filled in chunks, PostgreSQL's events_contact index).
TEST(StoreSchema, PostgresMirrorsSqlite) {
  const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
  if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set";
  fs::path dir = fs::temp_directory_path() / ("bottega_schema_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  store::ScratchDatabase db(admin, store::ScratchDatabase::unique_name("bottega_schema"));
  ASSERT_TRUE(db.status().ok()) << db.status().error().message;
  auto lite = store::open_store("sqlite://" + (dir / "s.db").string(), {}, true);
  auto pg = store::open_store(db.url(), {}, true);
  ASSERT_TRUE(lite.ok() && pg.ok());
  using Cols = std::vector<std::vector<std::string>>;
  Cols lc, pc;
  std::vector<std::string> li, pi;
  store::read_sync(*lite.value(), [&](Tx& tx) {
    for (auto& r : tx.query(kSqliteColumns, {})) {
      std::string type = r.str(2) == "INTEGER" ? "bigint" : r.str(2) == "TEXT" ? "text" : r.str(2);
      lc.push_back({r.str(0), r.str(1), type});
    }
    for (auto& r : tx.query(kSqliteIndexes, {})) li.push_back(r.str(0));
  });
  store::read_sync(*pg.value(), [&](Tx& tx) {
    for (auto& r : tx.query(kPgColumns, {})) pc.push_back({r.str(0), r.str(1), r.str(2)});
    for (auto& r : tx.query(kPgIndexes, {})) pi.push_back(r.str(0));
  });
  std::erase_if(lc, [](const std::vector<std::string>& c) { return c[0].rfind("contact_events", 0) == 0; });
  std::erase(pi, "events_contact");
  for (auto* v : {&lc, &pc}) std::sort(v->begin(), v->end());
  for (auto* v : {&li, &pi}) std::sort(v->begin(), v->end());
  EXPECT_FALSE(lc.empty());
  EXPECT_EQ(lc, pc);
  EXPECT_EQ(li, pi);
  lite.value()->close();
  pg.value()->close();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bottega
