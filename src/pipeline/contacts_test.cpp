// Contact merge against a real store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is set):
// every reference moves in one transaction, tenant-scoped; conversations keep their channel and a
// reply still addresses that channel's identity; refusals change nothing.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>

#include "pipeline/contacts.hpp"
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

}  // namespace
}  // namespace bottega::pipeline
