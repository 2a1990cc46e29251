// Reading the aggregates: a date range in a time zone -> report tables (JSON and CSV). Reads only
// rpt_counts / rpt_hist rows of the range (plus channel and agent names), never messages.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "reports/aggregator.hpp"
#include "reports/histogram.hpp"
#include "reports/tz.hpp"

namespace bottega::reports {

inline constexpr int64_t kMaxRangeDays = 400;

// The reports, in the order the API lists them.
const std::vector<std::string>& report_names();
bool is_report(const std::string& name);

struct Range {
  Date from, to;  // local dates, inclusive
  std::shared_ptr<const TimeZone> tz;
  int64_t window_days = 7;
};
// from/to "YYYY-MM-DD" (default: the 30 days up to today in the zone), tz an IANA name (default:
// the tenant's), window_days 1..90 (default: the tenant's). Errors name the field.
Result<Range> parse_range(const std::optional<std::string>& from, const std::optional<std::string>& to,
                          const std::optional<std::string>& tz, const std::optional<std::string>& window_days,
                          const Settings& s, int64_t now_ms);

// Figures of a range, per local day (index into days) and summed.
struct Data {
  std::vector<Date> days;
  std::vector<int64_t> starts;  // days.size() + 1 UTC ms boundaries
  bool day_grain = false;       // read from the day grain (the tenant's zone) or quarter hours
  std::map<std::tuple<size_t, std::string, std::string, std::string>, int64_t> counts;  // day, metric, dim, currency
  std::map<std::tuple<size_t, std::string, std::string>, Histogram> hists;              // day, metric, dim
  std::map<std::string, std::string> labels;  // "ch:<id>" / "by:agent:<id>" -> name
};
Data load(store::Tx& tx, const std::string& tenant, const Range& r, const Settings& s);

using Cell = std::variant<std::monostate, int64_t, double, std::string>;
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};
// REQUIRES: is_report(name).
Table build(const std::string& name, const Data& d, const Range& r);

boost::json::object to_json(const std::string& name, const Table& t, const Range& r, const Data& d);
// RFC 4180 with CRLF line ends; text cells starting with = + - @ (or a tab / carriage return) get a
// leading apostrophe so spreadsheets do not run them as formulas.
std::string to_csv(const Table& t);
std::string csv_cell(const Cell& c);

}  // namespace bottega::reports
