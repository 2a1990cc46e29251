// A payment link made from a cart, on the real SQLite store with a manual clock: the cart's total
// is charged, its units are held while the link is open and given back on expiry or cancel, one
// open link per cart, and the paid event turns the cart into a paid order exactly once (replayed
// and repeated events change nothing), with the ledger balanced. On SQLite and, when
// BOTTEGA_TEST_PG_URL names a server (scripts/pg.sh), on PostgreSQL.
#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/orders.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/service.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::payments {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

class CartLinks : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url;
    if (GetParam() == "postgresql") {
      const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
      if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
      scratch_ = std::make_unique<store::ScratchDatabase>(admin, store::ScratchDatabase::unique_name("bottega_cart_links"));
      ASSERT_TRUE(scratch_->status().ok()) << scratch_->status().error().message;
      url = scratch_->url();
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      dir_ = fs::temp_directory_path() / ("bottega_cart_links_" + std::to_string(::getpid()) + "_" + name);
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      url = "sqlite://" + (dir_ / "p.db").string();
    }
    auto s = store::open_store(url, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    who_.tenant_id = "ten_shop";
    who_.token_id = "tok_1";
    who_.role = Role::admin;
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      repo::create_tenant(tx, "ten_shop", "Shoe Shop", 1);
      repo::create_contact(tx, "ten_shop", "ct_ann", "Ann", std::nullopt, 1);
      repo::create_contact(tx, "ten_shop", "ct_bob", "Bob", std::nullopt, 1);
      repo::create_channel(tx, Channel{"ch_web", "ten_shop", "webchat", "Chat", "{}", 1});
      Conversation c;
      c.id = "cnv_ann";
      c.tenant_id = "ten_shop";
      c.channel_id = "ch_web";
      c.channel_type = "webchat";
      c.contact_id = "ct_ann";
      c.last_message_at = c.created_at = c.updated_at = 1;
      repo::create_conversation(tx, c);
      commerce::ProductInput boots;
      boots.translations["en"] = {"Boots", ""};
      boots.variants = {commerce::Variant{"", "", "BOOT-40", "40", {{"EUR", 10000}}, 3, std::nullopt, 0}};
      BOTTEGA_TRY(prod, commerce::create_product(tx, ids_, "ten_shop", boots, 1));
      variant_ = prod.variants[0].id;
      BOTTEGA_TRY(prov, create_provider(tx, env_, who_, "sandbox", "Sandbox", bj::object{}));
      provider_ = prov;
      return {};
    }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  Status write(std::function<Status(store::Tx&)> fn) { return store::write_sync(*store_, std::move(fn)); }
  template <class T>
  Result<T> write_r(std::function<Result<T>(store::Tx&)> fn) {
    std::optional<Result<T>> out;
    auto st = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
      out.emplace(fn(tx));
      if (!out->ok()) return out->error();
      return {};
    });
    if (!st.ok() && out && out->ok()) return st.error();
    return std::move(*out);
  }
  std::string cart_with(const std::string& contact, int64_t qty) {
    auto c = write_r<commerce::Cart>([&](store::Tx& tx) -> Result<commerce::Cart> {
      commerce::NewCart n;
      n.contact_id = contact;
      BOTTEGA_TRY(cart, commerce::create_cart(tx, ids_, "ten_shop", n, clock_.now_ms()));
      return commerce::add_item(tx, "ten_shop", cart.id, "BOOT-40", qty, clock_.now_ms());
    });
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? c->id : std::string();
  }
  Result<Payment> link_for(const std::string& cart, std::optional<std::string> conversation = std::string("cnv_ann")) {
    return write_r<Payment>([&](store::Tx& tx) {
      LinkInput in;
      in.cart_id = cart;
      in.conversation_id = conversation;
      in.expires_in_s = 3600;
      return create_link(tx, env_, who_, in, "https://shop.example");
    });
  }
  std::optional<int64_t> available() {
    std::optional<int64_t> a;
    store::read_sync(*store_, [&](store::Tx& tx) {
      a = commerce::available_stock(tx, "ten_shop", variant_, "", clock_.now_ms());
    });
    return a;
  }
  Result<std::string> event(const std::string& event_id, const Payment& p, const std::string& ref) {
    PspEvent e;
    e.kind = PspEvent::Kind::paid;
    e.event_id = event_id;
    e.payment_id = p.id;
    e.provider_ref = ref;
    e.amount = p.amount;
    e.currency = p.currency;
    e.raw_type = "payment.succeeded";
    return write_r<std::string>([&](store::Tx& tx) { return apply_psp_event(tx, env_, provider_, e); });
  }
  Payment get(const std::string& id) {
    std::optional<Payment> p;
    store::read_sync(*store_, [&](store::Tx& tx) { p = db::get_payment(tx, "ten_shop", id); });
    return *p;
  }

  fs::path dir_;
  std::unique_ptr<store::ScratchDatabase> scratch_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'800'000'000'000};
  RandomIdGenerator ids_{clock_};
  pipeline::Env env_{clock_, ids_, nullptr, nullptr};
  Principal who_;
  Provider provider_;
  std::string variant_;
};

