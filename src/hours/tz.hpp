// IANA time zones from the system's TZif files (/usr/share/zoneinfo, Debian's tzdata), because
// g++ 12's libstdc++ has no std::chrono time-zone database. Reads the 64-bit (v2+) data and the
// POSIX TZ footer that extends the rules past the last listed transition. Immutable after load,
// so a loaded zone is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::hours {

class TimeZone {
 public:
  // "Europe/Rome", "America/New_York", "UTC". The name must be a zone file under `dir`;
  // anything else (a path, "..", an unknown zone) is an error on `field`.
  static Result<std::shared_ptr<const TimeZone>> load(std::string_view name, const std::string& field = "time_zone",
                                                      const std::string& dir = "/usr/share/zoneinfo");
  // From the bytes of a TZif file (tests; load() uses it).
  static Result<std::shared_ptr<const TimeZone>> parse(std::string_view name, std::string_view tzif);
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at the UTC instant `utc_s` (seconds since the epoch).
  int64_t offset_at(int64_t utc_s) const;
  // The UTC instant of a local wall-clock time (seconds since the local epoch). In a gap (spring
  // forward) the time is moved forward by the gap; in an overlap (fall back) the earlier instant.
  int64_t to_utc(int64_t local_s) const;
  int64_t to_local(int64_t utc_s) const { return utc_s + offset_at(utc_s); }

 private:
  struct Rule {  // POSIX "Mm.w.d/time"
    int month = 0, week = 0, wday = 0;
    int64_t time = 7200;
  };
  struct Footer {
    bool present = false;
    int64_t std_off = 0, dst_off = 0;
    bool has_dst = false;
    Rule start, end;
  };
  static bool parse_footer(std::string_view s, Footer& f);
  int64_t footer_offset(int64_t utc_s) const;

  std::string name_;
  std::vector<int64_t> trans_;      // transition instants, ascending
  std::vector<int64_t> trans_off_;  // offset in effect from each transition
  int64_t initial_off_ = 0;         // before the first transition
  Footer footer_;
};

// Civil date helpers (proleptic Gregorian): days since 1970-01-01 <-> y/m/d; Monday = 0.
int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d);
int weekday_of_days(int64_t days);

}  // namespace bottega::hours
