// Teams and transfer against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL): team
// validation, transfer to a team (an online member with capacity, else the team's queue), to an
// agent (a member), the internal note and the event, automatic assignment limited to the team,
// and the inbox filtered by team in both orders.
#include "service/teams.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "service/operations.hpp"
#include "service/service_fixture.hpp"
#include "store/repo/inbox_order.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

TEST(Teams, BodiesAreCheckedWithTheField) {
  EXPECT_EQ(validate_team(bj::parse(R"({"agent_ids":[]})").as_object(), false).error().field, "name");
  EXPECT_TRUE(validate_team(bj::parse(R"({"agent_ids":[]})").as_object(), true).ok());
  EXPECT_EQ(validate_team(bj::parse(R"({"name":"  "})").as_object(), true).error().field, "name");
  EXPECT_EQ(validate_team(bj::parse(R"({"name":"A","agent_ids":["agt_1",2]})").as_object(), false).error().field,
            "agent_ids[1]");
  EXPECT_EQ(validate_team(bj::parse(R"({"name":"A","lead":"x"})").as_object(), false).error().field, "lead");
  EXPECT_EQ(parse_transfer(bj::parse(R"({"note":"x"})").as_object()).error().field, "team_id");
  EXPECT_EQ(parse_transfer(bj::parse(R"({"agent_id":5})").as_object()).error().field, "agent_id");
  EXPECT_EQ(parse_transfer(bj::parse(R"({"team_id":null,"note":7})").as_object()).error().field, "note");
  auto t = parse_transfer(bj::parse(R"({"team_id":null})").as_object());
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->team_id.has_value());
  EXPECT_FALSE(t->team_id->has_value());
  EXPECT_FALSE(t->agent_id.has_value());
}

class TeamsTest : public test_support::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  for (const char* a : {"agt_1", "agt_2", "agt_3"})
                    core_repo::create_agent(tx, Agent{a, "ten_A", std::string(a) + "@shop.test", std::string("Agent ") + a,
                                                      Role::agent}, "x", 1);
                  core_repo::create_agent(tx, Agent{"agt_9", "ten_B", "z@other.test", "Zed", Role::agent}, "x", 1);
                  return {};
                }).ok());
  }
  Team team(const char* json) {
    auto e = env();
    auto t = write<Team>([&](Tx& tx) { return create_team(tx, e, "ten_A", bj::parse(json).as_object()); });
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : Team{};
  }
  Result<TransferResult> move(const std::string& conv, const char* json, const std::string& by = "agt_1") {
    auto e = env();
    Principal who;
    who.tenant_id = "ten_A";
    who.agent_id = by;
    auto in = parse_transfer(bj::parse(json).as_object());
    if (!in) return in.error();
    return write<TransferResult>([&](Tx& tx) { return transfer(tx, e, who, conv, *in); });
  }
  void online(const std::string& agent) {
    auto e = env();
    ASSERT_TRUE(write<Availability>([&](Tx& tx) {
                  return set_availability(tx, e, "ten_A", agent, "online", std::nullopt, false);
                }).ok());
  }
  std::optional<std::string> assignee(const std::string& conv) {
    std::optional<std::string> out;
    store::read_sync(*store_, [&](Tx& tx) { out = core_repo::get_conversation(tx, "ten_A", conv)->assignee_id; });
    return out;
  }
  std::vector<std::string> listed(const std::string& team_id, bool by_score) {
    std::vector<std::string> out;
    store::read_sync(*store_, [&](Tx& tx) {
      core_repo::ConversationFilter f;
      f.team_id = team_id;
      auto page = by_score ? core_repo::list_conversations_by_score(tx, "ten_A", f, clock_.now_ms())
                           : core_repo::list_conversations(tx, "ten_A", f);
      for (const auto& c : page.items) out.push_back(c.id);
    });
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, TeamsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(TeamsTest, TeamsAreValidatedAgainstTheShop) {
  auto e = env();
  auto bad = write<Team>([&](Tx& tx) {
    return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Returns","agent_ids":["agt_1","agt_9"]})").as_object());
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "agent_ids[1]");  // another shop's agent
  auto t = team(R"({"name":"Returns","agent_ids":["agt_2","agt_1","agt_2"]})");
  EXPECT_EQ(t.agent_ids, (std::vector<std::string>{"agt_1", "agt_2"}));
  auto dup = write<Team>([&](Tx& tx) { return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Returns"})").as_object()); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "name_taken");
  auto renamed = write<Team>([&](Tx& tx) {
    return update_team(tx, e, "ten_A", t.id, bj::parse(R"({"name":"Returns EU","agent_ids":["agt_3"]})").as_object());
  });
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->name, "Returns EU");
  EXPECT_EQ(renamed->agent_ids, (std::vector<std::string>{"agt_3"}));
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_FALSE(get_team(tx, "ten_B", t.id));  // tenant isolation
    EXPECT_EQ(list_teams(tx, "ten_A").size(), 1u);
  });
}

