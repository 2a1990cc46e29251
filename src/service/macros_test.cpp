// Macros against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL): field errors when
// a macro is saved, a run that replies (the canned responses' variables), sends a payment link
// (an amount, or the open cart), tags, sets priority and status and assigns in one transaction
// with its audit note and row and the single actions' events; a failing step changes nothing;
// the preview changes nothing; another shop's macros and conversations are not found.
#include "service/macros.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/orders.hpp"
#include "payments/service.hpp"
#include "service/operations.hpp"
#include "service/service_fixture.hpp"
#include "service/teams.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

Error parse_error(const char* actions) {
  auto r = parse_actions(bj::parse(actions));
  EXPECT_FALSE(r.ok()) << actions;
  return r.ok() ? Error{} : r.error();
}

TEST(Macros, ActionsAreCheckedWithTheField) {
  auto e = parse_error(R"({"reply":{"text":"Hi {{customer.nickname}}"}})");
  EXPECT_EQ(e.field, "actions.reply.text");
  EXPECT_EQ(e.code, "unknown_variable");
  e = parse_error(R"({"add_tags":["refund","Bad Tag"]})");
  EXPECT_EQ(e.field, "actions.add_tags[1]");
  EXPECT_EQ(e.code, "invalid_tag");
  EXPECT_EQ(parse_error(R"({"remove_tags":[""]})").field, "actions.remove_tags[0]");
  EXPECT_EQ(parse_error(R"({"add_tags":["a"],"remove_tags":["a"]})").field, "actions.remove_tags[0]");
  e = parse_error(R"({"payment_link":{"amount":-5,"currency":"EUR"}})");
  EXPECT_EQ(e.field, "actions.payment_link.amount");
  EXPECT_EQ(e.code, "invalid_amount");
  EXPECT_EQ(parse_error(R"({"payment_link":{"amount":12.5,"currency":"EUR"}})").code, "invalid_amount");
  EXPECT_EQ(parse_error(R"({"payment_link":{"amount":1250,"currency":"euro"}})").field, "actions.payment_link.currency");
  EXPECT_EQ(parse_error(R"({"payment_link":{"cart":true,"amount":5}})").field, "actions.payment_link.amount");
  EXPECT_EQ(parse_error(R"({"status":"pending"})").field, "actions.status");
  EXPECT_EQ(parse_error(R"({"priority":1001})").field, "actions.priority");
  EXPECT_EQ(parse_error(R"({"assign":{}})").field, "actions.assign.agent_id");
  EXPECT_EQ(parse_error(R"({"assign":{"agent_id":7}})").field, "actions.assign.agent_id");
  EXPECT_EQ(parse_error(R"({"teleport":true})").field, "actions.teleport");
  EXPECT_EQ(parse_error(R"({})").field, "actions");
  auto ok = parse_actions(bj::parse(
      R"({"reply":{"text":"Ciao {{customer.first_name}}, ordine {{order.number}}"},"add_tags":["refund","rimborso-ü"],"status":"resolved","assign":{"team_id":null},"payment_link":{"cart":true}})"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->add_tags, (std::vector<std::string>{"refund", "rimborso-ü"}));
  EXPECT_TRUE(ok->link_cart);
  ASSERT_TRUE(ok->assign_team_id.has_value());
  EXPECT_FALSE(ok->assign_team_id->has_value());
  // Round trip through the stored form.
  auto again = parse_actions(to_json(*ok));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(bj::serialize(to_json(*again)), bj::serialize(to_json(*ok)));
  EXPECT_EQ(validate_macro(bj::parse(R"({"actions":{"priority":1}})").as_object(), false).error().field, "name");
  EXPECT_EQ(validate_macro(bj::parse(R"({"name":"x"})").as_object(), false).error().field, "actions");
  EXPECT_TRUE(validate_macro(bj::parse(R"({"name":"x"})").as_object(), true).ok());
}

class MacrosTest : public test_support::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto e = env();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_agent(tx, Agent{"agt_1", "ten_A", "bea@shop.test", "Bea Rossi", Role::agent}, "x", 1);
                  core_repo::create_agent(tx, Agent{"agt_2", "ten_A", "carl@shop.test", "Carl", Role::agent}, "x", 1);
                  core_repo::create_agent(tx, Agent{"agt_9", "ten_B", "z@other.test", "Zed", Role::agent}, "x", 1);
                  commerce::ProductInput boots;
                  boots.translations["en"] = {"Boots", ""};
                  boots.variants = {commerce::Variant{"", "", "BOOT-40", "40", {{"EUR", 10000}}, 5, std::nullopt, 0}};
                  BOTTEGA_TRY(prod, commerce::create_product(tx, ids_, "ten_A", boots, 1));
                  (void)prod;
                  return {};
                }).ok());
    agent_.tenant_id = "ten_A";
    agent_.agent_id = "agt_1";
  }
  void provider() {
    auto e = env();
    Principal admin;
    admin.tenant_id = "ten_A";
    admin.token_id = "tok_1";
    admin.role = Role::admin;
    ASSERT_TRUE(write<payments::Provider>([&](Tx& tx) {
                  return payments::create_provider(tx, e, admin, "sandbox", "Sandbox", bj::object{});
                }).ok());
  }
  Result<Macro> make(const std::string& json, const std::string& tenant = "ten_A") {
    auto e = env();
    return write<Macro>([&](Tx& tx) { return create_macro(tx, e, tenant, bj::parse(json).as_object()); });
  }
  Result<bj::object> run(const std::string& conv, const std::string& macro, const Principal& who) {
    auto e = env();
    return write<bj::object>([&](Tx& tx) { return run_macro(tx, e, who, conv, macro, "https://shop.example"); });
  }
  Conversation conversation(const std::string& id) {
    Conversation c;
    store::read_sync(*store_, [&](Tx& tx) { c = *core_repo::get_conversation(tx, "ten_A", id); });
    return c;
  }
  std::vector<Message> messages(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) { out = core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 200, true).items; });
    return out;
  }
  std::map<std::string, int> event_counts() {
    std::map<std::string, int> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& ev : core_repo::events_after(tx, 0, 100000)) ++out[ev.type];
    });
    return out;
  }
  size_t runs(const std::string& tenant = "ten_A") {
    size_t n = 0;
    store::read_sync(*store_, [&](Tx& tx) { n = list_macro_runs(tx, tenant, std::nullopt, std::nullopt, 100).size(); });
    return n;
  }
  size_t payments_count() {
    size_t n = 0;
    store::read_sync(*store_, [&](Tx& tx) { n = tx.query({"t.payments", "SELECT id FROM payments WHERE tenant_id = $1"}, {"ten_A"}).size(); });
    return n;
  }
  Principal agent_;
};

