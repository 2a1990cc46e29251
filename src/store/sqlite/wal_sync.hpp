// How the SQLite store makes a batch durable without the writer thread waiting for the disk.
//
// The writer connection commits with synchronous=NORMAL: COMMIT writes the batch's frames to the
// WAL and returns without an fsync. WalSync's sync thread then fdatasyncs the WAL, and only then
// its answer thread answers the batch's writes (done) and runs its after-commit hooks, in commit
// order. Meanwhile the writer runs the next batch, so the fsync of one batch overlaps the work of
// the next instead of stalling it. Nothing changes for a caller: a write is acknowledged only once
// it is on disk.
// The answers have their own thread because a done callback may read the store synchronously
// (read_sync: job steps chained on a write's answer do), and a read waits for the sync thread:
// run on the sync thread, that read would wait for itself.
//
// Why this is as safe as synchronous=FULL for everything acknowledged:
// - WAL frames are appended in commit order and recovery replays a valid prefix of them, so once
//   an fdatasync that started after batch N's COMMIT returned has finished, N and every batch
//   before it survive a power loss. (A checkpoint syncs the WAL first and the database after, and
//   a WAL reused after a checkpoint has its header synced, in NORMAL mode too.)
// - Readers do not see what is not yet durable: a read transaction, once its snapshot is taken,
//   waits until every batch that could be in that snapshot is synced (wait_durable), like
//   PostgreSQL, where a commit becomes visible only after its WAL flush. The dispatcher, WebSocket
//   pushes and merchant webhooks therefore never announce what a power loss could take back.
// - At most two batches are committed and not yet durable: the writer waits (wait_for_room) before
//   taking a third, so batches keep growing under load as they did when the writer waited itself.
// - A failed fdatasync is not retried: Linux may have dropped the dirty pages it could not write,
//   so a second fsync could succeed without the data. Like PostgreSQL (data_sync_retry=off), the
//   process stops and recovery reads what the disk actually holds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::store {

class WalSync {
 public:
  // What a committed (or failed) batch hands over: its writes' answers and its hooks.
  struct Batch {
    std::vector<std::function<void(Status)>> dones;
    std::vector<Status> results;  // one per done
    std::vector<std::function<void()>> hooks;
  };
  // `sync` makes every commit made so far durable (it does not return on failure). Starts the
  // sync and answer threads.
  explicit WalSync(std::function<void()> sync);
  ~WalSync();
  WalSync(const WalSync&) = delete;
  WalSync& operator=(const WalSync&) = delete;

  // Writer thread, before taking the next batch: waits while two batches are not yet durable.
  void wait_for_room();
  // Writer thread, right before COMMIT: numbers the batch about to commit. From here on a reader's
  // snapshot may hold it, so readers wait for it (call this even when COMMIT may fail).
  void begin_commit();
  // Writer thread, after COMMIT returned or the batch failed (with or without begin_commit()):
  // queues the batch for the sync thread; once synced, the answer thread calls every done with its
  // result and runs the hooks, batch after batch in commit order.
  void committed(Batch b);
  // Reader threads, once the read transaction's snapshot is taken: waits until every batch that
  // began committing before now is durable (at most about one fsync).
  void wait_durable();
  // Syncs and answers everything queued, then stops the threads. Idempotent. REQUIRES: the
  // writer has stopped.
  void stop();

  uint64_t syncs() const { return syncs_.load(); }
  uint64_t durable() const { return synced_.load(); }

 private:
  void loop();
  void answer_loop();

  std::function<void()> sync_;
  std::mutex mu_;
  std::condition_variable work_cv_;     // the sync thread: batches queued, or stop
  std::condition_variable synced_cv_;   // the writer and readers: synced_ moved
  std::deque<std::pair<uint64_t, Batch>> queued_;  // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  uint64_t last_begun_ = 0, last_handed_ = 0;     // writer thread only
  std::atomic<uint64_t> begun_{0};                 // the last batch a snapshot may hold
  std::atomic<uint64_t> synced_{0};                // every batch up to this one is durable
  std::atomic<uint64_t> syncs_{0};
  std::thread thread_;
  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::deque<Batch> answers_;  // synced, in commit order; guarded by answer_mu_
  bool answer_stop_ = false;   // guarded by answer_mu_
  std::thread answer_thread_;
};

// The WAL file of one database, opened read-only for fdatasync. sync() checks that the path still
// names the file it holds (SQLite keeps the WAL while a connection is open; if it was ever
// recreated, the new one is opened) and, for each file opened, fsyncs the directory once so that
// the file's name is durable too. Any failure prints why and aborts the process (see above).
class WalFile {
 public:
  explicit WalFile(std::string db_path);
  ~WalFile();
  WalFile(const WalFile&) = delete;
  WalFile& operator=(const WalFile&) = delete;
  // Opens the WAL now; false (with why in `error`) if it cannot, e.g. it does not exist.
  bool open(std::string& error);
  void sync();
  uint64_t opens() const { return opens_; }

 private:
  std::string wal_path_, dir_path_;
  int fd_ = -1;
  uint64_t dev_ = 0, ino_ = 0;
  uint64_t opens_ = 0;
};

}  // namespace bottega::store
