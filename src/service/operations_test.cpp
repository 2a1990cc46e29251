// Assignment choice and canned-response templates. Pure.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "pipeline/survey.hpp"
#include "service/assignment.hpp"
#include "hours/hours.hpp"
#include "service/operations.hpp"
#include "service/canned.hpp"

namespace bottega::service {
namespace {

TEST(Assignment, RoundRobinSkipsAwayAndFullAgents) {
  std::vector<AgentSlot> a{{"agt_a", true, 2, 0}, {"agt_b", false, 2, 0}, {"agt_c", true, 1, 1}, {"agt_d", true, 3, 2}};
  EXPECT_EQ(choose_agent(a, AssignMode::round_robin, ""), "agt_a");
  EXPECT_EQ(choose_agent(a, AssignMode::round_robin, "agt_a"), "agt_d");  // b away, c full
  EXPECT_EQ(choose_agent(a, AssignMode::round_robin, "agt_d"), "agt_a");  // wraps around
  EXPECT_EQ(choose_agent(a, AssignMode::off, ""), std::nullopt);
  for (auto& s : a) s.load = s.capacity;
  EXPECT_EQ(choose_agent(a, AssignMode::round_robin, ""), std::nullopt);
}

TEST(Assignment, LeastLoadedTakesTheEmptiestTiesInTurn) {
  std::vector<AgentSlot> a{{"agt_a", true, 5, 3}, {"agt_b", true, 5, 1}, {"agt_c", true, 5, 1}, {"agt_d", false, 5, 0}};
  EXPECT_EQ(choose_agent(a, AssignMode::least_loaded, ""), "agt_b");
  EXPECT_EQ(choose_agent(a, AssignMode::least_loaded, "agt_b"), "agt_c");  // tie: the next in turn
}

TEST(Canned, VariablesAreCheckedAndRenderedOnce) {
  EXPECT_TRUE(validate_template("Hi {{contact.first_name}}, {{ agent.name }} from {{shop.name}}", "body").ok());
  auto bad = validate_template("Your code {{order.secret}}", "body");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "body");
  EXPECT_EQ(bad.error().code, "unknown_variable");
  EXPECT_FALSE(validate_template("Hi {{contact.name", "body").ok());
  EXPECT_TRUE(validate_template("literal \\{{braces}}", "body").ok());

  std::map<std::string, std::string> vars{{"contact.first_name", "{{shop.name}}"}, {"shop.name", "Bottega"},
                                          {"agent.name", "Ada\x07\x1b[31m"}};
  EXPECT_EQ(render_template("Hi {{contact.first_name}} - {{shop.name}}", vars), "Hi {{shop.name}} - Bottega");
  EXPECT_EQ(render_template("{{agent.name}}", vars), "Ada[31m");  // control characters dropped
  EXPECT_EQ(render_template("{{contact.email}}!", vars), "!");     // unknown value: empty
  EXPECT_EQ(render_template("\\{{shop.name}}", vars), "{{shop.name}}");
}

}  // namespace
}  // namespace bottega::service

namespace bottega::service {
namespace {

TEST(AfterHours, OpeningIsSaidInTheShopsTimeAndTheCustomersLanguage) {
  auto h = parse_business_hours(boost::json::parse(R"({"time_zone":"Europe/Rome"})").as_object(), "business_hours");
  ASSERT_TRUE(h.ok());
  // Saturday 28 March 2026 20:00 UTC: closed; next opening Monday 30 March 09:00 CEST (07:00 UTC).
  int64_t sat = (hours::days_from_civil(2026, 3, 28) * 86400 + 20 * 3600) * 1000;
  int64_t opens = h->next_open(sat);
  EXPECT_EQ(opens, (hours::days_from_civil(2026, 3, 30) * 86400 + 7 * 3600) * 1000);
  EXPECT_EQ(format_opening(*h, opens, "en"), "Monday 09:00 (Europe/Rome)");
  EXPECT_EQ(format_opening(*h, opens, "it"), "lunedì 09:00 (Europe/Rome)");
  EXPECT_EQ(format_opening(*h, opens, "nl"), "maandag 09:00 (Europe/Rome)");
  EXPECT_NE(std::string(after_hours_default("de")).find("{opens_at}"), std::string::npos);
  EXPECT_NE(std::string(after_hours_default("xx")).find("We're closed"), std::string::npos);
}

}  // namespace
}  // namespace bottega::service

namespace bottega::service {
namespace {

TEST(Survey, AnswersAreOnlyTheScore) {
  using pipeline::survey_score;
  EXPECT_EQ(survey_score("text", "5", "{}"), 5);
  EXPECT_EQ(survey_score("text", " 4 ", "{}"), 4);
  EXPECT_EQ(survey_score("text", "3/5", "{}"), 3);
  EXPECT_EQ(survey_score("text", "2 stelle", "{}"), 2);
  EXPECT_EQ(survey_score("text", "5 \xE2\xAD\x90\xE2\xAD\x90", "{}"), 5);
  EXPECT_EQ(survey_score("interactive_reply", "Great", R"({"id":"csat:1"})"), 1);
  EXPECT_EQ(survey_score("text", "6", "{}"), std::nullopt);
  EXPECT_EQ(survey_score("text", "0", "{}"), std::nullopt);
  EXPECT_EQ(survey_score("text", "5 items in my order", "{}"), std::nullopt);
  EXPECT_EQ(survey_score("text", "45", "{}"), std::nullopt);
  EXPECT_EQ(survey_score("interactive_reply", "x", R"({"id":"csat:9"})"), std::nullopt);
}

}  // namespace
}  // namespace bottega::service
