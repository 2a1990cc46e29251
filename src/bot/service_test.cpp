// The bot in the message path against a real store (SQLite, and PostgreSQL when
// BOTTEGA_TEST_PG_URL is set): a customer message gets its turn, the reply and the log commit
// together, a handover leaves a summary note and tags, and the bot stays out where it must.
#include "bot/service.hpp"

#include <gtest/gtest.h>

#include <set>

#include <boost/json/parse.hpp>
#include <cctype>
#include <filesystem>
#include <future>

#include "bot/shop_text.hpp"
#include "pipeline/one_time_code.hpp"
#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/demo.hpp"
#include "commerce/orders.hpp"
#include "hours/shop_hours.hpp"
#include "hours/tz.hpp"
#include "payments/payments_repo.hpp"
#include "payments/service.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::bot {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

class BotServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_bot");
    if (IsSkipped() || HasFatalFailure()) return;
    url_ = place_.url();
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    bot_ = std::make_unique<BotService>(*store_, env(), metrics_, [](const std::string&) { return int64_t{1}; }, &mail_);
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_tenant(tx, "ten_A", "Shop", 1);
                  core_repo::create_tenant(tx, "ten_B", "Other", 1);
                  core_repo::create_channel(tx, channel_);
                  core_repo::create_contact(tx, "ten_A", "ct_1", "Ann", std::nullopt, 1);
                  return {};
                }).ok());
  }
  void TearDown() override {
    bot_.reset();
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  pipeline::Env env() { return pipeline::Env{clock_, ids_, {}, {}}; }

  void import_kb(const std::string& tenant = "ten_A") {
    auto kb = parse_kb_json(R"({"entries":[
      {"id":"ship-be-nl","language":"nl","questions":["Verzenden jullie naar België?","Leveren jullie in België?"],"answer":"Ja, we verzenden naar België in 2-3 werkdagen.","tags":["shipping"]},
      {"id":"ship-be-en","language":"en","questions":["Do you ship to Belgium?"],"answer":"Yes, in 2-3 working days.","tags":["shipping"]},
      {"id":"sneaker-fit","language":"en","questions":["Do the sneakers run true to size?"],"answer":"They fit true to size.","tags":["presale"],"product_ids":["prd_snk"]}]})");
    ASSERT_TRUE(kb.ok());
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::import_entries(tx, tenant, *kb, clock_.now_ms());
                  return {};
                }).ok());
  }

  // A customer message; returns its id and conversation.
  std::pair<std::string, std::string> customer_says(const std::string& text) {
    std::string mid, cid;
    auto env_ = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = pipeline::ingest_contact_message(tx, env_, "ten_A", channel_, "ct_1", text, std::nullopt);
                  if (!r) return std::move(r).error();
                  mid = r->message.id;
                  cid = r->conversation.id;
                  return {};
                }).ok());
    return {mid, cid};
  }

  std::optional<repo::Turn> turn(const std::string& message_id) {
    std::optional<repo::Turn> out;
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      auto r = bot_->take_turn(tx, "ten_A", message_id);
      if (!r) return std::move(r).error();
      out = std::move(*r);
      return {};
    });
    EXPECT_TRUE(st.ok());
    return out;
  }

  std::vector<Message> messages(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) { out = core_repo::list_messages(tx, "ten_A", conv, std::nullopt, 100, true).items; });
    return out;
  }

  // ---- the shop (demo catalog and codes, orders, settings) ----
  void seed_shop() {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  return commerce::seed_demo_catalog(tx, ids_, "ten_A", clock_.now_ms());
                }).ok());
  }
  void bot_settings(const std::function<void(repo::Settings&)>& change) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto s = repo::get_settings(tx, "ten_A");
                  change(s);
                  repo::put_settings(tx, "ten_A", s, clock_.now_ms());
                  return {};
                }).ok());
  }
  // A cart of `contact` with `qty` x `sku`.
  std::string cart_of(const std::string& contact, const std::string& sku, int64_t qty) {
    std::string id;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  commerce::NewCart n;
                  n.contact_id = contact;
                  BOTTEGA_TRY(c, commerce::create_cart(tx, ids_, "ten_A", n, clock_.now_ms()));
                  BOTTEGA_TRY(c2, commerce::add_item(tx, "ten_A", c.id, sku, qty, clock_.now_ms()));
                  id = c2.id;
                  return {};
                }).ok());
    return id;
  }
  // A paid order of `contact` (through a sandbox payment link, so it can be refunded).
  commerce::Order paid_order(const std::string& contact, const std::string& sku, int64_t qty) {
    std::string cart = cart_of(contact, sku, qty);
    auto env_ = env();
    Principal admin{"ten_A", "", "tok_admin", Role::admin, "", false, ""};
    std::optional<commerce::Order> out;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  if (!provider_) {
                    BOTTEGA_TRY(prov, payments::create_provider(tx, env_, admin, "sandbox", "Sandbox", bj::object{}));
                    provider_ = prov;
                  }
                  payments::LinkInput in;
                  in.cart_id = cart;
                  in.expires_in_s = 3600;
                  BOTTEGA_TRY(link, payments::create_link(tx, env_, admin, in, "https://shop.example"));
                  PspEvent e;
                  e.kind = PspEvent::Kind::paid;
                  e.event_id = "evt_" + link.id;
                  e.payment_id = link.id;
                  e.provider_ref = "ref_" + link.id;
                  e.amount = link.amount;
                  e.currency = link.currency;
                  e.raw_type = "payment.succeeded";
                  BOTTEGA_TRY(applied, payments::apply_psp_event(tx, env_, *provider_, e));
                  (void)applied;
                  out = commerce::order_of_cart(tx, "ten_A", cart);
                  return {};
                }).ok());
    EXPECT_TRUE(out.has_value());
    return out.value_or(commerce::Order{});
  }
  // Ann (ct_2, ann@example.com) is another contact than the chat's customer; the shop's email
  // channel has a relay, so one-time codes can be sent.
  void ann_and_a_mail_relay() {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_contact(tx, "ten_A", "ct_2", "Ann", std::string("ann@example.com"), 1);
                  core_repo::create_channel(tx, Channel{"ch_mail", "ten_A", "email", "Mail",
                                                        R"({"address":"support@shop.example","smtp_host":"127.0.0.1"})", 1});
                  return {};
                }).ok());
  }
  std::string note_of(const std::string& conv) {
    for (const auto& m : messages(conv))
      if (m.kind == "note") return m.text;
    return "";
  }

  // A relay that records what it is asked to send.
  struct RecordingMail final : MailClient {
    std::vector<MailRequest> sent;
    bool fail = false;
    void send(MailRequest req, std::function<void(Result<std::string>)> done) override {
      if (fail) return done(Error{Errc::unavailable, "smtp_down", "relay down", {}});
      sent.push_back(std::move(req));
      done(std::string("250 OK"));
    }
  };
  // Runs the conversation's bot.send_code job; returns the code from the last mail sent.
  std::string run_code_job(const std::string& conv) {
    std::vector<core_repo::Job> jobs;
    store::read_sync(*store_, [&](Tx& tx) {
      auto st = repo::get_state(tx, "ten_A", conv);
      if (auto j = core_repo::get_job(tx, "ten_A", kSendCodeJob, "code:" + st.otp_nonce)) jobs.push_back(*j);
    });
    for (const auto& j : jobs) {
      std::promise<pipeline::JobOutcome> p;
      bot_->run_send_code(j, [&](pipeline::JobOutcome o) { p.set_value(o); });
      EXPECT_TRUE(p.get_future().get().ok);
    }
    if (mail_.sent.empty()) return "";
    // The code follows the mail text's "in our chat is " (English). Not the first six digits of the
    // whole message: the headers and the MIME boundary carry a hex Message-ID that can hold six
    // digits in a row (that read a wrong code in ~4% of runs).
    const std::string& data = mail_.sent.back().data;
    const std::string lead = "in our chat is ";
    auto at = data.find(lead);
    if (at == std::string::npos || at + lead.size() + 6 > data.size()) return "";
    std::string code = data.substr(at + lead.size(), 6);
    for (char c : code)
      if (!std::isdigit(static_cast<unsigned char>(c))) return "";
    return code;
  }

  RecordingMail mail_;
  std::optional<payments::Provider> provider_;
  store::ScratchStore place_;
  std::string url_;
  ManualClock clock_{1'795'428'000'000};  // Monday 10:00 UTC: open (default hours)
  RandomIdGenerator ids_{clock_};
  Metrics metrics_;
  Channel channel_{"ch_1", "ten_A", "webchat", "Chat", "{}", 1};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BotService> bot_;
};

