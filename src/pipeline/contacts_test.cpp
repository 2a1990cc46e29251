// Contact merge against a real store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is set):
// every reference moves in one transaction, tenant-scoped; conversations keep their channel and a
// reply still addresses that channel's identity; refusals change nothing.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>

#include <future>

#include "core/crypto.hpp"
#include "pipeline/contacts.hpp"
#include "pipeline/email_verification.hpp"
#include "pipeline/one_time_code.hpp"
#include "pipeline/optout.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {
namespace {

namespace fs = std::filesystem;
using store::Stmt;
using store::Tx;


class ContactMergeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_merge");
    if (IsSkipped() || HasFatalFailure()) return;
    url_ = place_.url();
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    Env e = env();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  for (const char* t : {"ten_A", "ten_B"}) repo::create_tenant(tx, t, t, 1);
                  repo::create_channel(tx, wa_);
                  repo::create_channel(tx, tg_);
                  repo::create_channel(tx, other_wa_);
                  repo::create_contact(tx, "ten_A", "ct_wa", "Ann", std::nullopt, 1);
                  repo::create_contact(tx, "ten_A", "ct_tg", "", std::string("ann@example.com"), 1);
                  repo::create_contact(tx, "ten_B", "ct_other", "Bob", std::nullopt, 1);
                  repo::create_identity(tx, "ten_A", "ch_wa", "31612345678", "ct_wa", 1);
                  repo::create_identity(tx, "ten_A", "ch_tg", "4242", "ct_tg", 1);
                  repo::create_identity(tx, "ten_B", "ch_owa", "31699999999", "ct_other", 1);
                  for (auto [ch, ct] : {std::pair{wa_, "ct_wa"}, std::pair{tg_, "ct_tg"}}) {
                    auto r = ingest_contact_message(tx, e, "ten_A", ch, ct, "hi on " + ch.type, std::nullopt);
                    if (!r.ok()) return r.error();
                    conv_[ch.id] = r->conversation.id;
                  }
                  auto r = ingest_contact_message(tx, e, "ten_B", other_wa_, "ct_other", "hi", std::nullopt);
                  if (!r.ok()) return r.error();
                  // Commerce, payments, credit and reports rows of the contact that goes away.
                  exec(tx, "INSERT INTO carts (id, tenant_id, contact_id, currency, status, source, created_at, updated_at) "
                           "VALUES ('cart_1','ten_A','ct_tg','EUR','open','chat',1,1)");
                  exec(tx, "INSERT INTO csat_surveys (tenant_id, conversation_id, contact_id, channel_id, message_id, sent_at) "
                           "VALUES ('ten_A','cv_x','ct_tg','ch_tg','msg_x',1)");
                  exec(tx, "INSERT INTO ledger_postings (tenant_id, transaction_id, account, currency, amount, created_at) "
                           "VALUES ('ten_A','lt_1','credit:ct_tg','EUR',-500,1)");
                  exec(tx, "INSERT INTO ledger_balances (tenant_id, account, currency, balance, updated_at) "
                           "VALUES ('ten_A','credit:ct_tg','EUR',-500,1), ('ten_A','credit:ct_wa','EUR',-200,1), "
                           "('ten_A','credit:ct_tg','USD',-100,1)");
                  exec(tx, "INSERT INTO rpt_contacts (tenant_id, contact_id, last_activity_at) "
                           "VALUES ('ten_A','ct_tg',900), ('ten_A','ct_wa',500)");
                  return {};
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  static void exec(Tx& tx, const char* sql) { tx.exec(Stmt{sql, sql}, {}); }  // string literals: live for the whole run
  Env env() { return Env{clock_, ids_, {}, {}}; }
  Result<MergeOutcome> merge(const std::string& tenant, const std::string& keep, const std::string& from) {
    Env e = env();
    std::optional<Result<MergeOutcome>> out;
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      out.emplace(merge_contacts(tx, e, tenant, keep, from));
      if (!out->ok()) return out->error();
      return {};
    });
    return std::move(*out);
  }
  int64_t count(const std::string& sql) {
    int64_t n = -1;
    // The store caches prepared statements by the address of their name: keep each text alive.
    const char* text = sql_texts_.insert(sql).first->c_str();
    store::read_sync(*store_, [&](Tx& tx) { n = tx.query_one(Stmt{text, text}, {})->i64(0); });
    return n;
  }
  Result<ContactView> get(const std::string& tenant, const std::string& id) {
    std::optional<Result<ContactView>> out;
    store::read_sync(*store_, [&](Tx& tx) { out.emplace(get_contact(tx, tenant, id)); });
    return std::move(*out);
  }

  store::ScratchStore place_;
  std::string url_;
  ManualClock clock_{1'700'000'000'000};
  RandomIdGenerator ids_{clock_};
  Channel wa_{"ch_wa", "ten_A", "whatsapp", "WhatsApp", "{}", 1};
  Channel tg_{"ch_tg", "ten_A", "telegram", "Telegram", "{}", 1};
  Channel other_wa_{"ch_owa", "ten_B", "whatsapp", "WhatsApp", "{}", 1};
  std::map<std::string, std::string> conv_;
  std::set<std::string> sql_texts_;
  std::unique_ptr<store::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, ContactMergeTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ContactMergeTest, GetShowsIdentitiesWithChannelType) {
  auto c = get("ten_A", "ct_wa");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->identities.size(), 1u);
  EXPECT_EQ(c->identities[0].channel_type, "whatsapp");
  EXPECT_EQ(c->identities[0].external_id, "31612345678");
  EXPECT_EQ(get("ten_B", "ct_wa").error().code, "not_found");
}

