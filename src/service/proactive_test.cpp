// Proactive messages: stop words and settings (pure), then abandoned-cart reminders, opt-out and
// WhatsApp order updates against a real store (SQLite, and PostgreSQL with BOTTEGA_TEST_PG_URL),
// with an injected clock: the delay, one reminder per cart also with two scanners and two runs at
// once, every reason not to send, the 24-hour window and templates.
#include "service/proactive.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/orders.hpp"
#include "pipeline/optout.hpp"
#include "service/service_fixture.hpp"

namespace bottega::service {
namespace {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

TEST(OptOut, StopWordsPerLanguageAndNothingElse) {
  auto k = pipeline::opt_keyword("STOP");
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->opt_out);
  EXPECT_EQ(k->lang, "");
  for (const char* t : {" stop! ", "Stop.", "/stop", "unsubscribe", "Stop all"}) EXPECT_TRUE(pipeline::opt_keyword(t)) << t;
  EXPECT_EQ(pipeline::opt_keyword("Annulla")->lang, "it");
  EXPECT_EQ(pipeline::opt_keyword("disiscrivimi")->lang, "it");
  EXPECT_EQ(pipeline::opt_keyword("abmelden.")->lang, "de");
  EXPECT_EQ(pipeline::opt_keyword("AFMELDEN")->lang, "nl");
  auto in = pipeline::opt_keyword("start");
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->opt_out);
  EXPECT_FALSE(pipeline::opt_keyword("anmelden")->opt_out);
  for (const char* t : {"stop sending me this", "please stop", "stopping by tomorrow", "", "annullare l'ordine", "stöp"})
    EXPECT_FALSE(pipeline::opt_keyword(t)) << t;
  EXPECT_NE(std::string(pipeline::opt_confirmation(true, "it")).find("START"), std::string::npos);
  EXPECT_NE(std::string(pipeline::opt_confirmation(false, "de")).find("STOP"), std::string::npos);
}

Error patch_error(const char* json) {
  auto r = apply_proactive_patch(ProactiveSettings{}, bj::parse(json).as_object());
  EXPECT_FALSE(r.ok()) << json;
  return r.ok() ? Error{} : r.error();
}

TEST(ProactiveSettings, ErrorsNameTheField) {
  EXPECT_EQ(patch_error(R"({"reminders":{}})").field, "reminders");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"delay":60}})").field, "cart_reminder.delay");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"delay_seconds":0}})").field, "cart_reminder.delay_seconds");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"delay_seconds":"60"}})").field, "cart_reminder.delay_seconds");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"enabled":"yes"}})").field, "cart_reminder.enabled");
  auto e = patch_error(R"({"cart_reminder":{"message":"Hi {{order.number}}"}})");
  EXPECT_EQ(e.field, "cart_reminder.message");
  EXPECT_EQ(e.code, "unknown_variable");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"template":{"name":"Cart Reminder","language":"en"}}})").field,
            "cart_reminder.template.name");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"template":{"name":"cart","language":"e"}}})").field,
            "cart_reminder.template.language");
  EXPECT_EQ(patch_error(R"({"cart_reminder":{"template":{"name":"cart","language":"en","parameters":["cart.total","order.number"]}}})").field,
            "cart_reminder.template.parameters[1]");
  EXPECT_EQ(patch_error(R"({"order_updates":{"enabled":true}})").field, "order_updates.enabled");
  EXPECT_EQ(patch_error(R"({"order_updates":{"paid":{"name":"x","language":"en","parameters":["cart.items"]}}})").field,
            "order_updates.paid.parameters[0]");

  auto ok = apply_proactive_patch(ProactiveSettings{}, bj::parse(R"({"cart_reminder":{"enabled":true,"delay_seconds":1800,
      "message":"Hi {{contact.first_name}}: {{cart.items}}","template":{"name":"cart_reminder","language":"en_US",
      "parameters":["contact.first_name","cart.total"]}},"order_updates":{"enabled":true,"fulfilled":{"name":"order_shipped",
      "language":"it","parameters":["order.number","order.tracking_url"]}}})").as_object());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto j = to_json(*ok);
  EXPECT_EQ(bj::serialize(j.at("cart_reminder").at("template")),
            R"({"name":"cart_reminder","language":"en_US","parameters":["contact.first_name","cart.total"]})");
  EXPECT_TRUE(j.at("order_updates").at("paid").is_null());
  // The stored JSON reads back the same.
  auto again = apply_proactive_patch(ProactiveSettings{}, j);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(bj::serialize(to_json(*again)), bj::serialize(j));
  // A section set to null resets it.
  auto reset = apply_proactive_patch(*ok, bj::parse(R"({"cart_reminder":null})").as_object());
  ASSERT_TRUE(reset.ok());
  EXPECT_FALSE(reset->reminders);
  EXPECT_FALSE(reset->reminder_template);
  EXPECT_TRUE(reset->order_updates);
}