INSTANTIATE_TEST_SUITE_P(Stores, BotServiceTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(BotServiceTest, WithoutAKnowledgeBaseTheBotStaysQuiet) {
  auto [mid, cid] = customer_says("Verzenden jullie naar België?");
  EXPECT_FALSE(turn(mid).has_value());
  EXPECT_EQ(messages(cid).size(), 1u);
}

TEST_P(BotServiceTest, AnswersInTheCustomersLanguageAndLogsTheTurn) {
  import_kb();
  auto [mid, cid] = customer_says("Verzenden jullie ook naar België?");
  auto t = turn(mid);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "answered");
  EXPECT_EQ(t->entry_id, "ship-be-nl");
  EXPECT_EQ(t->language, "nl");
  EXPECT_GE(t->score_milli, 500);
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].author_kind, "bot");
  EXPECT_EQ(ms[1].kind, "choices");
  EXPECT_NE(ms[1].text.find("verzenden naar België"), std::string::npos);
  EXPECT_EQ(ms[1].id, t->reply_message_id);
  // the same message never gets a second turn (job retried after a crash)
  EXPECT_FALSE(turn(mid).has_value());
  std::vector<repo::Turn> turns;
  store::read_sync(*store_, [&](Tx& tx) { turns = repo::list_turns(tx, "ten_A", cid, 0, 50); });
  ASSERT_EQ(turns.size(), 1u);
  // the turn is also an (internal) outbox event, committed with it (the reports count it)
  std::vector<Event> events;
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  int turn_events = 0;
  for (const auto& e : events)
    if (e.type == event_type::kBotTurn) {
      ++turn_events;
      EXPECT_TRUE(e.internal);
      EXPECT_EQ(e.conversation_id, cid);
      EXPECT_NE(e.payload_json.find("\"outcome\":\"answered\""), std::string::npos) << e.payload_json;
    }
  EXPECT_EQ(turn_events, 1);
  // another tenant sees nothing
  store::read_sync(*store_, [&](Tx& tx) { turns = repo::list_turns(tx, "ten_B", cid, 0, 50); });
  EXPECT_TRUE(turns.empty());
}

