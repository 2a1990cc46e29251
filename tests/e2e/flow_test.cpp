// The conversation flow through the real server: a visitor writes in the web chat, an agent sees it
// live on the realtime WebSocket, replies with the session cookie and CSRF token, the visitor sees
// the reply live; internal notes stay internal; a reconnecting agent replays what it missed; and
// the session rules (CSRF, Origin, password change, wrong password).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr const char* kEmail = "ada@shop.example";
constexpr const char* kPassword = "correct horse battery";

struct Session {
  std::string cookie;  // "bottega_session=..."
  std::string csrf;
};

class Flow : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Flow shop");
    agent_id = srv.create_agent(shop.id, kEmail, kPassword, "admin", "Ada");
    srv.start();
    channel = create_webchat_channel(srv, shop.token, "Shop");
    ASSERT_FALSE(channel.empty());
  }

  HttpResponse login_raw(const std::string& email, const std::string& password) {
    return srv.post("/api/v1/auth/login", bj::object{{"email", email}, {"password", password}});
  }

  Session login(const std::string& password = kPassword) {
    auto r = login_raw(kEmail, password);
    if (r.status != 200) throw std::runtime_error("login: " + r.describe());
    std::string set = r.header("Set-Cookie");
    std::string cookie = set.substr(0, set.find(';'));
    if (cookie.rfind("bottega_session=", 0) != 0) throw std::runtime_error("login set no session cookie: " + set);
    return Session{cookie, str(r.json(), "csrf_token")};
  }

  Headers cookie_headers(const Session& s, bool with_csrf = true) {
    Headers h{{"Cookie", s.cookie}};
    if (with_csrf) h.emplace_back("X-CSRF-Token", s.csrf);
    return h;
  }

  // Opens the agents' realtime socket with the cookie and reads up to {"type":"ready"}.
  void open_agent_ws(WsClient& ws, const Session& s, const std::string& query = "",
                     std::vector<bj::value>* replayed = nullptr) {
    ASSERT_TRUE(ws.connect(srv.port(), "/api/v1/realtime" + query,
                           {{"Cookie", s.cookie}, {"Origin", srv.public_url()}}))
        << "status " << ws.handshake_status() << " " << ws.handshake_body();
    auto ready = ws.read_until(is_type("ready"), 5s, replayed);
    ASSERT_TRUE(ready) << "no ready frame: " << ws.end_reason();
    if (replayed) replayed->pop_back();  // the ready frame itself
    last_ready = *ready;
  }

  void open_visitor_ws(WsClient& ws, const Visitor& v) {
    ASSERT_TRUE(ws.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=" + v.token))
        << "status " << ws.handshake_status() << " " << ws.handshake_body();
    ASSERT_TRUE(ws.read_until(is_type("ready"), 5s)) << ws.end_reason();
  }

  HttpResponse reply(const Session& s, const std::string& conversation, const bj::object& body, bool csrf = true) {
    return srv.post("/api/v1/conversations/" + conversation + "/messages", body, cookie_headers(s, csrf));
  }

  BottegaProcess srv;
  Tenant shop;
  std::string agent_id;
  std::string channel;
  bj::value last_ready;
};