TEST_P(ContactMergeTest, MovesEverythingAndKeepsEachConversationsChannel) {
  int64_t events_before = count("SELECT COUNT(*) FROM events");
  auto m = merge("ten_A", "ct_wa", "ct_tg");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->identities_moved, 1);
  EXPECT_EQ(m->conversations_moved, 1);
  EXPECT_EQ(m->contact.name, "Ann");                       // kept name
  EXPECT_EQ(m->contact.email.value_or(""), "ann@example.com");  // taken where the kept had none
  std::set<std::string> types;
  for (const auto& i : m->contact.identities) types.insert(i.channel_type);
  EXPECT_EQ(types, (std::set<std::string>{"whatsapp", "telegram"}));

  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_identities WHERE contact_id = 'ct_tg'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = 'ct_wa'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = 'ct_wa' AND channel_id = 'ch_tg'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM carts WHERE contact_id = 'ct_wa'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM csat_surveys WHERE contact_id = 'ct_wa'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_postings WHERE account = 'credit:ct_wa'"), 1);
  EXPECT_EQ(count("SELECT balance FROM ledger_balances WHERE account = 'credit:ct_wa' AND currency = 'EUR'"), -700);
  EXPECT_EQ(count("SELECT balance FROM ledger_balances WHERE account = 'credit:ct_wa' AND currency = 'USD'"), -100);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_balances WHERE account = 'credit:ct_tg'"), 0);
  EXPECT_EQ(count("SELECT last_activity_at FROM rpt_contacts WHERE contact_id = 'ct_wa'"), 900);
  EXPECT_EQ(count("SELECT COUNT(*) FROM rpt_contacts WHERE contact_id = 'ct_tg'"), 0);
  // Another tenant's rows are untouched.
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE tenant_id = 'ten_B' AND contact_id = 'ct_other'"), 1);
  // contact.updated, contact.merged and one conversation.updated.
  EXPECT_EQ(count("SELECT COUNT(*) FROM events") - events_before, 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE type = 'contact.merged' AND contact_id = 'ct_tg'"), 1);

  // A reply on each conversation addresses its own channel's identity.
  store::read_sync(*store_, [&](Tx& tx) {
    for (const auto& [ch, ext] : {std::pair{"ch_wa", "31612345678"}, std::pair{"ch_tg", "4242"}}) {
      auto conv = repo::get_conversation(tx, "ten_A", conv_[ch]);
      ASSERT_TRUE(conv);
      EXPECT_EQ(conv->channel_id, ch);
      EXPECT_EQ(repo::external_id_of(tx, "ten_A", conv->channel_id, conv->contact_id).value_or(""), ext);
    }
  });
  // The removed contact answers contact_merged; merging it again is refused.
  auto gone = get("ten_A", "ct_tg");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "contact_merged");
  EXPECT_EQ(merge("ten_A", "ct_wa", "ct_tg").error().code, "contact_merged");
  EXPECT_EQ(merge("ten_A", "ct_tg", "ct_wa").error().code, "contact_merged");
}