TEST_P(BotServiceTest, HandoverLeavesASummaryNoteTagsAndSilence) {
  import_kb();
  auto [m1, cid] = customer_says("Do the sneakers run true to size?");
  ASSERT_EQ(turn(m1)->outcome, "answered");
  auto [m2, c2] = customer_says("I want to talk to a person");
  ASSERT_EQ(c2, cid);
  auto t = turn(m2);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "handed_over");
  EXPECT_EQ(t->reason, "human_request");
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 5u);  // q, answer, request, handover reply, note
  EXPECT_NE(ms[3].text.find("minutes"), std::string::npos);
  EXPECT_EQ(ms[4].kind, "note");
  EXPECT_NE(ms[4].text.find("Intent: presale"), std::string::npos);
  EXPECT_NE(ms[4].text.find("sneaker-fit"), std::string::npos);
  EXPECT_NE(ms[4].text.find("prd_snk"), std::string::npos);
  std::optional<Conversation> conv;
  store::read_sync(*store_, [&](Tx& tx) { conv = core_repo::get_conversation(tx, "ten_A", cid); });
  ASSERT_TRUE(conv.has_value());
  auto has = [&](const char* tag) { return std::find(conv->tags.begin(), conv->tags.end(), tag) != conv->tags.end(); };
  EXPECT_TRUE(has("presale"));
  EXPECT_TRUE(has("bot-handover"));
  // handed over: the bot does not speak again in this conversation
  auto [m3, c3] = customer_says("Do you ship to Belgium?");
  EXPECT_FALSE(turn(m3).has_value());
}