TEST_F(Flow, VisitorAndAgentTalkLiveAndNotesStayInternal) {
  Session s = login();
  WsClient agent_ws;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(agent_ws, s));

  Visitor v = create_visitor(srv, channel, "Bea");
  WsClient visitor_ws;
  ASSERT_NO_FATAL_FAILURE(open_visitor_ws(visitor_ws, v));

  const std::string question = "Do you ship to Belgium?";
  auto sent = visitor_send(srv, channel, v.token, question);
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conversation = str(sent.json(), "conversation_id");
  std::string message_id = str(sent.json(), "message_id");
  ASSERT_FALSE(conversation.empty());

  // The agent sees the new conversation, then the message, live.
  std::vector<bj::value> seen;
  auto created = agent_ws.read_until(is_type("conversation.created"), 5s, &seen);
  ASSERT_TRUE(created) << "no conversation.created; saw " << seen.size() << " frames";
  EXPECT_EQ(str(*created, "data.id"), conversation);
  EXPECT_EQ(str(*created, "data.channel_id"), channel);
  EXPECT_GT(num(*created, "seq"), 0);
  auto msg = agent_ws.read_until(is_message_with_text(question), 5s, &seen);
  ASSERT_TRUE(msg) << "agent WS did not receive the visitor's message";
  EXPECT_EQ(str(*msg, "data.id"), message_id);
  EXPECT_EQ(str(*msg, "data.conversation_id"), conversation);
  EXPECT_EQ(str(*msg, "data.direction"), "in");
  EXPECT_EQ(str(*msg, "data.author.kind"), "contact");
  EXPECT_GT(num(*msg, "seq"), num(*created, "seq"));
  // The visitor's own socket shows the message too.
  auto own = visitor_ws.read_until(is_type("message.created"), 5s);
  ASSERT_TRUE(own);
  EXPECT_EQ(str(*own, "data.text"), question);

  // The agent answers with the cookie and the CSRF token: the visitor sees it live.
  const std::string answer = "Yes, to Belgium in 2-3 working days.";
  auto r = reply(s, conversation, {{"text", answer}});
  ASSERT_EQ(r.status, 201) << r.describe();
  EXPECT_EQ(str(r.json(), "direction"), "out");
  EXPECT_EQ(str(r.json(), "author.kind"), "agent");
  EXPECT_EQ(str(r.json(), "author.id"), agent_id);
  auto got = visitor_ws.read_until(is_type("message.created"), 5s);
  ASSERT_TRUE(got) << "visitor WS did not receive the agent's reply: " << visitor_ws.end_reason();
  EXPECT_EQ(str(*got, "data.text"), answer);
  EXPECT_EQ(str(*got, "data.direction"), "out");
  EXPECT_TRUE(agent_ws.read_until(is_message_with_text(answer), 5s));

  // An internal note reaches the agents, not the visitor.
  const std::string note = "VIP customer, offer free shipping";
  auto n = reply(s, conversation, {{"text", note}, {"kind", "note"}});
  ASSERT_EQ(n.status, 201) << n.describe();
  EXPECT_EQ(str(n.json(), "kind"), "note");
  auto note_ev = agent_ws.read_until(is_message_with_text(note), 5s);
  ASSERT_TRUE(note_ev) << "agent WS did not receive the note";
  EXPECT_EQ(str(*note_ev, "data.kind"), "note");
  // A later public reply is the visitor's next message: the note was skipped, not delayed.
  const std::string after = "Anything else I can help with?";
  ASSERT_EQ(reply(s, conversation, {{"text", after}}).status, 201);
  std::vector<bj::value> visitor_frames;
  auto next = visitor_ws.read_until(is_type("message.created"), 5s, &visitor_frames);
  ASSERT_TRUE(next);
  EXPECT_EQ(str(*next, "data.text"), after);
  // Nothing else arrives (and certainly not the note).
  while (auto extra = visitor_ws.read_json(300ms)) visitor_frames.push_back(*extra);
  for (const auto& f : visitor_frames) {
    EXPECT_NE(str(f, "data.text"), note) << dump(f);
    EXPECT_NE(str(f, "data.kind"), "note") << dump(f);
  }

  // The visitor's history: question, answer, follow-up; no note.
  auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}});
  ASSERT_EQ(hist.status, 200) << hist.describe();
  std::vector<std::string> texts;
  for (const auto& m : arr(hist.json(), "data")) texts.push_back(str(m, "text"));
  EXPECT_EQ(texts, (std::vector<std::string>{question, answer, after})) << hist.body;

  // The agents' history has all four, the note included, oldest first.
  auto all = list_all(srv, "/api/v1/conversations/" + conversation + "/messages", bearer(shop.token));
  std::vector<std::string> agent_texts;
  for (const auto& m : all) agent_texts.push_back(str(m, "text"));
  EXPECT_EQ(agent_texts, (std::vector<std::string>{question, answer, note, after}));

  // The conversation records the first response.
  auto conv = srv.get("/api/v1/conversations/" + conversation, cookie_headers(s, false));
  ASSERT_EQ(conv.status, 200) << conv.describe();
  EXPECT_FALSE(find(conv.json(), "first_response_at")->is_null());
  EXPECT_EQ(str(conv.json(), "last_message.text"), after);
}

