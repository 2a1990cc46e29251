// Several processes on one PostgreSQL database, simulated with several Store instances (each has
// its own connections, exactly as a node has): outbox seq order is commit order, change notices
// reach the other stores, local listeners see every event on every node while cluster listeners
// see each event once, a lease handover loses nothing, and the shared token bucket limits every
// node together. Needs BOTTEGA_TEST_PG_URL (scripts/pg.sh); the SQLite cases check that a SQLite
// dispatcher keeps its single-process behaviour.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/crypto.hpp"
#include "pipeline/dispatcher.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/rate_bucket.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {
namespace {

using store::Tx;
using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred p, int ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

struct Seen : EventListener {
  std::mutex mu;
  std::vector<int64_t> seqs;
  void on_event(const Event& e) override {
    std::lock_guard lk(mu);
    seqs.push_back(e.seq);
  }
  std::vector<int64_t> copy() {
    std::lock_guard lk(mu);
    return seqs;
  }
  size_t size() {
    std::lock_guard lk(mu);
    return seqs.size();
  }
};

Event make_event(const std::string& tag) {
  Event e;
  e.id = "evt_" + tag + "_" + crypto::hex(crypto::random_bytes(6));
  e.tenant_id = "ten_A";
  e.type = std::string(event_type::kMessageCreated);
  e.payload_json = "{}";
  e.created_at_ms = 1;
  return e;
}

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
    if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
    scratch_ = std::make_unique<store::ScratchDatabase>(admin, store::ScratchDatabase::unique_name("bottega_multinode"));
    ASSERT_TRUE(scratch_->status().ok()) << scratch_->status().error().message;
  }
  void TearDown() override {
    for (auto& s : stores_) s->close();
    stores_.clear();
    scratch_.reset();
  }
  store::Store& node(bool write_lock = true) {
    auto s = store::open_store(scratch_->url(), {}, true);
    if (s.ok() && !write_lock) {
      EXPECT_TRUE(store::disable_write_lock_for_tests(**s));
    }
    EXPECT_TRUE(s.ok()) << s.error().message;
    stores_.push_back(std::move(s).value());
    return *stores_.back();
  }
  std::vector<int64_t> all_seqs(store::Store& s) {
    std::vector<int64_t> out;
    store::read_sync(s, [&](Tx& tx) {
      for (auto& e : repo::events_after(tx, 0, 1'000'000)) out.push_back(e.seq);
    });
    return out;
  }

  Metrics metrics_;
  std::unique_ptr<store::ScratchDatabase> scratch_;
  std::vector<std::unique_ptr<store::Store>> stores_;
};

// Node A opens a write batch that appends an event and stays open until release(); then node B
// writes an event. b_done tells when B's write committed.
struct OpenBatchThenWrite {
  std::promise<void> release_p;
  std::shared_future<void> release_f = release_p.get_future().share();
  int64_t seq_a = 0, seq_b = 0;
  std::promise<Status> a_done_p, b_done_p;
  std::future<Status> b_done = b_done_p.get_future();

  OpenBatchThenWrite(store::Store& a, store::Store& b) {
    std::promise<void> inserted;
    a.write([&](Tx& tx) -> Status {
      Event e = make_event("a");
      repo::append_event(tx, e);
      seq_a = e.seq;
      inserted.set_value();
      release_f.wait();
      return {};
    }, [this](Status s) { a_done_p.set_value(s); });
    inserted.get_future().wait();
    b.write([this](Tx& tx) -> Status {
      Event e = make_event("b");
      repo::append_event(tx, e);
      seq_b = e.seq;
      return {};
    }, [this](Status s) { b_done_p.set_value(s); });
  }
  Status release() {  // lets A's batch commit; returns its status
    release_p.set_value();
    return a_done_p.get_future().get();
  }
};

// A write batch holds the write lock until it commits: another node's batch waits, so the
// waiting one's events get the higher seq and commit after.
TEST_F(MultiNodeTest, AnotherNodesWriteWaitsForTheOpenBatchSoSeqOrderIsCommitOrder) {
  auto& a = node();
  auto& b = node();
  OpenBatchThenWrite w(a, b);
  EXPECT_EQ(w.b_done.wait_for(400ms), std::future_status::timeout) << "node B committed while node A's batch was open";
  ASSERT_TRUE(w.release().ok());
  ASSERT_TRUE(w.b_done.get().ok());
  EXPECT_LT(w.seq_a, w.seq_b);
}

