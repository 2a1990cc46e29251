// The email channel against a real store (SQLite): address routes, threading of received mail
// (In-Reply-To / References, then the +token, else a new conversation with the subject),
// deduplication by Message-ID, automated mail kept but flagged, and the email.send job's
// threading headers through a fake relay.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <condition_variable>
#include <mutex>

#include "pipeline/email.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::email {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;
namespace em = channels::email;
using store::Tx;

struct FakeRelay : MailClient {
  std::mutex mu;
  std::vector<MailRequest> sent;
  Result<std::string> answer = std::string("250 2.0.0 queued");
  void send(MailRequest req, std::function<void(Result<std::string>)> done) override {
    Result<std::string> a = answer;
    {
      std::lock_guard lk(mu);
      sent.push_back(std::move(req));
    }
    done(a);
  }
};

// A job outcome reported from a store thread.
struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<JobOutcome> value;
  std::function<void(JobOutcome)> callback() {
    return [this](JobOutcome o) {
      std::lock_guard lk(mu);
      value = std::move(o);
      cv.notify_all();
    };
  }
  std::optional<JobOutcome> wait() {
    std::unique_lock lk(mu);
    cv.wait_for(lk, std::chrono::seconds(10), [&] { return value.has_value(); });
    auto v = value;
    value.reset();
    return v;
  }
};

class EmailPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("bottega_email_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "e.db").string(), {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::create_tenant(tx, "ten_A", "Shop", 1);
                  repo::create_tenant(tx, "ten_B", "Other", 1);
                  repo::create_channel(tx, channel_);
                  repo::create_channel(tx, other_);
                  BOTTEGA_TRY_STATUS(add_routes(tx, "ten_A", "ch_mail", {"support@shop.example", "help@shop.example"}, 1));
                  return add_routes(tx, "ten_B", "ch_other", {"hello@other.example"}, 1);
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    fs::remove_all(dir_);
  }
  Env env() { return Env{clock_, ids_, {}, {}}; }

  Result<MailOutcome> receive(const std::string& raw, std::vector<std::string> rcpts = {"support@shop.example"}) {
    auto parsed = em::parse_mail(raw);
    if (!parsed) return parsed.error();
    Result<MailOutcome> out = Error::internal("unset");
    auto e = env();
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      out = ingest_mail(tx, e, rcpts, *parsed, raw);
      if (!out) return out.error();
      return {};
    });
    if (!st) return st.error();
    return out;
  }
  std::vector<Conversation> conversations(const std::string& tenant = "ten_A") {
    std::vector<Conversation> out;
    store::read_sync(*store_, [&](Tx& tx) {
      repo::ConversationFilter f;
      out = repo::list_conversations(tx, tenant, f).items;
    });
    return out;
  }
  std::vector<Message> messages(const std::string& conv) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) { out = repo::list_messages(tx, "ten_A", conv, std::nullopt, 100, true).items; });
    return out;
  }

  fs::path dir_;
  ManualClock clock_{1'700'000'000'000};
  RandomIdGenerator ids_{clock_};
  Metrics metrics_;
  Channel channel_{"ch_mail", "ten_A", "email", "Support",
                   R"({"address":"support@shop.example","aliases":["help@shop.example"],"smtp_host":"relay.example"})", 1};
  Channel other_{"ch_other", "ten_B", "email", "Other", R"({"address":"hello@other.example"})", 1};
  std::unique_ptr<store::Store> store_;
};

std::string mail(const std::string& id, const std::string& subject, const std::string& body,
                 const std::string& extra = "", const std::string& from = "Ana <ana@customer.example>") {
  return "From: " + from + "\r\nTo: support@shop.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\n" + extra + "\r\n" + body + "\r\n";
}

TEST_F(EmailPipeline, RoutesAreUniqueAndIgnorePlusAndCase) {
  store::read_sync(*store_, [&](Tx& tx) {
    auto r = find_route(tx, "Support+cnv_x@SHOP.example");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->channel_id, "ch_mail");
    EXPECT_FALSE(find_route(tx, "nobody@shop.example"));
  });
  auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
    return add_routes(tx, "ten_B", "ch_x", {"support@shop.example"}, 2);
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "address_taken");
}