TEST_P(ContactMergeTest, RefusalsChangeNothing) {
  int64_t events_before = count("SELECT COUNT(*) FROM events");
  auto same = merge("ten_A", "ct_wa", "ct_wa");
  EXPECT_EQ(same.error().field, "from_contact_id");
  EXPECT_EQ(merge("ten_A", "ct_wa", "ct_other").error().errc, Errc::not_found);   // other tenant
  EXPECT_EQ(merge("ten_B", "ct_other", "ct_wa").error().errc, Errc::not_found);   // other tenant
  EXPECT_EQ(merge("ten_A", "ct_nope", "ct_wa").error().errc, Errc::not_found);
  // Two identities on one channel: a reply could not tell which to address.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_contact(tx, "ten_A", "ct_wa2", "Ann too", std::nullopt, 1);
                repo::create_identity(tx, "ten_A", "ch_wa", "31600000000", "ct_wa2", 1);
                return {};
              }).ok());
  auto clash = merge("ten_A", "ct_wa", "ct_wa2");
  EXPECT_EQ(clash.error().code, "identity_conflict");
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_identities WHERE contact_id = 'ct_wa2'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts WHERE merged_into IS NOT NULL"), 0);
  // A web chat visitor: its stream is per contact, so it is not merged.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_visitor(tx, "hash_1", repo::Visitor{"vis_1", "ten_A", "ch_web", "ct_tg"}, 1);
                return {};
              }).ok());
  EXPECT_EQ(merge("ten_A", "ct_wa", "ct_tg").error().code, "visitor_merge_unsupported");
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts WHERE merged_into IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), events_before);
}

TEST_P(ContactMergeTest, OptedOutOnEitherContactIsOptedOutAfterTheMerge) {
  auto state = [&](const std::string& tenant, const std::string& id) {
    std::optional<OptOut> o;
    store::read_sync(*store_, [&](Tx& tx) { o = get_opt_out(tx, tenant, id); });
    return o;
  };
  // The contact that goes away wrote STOP on Telegram; the kept one never opted out.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                Env e = env();
                auto r = ingest_contact_message(tx, e, "ten_A", tg_, "ct_tg", "STOP", std::nullopt);
                if (!r) return std::move(r).error();
                return {};
              }).ok());
  ASSERT_TRUE(state("ten_A", "ct_tg").has_value());
  ASSERT_FALSE(state("ten_A", "ct_wa").has_value());
  ASSERT_TRUE(merge("ten_A", "ct_wa", "ct_tg").ok());
  auto kept = state("ten_A", "ct_wa");
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->opted_out);
  EXPECT_EQ(kept->source, "customer");
  EXPECT_EQ(kept->keyword.value_or(""), "stop");
  // Another tenant's contact is untouched.
  EXPECT_FALSE(state("ten_B", "ct_other").has_value());
}

TEST_P(ContactMergeTest, TheKeptContactsOptOutStaysWhenTheOtherNeverOptedOut) {
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                set_opt_out(tx, "ten_A", "ct_wa", true, "agent", std::nullopt, 5);
                set_opt_out(tx, "ten_A", "ct_tg", false, "customer", std::string("start"), 6);  // opted back in
                return {};
              }).ok());
  ASSERT_TRUE(merge("ten_A", "ct_wa", "ct_tg").ok());
  std::optional<OptOut> kept;
  store::read_sync(*store_, [&](Tx& tx) { kept = get_opt_out(tx, "ten_A", "ct_wa"); });
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->opted_out);
  EXPECT_EQ(kept->source, "agent");
}

