// Delivers committed outbox events, in order, to listeners. Woken right after a local commit, by
// the store's change notices (PostgreSQL LISTEN/NOTIFY: events committed by other nodes), and
// every poll interval as a fallback.
//
// Two kinds of listeners:
// - local listeners (the WebSocket hub) get every event on every node, from a cursor kept in
//   memory that starts at the newest event when the node starts (clients resume with their own
//   cursor, read from the database);
// - cluster listeners (merchant webhooks: anything with a durable effect) get every event once
//   per database: only on the node holding the dispatcher lease, from the durable cursor stored in
//   the database once every cluster listener has handled a batch. After a crash or a lease
//   handover events are redelivered, never skipped; cluster listeners are idempotent (see
//   WebhookService), so a redelivery or a brief overlap of two lease holders changes nothing.
// With `shared` off (SQLite: one process per database) this node is always the lease holder and
// local listeners start from the durable cursor too.
//
// Events this process commits are handed over in memory (offer(), called after the commit by
// pipeline::emit's hook) instead of being read back from the outbox. The dispatcher uses them only
// while they continue its cursor without a gap (seq = cursor + 1, + 2, ...): any gap (an event of
// another node, one committed without the hook, a dropped offer), a notify() (other nodes' commits,
// writes that did not offer their events) and every poll interval make it read the outbox instead,
// as it always did. So memory only saves reads; it never decides what is delivered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
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
  size_t max_offered = 8192;    // events kept in memory for the loop; beyond, offers are dropped
  bool shared = false;          // several nodes may use the database: take the lease
  std::string owner = "node";   // lease owner: unique per process
  int64_t lease_ms = 10'000;    // a dead lease holder is replaced after this long
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, Metrics& metrics, DispatcherOptions opts = {});
  ~Dispatcher();
  // Once per database (on the lease holder). REQUIRES: called before start().
  void add_listener(EventListener* l) { cluster_.push_back(l); }
  // On every node. REQUIRES: called before start().
  void add_local_listener(EventListener* l) { local_.push_back(l); }
  // Loads the durable cursor (none yet: from the first event) and starts.
  void start();
  // Stops; the lease holder stores its cursor and gives the lease up.
  void stop();
  // Thread-safe, cheap: wakes the dispatcher, which then reads the outbox.
  void notify();
  // Thread-safe: an event that has just committed (call in commit order: from the commit's
  // after_commit hook, which the store runs in commit order once the commit is durable). Wakes the dispatcher; see above for when it is used.
  void offer(Event e);
  // Outbox reads the loop made (tests, metrics).
  uint64_t store_reads() const { return store_reads_.load(); }
  // The last event delivered to local listeners.
  int64_t cursor() const { return local_cursor_.load(); }
  // Whether this node delivers to cluster listeners now.
  bool leader() const { return leader_.load(); }

 private:
  void loop();
  // Moves the offered events that continue `from` (up to opts_.batch) into out (events), or says
  // that the outbox must be read (a read was asked for, or memory does not continue `from`), or
  // that there is nothing to do (none).
  enum class Take { events, read, none };
  Take take_offered(int64_t from, std::vector<Event>& out);
  void persist();
  void refresh_lease(bool release);

  store::Store& store_;
  Metrics& metrics_;
  DispatcherOptions opts_;
  std::vector<EventListener*> cluster_, local_;
  std::atomic<int64_t> local_cursor_{0};
  int64_t durable_cursor_ = 0;  // loop thread only
  int64_t persisted_ = 0;
  std::atomic<bool> leader_{false};
  int64_t lease_until_ = 0;     // wall clock ms; loop thread only
  int64_t lease_renewed_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool read_ = true;             // the outbox may hold events memory does not (guarded by mu_)
  std::deque<Event> offered_;    // guarded by mu_, in seq order
  std::atomic<uint64_t> store_reads_{0};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bottega::pipeline
