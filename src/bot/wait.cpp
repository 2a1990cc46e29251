#include "bot/wait.hpp"

#include <algorithm>
#include <cstdio>

namespace bottega::bot {

WaitEstimate expected_wait(const BusinessHours& h, int64_t now_ms, int64_t queue, int64_t agents_online,
                           int64_t handle_minutes) {
  WaitEstimate w;
  if (queue < 0) queue = 0;
  if (handle_minutes < 1) handle_minutes = 1;
  w.open_now = h.is_open(now_ms);
  if (w.open_now) {
    if (agents_online > 0) {
      w.minutes = std::max<int64_t>(1, (queue / agents_online + 1) * handle_minutes);
    } else {
      w.minutes = std::max<int64_t>(15, (queue + 1) * handle_minutes);
    }
    return w;
  }
  w.opens_at_ms = h.next_open(now_ms);
  if (w.opens_at_ms >= 0) {
    auto l = h.local(w.opens_at_ms);
    w.weekday = l.weekday;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", l.minute / 60, l.minute % 60);
    w.local_time = buf;
  }
  return w;
}

}  // namespace bottega::bot
