// Agents' uploads against a real store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is set):
// an upload is stored unbound, an outbound message binds it once, tenant-scoped; unbound uploads
// past their day are purged; a sent file loads with its bytes and a public URL that verifies.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "channels/upload.hpp"
#include "core/crypto.hpp"
#include "pipeline/media.hpp"
#include "store/repo/repo.hpp"
#include "store/scratch_store.hpp"

namespace bottega::pipeline::media {
namespace {

using store::Stmt;
using store::Tx;
namespace bj = boost::json;

class UploadStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_uploads");
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = store::open_store(place_.url(), {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  for (const char* t : {"ten_A", "ten_B"}) repo::create_tenant(tx, t, t, 1);
                  upload(tx, "med_a1", "ten_A", "a.png", "png-bytes", 1000);
                  upload(tx, "med_a2", "ten_A", "Fattura n°7.pdf", "%PDF-1.4", 2000);
                  upload(tx, "med_b1", "ten_B", "b.txt", "bob", 1000);
                  return {};
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  static void upload(Tx& tx, const std::string& id, const std::string& tenant, const std::string& name,
                     const std::string& bytes, int64_t at) {
    StoredMedia m;
    m.id = id;
    m.tenant_id = tenant;
    m.mime_type = name.ends_with(".png") ? "image/png" : name.ends_with(".pdf") ? "application/pdf" : "text/plain";
    m.filename = name;
    m.size = static_cast<int64_t>(bytes.size());
    m.sha256 = crypto::hex(crypto::sha256(bytes));
    m.created_at = at;
    insert_upload(tx, m, crypto::base64(bytes));
  }
  Result<bj::array> attach(const std::string& tenant, std::vector<std::string> ids, const std::string& message_id) {
    std::optional<Result<bj::array>> out;
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      out.emplace(outbound_attachments(tx, tenant, ids));
      if (!*out) return out->error();
      bind_uploads(tx, tenant, ids, message_id);
      return {};
    });
    return std::move(*out);
  }
  std::optional<StoredMedia> fetch(const std::string& tenant, const std::string& id) {
    std::optional<StoredMedia> m;
    store::read_sync(*store_, [&](Tx& tx) { m = get(tx, tenant, id); });
    return m;
  }

  store::ScratchStore place_;
  std::unique_ptr<store::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, UploadStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(UploadStoreTest, AMessageBindsItsUploadsOnceWithTheirStoredFacts) {
  auto a = attach("ten_A", {"med_a2", "med_a1"}, "msg_1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->size(), 2u);
  const auto& first = a->at(0).as_object();
  EXPECT_EQ(first.at("media_id").as_string(), "med_a2");
  EXPECT_EQ(first.at("mime_type").as_string(), "application/pdf");
  EXPECT_EQ(first.at("filename").as_string(), "Fattura n°7.pdf");
  EXPECT_EQ(first.at("size").as_int64(), 8);
  EXPECT_EQ(first.at("sha256").as_string(), crypto::hex(crypto::sha256("%PDF-1.4")));
  auto m = fetch("ten_A", "med_a1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_id, "msg_1");
  EXPECT_EQ(m->bytes, "png-bytes");

  // Sent once: a second message with the same upload is refused, naming the attachment.
  auto again = attach("ten_A", {"med_a1"}, "msg_2");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "media_already_sent");
  EXPECT_EQ(again.error().errc, Errc::conflict);
  EXPECT_EQ(again.error().field, "content.attachments[0].media_id");
  EXPECT_EQ(fetch("ten_A", "med_a1")->message_id, "msg_1");
}

TEST_P(UploadStoreTest, AnotherShopsOrUnknownOrRepeatedUploadIsRefusedAndNothingIsBound) {
  auto other = attach("ten_A", {"med_a1", "med_b1"}, "msg_1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "unknown_media");
  EXPECT_EQ(other.error().field, "content.attachments[1].media_id");
  EXPECT_EQ(fetch("ten_A", "med_a1")->message_id, "");  // the refused write bound nothing
  EXPECT_EQ(fetch("ten_B", "med_b1")->message_id, "");
  EXPECT_FALSE(fetch("ten_A", "med_b1"));

  auto dup = attach("ten_A", {"med_a1", "med_a2", "med_a1"}, "msg_1");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "duplicate_media");
  EXPECT_EQ(dup.error().field, "content.attachments[2].media_id");
  EXPECT_EQ(attach("ten_A", {"med_nope"}, "msg_1").error().code, "unknown_media");
}

TEST_P(UploadStoreTest, UnboundUploadsPastTheirDayArePurgedSentOnesStay) {
  ASSERT_TRUE(attach("ten_A", {"med_a1"}, "msg_1").ok());  // created at 1000, sent
  int64_t purged = -1;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                purged = purge_unbound(tx, 1500);
                return {};
              }).ok());
  EXPECT_EQ(purged, 1);  // med_b1 (ten_B, 1000, unbound); med_a2 is newer
  EXPECT_TRUE(fetch("ten_A", "med_a1"));
  EXPECT_TRUE(fetch("ten_A", "med_a2"));
  EXPECT_FALSE(fetch("ten_B", "med_b1"));
}