TEST_F(Flow, ReconnectingAgentReplaysExactlyWhatItMissed) {
  Session s = login();
  WsClient steady;  // stays connected: the reference
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(steady, s));
  WsClient flaky;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(flaky, s));

  Visitor v = create_visitor(srv, channel);
  auto first = visitor_send(srv, channel, v.token, "first, seen live");
  ASSERT_EQ(first.status, 201) << first.describe();
  std::string conversation = str(first.json(), "conversation_id");
  auto live = flaky.read_until(is_message_with_text("first, seen live"), 5s);
  ASSERT_TRUE(live);
  // Drain whatever else belongs to that write (conversation events), keeping the largest seq.
  int64_t cursor = num(*live, "seq");
  while (auto more = flaky.read_json(300ms)) cursor = std::max(cursor, num(*more, "seq"));
  flaky.close();

  // While it is away: visitor messages, an agent reply, a note, a status change.
  ASSERT_EQ(visitor_send(srv, channel, v.token, "missed 1").status, 201);
  ASSERT_EQ(reply(s, conversation, {{"text", "missed reply"}}).status, 201);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "missed 2").status, 201);
  ASSERT_EQ(reply(s, conversation, {{"text", "missed note"}, {"kind", "note"}}).status, 201);
  auto p = srv.patch("/api/v1/conversations/" + conversation, bj::object{{"priority", 7}}, cookie_headers(s));
  ASSERT_EQ(p.status, 200) << p.describe();
  ASSERT_EQ(visitor_send(srv, channel, v.token, "missed 3").status, 201);

  // The reference socket saw everything; collect what came after the cursor.
  std::vector<bj::value> reference;
  ASSERT_TRUE(steady.read_until(is_message_with_text("missed 3"), 5s, &reference));
  while (auto more = steady.read_json(300ms)) reference.push_back(*more);
  std::vector<bj::value> expected;
  for (const auto& e : reference)
    if (num(e, "seq") > cursor) expected.push_back(e);

  WsClient back;
  std::vector<bj::value> replayed;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(back, s, "?cursor=" + std::to_string(cursor), &replayed));
  ASSERT_EQ(replayed.size(), expected.size()) << "replayed " << replayed.size() << " events, expected "
                                              << expected.size();
  for (size_t i = 0; i < replayed.size(); ++i) {
    EXPECT_EQ(num(replayed[i], "seq"), num(expected[i], "seq")) << i;
    EXPECT_EQ(str(replayed[i], "type"), str(expected[i], "type")) << i;
    EXPECT_EQ(str(replayed[i], "id"), str(expected[i], "id")) << i;
    EXPECT_EQ(dump(*find(replayed[i], "data")), dump(*find(expected[i], "data"))) << i;
    if (i > 0) {
      EXPECT_GT(num(replayed[i], "seq"), num(replayed[i - 1], "seq"));
    }
  }
  std::vector<std::string> texts;
  for (const auto& e : replayed)
    if (str(e, "type") == "message.created") texts.push_back(str(e, "data.text"));
  EXPECT_EQ(texts, (std::vector<std::string>{"missed 1", "missed reply", "missed 2", "missed note", "missed 3"}));
  bool saw_priority = false;
  for (const auto& e : replayed)
    saw_priority = saw_priority || (str(e, "type") == "conversation.updated" && num(e, "data.priority") == 7);
  EXPECT_TRUE(saw_priority);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(num(last_ready, "cursor"), num(expected.back(), "seq")) << dump(last_ready);

  // After ready it streams live, without repeating anything.
  ASSERT_EQ(visitor_send(srv, channel, v.token, "live again").status, 201);
  std::vector<bj::value> after;
  ASSERT_TRUE(back.read_until(is_message_with_text("live again"), 5s, &after));
  for (const auto& e : after) EXPECT_GT(num(e, "seq"), num(last_ready, "cursor")) << dump(e);

  // A cursor at the newest position replays nothing.
  WsClient current;
  std::vector<bj::value> none;
  int64_t newest = num(after.back(), "seq");
  while (auto more = back.read_json(300ms)) newest = std::max(newest, num(*more, "seq"));
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(current, s, "?cursor=" + std::to_string(newest), &none));
  EXPECT_TRUE(none.empty()) << dump(none.front());
  EXPECT_EQ(num(last_ready, "cursor"), newest);
}

