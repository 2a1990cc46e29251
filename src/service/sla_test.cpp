// Priority score and SLA due-time arithmetic. Pure: every instant is given.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "service/priority.hpp"
#include "service/sla.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;

// UTC ms of a UTC civil time.
int64_t utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return (hours::days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
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
  auto d = compute_dues(*s, Level::high, "webchat", c);
  ASSERT_TRUE(d.first_response && d.resolution);
  EXPECT_FALSE(d.next_response);
  EXPECT_EQ(*d.first_response, utc(2026, 12, 4, 17));   // the last opening hour of Friday
  // 24 business hours: Friday 1 + Monday 9 + Tuesday 9 + Wednesday 5 -> 14:00 CET Wednesday.
  EXPECT_EQ(*d.resolution, utc(2026, 12, 9, 13));
  c.person_replied = true;
  d = compute_dues(*s, Level::high, "webchat", c);
  EXPECT_FALSE(d.first_response);
  ASSERT_TRUE(d.next_response);
  EXPECT_EQ(*d.next_response, utc(2026, 12, 7, 9));     // 1 h Friday + 1 h Monday from 09:00 CET
  EXPECT_FALSE(compute_dues(*s, Level::normal, "webchat", c).next_response);  // no policy for normal
  c.active = false;
  EXPECT_FALSE(compute_dues(*s, Level::high, "webchat", c).resolution);
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

TEST(Sla, TheMostSpecificPolicyWinsChannelAndPriorityThenPriorityThenDefault) {
  auto s = apply_settings_patch(ServiceSettings{}, bj::parse(R"({"sla":{"business_hours":false,
    "policies":{"default":{"first_response_seconds":14400,"resolution_seconds":172800},
                "high":{"first_response_seconds":3600}},
    "channels":{"whatsapp":{"high":{"first_response_seconds":600},"low":{"first_response_seconds":7200}},
                "email":{"normal":null}}}})").as_object());
  ASSERT_TRUE(s.ok()) << s.error().field << ": " << s.error().message;
  SlaClock c;
  c.opened_at = utc(2026, 12, 4, 16);
  c.waiting_since = c.opened_at;
  auto due = [&](Level l, const char* channel) { return compute_dues(*s, l, channel, c); };
  // channel + priority
  EXPECT_EQ(*due(Level::high, "whatsapp").first_response, c.opened_at + 600'000);
  EXPECT_EQ(*due(Level::low, "whatsapp").first_response, c.opened_at + 7'200'000);
  // priority (no whatsapp policy for normal, none for high on email)
  EXPECT_EQ(*due(Level::high, "email").first_response, c.opened_at + 3'600'000);
  // default (no level policy for normal; "email": {"normal": null} sets nothing)
  EXPECT_EQ(*due(Level::normal, "whatsapp").first_response, c.opened_at + 14'400'000);
  EXPECT_EQ(*due(Level::normal, "email").first_response, c.opened_at + 14'400'000);
  // The winning policy applies as a whole: the high policy has no resolution target, and the
  // default's is not borrowed.
  EXPECT_FALSE(due(Level::high, "webchat").resolution);
  EXPECT_FALSE(due(Level::high, "whatsapp").resolution);
  EXPECT_EQ(*due(Level::urgent, "webchat").resolution, c.opened_at + 172'800'000);
  PolicyScope scope;
  s->sla.targets_for(Level::high, "whatsapp", &scope);
  EXPECT_EQ(scope, PolicyScope::channel);
  s->sla.targets_for(Level::high, "telegram", &scope);
  EXPECT_EQ(scope, PolicyScope::level);
  s->sla.targets_for(Level::low, "telegram", &scope);
  EXPECT_EQ(scope, PolicyScope::fallback);
  EXPECT_EQ(std::string(to_string(scope)), "default");
  EXPECT_EQ(ServiceSettings{}.sla.targets_for(Level::low, "email", &scope).set(), false);
  EXPECT_EQ(scope, PolicyScope::none);

  // Stored and read back the same; the API shape lists the channels' policies that are set.
  auto back = settings_from_json(bj::serialize(to_json(*s)));
  EXPECT_EQ(bj::serialize(to_json(back)), bj::serialize(to_json(*s)));
  auto j = to_json(*s).at("sla").as_object();
  EXPECT_EQ(j.at("policies").as_object().at("default").as_object().at("first_response_seconds").as_int64(), 14400);
  EXPECT_EQ(j.at("channels").as_object().at("whatsapp").as_object().size(), 2u);
  EXPECT_FALSE(j.at("channels").as_object().contains("email"));  // nothing set there
}

TEST(Sla, ChannelPolicyErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"sla":{"channels":{"fax":{"high":{"first_response_seconds":60}}}}})", "sla.channels.fax"},
      {R"({"sla":{"channels":{"email":{"vip":{}}}}})", "sla.channels.email.vip"},
      {R"({"sla":{"channels":{"email":{"default":{}}}}})", "sla.channels.email.default"},
      {R"({"sla":{"channels":{"email":{"high":{"first_response_seconds":-1}}}}})", "sla.channels.email.high.first_response_seconds"},
      {R"({"sla":{"channels":{"email":[]}}})", "sla.channels.email"},
      {R"({"sla":{"channels":[]}})", "sla.channels"},
      {R"({"sla":{"policies":{"default":{"first_seconds":60}}}})", "sla.policies.default.first_seconds"},
      {R"({"sla":{"policies":{"default":5}}})", "sla.policies.default"},
  };
  for (const auto& c : cases) {
    auto r = apply_settings_patch(ServiceSettings{}, bj::parse(c.json).as_object());
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().field, c.field) << c.json;
  }
}

}  // namespace
}  // namespace bottega::service