constexpr const char* kWaSettings =
    R"({"phone_number_id":"1","access_token":"t","app_secret":"s","verify_token":"v","templates":[)"
    R"({"name":"cart_reminder","language":"en_US","parameters":2},{"name":"order_paid","language":"en","parameters":2},)"
    R"({"name":"order_shipped","language":"en","parameters":3}]})";

class ProactiveTest : public test_support::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_channel(tx, wa_);
                  commerce::ProductInput mug;
                  mug.translations["en"] = {"Mug", ""};
                  mug.variants = {commerce::Variant{"", "", "MUG", "", {{"EUR", 1250}}, std::nullopt, std::nullopt, 0}};
                  auto p = commerce::create_product(tx, ids_, "ten_A", mug, 1);
                  if (!p) return p.error();
                  return {};
                }).ok());
  }
  void proactive(const char* json) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = update_proactive(tx, "ten_A", bj::parse(json).as_object(), clock_.now_ms());
                  if (!r) return r.error();
                  return {};
                }).ok());
  }
  std::string cart(const std::string& contact, const std::string& conv, int64_t qty = 2) {
    // conv "": the contact's cart without a conversation
    std::string id;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  commerce::NewCart in;
                  in.contact_id = contact;
                  if (!conv.empty()) in.conversation_id = conv;
                  auto c = commerce::create_cart(tx, ids_, "ten_A", in, clock_.now_ms());
                  if (!c) return c.error();
                  id = c->id;
                  auto a = commerce::add_item(tx, "ten_A", id, "MUG", qty, clock_.now_ms());
                  if (!a) return a.error();
                  return {};
                }).ok());
    return id;
  }
  int64_t scan_carts_now() {
    int64_t n = 0;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  n = scan_carts(tx, e, clock_.now_ms(), 100);
                  return {};
                }).ok());
    return n;
  }
  std::optional<ReminderResult> run(const std::string& cart_id) {
    std::optional<ReminderResult> r;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  r = run_reminder(tx, e, "ten_A", cart_id);
                  return {};
                }).ok());
    return r;
  }
  std::vector<Message> system_messages(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& m : core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 200, true).items)
        if (m.author_kind == "system") out.push_back(m);
    });
    return out;
  }
  std::vector<bj::object> events(std::string_view type) {
    std::vector<bj::object> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 100000))
        if (e.type == type) out.push_back(bj::parse(e.payload_json).as_object().at("data").as_object());
    });
    return out;
  }
  int64_t jobs(const std::string& kind) {
    int64_t n = 0;
    store::read_sync(*store_, [&](Tx& tx) {
      auto r = tx.query_one(store::Stmt{"test.jobs", "SELECT COUNT(*) FROM jobs WHERE kind = $1"}, {kind});
      n = r ? r->i64(0) : 0;
    });
    return n;
  }
  std::string reminder_field(const std::string& cart_id, const char* field) {
    std::string out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& v : list_reminders(tx, "ten_A", 200))
        if (v.as_object().at("cart_id").as_string() == cart_id) {
          const auto& f = v.as_object().at(field);
          out = f.is_string() ? std::string(f.as_string()) : f.is_null() ? "null" : bj::serialize(f);
        }
    });
    return out;
  }

  Channel wa_{"ch_wa", "ten_A", "whatsapp", "WhatsApp", kWaSettings, 1};
};

