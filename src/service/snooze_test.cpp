// Snoozing until a time against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL), with
// an injected clock: the conversation comes back open at its time (once, announced), earlier when
// the customer writes, never for another shop; bad times are refused with the field.
#include "service/snooze.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "service/service_fixture.hpp"
#include "store/repo/inbox_order.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

class SnoozeTest : public test_support::ServiceTest {
 protected:
  Principal agent(const std::string& tenant = "ten_A") {
    Principal p;
    p.tenant_id = tenant;
    p.agent_id = "agt_1";
    return p;
  }
  Result<Conversation> snooze_now(const std::string& conv, std::optional<int64_t> until, const std::string& tenant = "ten_A") {
    std::optional<Result<Conversation>> out;
    auto e = env();
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      out = snooze(tx, e, agent(tenant), conv, until);
      return {};
    });
    EXPECT_TRUE(st.ok());
    return std::move(*out);
  }
  int64_t wake() {
    int64_t n = 0;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  n = wake_snoozed(tx, e, clock_.now_ms(), 100);
                  return {};
                }).ok());
    return n;
  }
  Conversation conversation(const std::string& conv) {
    Conversation c;
    store::read_sync(*store_, [&](Tx& tx) { c = core_repo::get_conversation(tx, "ten_A", conv).value(); });
    return c;
  }
  std::optional<int64_t> until(const std::string& conv) { return conversation(conv).snoozed_until; }
  // The conversation as the API shows it (to_json).
  bj::object api(const std::string& conv) { return to_json(conversation(conv)); }
  // snoozed_until of the conversation in each list of ten_A (the inbox order and the score order).
  std::vector<bj::value> listed(const std::string& conv) {
    std::vector<bj::value> out;
    store::read_sync(*store_, [&](Tx& tx) {
      core_repo::ConversationFilter f;
      f.limit = 50;
      for (const auto& page : {core_repo::list_conversations(tx, "ten_A", f),
                               core_repo::list_conversations_by_score(tx, "ten_A", f, clock_.now_ms())})
        for (const auto& c : page.items)
          if (c.id == conv) out.push_back(to_json(c).at("snoozed_until"));
    });
    return out;
  }
  // snoozed_until in the data of the conversation's last conversation.updated (the realtime payload).
  bj::value last_update_until(const std::string& conv) {
    bj::value out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 100000))
        if (e.type == event_type::kConversationUpdated && e.conversation_id == conv)
          out = bj::parse(e.payload_json).at("data").at("snoozed_until");
    });
    return out;
  }
  size_t updates_of(const std::string& conv) {
    size_t n = 0;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 100000))
        if (e.type == event_type::kConversationUpdated && e.conversation_id == conv) ++n;
    });
    return n;
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, SnoozeTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST(SnoozeParse, TheTimeIsInTheFutureAtMostAYearAheadAndNamed) {
  int64_t now = 1'795'334'400'000;  // 2026-11-22T08:00:00Z
  auto ok = parse_snooze(bj::parse(R"({"until":"2026-11-23T09:00:00+01:00"})").as_object(), now);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->value(), now + 24 * 3600 * 1000LL);
  auto ms = parse_snooze(bj::parse(R"({"until":1795431600000})").as_object(), now);
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->value(), 1'795'431'600'000);
  auto none = parse_snooze(bj::parse(R"({"until":null})").as_object(), now);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  for (const char* bad : {R"({"until":"2026-11-22T07:59:59Z"})", R"({"until":"2027-11-24T08:00:00Z"})",
                          R"({"until":"tomorrow"})", R"({"until":true})", R"({"until":"2026-11-23T09:00:00"})"}) {
    auto r = parse_snooze(bj::parse(bad).as_object(), now);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "until") << bad;
  }
  auto unknown = parse_snooze(bj::parse(R"({"until":null,"for":"1h"})").as_object(), now);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "for");
}

