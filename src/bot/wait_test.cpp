#include "bot/wait.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bottega::bot {
namespace {

constexpr int64_t kMin = 60'000;
// 2026-11-23 is a Monday.
constexpr int64_t kMon0800Utc = 1795420800000;
constexpr int64_t kSat1000Utc = 1795255200000;
constexpr int64_t kFri25Dec1000Utc = 1798192800000;

BusinessHours rome() {  // CET, UTC+1, Mon-Fri 09:00-18:00
  BusinessHours h;
  h.utc_offset_minutes = 60;
  return h;
}

TEST(BusinessHours, OpenAndClosedInLocalTime) {
  auto h = rome();
  EXPECT_TRUE(is_open(h, kMon0800Utc));              // 09:00 local: opens
  EXPECT_FALSE(is_open(h, kMon0800Utc - kMin));      // 08:59 local
  EXPECT_TRUE(is_open(h, kMon0800Utc + 539 * kMin)); // 17:59 local
  EXPECT_FALSE(is_open(h, kMon0800Utc + 540 * kMin)); // 18:00 local: closed
  EXPECT_FALSE(is_open(h, kSat1000Utc));             // Saturday
}

TEST(BusinessHours, NextOpeningSkipsWeekendAndHolidays) {
  auto h = rome();
  // Saturday 11:00 local -> Monday 09:00 local
  EXPECT_EQ(next_open(h, kSat1000Utc), kMon0800Utc);
  h.holidays = {"2026-11-23"};
  EXPECT_FALSE(is_open(h, kMon0800Utc + 60 * kMin));
  EXPECT_EQ(next_open(h, kSat1000Utc), kMon0800Utc + 24 * 60 * kMin);  // Tuesday 09:00
  auto w = expected_wait(h, kSat1000Utc, 3, 0, 10);
  EXPECT_FALSE(w.open_now);
  EXPECT_EQ(w.weekday, 1);
  EXPECT_EQ(w.local_time, "09:00");
  // Christmas on a Friday, declared a holiday
  auto x = rome();
  x.holidays = {"2026-12-25"};
  EXPECT_FALSE(is_open(x, kFri25Dec1000Utc));
  EXPECT_EQ(expected_wait(x, kFri25Dec1000Utc, 0, 2, 10).weekday, 0);  // Monday the 28th
}

TEST(BusinessHours, HoursAcrossMidnight) {
  auto r = boost::json::parse(R"({"utc_offset_minutes":0,"days":{"mon":["18:00","02:00"],"tue":null,"wed":null,"thu":null,"fri":null,"sat":null,"sun":null}})");
  auto h = parse_business_hours(r.as_object(), "business_hours");
  ASSERT_TRUE(h.ok()) << h.error().message;
  int64_t mon2330 = kMon0800Utc + (15 * 60 + 30) * kMin;
  EXPECT_TRUE(is_open(*h, mon2330));
  EXPECT_TRUE(is_open(*h, mon2330 + 2 * 60 * kMin));   // Tuesday 01:30, still Monday's shift
  EXPECT_FALSE(is_open(*h, mon2330 + 3 * 60 * kMin));  // Tuesday 02:30
  EXPECT_FALSE(is_open(*h, kMon0800Utc));              // Monday 08:00
  // renders back in the same form
  auto again = parse_business_hours(to_json(*h), "x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->days[0], h->days[0]);
}

TEST(BusinessHours, RejectsBadSettings) {
  for (const char* s : {R"({"days":{"mon":["9:00","18:00"]}})", R"({"days":{"funday":null}})",
                        R"({"utc_offset_minutes":5000})", R"({"holidays":["25/12/2026"]})", R"({"tz":"x"})"}) {
    auto v = boost::json::parse(s);
    EXPECT_FALSE(parse_business_hours(v.as_object(), "business_hours").ok()) << s;
  }
}

TEST(ExpectedWait, SharesTheQueueAmongAgentsOnline) {
  auto h = rome();
  int64_t t = kMon0800Utc + 60 * kMin;
  EXPECT_EQ(expected_wait(h, t, 0, 2, 5).minutes, 5);
  EXPECT_EQ(expected_wait(h, t, 4, 2, 5).minutes, 15);
  EXPECT_EQ(expected_wait(h, t, 0, 0, 5).minutes, 15);  // nobody online: never promise less than 15
  EXPECT_TRUE(expected_wait(h, t, 0, 0, 5).open_now);
}

}  // namespace
}  // namespace bottega::bot
