// Macros through the real binary: an admin defines one (refusals name the field), an agent previews
// and runs it on a web chat conversation: the visitor gets the reply and the payment link, the
// conversation is tagged, resolved and assigned to the team's online member, an internal note and
// an audit row say who ran it; the same Idempotency-Key runs nothing again; a failing run changes
// nothing; another shop gets 404.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

#include "harness.hpp"

namespace e2e {
namespace {

Headers login(const BottegaProcess& srv, const std::string& email, const std::string& password) {
  auto r = srv.post("/api/v1/auth/login", bj::object{{"email", email}, {"password", password}});
  EXPECT_EQ(r.status, 200) << r.describe();
  std::string set = r.header("Set-Cookie");
  return Headers{{"Cookie", set.substr(0, set.find(';'))}, {"X-CSRF-Token", str(r.json(), "csrf_token")}};
}

TEST(Macros, AnAgentRunsOneAndEverythingHappensOnceAndTogether) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Macro shop");
  auto other = srv.create_tenant("Other shop");
  srv.create_agent(shop.id, "bea@shop.test", "bea password 12", "agent", "Bea");
  srv.create_agent(shop.id, "carl@shop.test", "carl password 12", "agent", "Carl");
  srv.start();
  auto auth = bearer(shop.token);
  auto channel = create_webchat_channel(srv, shop.token);
  std::string bea, carl;
  for (const auto& a : arr(srv.get("/api/v1/agents", auth).json(), "data")) {
    if (str(a, "email") == "bea@shop.test") bea = str(a, "id");
    if (str(a, "email") == "carl@shop.test") carl = str(a, "id");
  }
  ASSERT_FALSE(bea.empty() || carl.empty());
  auto provider = srv.post("/api/v1/payment_providers", bj::object{{"type", "sandbox"}, {"name", "Test"}}, auth);
  ASSERT_EQ(provider.status, 201) << provider.describe();
  auto team = srv.post("/api/v1/teams", bj::object{{"name", "Returns"}, {"agent_ids", bj::array{carl}}}, auth);
  ASSERT_EQ(team.status, 201) << team.describe();
  std::string team_id = str(team.json(), "id");
  ASSERT_EQ(srv.request("PUT", "/api/v1/agents/" + carl + "/availability", R"({"status":"online"})", auth).status, 200);

  // Saving: each refusal names its field; agents may read but not write.
  auto refused = [&](const std::string& actions) {
    return srv.post("/api/v1/macros", bj::object{{"name", "Bad"}, {"actions", bj::parse(actions)}}, auth);
  };
  auto r = refused(R"({"reply":{"text":"Hi {{customer.nick}}"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_field(), "actions.reply.text");
  EXPECT_EQ(r.error_code(), "unknown_variable");
  r = refused(R"({"add_tags":["ok","Not OK"]})");
  EXPECT_EQ(r.error_field(), "actions.add_tags[1]");
  EXPECT_EQ(r.error_code(), "invalid_tag");
  r = refused(R"({"assign":{"agent_id":"agt_nope"}})");
  EXPECT_EQ(r.error_field(), "actions.assign.agent_id");
  EXPECT_EQ(r.error_code(), "unknown_agent");
  r = refused(R"({"assign":{"team_id":"team_nope"}})");
  EXPECT_EQ(r.error_code(), "unknown_team");
  r = refused(R"({"payment_link":{"amount":"12.50","currency":"EUR"}})");
  EXPECT_EQ(r.error_field(), "actions.payment_link.amount");
  EXPECT_EQ(r.error_code(), "invalid_amount");
  EXPECT_TRUE(arr(srv.get("/api/v1/macros", auth).json(), "data").empty()) << "a refused macro is not saved";

  auto bea_session = login(srv, "bea@shop.test", "bea password 12");
  EXPECT_EQ(srv.request("POST", "/api/v1/macros", R"({"name":"Mine","actions":{"priority":1}})", bea_session).status, 403);

  bj::object def{{"name", "Refund offer"},
                 {"description", "Offer the difference, close, hand to Returns"},
                 {"actions", bj::parse(R"({"reply":{"text":"Hi {{customer.first_name}}, here is the difference."},
                     "add_tags":["refund"],"remove_tags":["presale"],"priority":600,"status":"resolved",
                     "payment_link":{"amount":1250,"currency":"EUR","description":"Difference"}})")}};
  def["actions"].as_object()["assign"] = bj::object{{"team_id", team_id}};
  auto created = srv.post("/api/v1/macros", def, auth);
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string macro = str(created.json(), "id");
  EXPECT_EQ(srv.post("/api/v1/macros", def, auth).error_code(), "name_taken");
  auto listed = srv.get("/api/v1/macros", bea_session);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(arr(listed.json(), "data").size(), 1u);
  EXPECT_EQ(str(arr(listed.json(), "data")[0], "actions.payment_link.currency"), "EUR");

  // A visitor writes.
  auto v = create_visitor(srv, channel, "Ann Smith");
  auto sent = visitor_send(srv, channel, v.token, "The shoes were cheaper yesterday!");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + conv, bj::object{{"tags", bj::array{"presale"}}}, auth).status, 200);
  std::string base = "/api/v1/conversations/" + conv + "/macros/" + macro;

