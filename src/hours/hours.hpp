// Business hours in the shop's IANA time zone: opening intervals per weekday (several a day, e.g.
// a lunch break; an interval may run past midnight), holidays, and the arithmetic the SLAs need
// (is it open, when does it open, the instant N business seconds after a start). Local times are
// turned into instants with the zone's rules of that very day, so a daylight saving change moves
// nothing a person would not expect: "09:00-18:00" is 9 hours on the day clocks change too.
// Pure apart from loading the zone file at parse time. One implementation for the whole server: the
// SLA clock (service), the after-hours reply (service) and the bot's expected wait (bot) all read
// the shop's hours from here (docs/service.md).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"
#include "hours/tz.hpp"

namespace bottega::hours {

struct BusinessHours {
  std::shared_ptr<const TimeZone> zone = TimeZone::utc();
  // Per weekday, Monday = 0: [open, close) in minutes of the local day, ascending; close may
  // exceed 1440 (past midnight). Empty: closed all day.
  std::array<std::vector<std::pair<int, int>>, 7> days{
      {{{540, 1080}}, {{540, 1080}}, {{540, 1080}}, {{540, 1080}}, {{540, 1080}}, {}, {}}};
  std::vector<std::string> holidays;  // local dates "YYYY-MM-DD", closed all day

  // The opening intervals [start, end) in UTC ms that overlap [from_ms, to_ms), in order.
  std::vector<std::pair<int64_t, int64_t>> intervals(int64_t from_ms, int64_t to_ms) const;
  bool is_open(int64_t at_ms) const;
  // The next moment >= at_ms the shop is open (at_ms when open now); -1 when not within 60 days.
  int64_t next_open(int64_t at_ms) const;
  // The instant at which `seconds` of opening time have passed since start_ms (counting only
  // open time); -1 when the hours never open within 400 days.
  int64_t add_business_seconds(int64_t start_ms, int64_t seconds) const;
  // Opening time between two instants, in seconds.
  int64_t business_seconds_between(int64_t from_ms, int64_t to_ms) const;

  struct Local {
    int weekday = 0;  // Monday = 0
    int minute = 0;   // of the local day, 0..1439
  };
  // The wall-clock weekday and time at `at_ms` in the shop's zone.
  Local local(int64_t at_ms) const;
};

// {"time_zone":"Europe/Rome","days":{"mon":["09:00","18:00"],"tue":[["09:00","13:00"],["14:00","18:00"]],
//  "sat":null},"holidays":["2026-12-25"]}. Days not given keep the default (Mon-Fri 09:00-18:00);
// null or [] is closed. Errors name the field under `path`.
Result<BusinessHours> parse_business_hours(const boost::json::object& o, const std::string& path,
                                           const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
boost::json::object to_json(const BusinessHours& h);

}  // namespace bottega::hours
