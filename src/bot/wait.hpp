// The expected wait for a person, from the queue, the agents online and the shop's business hours
// (the IANA-zone hours of hours/hours.hpp, set with PATCH /api/v1/service/settings). Pure: the
// clock is a parameter.
#pragma once

#include <cstdint>
#include <string>

#include "hours/hours.hpp"

namespace bottega::bot {

using hours::BusinessHours;

struct WaitEstimate {
  bool open_now = false;
  int64_t minutes = 0;        // expected minutes until a person answers (open_now)
  int64_t opens_at_ms = -1;   // when closed: next opening (UTC ms), -1 unknown
  int weekday = 0;            // of opens_at in the shop's local time, Monday = 0
  std::string local_time;     // "09:00" of opens_at in the shop's local time
};

// Expected wait: with the shop open, conversations waiting ahead (queue) are shared among the
// agents online, each taking `handle_minutes`; with nobody online, at most `handle_minutes` *
// (queue + 1) and never less than 15. Closed: the next opening.
WaitEstimate expected_wait(const BusinessHours& h, int64_t now_ms, int64_t queue, int64_t agents_online,
                           int64_t handle_minutes);

}  // namespace bottega::bot
