// Time zones (TZif + POSIX footer) and business hours across daylight saving changes. Pure: every
// instant is given (the zone files are Debian's tzdata).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "hours/hours.hpp"
#include "hours/shop_hours.hpp"
#include "hours/tz.hpp"

namespace bottega::hours {
namespace {

namespace bj = boost::json;

// UTC ms of a UTC civil time.
int64_t utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

std::shared_ptr<const TimeZone> zone(const char* name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error().message);
  return z.ok() ? *z : TimeZone::utc();
}

TEST(TimeZone, RomeFollowsDaylightSavingTime) {
  auto rome = zone("Europe/Rome");
  EXPECT_EQ(rome->offset_at(utc(2026, 1, 15, 12) / 1000), 3600);
  EXPECT_EQ(rome->offset_at(utc(2026, 7, 15, 12) / 1000), 7200);
  // 2026: CEST from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
  EXPECT_EQ(rome->offset_at(utc(2026, 3, 29, 0, 59) / 1000), 3600);
  EXPECT_EQ(rome->offset_at(utc(2026, 3, 29, 1, 0) / 1000), 7200);
  EXPECT_EQ(rome->offset_at(utc(2026, 10, 25, 0, 59) / 1000), 7200);
  EXPECT_EQ(rome->offset_at(utc(2026, 10, 25, 1, 0) / 1000), 3600);
}

TEST(TimeZone, FarFutureUsesThePosixRule) {
  // Past the last transition the zone file lists (2037 in a "fat" file), the footer's rule.
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offset_at(utc(2100, 1, 10, 12) / 1000), -5 * 3600);
  EXPECT_EQ(ny->offset_at(utc(2100, 7, 10, 12) / 1000), -4 * 3600);
  // 2100: second Sunday of March is 14 March; DST from 07:00 UTC.
  EXPECT_EQ(ny->offset_at(utc(2100, 3, 14, 6, 59) / 1000), -5 * 3600);
  EXPECT_EQ(ny->offset_at(utc(2100, 3, 14, 7, 0) / 1000), -4 * 3600);
  auto syd = zone("Australia/Sydney");  // southern hemisphere: DST spans the new year
  EXPECT_EQ(syd->offset_at(utc(2100, 1, 10, 0) / 1000), 11 * 3600);
  EXPECT_EQ(syd->offset_at(utc(2100, 7, 10, 0) / 1000), 10 * 3600);
}

TEST(TimeZone, LocalToUtcInGapsAndOverlaps) {
  auto rome = zone("Europe/Rome");
  auto local = [](int y, unsigned m, unsigned d, int h, int mi) { return utc(y, m, d, h, mi) / 1000; };
  EXPECT_EQ(rome->to_utc(local(2026, 7, 1, 9, 0)) * 1000, utc(2026, 7, 1, 7, 0));
  // 02:30 on 29 March 2026 does not exist in Rome: moved forward to 03:30 CEST = 01:30 UTC.
  EXPECT_EQ(rome->to_utc(local(2026, 3, 29, 2, 30)) * 1000, utc(2026, 3, 29, 1, 30));
  // 02:30 on 25 October 2026 happens twice: the earlier (CEST) instant.
  EXPECT_EQ(rome->to_utc(local(2026, 10, 25, 2, 30)) * 1000, utc(2026, 10, 25, 0, 30));
}

TEST(TimeZone, RejectsWhatIsNotAZone) {
  for (const char* bad : {"", "Mars/Base", "../../etc/passwd", "/etc/passwd", "Europe", "Europe/Rome; rm", "posixrules/.."}) {
    auto z = TimeZone::load(bad, "business_hours.time_zone");
    ASSERT_FALSE(z.ok()) << bad;
    EXPECT_EQ(z.error().field, "business_hours.time_zone");
  }
  EXPECT_TRUE(TimeZone::load("UTC").ok());
}