INSTANTIATE_TEST_SUITE_P(Stores, ProactiveTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ProactiveTest, OneReminderAfterTheDelayInsideTheWindow) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":3600}})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "Do you have the mug in blue?");
  auto c = cart("ct_1", conv);
  clock_.advance_ms(3599'000);
  EXPECT_EQ(scan_carts_now(), 0);  // not idle long enough
  clock_.advance_ms(1'000);
  EXPECT_EQ(scan_carts_now(), 1);
  EXPECT_EQ(scan_carts_now(), 0);  // queued once
  EXPECT_EQ(jobs(kReminderJob), 1);
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, "sent");
  EXPECT_FALSE(run(c));  // the job again (a retry, another node): nothing
  clock_.advance_ms(3 * 3600'000);
  EXPECT_EQ(scan_carts_now(), 0);  // never a second reminder for the cart

  auto msgs = system_messages(conv);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].id, *r->message_id);
  EXPECT_EQ(msgs[0].text,
            "Hi Ann! You left 2 x Mug in your cart (25.00 EUR). If you'd like to complete your order or have a question, "
            "just reply here. Write STOP to get no more reminders.");
  EXPECT_EQ(msgs[0].delivery_state, "sent");  // web chat: through the visitor's stream
  auto ev = events(event_type::kCartReminderSent);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].at("cart_id").as_string(), c);
  EXPECT_EQ(ev[0].at("total").as_int64(), 2500);
  EXPECT_EQ(ev[0].at("currency").as_string(), "EUR");
  EXPECT_EQ(ev[0].at("channel_id").as_string(), "ch_1");
  EXPECT_EQ(ev[0].at("mode").as_string(), "text");
  EXPECT_EQ(reminder_field(c, "status"), "sent");
}

TEST_P(ProactiveTest, NoReminderForPaidEmptiedPayingOrOptedOutCarts) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":60}})");
  auto conv1 = customer_says("ten_A", channel_, "ct_1", "hello");
  auto conv2 = customer_says("ten_A", channel_, "ct_2", "hello");
  auto emptied = cart("ct_1", conv1);
  auto ordered = cart("ct_1", conv1);
  auto paying = cart("ct_1", conv1);
  auto opted = cart("ct_2", conv2);
  auto e = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                if (auto r = commerce::remove_item(tx, "ten_A", emptied, "MUG", clock_.now_ms()); !r) return r.error();
                tx.exec(store::Stmt{"test.payment",
                                    "INSERT INTO payments (id, tenant_id, provider_id, token, verification_code, status, "
                                    "amount, currency, cart_id, expires_at, created_at, updated_at) "
                                    "VALUES ('pay_1','ten_A','pp_1','tok','123456','opened',2500,'EUR',$1,$2,$3,$3)"},
                        {paying, clock_.now_ms() + 3600'000, clock_.now_ms()});
                return {};
              }).ok());
  // The customer writes STOP: opted out in the same transaction, with a confirmation.
  customer_says("ten_A", channel_, "ct_2", "STOP");
  store::read_sync(*store_, [&](Tx& tx) { EXPECT_TRUE(pipeline::opted_out(tx, "ten_A", "ct_2")); });
  auto conf = system_messages(conv2);
  ASSERT_EQ(conf.size(), 1u);
  EXPECT_NE(conf[0].text.find("START"), std::string::npos);

  clock_.advance_ms(61'000);
  EXPECT_EQ(scan_carts_now(), 3);  // the emptied cart has no items: not even queued
  // Ordered between the scan and the job.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto o = commerce::create_order_from_cart(tx, e, "ten_A", ordered, commerce::OrderPayment{false, ""});
                return o ? Status{} : Status(o.error());
              }).ok());
  EXPECT_EQ(run(ordered).value_or(ReminderResult{}).reason, "ordered");
  EXPECT_EQ(run(paying).value_or(ReminderResult{}).reason, "payment_open");
  EXPECT_EQ(run(opted).value_or(ReminderResult{}).reason, "opted_out");
  EXPECT_EQ(reminder_field(emptied, "status"), "");
  EXPECT_EQ(reminder_field(opted, "status"), "skipped");
  EXPECT_EQ(system_messages(conv1).size(), 0u);
  EXPECT_EQ(system_messages(conv2).size(), 1u);  // only the confirmation
  EXPECT_TRUE(events(event_type::kCartReminderSent).empty());
  // An emptied cart that gets items again is reminded after the delay.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto r = commerce::add_item(tx, "ten_A", emptied, "MUG", 1, clock_.now_ms());
                return r ? Status{} : Status(r.error());
              }).ok());
  EXPECT_EQ(scan_carts_now(), 0);
  clock_.advance_ms(60'000);
  EXPECT_EQ(scan_carts_now(), 1);
  EXPECT_EQ(run(emptied).value_or(ReminderResult{}).status, "sent");
}

