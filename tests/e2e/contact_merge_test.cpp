// Contacts across channels: a customer who writes on WhatsApp and on Telegram is two contacts
// (one per channel identity) until an agent merges them. After the merge the kept contact has both
// identities and both conversations with their history, the other id answers 404 contact_merged,
// another shop cannot see or merge either, and a reply on each conversation still goes out through
// its own channel's provider API (local fakes of the Graph API and the Bot API record the calls).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/serialize.hpp>
#include <ctime>
#include <set>

#include "harness.hpp"

namespace e2e {
namespace {

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

std::string twilio_signature(const std::string& token, const std::string& url,
                             const std::vector<std::pair<std::string, std::string>>& sorted_params) {
  std::string data = url;
  for (const auto& [k, v] : sorted_params) data += k + v;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), token.data(), static_cast<int>(token.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  std::string b64(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len));
  b64.resize(static_cast<size_t>(n));
  return b64;
}

struct Shop {
  std::string wa_channel, tg_channel;
};

constexpr const char* kAppSecret = "wa-app-secret";
constexpr const char* kTgSecret = "tg-secret-token";
constexpr const char* kWaId = "31612345678";
constexpr int64_t kTgChat = 4242;

Shop connect_channels(BottegaProcess& srv, const std::string& token, const WebhookReceiver& graph,
                      const WebhookReceiver& bot_api) {
  Shop s;
  auto wa = srv.post("/api/v1/channels",
                     bj::object{{"type", "whatsapp"},
                                {"name", "WhatsApp"},
                                {"settings", bj::object{{"phone_number_id", "1000001"},
                                                        {"access_token", "wa-token"},
                                                        {"app_secret", kAppSecret},
                                                        {"verify_token", "verify"},
                                                        {"api_base_url", graph.url("/v21.0")}}}},
                     bearer(token));
  if (wa.status != 201) throw std::runtime_error("whatsapp channel: " + wa.describe());
  s.wa_channel = str(wa.json(), "id");
  auto tg = srv.post("/api/v1/channels",
                     bj::object{{"type", "telegram"},
                                {"name", "Telegram"},
                                {"settings", bj::object{{"bot_token", "123456:ABCdef"},
                                                        {"secret_token", kTgSecret},
                                                        {"api_base_url", bot_api.url("")}}}},
                     bearer(token));
  if (tg.status != 201) throw std::runtime_error("telegram channel: " + tg.describe());
  s.tg_channel = str(tg.json(), "id");
  return s;
}

HttpResponse whatsapp_message(BottegaProcess& srv, const std::string& channel, const std::string& text) {
  std::string ts = std::to_string(std::time(nullptr));
  bj::object msg{{"from", kWaId}, {"id", "wamid." + random_hex()}, {"timestamp", ts}, {"type", "text"},
                 {"text", bj::object{{"body", text}}}};
  bj::object value{{"messaging_product", "whatsapp"},
                   {"metadata", bj::object{{"display_phone_number", "31200000000"}, {"phone_number_id", "1000001"}}},
                   {"contacts", bj::array{bj::object{{"profile", bj::object{{"name", "Ann"}}}, {"wa_id", kWaId}}}},
                   {"messages", bj::array{msg}}};
  bj::object body{{"object", "whatsapp_business_account"},
                  {"entry", bj::array{bj::object{{"id", "waba"},
                                                 {"changes", bj::array{bj::object{{"field", "messages"},
                                                                                  {"value", value}}}}}}}};
  std::string raw = bj::serialize(body);
  return srv.request("POST", "/webhooks/" + channel, raw,
                     {{"Content-Type", "application/json"},
                      {"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex(kAppSecret, raw)}});
}

HttpResponse telegram_message(BottegaProcess& srv, const std::string& channel, int64_t update_id,
                              const std::string& text) {
  bj::object from{{"id", kTgChat}, {"is_bot", false}, {"first_name", ""}};
  bj::object body{{"update_id", update_id},
                  {"message", bj::object{{"message_id", update_id},
                                         {"from", from},
                                         {"chat", bj::object{{"id", kTgChat}, {"type", "private"}}},
                                         {"date", static_cast<int64_t>(std::time(nullptr))},
                                         {"text", text}}}};
  return srv.request("POST", "/webhooks/" + channel, bj::serialize(body),
                     {{"Content-Type", "application/json"}, {"X-Telegram-Bot-Api-Secret-Token", kTgSecret}});
}

// The conversation of the shop on that channel (there is one per channel in these tests).
bj::value conversation_on(BottegaProcess& srv, const std::string& token, const std::string& channel) {
  for (const auto& c : list_all(srv, "/api/v1/conversations?channel_id=" + channel, bearer(token))) return c;
  return nullptr;
}

TEST(ContactMerge, AgentMergesTwoChannelsContactsAndRepliesKeepTheirChannel) {
  WebhookReceiver graph([](size_t, const WebhookReceiver::Request&) { return 200; });
  WebhookReceiver bot_api([](size_t, const WebhookReceiver::Request&) { return 200; });
  BottegaProcess srv;
  auto shop = srv.create_tenant("Merge shop");
  auto other = srv.create_tenant("Other shop");
  srv.start();
  auto ch = connect_channels(srv, shop.token, graph, bot_api);

  auto w = whatsapp_message(srv, ch.wa_channel, "hello from whatsapp");
  ASSERT_EQ(w.status, 200) << w.describe();
  auto t = telegram_message(srv, ch.tg_channel, 9001, "hello from telegram");
  ASSERT_EQ(t.status, 200) << t.describe();

  bj::value wa_conv, tg_conv;
  ASSERT_TRUE(eventually([&] {
    wa_conv = conversation_on(srv, shop.token, ch.wa_channel);
    tg_conv = conversation_on(srv, shop.token, ch.tg_channel);
    return !wa_conv.is_null() && !tg_conv.is_null();
  }, 5s));
  std::string wa_contact = str(wa_conv, "contact.id"), tg_contact = str(tg_conv, "contact.id");
  ASSERT_FALSE(wa_contact.empty());
  ASSERT_NE(wa_contact, tg_contact) << "one contact per channel identity until merged";

  // Each contact shows its own identity.
  auto a = srv.get("/api/v1/contacts/" + wa_contact, bearer(shop.token));
  ASSERT_EQ(a.status, 200) << a.describe();
  ASSERT_EQ(arr(a.json(), "identities").size(), 1u) << a.body;
  EXPECT_EQ(str(arr(a.json(), "identities")[0], "channel_type"), "whatsapp");
  EXPECT_EQ(str(arr(a.json(), "identities")[0], "external_id"), kWaId);
  EXPECT_EQ(str(a.json(), "name"), "Ann");

  // Another shop: 404 for both the GET and the merge (either side), nothing changes.
  EXPECT_EQ(srv.get("/api/v1/contacts/" + wa_contact, bearer(other.token)).status, 404);
  auto foreign = srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", tg_contact}},
                          bearer(other.token));
  EXPECT_EQ(foreign.status, 404) << foreign.describe();
  // Bad input: itself, missing field, unknown field.
  auto self = srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", wa_contact}},
                       bearer(shop.token));
  EXPECT_EQ(self.status, 400) << self.describe();
  EXPECT_EQ(self.error_field(), "from_contact_id");
  EXPECT_EQ(srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{}, bearer(shop.token)).error_field(),
            "from_contact_id");
  EXPECT_EQ(srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", tg_contact}, {"x", 1}},
                     bearer(shop.token)).status,
            400);
  ASSERT_EQ(srv.get("/api/v1/contacts/" + tg_contact, bearer(shop.token)).status, 200);

