// A payment link made from a cart, on the real SQLite store with a manual clock: the cart's total
// is charged, its units are held while the link is open and given back on expiry or cancel, one
// open link per cart, and the paid event turns the cart into a paid order exactly once (replayed
// and repeated events change nothing), with the ledger balanced. Store credit spent at checkout:
// held at link creation, the provider asked for the rest (or nothing), given back on cancel and
// expiry, refunded provider-first then to credit, never overspent by concurrent checkouts. On SQLite and, when
// BOTTEGA_TEST_PG_URL names a server (scripts/pg.sh), on PostgreSQL.
#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/orders.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/service.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::payments {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

class CartLinks : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_cart_links");
    if (IsSkipped() || HasFatalFailure()) return;
    std::string url = place_.url();
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
    place_.release();
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
  Result<Payment> link_for(const std::string& cart, std::optional<std::string> conversation = std::string("cnv_ann"),
                           bool apply_credit = false, std::optional<int64_t> credit_amount = std::nullopt) {
    return write_r<Payment>([&](store::Tx& tx) {
      LinkInput in;
      in.cart_id = cart;
      in.conversation_id = conversation;
      in.expires_in_s = 3600;
      in.apply_credit = apply_credit;
      in.credit_amount = credit_amount;
      return create_link(tx, env_, who_, in, "https://shop.example");
    });
  }
  void grant(const std::string& contact, int64_t amount) {
    ASSERT_TRUE(write_r<int64_t>([&](store::Tx& tx) {
                  return grant_credit(tx, env_, who_, contact, amount, "EUR", "goodwill");
                }).ok());
  }
  int64_t bal(const std::string& account) {
    int64_t b = 0;
    store::read_sync(*store_, [&](store::Tx& tx) { b = ledger::balance(tx, "ten_shop", account, "EUR"); });
    return b;
  }
  int64_t credit_of(const std::string& contact) { return -bal("credit:" + contact); }
  void expect_invariants() {
    store::read_sync(*store_, [&](store::Tx& tx) {
      auto v = ledger::check_invariants(tx, "ten_shop");
      EXPECT_TRUE(v.empty()) << v.front();
    });
  }
  Result<Refund> refund(const std::string& payment_id, int64_t amount) {
    return write_r<Refund>([&](store::Tx& tx) { return request_refund(tx, env_, who_, payment_id, amount, "customer asked"); });
  }
  Result<std::string> refund_settled(const std::string& refund_id, bool ok) {
    PspEvent e;
    e.kind = ok ? PspEvent::Kind::refund_succeeded : PspEvent::Kind::refund_failed;
    e.event_id = "evt_" + refund_id;
    e.refund_id = refund_id;
    return write_r<std::string>([&](store::Tx& tx) { return apply_psp_event(tx, env_, provider_, e); });
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
    e.amount = due_at_provider(p);
    e.currency = p.currency;
    e.raw_type = "payment.succeeded";
    return write_r<std::string>([&](store::Tx& tx) { return apply_psp_event(tx, env_, provider_, e); });
  }
  Payment get(const std::string& id) {
    std::optional<Payment> p;
    store::read_sync(*store_, [&](store::Tx& tx) { p = db::get_payment(tx, "ten_shop", id); });
    return *p;
  }

  store::ScratchStore place_;
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