BusinessHours parse_hours(const char* json) {
  auto r = parse_business_hours(bj::parse(json).as_object(), "business_hours");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().field + ": " + r.error().message);
  return r.ok() ? *r : BusinessHours{};
}

TEST(BusinessHours, NineToSixInRomeAcrossTheSpringChange) {
  auto h = parse_hours(R"({"time_zone":"Europe/Rome","days":{"sat":["09:00","18:00"],"sun":["09:00","18:00"]}})");
  // Saturday 28 March 2026 (CET, UTC+1): open 08:00-17:00 UTC. Sunday 29 (CEST): 07:00-16:00 UTC.
  EXPECT_FALSE(h.is_open(utc(2026, 3, 28, 7, 59)));
  EXPECT_TRUE(h.is_open(utc(2026, 3, 28, 8, 0)));
  EXPECT_FALSE(h.is_open(utc(2026, 3, 28, 17, 0)));
  EXPECT_TRUE(h.is_open(utc(2026, 3, 29, 7, 0)));
  EXPECT_FALSE(h.is_open(utc(2026, 3, 29, 16, 0)));
  EXPECT_EQ(h.next_open(utc(2026, 3, 28, 20, 0)), utc(2026, 3, 29, 7, 0));
  // A 4-hour SLA from Saturday 16:00 local (15:00 UTC): 2 hours on Saturday, 2 on Sunday,
  // due Sunday 11:00 local = 09:00 UTC (not 10:00, which a fixed offset would give).
  EXPECT_EQ(h.add_business_seconds(utc(2026, 3, 28, 15, 0), 4 * 3600), utc(2026, 3, 29, 9, 0));
  // Each day is 9 opening hours, the short night of the change included.
  EXPECT_EQ(h.business_seconds_between(utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)), 18 * 3600);
}

TEST(BusinessHours, AutumnChangeAndOvernightShift) {
  // Open 22:00-06:00 every night in Rome. The night of 24-25 October 2026 has 25 hours: the
  // shift is 9 hours long that night (22:00 CEST = 20:00 UTC to 06:00 CET = 05:00 UTC).
  auto h = parse_hours(R"({"time_zone":"Europe/Rome","days":{"mon":["22:00","06:00"],"tue":["22:00","06:00"],"wed":["22:00","06:00"],"thu":["22:00","06:00"],"fri":["22:00","06:00"],"sat":["22:00","06:00"],"sun":["22:00","06:00"]}})");
  EXPECT_EQ(h.business_seconds_between(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)), 9 * 3600);
  EXPECT_EQ(h.business_seconds_between(utc(2026, 10, 20, 12), utc(2026, 10, 21, 12)), 8 * 3600);
  EXPECT_TRUE(h.is_open(utc(2026, 10, 25, 4, 30)));   // 05:30 CET
  EXPECT_FALSE(h.is_open(utc(2026, 10, 25, 5, 0)));   // 06:00 CET
}

TEST(BusinessHours, LunchBreakHolidaysAndWeekend) {
  auto h = parse_hours(R"({"time_zone":"Europe/Rome","days":{"mon":[["09:00","13:00"],["14:00","18:00"]]},"holidays":["2026-12-07"]})");
  // Friday 4 December 2026 17:00 CET (16:00 UTC), 3 business hours: 1 on Friday; Monday 7 is a
  // holiday; Tuesday 8 from 09:00: due 11:00 CET = 10:00 UTC.
  EXPECT_EQ(h.add_business_seconds(utc(2026, 12, 4, 16), 3 * 3600), utc(2026, 12, 8, 10));
  // Monday 14 December: lunch break 13:00-14:00 does not count.
  EXPECT_EQ(h.add_business_seconds(utc(2026, 12, 14, 11), 2 * 3600), utc(2026, 12, 14, 14));
  EXPECT_FALSE(h.is_open(utc(2026, 12, 14, 12, 30)));
}

