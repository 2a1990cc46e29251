// The FAQ bot on the real binary: a knowledge base imported over the API (and the CLI), a web chat
// visitor answered in Dutch, an unknown question answered honestly with the expected wait, and a
// pre-sale customer handed to a person with a summary note and the presale tag.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

namespace e2e {
namespace {

const char* kKb = R"({"entries":[
  {"id":"ship-be-nl","language":"nl","questions":["Verzenden jullie naar België?","Naar welke landen verzenden jullie?"],"answer":"Ja, we verzenden naar België in 2-3 werkdagen.","tags":["shipping"]},
  {"id":"ship-be-en","language":"en","questions":["Do you ship to Belgium?","Which countries do you ship to?"],"answer":"Yes, to Belgium in 2-3 working days.","tags":["shipping"]},
  {"id":"sizes-nl","language":"nl","questions":["Vallen de sneakers normaal qua maat?","Welke maat moet ik bestellen?"],"answer":"Onze sneakers vallen normaal.","tags":["presale"]}
]})";

class Bot : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Bot shop");
    srv.start();
    channel = create_webchat_channel(srv, shop.token);
    // Open around the clock, so the expected wait is in minutes whatever time the test runs.
    auto s = srv.patch("/api/v1/bot/settings",
                       parse_json(R"({"handle_minutes":7,"business_hours":{"utc_offset_minutes":0,"days":{"mon":["00:00","24:00"],"tue":["00:00","24:00"],"wed":["00:00","24:00"],"thu":["00:00","24:00"],"fri":["00:00","24:00"],"sat":["00:00","24:00"],"sun":["00:00","24:00"]}}})"),
                       bearer(shop.token));
    ASSERT_EQ(s.status, 200) << s.describe();
  }

  // Waits for the bot's reply in the visitor's history (the newest message written by the bot).
  std::optional<bj::value> bot_reply(const Visitor& v, size_t bot_messages_before, std::chrono::milliseconds t = 10s) {
    std::optional<bj::value> found;
    eventually([&] {
      auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", v.token}});
      if (hist.status != 200) return false;
      size_t n = 0;
      for (const auto& m : arr(hist.json(), "data"))
        if (str(m, "author.kind") == "bot" && ++n > bot_messages_before) found = m;
      return found.has_value();
    }, t);
    return found;
  }

  BottegaProcess srv;
  Tenant shop;
  std::string channel;
};

