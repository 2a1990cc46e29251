// Full-text search over messages against a real store (SQLite, and PostgreSQL with
// BOTTEGA_TEST_PG_URL): both stores give the same messages in the same order (the expectations
// below are exact, and run on each), tenant isolation, internal notes, accents and case, prefixes,
// filters, pages, escaped snippets, and existing messages indexed by the migration.
#include "service/search.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "service/service_fixture.hpp"

namespace bottega::service {
namespace {

namespace core_repo = ::bottega::repo;
using store::Tx;

TEST(MessageSearch, BadQueriesNameTheField) {
  MessageSearchQuery q;
  EXPECT_EQ(validate_message_search(q).error().field, "q");
  q.q = " !? -- ";
  EXPECT_EQ(validate_message_search(q).error().field, "q");
  q.q = std::string(513, 'a');
  EXPECT_EQ(validate_message_search(q).error().field, "q");
  q.q = "wool";
  EXPECT_TRUE(validate_message_search(q).ok());
  q.status = "closed";
  EXPECT_EQ(validate_message_search(q).error().field, "status");
  q.status = "resolved";
  EXPECT_TRUE(validate_message_search(q).ok());
}

TEST(MessageSearch, FoldingAndSnippets) {
  EXPECT_EQ(fold_for_search("Città CAFFÈ Ærø straße"), "citta caffe \xc3\xa6ro stra\xc3\x9f" "e");
  // Escaped: message text never becomes markup; matching words (folded prefixes) are marked.
  EXPECT_EQ(search_snippet("<b>Ship</b> to \"Città\" & co", {"citta", "ship"}),
            "&lt;b&gt;<mark>Ship</mark>&lt;/b&gt; to &quot;<mark>Città</mark>&quot; &amp; co");
  EXPECT_EQ(search_snippet("line one\nline <script>two", {"two"}),
            "line one line &lt;script&gt;<mark>two</mark>");
  // A long text is cut at words around the first match, with ellipses where cut.
  std::string lead;
  for (int i = 0; i < 30; ++i) lead += "lorem" + std::to_string(i) + " ";
  std::string tail;
  for (int i = 0; i < 60; ++i) tail += " ipsum" + std::to_string(i);
  auto s = search_snippet(lead + "belgium" + tail, {"belg"});
  EXPECT_EQ(s.rfind("\xE2\x80\xA6lorem", 0), 0u) << s;
  EXPECT_NE(s.find("<mark>belgium</mark> ipsum0"), std::string::npos) << s;
  EXPECT_EQ(s.substr(s.size() - 3), "\xE2\x80\xA6") << s;
  EXPECT_LT(s.size(), 240u) << s;
  EXPECT_EQ(s.find("lorem10 "), std::string::npos) << s;  // more than 60 bytes before the match
  // No matching word (the stores tokenize a few things differently): the start of the text.
  EXPECT_EQ(search_snippet("plain words", {"zzz"}), "plain words");
}

class MessageSearchTest : public test_support::ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_agent(tx, Agent{"agt_1", "ten_A", "a@shop.test", "Ada", Role::agent}, "x", 1);
                  return {};
                }).ok());
  }
  std::string note(const std::string& conv, const std::string& text) {
    auto e = env();
    Principal p;
    p.tenant_id = "ten_A";
    p.agent_id = "agt_1";
    std::string id;
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  pipeline::ReplyInput in;
                  in.text = text;
                  in.kind = "note";
                  auto r = pipeline::agent_reply(tx, e, p, conv, in);
                  if (!r) return std::move(r).error();
                  id = r->id;
                  return {};
                }).ok());
    return id;
  }
  MessageSearchPage find(const std::string& tenant, const std::string& q, int64_t limit = 50, int64_t offset = 0,
                         std::optional<std::string> status = std::nullopt,
                         std::optional<std::string> channel = std::nullopt) {
    MessageSearchQuery query;
    query.q = q;
    query.limit = limit;
    query.offset = offset;
    query.status = status;
    query.channel_id = channel;
    MessageSearchPage page;
    // As the API searches: the index caught up in a write, then the search in a read.
    const auto dialect = store_->dialect();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) { return catch_up_message_index(tx, dialect); }).ok());
    store::read_sync(*store_, [&](Tx& tx) { page = search_messages(tx, dialect, tenant, query); });
    return page;
  }
  std::vector<std::string> texts(const std::string& tenant, const std::string& q) {
    std::vector<std::string> out;
    for (const auto& h : find(tenant, q).items) out.push_back(h.message.text);
    return out;
  }
  void tick() { clock_.advance_ms(1000); }
};

