// The team API on the real server: admins add agents and change roles, agents only read, emails
// are unique, the last admin stays an admin, and another shop's agents are out of reach.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace e2e {
namespace {

struct Session {
  std::string cookie, csrf;
};

class Agents : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Team shop");
    other = srv.create_tenant("Other shop");
    admin_id = srv.create_agent(shop.id, "owner@team.test", "owner password 1", "admin", "Owner");
    srv.start();
  }

  Session login(const std::string& email, const std::string& password) {
    auto r = srv.post("/api/v1/auth/login", bj::object{{"email", email}, {"password", password}});
    if (r.status != 200) throw std::runtime_error("login: " + r.describe());
    std::string set = r.header("Set-Cookie");
    return Session{set.substr(0, set.find(';')), str(r.json(), "csrf_token")};
  }
  static Headers cookie(const Session& s) { return {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}}; }

  BottegaProcess srv;
  Tenant shop, other;
  std::string admin_id;
};

TEST_F(Agents, AdminAddsAnAgentWhoCanLogInButNotAdministerTheTeam) {
  auto owner = login("owner@team.test", "owner password 1");
  auto created = srv.post("/api/v1/agents",
                          bj::object{{"email", "Bea@Team.test"}, {"name", "Bea"}, {"role", "agent"}, {"password", "bea password 12"}},
                          cookie(owner));
  ASSERT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(str(created.json(), "email"), "bea@team.test") << "emails are stored in lower case";
  EXPECT_EQ(str(created.json(), "role"), "agent");
  EXPECT_EQ(find(created.json(), "password"), nullptr);
  EXPECT_EQ(find(created.json(), "password_hash"), nullptr);
  std::string bea_id = str(created.json(), "id");

  auto listed = srv.get("/api/v1/agents", bearer(shop.token));
  ASSERT_EQ(listed.status, 200) << listed.describe();
  ASSERT_EQ(arr(listed.json(), "data").size(), 2u);

  // The new agent logs in with the first password, reads the team, cannot change it.
  auto bea = login("bea@team.test", "bea password 12");
  EXPECT_EQ(srv.get("/api/v1/agents", cookie(bea)).status, 200);
  auto refused = srv.post("/api/v1/agents",
                          bj::object{{"email", "eve@team.test"}, {"name", "Eve"}, {"role", "admin"}, {"password", "eve password 12"}},
                          cookie(bea));
  EXPECT_EQ(refused.status, 403) << refused.describe();
  EXPECT_EQ(srv.patch("/api/v1/agents/" + bea_id, bj::object{{"role", "admin"}}, cookie(bea)).status, 403);

  // Promoted by the owner, the same session has admin rights at once (roles are read live).
  auto promoted = srv.patch("/api/v1/agents/" + bea_id, bj::object{{"role", "admin"}, {"name", "Bea B."}}, cookie(owner));
  ASSERT_EQ(promoted.status, 200) << promoted.describe();
  EXPECT_EQ(str(promoted.json(), "name"), "Bea B.");
  auto now_allowed = srv.post("/api/v1/agents",
                              bj::object{{"email", "eve@team.test"}, {"name", "Eve"}, {"role", "agent"}, {"password", "eve password 12"}},
                              cookie(bea));
  EXPECT_EQ(now_allowed.status, 201) << now_allowed.describe();
}

TEST_F(Agents, BadInputIsRefusedWithTheFieldAndChangesNothing) {
  struct Case {
    bj::object body;
    int status;
    std::string code, field;
  };
  std::vector<Case> cases = {
      {{{"email", "not-an-email"}, {"name", "X"}, {"role", "agent"}, {"password", "long enough pw"}}, 400, "invalid_argument", "email"},
      {{{"email", "x@team.test"}, {"name", "  "}, {"role", "agent"}, {"password", "long enough pw"}}, 400, "invalid_argument", "name"},
      {{{"email", "x@team.test"}, {"name", "X"}, {"role", "owner"}, {"password", "long enough pw"}}, 400, "invalid_argument", "role"},
      {{{"email", "x@team.test"}, {"name", "X"}, {"role", "agent"}, {"password", "short"}}, 400, "weak_password", "password"},
      {{{"email", "x@team.test"}, {"name", "X"}, {"role", "agent"}, {"password", "long enough pw"}, {"admin", true}}, 400, "unknown_field", "admin"},
      {{{"email", "OWNER@team.test"}, {"name", "X"}, {"role", "agent"}, {"password", "long enough pw"}}, 409, "email_taken", "email"},
  };
  for (const auto& c : cases) {
    auto r = srv.post("/api/v1/agents", c.body, bearer(shop.token));
    EXPECT_EQ(r.status, c.status) << dump(c.body) << " -> " << r.describe();
    if (c.code != "invalid_argument") {
      EXPECT_EQ(r.error_code(), c.code) << r.describe();
    }
    EXPECT_EQ(r.error_field(), c.field) << r.describe();
  }
  EXPECT_EQ(arr(srv.get("/api/v1/agents", bearer(shop.token)).json(), "data").size(), 1u) << "nothing was created";
}

TEST_F(Agents, TheLastAdminCannotBeDemoted) {
  auto r = srv.patch("/api/v1/agents/" + admin_id, bj::object{{"role", "agent"}}, bearer(shop.token));
  EXPECT_EQ(r.status, 409) << r.describe();
  EXPECT_EQ(r.error_code(), "last_admin");
  auto still = srv.get("/api/v1/agents", bearer(shop.token));
  EXPECT_EQ(str(arr(still.json(), "data")[0], "role"), "admin");
}

TEST_F(Agents, AnotherShopsAgentsAreUnreachable) {
  auto theirs = srv.get("/api/v1/agents", bearer(other.token));
  ASSERT_EQ(theirs.status, 200);
  EXPECT_TRUE(arr(theirs.json(), "data").empty()) << theirs.body;
  auto r = srv.patch("/api/v1/agents/" + admin_id, bj::object{{"name", "Hijacked"}}, bearer(other.token));
  EXPECT_EQ(r.status, 404) << r.describe();
  EXPECT_EQ(str(arr(srv.get("/api/v1/agents", bearer(shop.token)).json(), "data")[0], "name"), "Owner");
}

}  // namespace
}  // namespace e2e
