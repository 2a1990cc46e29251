#include "hours/hours.hpp"

#include <algorithm>
#include <cstdio>

#include "core/json.hpp"

namespace bottega::hours {

namespace bj = boost::json;

namespace {

constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string date_of(int64_t days) {
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

Result<int> parse_hhmm(const bj::value& v, const std::string& path) {
  if (!v.is_string()) return Error::invalid(path, "times are \"HH:MM\"", "invalid_type");
  std::string_view s = v.as_string();
  if (s.size() != 5 || s[2] != ':') return Error::invalid(path, "times are \"HH:MM\"");
  for (size_t i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return Error::invalid(path, "times are \"HH:MM\"");
  int hh = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
  if (hh > 24 || mm > 59 || (hh == 24 && mm != 0)) return Error::invalid(path, "times are \"HH:MM\"");
  return hh * 60 + mm;
}

std::string hhmm(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minutes / 60) % 24, minutes % 60);
  return buf;
}

Result<std::pair<int, int>> parse_interval(const bj::value& v, const std::string& path) {
  if (!v.is_array() || v.as_array().size() != 2)
    return Error::invalid(path, "an interval is [\"HH:MM\", \"HH:MM\"]", "invalid_type");
  BOTTEGA_TRY(open, parse_hhmm(v.as_array()[0], path + "[0]"));
  BOTTEGA_TRY(close, parse_hhmm(v.as_array()[1], path + "[1]"));
  if (close == open) return Error::invalid(path, "opening and closing times are the same");
  if (close < open) close += 1440;  // past midnight
  return std::pair<int, int>{open, close};
}

}  // namespace

Result<BusinessHours> parse_business_hours(const bj::object& o, const std::string& path, const std::string& zoneinfo_dir) {
  BusinessHours h;
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"time_zone", "days", "holidays"}, path));
  BOTTEGA_TRY(zone, json::optional_string(o, "time_zone", path + ".time_zone", 64));
  if (zone) {
    BOTTEGA_TRY(z, TimeZone::load(*zone, path + ".time_zone", zoneinfo_dir));
    h.zone = std::move(z);
  }
  BOTTEGA_TRY(days, json::optional_object(o, "days", path + ".days"));
  if (days) {
    for (const auto& kv : *days) {
      int idx = -1;
      for (int i = 0; i < 7; ++i)
        if (kv.key() == kDays[i]) idx = i;
      std::string p = path + ".days." + std::string(kv.key());
      if (idx < 0) return Error::invalid(p, "days are mon, tue, wed, thu, fri, sat, sun", "unknown_field");
      auto& list = h.days[static_cast<size_t>(idx)];
      list.clear();
      const auto& v = kv.value();
      if (v.is_null()) continue;
      if (!v.is_array()) return Error::invalid(p, "a day is null, [\"HH:MM\",\"HH:MM\"] or a list of those", "invalid_type");
      const auto& a = v.as_array();
      if (!a.empty() && a[0].is_string()) {  // one interval
        BOTTEGA_TRY(iv, parse_interval(v, p));
        list.push_back(iv);
      } else {
        if (a.size() > 6) return Error::invalid(p, "at most 6 intervals a day");
        for (size_t i = 0; i < a.size(); ++i) {
          BOTTEGA_TRY(iv, parse_interval(a[i], p + "[" + std::to_string(i) + "]"));
          list.push_back(iv);
        }
      }
      std::sort(list.begin(), list.end());
      for (size_t i = 1; i < list.size(); ++i)
        if (list[i].first < list[i - 1].second) return Error::invalid(p, "intervals overlap");
    }
  }
  BOTTEGA_TRY(hol, json::optional_array(o, "holidays", path + ".holidays"));
  if (hol) {
    if (hol->size() > 366) return Error::invalid(path + ".holidays", "at most 366 holidays");
    for (size_t i = 0; i < hol->size(); ++i) {
      const auto& v = (*hol)[i];
      std::string p = path + ".holidays[" + std::to_string(i) + "]";
      if (!v.is_string()) return Error::invalid(p, "a holiday is \"YYYY-MM-DD\"", "invalid_type");
      std::string s(v.as_string());
      int y = 0;
      unsigned m = 0, d = 0;
      char extra = 0;
      if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 ||
          d > 31 || date_of(days_from_civil(y, m, d)) != s)
        return Error::invalid(p, "a holiday is a real date \"YYYY-MM-DD\"");
      h.holidays.push_back(s);
    }
  }
  return h;
}