INSTANTIATE_TEST_SUITE_P(Stores, MessageSearchTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(MessageSearchTest, BestMatchFirstNewestOnTiesSameOnBothStores) {
  auto c1 = customer_says("ten_A", channel_, "ct_1", "A long message about shipping things to Belgium next week maybe");
  tick();
  customer_says("ten_A", channel_, "ct_1", "ship to belgium");
  tick();
  agent_says(c1, "belgium belgium");
  tick();
  auto c2 = customer_says("ten_A", channel_, "ct_2", "ship to belgium");
  tick();
  note(c2, "Belgium");
  tick();
  customer_says("ten_A", channel_, "ct_2", "nothing to see here");
  customer_says("ten_B", channel_b_, "ct_9", "belgium belgium belgium");

  const std::vector<std::string> expected = {"belgium belgium", "Belgium", "ship to belgium", "ship to belgium",
                                             "A long message about shipping things to Belgium next week maybe"};
  EXPECT_EQ(texts("ten_A", "belg"), expected);
  EXPECT_EQ(texts("ten_A", "BELGIUM"), expected);
  auto page = find("ten_A", "belgi");
  ASSERT_EQ(page.items.size(), 5u);
  // Equal texts: the newer first (c2's, then c1's).
  EXPECT_EQ(page.items[2].conversation.id, c2);
  EXPECT_EQ(page.items[3].conversation.id, c1);
  EXPECT_EQ(page.items[2].conversation.contact_name, "Bob");
  EXPECT_EQ(page.items[3].conversation.contact_name, "Ann");
  // The note is found, marked as one, and its snippet highlights the word.
  EXPECT_EQ(page.items[1].message.kind, "note");
  EXPECT_EQ(page.items[1].snippet, "<mark>Belgium</mark>");
  EXPECT_EQ(page.items[0].snippet, "<mark>belgium</mark> <mark>belgium</mark>");
  // Every word must match, each as a prefix.
  EXPECT_EQ(texts("ten_A", "ship belg"), (std::vector<std::string>{"ship to belgium", "ship to belgium",
                                                                  "A long message about shipping things to Belgium next week maybe"}));
  EXPECT_EQ(texts("ten_A", "ship bel week"),
            (std::vector<std::string>{"A long message about shipping things to Belgium next week maybe"}));
  EXPECT_TRUE(texts("ten_A", "belgium holland").empty());
  EXPECT_TRUE(texts("ten_A", "zzzz").empty());

  // Pages: the cursor is the position in the ranked list.
  auto p1 = find("ten_A", "belg", 2);
  ASSERT_EQ(p1.items.size(), 2u);
  ASSERT_TRUE(p1.next_cursor);
  EXPECT_EQ(*p1.next_cursor, "2");
  auto p3 = find("ten_A", "belg", 2, 4);
  ASSERT_EQ(p3.items.size(), 1u);
  EXPECT_EQ(p3.items[0].message.text, expected[4]);
  EXPECT_FALSE(p3.next_cursor);
}

TEST_P(MessageSearchTest, TenantsNeverSeeEachOthersMessages) {
  customer_says("ten_A", channel_, "ct_1", "secret parcel for Ann");
  customer_says("ten_B", channel_b_, "ct_9", "secret parcel for Zed");
  EXPECT_EQ(texts("ten_A", "secret parcel"), (std::vector<std::string>{"secret parcel for Ann"}));
  EXPECT_EQ(texts("ten_B", "secret parcel"), (std::vector<std::string>{"secret parcel for Zed"}));
  EXPECT_TRUE(texts("ten_A", "zed").empty());
  EXPECT_TRUE(texts("ten_C", "secret").empty());
  // Another shop's channel as a filter finds nothing.
  EXPECT_TRUE(find("ten_A", "secret", 50, 0, std::nullopt, "ch_9").items.empty());
}

TEST_P(MessageSearchTest, AccentsAndCaseAreIgnoredBothWays) {
  customer_says("ten_A", channel_, "ct_1", "Un CAFFÈ a Città di Castello");
  customer_says("ten_A", channel_, "ct_2", "Grüße aus München, citta bella");
  EXPECT_EQ(texts("ten_A", "caffe citta"), (std::vector<std::string>{"Un CAFFÈ a Città di Castello"}));
  EXPECT_EQ(texts("ten_A", "CAFFÈ"), (std::vector<std::string>{"Un CAFFÈ a Città di Castello"}));
  EXPECT_EQ(texts("ten_A", "munchen"), (std::vector<std::string>{"Grüße aus München, citta bella"}));
  EXPECT_EQ(texts("ten_A", "MÜNCH"), (std::vector<std::string>{"Grüße aus München, citta bella"}));
  auto both = texts("ten_A", "città");
  EXPECT_EQ(both.size(), 2u);
  auto hit = find("ten_A", "citta cast");
  ASSERT_EQ(hit.items.size(), 1u);
  EXPECT_EQ(hit.items[0].snippet, "Un CAFFÈ a <mark>Città</mark> di <mark>Castello</mark>");
}

// Punctuation splits words on both stores (service migration 67 for PostgreSQL, whose parser
// read "SKU-4242" as "sku" + the signed number "-4242" and "ann@example.com" as one e-mail).
TEST_P(MessageSearchTest, PunctuationSplitsWordsTheSameOnBothStores) {
  customer_says("ten_A", channel_, "ct_1", "Is SKU-4242 back in stock?");
  tick();
  customer_says("ten_A", channel_, "ct_2", "write to ann@example.com about order #1.5");
  tick();
  customer_says("ten_A", channel_, "ct_1", "the t-shirt, size 42");
  EXPECT_EQ(texts("ten_A", "4242"), (std::vector<std::string>{"Is SKU-4242 back in stock?"}));
  EXPECT_EQ(texts("ten_A", "SKU-4242"), (std::vector<std::string>{"Is SKU-4242 back in stock?"}));
  EXPECT_EQ(texts("ten_A", "example"), (std::vector<std::string>{"write to ann@example.com about order #1.5"}));
  EXPECT_EQ(texts("ten_A", "ann example com"), (std::vector<std::string>{"write to ann@example.com about order #1.5"}));
  EXPECT_EQ(texts("ten_A", "shirt"), (std::vector<std::string>{"the t-shirt, size 42"}));
  EXPECT_EQ(texts("ten_A", "42").size(), 2u);  // "42" and the prefix of "4242"
  EXPECT_TRUE(texts("ten_A", "sku4242").empty());
  EXPECT_TRUE(texts("ten_A", "tshirt").empty());
}

TEST_P(MessageSearchTest, FiltersByConversationStatusAndChannel) {
  auto c1 = customer_says("ten_A", channel_, "ct_1", "refund my order please");
  customer_says("ten_A", channel_, "ct_2", "refund the other order");
  pipeline::ConversationPatch done;
  done.status = ConversationStatus::resolved;
  patch(c1, done);
  EXPECT_EQ(find("ten_A", "refund", 50, 0, "resolved").items.size(), 1u);
  EXPECT_EQ(find("ten_A", "refund", 50, 0, "resolved").items[0].message.text, "refund my order please");
  EXPECT_EQ(find("ten_A", "refund", 50, 0, "open").items.size(), 1u);
  EXPECT_EQ(find("ten_A", "refund", 50, 0, std::nullopt, "ch_1").items.size(), 2u);
  EXPECT_EQ(find("ten_A", "refund").items.size(), 2u);
}

// Messages stored before the index existed are found once the migration has run: messages are
// written, then the index, its state and triggers (SQLite, straight on the file, since the store
// itself indexes at the end of write batches) or the expression index (PostgreSQL) are taken away and
// version 8 forgotten, as if they had been stored before it; opening the store migrates again (the
// migration recreates the index and fills it from messages).
constexpr const char* kUnmigrateSqlite =
    "DROP TRIGGER message_search_fts_update; DROP TRIGGER message_search_fts_delete; "
    "DROP TABLE message_search_fts_vocab; DROP TABLE message_search_fts; DROP TABLE message_search_fts_state; "
    "DELETE FROM schema_migrations WHERE version = 8;";
constexpr store::Stmt kDropPgIndex{"test.drop_search_pg_index", "DROP INDEX message_search_fts"};
constexpr store::Stmt kForget8{"test.forget_v8", "DELETE FROM schema_migrations WHERE version = 8"};
constexpr store::Stmt kIntegrity{"test.search_integrity",
                                  "INSERT INTO message_search_fts(message_search_fts) VALUES ('integrity-check')",
                                  "SELECT 1"};

TEST_P(MessageSearchTest, TheMigrationIndexesExistingMessages) {
  auto conv = customer_says("ten_A", channel_, "ct_1", "an older message about parcels");
  note(conv, "older note on parcels");
  if (GetParam() == "postgresql") {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  tx.exec(kDropPgIndex, {});
                  tx.exec(kForget8, {});
                  return {};
                }).ok());
  }
  store_->close();
  store_.reset();
  if (GetParam() == "sqlite") {
    ASSERT_EQ(url_.rfind("sqlite://", 0), 0u) << url_;
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url_.substr(9).c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, kUnmigrateSqlite, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  auto s = store::open_store(url_, {}, true);
  ASSERT_TRUE(s.ok()) << s.error().message;
  store_ = std::move(s).value();
  EXPECT_EQ(texts("ten_A", "parcel"),
            (std::vector<std::string>{"older note on parcels", "an older message about parcels"}));
  // And new messages after it.
  customer_says("ten_A", channel_, "ct_1", "a parcel");
  EXPECT_EQ(texts("ten_A", "parcel").size(), 3u);
  // SQLite: the external-content index agrees with messages (FTS5 checks every entry).
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                tx.exec(kIntegrity, {});
                return {};
              }).ok());
}