INSTANTIATE_TEST_SUITE_P(Stores, MacrosTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(MacrosTest, SavingChecksAgentsTeamsAndNamesInTheShop) {
  auto bad = make(R"({"name":"Escalate","actions":{"assign":{"agent_id":"agt_9"}}})");  // another shop's agent
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "actions.assign.agent_id");
  EXPECT_EQ(bad.error().code, "unknown_agent");
  bad = make(R"({"name":"Escalate","actions":{"assign":{"team_id":"team_nope"}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "actions.assign.team_id");
  EXPECT_EQ(bad.error().code, "unknown_team");
  auto e = env();
  auto team = write<Team>([&](Tx& tx) {
    return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Returns","agent_ids":["agt_2"]})").as_object());
  });
  ASSERT_TRUE(team.ok());
  bad = make(R"({"name":"Escalate","actions":{"assign":{"team_id":")" + team->id + R"(","agent_id":"agt_1"}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "not_in_team");
  auto m = make(R"({"name":"Escalate","description":"to returns","actions":{"assign":{"team_id":")" + team->id + R"("}}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto dup = make(R"({"name":"Escalate","actions":{"priority":5}})");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "name_taken");
  EXPECT_TRUE(make(R"({"name":"Escalate","actions":{"priority":5}})", "ten_B").ok());  // names are per shop
  auto renamed = write<Macro>([&](Tx& tx) {
    return update_macro(tx, e, "ten_A", m->id, bj::parse(R"({"name":"Escalate!","actions":{"status":"snoozed"}})").as_object());
  });
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->description, "to returns");
  EXPECT_EQ(bj::serialize(to_json(renamed->actions)), R"({"status":"snoozed"})");
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_FALSE(get_macro(tx, "ten_B", m->id));  // tenant isolation
    EXPECT_EQ(list_macros(tx, "ten_A").size(), 1u);
    EXPECT_EQ(list_macros(tx, "ten_B").size(), 1u);
  });
  EXPECT_FALSE(write<bool>([&](Tx& tx) -> Result<bool> {
                 BOTTEGA_TRY_STATUS(delete_macro(tx, "ten_B", m->id));
                 return true;
               }).ok());
  EXPECT_TRUE(write<bool>([&](Tx& tx) -> Result<bool> {
                BOTTEGA_TRY_STATUS(delete_macro(tx, "ten_A", m->id));
                return true;
              }).ok());
}

