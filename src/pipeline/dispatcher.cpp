#include "pipeline/dispatcher.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace {
constexpr const char* kCursorKey = "dispatcher.cursor";
constexpr const char* kLeaseKey = "dispatcher.lease";  // "<owner> <until ms>"

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<int64_t> stored_cursor(store::Tx& tx) {
  auto v = repo::kv_get(tx, kCursorKey);
  if (!v || v->empty()) return std::nullopt;
  return std::stoll(*v);
}
}  // namespace

Dispatcher::Dispatcher(store::Store& store, Metrics& metrics, DispatcherOptions opts)
    : store_(store), metrics_(metrics), opts_(std::move(opts)) {
  metrics_.describe("bottega_events_dispatched_total", "counter", "Outbox events delivered to listeners");
  metrics_.describe("bottega_dispatcher_leader", "gauge",
                    "1 while this node holds the dispatcher lease (delivers events to merchant webhooks)");
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  int64_t cursor = 0, newest = 0;
  // No stored cursor means nothing was ever dispatched from this database: start at the
  // beginning, so events committed before a crash that came before the first persist are not
  // skipped.
  store::read_sync(store_, [&](store::Tx& tx) {
    cursor = stored_cursor(tx).value_or(0);
    newest = repo::max_event_seq(tx);
  });
  durable_cursor_ = cursor;
  persisted_ = cursor;
  if (opts_.shared) {
    // Nobody here is waiting for older events: sockets that reconnect replay from their cursor.
    local_cursor_ = newest;
    refresh_lease(false);
  } else {
    local_cursor_ = cursor;
    leader_ = true;
    metrics_.set("bottega_dispatcher_leader", {}, 1.0);
  }
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
    read_ = true;
  }
  cv_.notify_one();
}

void Dispatcher::offer(Event e) {
  {
    std::lock_guard lk(mu_);
    woken_ = true;
    // Out of order or too many: keep nothing new, read the outbox (it has them all).
    if (offered_.size() >= opts_.max_offered || (!offered_.empty() && e.seq <= offered_.back().seq)) read_ = true;
    else offered_.push_back(std::move(e));
  }
  cv_.notify_one();
}

Dispatcher::Take Dispatcher::take_offered(int64_t from, std::vector<Event>& out) {
  std::lock_guard lk(mu_);
  while (!offered_.empty() && offered_.front().seq <= from) offered_.pop_front();  // delivered already
  if (read_) return Take::read;                 // asked for (notify, poll, a full read before)
  if (offered_.empty()) return Take::none;      // everything offered is delivered, nothing else known
  if (offered_.front().seq != from + 1) return Take::read;  // a gap: only the outbox knows
  int64_t next = from + 1;
  while (!offered_.empty() && offered_.front().seq == next && static_cast<int>(out.size()) < opts_.batch) {
    out.push_back(std::move(offered_.front()));
    offered_.pop_front();
    ++next;
  }
  return Take::events;
}