TEST_F(Flow, VisitorReplaysOnlyItsOwnPublicMessages) {
  Visitor v = create_visitor(srv, channel, "Vera");
  Visitor other = create_visitor(srv, channel, "Otto");
  auto first = visitor_send(srv, channel, v.token, "mine 1");
  ASSERT_EQ(first.status, 201);
  std::string conversation = str(first.json(), "conversation_id");
  ASSERT_EQ(visitor_send(srv, channel, other.token, "not yours").status, 201);
  auto h = bearer(shop.token);
  ASSERT_EQ(srv.post("/api/v1/conversations/" + conversation + "/messages", bj::object{{"text", "reply to Vera"}}, h)
                .status, 201);
  ASSERT_EQ(srv.post("/api/v1/conversations/" + conversation + "/messages",
                     bj::object{{"text", "note about Vera"}, {"kind", "note"}}, h).status, 201);
  ASSERT_EQ(srv.patch("/api/v1/conversations/" + conversation, bj::object{{"tags", bj::array{"vip"}}}, h).status, 200);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "mine 2").status, 201);

  WsClient ws;
  ASSERT_TRUE(ws.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=" + v.token + "&cursor=0"));
  std::vector<bj::value> frames;
  auto ready = ws.read_until(is_type("ready"), 5s, &frames);
  ASSERT_TRUE(ready) << ws.end_reason();
  frames.pop_back();
  std::vector<std::string> texts;
  int64_t prev = 0, first_seq = 0;
  for (const auto& f : frames) {
    EXPECT_EQ(str(f, "type"), "message.created") << dump(f);
    EXPECT_EQ(str(f, "data.conversation_id"), conversation) << dump(f);
    EXPECT_GT(num(f, "seq"), prev);
    prev = num(f, "seq");
    if (!first_seq) first_seq = prev;
    texts.push_back(str(f, "data.text"));
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"mine 1", "reply to Vera", "mine 2"}));
  EXPECT_GE(num(*ready, "cursor"), prev);
  ws.close();

  // From the first message's seq: the rest only.
  WsClient again;
  ASSERT_TRUE(again.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=" + v.token +
                                            "&cursor=" + std::to_string(first_seq)));
  std::vector<bj::value> rest;
  ASSERT_TRUE(again.read_until(is_type("ready"), 5s, &rest));
  rest.pop_back();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(str(rest[0], "data.text"), "reply to Vera");
  EXPECT_EQ(str(rest[1], "data.text"), "mine 2");

  // Live: the other visitor's traffic never shows up on this socket.
  ASSERT_EQ(visitor_send(srv, channel, other.token, "still not yours").status, 201);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "mine 3").status, 201);
  std::vector<bj::value> live;
  ASSERT_TRUE(again.read_until(is_message_with_text("mine 3"), 5s, &live));
  for (const auto& f : live) EXPECT_EQ(str(f, "data.conversation_id"), conversation) << dump(f);

  // A wrong or missing visitor token is refused.
  WsClient bad;
  EXPECT_FALSE(bad.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=vt_nope"));
  EXPECT_EQ(bad.handshake_status(), 401);
  WsClient none;
  EXPECT_FALSE(none.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime"));
  EXPECT_EQ(none.handshake_status(), 401);
}

TEST_F(Flow, CookieWritesNeedTheCsrfToken) {
  Session s = login();
  Visitor v = create_visitor(srv, channel);
  auto sent = visitor_send(srv, channel, v.token, "Hello?");
  ASSERT_EQ(sent.status, 201);
  std::string conversation = str(sent.json(), "conversation_id");

  auto missing = reply(s, conversation, {{"text", "no csrf"}}, false);
  EXPECT_EQ(missing.status, 403) << missing.describe();
  EXPECT_EQ(missing.error_code(), "csrf_failed") << missing.body;
  auto wrong = srv.post("/api/v1/conversations/" + conversation + "/messages", bj::object{{"text", "bad csrf"}},
                        {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf + "x"}});
  EXPECT_EQ(wrong.status, 403) << wrong.describe();
  EXPECT_EQ(wrong.error_code(), "csrf_failed");
  auto patch = srv.patch("/api/v1/conversations/" + conversation, bj::object{{"priority", 5}}, cookie_headers(s, false));
  EXPECT_EQ(patch.status, 403) << patch.describe();
  // Reads need no CSRF token; nothing was written.
  auto msgs = srv.get("/api/v1/conversations/" + conversation + "/messages", cookie_headers(s, false));
  ASSERT_EQ(msgs.status, 200) << msgs.describe();
  EXPECT_EQ(arr(msgs.json(), "data").size(), 1u) << msgs.body;
  EXPECT_EQ(num(srv.get("/api/v1/conversations/" + conversation, bearer(shop.token)).json(), "priority"), 0);
  // With the token it works; an API token needs no CSRF token.
  EXPECT_EQ(reply(s, conversation, {{"text", "with csrf"}}).status, 201);
  EXPECT_EQ(srv.post("/api/v1/conversations/" + conversation + "/messages", bj::object{{"text", "bearer"}},
                     bearer(shop.token)).status, 201);
  // The session endpoint returns the same CSRF token.
  auto sess = srv.get("/api/v1/auth/session", cookie_headers(s, false));
  ASSERT_EQ(sess.status, 200) << sess.describe();
  EXPECT_EQ(str(sess.json(), "csrf_token"), s.csrf);
  EXPECT_EQ(str(sess.json(), "agent.email"), kEmail);
  EXPECT_EQ(str(sess.json(), "agent.id"), agent_id);
}