TEST_P(BotServiceTest, ExpectedWaitFollowsTheShopsIanaHoursAcrossADaylightSavingChange) {
  import_kb();
  // The shop's hours as PATCH /api/v1/service/settings stores them: Rome, Monday-Friday 09:00-18:00.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                static const store::Stmt kPut{"test.put_service_settings",
                                              "INSERT INTO service_settings (tenant_id, settings, updated_at) VALUES ($1,$2,$3)"};
                tx.exec(kPut, {std::string("ten_A"),
                               std::string(R"({"business_hours":{"time_zone":"Europe/Rome"},"business_hours_configured":true})"),
                               clock_.now_ms()});
                return {};
              }).ok());
  auto utc = [](int y, unsigned mo, unsigned d, int h) { return (hours::days_from_civil(y, mo, d) * 86400 + h * 3600) * 1000; };
  // Saturday 28 March 2026, 21:00 CET; the clocks go forward in the night to Sunday.
  clock_.set_ms(utc(2026, 3, 28, 20));
  auto [m, cid] = customer_says("I want to talk to a person");
  auto t = turn(m);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "handed_over");
  auto ms = messages(cid);
  ASSERT_GE(ms.size(), 2u);
  // Monday 09:00 in Rome (07:00 UTC, CEST), not the 10:00 a fixed +01:00 offset would give.
  EXPECT_NE(ms[1].text.find("Monday at 09:00"), std::string::npos) << ms[1].text;
  // Another tenant's hours are not read: ten_B has none, so its default is UTC Mon-Fri 09:00-18:00.
  std::optional<hours::ShopHours> other;
  store::read_sync(*store_, [&](Tx& tx) { other = hours::shop_hours(tx, "ten_B"); });
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->configured);
  EXPECT_EQ(other->hours.zone->name(), "UTC");
}

TEST_P(BotServiceTest, ChannelSwitchAndAssignmentKeepTheBotOut) {
  import_kb();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::set_channel_enabled(tx, "ten_A", "ch_1", false, 2);
                return {};
              }).ok());
  auto [m1, cid] = customer_says("Do you ship to Belgium?");
  EXPECT_FALSE(turn(m1).has_value());
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::set_channel_enabled(tx, "ten_A", "ch_1", true, 3);
                return {};
              }).ok());
  auto [m2, c2] = customer_says("Do you ship to Belgium?");
  EXPECT_TRUE(turn(m2).has_value());
}

TEST_P(BotServiceTest, ListenerEnqueuesOneJobPerCustomerMessageOnlyWithAKnowledgeBase) {
  auto [m0, c0] = customer_says("hello?");
  std::vector<Event> events;
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  for (const auto& e : events) bot_->on_event(e);
  bot_->on_batch_end();
  int64_t queued = 0;
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 0);
  import_kb();
  auto [m1, c1] = customer_says("Do you ship to Belgium?");
  store::read_sync(*store_, [&](Tx& tx) { events = core_repo::events_after(tx, 0, 100); });
  for (int twice = 0; twice < 2; ++twice) {  // a replayed batch enqueues nothing new
    for (const auto& e : events) bot_->on_event(e);
    bot_->on_batch_end();
  }
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 2);  // both customer messages (the first one arrived before the KB)
  std::optional<core_repo::Job> job;
  store::read_sync(*store_, [&](Tx& tx) { job = core_repo::get_job(tx, "ten_A", kTurnJob, m1); });
  ASSERT_TRUE(job.has_value());
  // running it takes the turn
  std::promise<pipeline::JobOutcome> p;
  bot_->run(*job, [&](pipeline::JobOutcome o) { p.set_value(o); });
  EXPECT_TRUE(p.get_future().get().ok);
  EXPECT_EQ(messages(c1).back().author_kind, "bot");
}

