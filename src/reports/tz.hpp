// IANA time zones for reports: local dates to UTC instants and back, DST correct. Reads the
// system's compiled zone files (TZif, /usr/share/zoneinfo; Debian's tzdata package) once per zone.
// Pure after loading; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::reports {

// A civil date.
struct Date {
  int y = 1970, m = 1, d = 1;
  bool operator==(const Date&) const = default;
  auto operator<=>(const Date&) const = default;
};
int64_t days_from_civil(Date d);   // days since 1970-01-01
Date civil_from_days(int64_t z);
// "YYYY-MM-DD" (a real calendar date) or nullopt.
std::optional<Date> parse_date(std::string_view s);
std::string format_date(Date d);
// RFC 3339 / ISO 8601 "2026-11-22T08:00:00(.sss)Z" or with "+01:00": UTC milliseconds.
std::optional<int64_t> parse_timestamp(std::string_view s);

class TimeZone {
 public:
  // "UTC", "Europe/Rome", "Asia/Kathmandu", ... Error invalid("time_zone") for unknown or
  // malformed names (no paths: letters, digits, '/', '_', '-', '+' only).
  static Result<std::shared_ptr<const TimeZone>> load(const std::string& name);
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  // Offset from UTC in seconds at the UTC instant `utc_ms`.
  int64_t offset_at(int64_t utc_ms) const;
  // The local date at `utc_ms`.
  Date local_date(int64_t utc_ms) const;
  // The first UTC instant of the local day `d` (its midnight, or when midnight does not exist
  // because the clocks jumped past it, the first instant that does).
  int64_t day_start(Date d) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int64_t> offsets_;      // offset in force from transitions_[i]
  int64_t initial_offset_ = 0;        // before the first transition
};

}  // namespace bottega::reports