TEST(VerifiedPhone, OnlyProviderVerifiedNumbers) {
  EXPECT_EQ(verified_phone("whatsapp", "31612345678").value_or(""), "31612345678");
  EXPECT_EQ(verified_phone("twilio", "+31612345678").value_or(""), "31612345678");
  EXPECT_EQ(verified_phone("twilio", "whatsapp:+31612345678").value_or(""), "31612345678");
  EXPECT_FALSE(verified_phone("twilio", "31612345678"));   // Twilio senders carry the +
  EXPECT_FALSE(verified_phone("whatsapp", "+31612345678"));
  EXPECT_FALSE(verified_phone("telegram", "31612345678"));  // a chat id, not a phone
  EXPECT_FALSE(verified_phone("email", "31612345678"));
  EXPECT_FALSE(verified_phone("twilio", "+1234567"));       // too short
  EXPECT_FALSE(verified_phone("twilio", "+3161234567890123"));
  EXPECT_FALSE(verified_phone("twilio", "+3161234x678"));
}

TEST_P(ContactMergeTest, ANewIdentityWithAVerifiedPhoneJoinsThatContact) {
  Channel sms{"ch_sms", "ten_A", "twilio", "SMS", "{}", 1};
  Channel tg2{"ch_tg2", "ten_A", "telegram", "Telegram 2", "{}", 1};
  auto send = [&](const Channel& ch, const std::string& from) -> std::string {
    InboundBatch b;
    InboundMessage m;
    m.provider_message_id = "pm_" + from + "_" + ch.id;
    m.contact_external_id = from;
    m.text = "hello";
    b.messages.push_back(m);
    Env e = env();
    std::string contact;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = ingest_provider_batch(tx, e, ch, b);
                  if (!r.ok()) return r.error();
                  contact = repo::find_identity(tx, ch.tenant_id, ch.id, from).value_or("");
                  return {};
                }).ok());
    return contact;
  };
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_channel(tx, sms);
                repo::create_channel(tx, tg2);
                return {};
              }).ok());
  int64_t contacts_before = count("SELECT COUNT(*) FROM contacts");
  // The SMS sender is the WhatsApp customer's verified number: same contact, its own identity.
  EXPECT_EQ(send(sms, "+31612345678"), "ct_wa");
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts"), contacts_before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_identities WHERE contact_id = 'ct_wa'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE type = 'contact.updated' AND contact_id = 'ct_wa'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = 'ct_wa' AND channel_id = 'ch_sms'"), 1);
  // Not verified phones (a Telegram chat id that looks like one), other numbers, another shop's
  // number: contacts of their own.
  std::string tg = send(tg2, "31612345678");
  EXPECT_NE(tg, "ct_wa");
  EXPECT_NE(send(sms, "+31600000001"), "ct_wa");
  std::string other_shop = send(sms, "+31699999999");
  EXPECT_NE(other_shop, "ct_other");
  EXPECT_FALSE(other_shop.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts"), contacts_before + 3);
  // Two contacts with that number: ambiguous, so a new contact.
  Channel wa2{"ch_wa2", "ten_A", "whatsapp", "WhatsApp 2", "{}", 1};
  Channel sms2{"ch_sms2", "ten_A", "twilio", "SMS 2", "{}", 1};
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                repo::create_channel(tx, wa2);
                repo::create_channel(tx, sms2);
                repo::create_contact(tx, "ten_A", "ct_dup", "Dup", std::nullopt, 1);
                repo::create_identity(tx, "ten_A", "ch_wa2", "31655555555", "ct_dup", 1);
                repo::create_contact(tx, "ten_A", "ct_dup2", "Dup 2", std::nullopt, 1);
                repo::create_identity(tx, "ten_A", "ch_sms", "+31655555555", "ct_dup2", 1);
                return {};
              }).ok());
  std::string amb = send(sms2, "+31655555555");
  EXPECT_NE(amb, "ct_dup");
  EXPECT_NE(amb, "ct_dup2");
}


TEST(VerifiedEmail, NormalizesOneAddress) {
  EXPECT_EQ(normalize_email(" Ann.Lee+shop@Example.COM "), "ann.lee+shop@example.com");
  for (const char* bad : {"", "ann", "@example.com", "ann@", "a@b@c", "ann lee@example.com", "<ann@example.com>",
                          "ann@example.com, bob@example.com", "ann@.example.com", "ann@example.com."})
    EXPECT_FALSE(normalize_email(bad).has_value()) << bad;
}