TEST_P(BotServiceTest, AutoRepliesAndBulkMailAreNeverAnswered) {
  import_kb();
  // A message.created event as the email channel emits it for an out-of-office reply.
  Event e;
  e.seq = 1;
  e.id = "evt_auto";
  e.tenant_id = "ten_A";
  e.type = event_type::kMessageCreated;
  e.conversation_id = "cnv_mail";
  e.payload_json =
      R"({"data":{"id":"msg_auto","author":{"kind":"contact","id":null},"content":{"no_auto_reply":true}}})";
  bot_->on_event(e);
  bot_->on_batch_end();
  int64_t queued = -1;
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 0);
  // The same message without the flag is queued (the filter is what kept it out).
  e.payload_json = R"({"data":{"id":"msg_human","author":{"kind":"contact","id":null},"content":{}}})";
  bot_->on_event(e);
  bot_->on_batch_end();
  store::read_sync(*store_, [&](Tx& tx) { queued = core_repo::count_jobs(tx, "queued"); });
  EXPECT_EQ(queued, 1);
}


// ---- the shop's intents ----------------------------------------------------------------------

TEST_P(BotServiceTest, ProductQuestionsAreAnsweredFromTheCatalogWithACard) {
  import_kb();
  seed_shop();
  auto [m1, cid] = customer_says("How much is the Chelsea boot?");
  auto t = turn(m1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "answered");
  EXPECT_EQ(t->intent, "presale");
  EXPECT_EQ(t->entry_id, "product:chelsea-boot");
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 3u);  // question, answer, product card
  EXPECT_NE(ms[1].text.find("Chelsea boot: €189.00."), std::string::npos) << ms[1].text;
  EXPECT_NE(ms[1].text.find("EU 42 (Only 3 left)"), std::string::npos) << ms[1].text;
  EXPECT_EQ(ms[2].kind, "product");
  EXPECT_EQ(ms[2].author_kind, "bot");
  EXPECT_NE(ms[2].content_json.find("\"title\":\"Chelsea boot\""), std::string::npos) << ms[2].content_json;
  EXPECT_NE(ms[2].content_json.find("\"amount\":18900"), std::string::npos) << ms[2].content_json;
  // In Italian, a size the product does not come in is said so, with the sizes it has.
  auto [m2, c2] = customer_says("sì");  // feedback
  turn(m2);
  auto [m3, c3] = customer_says("Avete la sneaker classica nella taglia 46?");
  auto t3 = turn(m3);
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(t3->entry_id, "product:classic-leather-sneaker");
  ms = messages(cid);
  std::string reply;
  for (const auto& m : ms)
    if (m.id == t3->reply_message_id) reply = m.text;
  EXPECT_NE(reply.find("129,00 €"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Non disponibile nella taglia 46."), std::string::npos) << reply;
  // Something the catalog does not say (a colour) is not answered from it.
  auto [m4, c4] = customer_says("Do you have the Chelsea boot in red?");
  auto t4 = turn(m4);
  ASSERT_TRUE(t4.has_value());
  EXPECT_EQ(t4->outcome, "handed_over");
  EXPECT_EQ(t4->reason, "low_confidence");
}

// A question about two products is answered with both in one message (content.products).
TEST_P(BotServiceTest, AQuestionAboutTwoProductsSendsBothInOneMessage) {
  import_kb();
  seed_shop();
  auto [m1, cid] = customer_says("What is the difference between the Chelsea boot and the classic leather sneaker?");
  auto t = turn(m1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "answered");
  EXPECT_EQ(t->entry_id, "product:chelsea-boot+classic-leather-sneaker");
  auto ms = messages(cid);
  ASSERT_EQ(ms.size(), 3u);  // question, answer, one message with both products
  EXPECT_EQ(ms[2].kind, "product");
  EXPECT_EQ(ms[2].author_kind, "bot");
  auto content = boost::json::parse(ms[2].content_json).as_object();
  ASSERT_TRUE(content.contains("products")) << ms[2].content_json;
  std::set<std::string> titles;
  for (const auto& p : content.at("products").as_array()) titles.insert(std::string(p.at("title").as_string()));
  EXPECT_EQ(titles, (std::set<std::string>{"Chelsea boot", "Classic leather sneaker"}));
  EXPECT_NE(ms[2].text.find("1. "), std::string::npos) << ms[2].text;
  EXPECT_NE(ms[2].text.find("2. "), std::string::npos) << ms[2].text;
}

TEST_P(BotServiceTest, ADiscountCodeIsCheckedAgainstTheCartAndTheReasonTold) {
  import_kb();
  seed_shop();
  cart_of("ct_1", "SOCK-MER-3", 1);  // 24 EUR, under WELCOME10's 50 EUR minimum
  auto [m1, cid] = customer_says("My discount code welcome10 doesn't work");
  auto t = turn(m1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->intent, "discount");
  EXPECT_EQ(t->entry_id, "code:minimum_not_reached");
  auto ms = messages(cid);
  EXPECT_NE(ms[1].text.find("at least €50.00; your cart is at €24.00"), std::string::npos) << ms[1].text;
  EXPECT_NE(ms[1].content_json.find("\"person\""), std::string::npos) << ms[1].content_json;
  // BOOTS15 is for the Chelsea boot only; SUMMER20 expired; an unknown code is called unknown.
  auto [m2, c2] = customer_says("and BOOTS15?");
  auto t3 = turn(m2);  // not a yes: the bot goes on with the message, a code of the shop
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(t3->entry_id, "code:not_applicable_to_products");
  auto [m4, c4] = customer_says("Il codice SUMMER20 non funziona");
  EXPECT_EQ(turn(m4)->entry_id, "code:expired");
  ms = messages(cid);
  EXPECT_NE(ms.back().text.find("è scaduto il 2025-08-31"), std::string::npos) << ms.back().text;
  // Taking the offer of a person hands over, and the summary carries the cart.
  auto [m5, c5] = customer_says("Sì");
  auto t5 = turn(m5);
  ASSERT_TRUE(t5.has_value());
  EXPECT_EQ(t5->outcome, "handed_over");
  std::string note = note_of(cid);
  EXPECT_NE(note.find("Cart: 1 x Merino socks, 3 pairs; total €24.00."), std::string::npos) << note;
  EXPECT_NE(note.find("code:expired"), std::string::npos) << note;
}

TEST_P(BotServiceTest, OrderStatusForTheChannelIdentityThatOwnsTheOrder) {
  import_kb();
  seed_shop();
  auto order = paid_order("ct_1", "BOOT-CHL-40", 1);
  ASSERT_EQ(order.number, 1001);
  auto env_ = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                commerce::OrderPatch patch;
                patch.status = "fulfilled";
                patch.tracking_number = "TRK123";
                patch.carrier = "DHL";
                BOTTEGA_TRY(o, commerce::update_order(tx, env_, "ten_A", order.id, patch));
                (void)o;
                return {};
              }).ok());
  auto [m1, cid] = customer_says("Where is my order?");
  auto t = turn(m1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "answered");
  EXPECT_EQ(t->entry_id, "order:status");
  auto ms = messages(cid);
  EXPECT_NE(ms[1].text.find("Order #1001"), std::string::npos) << ms[1].text;
  EXPECT_NE(ms[1].text.find("shipped on"), std::string::npos) << ms[1].text;
  EXPECT_NE(ms[1].text.find("DHL TRK123"), std::string::npos) << ms[1].text;
}

