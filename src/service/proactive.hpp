// Proactive messages: one abandoned-cart reminder per cart, and order status updates on WhatsApp
// through approved templates. Both respect the contact's opt-out (pipeline/optout.hpp) and the
// channel's messaging window (channels/window.hpp). See docs/service.md "Proactive messages".
//
// Cart reminders, exactly once on one node or several:
// - scan_carts (every node, once a second, in SlaMonitor): open carts with items, idle for the
//   tenant's delay, no reminder yet -> a cart_reminders row ("queued"; primary key tenant+cart,
//   insert or nothing) and, only when the insert took, a durable "cart.reminder" job, in one
//   transaction. Two nodes scanning at once queue one job.
// - run_reminder (the job): claims the row (queued -> running, a conditional update, so a second
//   run waits for the first and then finds nothing to do), checks the cart again and sends or
//   records why not, all in one transaction with the message, its provider send job and the
//   cart.reminder_sent event. A rolled-back attempt sent nothing; a retried one starts over.
// Order updates: the service listener, on order.paid / order.fulfilled, records the update in
// order_notifications (primary key order+kind, insert or nothing) and sends the configured
// template in the same transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/store.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::service {

inline constexpr const char* kReminderJob = "cart.reminder";
inline constexpr int64_t kMaxCartAgeMs = 7LL * 24 * 3600 * 1000;  // carts idle longer are not reminded

// An approved WhatsApp template and what fills its body parameters ({{1}}.. in order).
struct TemplateChoice {
  std::string name, language;
  std::vector<std::string> parameters;  // variable names, e.g. "contact.first_name", "cart.total"
};

struct ProactiveSettings {
  bool reminders = false;
  int64_t delay_seconds = 3600;
  std::string reminder_message;                     // "" -> the default in the customer's language
  std::optional<TemplateChoice> reminder_template;  // WhatsApp after the 24-hour window
  bool order_updates = false;
  std::optional<TemplateChoice> order_paid, order_fulfilled;
};

// Variables of reminder messages/templates and of order templates (null-terminated lists).
const char* const* reminder_variables();
const char* const* order_variables();

// Applies a patch {"cart_reminder": {...}, "order_updates": {...}}: fields given replace; errors
// name the field ("cart_reminder.delay_seconds", "order_updates.paid.parameters[1]"). Pure.
Result<ProactiveSettings> apply_proactive_patch(ProactiveSettings base, const boost::json::object& patch);
boost::json::object to_json(const ProactiveSettings& s);
ProactiveSettings load_proactive(store::Tx& tx, const std::string& tenant);
Result<ProactiveSettings> update_proactive(store::Tx& tx, const std::string& tenant, const boost::json::object& patch,
                                           int64_t now);

// Queues reminders for carts that became due (every tenant); returns how many jobs were queued.
int64_t scan_carts(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit);

struct ReminderResult {
  std::string status;  // sent | skipped | requeued
  std::string reason;  // why skipped / requeued
  std::optional<std::string> message_id;
};
// The cart.reminder job's work. nullopt when the reminder was handled before.
std::optional<ReminderResult> run_reminder(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                           const std::string& cart_id);
// The job handler (store write, then done).
void run_reminder_job(store::Store& store, pipeline::Env env, const ::bottega::repo::Job& job,
                      std::function<void(pipeline::JobOutcome)> done);

// Sends the order update of `kind` ("paid" | "fulfilled") once per order and kind when the tenant
// has it configured; returns the status recorded (sent / skipped), nullopt when nothing was done.
std::optional<std::string> notify_order(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                        const std::string& order_id, const std::string& kind);

// GET /api/v1/proactive/cart_reminders: the tenant's reminders, newest first.
boost::json::array list_reminders(store::Tx& tx, const std::string& tenant, int64_t limit);
// The order updates recorded for an order.
boost::json::array order_notifications(store::Tx& tx, const std::string& tenant, const std::string& order_id);

// The default reminder text in a language ("en", "it", "de", "nl"; others English) with
// {{contact.first_name}}, {{cart.items}}, {{cart.total}}.
const char* reminder_default(const std::string& lang);

}  // namespace bottega::service
