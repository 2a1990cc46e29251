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
    // (The shop's one set of business hours, in its IANA zone: the bot's expected wait reads them.)
    auto h = srv.patch("/api/v1/service/settings",
                       parse_json(R"({"business_hours":{"time_zone":"Europe/Rome","days":{"mon":["00:00","24:00"],"tue":["00:00","24:00"],"wed":["00:00","24:00"],"thu":["00:00","24:00"],"fri":["00:00","24:00"],"sat":["00:00","24:00"],"sun":["00:00","24:00"]}}})"),
                       bearer(shop.token));
    ASSERT_EQ(h.status, 200) << h.describe();
    auto s = srv.patch("/api/v1/bot/settings", parse_json(R"({"handle_minutes":7})"), bearer(shop.token));
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

// The shop's intents through the binary: a product question answered from the catalog (price in
// the customer's locale, stock told honestly) with the product card, a discount code checked
// against the visitor's cart with the exact reason, and a cart above the shop's threshold handed
// to a person with the cart in the summary.
TEST_F(Bot, AnswersFromTheCatalogChecksCodesAndHandsOverBigCarts) {
  ASSERT_EQ(srv.post("/api/v1/kb/import", parse_json(kKb), bearer(shop.token)).status, 200);
  auto prod = srv.post("/api/v1/products", parse_json(R"({"handle":"chelsea-boot","title":{"en":"Chelsea boot","it":"Stivaletto Chelsea"},
      "description":{"en":"Suede, elastic sides"},"variants":[{"sku":"BOOT-40","title":"EU 40","prices":{"EUR":18900},"stock":2},
      {"sku":"BOOT-42","title":"EU 42","prices":{"EUR":18900},"stock":0}]})"), bearer(shop.token));
  ASSERT_EQ(prod.status, 201) << prod.describe();
  ASSERT_EQ(srv.post("/api/v1/discounts", parse_json(R"({"code":"WELCOME10","kind":"percentage","percent":"10","currency":"EUR","minimum_subtotal":50000})"),
                     bearer(shop.token)).status, 201);
  ASSERT_EQ(srv.patch("/api/v1/bot/settings", parse_json(R"({"cart_handoff_over":{"EUR":50000}})"), bearer(shop.token)).status, 200);
  auto bad = srv.patch("/api/v1/bot/settings", parse_json(R"({"auto_refund_up_to":{"EUR":-1}})"), bearer(shop.token));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(str(bad.json(), "error.field"), "auto_refund_up_to.EUR");
  // The bot has no hours of its own any more: the shop's are in the service settings.
  bad = srv.patch("/api/v1/bot/settings", parse_json(R"({"business_hours":{"utc_offset_minutes":60}})"), bearer(shop.token));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(str(bad.json(), "error.field"), "business_hours");
  EXPECT_EQ(str(bad.json(), "error.code"), "moved");

  // 1. Italian price question: the catalog's facts, formatted for Italy, then the card.
  auto dora = create_visitor(srv, channel, "Dora");
  auto sent = visitor_send(srv, channel, dora.token, "Quanto costa lo stivaletto Chelsea nella taglia 42?");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conv = str(sent.json(), "conversation_id");
  std::optional<bj::value> card;
  eventually([&] {
    auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", dora.token}});
    for (const auto& m : arr(hist.json(), "data"))
      if (str(m, "author.kind") == "bot" && str(m, "kind") == "product") card = m;
    return card.has_value();
  }, 10s);
  ASSERT_TRUE(card.has_value()) << srv.server_output();
  auto hist = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", dora.token}});
  std::string answer;
  for (const auto& m : arr(hist.json(), "data"))
    if (str(m, "author.kind") == "bot" && str(m, "kind") == "choices") answer = str(m, "text");
  EXPECT_NE(answer.find("Stivaletto Chelsea: 189,00 €."), std::string::npos) << answer;
  EXPECT_NE(answer.find("Taglia EU 42: Esaurito."), std::string::npos) << answer;
  auto turns = srv.get("/api/v1/conversations/" + conv + "/bot_turns", bearer(shop.token));
  EXPECT_EQ(str(arr(turns.json(), "data")[0], "entry_id"), "product:chelsea-boot");

  // 2. A code below its minimum, with the visitor's cart (one boot, 189 EUR).
  auto cart = srv.post("/api/v1/carts", parse_json(R"({"conversation_id":")" + conv + R"(","items":[{"sku":"BOOT-40","quantity":1}]})"),
                       bearer(shop.token));
  ASSERT_EQ(cart.status, 201) << cart.describe();
  ASSERT_EQ(visitor_send(srv, channel, dora.token, "Il codice WELCOME10 non funziona").status, 201);
  auto reply = bot_reply(dora, 2);
  ASSERT_TRUE(reply.has_value()) << srv.server_output();
  EXPECT_NE(str(*reply, "text").find("almeno 500,00 €; il tuo carrello è a 189,00 €"), std::string::npos) << dump(*reply);

  // 3. Two more boots: the cart passes the 500 EUR threshold and a person takes over.
  ASSERT_EQ(srv.post("/api/v1/carts/" + str(cart.json(), "id") + "/items", parse_json(R"({"sku":"BOOT-40","quantity":1})"),
                     bearer(shop.token)).status, 200);
  ASSERT_EQ(srv.post("/api/v1/products", parse_json(R"({"handle":"bag","title":{"en":"Leather bag"},"variants":[{"sku":"BAG-1","prices":{"EUR":20000},"stock":5}]})"),
                     bearer(shop.token)).status, 201);
  ASSERT_EQ(srv.post("/api/v1/carts/" + str(cart.json(), "id") + "/items", parse_json(R"({"sku":"BAG-1","quantity":1})"),
                     bearer(shop.token)).status, 200);
  ASSERT_EQ(visitor_send(srv, channel, dora.token, "Spedite in Belgio?").status, 201);
  reply = bot_reply(dora, 3);
  ASSERT_TRUE(reply.has_value()) << srv.server_output();
  turns = srv.get("/api/v1/conversations/" + conv + "/bot_turns", bearer(shop.token));
  auto last = arr(turns.json(), "data").back();
  EXPECT_EQ(str(last, "outcome"), "handed_over");
  EXPECT_EQ(str(last, "reason"), "cart_value");
  auto msgs = srv.get("/api/v1/conversations/" + conv + "/messages", bearer(shop.token));
  std::string note;
  for (const auto& m : arr(msgs.json(), "data"))
    if (str(m, "kind") == "note") note = str(m, "text");
  EXPECT_NE(note.find("Cart: 2 x Chelsea boot - EU 40, 1 x Leather bag; total €578.00."), std::string::npos) << note;
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

// One entry deleted (admins only, this shop's only): gone from the list, and the bot stops
// answering with it at the next message.
TEST_F(Bot, DeletingAnEntryStopsTheBotUsingIt) {
  ASSERT_EQ(srv.post("/api/v1/kb/import", parse_json(kKb), bearer(shop.token)).status, 200);
  auto ask = [&] {
    return srv.post("/api/v1/kb/search", bj::object{{"text", "Do you ship to Belgium?"}}, bearer(shop.token)).json();
  };
  EXPECT_EQ(str(ask(), "entry_id"), "ship-be-en");

  // An agent who is not an admin, another shop, an unknown id: refused, nothing deleted.
  srv.create_agent(shop.id, "plain@shop.test", "plain agent password", "agent");
  auto login = srv.post("/api/v1/auth/login", bj::object{{"email", "plain@shop.test"}, {"password", "plain agent password"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string cookie = login.header("Set-Cookie");
  Headers agent{{"Cookie", cookie.substr(0, cookie.find(';'))}, {"X-CSRF-Token", str(login.json(), "csrf_token")}};
  EXPECT_EQ(srv.request("DELETE", "/api/v1/kb/entries/ship-be-en", "", agent).status, 403);
  auto other = srv.create_tenant("Other shop");
  EXPECT_EQ(srv.request("DELETE", "/api/v1/kb/entries/ship-be-en", "", bearer(other.token)).status, 404);
  auto unknown = srv.request("DELETE", "/api/v1/kb/entries/no-such-entry", "", bearer(shop.token));
  EXPECT_EQ(unknown.status, 404) << unknown.describe();
  EXPECT_EQ(arr(srv.get("/api/v1/kb/entries", bearer(shop.token)).json(), "data").size(), 3u);

  auto del = srv.request("DELETE", "/api/v1/kb/entries/ship-be-en", "", bearer(shop.token));
  ASSERT_EQ(del.status, 200) << del.describe();
  EXPECT_EQ(str(del.json(), "id"), "ship-be-en");
  EXPECT_EQ(num(del.json(), "total"), 2);
  std::vector<std::string> ids;
  for (const auto& e : arr(srv.get("/api/v1/kb/entries", bearer(shop.token)).json(), "data")) ids.push_back(str(e, "id"));
  EXPECT_EQ(ids, (std::vector<std::string>{"ship-be-nl", "sizes-nl"}));
  EXPECT_NE(str(ask(), "entry_id"), "ship-be-en");
  EXPECT_EQ(srv.request("DELETE", "/api/v1/kb/entries/ship-be-en", "", bearer(shop.token)).status, 404);
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
