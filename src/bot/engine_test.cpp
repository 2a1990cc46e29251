#include "bot/engine.hpp"

#include <gtest/gtest.h>

namespace bottega::bot {
namespace {

KbIndex shop() {
  return KbIndex({
      {"ship-countries-en", "en", {"Do you ship to Belgium?", "Which countries do you ship to?"}, "We ship to the EU.", {"shipping"}, {}},
      {"returns-en", "en", {"How do I return an item?", "What is your return policy?"}, "30 days, free returns.", {"returns"}, {}},
      {"sizes-en", "en", {"Do your sneakers run true to size?"}, "They fit true to size.", {"presale"}, {"prd_snk"}},
      {"ship-countries-nl", "nl", {"Verzenden jullie naar België?", "Naar welke landen verzenden jullie?"}, "Wij verzenden naar de hele EU.", {"shipping"}, {}},
  });
}

DecideInput input(const KbIndex& idx, std::string text, BotState st = {}) {
  DecideInput in;
  in.text = std::move(text);
  in.index = &idx;
  in.threshold = 0.5;
  in.state = std::move(st);
  in.wait.open_now = true;
  in.wait.minutes = 12;
  return in;
}

TEST(Decide, AnswersAKnownQuestionAndAsksWhetherItHelped) {
  auto idx = shop();
  auto d = decide(input(idx, "Verzenden jullie ook naar België?"));
  EXPECT_EQ(d.outcome, Outcome::answered);
  EXPECT_EQ(d.entry_id, "ship-countries-nl");
  EXPECT_EQ(d.language, "nl");
  EXPECT_NE(d.reply.find("Wij verzenden"), std::string::npos);
  EXPECT_EQ(d.next.awaiting, "feedback");
  ASSERT_EQ(d.choices.size(), 2u);
  auto yes = decide(input(idx, "Ja", d.next));
  EXPECT_EQ(yes.outcome, Outcome::helpful);
}

TEST(Decide, UnknownQuestionIsHandedOverHonestlyWithTheWait) {
  auto idx = shop();
  auto d = decide(input(idx, "Can I bring my dog into your warehouse?"));
  EXPECT_EQ(d.outcome, Outcome::handed_over);
  EXPECT_EQ(d.reason, "low_confidence");
  EXPECT_NE(d.reply.find("don't know"), std::string::npos);
  EXPECT_NE(d.reply.find("12 minutes"), std::string::npos);
  EXPECT_TRUE(d.next.handed_over);
  EXPECT_NE(d.summary.find("Bot answered: nothing."), std::string::npos);
}

TEST(Decide, ExplicitRequestAndAngerHandOver) {
  auto idx = shop();
  auto d = decide(input(idx, "Ik wil graag met een medewerker spreken"));
  EXPECT_EQ(d.outcome, Outcome::handed_over);
  EXPECT_EQ(d.reason, "human_request");
  EXPECT_EQ(d.language, "nl");
  auto a = decide(input(idx, "This is ridiculous, where is the answer"));
  EXPECT_EQ(a.reason, "anger");
  auto caps = decide(input(idx, "WHY DOES NOBODY ANSWER ME"));
  EXPECT_EQ(caps.reason, "anger");
}

TEST(Decide, TwoFailedAnswersInARowHandOver) {
  auto idx = shop();
  auto first = decide(input(idx, "What is your return policy?"));
  ASSERT_EQ(first.outcome, Outcome::answered);
  auto no1 = decide(input(idx, "no", first.next));
  EXPECT_EQ(no1.outcome, Outcome::not_helpful);
  auto second = decide(input(idx, "how can I return an item", no1.next));
  ASSERT_EQ(second.outcome, Outcome::answered);
  auto no2 = decide(input(idx, "No", second.next));
  EXPECT_EQ(no2.outcome, Outcome::handed_over);
  EXPECT_EQ(no2.reason, "two_failed_answers");
  EXPECT_NE(no2.summary.find("returns-en"), std::string::npos);
}

TEST(Decide, OrderStatusAsksForVerificationAndDisclosesNothing) {
  auto idx = shop();
  auto d = decide(input(idx, "Where is my order?"));
  EXPECT_EQ(d.outcome, Outcome::asked);
  EXPECT_EQ(d.intent, Intent::order_status);
  EXPECT_EQ(d.next.awaiting, "order_details");
  auto h = decide(input(idx, "#1042, jane@example.com", d.next));
  EXPECT_EQ(h.outcome, Outcome::handed_over);
  EXPECT_EQ(h.next.intent, "order_status");
  EXPECT_NE(h.summary.find("not verified"), std::string::npos);
}

TEST(Decide, PresaleIntentIsRememberedForTheSummary) {
  auto idx = shop();
  auto d = decide(input(idx, "Do your sneakers run true to size?"));
  ASSERT_EQ(d.outcome, Outcome::answered);
  EXPECT_EQ(d.intent, Intent::presale);
  auto h = decide(input(idx, "I'd like to talk to a person please", d.next));
  EXPECT_EQ(h.outcome, Outcome::handed_over);
  EXPECT_EQ(h.next.intent, "presale");
  EXPECT_NE(h.summary.find("prd_snk"), std::string::npos);
}

TEST(Decide, WithoutAKnowledgeBaseEverythingIsHandedOver) {
  DecideInput in;
  in.text = "Do you ship to Belgium?";
  auto d = decide(in);
  EXPECT_EQ(d.outcome, Outcome::handed_over);
}

TEST(Decide, ClosedShopGivesTheNextOpening) {
  auto idx = shop();
  auto in = input(idx, "Ciao, vorrei parlare con un operatore");
  in.wait = WaitEstimate{false, 0, 1, 0, "09:00"};
  auto d = decide(in);
  EXPECT_EQ(d.language, "it");
  EXPECT_NE(d.reply.find("lunedì alle 09:00"), std::string::npos) << d.reply;
}

}  // namespace
}  // namespace bottega::bot
