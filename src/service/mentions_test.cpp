// Mentions in internal notes: the syntax (display names, id tokens, e-mail addresses and unknown
// names left alone), and against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL):
// the note's content.mentions, the mentioned agent's unread mention and event (never the author's,
// never another shop's agent), marking read, and the note kept from the customer.
#include "service/mentions.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "service/service_fixture.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

std::vector<std::string> ids(const std::vector<MentionedAgent>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.agent_id);
  return out;
}

TEST(Mentions, Syntax) {
  std::vector<Agent> agents = {{"agt_1", "ten_A", "b@x", "Bea Rossi", Role::agent},
                               {"agt_2", "ten_A", "b2@x", "Bea", Role::agent},
                               {"agt_3", "ten_A", "l@x", "Luca", Role::agent},
                               {"agt_4", "ten_A", "z@x", "Zo\xc3\xab", Role::agent},
                               {"agt_5", "ten_A", "s@x", "Sam", Role::agent},
                               {"agt_6", "ten_A", "s2@x", "Sam", Role::agent}};
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(find_mentions("@Bea Rossi please check", agents)), V{"agt_1"});  // the longest name
  EXPECT_EQ(ids(find_mentions("@bea, and @LUCA!", agents)), V({"agt_2", "agt_3"}));
  EXPECT_EQ(ids(find_mentions("(@zoe) @ZO\xc3\x8b", agents)), V{"agt_4"});  // accents and case; once
  EXPECT_EQ(ids(find_mentions("@agt_3 then @Luca", agents)), V{"agt_3"});
  EXPECT_EQ(ids(find_mentions("@Sam", agents)), V({"agt_5", "agt_6"}));  // every agent of that name
  EXPECT_EQ(ids(find_mentions("@agt_6", agents)), V{"agt_6"});            // or exactly one by id
  // Plain text: an e-mail address, unknown names, a name that goes on, a lone @.
  EXPECT_TRUE(find_mentions("write to bea@shop.test or luca.@Luca", agents).empty());
  EXPECT_TRUE(find_mentions("@nobody @Beatrice @Lucas @agt_9 @ @", agents).empty());
  EXPECT_TRUE(find_mentions("", agents).empty());
}

