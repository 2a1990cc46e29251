// Inbox operations in the message path: the priority score and SLA clock of every conversation,
// kept current by a cluster listener, and the SLA breach detector.
//
// - ServiceListener (a cluster listener: once per database, on the dispatcher lease holder):
//   after each batch of committed events it recomputes, for every conversation the batch touched,
//   the stored score base, the SLA clock and the due times (conversation_service). It reads the
//   state from the database, so a redelivered batch changes nothing.
// - SlaMonitor: a timer on every node that scans due rows and, in one transaction per scan,
//   records each breach in sla_breaches (primary key conversation, target, due time; insert or
//   nothing) and emits conversation.sla_breached only when the insert took. Two nodes scanning
//   at once, or a scan run twice, therefore emit one event per conversation, target and due time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include <boost/json/object.hpp>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"
#include "service/service_repo.hpp"
#include "service/sla.hpp"

namespace bottega::service {

ServiceSettings load_settings(store::Tx& tx, const std::string& tenant);
// Validates and stores a settings patch, then recomputes the due times of the tenant's active
// conversations (up to 5000, newest first). Returns the new settings.
Result<ServiceSettings> update_settings(store::Tx& tx, const std::string& tenant, const boost::json::object& patch,
                                        int64_t now);

// Recomputes one conversation's stored state (see ServiceListener). No-op for an unknown one.
// True when the stored state changed.
bool recompute(store::Tx& tx, const std::string& tenant, const std::string& conversation_id,
               const ServiceSettings& settings, int64_t now);
// Whether recompute would change the stored state (reads only: a read transaction will do).
bool recompute_would_change(store::Tx& tx, const std::string& tenant, const std::string& conversation_id,
                            const ServiceSettings& settings, int64_t now);

// Records and emits the breaches due at `now` (at most `limit` conversations); returns how many
// events were emitted.
int64_t scan_breaches(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit);

// {"priority_score": {...}, "sla": {...}} for the conversation JSON (see docs/service.md).
boost::json::object service_json(store::Tx& tx, const Conversation& c, int64_t now);
// The same, for a page of conversations.
void add_service_json(store::Tx& tx, const Conversation& c, boost::json::object& out, int64_t now);

// Also assigns conversations that need a person (operations.hpp, maybe_assign) when the tenant
// has automatic assignment on, and sends WhatsApp order updates on order.paid / order.fulfilled
// (proactive.hpp, notify_order).
class ServiceListener final : public EventListener {
 public:
  ServiceListener(store::Store& store, pipeline::Env env) : store_(store), env_(std::move(env)) {}
  void on_event(const Event& e) override;
  void on_batch_end() override;

 private:
  void rescore_customer(store::Tx& tx, const std::string& tenant, const std::string& order_id,
                        const ServiceSettings& settings, int64_t now);
  store::Store& store_;
  pipeline::Env env_;
  std::set<std::pair<std::string, std::string>> pending_;  // dispatcher thread only
  std::set<std::tuple<std::string, std::string, std::string>> orders_;  // tenant, order, paid|fulfilled
};

// Each scan also queues the abandoned-cart reminders that became due (proactive.hpp, scan_carts).
class SlaMonitor {
 public:
  SlaMonitor(store::Store& store, pipeline::Env env, Metrics& metrics, int interval_ms = 1000);
  ~SlaMonitor();
  void start();
  void stop();
  // One scan now (tests); returns the events emitted.
  int64_t scan_once();

 private:
  void loop();
  store::Store& store_;
  pipeline::Env env_;
  Metrics& metrics_;
  int interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bottega::service