TEST_P(CartLinks, StoreCreditPaysPartAndTheProviderIsAskedForTheRest) {
  grant("ct_ann", 3000);
  std::string cart = cart_with("ct_ann", 1);
  auto link = link_for(cart, std::string("cnv_ann"), true);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(link->amount, 10000);
  EXPECT_EQ(link->credit_applied, 3000);
  EXPECT_EQ(due_at_provider(*link), 7000);
  EXPECT_EQ(link->status, "sent");
  EXPECT_EQ(credit_of("ct_ann"), 0);  // held by the link now
  EXPECT_EQ(bal("credit_held:" + link->id), -3000);
  // The provider is asked for 7000; a capture of the full 10000 is not this link's money.
  PspEvent full;
  full.kind = PspEvent::Kind::paid;
  full.event_id = "evt_full";
  full.payment_id = link->id;
  full.provider_ref = "sbx_1";
  full.amount = 10000;
  full.currency = "EUR";
  EXPECT_EQ(*write_r<std::string>([&](store::Tx& tx) { return apply_psp_event(tx, env_, provider_, full); }),
            "amount_mismatch");
  EXPECT_EQ(*event("evt_1", *link, "sbx_1"), "applied");
  Payment paid = get(link->id);
  EXPECT_EQ(paid.status, "paid");
  EXPECT_EQ(paid.captured, 7000);
  ASSERT_TRUE(paid.order_id);
  EXPECT_EQ(bal("sales:" + link->id), -7000);
  EXPECT_EQ(bal("sales_credit:" + link->id), -3000);
  EXPECT_EQ(bal("credit_held:" + link->id), 0);
  expect_invariants();

  // Refunds: the provider's 7000 first, then back to store credit.
  auto r1 = refund(link->id, 8000);
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->credit_amount, 1000);
  EXPECT_EQ(r1->status, "processing");
  EXPECT_EQ(credit_of("ct_ann"), 0);  // not before the refund succeeds
  EXPECT_EQ(*refund_settled(r1->id, true), "applied");
  EXPECT_EQ(credit_of("ct_ann"), 1000);
  paid = get(link->id);
  EXPECT_EQ(paid.refunded, 8000);
  EXPECT_EQ(paid.status, "partially_refunded");
  // The rest is store credit only: no provider, settled at once.
  auto over = refund(link->id, 2001);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "amount_exceeds_refundable");
  auto r2 = refund(link->id, 2000);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->credit_amount, 2000);
  EXPECT_EQ(r2->status, "succeeded");
  EXPECT_EQ(credit_of("ct_ann"), 3000);
  EXPECT_EQ(get(link->id).status, "refunded");
  EXPECT_EQ(bal("psp:" + provider_.id), 10000);  // the mismatched capture stays (unallocated) at the provider
  expect_invariants();
}

TEST_P(CartLinks, PaidByCreditAloneNeedsNoProvider) {
  grant("ct_ann", 25000);
  std::string cart = cart_with("ct_ann", 2);
  auto link = link_for(cart, std::string("cnv_ann"), true);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(link->status, "paid");
  EXPECT_EQ(link->credit_applied, 20000);
  EXPECT_EQ(link->captured, 0);
  ASSERT_TRUE(link->order_id);
  EXPECT_EQ(credit_of("ct_ann"), 5000);
  EXPECT_EQ(bal("psp:" + provider_.id), 0);
  store::read_sync(*store_, [&](store::Tx& tx) {
    auto o = commerce::get_order(tx, "ten_shop", *link->order_id);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->status, "paid");
    auto msgs = repo::list_messages(tx, "ten_shop", "cnv_ann", std::nullopt, 50, true);
    bool paid_msg = false;
    for (const auto& m : msgs.items)
      paid_msg = paid_msg || (m.kind == "payment_status" && m.text.find("Paid with store credit") != std::string::npos);
    EXPECT_TRUE(paid_msg);
  });
  EXPECT_EQ(available(), 1);
  // Nothing is left to pay: the checkout refuses a provider attempt.
  auto attempt = write_r<Attempt>([&](store::Tx& tx) { return begin_attempt(tx, env_, link->token); });
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.error().code, "link_used");
  auto r = refund(link->id, 20000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, "succeeded");
  EXPECT_EQ(credit_of("ct_ann"), 25000);
  EXPECT_EQ(get(link->id).status, "refunded");
  expect_invariants();
}