TEST_P(ProactiveTest, ACartChangedAfterQueueingWaitsForTheDelayAgain) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":60}})");
  auto conv = customer_says("ten_A", channel_, "ct_1", "hello");
  auto c = cart("ct_1", conv);
  clock_.advance_ms(60'000);
  EXPECT_EQ(scan_carts_now(), 1);
  clock_.advance_ms(5'000);
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto r = commerce::set_item_quantity(tx, "ten_A", c, "MUG", 3, clock_.now_ms());
                return r ? Status{} : Status(r.error());
              }).ok());
  EXPECT_EQ(run(c).value_or(ReminderResult{}).status, "requeued");
  EXPECT_EQ(scan_carts_now(), 0);
  clock_.advance_ms(60'000);
  EXPECT_EQ(scan_carts_now(), 1);
  auto r = run(c);
  EXPECT_EQ(r->status, "sent");
  EXPECT_NE(system_messages(conv).at(0).text.find("3 x Mug"), std::string::npos);
}

TEST_P(ProactiveTest, WhatsAppAfter24HoursOnlyWithAnApprovedTemplate) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":86400}})");
  auto conv = customer_says("ten_A", wa_, "ct_1", "ciao, avete la tazza?");
  auto a = cart("ct_1", conv);
  clock_.advance_ms(86400'000 + 1000);
  EXPECT_EQ(scan_carts_now(), 1);
  EXPECT_EQ(run(a).value_or(ReminderResult{}).reason, "window_closed");

  // A template that the channel does not list is not sent either.
  proactive(R"({"cart_reminder":{"template":{"name":"cart_nudge","language":"en_US","parameters":["contact.first_name","cart.total"]}}})");
  auto b = cart("ct_1", conv);
  clock_.advance_ms(86400'000);
  EXPECT_EQ(scan_carts_now(), 1);
  EXPECT_EQ(run(b).value_or(ReminderResult{}).reason, "template_not_approved");

  proactive(R"({"cart_reminder":{"template":{"name":"cart_reminder","language":"en_US","parameters":["contact.first_name","cart.total"]}}})");
  auto c = cart("ct_1", conv, 1);
  clock_.advance_ms(86400'000);
  EXPECT_EQ(scan_carts_now(), 1);
  auto r = run(c);
  ASSERT_EQ(r->status, "sent");
  auto msgs = system_messages(conv);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, "template");
  EXPECT_EQ(msgs[0].delivery_state, "pending");  // queued for the provider
  auto content = bj::parse(msgs[0].content_json).as_object();
  EXPECT_EQ(bj::serialize(content.at("template")),
            R"({"name":"cart_reminder","language":"en_US","parameters":["Ann","12.50 EUR"]})");
  EXPECT_EQ(reminder_field(c, "mode"), "template");
  EXPECT_EQ(jobs("channel.send"), 1);
}

TEST_P(ProactiveTest, InsideTheWindowTheTextIsInTheCustomersLanguage) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":600}})");
  auto conv = customer_says("ten_A", wa_, "ct_1", "Buongiorno, avete la tazza blu? Vorrei comprarla per mia madre");
  auto c = cart("ct_1", conv);
  clock_.advance_ms(600'000);
  EXPECT_EQ(scan_carts_now(), 1);
  EXPECT_EQ(run(c).value_or(ReminderResult{}).status, "sent");
  auto msgs = system_messages(conv);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, "text");
  EXPECT_EQ(msgs[0].text.rfind("Ciao Ann! Hai lasciato 2 x Mug nel carrello (25.00 EUR).", 0), 0u) << msgs[0].text;
}