TEST_P(MacrosTest, ARunDoesEverythingInOneWriteWithItsAuditAndEvents) {
  provider();
  auto e = env();
  auto team = write<Team>([&](Tx& tx) {
    return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Returns","agent_ids":["agt_2"]})").as_object());
  });
  ASSERT_TRUE(team.ok());
  ASSERT_TRUE(write<Availability>([&](Tx& tx) { return set_availability(tx, e, "ten_A", "agt_2", "online", std::nullopt, false); }).ok());
  auto conv = customer_says("ten_A", channel_, "ct_1", "I want my money back for order 1001");
  patch(conv, [] {
    pipeline::ConversationPatch p;
    p.tags = std::vector<std::string>{"presale", "vip"};
    return p;
  }());
  // An order of this customer, for {{order.number}}.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                commerce::Order o;
                o.id = "ord_1";
                o.tenant_id = "ten_A";
                o.number = 1001;
                o.cart_id = "cart_x";
                o.contact_id = "ct_1";
                o.status = "paid";
                o.currency = "EUR";
                o.totals_json = "{}";
                o.total = 5000;
                o.created_at = 5;
                commerce::insert_order(tx, o);
                return {};
              }).ok());
  auto m = make(R"({"name":"Refund offer","actions":{
      "reply":{"text":"Hi {{customer.first_name}}, about order {{order.number}}: here is the difference. {{agent.first_name}}"},
      "add_tags":["refund"],"remove_tags":["presale","not-there"],"priority":600,"status":"resolved",
      "assign":{"team_id":")" + team->id + R"("},"payment_link":{"amount":1250,"currency":"EUR","description":"Difference"}}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  size_t before = messages(conv).size();
  auto events_before = event_counts();

  // The preview says what it will do and changes nothing.
  Result<bj::object> preview = Error::internal("unset");
  store::read_sync(*store_, [&](Tx& tx) { preview = preview_macro(tx, agent_, conv, m->id, clock_.now_ms()); });
  ASSERT_TRUE(preview.ok()) << preview.error().message;
  auto steps = preview->at("steps").as_array();
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[0].at("text").as_string(), "Hi Ann, about order 1001: here is the difference. Bea");
  EXPECT_EQ(steps[1].at("formatted").as_string(), payments::format_amount(1250, "EUR"));
  EXPECT_EQ(bj::serialize(steps[2].at("removed")), R"(["presale"])");
  EXPECT_EQ(steps[5].at("team_name").as_string(), "Returns");
  EXPECT_TRUE(steps[5].at("picks_member").as_bool());
  EXPECT_EQ(messages(conv).size(), before);
  EXPECT_EQ(event_counts(), events_before);

  auto r = run(conv, m->id, agent_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto c = conversation(conv);
  EXPECT_EQ(c.status, ConversationStatus::resolved);
  EXPECT_EQ(c.priority, 600);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"vip", "refund"}));
  EXPECT_EQ(c.assignee_id, "agt_2");  // the team's online member
  auto msgs = messages(conv);
  ASSERT_EQ(msgs.size(), before + 3);  // the reply, the link, the run note
  EXPECT_EQ(msgs[before].text, "Hi Ann, about order 1001: here is the difference. Bea");
  EXPECT_EQ(msgs[before].author_id, "agt_1");
  EXPECT_EQ(msgs[before + 1].kind, "payment_link");
  EXPECT_EQ(msgs[before + 2].kind, "note");
  EXPECT_EQ(msgs[before + 2].text,
            "Macro \"Refund offer\" run by Bea Rossi: replied; sent a payment link for " + payments::format_amount(1250, "EUR") +
                "; tags +refund -presale; priority 600; resolved; assigned to team Returns, Carl");
  const auto& out = *r;
  EXPECT_EQ(out.at("note_message_id").as_string(), msgs[before + 2].id);
  EXPECT_EQ(out.at("ran_by").as_string(), "agent:agt_1");
  EXPECT_EQ(out.at("conversation").at("team").at("name").as_string(), "Returns");
  auto done = out.at("steps").as_array();
  ASSERT_EQ(done.size(), 6u);
  EXPECT_EQ(done[1].at("message_id").as_string(), msgs[before + 1].id);
  EXPECT_EQ(done[1].at("amount").as_int64(), 1250);
  EXPECT_EQ(done[5].at("agent_id").as_string(), "agt_2");
  EXPECT_EQ(payments_count(), 1u);
  // The audit row.
  store::read_sync(*store_, [&](Tx& tx) {
    auto list = list_macro_runs(tx, "ten_A", conv, std::nullopt, 10);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].at("macro_name").as_string(), "Refund offer");
    EXPECT_EQ(list[0].at("ran_by").as_string(), "agent:agt_1");
    EXPECT_EQ(list[0].at("steps").as_array().size(), 6u);
    EXPECT_TRUE(list_macro_runs(tx, "ten_B", std::nullopt, std::nullopt, 10).empty());
  });
  // The single actions' events.
  auto events = event_counts();
  EXPECT_EQ(events["message.created"] - events_before["message.created"], 3);
  EXPECT_EQ(events["payment.created"] - events_before["payment.created"], 1);
  EXPECT_EQ(events["conversation.transferred"] - events_before["conversation.transferred"], 1);
  EXPECT_GE(events["conversation.updated"] - events_before["conversation.updated"], 2);
}

