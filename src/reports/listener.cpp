#include "reports/listener.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstdio>

#include "reports/aggregator.hpp"

namespace bottega::reports {

ReportsListener::ReportsListener(store::Store& store, Metrics& metrics, int64_t batch)
    : store_(store), metrics_(metrics), batch_(batch) {
  metrics_.describe("bottega_reports_events_applied_total", "counter", "Outbox events applied to the report aggregates");
  metrics_.describe("bottega_reports_cursor", "gauge", "Outbox position the report aggregates include");
}

void ReportsListener::on_event(const Event& e) {
  newest_seen_ = std::max(newest_seen_, e.seq);
  delivered_.push_back(e);
  if (parsed_.empty()) arena_ = boost::json::make_shared_resource<boost::json::monotonic_resource>();
  boost::system::error_code ec;
  auto v = boost::json::parse(e.payload_json, ec, arena_);
  parsed_.push_back(ec ? boost::json::value(arena_) : std::move(v));  // unparsable: null, skipped as before
}

void ReportsListener::on_batch_end() {
  if (newest_seen_ > cursor_.load()) catch_up(&delivered_, &parsed_);
  delivered_.clear();
  parsed_.clear();
  arena_ = {};  // frees the batch's arena
}

void ReportsListener::start() {
  background_ = std::thread([this] { catch_up(); });
}

void ReportsListener::stop() {
  stop_ = true;
  if (background_.joinable()) background_.join();
}

int64_t ReportsListener::catch_up(const std::vector<Event>* delivered, const std::vector<boost::json::value>* parsed) {
  int64_t total = 0;
  int failures = 0;
  while (!stop_.load()) {
    CatchUp r;
    auto st = store::write_sync(store_, [&](store::Tx& tx) -> Status {
      r = apply_pending(tx, batch_, delivered, parsed);  // all inside this transaction (it may run twice: no side effects)
      return {};
    });
    if (!st.ok()) {
      std::fprintf(stderr, "reports: applying events failed: %s\n", st.error().message.c_str());
      if (++failures >= 5) break;  // the next batch (or the next start) continues from the cursor
      continue;
    }
    failures = 0;
    total += r.applied;
    cursor_ = r.cursor;
    metrics_.inc("bottega_reports_events_applied_total", {}, static_cast<double>(r.applied));
    metrics_.set("bottega_reports_cursor", {}, static_cast<double>(r.cursor));
    if (!r.more) break;
  }
  return total;
}

}  // namespace bottega::reports
