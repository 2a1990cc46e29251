// Business hours and the expected wait for a person. Pure: the clock is a parameter.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"

namespace bottega::bot {

struct BusinessHours {
  // Local time = UTC + utc_offset_minutes (a fixed offset; see docs/bot.md on time zones).
  int utc_offset_minutes = 0;
  // Per weekday, Monday = 0: opening and closing minute of the local day; open < 0 means closed.
  // close may exceed 1440 (open past midnight).
  std::array<std::pair<int, int>, 7> days{{{540, 1080}, {540, 1080}, {540, 1080}, {540, 1080},
                                           {540, 1080}, {-1, -1}, {-1, -1}}};
  std::vector<std::string> holidays;  // local dates "YYYY-MM-DD" closed all day
};

// {"utc_offset_minutes":60,"days":{"mon":["09:00","18:00"],"sat":null,...},"holidays":[...]}
Result<BusinessHours> parse_business_hours(const boost::json::object& o, const std::string& path);
boost::json::object to_json(const BusinessHours& h);

// Whether the shop is open at `now_ms`.
bool is_open(const BusinessHours& h, int64_t now_ms);
// The next moment (>= now_ms) the shop is open; now_ms when open now. Looks ahead 30 days; -1 when
// never open in that time.
int64_t next_open(const BusinessHours& h, int64_t now_ms);

struct WaitEstimate {
  bool open_now = false;
  int64_t minutes = 0;        // expected minutes until a person answers (open_now)
  int64_t opens_at_ms = -1;   // when closed: next opening (UTC ms), -1 unknown
  int weekday = 0;            // of opens_at in local time, Monday = 0
  std::string local_time;     // "09:00" of opens_at in local time
};

// Expected wait: with the shop open, conversations waiting ahead (queue) are shared among the
// agents online, each taking `handle_minutes`; with nobody online, at most `handle_minutes` *
// (queue + 1) and never less than 15. Closed: the next opening.
WaitEstimate expected_wait(const BusinessHours& h, int64_t now_ms, int64_t queue, int64_t agents_online,
                           int64_t handle_minutes);

}  // namespace bottega::bot