TEST_P(CartLinks, CancelledAndExpiredLinksGiveHeldCreditBack) {
  grant("ct_ann", 5000);
  std::string cart = cart_with("ct_ann", 1);
  // More than the customer has, or more than the amount: refused, nothing held or created.
  auto too_much = link_for(cart, std::string("cnv_ann"), true, 6000);
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().code, "insufficient_credit");
  EXPECT_EQ(too_much.error().field, "apply_credit");
  EXPECT_EQ(link_for(cart, std::string("cnv_ann"), true, 10001).error().code, "invalid_credit");
  EXPECT_EQ(available(), 3);
  EXPECT_EQ(credit_of("ct_ann"), 5000);

  auto link = link_for(cart, std::string("cnv_ann"), true, 4000);
  ASSERT_TRUE(link.ok()) << link.error().message;
  EXPECT_EQ(credit_of("ct_ann"), 1000);
  ASSERT_TRUE(write_r<Payment>([&](store::Tx& tx) { return cancel_link(tx, env_, who_, link->id); }).ok());
  EXPECT_EQ(credit_of("ct_ann"), 5000);
  EXPECT_EQ(bal("credit_held:" + link->id), 0);

  auto second = link_for(cart, std::string("cnv_ann"), true);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->credit_applied, 5000);
  EXPECT_EQ(credit_of("ct_ann"), 0);
  clock_.advance_ms(3600 * 1000 + 1);
  auto opened = write_r<Payment>([&](store::Tx& tx) { return open_link(tx, env_, second->token); });
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->status, "expired");
  EXPECT_EQ(credit_of("ct_ann"), 5000);
  expect_invariants();

  // A capture that arrives after expiry takes the credit again when it is still there ...
  EXPECT_EQ(*event("evt_late", *second, "sbx_late"), "applied");
  EXPECT_EQ(credit_of("ct_ann"), 0);
  EXPECT_EQ(get(second->id).status, "paid");
  EXPECT_EQ(bal("sales_credit:" + second->id), -5000);
  // ... and is flagged (booked unallocated) when the customer spent it meanwhile.
  grant("ct_ann", 2000);
  std::string cart2 = cart_with("ct_ann", 1);
  auto third = link_for(cart2, std::string("cnv_ann"), true);
  ASSERT_TRUE(third.ok()) << third.error().message;
  ASSERT_TRUE(write_r<Payment>([&](store::Tx& tx) { return cancel_link(tx, env_, who_, third->id); }).ok());
  ASSERT_TRUE(write_r<int64_t>([&](store::Tx& tx) -> Result<int64_t> {
                // the customer's credit is spent elsewhere (a payout, here a direct posting)
                BOTTEGA_TRY(t, ledger::post(tx, ids_, "ten_shop", "test.spend", "x",
                                            {{"credit:ct_ann", "EUR", 2000}, {"credit_granted", "EUR", -2000}}, 1));
                (void)t;
                return int64_t{0};
              }).ok());
  EXPECT_EQ(*event("evt_gone", *third, "sbx_gone"), "credit_unavailable");
  EXPECT_EQ(get(third->id).status, "cancelled");
  EXPECT_EQ(-bal("unallocated:" + third->id), 8000);
  expect_invariants();
}

TEST_P(CartLinks, CheckoutPageCreditIsHeldOnPayAndCanPayItAll) {
  grant("ct_ann", 3000);
  std::string cart = cart_with("ct_ann", 1);
  auto link = link_for(cart);  // no credit applied when the agent made it
  ASSERT_TRUE(link.ok()) << link.error().message;
  store::read_sync(*store_, [&](store::Tx& tx) { EXPECT_EQ(credit_offer(tx, *link), 3000); });
  auto a = write_r<Attempt>([&](store::Tx& tx) { return begin_attempt(tx, env_, link->token, true); });
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->paid_by_credit);
  EXPECT_EQ(a->payment.credit_applied, 3000);
  EXPECT_EQ(due_at_provider(a->payment), 7000);
  EXPECT_EQ(credit_of("ct_ann"), 0);
  EXPECT_EQ(get(link->id).credit_applied, 3000);
  // Applied once: pressing Pay again does not take more, and the offer is gone.
  grant("ct_ann", 500);
  ASSERT_TRUE(write_r<Attempt>([&](store::Tx& tx) { return begin_attempt(tx, env_, link->token, true); }).ok());
  EXPECT_EQ(get(link->id).credit_applied, 3000);
  EXPECT_EQ(credit_of("ct_ann"), 500);
  EXPECT_EQ(*event("evt_page", get(link->id), "sbx_page"), "applied");
  EXPECT_EQ(get(link->id).captured, 7000);

  // Enough credit for all of it: paid on "Pay", no provider attempt.
  grant("ct_ann", 9500);
  std::string cart2 = cart_with("ct_ann", 1);
  auto link2 = link_for(cart2);
  ASSERT_TRUE(link2.ok()) << link2.error().message;
  auto all = write_r<Attempt>([&](store::Tx& tx) { return begin_attempt(tx, env_, link2->token, true); });
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_TRUE(all->paid_by_credit);
  Payment paid = get(link2->id);
  EXPECT_EQ(paid.status, "paid");
  EXPECT_EQ(paid.captured, 0);
  EXPECT_TRUE(paid.order_id);
  EXPECT_EQ(credit_of("ct_ann"), 0);
  expect_invariants();
}

