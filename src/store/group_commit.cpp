#include "store/group_commit.hpp"

#include <algorithm>

namespace bottega::store {

GroupCommitStore::~GroupCommitStore() { close(); }

void GroupCommitStore::start(size_t readers, size_t max_batch) {
  writer_thread_ = std::thread([this, max_batch] { write_loop(max_batch); });
  for (size_t i = 0; i < readers; ++i) reader_threads_.emplace_back([this, i] { read_loop(i); });
}

void GroupCommitStore::read(std::function<void(Tx&)> fn) { enqueue_read({std::move(fn), true}); }

void GroupCommitStore::read_undurable(std::function<void(Tx&)> fn) { enqueue_read({std::move(fn), false}); }

void GroupCommitStore::enqueue_read(ReadOp op) {
  std::lock_guard lk(rmu_);
  if (closed_) return;  // callers observe shutdown through their own cancellation
  rq_.push_back(std::move(op));
  rcv_.notify_one();
}

void GroupCommitStore::write(std::function<Status(Tx&)> fn, std::function<void(Status)> done) {
  {
    std::lock_guard lk(wmu_);
    if (!closed_ && wq_.size() < opts_.max_queue) {
      wq_.push_back({std::move(fn), std::move(done)});
      wcv_.notify_one();
      return;
    }
  }
  done(Error{Errc::unavailable, "store_unavailable", "the store is overloaded or closing", {}});
}

void GroupCommitStore::close() {
  {
    std::scoped_lock lk(wmu_, rmu_);
    if (closed_) return;
    closed_ = true;
  }
  wcv_.notify_all();
  rcv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  for (auto& t : reader_threads_)
    if (t.joinable()) t.join();
  on_closed();
}

StoreStats GroupCommitStore::stats() const {
  StoreStats s;
  s.batches = batches_.load();
  s.writes = writes_.load();
  s.failed_writes = failed_.load();
  std::lock_guard lk(wmu_);
  s.write_queue = wq_.size();
  return s;
}

void GroupCommitStore::write_loop(size_t max_batch) {
  std::vector<WriteOp> batch;
  for (;;) {
    {
      std::unique_lock lk(wmu_);
      wcv_.wait(lk, [&] { return closed_ || !wq_.empty(); });
      if (wq_.empty() && closed_) return;
    }
    before_batch();  // only this thread takes from wq_: it is still not empty
    {
      std::lock_guard lk(wmu_);
      size_t n = std::min(wq_.size(), max_batch);
      batch.clear();
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(wq_.front()));
        wq_.pop_front();
      }
    }
    run_batch(batch);
  }
}

void GroupCommitStore::read_loop(size_t reader) {
  for (;;) {
    ReadOp op;
    {
      std::unique_lock lk(rmu_);
      rcv_.wait(lk, [&] { return closed_ || !rq_.empty(); });
      if (rq_.empty()) return;  // closed and drained
      op = std::move(rq_.front());
      rq_.pop_front();
    }
    run_read(reader, op);
  }
}

}  // namespace bottega::store