// The same two writes without the write lock (the test-only switch): B commits while A's batch is
// still open, so the test above would fail, and a reader that saw B's event and moved its cursor
// past it never sees A's event, committed later with the lower seq. This is what the lock prevents.
TEST_F(MultiNodeTest, WithoutTheWriteLockSeqOrderIsNotCommitOrderAndAnEventIsSkipped) {
  auto& a = node(false);
  auto& b = node(false);
  auto& reader = node();
  OpenBatchThenWrite w(a, b);
  ASSERT_EQ(w.b_done.wait_for(5s), std::future_status::ready) << "without the lock B does not wait for A";
  ASSERT_TRUE(w.b_done.get().ok());
  int64_t seq_a = w.seq_a, seq_b = w.seq_b;
  EXPECT_LT(seq_a, seq_b);
  // A dispatcher reading now sees B's event only and moves its cursor to seq_b...
  int64_t cursor = 0;
  store::read_sync(reader, [&](Tx& tx) {
    for (auto& e : repo::events_after(tx, 0, 1000)) cursor = std::max(cursor, e.seq);
  });
  EXPECT_EQ(cursor, seq_b);
  ASSERT_TRUE(w.release().ok());
  // ...and A's event, committed after with the lower seq, is behind the cursor: never delivered.
  std::vector<int64_t> after;
  store::read_sync(reader, [&](Tx& tx) {
    for (auto& e : repo::events_after(tx, cursor, 1000)) after.push_back(e.seq);
  });
  EXPECT_TRUE(after.empty());
  EXPECT_EQ(all_seqs(reader), (std::vector<int64_t>{seq_a, seq_b})) << "A's event is stored, just skipped";
}

// Three nodes write events as fast as they can while a fourth's dispatcher reads "seq > cursor"
// over and over: it must see every committed event (none committed late behind its cursor).
TEST_F(MultiNodeTest, DispatcherMissesNoEventWhileSeveralNodesWrite) {
  std::vector<store::Store*> writers{&node(), &node(), &node()};
  auto& reader = node();
  Seen local;
  DispatcherOptions o;
  o.poll_ms = 1;
  o.batch = 64;
  o.shared = true;
  o.owner = "reader";
  Dispatcher d(reader, metrics_, o);
  d.add_local_listener(&local);
  d.start();
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < writers.size(); ++w)
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, w] {
        for (int i = 0; i < 150; ++i) {
          auto st = store::write_sync(*writers[w], [&](Tx& tx) -> Status {
            Event e = make_event("w");
            repo::append_event(tx, e);
            return {};
          });
          if (st.ok()) written++;
        }
      });
  for (auto& t : threads) t.join();
  ASSERT_EQ(written.load(), 3 * 4 * 150);
  auto committed = all_seqs(reader);
  ASSERT_EQ(committed.size(), 3u * 4 * 150);
  ASSERT_TRUE(eventually([&] { return local.size() >= committed.size(); }))
      << "delivered " << local.size() << " of " << committed.size();
  d.stop();
  EXPECT_EQ(local.copy(), committed);
}

TEST_F(MultiNodeTest, WatchHearsCommitsOfOtherNodes) {
  auto& a = node();
  auto& b = node();
  std::atomic<int> events{0}, jobs{0};
  ASSERT_TRUE(store::watch_changes(b, [&](std::string_view topic) {
    if (topic == "events") events++;
    if (topic == "jobs") jobs++;
  }));
  ASSERT_TRUE(eventually([&] { return events.load() >= 1 && jobs.load() >= 1; }))
      << "no notice after LISTEN connected";
  int before_events = events.load(), before_jobs = jobs.load();
  ASSERT_TRUE(store::write_sync(a, [&](Tx& tx) -> Status {
                Event e = make_event("n");
                repo::append_event(tx, e);
                return {};
              }).ok());
  EXPECT_TRUE(eventually([&] { return events.load() > before_events; }, 5000));
  ASSERT_TRUE(store::write_sync(a, [&](Tx& tx) -> Status {
                repo::Job j;
                j.id = "job_1";
                j.tenant_id = "ten_A";
                j.kind = "webhook";
                j.idempotency_key = "k1";
                j.payload_json = "{}";
                j.run_at = 1;
                j.deadline_at = 2;
                repo::enqueue_job(tx, j, 1);
                return {};
              }).ok());
  EXPECT_TRUE(eventually([&] { return jobs.load() > before_jobs; }, 5000));
}

