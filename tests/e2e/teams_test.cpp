// Teams and transfer through the real binary: an admin makes a team, a conversation is transferred
// to it with a note (an internal note the visitor never sees), assigned to the team's online
// member, listed in the team's inbox; refusals name the field.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "harness.hpp"

namespace e2e {
namespace {

TEST(Teams, TransferWithANoteAndTheTeamInbox) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Teams shop");
  srv.create_agent(shop.id, "bea@shop.test", "bea password 12", "agent", "Bea");
  srv.start();
  auto auth = bearer(shop.token);
  auto channel = create_webchat_channel(srv, shop.token);
  auto agents = arr(srv.get("/api/v1/agents", auth).json(), "data");
  std::string bea;
  for (const auto& a : agents)
    if (str(a, "email") == "bea@shop.test") bea = str(a, "id");
  ASSERT_FALSE(bea.empty());

  auto bad = srv.post("/api/v1/teams", bj::object{{"name", "Returns"}, {"agent_ids", bj::array{bea, "agt_nope"}}}, auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "agent_ids[1]");
  auto t = srv.post("/api/v1/teams", bj::object{{"name", "Returns"}, {"agent_ids", bj::array{bea}}}, auth);
  ASSERT_EQ(t.status, 201) << t.describe();
  std::string team = str(t.json(), "id");
  EXPECT_EQ(srv.post("/api/v1/teams", bj::object{{"name", "Returns"}}, auth).status, 409);

  // Bea goes online (her own session), a visitor writes, the conversation goes to the team.
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "bea@shop.test"}, {"password", "bea password 12"}});
  ASSERT_EQ(login.status, 200);
  std::string set = login.header("Set-Cookie");
  Headers bea_session{{"Cookie", set.substr(0, set.find(';'))}, {"X-CSRF-Token", str(login.json(), "csrf_token")}};
  ASSERT_EQ(srv.request("PUT", "/api/v1/agents/me/availability", R"({"status":"online"})", bea_session).status, 200);
  auto v = create_visitor(srv, channel, "Ann");
  ASSERT_EQ(visitor_send(srv, channel, v.token, "I'd like to return my shoes").status, 201);
  auto v2 = create_visitor(srv, channel, "Bob");
  ASSERT_EQ(visitor_send(srv, channel, v2.token, "Where is my parcel?").status, 201);
  auto convs = arr(srv.get("/api/v1/conversations", auth).json(), "data");
  ASSERT_EQ(convs.size(), 2u);
  std::string conv;
  for (const auto& c : convs)
    if (str(c, "contact.name") == "Ann") conv = str(c, "id");
  ASSERT_FALSE(conv.empty());

  EXPECT_EQ(srv.post("/api/v1/conversations/" + conv + "/transfer", bj::object{{"note", "x"}}, auth).error_field(), "team_id");
  EXPECT_EQ(srv.post("/api/v1/conversations/" + conv + "/transfer", bj::object{{"team_id", "team_nope"}}, auth).error_field(),
            "team_id");
  auto moved = srv.post("/api/v1/conversations/" + conv + "/transfer",
                        bj::object{{"team_id", team}, {"note", "return request"}}, auth);
  ASSERT_EQ(moved.status, 200) << moved.describe();
  EXPECT_EQ(str(moved.json(), "assignee_id"), bea);
  EXPECT_EQ(str(moved.json(), "team.name"), "Returns");
  std::string note = str(moved.json(), "note_message_id");

  // The team's inbox has that conversation only; the conversation shows its team.
  auto inbox = arr(srv.get("/api/v1/conversations?team_id=" + team, auth).json(), "data");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(str(inbox[0], "id"), conv);
  EXPECT_EQ(str(inbox[0], "team.id"), team);
  EXPECT_EQ(arr(srv.get("/api/v1/conversations?team_id=" + team + "&sort=priority", auth).json(), "data").size(), 1u);
  // The note is internal: agents see it, the visitor does not.
  bool agent_sees = false;
  for (const auto& m : arr(srv.get("/api/v1/conversations/" + conv + "/messages", auth).json(), "data"))
    if (str(m, "id") == note) agent_sees = str(m, "kind") == "note" && str(m, "text") == "Transferred to team Returns, Bea: return request";
  EXPECT_TRUE(agent_sees);
  for (const auto& m : arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}}).json(), "data"))
    EXPECT_NE(str(m, "id"), note);
  // Agents cannot manage teams.
  EXPECT_EQ(srv.request("PATCH", "/api/v1/teams/" + team, R"({"name":"R"})", bea_session).status, 403);
  EXPECT_EQ(srv.request("DELETE", "/api/v1/teams/" + team, "", auth).status, 200);
  EXPECT_TRUE(find(srv.get("/api/v1/conversations/" + conv, auth).json(), "team")->is_null());
}

}  // namespace
}  // namespace e2e
