#include "hours/tz.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace bottega::hours {

int64_t days_from_civil(int y, unsigned m, unsigned d) {  // Howard Hinnant's algorithm
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

int weekday_of_days(int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }  // 1970-01-01: Thursday

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

uint32_t be32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}
int64_t be64(std::string_view s, size_t at) {
  return static_cast<int64_t>((uint64_t(be32(s, at)) << 32) | be32(s, at + 4));
}

// POSIX TZ pieces. Each parser advances `s` and returns false on a syntax error.
bool parse_name(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    auto e = s.find('>');
    if (e == std::string_view::npos) return false;
    s.remove_prefix(e + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}
bool parse_hms(std::string_view& s, int64_t& out) {  // [+-]h[h][:mm[:ss]], hours up to 167
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int64_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      if (s.empty() || s[0] != ':') break;
      s.remove_prefix(1);
    }
    size_t n = 0;
    int64_t v = 0;
    while (n < s.size() && n < 3 && std::isdigit(static_cast<unsigned char>(s[n]))) v = v * 10 + (s[n++] - '0');
    if (n == 0) return false;
    parts[i] = v;
    s.remove_prefix(n);
  }
  out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}
int64_t parse_int(std::string_view& s, bool& ok) {
  size_t n = 0;
  int64_t v = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) v = v * 10 + (s[n++] - '0');
  ok = ok && n > 0;
  s.remove_prefix(n);
  return v;
}

}  // namespace

bool TimeZone::parse_footer(std::string_view s, Footer& f) {
  if (s.empty()) return false;
  if (!parse_name(s)) return false;
  int64_t posix_std = 0;
  if (!parse_hms(s, posix_std)) return false;
  f.std_off = -posix_std;  // POSIX offsets are west of UTC
  f.present = true;
  if (s.empty()) return true;
  if (!parse_name(s)) return false;
  f.has_dst = true;
  f.dst_off = f.std_off + 3600;
  if (!s.empty() && s[0] != ',') {
    int64_t posix_dst = 0;
    if (!parse_hms(s, posix_dst)) return false;
    f.dst_off = -posix_dst;
  }
  auto rule = [&s](Rule& r) {
    if (s.empty() || s[0] != ',') return false;
    s.remove_prefix(1);
    if (s.empty() || s[0] != 'M') return false;  // Jn and n forms: not used by current tzdata zones
    s.remove_prefix(1);
    bool ok = true;
    r.month = static_cast<int>(parse_int(s, ok));
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    r.week = static_cast<int>(parse_int(s, ok));
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    r.wday = static_cast<int>(parse_int(s, ok));
    r.time = 7200;
    if (!s.empty() && s[0] == '/') {
      s.remove_prefix(1);
      if (!parse_hms(s, r.time)) return false;
    }
    return ok && r.month >= 1 && r.month <= 12 && r.week >= 1 && r.week <= 5 && r.wday >= 0 && r.wday <= 6;
  };
  if (!rule(f.start) || !rule(f.end)) return false;
  return s.empty();
}

namespace {
// Local seconds (since the local epoch) of a POSIX rule's moment in `year`, before adding the
// offset in effect: day `wday` (0 = Sunday) of week `week` (5 = last) of `month`, at `time`.
int64_t rule_local(int year, int month, int week, int wday, int64_t time) {
  int64_t first = days_from_civil(year, static_cast<unsigned>(month), 1);
  int first_sunday_based = (weekday_of_days(first) + 1) % 7;  // Monday=0 -> Sunday=0 numbering
  int64_t day = first + ((wday - first_sunday_based + 7) % 7) + 7 * (week - 1);
  int ny = month == 12 ? year + 1 : year;
  unsigned nm = month == 12 ? 1 : static_cast<unsigned>(month + 1);
  int64_t next_month = days_from_civil(ny, nm, 1);
  while (day >= next_month) day -= 7;
  return day * 86400 + time;
}
}  // namespace