// 8 links of 4000 written at the same time from 8 threads (the store batches them into one group
// commit and reruns a batch op by op when one fails; on PostgreSQL the write lock orders batches of
// every node), each spending store credit from Ann's 10000. With an exact amount (4000) exactly two fit and the rest are
// refused; with "as much as there is" every link is made and together they take exactly 10000.
class ConcurrentCredit : public CartLinks {
 protected:
  std::vector<std::optional<Status>> make_links(int n, std::optional<int64_t> credit_each) {
    std::vector<std::optional<Status>> out(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    std::mutex mu;
    std::condition_variable cv;
    int done = 0;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        store_->write(
            [&, i](store::Tx& tx) -> Status {
              LinkInput in;
              in.contact_id = "ct_ann";
              in.amount = 4000;
              in.currency = "EUR";
              in.apply_credit = true;
              in.credit_amount = credit_each;
              in.description = "link " + std::to_string(i);
              auto l = create_link(tx, env_, who_, in, "https://shop.example");
              if (!l) return l.error();
              return {};
            },
            [&, i](Status st) {
              std::lock_guard<std::mutex> g(mu);
              out[static_cast<size_t>(i)] = st;
              ++done;
              cv.notify_all();
            });
      });
    for (auto& t : threads) t.join();
    std::unique_lock<std::mutex> g(mu);
    cv.wait_for(g, std::chrono::seconds(30), [&] { return done == n; });
    return out;
  }
  int64_t held_by_links() {
    int64_t held = 0;
    store::read_sync(*store_, [&](store::Tx& tx) {
      for (const auto& p : db::list_payments(tx, "ten_shop", std::nullopt, 100).items) held += p.credit_applied;
    });
    return held;
  }
};
INSTANTIATE_TEST_SUITE_P(Stores, ConcurrentCredit, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(ConcurrentCredit, ExactAmountsNeverSpendTheSameCredit) {
  grant("ct_ann", 10000);
  constexpr int kLinks = 8;
  auto out = make_links(kLinks, 4000);
  int ok = 0, refused = 0;
  for (const auto& st : out) {
    ASSERT_TRUE(st.has_value());
    if (st->ok()) ++ok;
    else if (st->error().code == "insufficient_credit") ++refused;
    else ADD_FAILURE() << st->error().code << ": " << st->error().message;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, kLinks - 2);
  EXPECT_EQ(credit_of("ct_ann"), 2000);
  EXPECT_EQ(held_by_links(), 8000);
  expect_invariants();
}

TEST_P(ConcurrentCredit, AsMuchAsThereIsTakesAllOfItOnce) {
  grant("ct_ann", 10000);
  constexpr int kLinks = 8;
  for (const auto& st : make_links(kLinks, std::nullopt)) {
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(st->ok()) << st->error().code;
  }
  EXPECT_EQ(credit_of("ct_ann"), 0);
  EXPECT_EQ(held_by_links(), 10000);
  expect_invariants();
}


}  // namespace
}  // namespace bottega::payments
