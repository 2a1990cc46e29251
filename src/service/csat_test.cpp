// CSAT comments against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL): after the
// score the customer is asked once for a comment; their next text message within the hour stays
// in the resolved conversation and is recorded as the comment (csat.received again, with it); a
// later message, or one after the hour, opens a new conversation as before.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "service/operations.hpp"
#include "service/service_fixture.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

class CsatTest : public test_support::ServiceTest {
 protected:
  // What the service listener does after a batch about the conversation.
  void listener(const std::string& conv) {
    auto e = env();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto s = load_settings(tx, "ten_A");
                  maybe_send_survey(tx, e, s, "ten_A", conv);
                  maybe_record_survey(tx, e, "ten_A", conv);
                  return {};
                }).ok());
  }
  // Resolved by an agent, then the listener sends the survey.
  void resolve(const std::string& conv) {
    pipeline::ConversationPatch p;
    p.status = ConversationStatus::resolved;
    patch(conv, p);
    listener(conv);
  }
  bj::value csat(const std::string& conv) {
    bj::value v;
    store::read_sync(*store_, [&](Tx& tx) { v = survey_json(tx, "ten_A", conv); });
    return v;
  }
  std::vector<bj::object> answers() {
    std::vector<bj::object> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 100000))
        if (e.type == event_type::kCsatReceived) out.push_back(bj::parse(e.payload_json).at("data").as_object());
    });
    return out;
  }
  std::vector<Message> from_shop(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (auto& m : core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 200, true).items)
        if (m.author_kind == "system") out.push_back(std::move(m));
    });
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, CsatTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(CsatTest, TheTextAfterTheScoreIsItsCommentOnce) {
  settings("ten_A", R"({"csat":{"enabled":true}})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "Dove trovo la tabella delle taglie?");
  agent_says(conv, "Eccola: /taglie");
  resolve(conv);  // the survey
  ASSERT_EQ(from_shop(conv).size(), 1u);
  // Before any score, a text is not a comment: it opens a new conversation.
  clock_.advance_ms(5'000);
  auto early = customer_says("ten_A", channel_, "ct_2", "unrelated");  // another customer, unaffected
  EXPECT_NE(early, conv);

  EXPECT_EQ(customer_says("ten_A", channel_, "ct_1", "4"), conv);
  listener(conv);  // the score, then the question (once)
  auto shop = from_shop(conv);
  ASSERT_EQ(shop.size(), 2u);
  EXPECT_EQ(shop[1].text, "Grazie! Vuoi aggiungere qualcosa? Rispondi pure qui.");
  listener(conv);
  EXPECT_EQ(from_shop(conv).size(), 2u) << "asked once";
  EXPECT_EQ(csat(conv).at("score").as_int64(), 4);
  EXPECT_TRUE(csat(conv).at("comment").is_null());

  clock_.advance_ms(10 * 60'000);
  EXPECT_EQ(customer_says("ten_A", channel_, "ct_1", "Gentilissimi, <b>grazie</b>!"), conv);
  listener(conv);
  listener(conv);  // a redelivered batch records nothing more
  auto v = csat(conv);
  EXPECT_EQ(v.at("score").as_int64(), 4);
  EXPECT_EQ(v.at("comment").as_string(), "Gentilissimi, <b>grazie</b>!");
  EXPECT_FALSE(v.at("commented_at").is_null());
  auto got = answers();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].at("comment").is_null());
  EXPECT_EQ(got[1].at("comment").as_string(), "Gentilissimi, <b>grazie</b>!");
  EXPECT_EQ(got[1].at("score").as_int64(), 4);
  EXPECT_EQ(got[1].at("created_at"), got[0].at("created_at")) << "the answer's time, so the reports replace it in place";
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_EQ(core_repo::get_conversation(tx, "ten_A", conv)->status, ConversationStatus::resolved); });

  // One comment: the next message opens a new conversation.
  EXPECT_NE(customer_says("ten_A", channel_, "ct_1", "Another question: do you ship to Belgium?"), conv);
}

TEST_P(CsatTest, AfterTheHourATextOpensANewConversation) {
  settings("ten_A", R"({"csat":{"enabled":true}})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "where is my parcel?");
  agent_says(conv, "On its way");
  resolve(conv);
  EXPECT_EQ(customer_says("ten_A", channel_, "ct_1", "5"), conv);
  listener(conv);
  clock_.advance_ms(61 * 60'000);
  auto next = customer_says("ten_A", channel_, "ct_1", "thanks a lot");
  EXPECT_NE(next, conv);
  listener(conv);
  EXPECT_TRUE(csat(conv).at("comment").is_null());
  EXPECT_EQ(answers().size(), 1u);
  // Another shop never sees it.
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_TRUE(survey_json(tx, "ten_B", conv).is_null()); });
}

}  // namespace
}  // namespace bottega::service