int64_t TimeZone::footer_offset(int64_t utc_s) const {
  if (!footer_.has_dst) return footer_.std_off;
  int y;
  unsigned m, d;
  civil_from_days(floor_div(utc_s + footer_.std_off, 86400), y, m, d);
  // DST starts at the rule's local standard time, ends at the rule's local daylight time.
  int64_t start = rule_local(y, footer_.start.month, footer_.start.week, footer_.start.wday, footer_.start.time) - footer_.std_off;
  int64_t end = rule_local(y, footer_.end.month, footer_.end.week, footer_.end.wday, footer_.end.time) - footer_.dst_off;
  bool dst = start < end ? (utc_s >= start && utc_s < end) : !(utc_s >= end && utc_s < start);
  return dst ? footer_.dst_off : footer_.std_off;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::parse(std::string_view name, std::string_view s) {
  auto bad = [&](const char* why) {
    return Error::invalid("time_zone", "the zone file of " + std::string(name) + " is not TZif: " + why);
  };
  if (s.size() < 44 || s.substr(0, 4) != "TZif") return bad("no header");
  auto tz = std::make_shared<TimeZone>();
  tz->name_ = std::string(name);
  auto counts = [&](size_t at, uint32_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = be32(s, at + 20 + 4 * i);
  };
  uint32_t c[6];
  counts(0, c);
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  size_t v1_len = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
  bool v2 = s[4] >= '2';
  size_t at = 44;
  int time_size = 4;
  if (v2) {
    at = 44 + v1_len;
    if (s.size() < at + 44 || s.substr(at, 4) != "TZif") return bad("no second header");
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  size_t need = c[3] * (time_size + 1) + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
  if (s.size() < at + need || c[4] == 0) return bad("truncated");
  std::vector<int64_t> times(c[3]);
  for (uint32_t i = 0; i < c[3]; ++i)
    times[i] = time_size == 8 ? be64(s, at + 8 * i) : static_cast<int32_t>(be32(s, at + 4 * i));
  size_t idx_at = at + c[3] * time_size;
  size_t types_at = idx_at + c[3];
  std::vector<int64_t> type_off(c[4]);
  std::vector<bool> type_dst(c[4]);
  for (uint32_t i = 0; i < c[4]; ++i) {
    type_off[i] = static_cast<int32_t>(be32(s, types_at + 6 * i));
    type_dst[i] = s[types_at + 6 * i + 4] != 0;
  }
  for (uint32_t i = 0; i < c[3]; ++i) {
    uint8_t t = static_cast<uint8_t>(s[idx_at + i]);
    if (t >= c[4]) return bad("bad type index");
    tz->trans_.push_back(times[i]);
    tz->trans_off_.push_back(type_off[t]);
  }
  tz->initial_off_ = type_off[0];
  for (uint32_t i = 0; i < c[4]; ++i)
    if (!type_dst[i]) {
      tz->initial_off_ = type_off[i];
      break;
    }
  if (v2) {
    size_t f = at + need;
    if (f < s.size() && s[f] == '\n') {
      auto e = s.find('\n', f + 1);
      if (e != std::string_view::npos && e > f + 1) {
        Footer ft;
        if (parse_footer(s.substr(f + 1, e - f - 1), ft)) tz->footer_ = ft;
      }
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(tz));
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> kUtc = [] {
    auto tz = std::make_shared<TimeZone>();
    tz->name_ = "UTC";
    return std::shared_ptr<const TimeZone>(tz);
  }();
  return kUtc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::load(std::string_view name, const std::string& field,
                                                        const std::string& dir) {
  auto invalid = [&] {
    return Error::invalid(field, "\"" + std::string(name.substr(0, 64)) +
                                     "\" is not an IANA time zone (for example \"Europe/Rome\")");
  };
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string_view::npos)
    return invalid();
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '/' && ch != '_' && ch != '-' && ch != '+') return invalid();
  if (name == "UTC" || name == "Etc/UTC") return utc();
  // Zones are immutable: cache them (the service recomputes due times on every message).
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  std::string key = dir + "/" + std::string(name);
  {
    std::lock_guard lk(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::ifstream in(dir + "/" + std::string(name), std::ios::binary);
  if (!in) return invalid();
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (bytes.size() < 4 || bytes.compare(0, 4, "TZif") != 0) return invalid();  // a directory, posixrules...
  auto tz = parse(name, bytes);
  if (!tz) return Error::invalid(field, tz.error().message);
  std::lock_guard lk(mu);
  if (cache.size() < 1000) cache[key] = *tz;
  return tz;
}

int64_t TimeZone::offset_at(int64_t utc_s) const {
  if (trans_.empty()) return footer_.present ? footer_offset(utc_s) : initial_off_;
  if (utc_s < trans_.front()) return initial_off_;
  if (utc_s >= trans_.back() && footer_.present) return footer_offset(utc_s);
  auto it = std::upper_bound(trans_.begin(), trans_.end(), utc_s);
  return trans_off_[static_cast<size_t>(it - trans_.begin()) - 1];
}

int64_t TimeZone::to_utc(int64_t local_s) const {
  int64_t before = offset_at(local_s - 86400), after = offset_at(local_s + 86400);
  int64_t best = INT64_MAX;
  for (int64_t o : {before, after}) {
    int64_t u = local_s - o;
    if (offset_at(u) == o) best = std::min(best, u);
  }
  if (best != INT64_MAX) return best;
  // A gap: the wall time does not exist; read it with the offset before the change (moves it forward).
  return local_s - before;
}

}  // namespace bottega::hours
