#include "pipeline/dispatcher.hpp"

#include <chrono>
#include <cstdio>

#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace {
constexpr const char* kCursorKey = "dispatcher.cursor";
}

Dispatcher::Dispatcher(store::Store& store, Metrics& metrics, DispatcherOptions opts)
    : store_(store), metrics_(metrics), opts_(opts) {
  metrics_.describe("bottega_events_dispatched_total", "counter", "Outbox events delivered to listeners");
  metrics_.describe("bottega_dispatcher_lag_events", "gauge", "Committed events not yet dispatched");
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  int64_t cursor = 0;
  // No stored cursor means nothing was ever dispatched from this database: start at the
  // beginning, so events committed before a crash that came before the first persist are not
  // skipped.
  store::read_sync(store_, [&](store::Tx& tx) {
    if (auto v = repo::kv_get(tx, kCursorKey)) cursor = std::stoll(*v);
  });
  cursor_ = cursor;
  persisted_ = cursor;
  thread_ = std::thread([this] { loop(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::notify() {
  {
    std::lock_guard lk(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Dispatcher::persist() {
  int64_t c = cursor_.load();
  if (c == persisted_) return;
  auto st = store::write_sync(store_, [c](store::Tx& tx) -> Status {
    repo::kv_set(tx, kCursorKey, std::to_string(c));
    return {};
  });
  if (st.ok()) persisted_ = c;
}

void Dispatcher::loop() {
  using clock = std::chrono::steady_clock;
  auto last_persist = clock::now();
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, std::chrono::milliseconds(opts_.poll_ms), [&] { return woken_ || stop_; });
      if (stop_) break;
      woken_ = false;
    }
    for (;;) {  // drain
      std::vector<Event> batch;
      int64_t from = cursor_.load();
      try {
        store::read_sync(store_, [&](store::Tx& tx) { batch = repo::events_after(tx, from, opts_.batch); });
      } catch (const store::DbError& e) {
        std::fprintf(stderr, "dispatcher: read failed: %s\n", e.message.c_str());
        break;
      }
      if (batch.empty()) break;
      for (const auto& e : batch)
        for (auto* l : listeners_) l->on_event(e);
      for (auto* l : listeners_) l->on_batch_end();
      cursor_ = batch.back().seq;
      metrics_.inc("bottega_events_dispatched_total", {}, static_cast<double>(batch.size()));
      if (static_cast<int>(batch.size()) < opts_.batch) break;
    }
    if (clock::now() - last_persist > std::chrono::milliseconds(opts_.persist_every_ms)) {
      persist();
      last_persist = clock::now();
    }
  }
  persist();
}

}  // namespace bottega::pipeline