bj::object to_json(const BusinessHours& h) {
  bj::object days;
  for (int i = 0; i < 7; ++i) {
    const auto& list = h.days[static_cast<size_t>(i)];
    if (list.empty()) {
      days[kDays[i]] = nullptr;
      continue;
    }
    bj::array a;
    // A day open to midnight is "24:00" (hhmm would wrap it to "00:00", an empty interval on reading).
    for (const auto& [open, close] : list)
      a.push_back(bj::array{bj::string(hhmm(open)), bj::string(close == 1440 ? "24:00" : hhmm(close % 1440))});
    days[kDays[i]] = std::move(a);
  }
  bj::array hol;
  for (const auto& d : h.holidays) hol.emplace_back(d);
  return bj::object{{"time_zone", h.zone->name()}, {"days", std::move(days)}, {"holidays", std::move(hol)}};
}

std::vector<std::pair<int64_t, int64_t>> BusinessHours::intervals(int64_t from_ms, int64_t to_ms) const {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (to_ms <= from_ms) return out;
  // Local days from the one before `from` (an interval past midnight) to the one of `to`.
  int64_t first = floor_div(zone->to_local(floor_div(from_ms, 1000)), 86400) - 1;
  int64_t last = floor_div(zone->to_local(floor_div(to_ms, 1000)), 86400);
  for (int64_t day = first; day <= last; ++day) {
    const auto& list = days[static_cast<size_t>(weekday_of_days(day))];
    if (list.empty()) continue;
    if (!holidays.empty() && std::find(holidays.begin(), holidays.end(), date_of(day)) != holidays.end()) continue;
    for (const auto& [open, close] : list) {
      int64_t s = zone->to_utc(day * 86400 + int64_t{open} * 60) * 1000;
      int64_t e = zone->to_utc(day * 86400 + int64_t{close} * 60) * 1000;
      if (e <= s) continue;  // the whole interval fell into a gap
      s = std::max(s, from_ms);
      e = std::min(e, to_ms);
      if (s < e) out.emplace_back(s, e);
    }
  }
  std::sort(out.begin(), out.end());
  // Merge touching intervals (an interval to 24:00 followed by one from 00:00).
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& iv : out) {
    if (!merged.empty() && iv.first <= merged.back().second) merged.back().second = std::max(merged.back().second, iv.second);
    else merged.push_back(iv);
  }
  return merged;
}

BusinessHours::Local BusinessHours::local(int64_t at_ms) const {
  int64_t l = zone->to_local(floor_div(at_ms, 1000));
  int64_t day = floor_div(l, 86400);
  return Local{weekday_of_days(day), static_cast<int>((l - day * 86400) / 60)};
}

bool BusinessHours::is_open(int64_t at_ms) const { return !intervals(at_ms, at_ms + 1).empty(); }

int64_t BusinessHours::next_open(int64_t at_ms) const {
  constexpr int64_t kWeek = 7 * 86'400'000LL;
  for (int64_t from = at_ms; from < at_ms + 60 * 86'400'000LL; from += kWeek) {
    auto iv = intervals(from, from + kWeek);
    if (!iv.empty()) return iv.front().first;
  }
  return -1;
}

int64_t BusinessHours::add_business_seconds(int64_t start_ms, int64_t seconds) const {
  int64_t left = seconds * 1000;
  if (left <= 0) return start_ms;
  constexpr int64_t kWeek = 7 * 86'400'000LL;
  for (int64_t from = start_ms; from < start_ms + 400 * 86'400'000LL; from += kWeek) {
    for (const auto& [s, e] : intervals(from, from + kWeek)) {
      if (e - s >= left) return s + left;
      left -= e - s;
    }
  }
  return -1;
}

int64_t BusinessHours::business_seconds_between(int64_t from_ms, int64_t to_ms) const {
  int64_t total = 0;
  for (const auto& [s, e] : intervals(from_ms, to_ms)) total += e - s;
  return total / 1000;
}

}  // namespace bottega::hours