  // Another shop: nothing of ours exists.
  auto theirs = bearer(other.token);
  EXPECT_EQ(srv.get("/api/v1/macros/" + macro, theirs).status, 404);
  EXPECT_EQ(srv.request("POST", base + "/run", "", theirs).status, 404);
  EXPECT_EQ(srv.get(base + "/preview", theirs).status, 404);

  // The preview: what it will do, nothing done.
  auto preview = srv.get(base + "/preview", bea_session);
  ASSERT_EQ(preview.status, 200) << preview.describe();
  auto steps = arr(preview.json(), "steps");
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(str(steps[0], "text"), "Hi Ann, here is the difference.");
  EXPECT_EQ(num(steps[1], "amount"), 1250);
  EXPECT_EQ(str(steps[5], "team_name"), "Returns");
  auto before = arr(srv.get("/api/v1/conversations/" + conv + "/messages", auth).json(), "data").size();

  // The run, with an Idempotency-Key, twice.
  Headers keyed = bea_session + Headers{{"Idempotency-Key", "run-" + random_hex()}};
  auto ran = srv.request("POST", base + "/run", "", keyed);
  ASSERT_EQ(ran.status, 200) << ran.describe();
  auto again = srv.request("POST", base + "/run", "", keyed);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, ran.body) << "the same key answers the first run";
  auto out = ran.json();
  EXPECT_EQ(str(out, "ran_by"), "agent:" + bea);
  EXPECT_EQ(str(out, "conversation.status"), "resolved");
  EXPECT_EQ(str(out, "conversation.assignee_id"), carl);
  EXPECT_EQ(str(out, "conversation.team.name"), "Returns");
  auto done = arr(out, "steps");
  ASSERT_EQ(done.size(), 6u);
  std::string payment = str(done[1], "payment_id");

  auto c = srv.get("/api/v1/conversations/" + conv, auth).json();
  EXPECT_EQ(str(c, "status"), "resolved");
  EXPECT_EQ(num(c, "priority"), 600);
  EXPECT_EQ(dump(*find(c, "tags")), R"(["refund"])");
  EXPECT_EQ(str(c, "assignee_id"), carl);
  auto link = srv.get("/api/v1/payment_links/" + payment, auth);
  ASSERT_EQ(link.status, 200);
  EXPECT_EQ(str(link.json(), "status"), "sent");
  EXPECT_EQ(num(link.json(), "amount"), 1250);
  EXPECT_EQ(str(link.json(), "conversation_id"), conv);

