// WalSync (answers and hooks only after the WAL's fsync, in commit order; readers never see what is
// not yet durable; at most two batches waiting for the disk) and the SQLite store wired to it.
#include "store/sqlite/wal_sync.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"

namespace bottega::store {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A sync the test lets through one call at a time; records what had been answered when it ran.
class Gate {
 public:
  void pass() {
    std::unique_lock lk(mu_);
    entered_++;
    cv_.notify_all();
    cv_.wait(lk, [&] { return opened_ >= entered_; });
  }
  void open_one() {
    std::lock_guard lk(mu_);
    opened_++;
    cv_.notify_all();
  }
  void open_all() {
    std::lock_guard lk(mu_);
    opened_ = 1'000'000;
    cv_.notify_all();
  }
  // Waits until n syncs have started.
  void wait_entered(int n) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return entered_ >= n; });
  }
  int entered() {
    std::lock_guard lk(mu_);
    return entered_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0, opened_ = 0;
};

// A WalSync whose syncs pass the gate, and a log of the answers and hooks in the order they ran.
class WalSyncTest : public ::testing::Test {
 protected:
  void TearDown() override {
    gate.open_all();
    ws.stop();
  }
  WalSync::Batch batch(const std::string& name) {
    WalSync::Batch b;
    b.dones.push_back([this, name](Status st) { record(name + (st.ok() ? " done" : " failed")); });
    b.results.emplace_back();
    b.hooks.push_back([this, name] { record(name + " hook"); });
    return b;
  }
  // What the writer does for a batch that commits.
  void commit(const std::string& name) {
    ws.begin_commit();
    ws.committed(batch(name));
  }
  std::vector<std::string> logged() {
    std::lock_guard lk(mu);
    return log;
  }
  // The log once it has n lines (answers run on their own thread, after the sync).
  std::vector<std::string> logged(size_t n) {
    std::unique_lock lk(mu);
    grew.wait_for(lk, std::chrono::seconds(10), [&] { return log.size() >= n; });
    return log;
  }

  Gate gate;
  std::mutex mu;
  std::vector<std::string> log;
  WalSync ws{[this] { gate.pass(); }};  // last: stopped (TearDown) before the gate goes

 private:
  void record(std::string line) {
    std::lock_guard lk(mu);
    log.push_back(std::move(line));
    grew.notify_all();
  }
  std::condition_variable grew;
};

TEST_F(WalSyncTest, AnswersAndHooksRunOnlyAfterTheSyncThatCoversTheBatchInCommitOrder) {
  commit("b1");
  gate.wait_entered(1);  // the sync of b1 is running; b2 commits meanwhile
  ws.wait_for_room();    // one batch not durable yet: the writer may go on
  commit("b2");
  EXPECT_TRUE(logged().empty()) << "answered before its fsync";
  gate.open_one();
  gate.wait_entered(2);  // b2's sync is held
  EXPECT_EQ(logged(2), (std::vector<std::string>{"b1 done", "b1 hook"}));
  EXPECT_EQ(ws.durable(), 1u);
  gate.open_one();
  ws.stop();
  EXPECT_EQ(logged(), (std::vector<std::string>{"b1 done", "b1 hook", "b2 done", "b2 hook"}));
  EXPECT_EQ(ws.durable(), 2u);
  EXPECT_EQ(ws.syncs(), 2u);
}

TEST_F(WalSyncTest, OneSyncCoversEveryBatchQueuedBeforeIt) {
  commit("b1");
  gate.wait_entered(1);
  // A failed batch (no begin_commit) takes the next number; its answers go out in order too.
  WalSync::Batch failed = batch("b2");
  failed.results[0] = Error::internal("disk full");
  failed.hooks.clear();
  ws.committed(std::move(failed));
  gate.open_all();
  ws.stop();
  EXPECT_EQ(logged(), (std::vector<std::string>{"b1 done", "b1 hook", "b2 failed"}));
  EXPECT_EQ(ws.durable(), 2u);
  EXPECT_LE(ws.syncs(), 2u);
}