  // The merge, with an Idempotency-Key: a retry answers the same.
  Headers key = bearer(shop.token) + Headers{{"Idempotency-Key", "merge-" + random_hex()}};
  auto m = srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", tg_contact}}, key);
  ASSERT_EQ(m.status, 200) << m.describe();
  EXPECT_EQ(str(m.json(), "id"), wa_contact);
  EXPECT_EQ(str(m.json(), "merged_contact_id"), tg_contact);
  EXPECT_EQ(num(m.json(), "conversations_moved"), 1);
  EXPECT_EQ(arr(m.json(), "identities").size(), 2u) << m.body;
  auto again = srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", tg_contact}}, key);
  EXPECT_EQ(again.status, 200) << again.describe();
  EXPECT_EQ(again.body, m.body);
  // Without the key a second merge finds the other contact gone.
  auto twice = srv.post("/api/v1/contacts/" + wa_contact + "/merge", bj::object{{"from_contact_id", tg_contact}},
                        bearer(shop.token));
  EXPECT_EQ(twice.status, 404) << twice.describe();
  EXPECT_EQ(twice.error_code(), "contact_merged");

  auto gone = srv.get("/api/v1/contacts/" + tg_contact, bearer(shop.token));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.error_code(), "contact_merged");
  auto kept = srv.get("/api/v1/contacts/" + wa_contact, bearer(shop.token));
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(str(kept.json(), "name"), "Ann");
  std::set<std::string> types;
  for (const auto& i : arr(kept.json(), "identities")) types.insert(str(i, "channel_type"));
  EXPECT_EQ(types, (std::set<std::string>{"whatsapp", "telegram"}));

  // Both conversations now belong to the kept contact, keep their channel and their history.
  auto wa_after = conversation_on(srv, shop.token, ch.wa_channel);
  auto tg_after = conversation_on(srv, shop.token, ch.tg_channel);
  EXPECT_EQ(str(wa_after, "contact.id"), wa_contact);
  EXPECT_EQ(str(tg_after, "contact.id"), wa_contact);
  EXPECT_EQ(str(tg_after, "id"), str(tg_conv, "id"));
  auto tg_history = list_all(srv, "/api/v1/conversations/" + str(tg_conv, "id") + "/messages", bearer(shop.token));
  ASSERT_FALSE(tg_history.empty());
  EXPECT_EQ(str(tg_history[0], "text"), "hello from telegram");

  // A new Telegram message from the same chat lands on the kept contact's Telegram conversation.
  ASSERT_EQ(telegram_message(srv, ch.tg_channel, 9002, "still me").status, 200);
  ASSERT_TRUE(eventually([&] {
    auto h = list_all(srv, "/api/v1/conversations/" + str(tg_conv, "id") + "/messages", bearer(shop.token));
    return h.size() == 2 && str(h[1], "text") == "still me";
  }, 5s));

  // Replies: each goes out through its own channel's provider, to that channel's identity.
  auto r1 = srv.post("/api/v1/conversations/" + str(wa_conv, "id") + "/messages", bj::object{{"text", "reply on wa"}},
                     bearer(shop.token));
  ASSERT_EQ(r1.status, 201) << r1.describe();
  auto r2 = srv.post("/api/v1/conversations/" + str(tg_conv, "id") + "/messages", bj::object{{"text", "reply on tg"}},
                     bearer(shop.token));
  ASSERT_EQ(r2.status, 201) << r2.describe();
  auto has = [](const WebhookReceiver& rcv, const std::string& path_part, const std::string& a, const std::string& b) {
    for (const auto& q : rcv.requests())
      if (q.target.find(path_part) != std::string::npos && q.body.find(a) != std::string::npos &&
          q.body.find(b) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(eventually([&] { return has(graph, "/1000001/messages", "reply on wa", kWaId); }, 10s))
      << graph.count() << " Graph API calls";
  EXPECT_TRUE(eventually([&] { return has(bot_api, "/sendMessage", "reply on tg", std::to_string(kTgChat)); }, 10s))
      << bot_api.count() << " Bot API calls";
  // And never crossed over.
  EXPECT_FALSE(has(graph, "", "reply on tg", ""));
  EXPECT_FALSE(has(bot_api, "", "reply on wa", ""));
}

TEST(ContactMerge, AnSmsFromTheWhatsAppCustomersVerifiedNumberJoinsTheirContact) {
  WebhookReceiver graph([](size_t, const WebhookReceiver::Request&) { return 200; });
  WebhookReceiver bot_api([](size_t, const WebhookReceiver::Request&) { return 200; });
  WebhookReceiver twilio_api([](size_t, const WebhookReceiver::Request&) { return 201; });
  BottegaProcess srv;
  auto shop = srv.create_tenant("Match shop");
  srv.start();
  auto ch = connect_channels(srv, shop.token, graph, bot_api);
  auto sms = srv.post("/api/v1/channels",
                      bj::object{{"type", "twilio"},
                                 {"name", "SMS"},
                                 {"settings", bj::object{{"account_sid", "AC0123456789"},
                                                         {"auth_token", "tw-token"},
                                                         {"from", "+3120000000"},
                                                         {"api_base_url", twilio_api.url("")}}}},
                      bearer(shop.token));
  ASSERT_EQ(sms.status, 201) << sms.describe();
  std::string sms_channel = str(sms.json(), "id");

  ASSERT_EQ(whatsapp_message(srv, ch.wa_channel, "hi on whatsapp").status, 200);
  // The same number by SMS (Twilio's signed form POST).
  std::vector<std::pair<std::string, std::string>> params = {
      {"Body", "hi by sms"}, {"From", "+31612345678"}, {"MessageSid", "SM" + random_hex(16)}, {"To", "+3120000000"}};
  std::string form;
  for (const auto& [k, v] : params) {
    if (!form.empty()) form += "&";
    std::string enc;
    for (char c : v) {
      if (c == '+') enc += "%2B";
      else if (c == ' ') enc += "+";
      else enc += c;
    }
    form += k + "=" + enc;
  }
  auto path = "/webhooks/" + sms_channel;
  auto r = srv.request("POST", path, form,
                       {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"X-Twilio-Signature", twilio_signature("tw-token", srv.public_url() + path, params)}});
  ASSERT_EQ(r.status, 200) << r.describe();

  bj::value wa_conv, sms_conv;
  ASSERT_TRUE(eventually([&] {
    wa_conv = conversation_on(srv, shop.token, ch.wa_channel);
    sms_conv = conversation_on(srv, shop.token, sms_channel);
    return !wa_conv.is_null() && !sms_conv.is_null();
  }, 5s));
  std::string contact = str(wa_conv, "contact.id");
  EXPECT_EQ(str(sms_conv, "contact.id"), contact) << "one customer, one contact";
  auto c = srv.get("/api/v1/contacts/" + contact, bearer(shop.token));
  ASSERT_EQ(c.status, 200) << c.describe();
  std::set<std::string> ids;
  for (const auto& i : arr(c.json(), "identities")) ids.insert(str(i, "channel_type") + " " + str(i, "external_id"));
  EXPECT_EQ(ids, (std::set<std::string>{"whatsapp 31612345678", "twilio +31612345678"})) << c.body;

  // A reply on the SMS conversation goes out by SMS (Twilio) to that number, not on WhatsApp.
  auto reply = srv.post("/api/v1/conversations/" + str(sms_conv, "id") + "/messages", bj::object{{"text", "reply by sms"}},
                        bearer(shop.token));
  ASSERT_EQ(reply.status, 201) << reply.describe();
  EXPECT_TRUE(eventually([&] {
    for (const auto& q : twilio_api.requests())
      if (q.target.find("/Messages.json") != std::string::npos && q.body.find("reply") != std::string::npos && q.body.find("sms") != std::string::npos &&
          q.body.find("31612345678") != std::string::npos)
        return true;
    return false;
  }, 10s)) << twilio_api.count() << " Twilio calls"
           << (twilio_api.count() ? ": " + twilio_api.requests()[0].target + " " + twilio_api.requests()[0].body : "");
  for (const auto& q : graph.requests()) EXPECT_EQ(q.body.find("reply by sms"), std::string::npos);
}

}  // namespace
}  // namespace e2e