TEST_P(MacrosTest, AFailingStepChangesNothing) {
  // No payment provider: the link fails after the reply was written in the same transaction.
  auto conv = customer_says("ten_A", channel_, "ct_1", "how much to ship to Belgium?");
  auto m = make(R"({"name":"Quote","actions":{"reply":{"text":"Here you go"},"add_tags":["quote"],"status":"snoozed",
                   "payment_link":{"amount":900,"currency":"EUR"}}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  size_t before = messages(conv).size();
  auto events_before = event_counts();
  auto r = run(conv, m->id, agent_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "no_payment_provider");
  EXPECT_EQ(r.error().field, "actions.payment_link.provider_id");
  auto c = conversation(conv);
  EXPECT_EQ(c.status, ConversationStatus::open);
  EXPECT_TRUE(c.tags.empty());
  EXPECT_EQ(messages(conv).size(), before);
  EXPECT_EQ(event_counts(), events_before);
  EXPECT_EQ(runs(), 0u);

  // The open cart: none yet -> 409 no_open_cart, nothing changes; with one, its total.
  provider();
  auto cart_macro = make(R"({"name":"Checkout","actions":{"reply":{"text":"Your cart, {{customer.name}}:"},"payment_link":{"cart":true}}})");
  ASSERT_TRUE(cart_macro.ok());
  auto none = run(conv, cart_macro->id, agent_);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "no_open_cart");
  EXPECT_EQ(messages(conv).size(), before);
  std::string cart_id;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                commerce::NewCart n;
                n.conversation_id = conv;
                BOTTEGA_TRY(cart, commerce::create_cart(tx, ids_, "ten_A", n, clock_.now_ms()));
                cart_id = cart.id;
                BOTTEGA_TRY(added, commerce::add_item(tx, "ten_A", cart.id, "BOOT-40", 2, clock_.now_ms()));
                (void)added;
                return {};
              }).ok());
  auto ok = run(conv, cart_macro->id, agent_);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto link = ok->at("steps").as_array()[1].as_object();
  EXPECT_EQ(link.at("cart_id").as_string(), cart_id);
  EXPECT_EQ(link.at("amount").as_int64(), 20000);
  EXPECT_EQ(messages(conv).size(), before + 3);
  // Again: the cart has an open link now, so the whole run is refused.
  auto again = run(conv, cart_macro->id, agent_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "cart_has_open_link");
  EXPECT_EQ(again.error().field, "actions.payment_link.cart_id");
  EXPECT_EQ(messages(conv).size(), before + 3);
  EXPECT_EQ(runs(), 1u);
}