TEST_P(UploadStoreTest, ASentFileLoadsWithItsBytesAndAVerifyingPublicUrl) {
  auto a = attach("ten_A", {"med_a1", "med_a2"}, "msg_1");
  ASSERT_TRUE(a.ok());
  bj::object content{{"attachments", *a}};
  std::optional<Result<std::vector<OutboundAttachment>>> files;
  store::read_sync(*store_, [&](Tx& tx) {
    files.emplace(load_outbound(tx, "ten_A", content, {"https://shop.example", "secret-key"}, 1'000'000));
  });
  ASSERT_TRUE(files->ok());
  const auto& f = (*files)->at(1);
  EXPECT_EQ(f.filename, "Fattura n°7.pdf");
  EXPECT_EQ(f.mime_type, "application/pdf");
  EXPECT_EQ(f.size, 8);
  ASSERT_TRUE(f.bytes);
  EXPECT_EQ(*f.bytes, "%PDF-1.4");
  int64_t exp = 1'000 + kPublicUrlTtlS;
  EXPECT_EQ(f.public_url.rfind("https://shop.example/media/med_a2/Fattura%20n%C2%B07.pdf?exp=" + std::to_string(exp) + "&sig=", 0),
            0u)
      << f.public_url;
  std::string sig = f.public_url.substr(f.public_url.find("&sig=") + 5);
  EXPECT_TRUE(channels::upload::verify("secret-key", "ten_A", "med_a2", std::to_string(exp), sig, 2'000).ok());
  EXPECT_FALSE(channels::upload::verify("secret-key", "ten_B", "med_a2", std::to_string(exp), sig, 2'000).ok());

  // The public route's lookup: only a sent file, whatever shop it belongs to (the signature,
  // checked by the route, covers the tenant).
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_EQ(tenant_of_sent(tx, "med_a2"), std::optional<std::string>("ten_A"));
    EXPECT_FALSE(tenant_of_sent(tx, "med_b1"));  // never sent
    EXPECT_FALSE(tenant_of_sent(tx, "med_zz"));
  });
  // Another shop cannot load this shop's file into its message.
  store::read_sync(*store_, [&](Tx& tx) {
    EXPECT_FALSE(load_outbound(tx, "ten_B", content, {"https://shop.example", "k"}, 1'000'000).ok());
  });
}

TEST_P(UploadStoreTest, TheServerKeyIsCreatedOnceAndSharedAfterwards) {
  std::string first, second;
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                first = server_key(tx, "media_url", "key-one", 1);
                return {};
              }).ok());
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                second = server_key(tx, "media_url", "key-two", 2);  // another node starting
                return {};
              }).ok());
  EXPECT_EQ(first, "key-one");
  EXPECT_EQ(second, "key-one");
}

}  // namespace
}  // namespace bottega::pipeline::media