class MentionsTest : public test_support::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_agent(tx, Agent{"agt_1", "ten_A", "ada@shop.test", "Ada", Role::agent}, "x", 1);
                  core_repo::create_agent(tx, Agent{"agt_2", "ten_A", "bob@shop.test", "Bob Smith", Role::agent}, "x", 1);
                  core_repo::create_agent(tx, Agent{"agt_9", "ten_B", "bob@other.test", "Bob Smith", Role::agent}, "x", 1);
                  return {};
                }).ok());
  }
  Message note_by(const std::string& agent, const std::string& conv, const std::string& text) {
    auto e = env();
    Principal p;
    p.tenant_id = "ten_A";
    p.agent_id = agent;
    Message out;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = write_note(tx, e, p, conv, text);
                  if (!r) return std::move(r).error();
                  out = *r;
                  return {};
                }).ok());
    return out;
  }
  MentionPage mentions(const std::string& tenant, const std::string& agent, bool unread) {
    MentionPage page;
    store::read_sync(*store_, [&](Tx& tx) { page = list_mentions(tx, tenant, agent, unread, std::nullopt, 50); });
    return page;
  }
  std::vector<bj::object> mention_events() {
    std::vector<bj::object> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 10000))
        if (e.type == event_type::kAgentMentioned) {
          EXPECT_TRUE(e.internal);
          out.push_back(bj::parse(e.payload_json).as_object().at("data").as_object());
        }
    });
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, MentionsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(MentionsTest, ANoteMentionsAgentsOfItsShop) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "Where is my parcel?");
  auto m = note_by("agt_1", conv, "@bob smith can you check the carrier? cc @Ada, @Nobody");
  EXPECT_EQ(m.kind, "note");
  auto content = bj::parse(m.content_json).as_object();
  ASSERT_TRUE(content.contains("mentions"));
  auto list = content.at("mentions").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().at("agent_id").as_string(), "agt_2");  // ten_A's Bob, not ten_B's
  EXPECT_EQ(list[0].as_object().at("name").as_string(), "Bob Smith");
  EXPECT_EQ(list[1].as_object().at("agent_id").as_string(), "agt_1");

  // Bob has one unread mention; Ada (the author) none; ten_B's Bob none.
  auto bob = mentions("ten_A", "agt_2", true);
  ASSERT_EQ(bob.items.size(), 1u);
  EXPECT_EQ(bob.unread, 1);
  EXPECT_EQ(bob.items[0].message_id, m.id);
  EXPECT_EQ(bob.items[0].conversation_id, conv);
  EXPECT_EQ(bob.items[0].by_name, "Ada");
  EXPECT_EQ(bob.items[0].contact_name, "Ann");
  EXPECT_EQ(bob.items[0].text, "@bob smith can you check the carrier? cc @Ada, @Nobody");
  EXPECT_FALSE(bob.items[0].read_at);
  EXPECT_TRUE(mentions("ten_A", "agt_1", false).items.empty());
  EXPECT_TRUE(mentions("ten_B", "agt_9", false).items.empty());
  EXPECT_TRUE(mentions("ten_B", "agt_2", false).items.empty());

  // One event, for Bob.
  auto events = mention_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("agent_id").as_string(), "agt_2");
  EXPECT_EQ(events[0].at("message_id").as_string(), m.id);
  EXPECT_EQ(events[0].at("id").as_string(), bob.items[0].id);

  // Read: kept as first read; someone else's mention is not found.
  clock_.advance_ms(5000);
  Result<Mention> read = Error::not_found();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                EXPECT_FALSE(mark_mention_read(tx, "ten_A", "agt_1", bob.items[0].id, clock_.now_ms()).ok());
                EXPECT_FALSE(mark_mention_read(tx, "ten_B", "agt_2", bob.items[0].id, clock_.now_ms()).ok());
                read = mark_mention_read(tx, "ten_A", "agt_2", bob.items[0].id, clock_.now_ms());
                return {};
              }).ok());
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->read_at);
  EXPECT_EQ(*read->read_at, clock_.now_ms());
  EXPECT_TRUE(mentions("ten_A", "agt_2", true).items.empty());
  EXPECT_EQ(mentions("ten_A", "agt_2", true).unread, 0);
  EXPECT_EQ(mentions("ten_A", "agt_2", false).items.size(), 1u);

  // The note never reaches the customer.
  store::read_sync(*store_, [&](Tx& tx) {
    for (const auto& x : core_repo::list_contact_messages(tx, "ten_A", "ct_1", std::nullopt, 50).items)
      EXPECT_NE(x.id, m.id);
  });
}

TEST_P(MentionsTest, NewestFirstPagesAndMarkAll) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "hello");
  std::vector<std::string> notes;
  for (int i = 0; i < 3; ++i) {
    clock_.advance_ms(1000);
    notes.push_back(note_by("agt_1", conv, "@Bob Smith note " + std::to_string(i)).id);
  }
  note_by("agt_1", conv, "no mention here");
  auto all = mentions("ten_A", "agt_2", true);
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_EQ(all.items[0].message_id, notes[2]);
  EXPECT_EQ(all.items[2].message_id, notes[0]);
  MentionPage p1, p2;
  store::read_sync(*store_, [&](Tx& tx) {
    p1 = list_mentions(tx, "ten_A", "agt_2", false, std::nullopt, 2);
    ASSERT_TRUE(p1.next_cursor);
    p2 = list_mentions(tx, "ten_A", "agt_2", false, std::stoll(*p1.next_cursor), 2);
  });
  ASSERT_EQ(p1.items.size(), 2u);
  ASSERT_EQ(p2.items.size(), 1u);
  EXPECT_EQ(p2.items[0].message_id, notes[0]);
  EXPECT_FALSE(p2.next_cursor);
  int64_t marked = 0;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                marked = mark_all_mentions_read(tx, "ten_A", "agt_2", clock_.now_ms());
                return {};
              }).ok());
  EXPECT_EQ(marked, 3);
  EXPECT_EQ(mentions("ten_A", "agt_2", true).unread, 0);
}

}  // namespace
}  // namespace bottega::service