// SQLite indexes in chunks at the end of write batches (store/sqlite/sqlite_store.hpp): however
// many messages are stored, fewer than a chunk (256) wait unindexed, and a search first indexes
// those, so it finds every message committed before it.
constexpr store::Stmt kIndexed{"test.search_indexed",
                               "SELECT (SELECT indexed_seq FROM message_search_fts_state WHERE id = 1), "
                               "(SELECT MAX(seq) FROM messages), (SELECT COUNT(*) FROM message_search_fts "
                               "WHERE message_search_fts MATCH 'chunked')"};

TEST_P(MessageSearchTest, TheStoreIndexesInChunksAndASearchCatchesUp) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "PostgreSQL's expression index follows every commit";
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; ++i)
    customer_says("ten_A", channel_, "ct_1", "chunked message " + std::to_string(i));
  auto indexed = [&] {
    std::vector<int64_t> v;
    store::read_sync(*store_, [&](Tx& tx) {
      auto r = tx.query_one(kIndexed, {});
      v = {r->i64(0), r->i64(1), r->i64(2)};
    });
    return v;
  };
  auto before = indexed();  // indexed_seq, last seq, indexed "chunked" messages
  EXPECT_GT(before[0], before[1] - 256);
  EXPECT_GT(before[2], kMessages - 256);
  auto page = find("ten_A", "chunked", 5);
  ASSERT_EQ(page.items.size(), 5u);
  EXPECT_EQ(page.items[0].message.text, "chunked message " + std::to_string(kMessages - 1));  // the newest
  auto after = indexed();
  EXPECT_EQ(after[0], after[1]);
  EXPECT_EQ(after[2], kMessages);
}

}  // namespace
}  // namespace bottega::service
