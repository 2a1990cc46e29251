// Incrementally maintained report aggregates (docs/reports.md).
//
// The aggregator consumes the outbox: conversation, message, payment, refund, order, bot-turn, SLA
// and CSAT events. It is a cluster listener of the dispatcher (once per database), but it does not
// trust the dispatcher's delivery for counting: it keeps its own cursor ("reports.cursor" in the
// kv table) and, after each delivered batch, reads the outbox after that cursor and applies those
// events and the new cursor in ONE write transaction. So an event is counted exactly once: a
// redelivery after a crash or a lease handover finds the cursor already past it, a rolled-back
// transaction counted nothing, and history written before reports existed is caught up.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "reports/histogram.hpp"
#include "reports/tz.hpp"

namespace bottega::reports {

using store::Tx;

inline constexpr int64_t kQuarterMs = 15 * 60 * 1000;  // 'q' grain: UTC quarter hours
inline constexpr int64_t kHourMs = 60 * 60 * 1000;     // 'h' grain: UTC hours
inline constexpr const char* kCursorKey = "reports.cursor";
inline constexpr int64_t kMaxWindowDays = 90;         // time-window attribution is recorded up to this

struct Settings {
  std::string time_zone = "UTC";
  int64_t window_days = 7;  // time-window attribution: an order less than N days after a conversation
};
Settings get_settings(Tx& tx, const std::string& tenant);
// Stores the settings; when the time zone changes, rebuilds the tenant's day grain from the
// quarter-hour grain in the same transaction. Errors: invalid time_zone / window_days.
Status put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now);

// Applies events inside one write transaction. Not thread-safe; one per transaction.
class Aggregator {
 public:
  explicit Aggregator(Tx& tx) : tx_(tx) {}
  // `payload`: e.payload_json already parsed (by the caller, on another thread: the writer thread
  // that runs the transaction is the serial part of every write); null: parsed here.
  void apply(const Event& e, const boost::json::value* payload = nullptr);
  // Writes the accumulated deltas and state rows. Call once, after the last apply().
  void flush();
  // Aggregate rows flushed (upserted) so far per grain (rpt_counts + rpt_hist): the write cost
  // of each grain (reports_benchmark prints it).
  struct Written {
    int64_t q = 0, h = 0, d = 0;
  };
  const Written& written() const { return written_; }

 private:
  struct Conv {
    bool loaded = false, exists = false, dirty = false;
    std::string channel_id, contact_id;
    int64_t created_at = 0;
    std::optional<int64_t> first_response_at, resolved_at;
    bool presale = false, paid = false, human = false, bot = false, helpful = false;
  };
  struct Pay {
    bool loaded = false, exists = false, dirty = false;
    std::optional<std::string> conversation_id;
    std::string channel_id, sender, currency;
    int64_t amount = 0, created_at = 0;
    int64_t credit = 0;  // the store credit applied to it (payment.credit_applied)
    bool sent = false, opened = false, paid = false, expired = false;
    std::optional<int64_t> paid_at;
    // A link not sent in a conversation whose order the time window attributed: the window's
    // dimension (dNN) and the order's paid time, so its refunds are netted there.
    std::string window_dim;
    std::optional<int64_t> window_at;
  };
  using CountKey = std::tuple<std::string, char, int64_t, std::string, std::string, std::string>;
  using HistKey = std::tuple<std::string, char, int64_t, std::string, std::string>;

  const TimeZone& zone(const std::string& tenant);
  void count(const std::string& tenant, int64_t at_ms, const std::string& metric,
             const std::vector<std::string>& dims, const std::string& currency, int64_t delta);
  void hist(const std::string& tenant, int64_t at_ms, const std::string& metric,
            const std::vector<std::string>& dims, int64_t seconds, int64_t delta);
  // The state of a conversation / payment, loaded once per transaction. Unknown so far: created
  // from the event's payload (when given) or from the area's own row, and counted.
  Conv& conv(const std::string& tenant, const std::string& id, const boost::json::object* payload = nullptr);
  Pay& pay(const std::string& tenant, const std::string& id, const boost::json::object* payload = nullptr);
  // Applies the change of a conversation's cohort figures between `before` and its current state.
  void conv_delta(const std::string& tenant, const Conv& before, const Conv& after);
  void pay_delta(const std::string& tenant, const Pay& before, const Pay& after);
  bool seen(const std::string& tenant, const std::string& key);  // records it; true when already there

  void apply_parsed(const Event& e, const boost::json::value& v);
  void on_conversation(const Event& e, const boost::json::object& d);
  void on_message(const Event& e, const boost::json::object& d);
  void on_payment(const Event& e, const boost::json::object& d);
  void on_refund(const Event& e, const boost::json::object& d);
  void on_order_paid(const Event& e, const boost::json::object& d);
  void on_cart_reminder(const Event& e, const boost::json::object& d);
  void on_bot_turn(const Event& e, const boost::json::object& d);
  void on_sla(const Event& e, const boost::json::object& d);
  void on_csat(const Event& e, const boost::json::object& d);

  Tx& tx_;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones_;
  std::map<CountKey, int64_t> counts_;
  std::map<HistKey, Histogram> hists_;
  std::map<std::pair<std::string, std::string>, Conv> convs_;
  std::map<std::pair<std::string, std::string>, Pay> pays_;
  std::map<std::pair<std::string, std::string>, int64_t> contacts_;  // last activity, dirty only
  Written written_;
};

struct CatchUp {
  int64_t applied = 0;  // events read and applied
  int64_t cursor = 0;   // the stored cursor afterwards
  bool more = false;    // the outbox has more after the cursor
};
// Reads up to `limit` outbox events after the stored cursor, applies them and stores the new
// cursor, all in the caller's write transaction. `delivered` (optional): events the dispatcher
// delivered, in seq order. When those after the stored cursor continue it without a gap (cursor
// + 1, + 2, ...), they are exactly the outbox's next events and are applied instead of reading
// the outbox back; otherwise the outbox is read. `parsed` (optional, with `delivered`): their
// payloads, parsed, in the same order (ReportsListener parses them on the dispatcher thread, off
// the writer thread that runs this transaction).
CatchUp apply_pending(Tx& tx, int64_t limit, const std::vector<Event>* delivered = nullptr,
                      const std::vector<boost::json::value>* parsed = nullptr);
int64_t stored_cursor(Tx& tx);

}  // namespace bottega::reports
