// The reports' cluster listener: after each batch the dispatcher delivers, applies the outbox after
// the reports' own cursor (see aggregator.hpp for why the cursor is its own).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"

namespace bottega::reports {

class ReportsListener final : public EventListener {
 public:
  ReportsListener(store::Store& store, Metrics& metrics, int64_t batch = 2000);
  ~ReportsListener() override { stop(); }
  // Catches up once in the background (history written before the reports existed, or while the
  // server was down), so the figures need not wait for the next event. Safe beside the
  // dispatcher's own catch-ups: each transaction reads the cursor it starts from.
  void start();
  // Stops the background catch-up between two transactions and waits for it. Idempotent.
  void stop();
  void on_event(const Event& e) override;
  void on_batch_end() override;
  // Applies everything after the stored cursor (also used at startup and by tests). Returns
  // the number of events applied; stops early after repeated store failures. `delivered`: the
  // dispatcher's batch, applied without reading the outbox when it continues the cursor
  // (apply_pending).
  int64_t catch_up(const std::vector<Event>* delivered = nullptr, const std::vector<boost::json::value>* parsed = nullptr);
  int64_t cursor() const { return cursor_.load(); }

 private:
  store::Store& store_;
  Metrics& metrics_;
  int64_t batch_;
  int64_t newest_seen_ = 0;  // dispatcher thread only
  std::vector<Event> delivered_;  // the dispatcher's current batch; dispatcher thread only
  // Their payloads, parsed as they are delivered (on the dispatcher thread: the transaction that
  // applies them runs on the single writer thread, the serial part of every write), from one
  // arena per batch.
  std::vector<boost::json::value> parsed_;
  boost::json::storage_ptr arena_;
  std::atomic<int64_t> cursor_{0};
  std::atomic<bool> stop_{false};
  std::thread background_;
};

}  // namespace bottega::reports