TEST_P(ContactMergeTest, AVerifiedEmailMatchesExactlyOneOtherContactOfTheShop) {
  auto find = [&](const std::string& tenant, const std::string& email, const std::string& except,
                  const std::string& channel) {
    std::optional<std::string> r;
    store::read_sync(*store_, [&](Tx& tx) { r = contact_by_verified_email(tx, tenant, email, except, channel); });
    return r;
  };
  auto record = [&](const std::string& tenant, const std::string& contact, const std::string& email) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  record_verified_email(tx, tenant, contact, email, "email_channel", 5);
                  record_verified_email(tx, tenant, contact, email, "email_channel", 6);  // repeat: no error
                  return {};
                }).ok());
  };
  EXPECT_FALSE(find("ten_A", "ann@example.com", "", "").has_value());  // ct_tg's email is not verified
  record("ten_A", "ct_tg", "ann@example.com");
  EXPECT_EQ(find("ten_A", "ann@example.com", "", ""), "ct_tg");
  EXPECT_EQ(find("ten_A", "ann@example.com", "", "ch_wa"), "ct_tg");
  EXPECT_FALSE(find("ten_A", "ann@example.com", "ct_tg", "").has_value());     // itself
  EXPECT_FALSE(find("ten_A", "ann@example.com", "", "ch_tg").has_value());     // already on that channel
  EXPECT_FALSE(find("ten_B", "ann@example.com", "", "").has_value());          // another shop
  EXPECT_FALSE(find("ten_A", "other@example.com", "", "").has_value());
  record("ten_A", "ct_wa", "ann@example.com");
  EXPECT_FALSE(find("ten_A", "ann@example.com", "", "").has_value());          // two: ambiguous
  EXPECT_EQ(find("ten_A", "ann@example.com", "ct_wa", ""), "ct_tg");
  // A merge moves the verified address once (both had it).
  ASSERT_TRUE(merge("ten_A", "ct_wa", "ct_tg").ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_verified_emails WHERE contact_id = 'ct_tg'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_verified_emails WHERE contact_id = 'ct_wa'"), 1);
  EXPECT_EQ(find("ten_A", "ann@example.com", "", ""), "ct_wa");
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

class EmailVerificationTest : public ContactMergeTest {
 protected:
  void SetUp() override {
    ContactMergeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::create_channel(tx, web_);
                  return {};
                }).ok());
  }
  void add_relay() {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::create_channel(tx, mail_ch_);
                  return {};
                }).ok());
  }
  repo::Visitor visitor() {
    Env e = env();
    repo::Visitor v;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  BOTTEGA_TRY(nv, create_visitor(tx, e, web_, "", std::nullopt));
                  v = *repo::find_visitor(tx, crypto::hex(crypto::sha256(nv.visitor_token)));
                  BOTTEGA_TRY(in, ingest_contact_message(tx, e, "ten_A", web_, v.contact_id, "hello from the web", std::nullopt));
                  (void)in;
                  return {};
                }).ok());
    return v;
  }
  Result<email_verification::Started> start(const repo::Visitor& v, const std::string& email) {
    Env e = env();
    std::optional<Result<email_verification::Started>> out;
    (void)store::write_sync(*store_, [&](Tx& tx) -> Status {
      out.emplace(email_verification::start(tx, e, v, email));
      if (!out->ok()) return out->error();
      return {};
    });
    return std::move(*out);
  }
  // Runs the visitor's queued code jobs; returns the code of the last mail.
  std::string mail_code(const repo::Visitor& v) {
    std::vector<repo::Job> jobs;
    store::read_sync(*store_, [&](Tx& tx) {
      auto r = tx.query(Stmt{"t.jobs", "SELECT idempotency_key FROM jobs WHERE tenant_id = 'ten_A' AND kind = 'webchat.email_code' "
                                       "AND status = 'queued' AND payload LIKE $1"},
                        {"%" + v.id + "%"});
      for (const auto& row : r)
        if (auto j = repo::get_job(tx, "ten_A", email_verification::kSendJob, row.str(0))) jobs.push_back(*j);
    });
    email_verification::CodeSender sender(*store_, &mail_, env(), "test.host");
    for (const auto& j : jobs) {
      std::promise<JobOutcome> p;
      sender.run(j, [&](JobOutcome o) { p.set_value(o); });
      auto o = p.get_future().get();
      EXPECT_TRUE(o.ok) << o.error;
    }
    if (mail_.sent.empty()) return "";
    const std::string& data = mail_.sent.back().data;
    auto at = data.find("code is ");
    return at == std::string::npos ? "" : data.substr(at + 8, 6);
  }
  Result<email_verification::Confirmed> confirm(const repo::Visitor& v, const std::string& code) {
    Env e = env();
    std::optional<Result<email_verification::Confirmed>> out;
    (void)store::write_sync(*store_, [&](Tx& tx) -> Status {
      out.emplace(email_verification::confirm(tx, e, v, code));
      if (!out->ok()) return out->error();
      return {};
    });
    return std::move(*out);
  }
  std::vector<Message> visitor_messages(const repo::Visitor& v) {
    std::vector<Message> out;
    store::read_sync(*store_, [&](Tx& tx) {
      auto now = tx.query_one(Stmt{"t.visitor_contact", "SELECT contact_id FROM visitors WHERE id = $1"}, {v.id});
      out = repo::list_contact_messages(tx, "ten_A", now->str(0), std::nullopt, 100, web_.id).items;
    });
    return out;
  }

  Channel web_{"ch_web", "ten_A", "webchat", "Web chat", "{}", 1};
  Channel mail_ch_{"ch_mail", "ten_A", "email", "Support",
                   R"({"address":"support@shop.test","smtp_host":"127.0.0.1","smtp_port":2525})", 1};
  RecordingMail mail_;
};

