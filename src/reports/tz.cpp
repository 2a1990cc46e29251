#include "reports/tz.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace bottega::reports {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t be(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

}  // namespace

// Howard Hinnant's civil calendar algorithms (public domain formulas).
int64_t days_from_civil(Date dt) {
  int64_t y = dt.y - (dt.m <= 2);
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mp = (dt.m + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + dt.d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Date{static_cast<int>(y + (m <= 2)), m, d};
}

std::optional<Date> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!digits(s.substr(0, 4)) || !digits(s.substr(5, 2)) || !digits(s.substr(8, 2))) return std::nullopt;
  Date d{std::stoi(std::string(s.substr(0, 4))), std::stoi(std::string(s.substr(5, 2))),
         std::stoi(std::string(s.substr(8, 2)))};
  if (d.y < 1970 || d.y > 9999 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31) return std::nullopt;
  if (civil_from_days(days_from_civil(d)) != d) return std::nullopt;  // 2026-02-30
  return d;
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.y, d.m, d.d);
  return buf;
}

std::optional<int64_t> parse_timestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]
  if (s.size() < 20) return std::nullopt;
  auto date = parse_date(s.substr(0, 10));
  if (!date || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return std::nullopt;
  if (!digits(s.substr(11, 2)) || s[13] != ':' || !digits(s.substr(14, 2)) || s[16] != ':' || !digits(s.substr(17, 2)))
    return std::nullopt;
  int hh = std::stoi(std::string(s.substr(11, 2))), mi = std::stoi(std::string(s.substr(14, 2))),
      ss = std::stoi(std::string(s.substr(17, 2)));
  if (hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    int64_t scale = 100;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      ms += (s[j] - '0') * scale;
      scale /= 10;
      ++j;
    }
    if (j == i + 1) return std::nullopt;
    i = j;
  }
  int64_t off = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(s.substr(i + 1, 2)) && s[i + 3] == ':' &&
             digits(s.substr(i + 4, 2))) {
    off = (std::stoi(std::string(s.substr(i + 1, 2))) * 60 + std::stoi(std::string(s.substr(i + 4, 2)))) * 60;
    if (s[i] == '-') off = -off;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(*date) * 86400 + hh * 3600 + mi * 60 + ss - off;
  return secs * 1000 + ms;
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const auto kUtc = [] {
    auto z = std::make_shared<TimeZone>();
    z->name_ = "UTC";
    return std::shared_ptr<const TimeZone>(z);
  }();
  return kUtc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::load(const std::string& name) {
  auto bad = [&] { return Error::invalid("time_zone", "unknown time zone \"" + name + "\" (an IANA name like Europe/Rome)"); };
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string::npos) return bad();
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+')) return bad();
  if (name == "UTC" || name == "Etc/UTC") return utc();

  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  {
    std::lock_guard lk(mu);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
  }
  const char* dir = std::getenv("TZDIR");
  std::ifstream in(std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name, std::ios::binary);
  if (!in) return bad();
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  auto header = [&](size_t at, int64_t c[6]) -> bool {
    if (at + 44 > n || std::memcmp(p + at, "TZif", 4) != 0) return false;
    for (int i = 0; i < 6; ++i) c[i] = be(p + at + 20 + 4 * i, 4);
    return true;
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return bad();
  int tsize = 4;
  size_t at = 44;
  if (p[4] >= '2') {  // skip the 32-bit block; use the 64-bit one
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (!header(at, c)) return bad();
    at += 44;
    tsize = 8;
  }
  int64_t timecnt = c[3], typecnt = c[4];
  if (typecnt < 1 || at + timecnt * (tsize + 1) + typecnt * 6 > n) return bad();
  auto z = std::make_shared<TimeZone>();
  z->name_ = name;
  std::vector<int64_t> type_off(typecnt);
  size_t types_at = at + timecnt * (tsize + 1);
  for (int64_t t = 0; t < typecnt; ++t) type_off[t] = be(p + types_at + t * 6, 4);
  z->initial_offset_ = type_off[0];
  for (int64_t i = 0; i < timecnt; ++i) {
    int64_t when = be(p + at + i * tsize, tsize);
    unsigned idx = p[at + timecnt * tsize + i];
    if (idx >= type_off.size()) return bad();
    z->transitions_.push_back(when);
    z->offsets_.push_back(type_off[idx]);
  }
  std::shared_ptr<const TimeZone> out = z;
  std::lock_guard lk(mu);
  cache.emplace(name, out);
  return out;
}

int64_t TimeZone::offset_at(int64_t utc_ms) const {
  int64_t s = floor_div(utc_ms, 1000);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[static_cast<size_t>(it - transitions_.begin() - 1)];
}

Date TimeZone::local_date(int64_t utc_ms) const {
  int64_t s = floor_div(utc_ms, 1000) + offset_at(utc_ms);
  return civil_from_days(floor_div(s, 86400));
}

int64_t TimeZone::day_start(Date d) const {
  int64_t local = days_from_civil(d) * 86400;  // local seconds of midnight
  // Offsets that may be in force around that midnight.
  std::vector<int64_t> cands{offset_at((local - 2 * 86400) * 1000), offset_at((local + 2 * 86400) * 1000)};
  auto lo = std::lower_bound(transitions_.begin(), transitions_.end(), local - 2 * 86400);
  auto hi = std::upper_bound(transitions_.begin(), transitions_.end(), local + 2 * 86400);
  for (auto it = lo; it != hi; ++it) cands.push_back(offsets_[static_cast<size_t>(it - transitions_.begin())]);
  std::optional<int64_t> best;
  for (int64_t o : cands) {
    int64_t t = local - o;
    if (offset_at(t * 1000) == o && (!best || t < *best)) best = t;
  }
  if (best) return *best * 1000;
  // Midnight was skipped: the day starts at the transition that jumped over it.
  for (auto it = lo; it != hi; ++it) {
    int64_t t = *it;
    if (t + offset_at(t * 1000) >= local && (t - 1) + offset_at((t - 1) * 1000) < local) return t * 1000;
  }
  return (local - offset_at(local * 1000)) * 1000;
}

}  // namespace bottega::reports