TEST_P(TeamsTest, TransferToATeamPicksAnOnlineMemberWritesANoteAndAnEvent) {
  auto returns = team(R"({"name":"Returns","agent_ids":["agt_2","agt_3"]})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "I want to send the shoes back");
  online("agt_1");  // online, but not in the team
  online("agt_3");
  auto r = move(conv, (R"({"team_id":")" + returns.id + R"(","note":"return request, EU customer"})").c_str());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->agent_id, "agt_3");
  EXPECT_EQ(r->team_id, returns.id);
  EXPECT_EQ(assignee(conv), "agt_3");
  store::read_sync(*store_, [&](Tx& tx) {
    auto note = core_repo::get_message(tx, "ten_A", *r->note_message_id);
    ASSERT_TRUE(note);
    EXPECT_EQ(note->kind, "note");
    EXPECT_EQ(note->author_id, "agt_1");
    EXPECT_EQ(note->text, "Transferred to team Returns, Agent agt_3: return request, EU customer");
    auto team = team_json(tx, "ten_A", conv);
    EXPECT_EQ(team.at("name").as_string(), "Returns");
    EXPECT_TRUE(team_json(tx, "ten_B", conv).is_null());
    int transferred = 0;
    for (const auto& ev : core_repo::events_after(tx, 0, 10000))
      if (ev.type == event_type::kConversationTransferred) {
        ++transferred;
        EXPECT_TRUE(ev.internal);
        auto d = bj::parse(ev.payload_json).at("data").as_object();
        EXPECT_TRUE(d.at("from_team_id").is_null());
        EXPECT_EQ(d.at("to_team_id").as_string(), returns.id);
        EXPECT_EQ(d.at("to_agent_id").as_string(), "agt_3");
        EXPECT_EQ(d.at("by").as_string(), "agent:agt_1");
        EXPECT_EQ(d.at("note").as_string(), "return request, EU customer");
      }
    EXPECT_EQ(transferred, 1);
  });
  // To someone outside the team: refused, nothing changes.
  auto bad = move(conv, R"({"agent_id":"agt_1"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "not_in_team");
  EXPECT_EQ(bad.error().field, "agent_id");
  EXPECT_EQ(assignee(conv), "agt_3");
  EXPECT_EQ(move(conv, R"({"team_id":"team_nope"})").error().code, "unknown_team");
  EXPECT_EQ(move(conv, R"({"agent_id":"agt_9"})").error().code, "unknown_agent");  // another shop's
  // Out of the team to a named agent.
  auto out = move(conv, R"({"team_id":null,"agent_id":"agt_1"})", "agt_3");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(assignee(conv), "agt_1");
  EXPECT_FALSE(out->team_id);
}

TEST_P(TeamsTest, NobodyOnlineTheTeamQueueThenAssignmentStaysInTheTeam) {
  settings("ten_A", R"({"assignment":{"mode":"round_robin"}})");
  auto returns = team(R"({"name":"Returns","agent_ids":["agt_2"]})");
  auto sales = team(R"({"name":"Sales","agent_ids":["agt_1","agt_3"]})");
  auto a = customer_says("ten_A", channel_, "ct_1", "refund please");
  auto b = customer_says("ten_A", channel_, "ct_2", "do you have size 42?");
  ASSERT_TRUE(move(a, (R"({"team_id":")" + returns.id + R"("})").c_str()).ok());
  ASSERT_TRUE(move(b, (R"({"team_id":")" + sales.id + R"("})").c_str()).ok());
  EXPECT_EQ(assignee(a), std::nullopt);  // nobody online: the team's queue
  EXPECT_EQ(listed(returns.id, true), std::vector<std::string>{a});
  EXPECT_EQ(listed(returns.id, false), std::vector<std::string>{a});
  EXPECT_EQ(listed(sales.id, true), std::vector<std::string>{b});
  online("agt_1");  // a Sales member: takes b, never a
  EXPECT_EQ(assignee(a), std::nullopt);
  EXPECT_EQ(assignee(b), "agt_1");
  online("agt_2");
  EXPECT_EQ(assignee(a), "agt_2");
}

}  // namespace
}  // namespace bottega::service