INSTANTIATE_TEST_SUITE_P(Stores, EmailVerificationTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(EmailVerificationTest, NeedsARelayAndOneAddress) {
  auto v = visitor();
  EXPECT_EQ(start(v, "ann@example.com").error().code, "no_relay");
  add_relay();
  auto bad = start(v, "not an address");
  EXPECT_EQ(bad.error().field, "email");
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs WHERE kind = 'webchat.email_code'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM email_verifications"), 0);
  auto none = confirm(v, "123456");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->outcome, email_verification::Outcome::none_pending);
}

TEST_P(EmailVerificationTest, TheMailedCodeVerifiesAndMergesIntoTheContactWithThatVerifiedEmail) {
  add_relay();
  // ct_tg wrote from Ann's address and the trusted MTA proved it (as ingest_mail records it).
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                record_verified_email(tx, "ten_A", "ct_tg", "ann@example.com", "email_channel", 1);
                return {};
              }).ok());
  auto v = visitor();
  std::string visitor_contact = v.contact_id;
  auto s = start(v, " Ann@Example.com");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->email, "ann@example.com");
  // Before the mail is out, no code is right (and the attempt counts).
  auto early = confirm(v, "123456");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->outcome, email_verification::Outcome::wrong_code);
  std::string code = mail_code(v);
  ASSERT_EQ(code.size(), 6u);
  ASSERT_EQ(mail_.sent.size(), 1u);
  EXPECT_EQ(mail_.sent[0].to, std::vector<std::string>{"ann@example.com"});
  EXPECT_EQ(mail_.sent[0].host, "127.0.0.1");
  // Only the HMAC is stored.
  EXPECT_EQ(count("SELECT COUNT(*) FROM email_verifications WHERE code_hash = '' OR code_hash LIKE '%" + code + "%'"), 0);
  std::string wrong = code == "000000" ? "111111" : "000000";
  auto w = confirm(v, wrong);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->outcome, email_verification::Outcome::wrong_code);
  EXPECT_EQ(w->attempts_left, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_verified_emails WHERE contact_id = '" + visitor_contact + "'"), 0);

  int64_t convs_before = count("SELECT COUNT(*) FROM conversations");
  auto ok = confirm(v, code);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->outcome, email_verification::Outcome::verified);
  ASSERT_TRUE(ok->contact.has_value());
  EXPECT_EQ(ok->contact->id, "ct_tg");
  EXPECT_EQ(ok->merged_contact_id, visitor_contact);
  // History unchanged: every conversation keeps its channel; the visitor row follows the contact.
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations"), convs_before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = 'ct_tg' AND channel_id = 'ch_web'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = 'ct_tg' AND channel_id = 'ch_tg'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM visitors WHERE id = '" + v.id + "' AND contact_id = 'ct_tg'"), 1);
  EXPECT_EQ(get("ten_A", visitor_contact).error().code, "contact_merged");
  EXPECT_EQ(count("SELECT COUNT(*) FROM email_verifications"), 0);  // used up
  // The visitor's list is its web chat conversation only, not the Telegram one.
  auto ms = visitor_messages(v);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].text, "hello from the web");
  // A message through a stale view of the visitor (another node's cache) lands on the kept contact.
  Env e = env();
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                BOTTEGA_TRY(in, ingest_contact_message(tx, e, "ten_A", web_, visitor_contact, "still me", std::nullopt));
                EXPECT_EQ(in.conversation.contact_id, "ct_tg");
                return {};
              }).ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations"), convs_before);
  // The code is used up.
  auto again = confirm(v, code);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, email_verification::Outcome::none_pending);
}