TEST_P(ProactiveTest, TwoScannersAndTwoRunsAtOnceSendOneReminder) {
  proactive(R"({"cart_reminder":{"enabled":true,"delay_seconds":60}})");
  std::vector<std::string> carts;
  for (const char* ct : {"ct_1", "ct_2"}) {
    auto conv = customer_says("ten_A", channel_, ct, "hello");
    carts.push_back(cart(ct, conv));
  }
  clock_.advance_ms(60'000);
  std::atomic<int64_t> queued{0};
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i) ts.emplace_back([&] { queued += scan_carts_now(); });
    for (auto& t : ts) t.join();
  }
  EXPECT_EQ(queued.load(), 2);
  EXPECT_EQ(jobs(kReminderJob), 2);
  std::atomic<int> sent{0};
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < 6; ++i)
      ts.emplace_back([&, i] {
        auto r = run(carts[i % 2]);
        if (r && r->status == "sent") ++sent;
      });
    for (auto& t : ts) t.join();
  }
  EXPECT_EQ(sent.load(), 2);
  EXPECT_EQ(events(event_type::kCartReminderSent).size(), 2u);
}

TEST_P(ProactiveTest, OrderUpdatesGoOutAsTemplatesOnceAndRespectOptOut) {
  proactive(R"({"order_updates":{"enabled":true,"paid":{"name":"order_paid","language":"en","parameters":["contact.first_name","order.number"]},
               "fulfilled":{"name":"order_shipped","language":"en","parameters":["order.number","order.carrier","order.tracking_url"]}}})");
  auto conv = customer_says("ten_A", wa_, "ct_1", "hi");
  auto c1 = cart("ct_1", "");
  auto e = env();
  std::string order_id;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto o = commerce::create_order_from_cart(tx, e, "ten_A", c1, commerce::OrderPayment{true, "pay_x"});
                if (!o) return o.error();
                order_id = o->id;
                return {};
              }).ok());
  auto notify = [&](const std::string& id, const std::string& kind) {
    std::optional<std::string> r;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  r = notify_order(tx, e, "ten_A", id, kind);
                  return {};
                }).ok());
    return r;
  };
  EXPECT_EQ(notify(order_id, "paid"), "sent");
  EXPECT_EQ(notify(order_id, "paid"), std::nullopt);  // a redelivered order.paid
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                commerce::OrderPatch p;
                p.status = "fulfilled";
                p.carrier = "PostNL";
                p.tracking_url = "https://track.example/1";
                auto o = commerce::update_order(tx, e, "ten_A", order_id, p);
                return o ? Status{} : Status(o.error());
              }).ok());
  EXPECT_EQ(notify(order_id, "fulfilled"), "sent");
  auto msgs = system_messages(conv);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(bj::serialize(bj::parse(msgs[0].content_json).at("template")),
            R"({"name":"order_paid","language":"en","parameters":["Ann","1001"]})");
  EXPECT_EQ(bj::serialize(bj::parse(msgs[1].content_json).at("template")),
            R"({"name":"order_shipped","language":"en","parameters":["1001","PostNL","https://track.example/1"]})");

  // Opted out (by an agent): the next order's update is recorded as skipped, nothing is sent.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                pipeline::set_opt_out(tx, "ten_A", "ct_1", true, "agent", std::nullopt, clock_.now_ms());
                return {};
              }).ok());
  auto c2 = cart("ct_1", "");
  std::string order2;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto o = commerce::create_order_from_cart(tx, e, "ten_A", c2, commerce::OrderPayment{true, "pay_y"});
                if (!o) return o.error();
                order2 = o->id;
                return {};
              }).ok());
  EXPECT_EQ(notify(order2, "paid"), "skipped");
  EXPECT_EQ(system_messages(conv).size(), 2u);
  store::read_sync(*store_, [&](Tx& tx) {
    auto n = order_notifications(tx, "ten_A", order2);
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].as_object().at("reason").as_string(), "opted_out");
    EXPECT_TRUE(order_notifications(tx, "ten_B", order_id).empty());  // another shop sees nothing
  });
  // A contact without a WhatsApp conversation: skipped, no_whatsapp.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                pipeline::set_opt_out(tx, "ten_A", "ct_2", false, "api", std::nullopt, clock_.now_ms());
                return {};
              }).ok());
  auto c3 = cart("ct_2", "");
  std::string order3;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto o = commerce::create_order_from_cart(tx, e, "ten_A", c3, commerce::OrderPayment{true, "pay_z"});
                if (!o) return o.error();
                order3 = o->id;
                return {};
              }).ok());
  EXPECT_EQ(notify(order3, "paid"), "skipped");
}