  // One run: three messages (reply, link, note); the note is internal.
  auto msgs = arr(srv.get("/api/v1/conversations/" + conv + "/messages", auth).json(), "data");
  ASSERT_EQ(msgs.size(), before + 3);
  EXPECT_EQ(str(msgs[before], "text"), "Hi Ann, here is the difference.");
  EXPECT_EQ(str(msgs[before + 1], "kind"), "payment_link");
  EXPECT_EQ(str(msgs[before + 2], "kind"), "note");
  EXPECT_EQ(str(msgs[before + 2], "id"), str(out, "note_message_id"));
  EXPECT_EQ(str(msgs[before + 2], "text").rfind("Macro \"Refund offer\" run by Bea: replied; sent a payment link", 0), 0u)
      << str(msgs[before + 2], "text");
  // The visitor sees the reply and the link, not the note.
  std::set<std::string> visitor_sees;
  for (const auto& m : arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}}).json(), "data"))
    visitor_sees.insert(str(m, "id"));
  EXPECT_TRUE(visitor_sees.count(str(msgs[before], "id")));
  EXPECT_TRUE(visitor_sees.count(str(msgs[before + 1], "id")));
  EXPECT_FALSE(visitor_sees.count(str(msgs[before + 2], "id")));
  // The audit: one run, by Bea.
  auto audit = arr(srv.get("/api/v1/macro_runs?conversation_id=" + conv, auth).json(), "data");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(str(audit[0], "ran_by"), "agent:" + bea);
  EXPECT_EQ(str(audit[0], "macro_name"), "Refund offer");
  EXPECT_TRUE(arr(srv.get("/api/v1/macro_runs", theirs).json(), "data").empty());

  // A run that fails part-way changes nothing: the open cart macro with no cart.
  auto cart_macro = srv.post("/api/v1/macros",
                             bj::object{{"name", "Checkout"},
                                        {"actions", bj::parse(R"({"reply":{"text":"Here is your cart"},"add_tags":["checkout"],
                                                                 "status":"open","payment_link":{"cart":true}})")}},
                             auth);
  ASSERT_EQ(cart_macro.status, 201) << cart_macro.describe();
  auto failed = srv.request("POST", "/api/v1/conversations/" + conv + "/macros/" + str(cart_macro.json(), "id") + "/run", "",
                            bea_session);
  EXPECT_EQ(failed.status, 409) << failed.describe();
  EXPECT_EQ(failed.error_code(), "no_open_cart");
  EXPECT_EQ(failed.error_field(), "actions.payment_link.cart");
  c = srv.get("/api/v1/conversations/" + conv, auth).json();
  EXPECT_EQ(str(c, "status"), "resolved");
  EXPECT_EQ(dump(*find(c, "tags")), R"(["refund"])");
  EXPECT_EQ(arr(srv.get("/api/v1/conversations/" + conv + "/messages", auth).json(), "data").size(), before + 3);
  EXPECT_EQ(arr(srv.get("/api/v1/macro_runs", auth).json(), "data").size(), 1u);

  // Admins edit and delete; the audit stays.
  auto edited = srv.patch("/api/v1/macros/" + macro, bj::object{{"actions", bj::object{{"priority", 10}}}}, auth);
  ASSERT_EQ(edited.status, 200) << edited.describe();
  EXPECT_EQ(dump(*find(edited.json(), "actions")), R"({"priority":10})");
  EXPECT_EQ(srv.request("DELETE", "/api/v1/macros/" + macro, "", bea_session).status, 403);
  EXPECT_EQ(srv.request("DELETE", "/api/v1/macros/" + macro, "", auth).status, 200);
  EXPECT_EQ(srv.get("/api/v1/macros/" + macro, auth).status, 404);
  EXPECT_EQ(arr(srv.get("/api/v1/macro_runs?macro_id=" + macro, auth).json(), "data").size(), 1u);
}

}  // namespace
}  // namespace e2e