TEST_P(MacrosTest, AnotherShopsMacrosAndConversationsAreNotFound) {
  auto conv_a = customer_says("ten_A", channel_, "ct_1", "hello");
  auto conv_b = customer_says("ten_B", channel_b_, "ct_9", "hallo");
  auto mine = make(R"({"name":"Tag","actions":{"add_tags":["seen"]}})");
  auto theirs = make(R"({"name":"Tag","actions":{"add_tags":["seen"]}})", "ten_B");
  ASSERT_TRUE(mine.ok() && theirs.ok());
  Principal other;
  other.tenant_id = "ten_B";
  other.agent_id = "agt_9";
  auto r = run(conv_a, theirs->id, other);  // their macro on our conversation
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errc, Errc::not_found);
  r = run(conv_b, mine->id, other);  // our macro on their conversation
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errc, Errc::not_found);
  r = run(conv_b, mine->id, agent_);  // us on their conversation
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errc, Errc::not_found);
  EXPECT_TRUE(conversation(conv_a).tags.empty());
  EXPECT_TRUE(run(conv_b, theirs->id, other).ok());
  EXPECT_EQ(runs("ten_A"), 0u);
  EXPECT_EQ(runs("ten_B"), 1u);
  // A macro whose agent was removed from the team since it was saved: 409 macro_out_of_date.
  auto e = env();
  auto team = write<Team>([&](Tx& tx) {
    return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Sales","agent_ids":["agt_1"]})").as_object());
  });
  ASSERT_TRUE(team.ok());
  auto assign = make(R"({"name":"Sales","actions":{"add_tags":["sales"],"assign":{"team_id":")" + team->id + R"(","agent_id":"agt_1"}}})");
  ASSERT_TRUE(assign.ok()) << assign.error().message;
  ASSERT_TRUE(write<Team>([&](Tx& tx) {
                return update_team(tx, e, "ten_A", team->id, bj::parse(R"({"agent_ids":["agt_2"]})").as_object());
              }).ok());
  auto stale = run(conv_a, assign->id, agent_);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, "not_in_team");
  EXPECT_EQ(stale.error().field, "actions.assign.agent_id");
  EXPECT_TRUE(conversation(conv_a).tags.empty());
  // Its team deleted: 409 macro_out_of_date, nothing changes.
  ASSERT_TRUE(write<bool>([&](Tx& tx) -> Result<bool> {
                BOTTEGA_TRY_STATUS(delete_team(tx, "ten_A", team->id));
                return true;
              }).ok());
  stale = run(conv_a, assign->id, agent_);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, "macro_out_of_date");
  EXPECT_EQ(stale.error().field, "actions.assign.team_id");
  EXPECT_TRUE(conversation(conv_a).tags.empty());
  // An agent-only macro on a conversation in a team the agent is not in: not_in_team.
  auto returns = write<Team>([&](Tx& tx) {
    return create_team(tx, e, "ten_A", bj::parse(R"({"name":"Returns","agent_ids":["agt_2"]})").as_object());
  });
  ASSERT_TRUE(returns.ok());
  Principal admin_token;
  admin_token.tenant_id = "ten_A";
  admin_token.token_id = "tok_1";
  ASSERT_TRUE(write<TransferResult>([&](Tx& tx) {
                TransferInput in;
                in.team_id = std::optional<std::string>(returns->id);
                return transfer(tx, e, admin_token, conv_a, in);
              }).ok());
  auto to_bea = make(R"({"name":"To Bea","actions":{"assign":{"agent_id":"agt_1"}}})");
  ASSERT_TRUE(to_bea.ok());
  Result<bj::object> preview = Error::internal("unset");
  store::read_sync(*store_, [&](Tx& tx) { preview = preview_macro(tx, agent_, conv_a, to_bea->id, clock_.now_ms()); });
  ASSERT_FALSE(preview.ok());
  EXPECT_EQ(preview.error().code, "not_in_team");
  EXPECT_EQ(run(conv_a, to_bea->id, agent_).error().code, "not_in_team");
}

}  // namespace
}  // namespace bottega::service