TEST_P(ProactiveTest, StartOptsBackInOnlyWhenOptedOut) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "start");
  EXPECT_TRUE(system_messages(conv).empty());  // never opted out: an ordinary message
  customer_says("ten_A", channel_, "ct_1", "Abmelden");
  customer_says("ten_A", channel_, "ct_1", "START");
  store::read_sync(*store_, [&](Tx& tx) {
    auto o = pipeline::get_opt_out(tx, "ten_A", "ct_1");
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->opted_out);
    EXPECT_EQ(o->source, "customer");
    EXPECT_EQ(o->keyword, "start");
  });
  auto msgs = system_messages(conv);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].text.rfind("Sie erhalten", 0), 0u);
  // The stop word itself is marked so the bot leaves it alone.
  store::read_sync(*store_, [&](Tx& tx) {
    int marked = 0;
    for (const auto& m : core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 200, true).items)
      if (m.direction == "in" && m.content_json.find("\"no_auto_reply\":true") != std::string::npos) ++marked;
    EXPECT_EQ(marked, 2);
  });
}

// A paid order makes Ann a returning customer: the listener rescores her open conversation (the
// inbox row's new/returning chip follows the score) and announces it with conversation.updated;
// Bob's conversation is not touched, and a redelivered order.paid announces nothing again.
TEST_P(ProactiveTest, APaidOrderRescoresTheCustomersOpenConversationsAndAnnouncesThem) {
  auto conv = customer_says("ten_A", wa_, "ct_1", "hi");
  auto bobs = customer_says("ten_A", channel_, "ct_2", "hello");
  auto returning = [&](const std::string& id) {
    std::string detail;
    store::read_sync(*store_, [&](Tx& tx) { detail = repo::get_state(tx, "ten_A", id).value().score_detail; });
    return bj::parse(detail).at("returning").as_bool();
  };
  ASSERT_FALSE(returning(conv));
  auto c1 = cart("ct_1", conv);
  auto e = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto o = commerce::create_order_from_cart(tx, e, "ten_A", c1, commerce::OrderPayment{true, "pay_x"});
                return o ? Status{} : Status(o.error());
              }).ok());
  std::vector<Event> paid;
  store::read_sync(*store_, [&](Tx& tx) {
    for (auto& ev : core_repo::events_after(tx, 0, 100000))
      if (ev.type == event_type::kOrderPaid) paid.push_back(ev);
  });
  ASSERT_EQ(paid.size(), 1u);
  auto updated_before = events(event_type::kConversationUpdated).size();

  ServiceListener listener(*store_, env());
  listener.on_event(paid[0]);
  listener.on_batch_end();
  EXPECT_TRUE(returning(conv));
  EXPECT_FALSE(returning(bobs));
  auto updated = events(event_type::kConversationUpdated);
  ASSERT_EQ(updated.size(), updated_before + 1);
  EXPECT_EQ(updated.back().at("id").as_string(), conv);

  listener.on_event(paid[0]);  // redelivered: the score is already right
  listener.on_batch_end();
  EXPECT_EQ(events(event_type::kConversationUpdated).size(), updated_before + 1);
}

}  // namespace
}  // namespace bottega::service