TEST_F(EmailPipeline, NewMailOpensAConversationWithItsSubjectAndDeduplicates) {
  auto r = receive(mail("m1@customer.example", "Size of the Chelsea boot",
                        "Do you have size 42?\r\n\r\nOn Mon, Shop wrote:\r\n> old"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stored, 1);
  auto again = receive(mail("m1@customer.example", "Size of the Chelsea boot", "Do you have size 42?"),
                       {"support@shop.example", "help@shop.example"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(again->stored, 0);
  auto convs = conversations();
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(convs[0].subject.value_or(""), "Size of the Chelsea boot");
  EXPECT_EQ(convs[0].contact_name, "Ana");
  auto msgs = messages(convs[0].id);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].text, "Do you have size 42?");
  EXPECT_EQ(msgs[0].provider_message_id.value_or(""), "m1@customer.example");
  // Another tenant's address gets nothing of it; unknown recipients are counted.
  EXPECT_TRUE(conversations("ten_B").empty());
  auto unrouted = receive(mail("m9@customer.example", "x", "y"), {"nobody@shop.example"});
  ASSERT_TRUE(unrouted.ok());
  EXPECT_EQ(unrouted->unrouted, 1);
}

TEST_F(EmailPipeline, RepliesThreadByHeadersThenByToken) {
  ASSERT_TRUE(receive(mail("m1@c.example", "Order 7", "Where is it?")).ok());
  auto conv = conversations().at(0);
  // A second, unrelated mail from the same person is a new conversation (email threads).
  ASSERT_TRUE(receive(mail("m2@c.example", "Another question", "Hi")).ok());
  ASSERT_EQ(conversations().size(), 2u);
  // In-Reply-To names the first message: same conversation even after it was resolved.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                auto c = repo::get_conversation(tx, "ten_A", conv.id);
                c->status = ConversationStatus::resolved;
                repo::update_conversation(tx, *c);
                return {};
              }).ok());
  ASSERT_TRUE(receive(mail("m3@c.example", "Re: Order 7", "Any news?", "In-Reply-To: <m1@c.example>\r\n")).ok());
  EXPECT_EQ(messages(conv.id).size(), 2u);
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_EQ(repo::get_conversation(tx, "ten_A", conv.id)->status, ConversationStatus::open);
  });
  // References only (some clients drop In-Reply-To).
  ASSERT_TRUE(receive(mail("m4@c.example", "Re: Order 7", "Hello?", "References: <zz@x> <m3@c.example>\r\n")).ok());
  EXPECT_EQ(messages(conv.id).size(), 3u);
  // No known id, but the +token names the conversation.
  ASSERT_TRUE(receive(mail("m5@c.example", "fwd", "token", ""), {"support+" + conv.id + "@shop.example"}).ok());
  EXPECT_EQ(messages(conv.id).size(), 4u);
  // A token of another channel's conversation does not thread: a new conversation.
  ASSERT_TRUE(receive(mail("m6@c.example", "x", "y"), {"support+cnv_nope@shop.example"}).ok());
  EXPECT_EQ(conversations().size(), 3u);
}

TEST_F(EmailPipeline, AutomatedMailIsStoredAndFlagged) {
  ASSERT_TRUE(receive(mail("auto1@c.example", "Out of office", "I am away", "Auto-Submitted: auto-replied\r\n")).ok());
  ASSERT_TRUE(receive(mail("news1@list.example", "Newsletter", "Sale!", "List-Id: <news.list.example>\r\n")).ok());
  auto convs = conversations();
  ASSERT_EQ(convs.size(), 2u);
  for (const auto& c : convs) {
    auto msgs = messages(c.id);
    ASSERT_EQ(msgs.size(), 1u);
    auto content = bj::parse(msgs[0].content_json).as_object();
    EXPECT_TRUE(content.at("no_auto_reply").as_bool());
    EXPECT_FALSE(content.at("automated").as_string().empty());
  }
}

TEST_F(EmailPipeline, MailWithoutSenderIsRefused) {
  auto r = receive("Subject: x\r\n\r\nbody");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "no_sender");
}