INSTANTIATE_TEST_SUITE_P(Stores, CartLinks, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(CartLinks, CartTotalIsChargedAndItsUnitsAreHeldUntilExpiry) {
  std::string cart = cart_with("ct_ann", 2);
  auto link = link_for(cart);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(link->amount, 20000);
  EXPECT_EQ(link->currency, "EUR");
  EXPECT_EQ(link->status, "sent");
  EXPECT_EQ(link->cart_id, cart);
  EXPECT_EQ(available(), 1);  // 3 on hand, 2 held
  // The held cart cannot change; another customer cannot take the held units.
  auto locked = write_r<commerce::Cart>([&](store::Tx& tx) {
    return commerce::add_item(tx, "ten_shop", cart, "BOOT-40", 1, clock_.now_ms());
  });
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, "cart_locked");
  std::string other = cart_with("ct_bob", 1);
  auto refused = link_for(other, std::nullopt);
  ASSERT_TRUE(refused.ok()) << refused.error().message;  // 1 left: Bob can hold it
  EXPECT_EQ(available(), 0);
  // One open link per cart.
  auto second = link_for(cart);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "cart_has_open_link");

  // Past expiry the hold stops counting at once, and touching the link expires it and unlocks the cart.
  clock_.advance_ms(3600 * 1000 + 1);
  EXPECT_EQ(available(), 3);
  auto opened = write_r<Payment>([&](store::Tx& tx) { return open_link(tx, env_, link->token); });
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->status, "expired");
  store::read_sync(*store_, [&](store::Tx& tx) {
    auto c = commerce::get_cart(tx, "ten_shop", cart);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->reserved_until);
  });
  // A new link for the same cart is fine once the old one expired.
  auto again = link_for(cart);
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_P(CartLinks, CancelGivesTheUnitsBack) {
  std::string cart = cart_with("ct_ann", 3);
  auto link = link_for(cart);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(available(), 0);
  auto c = write_r<Payment>([&](store::Tx& tx) { return cancel_link(tx, env_, who_, link->id); });
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->status, "cancelled");
  EXPECT_EQ(available(), 3);
  auto twice = write_r<Payment>([&](store::Tx& tx) { return cancel_link(tx, env_, who_, link->id); });
  ASSERT_TRUE(twice.ok());  // idempotent
  // A cancelled link cannot be paid.
  auto attempt = write_r<Attempt>([&](store::Tx& tx) { return begin_attempt(tx, env_, link->token); });
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.error().code, "link_cancelled");
}

TEST_P(CartLinks, BadCartsAreRefusedAndNothingIsHeld) {
  std::string bobs = cart_with("ct_bob", 1);
  auto foreign = link_for(bobs);  // Bob's cart into Ann's conversation
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, "cart_not_in_conversation");
  auto unknown = link_for("crt_nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "cart_id");
  std::string big = cart_with("ct_ann", 3);
  std::string small = cart_with("ct_bob", 1);
  ASSERT_TRUE(link_for(small, std::nullopt).ok());
  auto short_stock = link_for(big);  // 3 wanted, 2 left
  ASSERT_FALSE(short_stock.ok());
  EXPECT_EQ(short_stock.error().code, "insufficient_stock");
  EXPECT_EQ(available(), 2);
  store::read_sync(*store_, [&](store::Tx& tx) { EXPECT_TRUE(db::payments_of_cart(tx, "ten_shop", big).empty()); });
}

TEST_P(CartLinks, PaidCartBecomesOnePaidOrderWhateverTheRetries) {
  std::string cart = cart_with("ct_ann", 2);
  auto link = link_for(cart);
  ASSERT_TRUE(link.ok()) << link.error().message;
  auto first = event("evt_1", *link, "sbx_1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, "applied");
  Payment paid = get(link->id);
  EXPECT_EQ(paid.status, "paid");
  ASSERT_TRUE(paid.order_id);
  // The same event again, and another event for the same capture: no second order, no second posting.
  EXPECT_EQ(*event("evt_1", *link, "sbx_1"), "duplicate");
  EXPECT_EQ(*event("evt_2", *link, "sbx_1"), "stale");
  store::read_sync(*store_, [&](store::Tx& tx) {
    auto o = commerce::get_order(tx, "ten_shop", *paid.order_id);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->status, "paid");
    EXPECT_EQ(o->total, 20000);
    EXPECT_EQ(o->payment_ref, link->id);
    EXPECT_EQ(o->cart_id, cart);
    auto orders = commerce::list_orders(tx, "ten_shop", {});
    EXPECT_EQ(orders.items.size(), 1u);
    auto v = commerce::find_variant_by_sku(tx, "ten_shop", "BOOT-40");
    EXPECT_EQ(v->variant.stock, 1);  // 3 - 2, taken out of stock once
    auto c = commerce::get_cart(tx, "ten_shop", cart);
    EXPECT_EQ(c->status, "ordered");
    EXPECT_EQ(ledger::balance(tx, "ten_shop", "psp:" + provider_.id, "EUR"), 20000);
    EXPECT_TRUE(ledger::check_invariants(tx, "ten_shop").empty());
    // The thread says Paid with the order number.
    auto msgs = repo::list_messages(tx, "ten_shop", "cnv_ann", std::nullopt, 50, true);
    bool paid_msg = false;
    for (const auto& m : msgs.items)
      if (m.kind == "payment_status" && m.text.find("Order #" + std::to_string(o->number)) != std::string::npos) paid_msg = true;
    EXPECT_TRUE(paid_msg);
  });
  EXPECT_EQ(available(), 1);
}

}  // namespace
}  // namespace bottega::payments
