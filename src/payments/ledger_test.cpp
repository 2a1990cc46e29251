// Ledger unit tests and the property test: 100,000 random sequences of pay / refund / payout /
// replayed / reordered / failed events, store credit spent at checkout (part or all of a link),
// cancelled links giving it back and late captures taking it again, run through the real services
// on the real SQLite store (a temp file), checked against a model and against the ledger's invariants.
#include "payments/ledger.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <filesystem>
#include <map>
#include <cstdlib>
#include <random>

#include "payments/payments_repo.hpp"
#include "payments/service.hpp"
#include "store/repo/repo.hpp"

namespace bottega::payments {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // RAM-backed when available: the property test writes a few hundred MB.
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("bottega_ledger_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "l.db").string(), {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                  repo::create_tenant(tx, tenant_, "Shop", clock_.now_ms());
                  repo::create_tenant(tx, "ten_other", "Other", clock_.now_ms());
                  return {};
                }).ok());
  }
  void TearDown() override {
    store_->close();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_;
  RandomIdGenerator ids_{clock_};
  std::string tenant_ = "ten_shop";
};

TEST_F(LedgerTest, UnbalancedTransactionsAreRefusedAndWriteNothing) {
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                auto r = ledger::post(tx, ids_, tenant_, "t", "x", {{"a", "EUR", 100}, {"b", "EUR", -99}}, 1);
                EXPECT_FALSE(r.ok());
                EXPECT_EQ(r.error().code, "unbalanced");
                // Balanced per currency matters: EUR +100 and USD -100 do not cancel out.
                r = ledger::post(tx, ids_, tenant_, "t", "x", {{"a", "EUR", 100}, {"b", "USD", -100}}, 1);
                EXPECT_FALSE(r.ok());
                r = ledger::post(tx, ids_, tenant_, "t", "x", {{"a", "EUR", 0}, {"b", "EUR", 0}}, 1);
                EXPECT_FALSE(r.ok());
                EXPECT_EQ(ledger::balance(tx, tenant_, "a", "EUR"), 0);
                EXPECT_TRUE(ledger::check_invariants(tx, tenant_).empty());
                return {};
              }).ok());
}

TEST_F(LedgerTest, GuardedAccountsNeverGoNegativeAndAFailedPostLeavesNoTrace) {
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                EXPECT_TRUE(ledger::post(tx, ids_, tenant_, "payment", "pay_1",
                                         {{"psp:p", "EUR", 1000}, {"sales:pay_1", "EUR", -1000}}, 1).ok());
                EXPECT_TRUE(ledger::post(tx, ids_, tenant_, "refund", "r1", {{"sales:pay_1", "EUR", 600}, {"psp:p", "EUR", -600}}, 1).ok());
                auto over = ledger::post(tx, ids_, tenant_, "refund", "r2", {{"sales:pay_1", "EUR", 401}, {"psp:p", "EUR", -401}}, 1);
                EXPECT_FALSE(over.ok());
                EXPECT_EQ(over.error().code, "insufficient_balance");
                EXPECT_EQ(ledger::balance(tx, tenant_, "sales:pay_1", "EUR"), -400);
                EXPECT_EQ(ledger::balance(tx, tenant_, "psp:p", "EUR"), 400);
                // Tenants are separate ledgers.
                EXPECT_EQ(ledger::balance(tx, "ten_other", "psp:p", "EUR"), 0);
                EXPECT_FALSE(ledger::post(tx, ids_, "ten_other", "refund", "r3", {{"sales:pay_1", "EUR", 1}, {"psp:p", "EUR", -1}}, 1).ok());
                EXPECT_TRUE(ledger::check_invariants(tx, "").empty());
                return {};
              }).ok());
}

// ---- the property test ----------------------------------------------------------------------

struct ModelPayment {
  std::string id, currency, status = "created", contact;
  std::optional<std::string> provider_ref;
  // refunded: in all; psp_refunded / inflight: the provider's part; credit_*: the store-credit part.
  int64_t amount = 0, captured = 0, refunded = 0, psp_refunded = 0, inflight = 0, unallocated = 0;
  int64_t credit = 0;  // store credit applied at checkout
  bool credit_held = false, credit_spent = false;
  int64_t credit_refunded = 0, credit_inflight = 0;
  struct OpenRefund {
    std::string id;
    int64_t amount, credit_leg;
  };
  std::vector<OpenRefund> open_refunds;
  std::vector<PspEvent> delivered;
  int64_t due() const { return amount - credit; }
};