TEST_F(EmailPipeline, ReplyJobSendsThreadingHeadersAndRecordsOurMessageId) {
  ASSERT_TRUE(receive(mail("m1@c.example", "Order 7", "Where is it?", "References: <root@c.example>\r\n")).ok());
  auto conv = conversations().at(0);
  Message out;
  auto e = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                Principal p;
                p.tenant_id = "ten_A";
                p.token_id = "tok_1";
                p.role = Role::admin;
                ReplyInput in;
                in.text = "It ships today.";
                auto m = agent_reply(tx, e, p, conv.id, in);
                if (!m) return m.error();
                out = *m;
                return {};
              }).ok());
  std::optional<repo::Job> job;
  store::read_sync(*store_, [&](Tx& tx) { job = repo::get_job(tx, "ten_A", "email.send", out.id); });
  ASSERT_TRUE(job) << "an email reply is queued as an email.send job";
  FakeRelay relay;
  EmailSender sender(*store_, relay, env(), metrics_, "mx.shop.example");
  Outcome done;
  sender.run(*job, done.callback());
  auto outcome = done.wait();
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->ok) << outcome->error;
  ASSERT_EQ(relay.sent.size(), 1u);
  const auto& req = relay.sent[0];
  EXPECT_EQ(req.host, "relay.example");
  EXPECT_EQ(req.from, "support@shop.example");
  ASSERT_EQ(req.to.size(), 1u);
  EXPECT_EQ(req.to[0], "ana@customer.example");
  auto sent = em::parse_mail(req.data);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->subject, "Re: Order 7");
  ASSERT_EQ(sent->in_reply_to.size(), 1u);
  EXPECT_EQ(sent->in_reply_to[0], "m1@c.example");
  EXPECT_EQ(sent->references, (std::vector<std::string>{"root@c.example", "m1@c.example"}));
  EXPECT_EQ(sent->message_id, out.id + "." + conv.id + "@shop.example");
  EXPECT_EQ(sent->text, "It ships today.\n");
  store::read_sync(*store_, [&](Tx& tx) {
    auto m = repo::get_message(tx, "ten_A", out.id);
    EXPECT_EQ(m->delivery_state, "sent");
    EXPECT_EQ(m->provider_message_id.value_or(""), sent->message_id);
  });
  // The customer's answer to our reply threads by In-Reply-To = our Message-ID.
  ASSERT_TRUE(receive(mail("m2@c.example", "Re: Order 7", "Thanks", "In-Reply-To: <" + sent->message_id + ">\r\n")).ok());
  EXPECT_EQ(conversations().size(), 1u);
  EXPECT_EQ(messages(conv.id).size(), 3u);
}

TEST_F(EmailPipeline, PermanentRelayRefusalFailsTheMessage) {
  ASSERT_TRUE(receive(mail("m1@c.example", "Order 7", "Where is it?")).ok());
  auto conv = conversations().at(0);
  Message out;
  auto e = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                Principal p;
                p.tenant_id = "ten_A";
                p.token_id = "tok_1";
                p.role = Role::admin;
                ReplyInput in;
                in.text = "x";
                out = *agent_reply(tx, e, p, conv.id, in);
                return {};
              }).ok());
  std::optional<repo::Job> job;
  store::read_sync(*store_, [&](Tx& tx) { job = repo::get_job(tx, "ten_A", "email.send", out.id); });
  ASSERT_TRUE(job);
  FakeRelay relay;
  relay.answer = Error{Errc::unprocessable, "smtp_rejected", "550 no such user", {}};
  EmailSender sender(*store_, relay, env(), metrics_, "mx");
  Outcome done;
  sender.run(*job, done.callback());
  auto outcome = done.wait();
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->permanent);
  store::read_sync(*store_, [&](Tx& tx) {
    auto m = repo::get_message(tx, "ten_A", out.id);
    EXPECT_EQ(m->delivery_state, "failed");
    EXPECT_NE(m->delivery_error.value_or("").find("550"), std::string::npos);
  });
  // A transient failure is retried (not permanent) and leaves the message pending.
  relay.answer = Error{Errc::unavailable, "connect_failed", "refused", {}};
  sender.run(*job, done.callback());
  outcome = done.wait();
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(outcome->permanent);
}

}  // namespace
}  // namespace bottega::pipeline::email