TEST_P(BotServiceTest, OrderStatusNeedsOrderNumberEmailAndTheEmailedCode) {
  import_kb();
  seed_shop();
  ann_and_a_mail_relay();
  auto order = paid_order("ct_2", "BOOT-CHL-40", 1);  // Ann's order; the chat customer is ct_1
  auto [m1, cid] = customer_says("Where is my order?");
  EXPECT_EQ(turn(m1)->outcome, "asked");
  auto [m2, c2] = customer_says("it's 1001");
  EXPECT_EQ(turn(m2)->outcome, "asked");  // the email is missing: asked once more
  auto [m3, c3] = customer_says("1001 ANN@example.com");
  EXPECT_EQ(turn(m3)->outcome, "asked");
  auto ms = messages(cid);
  EXPECT_NE(ms.back().text.find("6-digit code"), std::string::npos) << ms.back().text;
  EXPECT_EQ(ms.back().text.find("1001"), std::string::npos);  // nothing disclosed yet
  std::string code = run_code_job(cid);
  ASSERT_EQ(code.size(), 6u);
  ASSERT_EQ(mail_.sent.size(), 1u);
  EXPECT_EQ(mail_.sent[0].to, std::vector<std::string>{"ANN@example.com"});
  // Only the code's HMAC is stored.
  BotState st;
  store::read_sync(*store_, [&](Tx& tx) { st = repo::get_state(tx, "ten_A", cid); });
  EXPECT_EQ(st.otp_hash, pipeline::otp::code_hash(st.otp_nonce, code));
  EXPECT_EQ(st.otp_hash.find(code), std::string::npos);
  // A wrong code tells the attempts left; the right one discloses the order.
  std::string wrong = code == "000000" ? "111111" : "000000";
  auto [m4, c4] = customer_says(wrong);
  EXPECT_EQ(turn(m4)->outcome, "asked");
  EXPECT_NE(messages(cid).back().text.find("2 attempts left"), std::string::npos);
  auto [m5, c5] = customer_says(code);
  auto t5 = turn(m5);
  EXPECT_EQ(t5->outcome, "answered");
  EXPECT_EQ(t5->entry_id, "order:status");
  EXPECT_NE(messages(cid).back().text.find("Order #1001"), std::string::npos);
  (void)order;
}