TEST_P(SnoozeTest, ASnoozedConversationComesBackOpenAtItsTimeOnceAndAnnounced) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "Can you check with the warehouse?");
  int64_t at = clock_.now_ms() + 3600 * 1000;
  auto s = snooze_now(conv, at);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->status, ConversationStatus::snoozed);
  EXPECT_EQ(until(conv), at);
  EXPECT_EQ(api(conv).at("snoozed_until").as_string(), rfc3339(at));
  EXPECT_EQ(to_json(*s).at("snoozed_until").as_string(), rfc3339(at));
  // Lists and the realtime payload carry it too.
  EXPECT_EQ(listed(conv), (std::vector<bj::value>{bj::value(rfc3339(at)), bj::value(rfc3339(at))}));
  EXPECT_EQ(last_update_until(conv), bj::value(rfc3339(at)));
  size_t updates = updates_of(conv);

  clock_.advance_ms(3599 * 1000);
  EXPECT_EQ(wake(), 0);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::snoozed);
  clock_.advance_ms(1000);
  EXPECT_EQ(wake(), 1);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::open);
  EXPECT_FALSE(until(conv).has_value());
  EXPECT_TRUE(api(conv).at("snoozed_until").is_null());
  EXPECT_EQ(listed(conv), (std::vector<bj::value>{nullptr, nullptr}));
  EXPECT_TRUE(last_update_until(conv).is_null());  // the wake's conversation.updated
  EXPECT_EQ(updates_of(conv), updates + 1);
  clock_.advance_ms(60 * 1000);
  EXPECT_EQ(wake(), 0);  // woken once
  EXPECT_EQ(updates_of(conv), updates + 1);
}

TEST_P(SnoozeTest, TheCustomerWritingFirstReopensItAndTheTimeIsForgotten) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "I'll send the photo tonight");
  ASSERT_TRUE(snooze_now(conv, clock_.now_ms() + 8 * 3600 * 1000).ok());
  clock_.advance_ms(3600 * 1000);
  EXPECT_EQ(customer_says("ten_A", channel_, "ct_1", "here it is"), conv);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::open);
  EXPECT_FALSE(until(conv).has_value());
  // Snoozed again until the customer writes (no time), then the old time passes: nothing wakes it.
  ASSERT_TRUE(snooze_now(conv, std::nullopt).ok());
  clock_.advance_ms(10 * 3600 * 1000);
  EXPECT_EQ(wake(), 0);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::snoozed);
}

TEST_P(SnoozeTest, ALaterSnoozeMovesTheTimeAndAReopenClearsIt) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "Back next week");
  ASSERT_TRUE(snooze_now(conv, clock_.now_ms() + 3600 * 1000).ok());
  ASSERT_TRUE(snooze_now(conv, clock_.now_ms() + 48 * 3600 * 1000).ok());
  clock_.advance_ms(2 * 3600 * 1000);
  EXPECT_EQ(wake(), 0);
  pipeline::ConversationPatch open;
  open.status = ConversationStatus::open;
  patch(conv, open);
  EXPECT_FALSE(until(conv).has_value());
  clock_.advance_ms(48 * 3600 * 1000);
  EXPECT_EQ(wake(), 0);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::open);
}

// The time belongs to the snoozed status: tagging or assigning the conversation keeps it (and
// the conversation.updated says so); a new status, even snoozed again without a time, replaces it.
TEST_P(SnoozeTest, ATagKeepsTheTimeANewStatusReplacesIt) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "Ask me again on Monday");
  int64_t at = clock_.now_ms() + 3600 * 1000;
  ASSERT_TRUE(snooze_now(conv, at).ok());
  pipeline::ConversationPatch tag;
  tag.tags = std::vector<std::string>{"monday"};
  patch(conv, tag);
  EXPECT_EQ(until(conv), at);
  EXPECT_EQ(last_update_until(conv), bj::value(rfc3339(at)));
  pipeline::ConversationPatch again;
  again.status = ConversationStatus::snoozed;  // PATCH {"status":"snoozed"}: until the customer writes
  patch(conv, again);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::snoozed);
  EXPECT_FALSE(until(conv).has_value());
  EXPECT_TRUE(last_update_until(conv).is_null());
  clock_.advance_ms(2 * 3600 * 1000);
  EXPECT_EQ(wake(), 0);
}

TEST_P(SnoozeTest, AnotherShopsOrAResolvedConversationIsNotSnoozed) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "thanks, all good");
  auto other = snooze_now(conv, clock_.now_ms() + 3600 * 1000, "ten_B");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().errc, Errc::not_found);
  EXPECT_EQ(conversation(conv).status, ConversationStatus::open);
  pipeline::ConversationPatch resolve;
  resolve.status = ConversationStatus::resolved;
  patch(conv, resolve);
  auto r = snooze_now(conv, clock_.now_ms() + 3600 * 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "resolved");
  EXPECT_EQ(conversation(conv).status, ConversationStatus::resolved);
  EXPECT_FALSE(until(conv).has_value());
}

}  // namespace
}  // namespace bottega::service