TEST(BusinessHours, ParseErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"time_zone":"Nowhere/City"})", "business_hours.time_zone"},
      {R"({"days":{"mon":["9:00","18:00"]}})", "business_hours.days.mon[0]"},
      {R"({"days":{"funday":null}})", "business_hours.days.funday"},
      {R"({"days":{"mon":[["09:00","13:00"],["12:00","18:00"]]}})", "business_hours.days.mon"},
      {R"({"holidays":["2026-02-30"]})", "business_hours.holidays[0]"},
      {R"({"zone":"UTC"})", "business_hours.zone"},
  };
  for (const auto& c : cases) {
    auto r = parse_business_hours(bj::parse(c.json).as_object(), "business_hours");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().field, c.field) << c.json;
  }
}

TEST(BusinessHours, LocalWallClockFollowsTheZone) {
  auto h = parse_hours(R"({"time_zone":"Europe/Rome"})");
  auto winter = h.local(utc(2026, 3, 28, 8));  // Saturday 09:00 CET
  EXPECT_EQ(winter.weekday, 5);
  EXPECT_EQ(winter.minute, 9 * 60);
  auto summer = h.local(utc(2026, 3, 30, 7));  // Monday 09:00 CEST
  EXPECT_EQ(summer.weekday, 0);
  EXPECT_EQ(summer.minute, 9 * 60);
  EXPECT_EQ(h.local(utc(2026, 10, 25, 23, 30)).minute, 30);  // 00:30 CET on Monday 26
  EXPECT_EQ(h.local(utc(2026, 10, 25, 23, 30)).weekday, 0);
}

TEST(BusinessHours, RoundTripsThroughJsonIncludingOpenToMidnight) {
  for (const char* json : {R"({"time_zone":"Europe/Rome","days":{"mon":["00:00","24:00"],"tue":["18:00","02:00"],"wed":[["09:00","13:00"],["14:00","24:00"]],"sun":null},"holidays":["2026-12-25"]})",
                           R"({"days":{"sat":["22:00","00:00"]}})"}) {
    auto h = parse_hours(json);
    auto again = parse_business_hours(to_json(h), "business_hours");
    ASSERT_TRUE(again.ok()) << json << " -> " << again.error().field << ": " << again.error().message;
    EXPECT_EQ(again->days, h.days) << json;
    EXPECT_EQ(again->holidays, h.holidays);
    EXPECT_EQ(again->zone->name(), h.zone->name());
  }
  auto h = parse_hours(R"({"days":{"mon":["00:00","24:00"]}})");
  EXPECT_TRUE(h.is_open(utc(2026, 11, 23, 23, 59)));  // Monday, the last minute
}

TEST(ShopHours, StoredSettingsGiveTheConfiguredHoursOrTheDefaults) {
  auto s = from_stored_settings(
      R"({"business_hours":{"time_zone":"Europe/Amsterdam","days":{"sat":["10:00","14:00"]},"holidays":["2026-12-25"]},"business_hours_configured":true,"sla":{}})");
  EXPECT_TRUE(s.configured);
  EXPECT_EQ(s.hours.zone->name(), "Europe/Amsterdam");
  EXPECT_EQ(s.hours.days[5].size(), 1u);
  EXPECT_EQ(s.hours.holidays.size(), 1u);
  // Not configured (the stored section is the default shape), unparsable, a zone that is gone.
  for (const char* stored : {R"({"business_hours":{"time_zone":"Europe/Rome"},"business_hours_configured":false})",
                             R"({"business_hours":{"time_zone":"Europe/Rome"}})", "not json", "[]",
                             R"({"business_hours":{"time_zone":"Gone/Away"},"business_hours_configured":true})"}) {
    auto d = from_stored_settings(stored);
    EXPECT_FALSE(d.configured) << stored;
    EXPECT_EQ(d.hours.zone->name(), "UTC") << stored;
    EXPECT_EQ(d.hours.days[0].size(), 1u) << stored;  // Monday-Friday 09:00-18:00
    EXPECT_TRUE(d.hours.days[6].empty()) << stored;
  }
}

}  // namespace
}  // namespace bottega::hours