TEST_P(BotServiceTest, AWrongEmailNeverRevealsTheOrderAndThreeWrongCodesHandOver) {
  import_kb();
  seed_shop();
  ann_and_a_mail_relay();
  paid_order("ct_2", "SOCK-MER-3", 1);
  auto [m1, cid] = customer_says("Where is my order?");
  turn(m1);
  auto [m2, c2] = customer_says("1001 eve@example.com");
  EXPECT_EQ(turn(m2)->outcome, "asked");
  std::string same_words = messages(cid).back().text;
  EXPECT_NE(same_words.find("If these details match"), std::string::npos);
  EXPECT_EQ(run_code_job(cid), "");  // no mail for details that match no order
  EXPECT_TRUE(mail_.sent.empty());
  for (int i = 0; i < 2; ++i) {
    auto [m, c] = customer_says("123456");
    EXPECT_EQ(turn(m)->outcome, "asked");
  }
  auto [m5, c5] = customer_says("123456");
  auto t5 = turn(m5);
  EXPECT_EQ(t5->outcome, "handed_over");
  EXPECT_EQ(t5->reason, "verification_failed");
  for (const auto& m : messages(cid))
    if (m.kind != "note") {
      EXPECT_EQ(m.text.find("Merino"), std::string::npos) << m.text;
    }
}

// A mistyped address is corrected while the bot waits for the code: the new details get a code of
// their own, with the same words as any details.
TEST_P(BotServiceTest, NewOrderDetailsWhileWaitingForTheCodeAskForANewCode) {
  import_kb();
  seed_shop();
  ann_and_a_mail_relay();
  paid_order("ct_2", "BOOT-CHL-40", 1);
  auto [m1, cid] = customer_says("Where is my order?");
  turn(m1);
  auto [m2, c2] = customer_says("1001 anne@example.com");  // mistyped: no order, no mail
  EXPECT_EQ(turn(m2)->outcome, "asked");
  std::string words = messages(cid).back().text;
  EXPECT_EQ(run_code_job(cid), "");
  EXPECT_TRUE(mail_.sent.empty());
  auto [m3, c3] = customer_says("sorry: 1001 ann@example.com");
  EXPECT_EQ(turn(m3)->outcome, "asked");
  EXPECT_EQ(messages(cid).back().text, words);
  std::string code = run_code_job(cid);
  ASSERT_EQ(code.size(), 6u);
  ASSERT_EQ(mail_.sent.size(), 1u);
  EXPECT_EQ(mail_.sent[0].to, std::vector<std::string>{"ann@example.com"});
  auto [m4, c4] = customer_says(code);
  EXPECT_EQ(turn(m4)->outcome, "answered");
  EXPECT_NE(messages(cid).back().text.find("Order #1001"), std::string::npos);
}

TEST_P(BotServiceTest, AFourthSetOfOrderDetailsGoesToAPerson) {
  import_kb();
  seed_shop();
  ann_and_a_mail_relay();
  paid_order("ct_2", "BOOT-CHL-40", 1);
  auto [m1, cid] = customer_says("Where is my order?");
  turn(m1);
  for (int i = 0; i < 3; ++i) {
    auto [m, c] = customer_says("1001 nobody" + std::to_string(i) + "@example.com");
    EXPECT_EQ(turn(m)->outcome, "asked") << i;
  }
  auto [m5, c5] = customer_says("1001 ann@example.com");
  auto t5 = turn(m5);
  EXPECT_EQ(t5->outcome, "handed_over");
  EXPECT_EQ(t5->reason, "verification_failed");
  EXPECT_EQ(run_code_job(cid), "");
  EXPECT_TRUE(mail_.sent.empty());  // nothing mailed for the details taken after the limit
}

