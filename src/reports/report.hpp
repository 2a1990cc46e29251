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
  std::string source;           // "day" (the shop's day grain), "hour" (UTC hours + quarter-hour edges), "quarter_hour"
  std::map<std::tuple<size_t, std::string, std::string, std::string>, int64_t> counts;  // day, metric, dim, currency
  std::map<std::tuple<size_t, std::string, std::string>, Histogram> hists;              // day, metric, dim
  std::map<std::string, std::string> labels;  // "ch:<id>" / "by:agent:<id>" -> name
};
// The figures `report` needs ("" = every figure per day; "summary" = every figure's total over the
// range only). The shop's zone (or one with the same days) reads the day grain; any other zone
// UTC hours, and quarter hours for the part of an hour a :30/:45 zone's day starts or ends in (a
// summary also the shop's whole days inside the range). quarters_only: every figure per day from
// quarter hours only (the reference the other paths are tested against).
Data load(store::Tx& tx, const std::string& tenant, const Range& r, const Settings& s, const std::string& report = "",
          bool quarters_only = false);

// A run of buckets of one grain that belongs to one period (local day) of a range.
struct Span {
  char grain;      // 'h' or 'q' ('d': the shop's local days)
  int64_t lo, hi;  // buckets [lo, hi)
  size_t period;
};
// The spans that make up the local days between starts (UTC ms, days + 1 boundaries).
std::vector<Span> spans(const std::vector<int64_t>& starts, bool quarters_only = false);

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