TEST_F(Flow, RealtimeRefusesAForeignOrigin) {
  Session s = login();
  WsClient evil;
  EXPECT_FALSE(evil.connect(srv.port(), "/api/v1/realtime", {{"Cookie", s.cookie}, {"Origin", "http://evil.example"}}));
  EXPECT_EQ(evil.handshake_status(), 403);
  WsClient no_origin;
  EXPECT_FALSE(no_origin.connect(srv.port(), "/api/v1/realtime", {{"Cookie", s.cookie}}));
  EXPECT_EQ(no_origin.handshake_status(), 403);
  WsClient no_cookie;
  EXPECT_FALSE(no_cookie.connect(srv.port(), "/api/v1/realtime", {{"Origin", srv.public_url()}}));
  EXPECT_EQ(no_cookie.handshake_status(), 401);
  WsClient bad_token;
  EXPECT_FALSE(bad_token.connect(srv.port(), "/api/v1/realtime", bearer("bt_not_a_token")));
  EXPECT_EQ(bad_token.handshake_status(), 401);
  // The right Origin works, and so does a Bearer token (no Origin needed).
  WsClient good;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(good, s));
  WsClient server_side;
  ASSERT_TRUE(server_side.connect(srv.port(), "/api/v1/realtime", bearer(shop.token)));
  EXPECT_TRUE(server_side.read_until(is_type("ready"), 5s));
}