TEST_P(EmailVerificationTest, AReturningVisitorOnANewBrowserGetsTheEarlierConversationsBack) {
  add_relay();
  auto first = visitor();  // no contact has the address verified yet: verified, nothing to merge
  ASSERT_TRUE(start(first, "bo@example.com").ok());
  auto r1 = confirm(first, mail_code(first));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->outcome, email_verification::Outcome::verified);
  EXPECT_TRUE(r1->merged_contact_id.empty());
  EXPECT_EQ(r1->contact->email, "bo@example.com");
  auto second = visitor();  // another browser: a new visitor and contact
  EXPECT_EQ(visitor_messages(second).size(), 1u);
  ASSERT_TRUE(start(second, "bo@example.com").ok());
  auto r2 = confirm(second, mail_code(second));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->outcome, email_verification::Outcome::verified);
  EXPECT_EQ(r2->contact->id, first.contact_id);
  EXPECT_EQ(r2->merged_contact_id, second.contact_id);
  // Both browsers now see both web chat conversations, each still its own conversation.
  EXPECT_EQ(visitor_messages(second).size(), 2u);
  EXPECT_EQ(visitor_messages(first).size(), 2u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE contact_id = '" + first.contact_id + "' AND channel_id = 'ch_web'"), 2);
}

TEST_P(EmailVerificationTest, ThreeWrongCodesOrAnExpiredOneEndTheVerification) {
  add_relay();
  auto v = visitor();
  ASSERT_TRUE(start(v, "cy@example.com").ok());
  std::string code = mail_code(v);
  std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(confirm(v, wrong)->outcome, email_verification::Outcome::wrong_code);
  EXPECT_EQ(confirm(v, wrong)->outcome, email_verification::Outcome::wrong_code);
  EXPECT_EQ(confirm(v, wrong)->outcome, email_verification::Outcome::exhausted);
  EXPECT_EQ(confirm(v, code)->outcome, email_verification::Outcome::none_pending);  // gone: the right one is too late
  // A new request replaces the code; past 15 minutes it has expired.
  ASSERT_TRUE(start(v, "cy@example.com").ok());
  code = mail_code(v);
  clock_.advance_ms(otp::kTtlMs);
  EXPECT_EQ(confirm(v, code)->outcome, email_verification::Outcome::expired);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contact_verified_emails"), 0);
  // A code of an earlier request never works for a later one (its job is stale and sends nothing).
  ASSERT_TRUE(start(v, "cy@example.com").ok());
  size_t mails = mail_.sent.size();
  ASSERT_TRUE(start(v, "cy@example.com").ok());
  code = mail_code(v);  // two jobs queued: the first is stale
  EXPECT_EQ(mail_.sent.size(), mails + 1);
  EXPECT_EQ(confirm(v, code)->outcome, email_verification::Outcome::verified);
}

TEST_P(EmailVerificationTest, AnAgentStillCannotMergeAVisitor) {
  auto v = visitor();
  EXPECT_EQ(merge("ten_A", "ct_wa", v.contact_id).error().code, "visitor_merge_unsupported");
}

}  // namespace
}  // namespace bottega::pipeline
