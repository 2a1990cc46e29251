// Time zones (TZif + POSIX footer), business hours across daylight saving changes, priority score
// and SLA due-time arithmetic. Pure: every instant is given.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "service/hours.hpp"
#include "service/priority.hpp"
#include "service/sla.hpp"
#include "service/tz.hpp"

namespace bottega::service {
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

BusinessHours hours(const char* json) {
  auto r = parse_business_hours(bj::parse(json).as_object(), "business_hours");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().field + ": " + r.error().message);
  return r.ok() ? *r : BusinessHours{};
}

TEST(BusinessHours, NineToSixInRomeAcrossTheSpringChange) {
  auto h = hours(R"({"time_zone":"Europe/Rome","days":{"sat":["09:00","18:00"],"sun":["09:00","18:00"]}})");
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
  auto h = hours(R"({"time_zone":"Europe/Rome","days":{"mon":["22:00","06:00"],"tue":["22:00","06:00"],"wed":["22:00","06:00"],"thu":["22:00","06:00"],"fri":["22:00","06:00"],"sat":["22:00","06:00"],"sun":["22:00","06:00"]}})");
  EXPECT_EQ(h.business_seconds_between(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)), 9 * 3600);
  EXPECT_EQ(h.business_seconds_between(utc(2026, 10, 20, 12), utc(2026, 10, 21, 12)), 8 * 3600);
  EXPECT_TRUE(h.is_open(utc(2026, 10, 25, 4, 30)));   // 05:30 CET
  EXPECT_FALSE(h.is_open(utc(2026, 10, 25, 5, 0)));   // 06:00 CET
}

TEST(BusinessHours, LunchBreakHolidaysAndWeekend) {
  auto h = hours(R"({"time_zone":"Europe/Rome","days":{"mon":[["09:00","13:00"],["14:00","18:00"]]},"holidays":["2026-12-07"]})");
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

TEST(Priority, PresaleAheadOfPostSaleAndWaitingCounts) {
  PriorityInput pre{{"presale"}, 0, "whatsapp", false, 0};
  PriorityInput post{{"order-status"}, 0, "whatsapp", false, 0};
  auto a = base_score(pre), b = base_score(post);
  EXPECT_GT(a.points, b.points);
  EXPECT_EQ(a.level, Level::high);
  EXPECT_EQ(b.level, Level::normal);
  // A post-sale question waiting 2 hours (240 points) passes a fresh pre-sale one (300 apart)
  // only with more on its side; waiting is capped.
  EXPECT_EQ(waiting_points(0, 60'000 * 30), 60);
  EXPECT_EQ(waiting_points(0, 60'000 * 600), 240);
  EXPECT_EQ(waiting_points(-1, 60'000), 0);
  EXPECT_LT(b.points + waiting_points(0, 60'000 * 600), a.points);
  // Explicit priority, cart value and returning customers add up and are explained.
  PriorityInput rich{{"order-status"}, 600, "email", true, 250'000};
  auto r = base_score(rich);
  EXPECT_EQ(r.points, 100 + 600 + 150 + 30);
  EXPECT_EQ(r.level, Level::high);
  auto e = explain(r, 0, 60'000 * 10);
  EXPECT_EQ(e.at("score").as_int64(), r.points + 20);
  EXPECT_EQ(e.at("components").as_array().size(), 5u);  // intent, explicit, cart, returning, waiting
}

TEST(Sla, DueTimesFollowTheClockAndPolicy) {
  auto s = apply_settings_patch(ServiceSettings{}, bj::parse(R"({
    "business_hours":{"time_zone":"Europe/Rome"},
    "sla":{"policies":{"high":{"first_response_seconds":3600,"next_response_seconds":7200,"resolution_seconds":86400}}}})").as_object());
  ASSERT_TRUE(s.ok()) << s.error().field;
  SlaClock c;
  c.opened_at = utc(2026, 12, 4, 16);  // Friday 17:00 CET
  c.waiting_since = c.opened_at;
  auto d = compute_dues(*s, Level::high, c);
  ASSERT_TRUE(d.first_response && d.resolution);
  EXPECT_FALSE(d.next_response);
  EXPECT_EQ(*d.first_response, utc(2026, 12, 4, 17));   // the last opening hour of Friday
  // 24 business hours: Friday 1 + Monday 9 + Tuesday 9 + Wednesday 5 -> 14:00 CET Wednesday.
  EXPECT_EQ(*d.resolution, utc(2026, 12, 9, 13));
  c.person_replied = true;
  d = compute_dues(*s, Level::high, c);
  EXPECT_FALSE(d.first_response);
  ASSERT_TRUE(d.next_response);
  EXPECT_EQ(*d.next_response, utc(2026, 12, 7, 9));     // 1 h Friday + 1 h Monday from 09:00 CET
  EXPECT_FALSE(compute_dues(*s, Level::normal, c).next_response);  // no policy for normal
  c.active = false;
  EXPECT_FALSE(compute_dues(*s, Level::high, c).resolution);
}

TEST(Sla, SettingsErrorsNameTheFieldAndRoundTrip) {
  auto bad = apply_settings_patch(ServiceSettings{}, bj::parse(R"({"sla":{"policies":{"high":{"first_response_seconds":0}}}})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "sla.policies.high.first_response_seconds");
  bad = apply_settings_patch(ServiceSettings{}, bj::parse(R"({"sla":{"policies":{"vip":{}}}})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "sla.policies.vip");
  bad = apply_settings_patch(ServiceSettings{}, bj::parse(R"({"slas":{}})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "slas");

  auto s = apply_settings_patch(ServiceSettings{}, bj::parse(R"({"business_hours":{"time_zone":"America/New_York","days":{"sat":["10:00","14:00"]},"holidays":["2026-11-26"]},"sla":{"business_hours":false,"policies":{"urgent":{"first_response_seconds":300}}}})").as_object());
  ASSERT_TRUE(s.ok());
  auto back = settings_from_json(bj::serialize(to_json(*s)));
  EXPECT_EQ(bj::serialize(to_json(back)), bj::serialize(to_json(*s)));
  EXPECT_EQ(back.hours.zone->name(), "America/New_York");
  EXPECT_FALSE(back.sla.business_hours);
  EXPECT_EQ(back.sla.levels[static_cast<size_t>(Level::urgent)].first_response_s, 300);
}

}  // namespace
}  // namespace bottega::service
