// GCC 12 reports std::variant<..., std::string> cells in initializer lists as maybe-uninitialized
// (a known false positive at -O2).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "reports/report.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <functional>
#include <set>
#include <unordered_map>

#include "store/repo/repo.hpp"

namespace bottega::reports {

namespace bj = boost::json;
using store::Stmt;

namespace {

// What a report reads: its counters and histograms (per day and in total), or, for the summary,
// every figure's total over the range only.
struct Need {
  std::vector<std::string> counts, hists;  // metrics; empty = none (`all` = every metric)
  bool all = false, totals_only = false;
};
const Need& need_of(const std::string& report) {
  static const std::map<std::string, Need> kNeeds = {
      {"", {{}, {}, true, false}},
      {"summary", {{}, {}, true, true}},
      {"conversations", {{"conversations", "presale", "presale_paid", "resolved"}, {}}},
      {"revenue", {{"payments", "revenue", "refunds", "refund_count", "credit_spent", "refunds_credit"}, {}}},
      {"attribution_window",
       {{"window_orders", "window_revenue", "window_credit_spent", "window_refunds", "window_refunds_credit"}, {}}},
      {"links", {{"links_created", "links_sent", "links_opened", "links_paid", "links_expired"}, {}}},
      {"response_times", {{}, {"first_response", "resolution"}}},
      {"bot",
       {{"bot_conversations", "contained", "contained_helpful", "bot_turns", "bot_answered", "bot_helpful",
         "bot_not_helpful", "bot_handed_over"},
        {}}},
      {"sla", {{"sla_breaches"}, {}}},
      {"csat", {{"csat_responses", "csat_score_sum", "csat_satisfied"}, {}}},
  };
  auto it = kNeeds.find(report);
  return it == kNeeds.end() ? kNeeds.at("") : it->second;
}

// The statements of a report: counter and histogram rows of a bucket range, restricted to the
// report's metrics. Built once; a Stmt's SQL must outlive the store's statement cache (keyed by
// its address).
struct Stmts {
  std::string sql[2], names[2];
  Stmt rows{}, hists{};
  bool counts = false, histograms = false;
};
const Stmts& stmts_of(const std::string& report) {
  static const std::map<std::string, Stmts> kStmts = [] {
    std::map<std::string, Stmts> out;
    for (const auto& name : report_names()) {
      for (const std::string& r : {name, std::string()}) {
        if (out.count(r)) continue;
        const Need& n = need_of(r);
        auto in = [&](const std::vector<std::string>& metrics) {
          if (n.all) return std::string();
          std::string w = " AND metric IN (";
          for (size_t i = 0; i < metrics.size(); ++i) w += (i ? ",'" : "'") + metrics[i] + "'";
          return w + ")";
        };
        Stmts& st = out[r];
        const std::string range = " WHERE tenant_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4";
        st.sql[0] = "SELECT bucket, metric, dim, currency, value FROM rpt_counts" + range + in(n.counts);
        st.sql[1] = "SELECT bucket, metric, dim, bins FROM rpt_hist" + range + in(n.hists);
        const std::string tag = r.empty() ? "all" : r;
        st.names[0] = "reports.rows." + tag;
        st.names[1] = "reports.hists." + tag;
        st.counts = n.all || !n.counts.empty();
        st.histograms = n.all || !n.hists.empty();
      }
    }
    for (auto& [r, st] : out) {  // (the map's nodes do not move: the pointers stay valid)
      st.rows = Stmt{st.names[0].c_str(), st.sql[0].c_str()};
      st.hists = Stmt{st.names[1].c_str(), st.sql[1].c_str()};
    }
    return out;
  }();
  auto it = kStmts.find(report);
  return it == kStmts.end() ? kStmts.at("") : it->second;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

double rate(int64_t num, int64_t den) {
  if (den <= 0) return 0;
  return std::round(static_cast<double>(num) / static_cast<double>(den) * 10000.0) / 10000.0;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// dim -> breakdown, key
std::pair<std::string, std::string> split_dim(const std::string& dim) {
  if (dim == "all") return {"total", ""};
  if (starts_with(dim, "ch:")) return {"channel", dim.substr(3)};
  if (starts_with(dim, "by:agent:")) return {"agent", dim.substr(9)};
  if (dim == "by:bot") return {"bot", "bot"};
  if (dim == "by:api") return {"api", "api"};
  if (starts_with(dim, "by:")) return {"agent", dim.substr(3)};  // none, unknown, unassigned
  if (starts_with(dim, "target:")) return {"target", dim.substr(7)};
  return {"other", dim};
}

std::string label_of(const Data& d, const std::string& dim) {
  if (auto it = d.labels.find(dim); it != d.labels.end()) return it->second;
  if (dim == "all") return "All";
  if (dim == "by:bot") return "Bot";
  if (dim == "by:api") return "API";
  if (dim == "by:none" || dim == "by:unassigned") return "Unassigned";
  if (dim == "by:unknown") return "Unknown";
  return split_dim(dim).second;
}

struct View {
  const Data& d;
  size_t total() const { return d.days.size(); }
  int64_t get(size_t p, const std::string& m, const std::string& dim, const std::string& cur = "") const {
    auto it = d.counts.find({p, m, dim, cur});
    return it == d.counts.end() ? 0 : it->second;
  }
  const Histogram* hist(size_t p, const std::string& m, const std::string& dim) const {
    auto it = d.hists.find({p, m, dim});
    return it == d.hists.end() ? nullptr : &it->second;
  }
  std::string period(size_t p) const { return p == total() ? "total" : format_date(d.days[p]); }
};

bool matches(const std::string& dim, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (p == dim || (p.back() == ':' && starts_with(dim, p))) return true;
  return false;
}

using Derive = std::function<void(std::vector<Cell>&, const std::vector<int64_t>&)>;

// Rows per period (each day, then "total") x dimension x currency for `metrics`: the first
// names.size() are columns, the others only feed `derive`. The "all" dimension always has a row
// per day (continuous series); others only when not all zero.
void breakdown(Table& t, const Data& d, const std::vector<std::string>& metrics,
               const std::vector<std::string>& prefixes, bool by_currency, const std::vector<std::string>& names,
               const std::vector<std::string>& derived_names, const Derive& derive) {
  View v{d};
  t.columns = {"period", "breakdown", "key", "label"};
  if (by_currency) t.columns.push_back("currency");
  for (const auto& n : names) t.columns.push_back(n);
  for (const auto& n : derived_names) t.columns.push_back(n);
  std::set<std::pair<std::string, std::string>> keys;  // dim, currency
  std::set<std::string> currencies;
  for (const auto& [k, val] : d.counts) {
    const auto& [p, m, dim, cur] = k;
    if (std::find(metrics.begin(), metrics.end(), m) == metrics.end() || !matches(dim, prefixes)) continue;
    keys.insert({dim, cur});
    currencies.insert(cur);
  }
  if (!by_currency) {
    currencies = {""};
    keys.insert({"all", ""});
  }
  for (size_t p = 0; p <= v.total(); ++p) {
    // "all" first, then the others in key order.
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto& cur : currencies)
      if (!by_currency || !cur.empty()) ordered.push_back({"all", cur});
    for (const auto& k : keys)
      if (k.first != "all") ordered.push_back(k);
    for (const auto& [dim, cur] : ordered) {
      std::vector<int64_t> vals;
      bool any = false;
      for (const auto& m : metrics) {
        vals.push_back(v.get(p, m, dim, cur));
        any = any || vals.back() != 0;
      }
      if (!any && dim != "all") continue;
      auto [bd, key] = split_dim(dim);
      std::vector<Cell> row{v.period(p), bd, key, label_of(d, dim)};
      if (by_currency) row.push_back(cur);
      for (size_t i = 0; i < names.size() && i < vals.size(); ++i) row.push_back(vals[i]);
      if (derive) derive(row, vals);
      t.rows.push_back(std::move(row));
    }
  }
}

// An average in minor units (rounded), null without orders.
Cell average(int64_t sum, int64_t n) {
  if (n <= 0) return std::monostate{};
  return static_cast<int64_t>(std::llround(static_cast<double>(sum) / static_cast<double>(n)));
}

Cell pct(const Histogram* h, double p) {
  if (!h) return std::monostate{};
  auto x = h->percentile(p);
  if (!x) return std::monostate{};
  return *x;
}

}  // namespace

const std::vector<std::string>& report_names() {
  static const std::vector<std::string> kNames = {"summary", "conversations", "revenue",  "attribution_window",
                                                  "links",   "response_times", "bot",     "sla",
                                                  "csat"};
  return kNames;
}

bool is_report(const std::string& name) {
  const auto& n = report_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

Result<Range> parse_range(const std::optional<std::string>& from, const std::optional<std::string>& to,
                          const std::optional<std::string>& tz, const std::optional<std::string>& window_days,
                          const Settings& s, int64_t now_ms) {
  Range r;
  auto z = TimeZone::load(tz.value_or(s.time_zone));
  if (!z) {
    auto e = z.error();
    e.field = "tz";
    return e;
  }
  r.tz = *z;
  if (to) {
    auto d = parse_date(*to);
    if (!d) return Error::invalid("to", "to is a date YYYY-MM-DD");
    r.to = *d;
  } else {
    r.to = r.tz->local_date(now_ms);
  }
  if (from) {
    auto d = parse_date(*from);
    if (!d) return Error::invalid("from", "from is a date YYYY-MM-DD");
    r.from = *d;
  } else {
    r.from = civil_from_days(days_from_civil(r.to) - 29);
  }
  if (r.from > r.to) return Error::invalid("from", "from must not be after to");
  if (days_from_civil(r.to) - days_from_civil(r.from) + 1 > kMaxRangeDays)
    return Error::invalid("to", "a range is at most 400 days");
  r.window_days = s.window_days;
  if (window_days) {
    char* end = nullptr;
    long v = std::strtol(window_days->c_str(), &end, 10);
    if (window_days->empty() || *end || v < 1 || v > kMaxWindowDays)
      return Error::invalid("window_days", "window_days is 1..90");
    r.window_days = v;
  }
  return r;
}

namespace {
// The spans of [a, b) (UTC ms on quarter hours, or taken to the quarter hour that holds them).
void add_spans(std::vector<Span>& out, int64_t a, int64_t b, size_t period, bool quarters_only) {
  int64_t qs = floor_div(a, kQuarterMs), qe = floor_div(b, kQuarterMs);
  int64_t hs = ceil_div(a, kHourMs), he = floor_div(b, kHourMs);
  if (qs >= qe) return;
  if (quarters_only || hs >= he) {
    out.push_back({'q', qs, qe, period});
    return;
  }
  if (qs < hs * 4) out.push_back({'q', qs, hs * 4, period});  // e.g. 18:15-19:00 UTC for Kathmandu
  out.push_back({'h', hs, he, period});
  if (he * 4 < qe) out.push_back({'q', he * 4, qe, period});  // 18:00-18:15 UTC of the next day
}
}  // namespace

std::vector<Span> spans(const std::vector<int64_t>& starts, bool quarters_only) {
  std::vector<Span> out;
  for (size_t p = 0; p + 1 < starts.size(); ++p) add_spans(out, starts[p], starts[p + 1], p, quarters_only);
  return out;
}

Data load(store::Tx& tx, const std::string& tenant, const Range& r, const Settings& s, const std::string& report,
          bool quarters_only) {
  Data d;
  int64_t first = days_from_civil(r.from), last = days_from_civil(r.to);
  for (int64_t x = first; x <= last; ++x) {
    d.days.push_back(civil_from_days(x));
    d.starts.push_back(r.tz->day_start(d.days.back()));
  }
  d.starts.push_back(r.tz->day_start(civil_from_days(last + 1)));
  const size_t total = d.days.size();
  const Need& need = quarters_only ? need_of("") : need_of(report);
  const Stmts& st = quarters_only ? stmts_of("") : stmts_of(report);
  // The day grain (local days of the shop's zone) answers when the requested zone's days are the
  // same instants as the shop's over the whole range (the same zone, or one with the same offsets).
  std::shared_ptr<const TimeZone> shop;
  if (auto z = TimeZone::load(s.time_zone)) shop = *z;
  bool day_grain = !quarters_only && shop;
  for (int64_t x = first; x <= last + 1 && day_grain; ++x)
    day_grain = shop->day_start(civil_from_days(x)) == d.starts[static_cast<size_t>(x - first)];
  // A span's rows summed per (metric, dim, currency) here rather than by the database's GROUP BY:
  // its sorter took most of the time (perf); a hash of the few hundred keys a day has is cheaper.
  std::unordered_map<std::string, std::pair<const store::Row*, int64_t>> acc;
  std::string key;
  auto sums = [&](const Span& sp, bool per_day) {
    if (st.counts) {
      auto rows = tx.query(st.rows, {tenant, std::string(1, sp.grain), sp.lo, sp.hi});
      acc.clear();
      for (const auto& row : rows) {
        key.assign(row.str(1)).append(1, '\x1f').append(row.str(2)).append(1, '\x1f').append(row.str(3));
        auto [it, fresh] = acc.try_emplace(key, &row, 0);
        it->second.second += row.i64(4);
      }
      for (const auto& [k, rv] : acc) {
        const store::Row& row = *rv.first;
        if (per_day) d.counts[{sp.period, row.str(1), row.str(2), row.str(3)}] += rv.second;
        d.counts[{total, row.str(1), row.str(2), row.str(3)}] += rv.second;
      }
    }
    // Parsed straight into the sums (a bucket's row holds a few bins; a dense merge would walk
    // every bin).
    if (st.histograms)
      for (const auto& row : tx.query(st.hists, {tenant, std::string(1, sp.grain), sp.lo, sp.hi})) {
        if (per_day) d.hists[{sp.period, row.str(1), row.str(2)}].merge_encoded(row.str(3));
        d.hists[{total, row.str(1), row.str(2)}].merge_encoded(row.str(3));
      }
  };
  if (need.totals_only) {
    // Totals only (the summary): the shop's whole local days inside the range from the day grain,
    // the rest of it (in another zone: less than a day at each end) from hours and quarter hours.
    d.source = day_grain ? "day" : "hour";
    int64_t lo = d.starts.front(), hi = d.starts.back();
    int64_t d0 = first, d1 = last + 1;  // shop days [d0, d1) inside [lo, hi)
    if (!day_grain && shop) {
      d0 = days_from_civil(shop->local_date(lo));
      if (shop->day_start(civil_from_days(d0)) < lo) ++d0;
      d1 = days_from_civil(shop->local_date(hi));
      if (shop->day_start(civil_from_days(d1)) > hi) --d1;
    }
    std::vector<Span> parts;
    if (shop && d0 < d1) {
      parts.push_back({'d', d0, d1, total});
      add_spans(parts, lo, shop->day_start(civil_from_days(d0)), total, false);
      add_spans(parts, shop->day_start(civil_from_days(d1)), hi, total, false);
    } else {
      add_spans(parts, lo, hi, total, false);
    }
    for (const Span& sp : parts) sums(sp, false);
  } else if (day_grain) {
    d.source = "day";
    if (st.counts)
      for (const auto& row : tx.query(st.rows, {tenant, std::string("d"), first, last + 1})) {
        auto p = static_cast<size_t>(row.i64(0) - first);
        int64_t v = row.i64(4);
        d.counts[{p, row.str(1), row.str(2), row.str(3)}] += v;
        d.counts[{total, row.str(1), row.str(2), row.str(3)}] += v;
      }
    if (st.histograms)
      for (const auto& row : tx.query(st.hists, {tenant, std::string("d"), first, last + 1})) {
        auto p = static_cast<size_t>(row.i64(0) - first);
        d.hists[{p, row.str(1), row.str(2)}].merge_encoded(row.str(3));
        d.hists[{total, row.str(1), row.str(2)}].merge_encoded(row.str(3));
      }
  } else {
    // Any other zone: each local day is whole UTC hours plus, in a zone at :30 or :45, the
    // quarter hours before its first and after its last whole hour.
    d.source = quarters_only ? "quarter_hour" : "hour";
    for (const Span& sp : spans(d.starts, quarters_only)) sums(sp, true);
  }
  for (const auto& c : repo::list_channels(tx, tenant)) d.labels["ch:" + c.id] = c.name.empty() ? c.type : c.name;
  for (const auto& a : repo::list_agents(tx, tenant)) d.labels["by:agent:" + a.id] = a.name.empty() ? a.email : a.name;
  return d;
}

Table build(const std::string& name, const Data& d, const Range& r) {
  Table t;
  View v{d};
  if (name == "conversations") {
    breakdown(t, d, {"conversations", "presale", "presale_paid", "resolved"}, {"all", "ch:"}, false,
              {"conversations", "presale_conversations", "presale_converted", "resolved"}, {"presale_conversion_rate"},
              [](std::vector<Cell>& row, const std::vector<int64_t>& x) { row.push_back(rate(x[2], x[1])); });
  } else if (name == "revenue") {
    // Money (gross, refunds, net) is what the provider captured and gave back; the order value
    // adds the store credit spent (docs/reports.md, "Revenue and store credit").
    breakdown(t, d, {"payments", "revenue", "refunds", "refund_count", "credit_spent", "refunds_credit"},
              {"all", "by:", "ch:"}, true, {"payments", "gross", "refunds", "refund_count"},
              {"net", "average_order_value", "attribution", "order_value", "credit_spent", "credit_refunded",
               "order_value_net"},
              [](std::vector<Cell>& row, const std::vector<int64_t>& x) {
                int64_t order_value = x[1] + x[4];
                row.push_back(x[1] - x[2]);
                row.push_back(average(order_value, x[0]));
                row.push_back(std::string("linked"));
                row.push_back(order_value);
                row.push_back(x[4]);
                row.push_back(x[5]);
                row.push_back(order_value - x[2] - x[5]);
              });
  } else if (name == "attribution_window") {
    // The same money / order value split as linked revenue.
    t.columns = {"period",       "attribution",  "window_days",     "currency",        "orders",
                 "revenue",      "refunds",      "net",             "order_value",     "credit_spent",
                 "credit_refunded", "order_value_net", "average_order_value"};
    static const char* kWindow[5] = {"window_orders", "window_revenue", "window_credit_spent", "window_refunds",
                                     "window_refunds_credit"};
    std::set<std::string> currencies;
    for (const auto& [k, val] : d.counts)
      if (std::get<1>(k) == "window_orders") currencies.insert(std::get<3>(k));
    for (size_t p = 0; p <= v.total(); ++p)
      for (const auto& cur : currencies) {
        int64_t x[5] = {0, 0, 0, 0, 0};
        for (int64_t day = 0; day < r.window_days; ++day) {
          char dim[8];
          std::snprintf(dim, sizeof dim, "d%02d", static_cast<int>(day));
          for (int i = 0; i < 5; ++i) x[i] += v.get(p, kWindow[i], dim, cur);
        }
        if (x[0] == 0 && p != v.total()) continue;
        int64_t order_value = x[1] + x[2];
        t.rows.push_back({v.period(p), std::string("time_window"), r.window_days, cur, x[0], x[1], x[3], x[1] - x[3],
                          order_value, x[2], x[4], order_value - x[3] - x[4], average(order_value, x[0])});
      }
  } else if (name == "links") {
    breakdown(t, d, {"links_created", "links_sent", "links_opened", "links_paid", "links_expired"},
              {"all", "by:", "ch:"}, false, {"created", "sent", "opened", "paid", "expired"},
              {"open_rate", "pay_rate"}, [](std::vector<Cell>& row, const std::vector<int64_t>& x) {
                row.push_back(rate(x[2], x[1]));
                row.push_back(rate(x[3], x[1]));
              });
  } else if (name == "response_times") {
    t.columns = {"period", "breakdown", "key", "label", "first_response_count", "first_response_p50_s",
                 "first_response_p90_s", "resolution_count", "resolution_p50_s", "resolution_p90_s"};
    std::set<std::string> dims{"all"};
    for (const auto& [k, h] : d.hists) dims.insert(std::get<2>(k));
    for (size_t p = 0; p <= v.total(); ++p) {
      std::vector<std::string> ordered{"all"};
      for (const auto& dim : dims)
        if (dim != "all") ordered.push_back(dim);
      for (const auto& dim : ordered) {
        const Histogram* fr = v.hist(p, "first_response", dim);
        const Histogram* rs = v.hist(p, "resolution", dim);
        if (!fr && !rs && dim != "all") continue;
        auto [bd, key] = split_dim(dim);
        t.rows.push_back({v.period(p), bd, key, label_of(d, dim), fr ? fr->count() : 0, pct(fr, 50), pct(fr, 90),
                          rs ? rs->count() : 0, pct(rs, 50), pct(rs, 90)});
      }
    }
  } else if (name == "bot") {
    breakdown(t, d,
              {"bot_conversations", "contained", "contained_helpful", "bot_turns", "bot_answered", "bot_helpful",
               "bot_not_helpful", "bot_handed_over"},
              {"all", "ch:"}, false,
              {"bot_conversations", "contained", "contained_helpful", "turns", "answered", "helpful", "false_answers",
               "handed_over"},
              {"containment_rate", "helpful_containment_rate", "false_answer_rate"},
              [](std::vector<Cell>& row, const std::vector<int64_t>& x) {
                row.push_back(rate(x[1], x[0]));
                row.push_back(rate(x[2], x[0]));
                row.push_back(rate(x[6], x[4]));
              });
  } else if (name == "sla") {
    breakdown(t, d, {"sla_breaches"}, {"all", "target:", "ch:", "by:"}, false, {"breaches"}, {}, nullptr);
  } else if (name == "csat") {
    breakdown(t, d, {"csat_responses", "csat_score_sum", "csat_satisfied"}, {"all", "by:", "ch:"}, false,
              {"responses", "score_sum", "satisfied"}, {"average", "satisfied_rate"},
              [](std::vector<Cell>& row, const std::vector<int64_t>& x) {
                if (x[0] > 0) row.push_back(std::round(static_cast<double>(x[1]) / static_cast<double>(x[0]) * 100.0) / 100.0);
                else row.push_back(std::monostate{});
                row.push_back(rate(x[2], x[0]));
              });
  } else {  // summary: the range's key figures, one per row
    t.columns = {"metric", "breakdown", "key", "label", "currency", "value"};
    size_t T = v.total();
    auto add = [&](const std::string& metric, const std::string& dim, const std::string& cur, Cell val) {
      auto [bd, key] = split_dim(dim);
      t.rows.push_back({metric, bd, key, label_of(d, dim), cur, std::move(val)});
    };
    std::set<std::string> channels, senders, currencies;
    for (const auto& [k, val] : d.counts) {
      if (std::get<0>(k) != T) continue;
      const auto& dim = std::get<2>(k);
      if (starts_with(dim, "ch:")) channels.insert(dim);
      if (std::get<1>(k) == "payments") {  // (a link paid wholly with store credit brought no money)
        currencies.insert(std::get<3>(k));
        if (starts_with(dim, "by:")) senders.insert(dim);
      }
    }
    add("conversations", "all", "", v.get(T, "conversations", "all"));
    for (const auto& c : channels)
      if (int64_t n = v.get(T, "conversations", c)) add("conversations", c, "", n);
    int64_t pre = v.get(T, "presale", "all"), conv = v.get(T, "presale_paid", "all");
    add("presale_conversations", "all", "", pre);
    add("presale_converted", "all", "", conv);
    add("presale_conversion_rate", "all", "", rate(conv, pre));
    // Linked revenue per currency: money (gross, refunds, net), the store credit spent and given
    // back, the order value (money + credit) and its average; net money and order value per
    // sender and channel.
    auto linked = [&](const std::string& dim, const std::string& cur, bool all) {
      int64_t n = v.get(T, "payments", dim, cur), g = v.get(T, "revenue", dim, cur), rf = v.get(T, "refunds", dim, cur),
              cs = v.get(T, "credit_spent", dim, cur), cr = v.get(T, "refunds_credit", dim, cur);
      if (all) {
        add("payments", dim, cur, n);
        add("revenue_gross", dim, cur, g);
        add("refunds", dim, cur, rf);
      }
      add("revenue_net", dim, cur, g - rf);
      if (all) {
        add("credit_spent", dim, cur, cs);
        add("credit_refunded", dim, cur, cr);
        add("order_value", dim, cur, g + cs);
      }
      add("order_value_net", dim, cur, g + cs - rf - cr);
      add("average_order_value", dim, cur, average(g + cs, n));
    };
    for (const auto& cur : currencies) {
      linked("all", cur, true);
      for (const auto& s : senders)
        if (v.get(T, "payments", s, cur)) linked(s, cur, false);
      for (const auto& c : channels)
        if (v.get(T, "payments", c, cur)) linked(c, cur, false);
    }
    Table w = build("attribution_window", d, r);
    const std::string wlabel = "Orders within " + std::to_string(r.window_days) + " days after a conversation (not linked)";
    for (const auto& row : w.rows)
      if (std::get<std::string>(row[0]) == "total")
        for (auto [metric, col] : {std::pair{"window_orders", 4}, std::pair{"window_revenue", 5},
                                   std::pair{"window_revenue_net", 7}, std::pair{"window_order_value", 8},
                                   std::pair{"window_average_order_value", 12}})
          t.rows.push_back({std::string(metric), std::string("time_window"), std::to_string(r.window_days) + "d", wlabel,
                            row[3], row[static_cast<size_t>(col)]});
    for (const char* m : {"links_created", "links_sent", "links_opened", "links_paid", "links_expired"})
      add(m, "all", "", v.get(T, m, "all"));
    const Histogram* fr = v.hist(T, "first_response", "all");
    const Histogram* rs = v.hist(T, "resolution", "all");
    add("first_response_count", "all", "", fr ? fr->count() : 0);
    add("first_response_p50_s", "all", "", pct(fr, 50));
    add("first_response_p90_s", "all", "", pct(fr, 90));
    add("resolution_count", "all", "", rs ? rs->count() : 0);
    add("resolution_p50_s", "all", "", pct(rs, 50));
    add("resolution_p90_s", "all", "", pct(rs, 90));
    int64_t bc = v.get(T, "bot_conversations", "all"), ct = v.get(T, "contained", "all"),
            ch = v.get(T, "contained_helpful", "all"), ans = v.get(T, "bot_answered", "all"),
            nh = v.get(T, "bot_not_helpful", "all");
    add("bot_conversations", "all", "", bc);
    add("bot_contained", "all", "", ct);
    add("bot_contained_helpful", "all", "", ch);
    add("bot_containment_rate", "all", "", rate(ct, bc));
    add("bot_answered", "all", "", ans);
    add("bot_helpful", "all", "", v.get(T, "bot_helpful", "all"));
    add("bot_false_answers", "all", "", nh);
    add("bot_false_answer_rate", "all", "", rate(nh, ans));
    add("sla_breaches", "all", "", v.get(T, "sla_breaches", "all"));
    for (const char* tg : {"target:first_response", "target:next_response", "target:resolution"})
      add("sla_breaches", tg, "", v.get(T, "sla_breaches", tg));
    int64_t cr = v.get(T, "csat_responses", "all");
    add("csat_responses", "all", "", cr);
    add("csat_average", "all", "",
        cr > 0 ? Cell(std::round(static_cast<double>(v.get(T, "csat_score_sum", "all")) / static_cast<double>(cr) * 100.0) / 100.0)
               : Cell());
    add("csat_satisfied_rate", "all", "", rate(v.get(T, "csat_satisfied", "all"), cr));
    // Abandoned-cart reminders and the carts paid after one (reminders in the range; recoveries
    // in the range of their payment).
    int64_t reminded = v.get(T, "cart_reminders", "all"), recovered = v.get(T, "carts_recovered", "all");
    add("cart_reminders", "all", "", reminded);
    add("carts_recovered", "all", "", recovered);
    add("cart_recovery_rate", "all", "", rate(recovered, reminded));
    for (const auto& c : channels)
      if (int64_t n = v.get(T, "carts_recovered", c)) add("carts_recovered", c, "", n);
    std::set<std::string> rcur;
    for (const auto& [k, val] : d.counts)
      if (std::get<0>(k) == T && std::get<1>(k) == "recovered_revenue") rcur.insert(std::get<3>(k));
    for (const auto& cur : rcur) {
      add("recovered_orders", "all", cur, v.get(T, "recovered_orders", "all", cur));
      add("recovered_revenue", "all", cur, v.get(T, "recovered_revenue", "all", cur));
    }
  }
  return t;
}

namespace {
bj::value cell_json(const Cell& c) {
  if (std::holds_alternative<int64_t>(c)) return std::get<int64_t>(c);
  if (std::holds_alternative<double>(c)) return std::get<double>(c);
  if (std::holds_alternative<std::string>(c)) return bj::string(std::get<std::string>(c));
  return nullptr;
}
}  // namespace

bj::object to_json(const std::string& name, const Table& t, const Range& r, const Data& d) {
  bj::array cols, rows;
  for (const auto& c : t.columns) cols.emplace_back(c);
  for (const auto& row : t.rows) {
    bj::object o;
    for (size_t i = 0; i < t.columns.size() && i < row.size(); ++i) o[t.columns[i]] = cell_json(row[i]);
    rows.push_back(std::move(o));
  }
  return bj::object{{"report", name},
                    {"from", format_date(r.from)},
                    {"to", format_date(r.to)},
                    {"time_zone", r.tz->name()},
                    {"window_days", r.window_days},
                    {"source", d.source},
                    {"columns", std::move(cols)},
                    {"rows", std::move(rows)}};
}

std::string csv_cell(const Cell& c) {
  std::string s;
  if (std::holds_alternative<int64_t>(c)) return std::to_string(std::get<int64_t>(c));
  if (std::holds_alternative<double>(c)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", std::get<double>(c));
    s = buf;
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
      bool dot = s.back() == '.';
      s.pop_back();
      if (dot) break;
    }
    return s;
  }
  if (!std::holds_alternative<std::string>(c)) return "";
  s = std::get<std::string>(c);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '))) {
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"') q += '"';
      q += ch;
    }
    q += '"';
    return q;
  }
  return s;
}

std::string to_csv(const Table& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_cell(Cell(t.columns[i]));
  }
  out += "\r\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      out += csv_cell(row[i]);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace bottega::reports
