// Agent tools through the real binary: full-text search over messages (visitors' messages, agents'
// replies and internal notes; best match first; escaped snippets; filters and pages; another shop's
// messages never found; bad queries answered 400 naming the field) and mentions in internal notes
// (stored on the note, the mentioned agent's event on her realtime stream only, live and replayed,
// her unread list and marking read, the note kept from the visitor).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <boost/json/parse.hpp>

#include "harness.hpp"
#include "store/postgres/postgres_store.hpp"

namespace e2e {
namespace {

// The search scenario on the store `opts` names (SQLite by default).
void search_messages(ProcessOptions opts) {
  BottegaProcess srv(opts);
  auto shop = srv.create_tenant("Search shop");
  auto other = srv.create_tenant("Other shop");
  srv.start();
  auto auth = bearer(shop.token);
  auto channel = create_webchat_channel(srv, shop.token);
  auto channel2 = create_webchat_channel(srv, shop.token, "Second");
  auto other_channel = create_webchat_channel(srv, other.token);

  auto ann = create_visitor(srv, channel, "Ann");
  auto sent = visitor_send(srv, channel, ann.token, "Do you ship to Belgium? My address is in Bruxelles");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");
  auto bob = create_visitor(srv, channel2, "Bob");
  ASSERT_EQ(visitor_send(srv, channel2, bob.token, "<img src=x onerror=alert(1)> belgium belgium").status, 201);
  auto note = srv.post("/api/v1/conversations/" + conv + "/messages",
                       bj::object{{"text", "Belgium rates: check the carrier"}, {"kind", "note"}}, auth);
  ASSERT_EQ(note.status, 201) << note.describe();
  auto zed = create_visitor(srv, other_channel, "Zed");
  ASSERT_EQ(visitor_send(srv, other_channel, zed.token, "belgium belgium belgium").status, 201);

  // Committed with the message: found at once, best match first, with conversation and contact.
  auto r = srv.get("/api/v1/search/messages?q=BELG", auth);
  ASSERT_EQ(r.status, 200) << r.describe();
  auto data = arr(r.json(), "data");
  ASSERT_EQ(data.size(), 3u) << r.body;
  EXPECT_EQ(str(data[0], "conversation.contact.name"), "Bob");
  EXPECT_EQ(str(data[0], "message.text"), "<img src=x onerror=alert(1)> belgium belgium");
  // The snippet is escaped HTML: the message's markup is text, only <mark> is markup.
  EXPECT_EQ(str(data[0], "snippet"), "&lt;img src=x onerror=alert(1)&gt; <mark>belgium</mark> <mark>belgium</mark>");
  bool saw_note = false, saw_ann = false;
  for (const auto& h : data) {
    EXPECT_EQ(str(h, "message.conversation_id"), str(h, "conversation.id"));
    if (str(h, "message.kind") == "note") {
      saw_note = true;
      EXPECT_EQ(str(h, "snippet"), "<mark>Belgium</mark> rates: check the carrier");
    }
    if (str(h, "conversation.contact.name") == "Ann" && str(h, "message.kind") == "text") saw_ann = true;
  }
  EXPECT_TRUE(saw_note);
  EXPECT_TRUE(saw_ann);
  EXPECT_EQ(str(r.json(), "next_cursor"), "");
  EXPECT_TRUE(find(r.json(), "next_cursor")->is_null());

  // All words must match, each a prefix; accents ignored.
  auto two = arr(srv.get("/api/v1/search/messages?q=ship%20bruxell%C3%A9", auth).json(), "data");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(str(two[0], "conversation.id"), conv);
  EXPECT_TRUE(arr(srv.get("/api/v1/search/messages?q=belgium%20holland", auth).json(), "data").empty());

  // Filters and pages.
  auto on2 = arr(srv.get("/api/v1/search/messages?q=belg&channel_id=" + channel2, auth).json(), "data");
  ASSERT_EQ(on2.size(), 1u);
  EXPECT_EQ(str(on2[0], "conversation.channel_id"), channel2);
  EXPECT_TRUE(arr(srv.get("/api/v1/search/messages?q=belg&status=resolved", auth).json(), "data").empty());
  EXPECT_EQ(arr(srv.get("/api/v1/search/messages?q=belg&status=open", auth).json(), "data").size(), 3u);
  auto all = list_all(srv, "/api/v1/search/messages?q=belg", auth, 1);
  ASSERT_EQ(all.size(), 3u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(str(all[i], "message.id"), str(data[i], "message.id"));

  // The other shop finds only its own; its channel as a filter finds nothing here.
  auto theirs = arr(srv.get("/api/v1/search/messages?q=belgium", bearer(other.token)).json(), "data");
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(str(theirs[0], "conversation.contact.name"), "Zed");
  EXPECT_TRUE(arr(srv.get("/api/v1/search/messages?q=belg&channel_id=" + other_channel, auth).json(), "data").empty());

  // Bad input: 400 naming the field; unauthenticated: 401.
  EXPECT_EQ(srv.get("/api/v1/search/messages", auth).error_field(), "q");
  EXPECT_EQ(srv.get("/api/v1/search/messages?q=%21%3F", auth).error_field(), "q");
  EXPECT_EQ(srv.get("/api/v1/search/messages?q=" + std::string(513, 'a'), auth).error_field(), "q");
  auto bad_status = srv.get("/api/v1/search/messages?q=belg&status=closed", auth);
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_EQ(bad_status.error_field(), "status");
  EXPECT_EQ(srv.get("/api/v1/search/messages?q=belg&limit=0", auth).error_field(), "limit");
  EXPECT_EQ(srv.get("/api/v1/search/messages?q=belg&cursor=x", auth).error_field(), "cursor");
  EXPECT_EQ(srv.get("/api/v1/search/messages?q=belg").status, 401);
}

TEST(AgentTools, SearchMessages) { search_messages({}); }

// The same answers from `bottega serve` on PostgreSQL (GIN expression index instead of FTS5).
TEST(AgentTools, SearchMessagesOnPostgres) {
  const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
  if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
  bottega::store::ScratchDatabase db(admin, bottega::store::ScratchDatabase::unique_name("bottega_e2e_search"));
  ASSERT_TRUE(db.status().ok()) << db.status().error().message;
  ProcessOptions opts;
  opts.store_url = db.url();
  search_messages(opts);
}

struct AgentSession {
  std::string cookie, csrf;
  Headers headers() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
};

AgentSession login(const BottegaProcess& srv, const std::string& email, const std::string& password) {
  auto r = srv.post("/api/v1/auth/login", bj::object{{"email", email}, {"password", password}});
  if (r.status != 200) throw std::runtime_error("login " + email + ": " + r.describe());
  std::string set = r.header("Set-Cookie");
  return {set.substr(0, set.find(';')), str(r.json(), "csrf_token")};
}

bool is_mention(const bj::value& v) { return str(v, "type") == "agent.mentioned"; }

TEST(AgentTools, MentionsInNotes) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Mention shop");
  auto other = srv.create_tenant("Other shop");
  std::string bea = srv.create_agent(shop.id, "bea@shop.test", "bea password 12", "agent", "Bea Rossi");
  std::string cal = srv.create_agent(shop.id, "cal@shop.test", "cal password 12", "agent", "Cal");
  srv.create_agent(other.id, "bea@other.test", "bea password 12", "agent", "Bea Rossi");
  srv.start();
  auto auth = bearer(shop.token);
  auto channel = create_webchat_channel(srv, shop.token);
  auto ann = create_visitor(srv, channel, "Ann");
  auto sent = visitor_send(srv, channel, ann.token, "Can I change my order?");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");

  auto bea_s = login(srv, "bea@shop.test", "bea password 12");
  auto cal_s = login(srv, "cal@shop.test", "cal password 12");
  auto open_ws = [&](WsClient& ws, const AgentSession& s, const std::string& query, std::vector<bj::value>* seen) {
    ASSERT_TRUE(ws.connect(srv.port(), "/api/v1/realtime" + query, {{"Cookie", s.cookie}, {"Origin", srv.public_url()}}))
        << ws.handshake_status() << " " << ws.handshake_body();
    ASSERT_TRUE(ws.read_until(is_type("ready"), 10s, seen)) << ws.end_reason();
  };
  WsClient bea_ws, cal_ws, visitor_ws;
  open_ws(bea_ws, bea_s, "", nullptr);
  open_ws(cal_ws, cal_s, "", nullptr);
  ASSERT_TRUE(visitor_ws.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=" + ann.token));
  ASSERT_TRUE(visitor_ws.read_until(is_type("ready"), 10s)) << visitor_ws.end_reason();

  // Cal writes a note mentioning Bea (by name, any case) and himself, and someone unknown.
  auto note = srv.request("POST", "/api/v1/conversations/" + conv + "/messages",
                          R"({"kind":"note","text":"@bea rossi can you check? cc @Cal @nobody"})", cal_s.headers());
  ASSERT_EQ(note.status, 201) << note.describe();
  std::string note_id = str(note.json(), "id");
  auto mentioned = arr(note.json(), "content.mentions");
  ASSERT_EQ(mentioned.size(), 2u);
  EXPECT_EQ(str(mentioned[0], "agent_id"), bea);  // this shop's Bea only
  EXPECT_EQ(str(mentioned[0], "name"), "Bea Rossi");
  EXPECT_EQ(str(mentioned[1], "agent_id"), cal);

  // Bea's stream carries the mention; Cal's does not (checked up to a later event, in seq order).
  auto ev = bea_ws.read_until(is_mention, 10s);
  ASSERT_TRUE(ev) << bea_ws.end_reason();
  EXPECT_EQ(str(*ev, "data.agent_id"), bea);
  EXPECT_EQ(str(*ev, "data.message_id"), note_id);
  EXPECT_EQ(str(*ev, "data.by_name"), "Cal");
  EXPECT_EQ(str(*ev, "data.contact_name"), "Ann");
  auto reply = srv.post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "We can, yes."}}, auth);
  ASSERT_EQ(reply.status, 201) << reply.describe();
  std::vector<bj::value> cal_seen;
  ASSERT_TRUE(cal_ws.read_until(is_message_with_text("We can, yes."), 10s, &cal_seen)) << cal_ws.end_reason();
  for (const auto& e : cal_seen) EXPECT_FALSE(is_mention(e)) << dump(e);
  bool cal_saw_note = false;
  for (const auto& e : cal_seen) cal_saw_note |= str(e, "data.id") == note_id;
  EXPECT_TRUE(cal_saw_note);  // agents see the note itself
  // The visitor sees neither the note nor the mention, live or in the history.
  std::vector<bj::value> visitor_seen;
  ASSERT_TRUE(visitor_ws.read_until(is_message_with_text("We can, yes."), 10s, &visitor_seen)) << visitor_ws.end_reason();
  for (const auto& e : visitor_seen) {
    EXPECT_FALSE(is_mention(e)) << dump(e);
    EXPECT_NE(str(e, "data.id"), note_id) << dump(e);
    EXPECT_NE(str(e, "data.kind"), "note") << dump(e);
  }
  for (const auto& m : arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", ann.token}}).json(), "data"))
    EXPECT_NE(str(m, "id"), note_id);

  // Replay from the start: Bea's has the mention, Cal's does not.
  WsClient bea_replay, cal_replay;
  std::vector<bj::value> bea_old, cal_old;
  open_ws(bea_replay, bea_s, "?cursor=0", &bea_old);
  open_ws(cal_replay, cal_s, "?cursor=0", &cal_old);
  EXPECT_EQ(std::count_if(bea_old.begin(), bea_old.end(), is_mention), 1);
  EXPECT_EQ(std::count_if(cal_old.begin(), cal_old.end(), is_mention), 0);

  // Bea's unread mentions; Cal mentioned himself: nothing to tell him.
  auto list = srv.get("/api/v1/mentions?unread=true", bea_s.headers());
  ASSERT_EQ(list.status, 200) << list.describe();
  EXPECT_EQ(num(list.json(), "unread_count"), 1);
  auto items = arr(list.json(), "data");
  ASSERT_EQ(items.size(), 1u);
  std::string mention = str(items[0], "id");
  EXPECT_EQ(str(items[0], "text"), "@bea rossi can you check? cc @Cal @nobody");
  EXPECT_EQ(str(items[0], "conversation_id"), conv);
  EXPECT_TRUE(find(items[0], "read_at")->is_null());
  EXPECT_EQ(num(srv.get("/api/v1/mentions", cal_s.headers()).json(), "unread_count"), 0);
  // Only the agent herself reads and marks them.
  EXPECT_EQ(srv.get("/api/v1/mentions", auth).error_code(), "agent_only");
  EXPECT_EQ(srv.get("/api/v1/mentions?unread=maybe", bea_s.headers()).error_field(), "unread");
  EXPECT_EQ(srv.request("POST", "/api/v1/mentions/" + mention + "/read", "", cal_s.headers()).status, 404);
  auto read = srv.request("POST", "/api/v1/mentions/" + mention + "/read", "", bea_s.headers());
  ASSERT_EQ(read.status, 200) << read.describe();
  EXPECT_FALSE(str(read.json(), "read_at").empty());
  EXPECT_TRUE(arr(srv.get("/api/v1/mentions?unread=true", bea_s.headers()).json(), "data").empty());
  EXPECT_EQ(arr(srv.get("/api/v1/mentions?unread=false", bea_s.headers()).json(), "data").size(), 1u);
  auto all = srv.request("POST", "/api/v1/mentions/read", "", bea_s.headers());
  ASSERT_EQ(all.status, 200) << all.describe();
  EXPECT_EQ(num(all.json(), "marked"), 0);
  // Without the CSRF header a cookie session cannot mark.
  EXPECT_EQ(srv.request("POST", "/api/v1/mentions/read", "", {{"Cookie", bea_s.cookie}}).status, 403);
}

}  // namespace
}  // namespace e2e
