// Delivers committed outbox events, in order, to listeners. Woken right after a commit (and every
// poll interval, which also picks up events written by other nodes). Its cursor is stored in the
// database once every listener has handled a batch, so after a crash events are redelivered, never
// skipped; listeners with durable effects are idempotent (see WebhookService).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"

namespace bottega::pipeline {

struct DispatcherOptions {
  int poll_ms = 500;
  int batch = 512;
  int persist_every_ms = 1000;
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, Metrics& metrics, DispatcherOptions opts = {});
  ~Dispatcher();
  // REQUIRES: called before start().
  void add_listener(EventListener* l) { listeners_.push_back(l); }
  // Loads the durable cursor (none yet: from the first event) and starts.
  void start();
  void stop();
  // Thread-safe, cheap: wakes the dispatcher.
  void notify();
  int64_t cursor() const { return cursor_.load(); }

 private:
  void loop();
  void persist();

  store::Store& store_;
  Metrics& metrics_;
  DispatcherOptions opts_;
  std::vector<EventListener*> listeners_;
  std::atomic<int64_t> cursor_{0};
  int64_t persisted_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bottega::pipeline
