// Windows in the store: a provider batch records the customer's time (the provider's timestamp,
// never later than receipt), the later of two is kept, and the window of a conversation follows
// an injected clock, with the channel's templates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "pipeline/services.hpp"
#include "pipeline/window.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::window {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kHour = 3600 * 1000;

// A fresh SQLite store in its own temp directory, with tenant ten_A and `channel`.
struct TempStore {
  fs::path dir;
  std::unique_ptr<store::Store> st;
  TempStore(const std::string& name, const Channel& channel) {
    dir = fs::temp_directory_path() / ("bottega_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto opened = store::open_store("sqlite://" + (dir / "w.db").string(), {}, true);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    st = std::move(opened).value();
    EXPECT_TRUE(store::write_sync(*st, [&](store::Tx& tx) -> Status {
                  repo::create_tenant(tx, "ten_A", "Shop", 1);
                  repo::create_channel(tx, channel);
                  return {};
                }).ok());
  }
  ~TempStore() {
    st->close();
    fs::remove_all(dir);
  }
};

TEST(WindowStore, ProviderTimestampsOpenAndCloseTheWindow) {
  ManualClock clock{1'700'000'000'000};
  RandomIdGenerator ids{clock};
  Env env{clock, ids, {}, {}};
  Channel wa{"ch_wa", "ten_A", "whatsapp", "WA",
             R"({"phone_number_id":"1","access_token":"t","app_secret":"s","verify_token":"v",
                 "templates":[{"name":"order_update","language":"en_US","parameters":1}]})", 1};
  TempStore temp("window", wa);
  ASSERT_FALSE(HasFailure());
  auto& st = temp.st;
  auto ingest = [&](const std::string& id, int64_t ts) {
    InboundBatch b;
    InboundMessage m;
    m.provider_message_id = id;
    m.contact_external_id = "16505551234";
    m.timestamp_ms = ts;
    m.text = "hi";
    b.messages.push_back(m);
    return store::write_sync(*st, [&](store::Tx& tx) -> Status {
      auto r = ingest_provider_batch(tx, env, wa, b);
      if (!r) return r.error();
      return {};
    });
  };
  // Sent 30 hours ago (a late delivery): the window is already closed.
  ASSERT_TRUE(ingest("wamid.1", clock.now_ms() - 30 * kHour).ok());
  Conversation conv;
  store::read_sync(*st, [&](store::Tx& tx) {
    conv = repo::list_conversations(tx, "ten_A", {}).items.at(0);
    auto w = for_conversation(tx, conv, clock.now_ms());
    EXPECT_FALSE(w.state.open);
    ASSERT_EQ(w.templates.size(), 1u);
    EXPECT_EQ(w.templates[0].name, "order_update");
  });
  // A newer message opens it; an older one delivered afterwards does not move it back; a
  // timestamp in the future counts as the time of receipt.
  ASSERT_TRUE(ingest("wamid.2", clock.now_ms() - kHour).ok());
  ASSERT_TRUE(ingest("wamid.3", clock.now_ms() - 40 * kHour).ok());
  store::read_sync(*st, [&](store::Tx& tx) {
    EXPECT_EQ(*last_inbound(tx, "ten_A", conv.id), clock.now_ms() - kHour);
    EXPECT_TRUE(for_conversation(tx, conv, clock.now_ms()).state.open);
    EXPECT_FALSE(for_conversation(tx, conv, clock.now_ms() + 23 * kHour).state.open);
  });
  ASSERT_TRUE(ingest("wamid.4", clock.now_ms() + 10 * kHour).ok());
  store::read_sync(*st, [&](store::Tx& tx) { EXPECT_EQ(*last_inbound(tx, "ten_A", conv.id), clock.now_ms()); });
}

TEST(WindowStore, RepliesAreCountedFromTheCustomersLastMessageNotFromEvents) {
  ManualClock clock{1'700'000'000'000};
  RandomIdGenerator ids{clock};
  Env env{clock, ids, {}, {}};
  Channel wc{"ch_wc", "ten_A", "wechat", "WeChat", "{}", 1};
  TempStore temp("window_replies", wc);
  ASSERT_FALSE(HasFailure());
  auto& st = temp.st;
  std::string conv;
  auto customer = [&](const std::string& id) {
    InboundBatch b;
    InboundMessage m;
    m.provider_message_id = id;
    m.contact_external_id = "oOpenId1";
    m.text = "hi";
    m.opens_window = id.rfind("evt:", 0) != 0;
    b.messages.push_back(m);
    ASSERT_TRUE(store::write_sync(*st, [&](store::Tx& tx) -> Status {
                  BOTTEGA_TRY(r, ingest_provider_batch(tx, env, wc, b));
                  (void)r;
                  conv = repo::list_conversations(tx, "ten_A", {}).items.at(0).id;
                  return {};
                }).ok());
  };
  auto reply = [&](const std::string& state, const std::string& kind = "text") {
    Message m;
    m.id = ids.next("msg");
    m.tenant_id = "ten_A";
    m.conversation_id = conv;
    m.direction = "out";
    m.author_kind = "agent";
    m.kind = kind;
    m.text = "answer";
    m.content_json = "{}";
    m.delivery_state = state;
    m.created_at = clock.now_ms();
    EXPECT_TRUE(store::write_sync(*st, [&](store::Tx& tx) -> Status {
                  repo::insert_message(tx, m);
                  return {};
                }).ok());
    return m.id;
  };
  auto count = [&](const std::string& except) {
    int64_t n = -1;
    store::read_sync(*st, [&](store::Tx& tx) { n = replies_since_customer_message(tx, "ten_A", conv, except); });
    return n;
  };
  customer("m1");
  EXPECT_EQ(count(""), 0);
  reply("sent");
  reply("read");
  reply("failed");   // never reached the customer: not counted
  std::string pending = reply("pending");
  EXPECT_EQ(count(pending), 2);
  customer("evt:oOpenId1:1700000000");  // a menu click is not a customer message
  reply("delivered");
  EXPECT_EQ(count(pending), 3);
  customer("m2");  // the same second as the replies: counted by store order, not by time
  EXPECT_EQ(count(pending), 0);
  reply("sent");
  EXPECT_EQ(count(pending), 1);
  // A message sent in parts (a text, then images) counts each part the provider accepted, also
  // when a later part failed it.
  auto parts = [&](const std::string& message, int n) {
    static constexpr store::Stmt kPart{"test.part", "INSERT INTO message_send_parts(tenant_id, message_id, part, "
                                                    "provider_message_id, accepted_at) VALUES ($1, $2, $3, $4, 1)"};
    ASSERT_TRUE(store::write_sync(*st, [&](store::Tx& tx) -> Status {
                  for (int k = 1; k <= n; ++k) tx.exec(kPart, {"ten_A", message, int64_t{k}, "p" + std::to_string(k)});
                  return {};
                }).ok());
  };
  parts(reply("sent"), 3);
  EXPECT_EQ(count(pending), 4);
  parts(reply("failed"), 2);  // part 3 of 3 refused: two reached the customer
  EXPECT_EQ(count(pending), 6);
  reply("sent", "template");  // a template message is not a customer-service reply
  reply("delivered", "note");
  EXPECT_EQ(count(pending), 6);
  EXPECT_EQ(channels::replies_per_inbound("wechat"), 5);
  EXPECT_EQ(channels::replies_per_inbound("whatsapp"), 0);
}

}  // namespace
}  // namespace bottega::pipeline::window