TEST_F(WalSyncTest, TheWriterWaitsWhileTwoBatchesAreNotDurable) {
  commit("b1");
  gate.wait_entered(1);
  commit("b2");
  auto room = std::async(std::launch::async, [&] { ws.wait_for_room(); });
  EXPECT_EQ(room.wait_for(100ms), std::future_status::timeout) << "a third batch ran before b1 was durable";
  gate.open_one();  // b1 durable: b2 alone is waiting for the disk
  room.get();
}

TEST_F(WalSyncTest, AReaderWaitsForEveryBatchThatBeganCommittingBeforeItsSnapshot) {
  ws.wait_durable();  // nothing committed: no wait
  ws.begin_commit();  // COMMIT under way: a snapshot taken now may hold the batch
  auto read = std::async(std::launch::async, [&] { ws.wait_durable(); });
  EXPECT_EQ(read.wait_for(100ms), std::future_status::timeout) << "a read saw a batch not yet durable";
  ws.committed(batch("b1"));
  gate.open_all();
  read.get();
  EXPECT_EQ(ws.durable(), 1u);
}

class WalFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bottega_wal_file_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WalFileTest, OpensTheWalAndFollowsItWhenItIsRecreated) {
  WalFile wal((dir_ / "db.sqlite").string());
  std::string error;
  EXPECT_FALSE(wal.open(error));
  EXPECT_NE(error.find("db.sqlite-wal"), std::string::npos) << error;
  std::ofstream(dir_ / "db.sqlite-wal") << "frames";
  ASSERT_TRUE(wal.open(error)) << error;
  wal.sync();
  EXPECT_EQ(wal.opens(), 1u);
  // Replaced by a new file under the same name: the next sync opens (and syncs) the new one.
  std::ofstream(dir_ / "new-wal") << "other frames";
  fs::rename(dir_ / "new-wal", dir_ / "db.sqlite-wal");
  wal.sync();
  EXPECT_EQ(wal.opens(), 2u);
  wal.sync();
  EXPECT_EQ(wal.opens(), 2u);
}

TEST_F(WalFileTest, ASyncThatCannotReachTheWalStopsTheProcess) {
  WalFile wal((dir_ / "db.sqlite").string());
  std::ofstream(dir_ / "db.sqlite-wal") << "frames";
  std::string error;
  ASSERT_TRUE(wal.open(error)) << error;
  fs::remove(dir_ / "db.sqlite-wal");
  EXPECT_DEATH(wal.sync(), "cannot stat .*db.sqlite-wal.*stopping");
}

