// The queueing and threading both stores share: a bounded write queue drained by one writer
// thread in batches (group commit), and a read queue served by one thread per reader connection.
// A store supplies how a batch is committed and how one read runs; everything else is here.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "bottega/store.hpp"

namespace bottega::store {

class GroupCommitStore : public Store {
 public:
  ~GroupCommitStore() override;
  void read(std::function<void(Tx&)> fn) override;
  void read_undurable(std::function<void(Tx&)> fn) override;
  void write(std::function<Status(Tx&)> fn, std::function<void(Status)> done) override;
  // Stops accepting work, drains both queues, joins the threads, then calls on_closed().
  void close() override;
  StoreStats stats() const override;

 protected:
  struct WriteOp {
    std::function<Status(Tx&)> fn;
    std::function<void(Status)> done;
  };
  explicit GroupCommitStore(StoreOptions opts) : opts_(opts) {}
  // Starts the writer thread (batches of at most max_batch) and `readers` reader threads.
  // REQUIRES: called once, from the derived store's init. Derived destructors call close() first,
  // because the threads call the virtual functions below.
  void start(size_t readers, size_t max_batch);
  // On the writer thread, once writes are waiting and before the next batch is taken from the
  // queue: a store may wait here (SQLite: until the batch before the last one is durable), and
  // the writes that arrive meanwhile join the batch.
  virtual void before_batch() {}
  // Commits one batch on the writer thread; calls every op's done exactly once (SQLite: later,
  // on its sync thread, once the batch is durable).
  virtual void run_batch(std::vector<WriteOp>& batch) = 0;
  struct ReadOp {
    std::function<void(Tx&)> fn;
    bool durable = true;  // false: read_undurable, fn may see commits not durable yet
  };
  // Runs one read on reader thread `reader` (0-based); must not let exceptions escape.
  virtual void run_read(size_t reader, ReadOp& op) = 0;
  // After every thread has stopped: release connections.
  virtual void on_closed() {}

  const StoreOptions opts_;
  std::atomic<uint64_t> batches_{0}, writes_{0}, failed_{0};

 private:
  void write_loop(size_t max_batch);
  void read_loop(size_t reader);
  void enqueue_read(ReadOp op);

  std::thread writer_thread_;
  std::vector<std::thread> reader_threads_;
  mutable std::mutex wmu_;
  std::condition_variable wcv_;
  std::deque<WriteOp> wq_;
  std::mutex rmu_;
  std::condition_variable rcv_;
  std::deque<ReadOp> rq_;
  bool closed_ = false;  // guarded by both wmu_ and rmu_
};

}  // namespace bottega::store
