#include "bot/wait.hpp"

#include <algorithm>
#include <cstdio>

#include "core/json.hpp"

namespace bottega::bot {

namespace bj = boost::json;

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void civil(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string date_of(int64_t local_day) {
  int y;
  unsigned m, d;
  civil(local_day, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

int weekday_of(int64_t local_day) { return static_cast<int>(((local_day % 7) + 7 + 3) % 7); }  // 1970-01-01: Thu

bool holiday(const BusinessHours& h, int64_t local_day) {
  if (h.holidays.empty()) return false;
  std::string d = date_of(local_day);
  return std::find(h.holidays.begin(), h.holidays.end(), d) != h.holidays.end();
}

Result<int> parse_hhmm(std::string_view s, const std::string& path) {
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

}  // namespace

Result<BusinessHours> parse_business_hours(const bj::object& o, const std::string& path) {
  BusinessHours h;
  for (const auto& kv : o)
    if (kv.key() != "utc_offset_minutes" && kv.key() != "days" && kv.key() != "holidays")
      return Error::invalid(path + "." + std::string(kv.key()), "unknown field", "unknown_field");
  BOTTEGA_TRY(off, json::optional_int(o, "utc_offset_minutes", path + ".utc_offset_minutes"));
  if (off) {
    if (*off < -14 * 60 || *off > 14 * 60) return Error::invalid(path + ".utc_offset_minutes", "between -840 and 840");
    h.utc_offset_minutes = static_cast<int>(*off);
  }
  BOTTEGA_TRY(days, json::optional_object(o, "days", path + ".days"));
  if (days) {
    for (const auto& kv : *days) {
      int idx = -1;
      for (int i = 0; i < 7; ++i)
        if (kv.key() == kDays[i]) idx = i;
      std::string p = path + ".days." + std::string(kv.key());
      if (idx < 0) return Error::invalid(p, "days are mon..sun", "unknown_field");
      if (kv.value().is_null()) {
        h.days[idx] = {-1, -1};
        continue;
      }
      if (!kv.value().is_array() || kv.value().as_array().size() != 2 || !kv.value().as_array()[0].is_string() ||
          !kv.value().as_array()[1].is_string())
        return Error::invalid(p, "a day is null (closed) or [\"HH:MM\",\"HH:MM\"]", "invalid_type");
      BOTTEGA_TRY(open, parse_hhmm(kv.value().as_array()[0].as_string(), p));
      BOTTEGA_TRY(close, parse_hhmm(kv.value().as_array()[1].as_string(), p));
      if (close <= open) close += 1440;  // past midnight: "18:00" to "02:00"
      h.days[idx] = {open, close};
    }
  }
  BOTTEGA_TRY(hol, json::optional_array(o, "holidays", path + ".holidays"));
  if (hol) {
    if (hol->size() > 366) return Error::invalid(path + ".holidays", "at most 366 holidays");
    for (size_t i = 0; i < hol->size(); ++i) {
      const auto& v = (*hol)[i];
      std::string p = path + ".holidays[" + std::to_string(i) + "]";
      if (!v.is_string() || v.as_string().size() != 10 || v.as_string()[4] != '-' || v.as_string()[7] != '-')
        return Error::invalid(p, "a holiday is \"YYYY-MM-DD\"", "invalid_type");
      h.holidays.emplace_back(v.as_string());
    }
  }
  return h;
}

bj::object to_json(const BusinessHours& h) {
  bj::object days;
  for (int i = 0; i < 7; ++i) {
    if (h.days[i].first < 0) days[kDays[i]] = nullptr;
    else days[kDays[i]] = bj::array{bj::value(hhmm(h.days[i].first)), bj::value(hhmm(h.days[i].second))};
  }
  bj::array hol;
  for (const auto& d : h.holidays) hol.emplace_back(d);
  return bj::object{{"utc_offset_minutes", h.utc_offset_minutes}, {"days", std::move(days)}, {"holidays", std::move(hol)}};
}

bool is_open(const BusinessHours& h, int64_t now_ms) {
  int64_t local = now_ms + int64_t{h.utc_offset_minutes} * 60'000;
  int64_t day = floor_div(local, kDayMs);
  int64_t minute = (local - day * kDayMs) / 60'000;
  // Today's hours, and yesterday's when they run past midnight.
  for (int64_t back = 0; back <= 1; ++back) {
    int64_t d = day - back;
    auto [open, close] = h.days[static_cast<size_t>(weekday_of(d))];
    if (open < 0 || holiday(h, d)) continue;
    int64_t m = minute + back * 1440;
    if (m >= open && m < close) return true;
  }
  return false;
}

int64_t next_open(const BusinessHours& h, int64_t now_ms) {
  if (is_open(h, now_ms)) return now_ms;
  int64_t offset = int64_t{h.utc_offset_minutes} * 60'000;
  int64_t local = now_ms + offset;
  int64_t day = floor_div(local, kDayMs);
  for (int64_t d = day; d <= day + 30; ++d) {
    auto [open, close] = h.days[static_cast<size_t>(weekday_of(d))];
    if (open < 0 || holiday(h, d)) continue;
    int64_t at = d * kDayMs + int64_t{open} * 60'000 - offset;
    if (at >= now_ms) return at;
  }
  return -1;
}

WaitEstimate expected_wait(const BusinessHours& h, int64_t now_ms, int64_t queue, int64_t agents_online,
                           int64_t handle_minutes) {
  WaitEstimate w;
  if (queue < 0) queue = 0;
  if (handle_minutes < 1) handle_minutes = 1;
  w.open_now = is_open(h, now_ms);
  if (w.open_now) {
    if (agents_online > 0) {
      w.minutes = std::max<int64_t>(1, (queue / agents_online + 1) * handle_minutes);
    } else {
      w.minutes = std::max<int64_t>(15, (queue + 1) * handle_minutes);
    }
    return w;
  }
  w.opens_at_ms = next_open(h, now_ms);
  if (w.opens_at_ms >= 0) {
    int64_t local = w.opens_at_ms + int64_t{h.utc_offset_minutes} * 60'000;
    int64_t day = floor_div(local, kDayMs);
    w.weekday = weekday_of(day);
    w.local_time = hhmm(static_cast<int>((local - day * kDayMs) / 60'000));
  }
  return w;
}

}  // namespace bottega::bot