using CreditBook = std::map<std::pair<std::string, std::string>, int64_t>;  // (contact, currency) -> balance

bool one_of(const std::string& s, std::initializer_list<const char*> set) {
  for (const char* x : set)
    if (s == x) return true;
  return false;
}

// What apply_psp_event must answer, and the model's new state.
std::string model_apply(ModelPayment& m, const PspEvent& e, CreditBook& credit) {
  bool same = !m.provider_ref || e.provider_ref.empty() || *m.provider_ref == e.provider_ref;
  switch (e.kind) {
    case PspEvent::Kind::processing:
      if (!one_of(m.status, {"created", "sent", "opened", "failed"})) return "stale";
      m.provider_ref = e.provider_ref;
      m.status = "processing";
      return "applied";
    case PspEvent::Kind::failed:
      if (!one_of(m.status, {"created", "sent", "opened", "processing"}) || !same) return "stale";
      m.status = "failed";
      return "applied";
    case PspEvent::Kind::paid: {
      bool already = one_of(m.status, {"paid", "partially_refunded", "refunded"});
      if (already && same) return "stale";
      if (already || e.amount != m.due() || e.currency != m.currency) {
        m.unallocated += e.amount;
        return already ? "duplicate_capture" : "amount_mismatch";
      }
      if (m.credit > 0 && !m.credit_held) {  // cancelled: the credit went back; take it again
        int64_t& c = credit[{m.contact, m.currency}];
        if (c < m.credit) {
          m.unallocated += e.amount;
          return "credit_unavailable";
        }
        c -= m.credit;
      }
      m.provider_ref = e.provider_ref;
      m.status = "paid";
      m.captured = m.due();
      m.credit_held = false;
      m.credit_spent = m.credit > 0;
      return "applied";
    }
    default:
      return "ignored";
  }
}