TEST_F(Flow, PasswordChangeRevokesEverySession) {
  Session a = login();
  Session b = login();
  EXPECT_NE(a.cookie, b.cookie) << "a new session id at every login";
  ASSERT_EQ(srv.get("/api/v1/auth/session", cookie_headers(b, false)).status, 200);

  // Wrong current password: refused, sessions intact.
  auto bad = srv.post("/api/v1/auth/password",
                      bj::object{{"current_password", "not my password"}, {"new_password", "a brand new secret"}},
                      cookie_headers(a));
  EXPECT_EQ(bad.status, 403) << bad.describe();
  ASSERT_EQ(srv.get("/api/v1/auth/session", cookie_headers(a, false)).status, 200);

  const std::string next = "a brand new secret";
  auto ch = srv.post("/api/v1/auth/password", bj::object{{"current_password", kPassword}, {"new_password", next}},
                     cookie_headers(a));
  ASSERT_EQ(ch.status, 204) << ch.describe();
  for (const Session* s : {&a, &b}) {
    auto old = srv.get("/api/v1/auth/session", cookie_headers(*s, false));
    EXPECT_EQ(old.status, 401) << old.describe();
    EXPECT_EQ(old.error_code(), "unauthenticated");
    EXPECT_EQ(srv.get("/api/v1/conversations", cookie_headers(*s, false)).status, 401);
  }
  WsClient ws;
  EXPECT_FALSE(ws.connect(srv.port(), "/api/v1/realtime", {{"Cookie", a.cookie}, {"Origin", srv.public_url()}}));
  EXPECT_EQ(ws.handshake_status(), 401);

  auto old_pw = login_raw(kEmail, kPassword);
  EXPECT_EQ(old_pw.status, 401);
  EXPECT_EQ(old_pw.error_code(), "invalid_credentials");
  Session fresh = login(next);
  EXPECT_EQ(srv.get("/api/v1/auth/session", cookie_headers(fresh, false)).status, 200);
}

// A revoked session must stop receiving the shop's conversations: its realtime socket is closed
// (or at least gets nothing more) once the password changed or the agent logged out.
TEST_F(Flow, RevokedSessionsStopReceivingRealtimeEvents) {
  Session s = login();
  WsClient ws;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(ws, s));
  Session other = login();
  WsClient logged_out;
  ASSERT_NO_FATAL_FAILURE(open_agent_ws(logged_out, other));
  Visitor v = create_visitor(srv, channel);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "before the revocation").status, 201);
  ASSERT_TRUE(ws.read_until(is_message_with_text("before the revocation"), 5s));
  ASSERT_TRUE(logged_out.read_until(is_message_with_text("before the revocation"), 5s));

  ASSERT_EQ(srv.post("/api/v1/auth/logout", bj::object{}, cookie_headers(other)).status, 204);
  ASSERT_EQ(srv.post("/api/v1/auth/password",
                     bj::object{{"current_password", kPassword}, {"new_password", "another long secret"}},
                     cookie_headers(s)).status,
            204);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "after the revocation").status, 201);
  auto leaked = ws.read_until(is_message_with_text("after the revocation"), 3s);
  EXPECT_FALSE(leaked) << "a socket of a session revoked by the password change still streams customer messages";
  auto leaked2 = logged_out.read_until(is_message_with_text("after the revocation"), 1s);
  EXPECT_FALSE(leaked2) << "a socket of a logged-out session still streams customer messages";
}

TEST_F(Flow, WrongPasswordIsInvalidCredentials) {
  auto r = login_raw(kEmail, "wrong password!");
  EXPECT_EQ(r.status, 401) << r.describe();
  EXPECT_EQ(r.error_code(), "invalid_credentials");
  EXPECT_FALSE(r.has_header("Set-Cookie"));
  auto unknown = login_raw("nobody@shop.example", kPassword);
  EXPECT_EQ(unknown.status, 401) << unknown.describe();
  EXPECT_EQ(unknown.error_code(), "invalid_credentials");
  EXPECT_EQ(unknown.json().as_object().at("error").as_object().at("message"),
            r.json().as_object().at("error").as_object().at("message"))
      << "the answer must not reveal which emails exist";
  auto missing = srv.post("/api/v1/auth/login", bj::object{{"email", kEmail}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error_code(), "missing_field");
  EXPECT_EQ(missing.error_field(), "password");
}

TEST_F(Flow, LogoutEndsTheSession) {
  Session s = login();
  auto out = srv.post("/api/v1/auth/logout", bj::object{}, cookie_headers(s));
  ASSERT_EQ(out.status, 204) << out.describe();
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos) << out.header("Set-Cookie");
  EXPECT_EQ(srv.get("/api/v1/auth/session", cookie_headers(s, false)).status, 401);
}

}  // namespace
}  // namespace e2e
