// The bot's expected wait reads the shop's IANA-zone business hours (hours/hours.hpp): the next
// opening is told in the shop's wall-clock time on both sides of a daylight saving change. The
// clock is injected (every instant is a parameter).
#include "bot/wait.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "hours/tz.hpp"

namespace bottega::bot {
namespace {

constexpr int64_t kMin = 60'000;

int64_t utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return (hours::days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

BusinessHours shop(const char* json) {
  auto r = hours::parse_business_hours(boost::json::parse(json).as_object(), "business_hours");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().field + ": " + r.error().message);
  return r.ok() ? *r : BusinessHours{};
}

BusinessHours rome() { return shop(R"({"time_zone":"Europe/Rome"})"); }  // Mon-Fri 09:00-18:00

TEST(ExpectedWait, NextOpeningAcrossTheSpringChangeIsNineOClockShopTime) {
  auto h = rome();
  // Saturday 28 March 2026, 21:00 CET. Clocks go forward on Sunday 29; the shop opens on Monday 30
  // at 09:00 CEST = 07:00 UTC (a fixed +01:00 offset would have said 08:00 UTC, i.e. 10:00 local).
  auto w = expected_wait(h, utc(2026, 3, 28, 20), 3, 0, 10);
  EXPECT_FALSE(w.open_now);
  EXPECT_EQ(w.opens_at_ms, utc(2026, 3, 30, 7));
  EXPECT_EQ(w.weekday, 0);
  EXPECT_EQ(w.local_time, "09:00");
  // The same clock a week earlier (still CET): 08:00 UTC.
  w = expected_wait(h, utc(2026, 3, 21, 20), 3, 0, 10);
  EXPECT_EQ(w.opens_at_ms, utc(2026, 3, 23, 8));
  EXPECT_EQ(w.local_time, "09:00");
}

TEST(ExpectedWait, AutumnChangeAndTheInstantsAroundOpening) {
  auto h = rome();
  // Friday 23 October 2026 18:30 CEST (16:30 UTC); clocks go back on Sunday 25: Monday 26 opens
  // at 09:00 CET = 08:00 UTC.
  auto w = expected_wait(h, utc(2026, 10, 23, 16, 30), 0, 2, 10);
  EXPECT_FALSE(w.open_now);
  EXPECT_EQ(w.opens_at_ms, utc(2026, 10, 26, 8));
  EXPECT_EQ(w.local_time, "09:00");
  // One minute before and at the opening, and the last minute of the day, on the new offset.
  EXPECT_FALSE(expected_wait(h, utc(2026, 10, 26, 7, 59), 0, 2, 10).open_now);
  EXPECT_TRUE(expected_wait(h, utc(2026, 10, 26, 8), 0, 2, 10).open_now);
  EXPECT_TRUE(expected_wait(h, utc(2026, 10, 26, 16, 59), 0, 2, 10).open_now);
  EXPECT_FALSE(expected_wait(h, utc(2026, 10, 26, 17), 0, 2, 10).open_now);
}

TEST(ExpectedWait, HolidaysAndWeekendsAreSkipped) {
  auto h = shop(R"({"time_zone":"Europe/Rome","holidays":["2026-12-25","2026-12-28"]})");
  // Christmas Friday 10:00 CET: closed; Monday 28 is a holiday too: Tuesday 29 at 09:00.
  auto w = expected_wait(h, utc(2026, 12, 25, 9), 0, 2, 10);
  EXPECT_FALSE(w.open_now);
  EXPECT_EQ(w.weekday, 1);
  EXPECT_EQ(w.local_time, "09:00");
  EXPECT_EQ(w.opens_at_ms, utc(2026, 12, 29, 8));
}

TEST(ExpectedWait, NeverOpenIsUnknown) {
  auto h = shop(R"({"days":{"mon":null,"tue":null,"wed":null,"thu":null,"fri":null}})");
  auto w = expected_wait(h, utc(2026, 11, 23, 10), 0, 1, 10);
  EXPECT_FALSE(w.open_now);
  EXPECT_EQ(w.opens_at_ms, -1);
}

TEST(ExpectedWait, SharesTheQueueAmongAgentsOnline) {
  auto h = rome();
  int64_t t = utc(2026, 11, 23, 9);  // Monday 10:00 CET
  EXPECT_EQ(expected_wait(h, t, 0, 2, 5).minutes, 5);
  EXPECT_EQ(expected_wait(h, t, 4, 2, 5).minutes, 15);
  EXPECT_EQ(expected_wait(h, t, 0, 0, 5).minutes, 15);  // nobody online: never promise less than 15
  EXPECT_EQ(expected_wait(h, t, -3, 1, 0).minutes, 1);  // nonsense inputs are clamped
  EXPECT_TRUE(expected_wait(h, t + 30 * kMin, 0, 0, 5).open_now);
}

}  // namespace
}  // namespace bottega::bot