// Every node's local listener sees every event; the cluster listener sees each once, on the
// lease holder; when the holder stops, another node takes over from the stored cursor.
TEST_F(MultiNodeTest, ClusterListenersGetEachEventOnceAcrossNodesAndSurviveAHandover) {
  auto& sa = node();
  auto& sb = node();
  Seen local_a, local_b, cluster_a, cluster_b;
  DispatcherOptions oa;
  oa.poll_ms = 10;
  oa.persist_every_ms = 0;
  oa.shared = true;
  oa.lease_ms = 2000;
  oa.owner = "node-a";
  DispatcherOptions ob = oa;
  ob.owner = "node-b";
  auto da = std::make_unique<Dispatcher>(sa, metrics_, oa);
  da->add_local_listener(&local_a);
  da->add_listener(&cluster_a);
  da->start();
  ASSERT_TRUE(da->leader());
  Dispatcher db(sb, metrics_, ob);
  db.add_local_listener(&local_b);
  db.add_listener(&cluster_b);
  db.start();
  EXPECT_FALSE(db.leader());
  auto write = [&](store::Store& s, int n) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(store::write_sync(s, [&](Tx& tx) -> Status {
                    Event e = make_event("h");
                    repo::append_event(tx, e);
                    return {};
                  }).ok());
  };
  write(sa, 10);
  write(sb, 10);
  ASSERT_TRUE(eventually([&] { return local_a.size() == 20 && local_b.size() == 20 && cluster_a.size() == 20; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cluster_b.size(), 0u);
  da->stop();  // gives the lease up
  da.reset();
  write(sb, 5);
  ASSERT_TRUE(eventually([&] { return db.leader() && cluster_b.size() >= 5; }, 10000));
  std::this_thread::sleep_for(200ms);
  db.stop();
  auto all = all_seqs(sb);
  ASSERT_EQ(all.size(), 25u);
  std::vector<int64_t> union_cluster = cluster_a.copy();
  for (auto s : cluster_b.copy()) union_cluster.push_back(s);
  EXPECT_EQ(union_cluster, all) << "each event once, in order, across the handover";
  EXPECT_EQ(local_b.copy(), all);
}

// A node that dies holding the lease (no release) is replaced once the lease runs out.
TEST_F(MultiNodeTest, ADeadLeaseHolderIsReplacedAfterTheLease) {
  auto& sa = node();
  auto& sb = node();
  ASSERT_TRUE(store::write_sync(sa, [&](Tx& tx) -> Status {
                auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count() + 1500;
                repo::kv_set(tx, "dispatcher.lease", "node-dead " + std::to_string(until));
                Event e = make_event("d");
                repo::append_event(tx, e);
                return {};
              }).ok());
  Seen cluster;
  DispatcherOptions o;
  o.poll_ms = 10;
  o.shared = true;
  o.lease_ms = 1000;
  o.owner = "node-b";
  Dispatcher d(sb, metrics_, o);
  d.add_listener(&cluster);
  d.start();
  EXPECT_FALSE(d.leader());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(cluster.size(), 0u);
  ASSERT_TRUE(eventually([&] { return d.leader() && cluster.size() == 1; }, 5000));
  d.stop();
}

TEST_F(MultiNodeTest, SharedTokenBucketLimitsAllNodesTogether) {
  auto& a = node();
  auto& b = node();
  int64_t now = 1'700'000'000'000;
  int granted = 0;
  int64_t wait = 0;
  for (int i = 0; i < 6; ++i) {
    store::Store& s = i % 2 ? b : a;
    ASSERT_TRUE(store::write_sync(s, [&](Tx& tx) -> Status {
                  wait = pace(tx, "ten_A", {{"channel.send:ch_1", 250000, 4}}, now);
                  if (wait == 0) granted++;
                  return {};
                }).ok());
  }
  EXPECT_EQ(granted, 4) << "a burst of one second's worth, whichever node asks";
  EXPECT_EQ(wait, 250);
  ASSERT_TRUE(store::write_sync(a, [&](Tx& tx) -> Status {
                wait = pace(tx, "ten_A", {{"channel.send:ch_1", 250000, 4}}, now + 250);
                return {};
              }).ok());
  EXPECT_EQ(wait, 0) << "refilled at 4 per second";
  ASSERT_TRUE(store::write_sync(b, [&](Tx& tx) -> Status {
                wait = pace(tx, "ten_B", {{"channel.send:ch_1", 250000, 4}}, now + 250);
                return {};
              }).ok());
  EXPECT_EQ(wait, 0) << "buckets are per tenant";
}

// SQLite: one process, the dispatcher is always the lease holder and its local listeners resume
// from the durable cursor as before.
TEST(SingleNodeDispatcher, SqliteDeliversToLocalAndClusterListeners) {
  auto dir = std::filesystem::temp_directory_path() / ("bottega_mn_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto s = store::open_store("sqlite://" + (dir / "x.db").string(), {}, true);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto& st = **s;
  Metrics m;
  Seen local, cluster;
  {
    Dispatcher d(st, m, DispatcherOptions{.poll_ms = 10, .batch = 512, .persist_every_ms = 0});
    d.add_local_listener(&local);
    d.add_listener(&cluster);
    d.start();
    EXPECT_TRUE(d.leader());
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(store::write_sync(st, [&](Tx& tx) -> Status {
                    Event e = make_event("s");
                    repo::append_event(tx, e);
                    return {};
                  }).ok());
    ASSERT_TRUE(eventually([&] { return local.size() == 3 && cluster.size() == 3; }));
    d.stop();
  }
  EXPECT_EQ(local.copy(), cluster.copy());
  st.close();
  std::filesystem::remove_all(dir);
}

// A job deferred by our own rate limit runs again after the wait, and the deferral does not count
// as an attempt.
TEST(JobDefer, DeferredJobRunsAgainWithoutCountingAnAttempt) {
  auto dir = std::filesystem::temp_directory_path() / ("bottega_defer_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto s = store::open_store("sqlite://" + (dir / "x.db").string(), {}, true);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto& st = **s;
  SystemClock clock;
  Metrics m;
  int64_t now = clock.now_ms();
  ASSERT_TRUE(store::write_sync(st, [&](Tx& tx) -> Status {
                repo::Job j;
                j.id = "job_d";
                j.tenant_id = "ten_A";
                j.kind = "k";
                j.idempotency_key = "d";
                j.payload_json = "{}";
                j.run_at = now;
                j.deadline_at = now + 60'000;
                repo::enqueue_job(tx, j, now);
                return {};
              }).ok());
  std::atomic<int> calls{0};
  std::vector<int64_t> attempts;
  std::mutex mu;
  JobRunnerOptions jo;
  jo.owner = "t";
  jo.poll_ms = 10;
  JobRunner runner(st, clock, m, jo);
  auto t0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point second;
  runner.add_handler("k", [&](const repo::Job& j, std::function<void(JobOutcome)> done) {
    {
      std::lock_guard lk(mu);
      attempts.push_back(j.attempts);
      if (calls == 1) second = std::chrono::steady_clock::now();
    }
    if (calls++ == 0) {
      JobOutcome o;
      o.defer = true;
      o.retry_after_ms = 300;
      return done(o);
    }
    done({true, "", std::nullopt, false});
  });
  runner.start();
  ASSERT_TRUE(eventually([&] {
    int64_t n = 0;
    store::read_sync(st, [&](Tx& tx) { n = repo::count_jobs(tx, "done"); });
    return n == 1;
  }));
  runner.stop(1000);
  std::lock_guard lk(mu);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0], 1);
  EXPECT_EQ(attempts[1], 1) << "the deferral is not an attempt";
  EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(second - t0).count(), 250);
  st.close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bottega::pipeline