// The SQLite store wired to WalSync: with the WAL's fsync held back, a committed write is neither
// answered nor visible to readers (but to read_undurable); once the fsync ran, both.
TEST_F(WalFileTest, TheStoreAnswersAndShowsAWriteOnlyAfterTheWalIsSynced) {
  std::atomic<bool> hold{false};
  Gate gate;
  std::atomic<int> real_syncs{0};
  SyncWrapper wrap = [&](const std::function<void()>& sync) {
    if (hold.load()) gate.pass();
    sync();
    real_syncs++;
  };
  auto opened = open_sqlite((dir_ / "db.sqlite").string(), {}, true, wrap);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  static constexpr Stmt kCreate{"t.create", "CREATE TABLE IF NOT EXISTS probe(v INTEGER)"};
  static constexpr Stmt kInsert{"t.insert", "INSERT INTO probe(v) VALUES ($1)"};
  static constexpr Stmt kCount{"t.count", "SELECT COUNT(*) FROM probe"};
  ASSERT_TRUE(write_sync(*store, [](Tx& tx) -> Status {
                tx.exec(kCreate, {});
                return {};
              }).ok());
  EXPECT_GE(real_syncs.load(), 1) << "the WAL was not synced after the commit";

  hold = true;
  std::promise<Status> answered;
  std::promise<void> hooked;
  store->write(
      [&](Tx& tx) -> Status {
        tx.exec(kInsert, {int64_t{7}});
        tx.after_commit([&] { hooked.set_value(); });
        return {};
      },
      [&](Status st) { answered.set_value(std::move(st)); });
  gate.wait_entered(1);  // committed; its fsync is held
  auto answer = answered.get_future();
  auto hook = hooked.get_future();
  EXPECT_EQ(answer.wait_for(100ms), std::future_status::timeout) << "answered before the WAL was synced";
  EXPECT_EQ(hook.wait_for(0ms), std::future_status::timeout) << "hook ran before the WAL was synced";
  std::promise<int64_t> seen;
  store->read([&](Tx& tx) { seen.set_value(tx.query(kCount, {}).at(0).i64(0)); });
  auto count = seen.get_future();
  EXPECT_EQ(count.wait_for(100ms), std::future_status::timeout) << "a reader saw a write not yet durable";
  // Authentication's read (read_undurable) does not wait: it sees the commit while the fsync is held.
  std::promise<int64_t> early;
  store->read_undurable([&](Tx& tx) { early.set_value(tx.query(kCount, {}).at(0).i64(0)); });
  auto early_count = early.get_future();
  bool early_ready = early_count.wait_for(10s) == std::future_status::ready;
  EXPECT_EQ(answer.wait_for(0ms), std::future_status::timeout) << "answered before the WAL was synced";
  gate.open_all();  // before any check that could end the test: the held reads need the fsync
  EXPECT_TRUE(early_ready) << "read_undurable waited for the fsync";
  EXPECT_EQ(early_count.get(), 1);
  EXPECT_TRUE(answer.get().ok());
  EXPECT_EQ(count.get(), 1);
  EXPECT_EQ(hook.wait_for(10s), std::future_status::ready);
  store->close();
}

// A write's answer may read the store synchronously (job steps chained on a write's answer do),
// while a later batch is committed and not yet durable: the read waits for that batch's fsync, which
// must not wait for the answer. (With answers run on the sync thread, this hung.)
TEST_F(WalFileTest, AnAnswerThatReadsTheStoreWhileALaterBatchIsSyncingDoesNotHang) {
  std::atomic<int> syncs{0};
  Gate gate;
  SyncWrapper wrap = [&](const std::function<void()>& sync) {
    if (++syncs == 3) gate.pass();  // the later batch's fsync waits until the answer is reading
    sync();
  };
  auto opened = open_sqlite((dir_ / "db.sqlite").string(), {}, true, wrap);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  static constexpr Stmt kCreate{"t.create", "CREATE TABLE IF NOT EXISTS probe(v INTEGER)"};
  static constexpr Stmt kInsert{"t.insert", "INSERT INTO probe(v) VALUES ($1)"};
  static constexpr Stmt kCount{"t.count", "SELECT COUNT(*) FROM probe"};
  ASSERT_TRUE(write_sync(*store, [](Tx& tx) -> Status {
                tx.exec(kCreate, {});
                return {};
              }).ok());  // sync 1
  std::promise<int64_t> read_in_answer;
  store->write(
      [](Tx& tx) -> Status {
        tx.exec(kInsert, {int64_t{1}});
        return {};
      },
      [&](Status) {  // batch 2's answer, after sync 2
        // Batch 3 commits now; its sync (3) is held until this answer is about to read.
        std::promise<void> committed;
        store->write(
            [&committed](Tx& tx) -> Status {
              tx.exec(kInsert, {int64_t{2}});
              tx.after_commit([] {});
              committed.set_value();
              return {};
            },
            [](Status) {});
        committed.get_future().wait();
        std::this_thread::sleep_for(20ms);  // let its COMMIT finish: the read's snapshot holds it
        gate.open_all();
        int64_t n = 0;
        read_sync(*store, [&](Tx& tx) { n = tx.query_one(kCount, {})->i64(0); });
        read_in_answer.set_value(n);
      });
  auto n = read_in_answer.get_future();
  if (n.wait_for(10s) != std::future_status::ready) {
    std::fprintf(stderr, "the answer's read waited for itself: deadlock (closing the store would hang)\n");
    std::abort();
  }
  EXPECT_EQ(n.get(), 2);
  store->close();
}

}  // namespace
}  // namespace bottega::store