TEST_P(BotServiceTest, RefundBelowTheLimitIsStartedThroughPaymentsAndAboveGoesToAPerson) {
  import_kb();
  seed_shop();
  bot_settings([](repo::Settings& s) { s.auto_refund_up_to = {{"EUR", 3000}}; });
  auto small = paid_order("ct_1", "SOCK-MER-3", 1);  // 24 EUR
  auto [m1, cid] = customer_says("The socks arrived damaged, I want a refund for order 1001");
  auto t1 = turn(m1);
  ASSERT_TRUE(t1.has_value());
  EXPECT_EQ(t1->outcome, "asked");
  EXPECT_EQ(t1->intent, "refund");
  auto ms = messages(cid);
  EXPECT_EQ(ms[1].kind, "choices");
  EXPECT_NE(ms[1].content_json.find("\"replacement\""), std::string::npos);
  auto [m2, c2] = customer_says("1");  // a refund (numbered text where there are no buttons)
  auto t2 = turn(m2);
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->outcome, "answered");
  EXPECT_EQ(t2->entry_id, "refund:automatic");
  EXPECT_NE(messages(cid).back().text.find("refund of €24.00"), std::string::npos) << messages(cid).back().text;
  // The refund is the payments area's own: reserved in its ledger, queued for the provider.
  std::vector<payments::Refund> refunds;
  store::read_sync(*store_, [&](Tx& tx) { refunds = payments::db::list_refunds(tx, "ten_A", *small.payment_ref); });
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].amount, 2400);
  EXPECT_EQ(refunds[0].status, "processing");
  EXPECT_EQ(refunds[0].requested_by, "token:bot");
  // Over the limit: the request goes to a person with the summary.
  auto big = paid_order("ct_1", "BOOT-CHL-40", 1);  // 189 EUR
  auto [m3, c3] = customer_says("My boots are broken, I need a refund for order 1002");
  auto t3 = turn(m3);
  ASSERT_EQ(t3->outcome, "asked");
  auto [m4, c4] = customer_says("refund");
  auto t4 = turn(m4);
  EXPECT_EQ(t4->outcome, "handed_over");
  EXPECT_EQ(t4->reason, "refund_request");
  std::string note = note_of(cid);
  EXPECT_NE(note.find("Order: #1002"), std::string::npos) << note;
  EXPECT_NE(note.find("refund of order #1002"), std::string::npos) << note;
  store::read_sync(*store_, [&](Tx& tx) { refunds = payments::db::list_refunds(tx, "ten_A", *big.payment_ref); });
  EXPECT_TRUE(refunds.empty());
}

TEST_P(BotServiceTest, ACartAboveTheThresholdGoesToAPersonWithTheCartInTheSummary) {
  import_kb();
  seed_shop();
  bot_settings([](repo::Settings& s) { s.cart_handoff_over = {{"EUR", 30000}}; });
  cart_of("ct_1", "BOOT-CHL-40", 2);  // 378 EUR
  auto [m1, cid] = customer_says("Do you ship to Belgium?");
  auto t = turn(m1);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->outcome, "handed_over");
  EXPECT_EQ(t->reason, "cart_value");
  std::string note = note_of(cid);
  EXPECT_NE(note.find("Cart: 2 x Chelsea boot - EU 40; total €378.00."), std::string::npos) << note;
  EXPECT_NE(note.find("Intent: presale"), std::string::npos) << note;
  std::optional<Conversation> conv;
  store::read_sync(*store_, [&](Tx& tx) { conv = core_repo::get_conversation(tx, "ten_A", cid); });
  EXPECT_NE(std::find(conv->tags.begin(), conv->tags.end(), "bot-handover"), conv->tags.end());
}

}  // namespace
}  // namespace bottega::bot