// Takes or renews the lease (or gives it up). Every write batch on PostgreSQL holds one advisory
// lock, so this read-then-write cannot interleave with another node's; on SQLite there is one
// writer. Wall clocks of nodes are compared, so the holder counts its lease as lasting only half
// as long as the others do (clock skew up to lease_ms / 2 is harmless; beyond, two holders
// overlap, which cluster listeners tolerate).
void Dispatcher::refresh_lease(bool release) {
  int64_t now = wall_ms();
  bool got = false, was = leader_.load();
  std::optional<int64_t> cursor;
  std::string me = opts_.owner;
  int64_t lease = opts_.lease_ms;
  auto st = store::write_sync(store_, [&](store::Tx& tx) -> Status {
    got = false;  // this fn may run twice: outputs start over
    cursor.reset();
    std::string holder;
    int64_t until = 0;
    if (auto v = repo::kv_get(tx, kLeaseKey)) {
      auto sp = v->rfind(' ');
      if (sp != std::string::npos) {
        holder = v->substr(0, sp);
        until = std::stoll(v->substr(sp + 1));
      }
    }
    if (release) {
      if (holder == me) repo::kv_set(tx, kLeaseKey, me + " 0");
      return {};
    }
    if (holder.empty() || holder == me || until < now) {
      repo::kv_set(tx, kLeaseKey, me + " " + std::to_string(now + lease));
      got = true;
      cursor = stored_cursor(tx);
    }
    return {};
  });
  lease_renewed_ = now;
  if (!st.ok()) {
    if (now >= lease_until_) leader_ = false;
    return;
  }
  if (release) {
    leader_ = false;
    return;
  }
  if (got) {
    lease_until_ = now + lease / 2;
    if (!was) {  // take over from where the last holder stored its cursor
      durable_cursor_ = cursor.value_or(0);
      persisted_ = durable_cursor_;
      std::fprintf(stderr, "dispatcher: %s delivers events to webhooks from seq %lld\n", me.c_str(),
                   static_cast<long long>(durable_cursor_));
    }
  }
  leader_ = got;
  metrics_.set("bottega_dispatcher_leader", {}, got ? 1.0 : 0.0);
}

void Dispatcher::persist() {
  if (!leader_.load()) return;
  int64_t c = durable_cursor_;
  if (c == persisted_) return;
  // Never moves the stored cursor back (a former holder that lost its lease may be behind).
  auto st = store::write_sync(store_, [c](store::Tx& tx) -> Status {
    if (stored_cursor(tx).value_or(0) < c) repo::kv_set(tx, kCursorKey, std::to_string(c));
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
      if (!cv_.wait_for(lk, std::chrono::milliseconds(opts_.poll_ms), [&] { return woken_ || stop_; }))
        read_ = true;  // the poll: whatever memory says, look at the outbox
      if (stop_) break;
      woken_ = false;
    }
    if (opts_.shared && wall_ms() - lease_renewed_ >= opts_.lease_ms / 4) refresh_lease(false);
    if (opts_.shared && leader_.load() && wall_ms() >= lease_until_) {
      leader_ = false;
      metrics_.set("bottega_dispatcher_leader", {}, 0.0);
    }
    for (;;) {  // drain
      bool lead = leader_.load();
      int64_t local = local_cursor_.load();
      int64_t from = lead ? std::min(local, durable_cursor_) : local;
      std::vector<Event> batch;
      bool read = false;
      Take take = take_offered(from, batch);
      if (take == Take::none) break;
      if (take == Take::read) {
        {
          std::lock_guard lk(mu_);
          read_ = false;  // a notify() from now on asks for another read
        }
        read = true;
        store_reads_++;
        try {
          store::read_sync(store_, [&](store::Tx& tx) { batch = repo::events_after(tx, from, opts_.batch); });
        } catch (const store::DbError& e) {
          std::fprintf(stderr, "dispatcher: read failed: %s\n", e.message.c_str());
          std::lock_guard lk(mu_);
          read_ = true;
          break;
        }
      }
      if (batch.empty()) break;
      for (const auto& e : batch) {
        if (e.seq > local)
          for (auto* l : local_) l->on_event(e);
        if (lead && e.seq > durable_cursor_)
          for (auto* l : cluster_) l->on_event(e);
      }
      for (auto* l : local_) l->on_batch_end();
      if (lead)
        for (auto* l : cluster_) l->on_batch_end();
      local_cursor_ = std::max(local, batch.back().seq);
      if (lead) durable_cursor_ = batch.back().seq;
      metrics_.inc("bottega_events_dispatched_total", {}, static_cast<double>(batch.size()));
      if (read && static_cast<int>(batch.size()) == opts_.batch) {
        std::lock_guard lk(mu_);
        read_ = true;  // the outbox may have more
      }
    }
    if (clock::now() - last_persist > std::chrono::milliseconds(opts_.persist_every_ms)) {
      persist();
      last_persist = clock::now();
    }
  }
  persist();
  if (opts_.shared && leader_.load()) refresh_lease(true);  // the next node need not wait
}

}  // namespace bottega::pipeline