TEST_F(Bot, AnswersHonestlyAndHandsOverWithASummary) {
  auto imp = srv.post("/api/v1/kb/import", parse_json(kKb), bearer(shop.token));
  ASSERT_EQ(imp.status, 200) << imp.describe();
  EXPECT_EQ(num(imp.json(), "created"), 3);
  auto entries = srv.get("/api/v1/kb/entries", bearer(shop.token));
  ASSERT_EQ(entries.status, 200);
  ASSERT_EQ(arr(entries.json(), "data").size(), 3u);
  EXPECT_EQ(str(arr(entries.json(), "data")[0], "id"), "ship-be-en");

  // 1. A Dutch question gets the right answer.
  auto ann = create_visitor(srv, channel, "Ann");
  auto sent = visitor_send(srv, channel, ann.token, "Hallo, verzenden jullie ook naar België?");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv1 = str(sent.json(), "conversation_id");
  auto reply = bot_reply(ann, 0);
  ASSERT_TRUE(reply.has_value()) << srv.server_output();
  EXPECT_NE(str(*reply, "text").find("we verzenden naar België"), std::string::npos) << dump(*reply);
  auto turns = srv.get("/api/v1/conversations/" + conv1 + "/bot_turns", bearer(shop.token));
  ASSERT_EQ(turns.status, 200);
  ASSERT_EQ(arr(turns.json(), "data").size(), 1u);
  auto t0 = arr(turns.json(), "data")[0];
  EXPECT_EQ(str(t0, "outcome"), "answered");
  EXPECT_EQ(str(t0, "entry_id"), "ship-be-nl");
  EXPECT_EQ(str(t0, "language"), "nl");
  // "Ja" to "did this help?" is logged as helpful
  ASSERT_EQ(visitor_send(srv, channel, ann.token, "Ja").status, 201);
  ASSERT_TRUE(bot_reply(ann, 1).has_value());
  turns = srv.get("/api/v1/conversations/" + conv1 + "/bot_turns", bearer(shop.token));
  ASSERT_EQ(arr(turns.json(), "data").size(), 2u);
  EXPECT_EQ(str(arr(turns.json(), "data")[1], "outcome"), "helpful");

  // 2. Something the bot does not know: it says so and gives the expected wait, and hands over.
  auto bob = create_visitor(srv, channel, "Bob");
  sent = visitor_send(srv, channel, bob.token, "Kan ik mijn hond meenemen naar jullie magazijn?");
  ASSERT_EQ(sent.status, 201);
  reply = bot_reply(bob, 0);
  ASSERT_TRUE(reply.has_value()) << srv.server_output();
  std::string text = str(*reply, "text");
  EXPECT_NE(text.find("weet ik niet"), std::string::npos) << text;
  EXPECT_NE(text.find("minuten"), std::string::npos) << text;
  auto conv2 = srv.get("/api/v1/conversations/" + str(sent.json(), "conversation_id") + "/bot_turns", bearer(shop.token));
  EXPECT_EQ(str(arr(conv2.json(), "data")[0], "outcome"), "handed_over");
  EXPECT_EQ(str(arr(conv2.json(), "data")[0], "reason"), "low_confidence");

  // 3. A pre-sale question, then a request for a person: handover with a summary note and tags.
  auto cleo = create_visitor(srv, channel, "Cleo");
  sent = visitor_send(srv, channel, cleo.token, "Welke maat moet ik bestellen voor de sneakers?");
  ASSERT_EQ(sent.status, 201);
  std::string conv3 = str(sent.json(), "conversation_id");
  ASSERT_TRUE(bot_reply(cleo, 0).has_value());
  ASSERT_EQ(visitor_send(srv, channel, cleo.token, "Ik wil graag met een medewerker spreken").status, 201);
  reply = bot_reply(cleo, 1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_NE(str(*reply, "text").find("medewerker"), std::string::npos);
  auto conv = srv.get("/api/v1/conversations/" + conv3, bearer(shop.token));
  ASSERT_EQ(conv.status, 200);
  std::vector<std::string> tags;
  for (const auto& t : arr(conv.json(), "tags")) tags.emplace_back(t.as_string());
  EXPECT_NE(std::find(tags.begin(), tags.end(), "presale"), tags.end()) << dump(conv.json());
  EXPECT_NE(std::find(tags.begin(), tags.end(), "bot-handover"), tags.end());
  auto msgs = srv.get("/api/v1/conversations/" + conv3 + "/messages", bearer(shop.token));
  bool note = false;
  for (const auto& m : arr(msgs.json(), "data"))
    if (str(m, "kind") == "note") {
      note = true;
      std::string n = str(m, "text");
      EXPECT_NE(n.find("Intent: presale"), std::string::npos) << n;
      EXPECT_NE(n.find("sizes-nl"), std::string::npos) << n;
    }
  EXPECT_TRUE(note) << dump(msgs.json());
  // the visitor never sees the internal note
  auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", cleo.token}});
  for (const auto& m : arr(hist.json(), "data")) EXPECT_NE(str(m, "kind"), "note");

  // Export in Markdown holds every entry.
  auto md = srv.get("/api/v1/kb/export?format=markdown", bearer(shop.token));
  ASSERT_EQ(md.status, 200);
  EXPECT_NE(md.body.find("## sizes-nl"), std::string::npos);
}

TEST_F(Bot, ChannelSwitchTurnsTheBotOffAndBadImportsChangeNothing) {
  auto bad = srv.post("/api/v1/kb/import", parse_json(R"({"entries":[{"id":"x","language":"fr","questions":["q"],"answer":"a"}]})"),
                      bearer(shop.token));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "entries[0].language");
  EXPECT_EQ(arr(srv.get("/api/v1/kb/entries", bearer(shop.token)).json(), "data").size(), 0u);
  ASSERT_EQ(srv.post("/api/v1/kb/import", parse_json(kKb), bearer(shop.token)).status, 200);
  auto off = srv.request("PUT", "/api/v1/channels/" + channel + "/bot", R"({"enabled":false})", bearer(shop.token));
  ASSERT_EQ(off.status, 200) << off.describe();
  auto v = create_visitor(srv, channel);
  ASSERT_EQ(visitor_send(srv, channel, v.token, "Do you ship to Belgium?").status, 201);
  EXPECT_FALSE(bot_reply(v, 0, 1500ms).has_value());
  // another tenant cannot switch this channel
  auto other = srv.create_tenant("Other");
  EXPECT_EQ(srv.request("PUT", "/api/v1/channels/" + channel + "/bot", R"({"enabled":true})", bearer(other.token)).status, 404);
}

TEST(BotCli, ImportAndExportTheKnowledgeBase) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Cli shop");
  std::string md = srv.dir() + "/kb.md";
  {
    std::ofstream f(md);
    f << "# FAQ\n\n## returns\n- language: en\n- tags: returns\n- question: How do I return an item?\n\n30 days, free.\n";
  }
  auto imp = srv.run_cli({"kb", "import", "--config", srv.config_path(), "--tenant", shop.id, md});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("\"created\":1"), std::string::npos) << imp.out;
  auto exp = srv.run_cli({"kb", "export", "--config", srv.config_path(), "--tenant", shop.id});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  auto doc = parse_json(exp.out);
  ASSERT_EQ(arr(doc, "entries").size(), 1u);
  EXPECT_EQ(str(arr(doc, "entries")[0], "answer"), "30 days, free.");
  auto md_out = srv.run_cli({"kb", "export", "--config", srv.config_path(), "--tenant", shop.id, "--format", "markdown"});
  EXPECT_NE(md_out.out.find("- question: How do I return an item?"), std::string::npos);
  auto bad = srv.run_cli({"kb", "import", "--config", srv.config_path(), "--tenant", "ten_nope", md});
  EXPECT_NE(bad.exit_code, 0);
}

}  // namespace
}  // namespace e2e