TEST_F(LedgerTest, PropertyRandomSequencesKeepTheLedgerInvariants) {
  // BOTTEGA_LEDGER_SEQUENCES overrides the count for a quick local run; make test runs 100,000.
  const char* env_n = std::getenv("BOTTEGA_LEDGER_SEQUENCES");
  const int kSequences = env_n ? std::max(1000, std::atoi(env_n)) / 1000 * 1000 : 100'000;
  constexpr int kPerBatch = 1'000;
  std::mt19937_64 rng(20261122);
  auto rnd = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  auto admin = [&](const char* id) {
    Principal p;
    p.tenant_id = tenant_;
    p.agent_id = id;
    p.role = Role::admin;
    return p;
  };
  Principal alice = admin("agt_alice"), bob = admin("agt_bob");
  pipeline::Env env{clock_, ids_, {}, {}};
  Provider prov;
  std::map<std::string, ModelPayment> model;
  CreditBook credit;
  std::map<std::string, int64_t> payouts_out;                     // currency -> paid out (incl. in flight)
  std::map<std::string, int64_t> held_done;  // currency -> held at the PSP for finished sequences
  const char* currencies[] = {"EUR", "USD", "JPY"};
  int64_t checked_ops = 0, refused_refunds = 0, duplicates = 0, credit_checkouts = 0, credit_only = 0,
          cancelled_with_credit = 0;

  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                auto p = create_provider(tx, env, alice, "sandbox", "Sandbox", bj::object{});
                EXPECT_TRUE(p.ok());
                prov = *p;
                db::put_settings(tx, tenant_, {50'000, std::nullopt}, 1);
                for (int c = 0; c <= 50; ++c)
                  repo::create_contact(tx, tenant_, "ct_" + std::to_string(c), "Customer", std::nullopt, 1);
                return {};
              }).ok());

  for (int batch = 0; batch < kSequences / kPerBatch; ++batch) {
    auto st = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
      for (int s = 0; s < kPerBatch; ++s) {
        LinkInput in;
        in.amount = rnd(1, 100'000);
        in.currency = currencies[rnd(0, 2)];
        ModelPayment m;
        if (rnd(0, 2) == 0) {  // the customer's store credit pays first (maybe all of it)
          m.contact = "ct_" + std::to_string(rnd(0, 50));
          in.contact_id = m.contact;
          in.apply_credit = true;
        }
        auto link = create_link(tx, env, alice, in, "https://shop.example");
        if (!link) return std::move(link).error();
        m.id = link->id;
        m.amount = link->amount;
        m.currency = link->currency;
        if (in.apply_credit) {
          int64_t& c = credit[{m.contact, m.currency}];
          m.credit = std::min(c, m.amount);
          c -= m.credit;
          m.credit_held = m.credit > 0;
          if (m.credit == m.amount) {  // paid by credit alone, at once
            m.status = "paid";
            m.credit_held = false;
            m.credit_spent = true;
          }
        }
        EXPECT_EQ(link->credit_applied, m.credit) << m.id;
        credit_checkouts += m.credit > 0;
        credit_only += m.credit > 0 && m.credit == m.amount;
        EXPECT_EQ(link->status, m.status == "paid" ? "paid" : "created") << m.id;
        std::string s1 = "sbx_" + ids_.next("s"), s2 = "sbx_" + ids_.next("s");
        auto event = [&](PspEvent::Kind k, const std::string& ref, int64_t amount) {
          PspEvent e;
          e.kind = k;
          e.event_id = ids_.next("evt");
          e.payment_id = m.id;
          e.provider_ref = ref;
          e.amount = amount;
          e.currency = m.currency;
          return e;
        };
        // The provider's events for this payment, delivered in a random order (reordered), some
        // of them twice (replayed); failures, second captures and wrong amounts included.
        std::vector<PspEvent> pool;
        if (rnd(0, 1)) pool.push_back(event(PspEvent::Kind::processing, s1, 0));
        if (rnd(0, 3) == 0) pool.push_back(event(PspEvent::Kind::failed, s1, 0));
        if (rnd(0, 4) != 0) pool.push_back(event(PspEvent::Kind::paid, rnd(0, 5) ? s1 : s2, m.due()));
        if (rnd(0, 9) == 0) pool.push_back(event(PspEvent::Kind::paid, s2, m.due()));
        if (rnd(0, 19) == 0) pool.push_back(event(PspEvent::Kind::paid, s1, m.amount + 1));
        std::shuffle(pool.begin(), pool.end(), rng);
        int ops = static_cast<int>(pool.size()) + static_cast<int>(rnd(0, 3));
        for (int op = 0; op < ops; ++op) {
          int64_t kind = pool.empty() ? rnd(1, 4) : rnd(0, 4);
          if (kind == 0 || (op < static_cast<int>(pool.size()) && rnd(0, 1))) {  // deliver or replay an event
            PspEvent e;
            bool replay = !m.delivered.empty() && rnd(0, 4) == 0;
            if (replay) {
              e = m.delivered[static_cast<size_t>(rnd(0, static_cast<int64_t>(m.delivered.size()) - 1))];
            } else if (!pool.empty()) {
              e = pool.back();
              pool.pop_back();
            } else {
              continue;
            }
            auto out = apply_psp_event(tx, env, prov, e);
            if (!out) return std::move(out).error();
            std::string expected = replay ? "duplicate" : model_apply(m, e, credit);
            if (!replay) m.delivered.push_back(e);
            if (replay) ++duplicates;
            EXPECT_EQ(*out, expected) << m.id;
            ++checked_ops;
          } else if (kind == 1) {  // a refund request, sometimes more than is left
            // The provider's part first, the rest back to the store credit the payment spent.
            int64_t psp_left = m.captured - m.psp_refunded - m.inflight;
            int64_t credit_left = (m.credit_spent ? m.credit : 0) - m.credit_refunded - m.credit_inflight;
            int64_t amount = rnd(1, std::max<int64_t>(2, m.amount + m.amount / 5));
            int64_t psp_leg = std::min(amount, psp_left), credit_leg = amount - psp_leg;
            auto r = request_refund(tx, env, rnd(0, 1) ? alice : bob, m.id, amount, "customer asked");
            bool refundable = one_of(m.status, {"paid", "partially_refunded"});
            // The money must still be at the provider too (payouts may have taken it).
            int64_t at_psp = held_done[m.currency] + m.captured + m.unallocated - m.psp_refunded - m.inflight - payouts_out[m.currency];
            bool ok = refundable && credit_leg <= credit_left && (psp_leg == 0 || psp_leg <= at_psp);
            EXPECT_EQ(r.ok(), ok) << m.id << " amount " << amount << " psp left " << psp_left << " credit left "
                                  << credit_left << " status " << m.status;
            auto settle = [&](int64_t amt, int64_t cleg) {  // a refund that succeeded
              m.refunded += amt;
              m.psp_refunded += amt - cleg;
              m.credit_refunded += cleg;
              credit[{m.contact, m.currency}] += cleg;
              m.status = m.refunded >= m.captured + (m.credit_spent ? m.credit : 0) ? "refunded" : "partially_refunded";
            };
            if (r.ok()) {
              EXPECT_EQ(r->credit_amount, credit_leg) << m.id;
              bool open = true;
              if (r->status == "pending_approval") {
                EXPECT_GT(amount, 50'000);
                auto same = decide_refund(tx, env, r->requested_by == "agent:agt_alice" ? alice : bob, r->id, true, "");
                EXPECT_FALSE(same.ok());  // four eyes
                bool approve = rnd(0, 1);
                auto other = decide_refund(tx, env, r->requested_by == "agent:agt_alice" ? bob : alice, r->id, approve, "");
                EXPECT_TRUE(other.ok());
                open = approve;
                if (approve && psp_leg == 0) {
                  EXPECT_EQ(other->status, "succeeded");
                  settle(amount, credit_leg);
                  open = false;
                }
              } else if (psp_leg == 0) {  // store credit only: settled at once
                EXPECT_EQ(r->status, "succeeded") << m.id;
                settle(amount, credit_leg);
                open = false;
              }
              if (open) {
                m.inflight += psp_leg;
                m.credit_inflight += credit_leg;
                m.open_refunds.push_back({r->id, amount, credit_leg});
              }
            } else {
              ++refused_refunds;
            }
            ++checked_ops;
          } else if (kind == 2 && !m.open_refunds.empty()) {  // the provider answers a refund (maybe twice)
            size_t i = static_cast<size_t>(rnd(0, static_cast<int64_t>(m.open_refunds.size()) - 1));
            auto [rid, amount, credit_leg] = m.open_refunds[i];
            bool success = rnd(0, 4) != 0;
            PspEvent e;
            e.kind = success ? PspEvent::Kind::refund_succeeded : PspEvent::Kind::refund_failed;
            e.event_id = ids_.next("evt");
            e.refund_id = rid;
            for (int times = 0; times < (rnd(0, 3) == 0 ? 2 : 1); ++times) {
              auto out = apply_psp_event(tx, env, prov, e);
              if (!out) return std::move(out).error();
              EXPECT_EQ(*out, times == 0 ? "applied" : "duplicate");
            }
            m.open_refunds.erase(m.open_refunds.begin() + static_cast<long>(i));
            m.inflight -= amount - credit_leg;
            m.credit_inflight -= credit_leg;
            if (success) {
              m.refunded += amount;
              m.psp_refunded += amount - credit_leg;
              m.credit_refunded += credit_leg;
              credit[{m.contact, m.currency}] += credit_leg;
              m.status = m.refunded >= m.captured + (m.credit_spent ? m.credit : 0) ? "refunded" : "partially_refunded";
            }
            ++checked_ops;
          } else if (kind == 3) {  // store credit and a payout from it
            std::string contact = "ct_" + std::to_string(rnd(0, 50));
            std::string cur = m.currency;
            int64_t amount = rnd(1, 5'000);
            if (rnd(0, 1)) {
              auto g = grant_credit(tx, env, alice, contact, amount, cur, "goodwill");
              EXPECT_TRUE(g.ok());
              credit[{contact, cur}] += amount;
            } else {
              int64_t held = held_done[cur] + m.captured + m.unallocated - m.psp_refunded - m.inflight - payouts_out[cur];
              auto po = request_payout(tx, env, alice, contact, std::nullopt, amount, cur, "payout");
              bool ok = credit[{contact, cur}] >= amount && held >= amount;
              EXPECT_EQ(po.ok(), ok) << "credit " << credit[{contact, cur}] << " held " << held << " amount " << amount;
              if (po.ok()) {
                credit[{contact, cur}] -= amount;
                payouts_out[cur] += amount;
                EXPECT_TRUE(complete_payout(tx, env, tenant_, po->id, true, "sbpo").ok());
              }
            }
            ++checked_ops;
          } else if (kind == 4 && rnd(0, 2) == 0) {  // the agent cancels the link
            auto c = cancel_link(tx, env, alice, m.id);
            if (m.status == "cancelled") {
              EXPECT_TRUE(c.ok());
            } else if (one_of(m.status, {"created", "sent", "opened", "failed"})) {
              EXPECT_TRUE(c.ok()) << m.id;
              m.status = "cancelled";
              if (m.credit_held) credit[{m.contact, m.currency}] += m.credit;
              cancelled_with_credit += m.credit_held;
              m.credit_held = false;
            } else {
              EXPECT_FALSE(c.ok()) << m.id;
              if (!c.ok()) {
                EXPECT_EQ(c.error().code, m.status == "processing" ? "link_processing" : "link_used") << m.id;
              }
            }
            ++checked_ops;
          }
        }
        held_done[m.currency] += m.captured + m.unallocated - m.psp_refunded - m.inflight;
        model[m.id] = std::move(m);
      }
      return {};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
    if (::testing::Test::HasFailure()) break;
  }

  // The stored state agrees with the model, and every ledger invariant holds.
  store::read_sync(*store_, [&](store::Tx& tx) {
    auto violations = ledger::check_invariants(tx, "");
    EXPECT_TRUE(violations.empty()) << violations.size() << " violations, first: " << violations.front();
    std::map<std::string, int64_t> held;
    for (const auto& [id, m] : model) {
      auto p = db::get_payment(tx, tenant_, id);
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->status, m.status) << id;
      EXPECT_EQ(p->captured, m.captured) << id;
      EXPECT_EQ(p->refunded, m.refunded) << id;
      EXPECT_EQ(p->credit_applied, m.credit) << id;
      EXPECT_LE(p->refunded, p->captured + p->credit_applied) << id;
      EXPECT_EQ(-ledger::balance(tx, tenant_, "sales:" + id, m.currency), m.captured - m.psp_refunded - m.inflight) << id;
      EXPECT_EQ(-ledger::balance(tx, tenant_, "sales_credit:" + id, m.currency),
                (m.credit_spent ? m.credit : 0) - m.credit_refunded - m.credit_inflight)
          << id;
      EXPECT_EQ(-ledger::balance(tx, tenant_, "credit_held:" + id, m.currency), m.credit_held ? m.credit : 0) << id;
      EXPECT_EQ(-ledger::balance(tx, tenant_, "unallocated:" + id, m.currency), m.unallocated) << id;
      held[m.currency] += m.captured + m.unallocated - m.psp_refunded - m.inflight;
    }
    for (const auto& [cur, h] : held)
      EXPECT_EQ(ledger::balance(tx, tenant_, "psp:" + prov.id, cur), h - payouts_out[cur]) << cur;
    for (const auto& [k, v] : credit) EXPECT_EQ(-ledger::balance(tx, tenant_, "credit:" + k.first, k.second), v);
  });
  EXPECT_EQ(model.size(), static_cast<size_t>(kSequences));
  EXPECT_GT(refused_refunds, kSequences / 100);
  EXPECT_GT(duplicates, kSequences / 100);
  EXPECT_GT(credit_checkouts, kSequences / 20);
  EXPECT_GT(credit_only, kSequences / 200);
  EXPECT_GT(cancelled_with_credit, kSequences / 200);
  RecordProperty("operations", static_cast<int>(checked_ops));
}

}  // namespace
}  // namespace bottega::payments
