// Reports: time zones, the percentile histogram's error bound, CSV escaping, and a generated
// dataset with known answers (conversations, bot turns, payment links with partial refunds in
// several currencies, orders, SLA breaches and CSAT answers around a DST change) applied through
// the outbox and checked figure by figure against a brute-force computation, on SQLite and (with
// BOTTEGA_TEST_PG_URL) PostgreSQL. Also: redelivery, a rolled-back batch and a restart count
// nothing twice.
// GCC 12 reports std::variant<..., std::string> cells in initializer lists as maybe-uninitialized
// (a known false positive at -O2).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "bot/bot_repo.hpp"
#include "commerce/orders.hpp"
#include "payments/payments_repo.hpp"
#include "reports/aggregator.hpp"
#include "reports/histogram.hpp"
#include "reports/listener.hpp"
#include "reports/report.hpp"
#include "reports/tz.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::reports {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

int64_t ts(const char* s) { return *parse_timestamp(s); }

// ---- time zones -----------------------------------------------------------------------------

TEST(TimeZone, DstDaysInRome) {
  auto z = *TimeZone::load("Europe/Rome");
  // 2026-03-29: 23 hours (02:00 -> 03:00); 2026-10-25: 25 hours (03:00 -> 02:00).
  EXPECT_EQ(z->day_start({2026, 3, 29}), ts("2026-03-28T23:00:00Z"));
  EXPECT_EQ(z->day_start({2026, 3, 30}), ts("2026-03-29T22:00:00Z"));
  EXPECT_EQ(z->day_start({2026, 3, 30}) - z->day_start({2026, 3, 29}), 23 * 3600 * 1000LL);
  EXPECT_EQ(z->day_start({2026, 10, 25}), ts("2026-10-24T22:00:00Z"));
  EXPECT_EQ(z->day_start({2026, 10, 26}) - z->day_start({2026, 10, 25}), 25 * 3600 * 1000LL);
  EXPECT_EQ(z->offset_at(ts("2026-10-25T00:59:59Z")), 7200);
  EXPECT_EQ(z->offset_at(ts("2026-10-25T01:00:00Z")), 3600);
  EXPECT_EQ(z->local_date(ts("2026-10-25T22:59:59Z")), (Date{2026, 10, 25}));
  EXPECT_EQ(z->local_date(ts("2026-10-25T23:00:00Z")), (Date{2026, 10, 26}));
}

TEST(TimeZone, QuarterAndHalfHourOffsets) {
  auto k = *TimeZone::load("Asia/Kathmandu");  // +05:45
  EXPECT_EQ(k->day_start({2026, 10, 25}), ts("2026-10-24T18:15:00Z"));
  EXPECT_EQ(k->day_start({2026, 10, 25}) % kQuarterMs, 0);
  auto n = *TimeZone::load("America/St_Johns");  // -03:30 / -02:30
  EXPECT_EQ(n->day_start({2026, 1, 15}), ts("2026-01-15T03:30:00Z"));
  EXPECT_EQ(n->day_start({2026, 7, 15}), ts("2026-07-15T02:30:00Z"));
  auto lh = *TimeZone::load("Australia/Lord_Howe");  // +10:30, DST +11:00 (a 30-minute shift)
  EXPECT_EQ(lh->day_start({2026, 1, 15}), ts("2026-01-14T13:00:00Z"));
  EXPECT_EQ(lh->day_start({2026, 7, 15}), ts("2026-07-14T13:30:00Z"));
  auto u = TimeZone::utc();
  EXPECT_EQ(u->day_start({2026, 10, 25}), ts("2026-10-25T00:00:00Z"));
}

TEST(TimeZone, MidnightThatDoesNotExist) {
  // America/Santiago springs forward at 24:00 -> 01:00 (2026-09-06 starts at 01:00 local).
  auto z = *TimeZone::load("America/Santiago");
  int64_t start = z->day_start({2026, 9, 6});
  EXPECT_EQ(z->local_date(start), (Date{2026, 9, 6}));
  EXPECT_EQ(z->local_date(start - 1), (Date{2026, 9, 5}));
}

TEST(TimeZone, BadNamesAndDates) {
  EXPECT_FALSE(TimeZone::load("Europe/Nowhere").ok());
  EXPECT_FALSE(TimeZone::load("../etc/passwd").ok());
  EXPECT_FALSE(TimeZone::load("/etc/localtime").ok());
  EXPECT_FALSE(TimeZone::load("").ok());
  EXPECT_EQ(TimeZone::load("Europe/Nowhere").error().field, "time_zone");
  EXPECT_FALSE(parse_date("2026-02-30"));
  EXPECT_FALSE(parse_date("2026-1-05"));
  EXPECT_TRUE(parse_date("2028-02-29"));
  EXPECT_EQ(parse_timestamp("2026-10-25T01:00:00.250Z"), ts("2026-10-25T01:00:00Z") + 250);
  EXPECT_EQ(parse_timestamp("2026-10-25T03:00:00+02:00"), ts("2026-10-25T01:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-10-25 garbage"));
}

// ---- histogram ------------------------------------------------------------------------------

double exact_percentile(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-9));
  if (rank < 1) rank = 1;
  return static_cast<double>(v[rank - 1]);
}

TEST(Histogram, BinsAreContiguousAndBounded) {
  for (int b = 0; b < 64 + 34 * 32; ++b) {
    EXPECT_EQ(bin_of(bin_lower(b)), b);
    EXPECT_EQ(bin_of(bin_lower(b) + bin_width(b) - 1), b);
    if (b >= 64) {
      EXPECT_LE(bin_width(b) * 32, bin_lower(b));
    }
  }
}

TEST(Histogram, PercentilesWithinTheDocumentedBound) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int64_t> v;
    Histogram h;
    int n = 1 + static_cast<int>(rng() % 500);
    for (int i = 0; i < n; ++i) {
      // log-uniform from 0 s to ~10 days
      int64_t x = static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(0, 13.7)(rng))) - 1;
      v.push_back(x);
      h.add(x);
    }
    Histogram round = Histogram::decode(h.encode());
    for (double p : {50.0, 90.0, 99.0, 100.0}) {
      double exact = exact_percentile(v, p);
      double approx = *round.percentile(p);
      EXPECT_LE(std::abs(approx - exact), exact / 64.0) << "p" << p << " n=" << n;
      if (exact < 64) {
        EXPECT_EQ(approx, exact);
      }
    }
  }
  EXPECT_FALSE(Histogram().percentile(50));
}

// ---- CSV ------------------------------------------------------------------------------------

TEST(Csv, EscapesAndGuardsFormulas) {
  EXPECT_EQ(csv_cell(std::string("plain")), "plain");
  EXPECT_EQ(csv_cell(std::string("a,b")), "\"a,b\"");
  EXPECT_EQ(csv_cell(std::string("say \"hi\"")), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell(std::string("two\nlines")), "\"two\nlines\"");
  EXPECT_EQ(csv_cell(std::string("=HYPERLINK(\"x\")")), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_cell(std::string("+1")), "'+1");
  EXPECT_EQ(csv_cell(std::string("-2")), "'-2");
  EXPECT_EQ(csv_cell(std::string("@SUM(A1)")), "'@SUM(A1)");
  EXPECT_EQ(csv_cell(int64_t{-250}), "-250");  // numbers are numbers
  EXPECT_EQ(csv_cell(0.25), "0.25");
  EXPECT_EQ(csv_cell(Cell{}), "");
  Table t{{"a", "b"}, {{std::string("x"), int64_t{1}}, {std::string("=1+1"), 2.5}}};
  EXPECT_EQ(to_csv(t), "a,b\r\nx,1\r\n'=1+1,2.5\r\n");
}

// ---- the dataset ----------------------------------------------------------------------------

constexpr const char* kTenant = "ten_A";
constexpr const char* kOther = "ten_B";

struct GConv {
  std::string id, channel, contact;
  int64_t created = 0;
  std::optional<int64_t> bot_reply, agent_reply;
  std::string agent;
  std::vector<int64_t> resolves;
  bool presale = false, answered = false, helpful = false, not_helpful = false;
};
struct GPay {
  std::string id, conv, created_by, currency;  // conv empty: a link not sent in a conversation
  int64_t amount = 0, created = 0;
  int64_t credit = 0;  // the store credit applied (the provider captured amount - credit)
  bool sent = true;
  std::optional<int64_t> opened, paid, expired;
  std::vector<std::pair<int64_t, int64_t>> refunds;  // succeeded: time, amount
  int64_t refunded = 0, refunded_credit = 0;         // all succeeded refunds; their store-credit parts
};
struct GSla {
  std::string conv, target, assignee;
  int64_t due = 0, breached = 0;
};
struct GCsat {
  std::string conv;
  int score = 0;
  int64_t at = 0;
  std::string assignee;
  bool bot_only = false;
};
struct GOrder {
  std::string id, contact, currency, payment_ref;  // payment_ref: here the conversation the order follows
  int64_t total = 0, paid = 0;
  int64_t credit = 0, refunded = 0, refunded_credit = 0;  // paid through a link not in a conversation
};

// An abandoned-cart reminder and what became of the cart.
struct GReminder {
  std::string cart, channel, currency;
  int64_t sent = 0, total = 0;
  std::optional<int64_t> paid;  // the cart's order paid after the reminder
};

struct Dataset {
  std::vector<GReminder> reminders;
  std::vector<GConv> convs;
  std::vector<GPay> pays;
  std::vector<GSla> slas;        // distinct breaches (one duplicate event is emitted too)
  std::vector<GCsat> csats;      // the answers that count (the last per conversation)
  std::vector<GOrder> orders;
  std::vector<Event> events;     // in time order
  std::vector<std::pair<std::string, std::vector<payments::Payment>>> payment_rows;
};

Event make_event(const std::string& tenant, const std::string& type, int64_t at, const std::string& conv,
                 const std::string& contact, const bj::object& data, bool internal = false) {
  static int n = 0;
  Event e;
  e.id = "evt_" + std::to_string(++n);
  e.tenant_id = tenant;
  e.type = type;
  e.conversation_id = conv;
  e.contact_id = contact;
  e.internal = internal;
  e.created_at_ms = at;
  e.payload_json = bj::serialize(bj::object{{"id", e.id}, {"type", type}, {"created_at", rfc3339(at)}, {"data", data}});
  return e;
}

// A paid order as commerce emits it in order.paid.
commerce::Order paid_order(const std::string& tenant, const std::string& id, const std::string& contact,
                           const std::string& currency, int64_t total, int64_t at) {
  commerce::Order ord;
  ord.id = id;
  ord.tenant_id = tenant;
  ord.contact_id = contact;
  ord.status = "paid";
  ord.currency = currency;
  ord.total = total;
  ord.created_at = ord.updated_at = at;
  ord.paid_at = at;
  return ord;
}

Dataset generate(int n_convs, uint64_t seed) {
  Dataset ds;
  std::mt19937_64 rng(seed);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  std::mt19937_64 rrng(seed * 31 + 7);  // reminders
  auto runi = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rrng); };
  auto rchance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rrng) < p; };
  std::mt19937_64 crng(seed * 13 + 5);  // store credit on links (own stream: the figures above keep their data)
  auto cuni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(crng); };
  std::vector<std::pair<int64_t, Event>> evs;
  auto push = [&](Event e) { evs.emplace_back(e.created_at_ms, std::move(e)); };
  const int64_t start = ts("2026-10-20T00:00:00Z"), end = ts("2026-10-31T00:00:00Z");
  const char* currencies[] = {"EUR", "USD", "JPY"};
  const char* senders[] = {"agent:ag_1", "agent:ag_2", "bot", "token:tok_1"};
  std::vector<int64_t> fixed = {ts("2026-10-21T21:59:59.999Z"),   // Rome 2026-10-21 23:59:59.999: outside
                                ts("2026-10-21T22:00:00Z"),       // Rome 2026-10-22 00:00: first instant inside
                                ts("2026-10-25T22:59:59Z"),       // Rome 10-25 23:59:59 (CET) on the 25-hour day
                                ts("2026-10-25T23:00:00Z"),       // Rome 10-26 00:00
                                ts("2026-10-25T00:30:00Z"),       // Rome 02:30 CEST, before the repeated hour
                                ts("2026-10-25T01:30:00Z"),       // Rome 02:30 CET, the repeated hour
                                ts("2026-10-28T22:59:59Z")};      // Rome 10-28 23:59:59: last instant inside
  for (int i = 0; i < n_convs; ++i) {
    GConv c;
    c.id = "cnv_" + std::to_string(1000 + i);
    c.channel = i % 3 == 0 ? "ch_wa" : "ch_web";
    c.contact = "ct_" + std::to_string(i);
    c.created = i < static_cast<int>(fixed.size()) ? fixed[i] : uni(start, end);
    Conversation cv;
    cv.id = c.id;
    cv.tenant_id = kTenant;
    cv.channel_id = c.channel;
    cv.channel_type = c.channel == "ch_wa" ? "whatsapp" : "webchat";
    cv.contact_id = c.contact;
    cv.created_at = cv.updated_at = cv.last_message_at = c.created;
    push(make_event(kTenant, "conversation.created", c.created, c.id, c.contact, to_json(cv)));
    Message in;
    in.id = "msg_in_" + std::to_string(i);
    in.conversation_id = c.id;
    in.direction = "in";
    in.author_kind = "contact";
    in.author_id = c.contact;
    in.kind = "text";
    in.created_at = c.created;
    push(make_event(kTenant, "message.created", c.created, c.id, c.contact, to_json(in)));
    c.presale = chance(0.4);
    if (c.presale) {
      cv.tags = {"presale"};
      push(make_event(kTenant, "conversation.updated", c.created + 1000, c.id, c.contact, to_json(cv)));
    }
    if (chance(0.5)) {  // the bot answers
      c.bot_reply = c.created + uni(1, 3) * 1000 + uni(0, 999);
      Message b = in;
      b.id = "msg_bot_" + std::to_string(i);
      b.direction = "out";
      b.author_kind = "bot";
      b.author_id.reset();
      b.created_at = *c.bot_reply;
      push(make_event(kTenant, "message.created", *c.bot_reply, c.id, c.contact, to_json(b)));
      // its internal note (a handover summary) is not a response
      Message note = b;
      note.id = "msg_note_" + std::to_string(i);
      note.kind = "note";
      note.created_at = *c.bot_reply - 500;
      push(make_event(kTenant, "message.created", *c.bot_reply - 500, c.id, c.contact, to_json(note), true));
      bot::repo::Turn t;
      t.id = "bturn_" + std::to_string(i);
      t.conversation_id = c.id;
      t.message_id = in.id;
      t.outcome = "answered";
      t.created_at = *c.bot_reply;
      c.answered = true;
      push(make_event(kTenant, "bot.turn", *c.bot_reply, c.id, c.contact, bot::repo::to_json(t), true));
      double r = std::uniform_real_distribution<double>(0, 1)(rng);
      if (r < 0.4 || r > 0.85) {
        t.id += "_fb";
        t.outcome = r < 0.4 ? "helpful" : "not_helpful";
        t.created_at = *c.bot_reply + 60'000;
        (r < 0.4 ? c.helpful : c.not_helpful) = true;
        push(make_event(kTenant, "bot.turn", t.created_at, c.id, c.contact, bot::repo::to_json(t), true));
      }
    }
    if (chance(0.5)) {  // a person answers: seconds to days, to exercise every bin size
      c.agent = i % 2 ? "ag_1" : "ag_2";
      int64_t delay = static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(1, 12.5)(rng))) * 1000;
      c.agent_reply = c.created + delay + uni(0, 999);
      Message a = in;
      a.id = "msg_ag_" + std::to_string(i);
      a.direction = "out";
      a.author_kind = "agent";
      a.author_id = c.agent;
      a.created_at = *c.agent_reply;
      push(make_event(kTenant, "message.created", *c.agent_reply, c.id, c.contact, to_json(a)));
    }
    if (chance(0.7)) {
      int64_t last = std::max({c.created, c.bot_reply.value_or(0), c.agent_reply.value_or(0)});
      int64_t r1 = last + uni(10, 200'000) * 1000;
      c.resolves.push_back(r1);
      Conversation rc = cv;
      rc.status = ConversationStatus::resolved;
      push(make_event(kTenant, "conversation.updated", r1, c.id, c.contact, to_json(rc)));
      if (chance(0.2)) {  // reopened and resolved again: the first resolution counts
        rc.status = ConversationStatus::open;
        push(make_event(kTenant, "conversation.updated", r1 + 3'600'000, c.id, c.contact, to_json(rc)));
        rc.status = ConversationStatus::resolved;
        c.resolves.push_back(r1 + 7'200'000);
        push(make_event(kTenant, "conversation.updated", r1 + 7'200'000, c.id, c.contact, to_json(rc)));
      }
    }
    // Payment links, mostly in pre-sale conversations.
    if (chance(c.presale ? 0.6 : 0.1)) {
      int links = chance(0.15) ? 2 : 1;
      for (int l = 0; l < links; ++l) {
        GPay p;
        p.id = "pay_" + std::to_string(i) + "_" + std::to_string(l);
        p.conv = c.id;
        p.created_by = senders[uni(0, 3)];
        p.currency = currencies[uni(0, 2)];
        p.amount = p.currency == std::string("JPY") ? uni(500, 20000) : uni(100, 50000);
        p.created = std::max(c.created, c.agent_reply.value_or(c.created)) + uni(5, 600) * 1000;
        payments::Payment row;
        row.id = p.id;
        row.tenant_id = kTenant;
        row.conversation_id = p.conv;
        row.contact_id = c.contact;
        row.provider_id = "psp_1";
        row.token = "tok_" + p.id;
        row.verification_code = "123-456";
        row.status = "created";
        row.amount = p.amount;
        row.currency = p.currency;
        row.created_by = p.created_by;
        row.created_at = row.updated_at = p.created;
        row.expires_at = p.created + 24 * 3600 * 1000LL;
        // A third of the links are paid partly (sometimes wholly) with store credit: held when
        // the link is created, or when the customer ticks it at checkout (then only from there on
        // in the link's events).
        int64_t pct = cuni(0, 2) == 0 ? (cuni(0, 4) == 0 ? 100 : cuni(20, 90)) : 0;
        p.credit = p.amount * pct / 100;
        bool credit_at_checkout = cuni(0, 1) == 1;
        if (!credit_at_checkout) row.credit_applied = p.credit;
        ds.payment_rows.push_back({kTenant, {row}});
        push(make_event(kTenant, "payment.created", p.created, c.id, c.contact, payments::to_json(row, "http://x")));
        row.status = "sent";
        row.message_id = "msg_link_" + p.id;
        push(make_event(kTenant, "payment.updated", p.created, c.id, c.contact, payments::to_json(row, "http://x")));
        if (chance(0.8)) {
          p.opened = p.created + uni(10, 3600) * 1000;
          row.status = "opened";
          row.opened_at = *p.opened;
          push(make_event(kTenant, "payment.updated", *p.opened, c.id, c.contact, payments::to_json(row, "http://x")));
          // opened again later: still one opening
          push(make_event(kTenant, "payment.updated", *p.opened + 5000, c.id, c.contact, payments::to_json(row, "http://x")));
        }
        if (p.opened && chance(0.75)) {
          p.paid = *p.opened + uni(30, 7200) * 1000;
          row.credit_applied = p.credit;
          row.status = "processing";
          push(make_event(kTenant, "payment.updated", *p.paid - 1000, c.id, c.contact, payments::to_json(row, "http://x")));
          row.status = "paid";
          row.captured = row.amount - p.credit;
          row.paid_at = *p.paid;
          push(make_event(kTenant, "payment.succeeded", *p.paid, c.id, c.contact, payments::to_json(row, "http://x")));
          if (chance(0.3)) {  // partial refund(s)
            int64_t left = p.amount;
            int parts = chance(0.3) ? 2 : 1;
            for (int k = 0; k < parts; ++k) {
              int64_t amt = std::max<int64_t>(1, left / 3);
              left -= amt;
              int64_t when = *p.paid + uni(1, 5) * 86'400'000;
              payments::Refund rf;
              rf.id = "rfd_" + p.id + "_" + std::to_string(k);
              rf.payment_id = p.id;
              rf.amount = amt;
              // What the provider captured goes back first, then store credit (payments).
              int64_t money_left = row.captured - (p.refunded - p.refunded_credit);
              rf.credit_amount = amt - std::min(amt, std::max<int64_t>(money_left, 0));
              p.refunded_credit += rf.credit_amount;
              rf.currency = p.currency;
              rf.status = "processing";
              rf.created_at = rf.updated_at = when;
              push(make_event(kTenant, "refund.created", when, c.id, c.contact, payments::to_json(rf)));
              rf.status = "succeeded";
              push(make_event(kTenant, "refund.succeeded", when + 60'000, c.id, c.contact, payments::to_json(rf)));
              p.refunds.push_back({when + 60'000, amt});
              p.refunded += amt;
            }
            // a refund the provider refused does not count
            payments::Refund bad;
            bad.id = "rfd_" + p.id + "_failed";
            bad.payment_id = p.id;
            bad.amount = 1;
            bad.currency = p.currency;
            bad.status = "failed";
            push(make_event(kTenant, "refund.failed", *p.paid + 10'000, c.id, c.contact, payments::to_json(bad)));
          }
        } else if (chance(0.6)) {
          p.expired = p.created + 24 * 3600 * 1000LL;
          row.status = "expired";
          push(make_event(kTenant, "payment.expired", *p.expired, c.id, c.contact, payments::to_json(row, "http://x")));
        }
        ds.pays.push_back(p);
      }
    }
    // SLA breaches (per the event contract), one of them delivered twice by its producer.
    if (chance(0.2)) {
      GSla s;
      s.conv = c.id;
      s.target = chance(0.5) ? "first_response" : "resolution";
      s.assignee = chance(0.5) ? "ag_1" : "";
      s.due = c.created + 3600'000;
      s.breached = i == 10 ? ts("2026-10-25T23:00:00Z") : s.due + uni(0, 600) * 1000;  // one exactly at local midnight
      bj::object d{{"conversation_id", c.id}, {"target", s.target}, {"due_at", rfc3339(s.due)},
                   {"breached_at", rfc3339(s.breached)}, {"priority", 2},
                   {"assignee_id", s.assignee.empty() ? bj::value(nullptr) : bj::value(s.assignee)},
                   {"channel", c.channel == "ch_wa" ? "whatsapp" : "webchat"}};
      push(make_event(kTenant, "conversation.sla_breached", s.breached, c.id, c.contact, d));
      if (i % 7 == 0) push(make_event(kTenant, "conversation.sla_breached", s.breached + 1, c.id, c.contact, d));
      ds.slas.push_back(s);
    }
    // CSAT after resolution; sometimes answered twice (the second replaces the first).
    if (!c.resolves.empty() && chance(0.5)) {
      GCsat s;
      s.conv = c.id;
      s.bot_only = c.bot_reply && !c.agent_reply;
      s.assignee = c.agent;
      s.at = c.resolves.front() + uni(60, 7200) * 1000;
      s.score = static_cast<int>(uni(1, 5));
      auto emit_csat = [&](const GCsat& x) {
        push(make_event(kTenant, "csat.received", x.at, c.id, c.contact,
                        bj::object{{"conversation_id", x.conv}, {"score", x.score}, {"comment", nullptr},
                                   {"assignee_id", x.assignee.empty() ? bj::value(nullptr) : bj::value(x.assignee)},
                                   {"bot_only", x.bot_only}, {"channel", "webchat"}, {"created_at", rfc3339(x.at)}}));
      };
      emit_csat(s);
      if (chance(0.25)) {
        s.at += 2 * 86'400'000;
        s.score = 6 - s.score;
        emit_csat(s);
      }
      ds.csats.push_back(s);
    }
    // Orders outside the link, some days after the conversation.
    if (chance(0.15)) {
      GOrder o;
      o.id = "ord_" + std::to_string(i);
      o.contact = c.contact;
      o.currency = "EUR";
      o.total = uni(1000, 9000);
      static const int64_t gaps_h[] = {1, 12, 6 * 24 + 23, 7 * 24 + 1, 30 * 24};
      int64_t last = std::max({c.created, c.bot_reply.value_or(0), c.agent_reply.value_or(0)});
      o.paid = last + gaps_h[uni(0, 4)] * 3'600'000;
      commerce::Order ord;
      ord.id = o.id;
      ord.tenant_id = kTenant;
      ord.contact_id = o.contact;
      ord.status = "paid";
      ord.currency = o.currency;
      ord.total = o.total;
      ord.created_at = ord.updated_at = o.paid;
      ord.paid_at = o.paid;
      push(make_event(kTenant, "order.created", o.paid, "", o.contact, commerce::to_json(ord)));
      push(make_event(kTenant, "order.paid", o.paid, "", o.contact, commerce::to_json(ord)));
      o.payment_ref = c.id;  // (the conversation, for expect(); the event carries no payment_ref)
      ds.orders.push_back(o);
    }
    // An abandoned-cart reminder (own random stream, so the figures above keep their data): some
    // carts paid after it (by link or not, in EUR or USD, some days later), some never; the
    // reminder event delivered twice for some, an order.paid repeated, an order of another cart.
    if (rchance(0.25)) {
      GReminder g;
      g.cart = "crt_" + std::to_string(i);
      g.channel = c.channel;
      g.sent = c.created + runi(3600, 30 * 3600) * 1000;
      g.currency = rchance(0.7) ? "EUR" : "USD";
      g.total = runi(500, 20000);
      bj::object d{{"cart_id", g.cart}, {"conversation_id", c.id}, {"contact_id", c.contact},
                   {"channel", c.channel == "ch_wa" ? "whatsapp" : "webchat"}, {"channel_id", c.channel},
                   {"message_id", "msg_r" + std::to_string(i)}, {"mode", "text"}, {"currency", g.currency},
                   {"total", g.total}, {"sent_at", rfc3339(g.sent)}};
      push(make_event(kTenant, "cart.reminder_sent", g.sent, c.id, c.contact, d, true));
      if (i % 5 == 0) push(make_event(kTenant, "cart.reminder_sent", g.sent + 5, c.id, c.contact, d, true));
      auto order_paid = [&](const std::string& id, const std::string& cart, int64_t at, std::optional<std::string> ref) {
        commerce::Order ord;
        ord.id = id;
        ord.tenant_id = kTenant;
        ord.cart_id = cart;
        ord.contact_id = c.contact;
        ord.status = "paid";
        ord.currency = g.currency;
        ord.total = g.total;
        ord.payment_ref = ref;
        ord.created_at = ord.updated_at = at;
        ord.paid_at = at;
        push(make_event(kTenant, "order.paid", at, "", c.contact, commerce::to_json(ord)));
        // Not through a link either (no such payment): the time-window attribution counts it too,
        // once per order.
        bool known = false;
        for (const auto& o : ds.orders) known = known || o.id == id;
        if (!known) ds.orders.push_back(GOrder{id, c.contact, g.currency, c.id, g.total, at});
      };
      if (rchance(0.5)) {
        g.paid = g.sent + runi(600, 4 * 86400) * 1000;
        order_paid("ord_r" + std::to_string(i), g.cart, *g.paid,
                   rchance(0.5) ? std::optional<std::string>("pay_r" + std::to_string(i)) : std::nullopt);
        if (i % 4 == 0) order_paid("ord_r" + std::to_string(i), g.cart, *g.paid + 1000, std::nullopt);
      } else if (rchance(0.3)) {
        order_paid("ord_x" + std::to_string(i), "crt_other_" + std::to_string(i), g.sent + 60'000, std::nullopt);
      }
      ds.reminders.push_back(g);
    }
    ds.convs.push_back(c);
  }
  // A reminder of another shop (same cart id as one of ours) and its order: never in our figures.
  if (!ds.reminders.empty()) {
    const auto& g = ds.reminders.front();
    bj::object d{{"cart_id", g.cart}, {"conversation_id", "cnv_other"}, {"contact_id", "ct_other"}, {"channel", "webchat"},
                 {"channel_id", "ch_other"}, {"message_id", "msg_o"}, {"mode", "text"}, {"currency", "EUR"},
                 {"total", 100}, {"sent_at", rfc3339(g.sent)}};
    push(make_event(kOther, "cart.reminder_sent", g.sent, "cnv_other", "ct_other", d, true));
    commerce::Order ord = paid_order(kOther, "ord_other", "ct_other", "EUR", 100, g.sent + 60'000);
    ord.cart_id = g.cart;
    push(make_event(kOther, "order.paid", g.sent + 60'000, "", "ct_other", commerce::to_json(ord)));
  }
  // An order paid through a payment link: attributed by linkage, not by the time window.
  if (!ds.pays.empty()) {
    commerce::Order ord;
    ord.id = "ord_link";
    ord.tenant_id = kTenant;
    ord.contact_id = "ct_0";
    ord.status = "paid";
    ord.currency = "EUR";
    ord.total = 777;
    ord.payment_ref = ds.pays.front().id;
    ord.created_at = ord.updated_at = ds.convs.empty() ? start : start + 1000;
    ord.paid_at = ts("2026-10-23T12:00:00Z");
    push(make_event(kTenant, "order.paid", *ord.paid_at, "", "ct_0", commerce::to_json(ord)));
  }
  // A link that was not sent in a conversation (e.g. by e-mail), paid partly with store credit,
  // then refunded beyond what the provider captured (the rest returns credit): an order outside
  // the link, so the time window attributes it, money and credit apart.
  if (ds.convs.size() > 1) {
    const GConv& c = ds.convs[1];
    int64_t last = std::max({c.created, c.bot_reply.value_or(0), c.agent_reply.value_or(0)});
    GPay p;
    p.id = "pay_mail";
    p.created_by = "agent:ag_1";
    p.currency = "EUR";
    p.amount = 4000;
    p.credit = 1500;
    p.sent = false;
    p.created = last + 3'600'000;
    p.opened = p.created + 60'000;
    p.paid = p.created + 36 * 3'600'000LL;
    payments::Payment row;
    row.id = p.id;
    row.tenant_id = kTenant;
    row.contact_id = c.contact;
    row.provider_id = "psp_1";
    row.token = "tok_mail";
    row.verification_code = "123-456";
    row.status = "created";
    row.amount = p.amount;
    row.currency = p.currency;
    row.created_by = p.created_by;
    row.credit_applied = p.credit;
    row.created_at = row.updated_at = p.created;
    row.expires_at = p.created + 72 * 3'600'000LL;
    ds.payment_rows.push_back({kTenant, {row}});
    push(make_event(kTenant, "payment.created", p.created, "", c.contact, payments::to_json(row, "http://x")));
    row.status = "processing";
    push(make_event(kTenant, "payment.updated", *p.opened, "", c.contact, payments::to_json(row, "http://x")));
    commerce::Order ord = paid_order(kTenant, "ord_mail", c.contact, "EUR", p.amount, *p.paid);
    ord.payment_ref = p.id;
    push(make_event(kTenant, "order.paid", *p.paid, "", c.contact, commerce::to_json(ord)));  // before the payment's event, as settle_paid emits them
    row.status = "paid";
    row.captured = p.amount - p.credit;
    row.paid_at = *p.paid;
    push(make_event(kTenant, "payment.succeeded", *p.paid, "", c.contact, payments::to_json(row, "http://x")));
    payments::Refund rf;
    rf.id = "rfd_mail";
    rf.payment_id = p.id;
    rf.amount = 3000;
    rf.credit_amount = 500;  // 2500 captured by the provider go back first
    rf.currency = "EUR";
    rf.status = "succeeded";
    push(make_event(kTenant, "refund.succeeded", *p.paid + 86'400'000, "", c.contact, payments::to_json(rf)));
    p.refunds.push_back({*p.paid + 86'400'000, 3000});
    p.refunded = 3000;
    p.refunded_credit = 500;
    ds.pays.push_back(p);
    GOrder o{ord.id, c.contact, "EUR", c.id, p.amount, *p.paid, p.credit, p.refunded, p.refunded_credit};
    ds.orders.push_back(o);
  }
  // Another shop's conversation and payment: never in this shop's figures.
  {
    Conversation cv;
    cv.id = "cnv_other";
    cv.tenant_id = kOther;
    cv.channel_id = "ch_other";
    cv.contact_id = "ct_other";
    cv.created_at = ts("2026-10-23T10:00:00Z");
    push(make_event(kOther, "conversation.created", cv.created_at, cv.id, "ct_other", to_json(cv)));
  }
  std::stable_sort(evs.begin(), evs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [t, e] : evs) ds.events.push_back(std::move(e));
  // conversations created by the loop
  return ds;
}

// What the reports must say, computed directly from the generated records.
struct Expected {
  std::map<std::string, int64_t> conversations_by_channel;
  std::map<std::string, int64_t> conversations_by_day;  // "YYYY-MM-DD"
  int64_t conversations = 0, presale = 0, presale_paid = 0, resolved = 0;
  std::vector<int64_t> first_response, resolution;
  int64_t bot_conversations = 0, contained = 0, contained_helpful = 0, answered = 0, helpful = 0, not_helpful = 0;
  // per currency: money received and given back (gross, refunds), store credit spent and given
  // back, order value (money + credit)
  std::map<std::string, int64_t> payments, gross, refunds, credit_spent, credit_refunded, order_value;
  std::map<std::pair<std::string, std::string>, int64_t> net_by_sender;     // (currency, sender dim)
  std::map<std::pair<std::string, std::string>, int64_t> order_value_net_by_channel;  // (currency, channel id)
  std::map<std::pair<std::string, std::string>, int64_t> net_by_day;        // (day, currency)
  int64_t links_created = 0, links_sent = 0, links_opened = 0, links_paid = 0, links_expired = 0;
  int64_t sla = 0;
  std::map<std::string, int64_t> sla_by_target;
  int64_t csat_n = 0, csat_sum = 0, csat_sat = 0;
  std::map<std::string, int64_t> window_orders, window_revenue, window_revenue_net, window_order_value;
  int64_t reminders = 0, recovered = 0;
  std::map<std::string, int64_t> recovered_by_channel, recovered_orders, recovered_revenue;  // channel id; currency
};

Expected expect(const Dataset& ds, const TimeZone& z, Date from, Date to, int64_t window_days) {
  Expected x;
  int64_t lo = z.day_start(from), hi = z.day_start(civil_from_days(days_from_civil(to) + 1));
  auto in = [&](int64_t t) { return t >= lo && t < hi; };
  std::map<std::string, const GConv*> by_id;
  for (const auto& c : ds.convs) by_id[c.id] = &c;
  std::set<std::string> paid_convs;
  for (const auto& p : ds.pays)
    if (p.paid) paid_convs.insert(p.conv);
  for (const auto& c : ds.convs) {
    if (!in(c.created)) continue;
    ++x.conversations;
    ++x.conversations_by_channel[c.channel];
    ++x.conversations_by_day[format_date(z.local_date(c.created))];
    x.presale += c.presale;
    x.presale_paid += c.presale && paid_convs.count(c.id);
    x.resolved += !c.resolves.empty();
    std::optional<int64_t> fr;
    if (c.bot_reply) fr = c.bot_reply;
    if (c.agent_reply && (!fr || *c.agent_reply < *fr)) fr = c.agent_reply;
    if (fr) x.first_response.push_back((*fr - c.created) / 1000);
    if (!c.resolves.empty()) x.resolution.push_back((c.resolves.front() - c.created) / 1000);
    bool bot = c.bot_reply.has_value();
    x.bot_conversations += bot;
    bool contained = bot && !c.agent_reply && !c.resolves.empty();
    x.contained += contained;
    x.contained_helpful += contained && c.helpful;
  }
  for (const auto& c : ds.convs) {
    if (c.answered && in(*c.bot_reply)) ++x.answered;
    if (c.helpful && in(*c.bot_reply + 60'000)) ++x.helpful;
    if (c.not_helpful && in(*c.bot_reply + 60'000)) ++x.not_helpful;
  }
  for (const auto& p : ds.pays) {
    if (in(p.created)) {
      ++x.links_created;
      x.links_sent += p.sent;
      x.links_opened += p.opened.has_value();
      x.links_paid += p.paid.has_value();
      x.links_expired += p.expired.has_value();
    }
    if (p.paid && in(*p.paid) && !p.conv.empty()) {
      int64_t money = p.amount - p.credit, money_back = p.refunded - p.refunded_credit;
      ++x.payments[p.currency];
      x.gross[p.currency] += money;
      x.refunds[p.currency] += money_back;
      x.credit_spent[p.currency] += p.credit;
      x.credit_refunded[p.currency] += p.refunded_credit;
      x.order_value[p.currency] += p.amount;
      std::string sender = p.created_by.rfind("agent:", 0) == 0 ? "by:" + p.created_by
                           : p.created_by == "bot"              ? "by:bot"
                                                                : "by:api";
      x.net_by_sender[{p.currency, sender}] += money - money_back;
      x.net_by_day[{format_date(z.local_date(*p.paid)), p.currency}] += money - money_back;
      x.order_value_net_by_channel[{p.currency, by_id.at(p.conv)->channel}] += p.amount - p.refunded;
    }
  }
  for (const auto& s : ds.slas)
    if (in(s.breached)) {
      ++x.sla;
      ++x.sla_by_target[s.target];
    }
  for (const auto& s : ds.csats)
    if (in(s.at)) {
      ++x.csat_n;
      x.csat_sum += s.score;
      x.csat_sat += s.score >= 4;
    }
  for (const auto& g : ds.reminders) {
    x.reminders += in(g.sent);
    if (g.paid && in(*g.paid)) {
      ++x.recovered;
      ++x.recovered_by_channel[g.channel];
      ++x.recovered_orders[g.currency];
      x.recovered_revenue[g.currency] += g.total;
    }
  }
  for (const auto& o : ds.orders) {
    if (!in(o.paid)) continue;
    const GConv* c = by_id.at(o.payment_ref);
    int64_t last = 0;  // the contact's last message before the order
    for (std::optional<int64_t> t : {std::optional<int64_t>(c->created), c->bot_reply, c->agent_reply})
      if (t && *t <= o.paid) last = std::max(last, *t);
    if (o.paid - last < window_days * 86'400'000LL) {
      int64_t money_back = o.refunded - o.refunded_credit;
      ++x.window_orders[o.currency];
      x.window_revenue[o.currency] += o.total - o.credit;
      x.window_revenue_net[o.currency] += o.total - o.credit - money_back;
      x.window_order_value[o.currency] += o.total;
    }
  }
  return x;
}

class ReportsStore : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_reports");
    if (IsSkipped() || HasFatalFailure()) return;
    url_ = place_.url();
    open();
    ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                  repo::create_tenant(tx, kTenant, "Shop", 1);
                  repo::create_tenant(tx, kOther, "Other", 1);
                  repo::create_channel(tx, Channel{"ch_web", kTenant, "webchat", "Web chat", "{}", 1});
                  repo::create_channel(tx, Channel{"ch_wa", kTenant, "whatsapp", "WhatsApp", "{}", 1});
                  repo::create_agent(tx, Agent{"ag_1", kTenant, "anna@shop.test", "Anna", Role::agent}, "x", 1);
                  repo::create_agent(tx, Agent{"ag_2", kTenant, "bruno@shop.test", "Bruno", Role::admin}, "x", 1);
                  return {};
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  void open() {
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void write_dataset(const Dataset& ds) {
    ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                  for (const auto& [tenant, rows] : ds.payment_rows)
                    for (const auto& p : rows) payments::db::insert_payment(tx, p);
                  for (auto e : ds.events) repo::append_event(tx, e);
                  return {};
                }).ok());
  }
  void set_tz(const std::string& tz, int64_t window = 7) {
    ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                  return put_settings(tx, kTenant, Settings{tz, window}, 1);
                }).ok());
  }
  Table report(const std::string& name, const std::string& from, const std::string& to,
               std::optional<std::string> tz = std::nullopt, const std::string& tenant = kTenant) {
    Table t;
    store::read_sync(*store_, [&](store::Tx& tx) {
      auto s = get_settings(tx, tenant);
      auto r = parse_range(from, to, tz, std::nullopt, s, 0);
      ASSERT_TRUE(r.ok());
      t = build(name, load(tx, tenant, *r, s, name), *r);
    });
    return t;
  }

  std::unique_ptr<store::Store> store_;
  store::ScratchStore place_;
  std::string url_;
  Metrics metrics_;
};

// The summary's value for (metric, breakdown, key, currency); nullopt when absent.
std::optional<Cell> fig(const Table& t, const std::string& metric, const std::string& key = "",
                        const std::string& currency = "") {
  for (const auto& row : t.rows)
    if (std::get<std::string>(row[0]) == metric && std::get<std::string>(row[2]) == key &&
        std::get<std::string>(row[4]) == currency)
      return row[5];
  return std::nullopt;
}
int64_t ifig(const Table& t, const std::string& metric, const std::string& key = "", const std::string& cur = "") {
  auto c = fig(t, metric, key, cur);
  if (!c || !std::holds_alternative<int64_t>(*c)) return -1;
  return std::get<int64_t>(*c);
}
double dfig(const Table& t, const std::string& metric) {
  auto c = fig(t, metric);
  if (!c) return -1;
  if (std::holds_alternative<double>(*c)) return std::get<double>(*c);
  if (std::holds_alternative<int64_t>(*c)) return static_cast<double>(std::get<int64_t>(*c));
  return -2;  // null
}

void check_summary(const Table& t, const Expected& x, int64_t window_days) {
  EXPECT_EQ(ifig(t, "conversations"), x.conversations);
  for (const auto& [ch, n] : x.conversations_by_channel) EXPECT_EQ(ifig(t, "conversations", ch), n) << ch;
  EXPECT_EQ(ifig(t, "presale_conversations"), x.presale);
  EXPECT_EQ(ifig(t, "presale_converted"), x.presale_paid);
  EXPECT_NEAR(dfig(t, "presale_conversion_rate"), x.presale ? double(x.presale_paid) / x.presale : 0, 1e-4);
  for (const auto& [cur, n] : x.payments) {
    EXPECT_EQ(ifig(t, "payments", "", cur), n) << cur;
    EXPECT_EQ(ifig(t, "revenue_gross", "", cur), x.gross.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "refunds", "", cur), x.refunds.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "revenue_net", "", cur), x.gross.at(cur) - x.refunds.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "credit_spent", "", cur), x.credit_spent.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "credit_refunded", "", cur), x.credit_refunded.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "order_value", "", cur), x.order_value.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "order_value", "", cur), x.gross.at(cur) + x.credit_spent.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "order_value_net", "", cur),
              x.order_value.at(cur) - x.refunds.at(cur) - x.credit_refunded.at(cur)) << cur;
    // The average order value is the orders' value (money + credit), not the money alone.
    EXPECT_EQ(ifig(t, "average_order_value", "", cur), std::llround(double(x.order_value.at(cur)) / n)) << cur;
  }
  for (const auto& [k, v] : x.order_value_net_by_channel) EXPECT_EQ(ifig(t, "order_value_net", k.second, k.first), v) << k.second;
  for (const auto& [k, net] : x.net_by_sender) {
    std::string key = k.second == "by:bot" ? "bot" : k.second == "by:api" ? "api" : k.second.substr(9);
    EXPECT_EQ(ifig(t, "revenue_net", key, k.first), net) << k.first << " " << k.second;
  }
  EXPECT_EQ(ifig(t, "links_created"), x.links_created);
  EXPECT_EQ(ifig(t, "links_sent"), x.links_sent);
  EXPECT_EQ(ifig(t, "links_opened"), x.links_opened);
  EXPECT_EQ(ifig(t, "links_paid"), x.links_paid);
  EXPECT_EQ(ifig(t, "links_expired"), x.links_expired);
  EXPECT_EQ(ifig(t, "first_response_count"), static_cast<int64_t>(x.first_response.size()));
  EXPECT_EQ(ifig(t, "resolution_count"), static_cast<int64_t>(x.resolution.size()));
  for (auto [name, vals] : {std::pair{"first_response", x.first_response}, std::pair{"resolution", x.resolution}})
    for (int p : {50, 90}) {
      double exact = exact_percentile(vals, p);
      double got = dfig(t, std::string(name) + "_p" + std::to_string(p) + "_s");
      EXPECT_LE(std::abs(got - exact), exact / 64.0) << name << " p" << p << " exact " << exact << " got " << got;
    }
  EXPECT_EQ(ifig(t, "bot_conversations"), x.bot_conversations);
  EXPECT_EQ(ifig(t, "bot_contained"), x.contained);
  EXPECT_EQ(ifig(t, "bot_contained_helpful"), x.contained_helpful);
  EXPECT_EQ(ifig(t, "bot_answered"), x.answered);
  EXPECT_EQ(ifig(t, "bot_helpful"), x.helpful);
  EXPECT_EQ(ifig(t, "bot_false_answers"), x.not_helpful);
  EXPECT_EQ(ifig(t, "sla_breaches"), x.sla);
  for (const auto& [target, n] : x.sla_by_target) EXPECT_EQ(ifig(t, "sla_breaches", target), n) << target;
  EXPECT_EQ(ifig(t, "csat_responses"), x.csat_n);
  if (x.csat_n) {
    EXPECT_NEAR(dfig(t, "csat_average"), std::round(double(x.csat_sum) / x.csat_n * 100) / 100, 1e-9);
  }
  EXPECT_NEAR(dfig(t, "csat_satisfied_rate"), x.csat_n ? std::round(double(x.csat_sat) / x.csat_n * 1e4) / 1e4 : 0, 1e-9);
  std::string wkey = std::to_string(window_days) + "d";
  for (const auto& [cur, n] : x.window_orders) {
    EXPECT_EQ(ifig(t, "window_orders", wkey, cur), n) << cur;
    EXPECT_EQ(ifig(t, "window_revenue", wkey, cur), x.window_revenue.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "window_revenue_net", wkey, cur), x.window_revenue_net.at(cur)) << cur;
    EXPECT_EQ(ifig(t, "window_order_value", wkey, cur), x.window_order_value.at(cur)) << cur;
  }
  EXPECT_EQ(ifig(t, "cart_reminders"), x.reminders);
  EXPECT_EQ(ifig(t, "carts_recovered"), x.recovered);
  EXPECT_NEAR(dfig(t, "cart_recovery_rate"), x.reminders ? std::round(double(x.recovered) / x.reminders * 1e4) / 1e4 : 0, 1e-9);
  for (const auto& [ch, n] : x.recovered_by_channel) EXPECT_EQ(ifig(t, "carts_recovered", ch), n) << ch;
  for (const auto& [cur, n] : x.recovered_orders) {
    EXPECT_EQ(ifig(t, "recovered_orders", "", cur), n) << cur;
    EXPECT_EQ(ifig(t, "recovered_revenue", "", cur), x.recovered_revenue.at(cur)) << cur;
  }
  for (const auto& row : t.rows) {  // no revenue row for a currency nothing was recovered in
    if (std::get<std::string>(row[0]) == "recovered_revenue") {
      EXPECT_TRUE(x.recovered_revenue.count(std::get<std::string>(row[4]))) << std::get<std::string>(row[4]);
    }
  }
}

void check_days(const Table& conv, const Table& rev, const Expected& x) {
  // conversations: period, breakdown, key, label, conversations, ...
  std::map<std::string, int64_t> got;
  for (const auto& row : conv.rows)
    if (std::get<std::string>(row[1]) == "total" && std::get<std::string>(row[0]) != "total")
      got[std::get<std::string>(row[0])] = std::get<int64_t>(row[4]);
  for (const auto& [day, n] : x.conversations_by_day) EXPECT_EQ(got[day], n) << day;
  int64_t sum = 0;
  for (const auto& [day, n] : got) sum += n;
  EXPECT_EQ(sum, x.conversations);
  // revenue: period, breakdown, key, label, currency, payments, gross, refunds, refund_count, net
  std::map<std::pair<std::string, std::string>, int64_t> net;
  for (const auto& row : rev.rows)
    if (std::get<std::string>(row[1]) == "total" && std::get<std::string>(row[0]) != "total")
      net[{std::get<std::string>(row[0]), std::get<std::string>(row[4])}] = std::get<int64_t>(row[9]);
  for (const auto& [k, v] : x.net_by_day) EXPECT_EQ(net[k], v) << k.first << " " << k.second;
}

TEST_P(ReportsStore, GeneratedDatasetFigureByFigure) {
  Dataset ds = generate(400, 42);
  ASSERT_EQ(ds.convs.size(), 400u);
  set_tz("Europe/Rome");
  write_dataset(ds);
  ReportsListener l(*store_, metrics_, 500);  // several transactions
  EXPECT_EQ(l.catch_up(), static_cast<int64_t>(ds.events.size()));

  auto rome = *TimeZone::load("Europe/Rome");
  Expected x = expect(ds, *rome, {2026, 10, 22}, {2026, 10, 28}, 7);
  ASSERT_GT(x.conversations, 100);
  ASSERT_FALSE(x.payments.empty());
  // The dataset has links paid partly with store credit and refunds that went partly back to it.
  int64_t credit = 0, credit_back = 0;
  for (const auto& [cur, v] : x.credit_spent) credit += v;
  for (const auto& [cur, v] : x.credit_refunded) credit_back += v;
  ASSERT_GT(credit, 0);
  ASSERT_GT(credit_back, 0);
  ASSERT_EQ(x.window_order_value.at("EUR") - x.window_revenue.at("EUR"), 1500);  // pay_mail's credit
  ASSERT_GT(x.sla, 0);
  ASSERT_GT(x.csat_n, 0);
  ASSERT_GT(x.recovered, 5);
  ASSERT_GT(x.reminders, x.recovered);
  ASSERT_EQ(x.recovered_orders.size(), 2u);
  Table sum = report("summary", "2026-10-22", "2026-10-28");
  check_summary(sum, x, 7);
  check_days(report("conversations", "2026-10-22", "2026-10-28"), report("revenue", "2026-10-22", "2026-10-28"), x);

  // A zone with the same days as the shop's (Berlin = Rome) reads the day grain: same figures.
  check_summary(report("summary", "2026-10-22", "2026-10-28", "Europe/Berlin"), x, 7);

  // The same range read in another zone (quarter-hour grain): Kathmandu, +05:45.
  auto ktm = *TimeZone::load("Asia/Kathmandu");
  Expected xk = expect(ds, *ktm, {2026, 10, 22}, {2026, 10, 28}, 7);
  check_summary(report("summary", "2026-10-22", "2026-10-28", "Asia/Kathmandu"), xk, 7);
  check_days(report("conversations", "2026-10-22", "2026-10-28", "Asia/Kathmandu"),
             report("revenue", "2026-10-22", "2026-10-28", "Asia/Kathmandu"), xk);

  // The other shop sees its own conversation only.
  Table other = report("summary", "2026-10-22", "2026-10-28", std::nullopt, kOther);
  EXPECT_EQ(ifig(other, "conversations"), 1);
  EXPECT_EQ(ifig(other, "links_created"), 0);

  // Switching the shop's zone rebuilds the daily figures: day grain == quarter-hour grain.
  set_tz("Asia/Kathmandu", 8);
  Expected xk8 = expect(ds, *ktm, {2026, 10, 22}, {2026, 10, 28}, 8);
  check_summary(report("summary", "2026-10-22", "2026-10-28"), xk8, 8);
}

// One link by hand: EUR 100.00, EUR 30.00 of it store credit, refunded EUR 80.00 (the 70.00 the
// provider captured go back as money, 10.00 returns credit); another of EUR 50.00 paid wholly
// with credit. Money: gross 70, refunds 70, net 0; credit spent 80, given back 10; order value
// 150, net 70; average order value 75 (the orders' value, not the money).
TEST_P(ReportsStore, StoreCreditIsNotMoneyButPartOfTheOrderValue) {
  set_tz("UTC");
  const int64_t t0 = ts("2026-10-10T10:00:00Z");
  std::vector<Event> evs;
  Conversation cv;
  cv.id = "cnv_c";
  cv.tenant_id = kTenant;
  cv.channel_id = "ch_web";
  cv.contact_id = "ct_c";
  cv.created_at = cv.updated_at = t0;
  evs.push_back(make_event(kTenant, "conversation.created", t0, cv.id, "ct_c", to_json(cv)));
  std::vector<payments::Payment> rows;
  auto link = [&](const std::string& id, int64_t amount, int64_t credit, int64_t at) {
    payments::Payment row;
    row.id = id;
    row.tenant_id = kTenant;
    row.conversation_id = cv.id;
    row.contact_id = "ct_c";
    row.provider_id = "psp_1";
    row.token = "tok_" + id;
    row.verification_code = "1";
    row.status = "sent";
    row.message_id = "msg_" + id;
    row.amount = amount;
    row.currency = "EUR";
    row.created_by = "bot";
    row.credit_applied = credit;
    row.created_at = row.updated_at = at;
    rows.push_back(row);
    evs.push_back(make_event(kTenant, "payment.created", at, cv.id, "ct_c", payments::to_json(row, "http://x")));
    row.status = "paid";
    row.captured = amount - credit;
    row.paid_at = at + 60'000;
    evs.push_back(make_event(kTenant, "payment.succeeded", at + 60'000, cv.id, "ct_c", payments::to_json(row, "http://x")));
  };
  link("pay_c1", 10000, 3000, t0 + 60'000);
  link("pay_c2", 5000, 5000, t0 + 120'000);
  payments::Refund rf;
  rf.id = "rfd_c1";
  rf.payment_id = "pay_c1";
  rf.amount = 8000;
  rf.credit_amount = 1000;
  rf.currency = "EUR";
  rf.status = "succeeded";
  evs.push_back(make_event(kTenant, "refund.succeeded", ts("2026-10-12T09:00:00Z"), cv.id, "ct_c", payments::to_json(rf)));
  evs.push_back(make_event(kTenant, "refund.succeeded", ts("2026-10-12T09:00:01Z"), cv.id, "ct_c", payments::to_json(rf)));  // again: once
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                for (const auto& p : rows) payments::db::insert_payment(tx, p);
                for (auto e : evs) repo::append_event(tx, e);
                return {};
              }).ok());
  ReportsListener l(*store_, metrics_);
  EXPECT_EQ(l.catch_up(), static_cast<int64_t>(evs.size()));
  for (std::optional<std::string> tz : {std::optional<std::string>(), std::optional<std::string>("Asia/Kathmandu")}) {
    Table t = report("summary", "2026-10-01", "2026-10-31", tz);
    EXPECT_EQ(ifig(t, "payments", "", "EUR"), 2);
    EXPECT_EQ(ifig(t, "revenue_gross", "", "EUR"), 7000);
    EXPECT_EQ(ifig(t, "refunds", "", "EUR"), 7000);
    EXPECT_EQ(ifig(t, "revenue_net", "", "EUR"), 0);
    EXPECT_EQ(ifig(t, "credit_spent", "", "EUR"), 8000);
    EXPECT_EQ(ifig(t, "credit_refunded", "", "EUR"), 1000);
    EXPECT_EQ(ifig(t, "order_value", "", "EUR"), 15000);
    EXPECT_EQ(ifig(t, "order_value_net", "", "EUR"), 7000);
    EXPECT_EQ(ifig(t, "average_order_value", "", "EUR"), 7500);
    EXPECT_EQ(ifig(t, "revenue_net", "bot", "EUR"), 0);
    EXPECT_EQ(ifig(t, "order_value_net", "ch_web", "EUR"), 7000);
    // The revenue report's total row says the same, column by column.
    Table rev = report("revenue", "2026-10-01", "2026-10-31", tz);
    std::map<std::string, Cell> total;
    for (const auto& row : rev.rows)
      if (std::get<std::string>(row[0]) == "total" && std::get<std::string>(row[1]) == "total")
        for (size_t i = 0; i < rev.columns.size(); ++i) total[rev.columns[i]] = row[i];
    EXPECT_EQ(std::get<int64_t>(total["gross"]), 7000);
    EXPECT_EQ(std::get<int64_t>(total["refunds"]), 7000);
    EXPECT_EQ(std::get<int64_t>(total["refund_count"]), 1);
    EXPECT_EQ(std::get<int64_t>(total["net"]), 0);
    EXPECT_EQ(std::get<int64_t>(total["order_value"]), 15000);
    EXPECT_EQ(std::get<int64_t>(total["credit_spent"]), 8000);
    EXPECT_EQ(std::get<int64_t>(total["credit_refunded"]), 1000);
    EXPECT_EQ(std::get<int64_t>(total["order_value_net"]), 7000);
    EXPECT_EQ(std::get<int64_t>(total["average_order_value"]), 7500);
  }
}

// A zone other than the shop's reads UTC hours, plus quarter hours for the part of an hour a
// :30/:45 zone's day starts or ends in: every report equals the quarter-hour reference cell by
// cell, and the brute-force figures, in zones at +05:45, +05:30, -03:30 (with its DST end),
// +13:00, and whole-hour zones across their DST ends.
TEST_P(ReportsStore, OtherZonesReadHoursAndQuarterEdgesWithTheQuarterHourFigures) {
  Dataset ds = generate(400, 42);
  set_tz("UTC");
  write_dataset(ds);
  ReportsListener l(*store_, metrics_, 1000);
  EXPECT_EQ(l.catch_up(), static_cast<int64_t>(ds.events.size()));
  auto read = [&](const std::string& zone, const std::string& from, const std::string& to, const std::string& report,
                  bool quarters_only) {
    Data d;
    Range range;
    store::read_sync(*store_, [&](store::Tx& tx) {
      auto s = get_settings(tx, kTenant);
      auto r = parse_range(from, to, zone, std::nullopt, s, 0);
      ASSERT_TRUE(r.ok());
      range = *r;
      d = load(tx, kTenant, range, s, report, quarters_only);
    });
    return std::pair{d, range};
  };
  for (const char* zone : {"Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns", "Pacific/Tongatapu", "Europe/Rome",
                           "America/New_York", "Australia/Lord_Howe"})
    for (auto [from, to] : {std::pair{"2026-10-22", "2026-10-28"}, std::pair{"2026-10-26", "2026-11-03"},
                            std::pair{"2026-10-25", "2026-10-25"}}) {  // (one day: no whole day of the shop's inside)
      SCOPED_TRACE(std::string(zone) + " " + from + ".." + to);
      auto [quarters, qrange] = read(zone, from, to, "", true);
      EXPECT_EQ(quarters.source, "quarter_hour");
      for (const auto& name : report_names()) {
        auto [hours, range] = read(zone, from, to, name, false);  // only what the report reads
        EXPECT_EQ(hours.source, "hour");
        Table a = build(name, hours, range), b = build(name, quarters, qrange);
        EXPECT_EQ(a.columns, b.columns) << name;
        ASSERT_EQ(a.rows.size(), b.rows.size()) << name;
        for (size_t i = 0; i < a.rows.size(); ++i) EXPECT_TRUE(a.rows[i] == b.rows[i]) << name << " row " << i;
      }
      auto z = *TimeZone::load(zone);
      Expected x = expect(ds, *z, *parse_date(from), *parse_date(to), 7);
      check_summary(build("summary", read(zone, from, to, "summary", false).first, qrange), x, 7);
      check_days(build("conversations", read(zone, from, to, "conversations", false).first, qrange),
                 build("revenue", read(zone, from, to, "revenue", false).first, qrange), x);
    }
}

// The spans of a local day: whole UTC hours, and quarter hours at the edges of a :30/:45 zone's day.
TEST(Spans, WholeHoursAndQuarterEdges) {
  auto days = [](const char* zone, Date from, int n) {
    auto z = *TimeZone::load(zone);
    std::vector<int64_t> starts;
    for (int i = 0; i <= n; ++i) starts.push_back(z->day_start(civil_from_days(days_from_civil(from) + i)));
    return starts;
  };
  auto covered = [](const std::vector<Span>& sp, size_t period) {
    int64_t ms = 0;
    for (const auto& s : sp)
      if (s.period == period) ms += (s.hi - s.lo) * (s.grain == 'h' ? kHourMs : kQuarterMs);
    return ms;
  };
  // Kathmandu (+05:45): 18:15-19:00 UTC in quarters, 19:00-18:00 in hours, 18:00-18:15 in a quarter.
  auto k = days("Asia/Kathmandu", {2026, 10, 25}, 1);
  auto sk = spans(k);
  ASSERT_EQ(sk.size(), 3u);
  EXPECT_EQ(sk[0].grain, 'q');
  EXPECT_EQ(sk[0].lo * kQuarterMs, ts("2026-10-24T18:15:00Z"));
  EXPECT_EQ(sk[0].hi * kQuarterMs, ts("2026-10-24T19:00:00Z"));
  EXPECT_EQ(sk[1].grain, 'h');
  EXPECT_EQ(sk[1].lo * kHourMs, ts("2026-10-24T19:00:00Z"));
  EXPECT_EQ(sk[1].hi * kHourMs, ts("2026-10-25T18:00:00Z"));
  EXPECT_EQ(sk[2].grain, 'q');
  EXPECT_EQ(sk[2].hi * kQuarterMs, ts("2026-10-25T18:15:00Z"));
  // Rome's 25-hour day: one span of 25 hours; New York's DST end: 25 hours.
  auto sr = spans(days("Europe/Rome", {2026, 10, 25}, 1));
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(sr[0].hi - sr[0].lo, 25);
  auto sn = spans(days("America/New_York", {2026, 11, 1}, 1));
  ASSERT_EQ(sn.size(), 1u);
  EXPECT_EQ(sn[0].hi - sn[0].lo, 25);
  // St John's (-02:30 -> -03:30 on 2026-11-01): half an hour of quarters at each edge, 25 hours in all.
  auto sj = days("America/St_Johns", {2026, 10, 31}, 3);
  auto ss = spans(sj);
  for (size_t p = 0; p < 3; ++p) EXPECT_EQ(covered(ss, p), sj[p + 1] - sj[p]) << p;
  EXPECT_EQ(covered(ss, 1), 25 * kHourMs);
  EXPECT_EQ(covered(spans(sj, true), 1), 25 * kHourMs);
  // Tongatapu (+13:00): whole hours.
  for (const auto& s : spans(days("Pacific/Tongatapu", {2026, 10, 20}, 10))) EXPECT_EQ(s.grain, 'h');
}

TEST_P(ReportsStore, RedeliveryRollbackAndRestartCountOnce) {
  Dataset ds = generate(120, 9);
  set_tz("Europe/Rome");
  write_dataset(ds);
  // A batch that rolls back (the store failed after the aggregates were written) counts nothing.
  auto st = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
    apply_pending(tx, 100000);
    return Error::internal("simulated failure");
  });
  EXPECT_FALSE(st.ok());
  int64_t cur = -1;
  store::read_sync(*store_, [&](store::Tx& tx) { cur = stored_cursor(tx); });
  EXPECT_EQ(cur, 0);
  {
    ReportsListener l(*store_, metrics_);
    l.catch_up();
    // The dispatcher delivers the same events again (a crash before it stored its cursor).
    for (const auto& e : ds.events) l.on_event(e);
    l.on_batch_end();
    EXPECT_EQ(l.catch_up(), 0);
  }
  auto rome = *TimeZone::load("Europe/Rome");
  Expected x = expect(ds, *rome, {2026, 10, 22}, {2026, 10, 28}, 7);
  check_summary(report("summary", "2026-10-22", "2026-10-28"), x, 7);
  // Restart: the aggregates and the cursor are in the database.
  store_->close();
  store_.reset();
  open();
  ReportsListener again(*store_, metrics_);
  EXPECT_EQ(again.catch_up(), 0);
  check_summary(report("summary", "2026-10-22", "2026-10-28"), x, 7);
}

// The dispatcher's batches are applied as delivered (no outbox read) when they continue the
// reports' cursor; a redelivered batch (a crash after the reports committed, before the
// dispatcher stored its cursor) counts nothing again, and a batch that leaves a gap after the
// cursor makes the listener read the outbox, so the events it skipped still count once.
TEST_P(ReportsStore, DeliveredBatchesCountOnceWhateverTheDispatcherRedeliversOrSkips) {
  Dataset ds = generate(120, 11);
  set_tz("Europe/Rome");
  write_dataset(ds);
  std::vector<Event> outbox;
  store::read_sync(*store_, [&](store::Tx& tx) { outbox = repo::events_after(tx, 0, 1'000'000); });
  ASSERT_GT(outbox.size(), 300u);
  auto deliver = [&](ReportsListener& l, size_t from, size_t to) {  // outbox[from, to) as one batch
    for (size_t i = from; i < to && i < outbox.size(); ++i) l.on_event(outbox[i]);
    l.on_batch_end();
  };
  size_t third = outbox.size() / 3;
  {
    ReportsListener l(*store_, metrics_);
    deliver(l, 0, third);
    EXPECT_EQ(l.cursor(), outbox[third - 1].seq);
    deliver(l, third - 20, third + 40);  // redelivered in part
    EXPECT_EQ(l.cursor(), outbox[third + 39].seq);
    // A batch that starts after a gap: the 60 events before it (and what follows) are read from
    // the outbox.
    deliver(l, third + 100, 2 * third);
    EXPECT_GE(l.cursor(), outbox[2 * third - 1].seq);
    deliver(l, 2 * third, outbox.size());
    EXPECT_EQ(l.cursor(), outbox.back().seq);
    EXPECT_EQ(l.catch_up(), 0);
  }
  auto rome = *TimeZone::load("Europe/Rome");
  Expected x = expect(ds, *rome, {2026, 10, 22}, {2026, 10, 28}, 7);
  check_summary(report("summary", "2026-10-22", "2026-10-28"), x, 7);
  check_days(report("conversations", "2026-10-22", "2026-10-28"), report("revenue", "2026-10-22", "2026-10-28"), x);
}

// apply_pending uses delivered events only when they continue the stored cursor: the same figures
// as reading the outbox, in one transaction with the cursor (a rolled-back one counts nothing).
TEST_P(ReportsStore, DeliveredEventsRollBackWithTheirTransaction) {
  Dataset ds = generate(40, 5);
  set_tz("Europe/Rome");
  write_dataset(ds);
  std::vector<Event> outbox;
  store::read_sync(*store_, [&](store::Tx& tx) { outbox = repo::events_after(tx, 0, 1'000'000); });
  CatchUp r;
  auto st = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
    r = apply_pending(tx, 100000, &outbox);
    return Error::internal("simulated failure after the aggregates were written");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(r.applied, static_cast<int64_t>(outbox.size()));
  int64_t cur = -1;
  store::read_sync(*store_, [&](store::Tx& tx) { cur = stored_cursor(tx); });
  EXPECT_EQ(cur, 0);
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                r = apply_pending(tx, 100000, &outbox);
                return {};
              }).ok());
  EXPECT_EQ(r.applied, static_cast<int64_t>(outbox.size()));
  EXPECT_EQ(r.cursor, outbox.back().seq);
  EXPECT_FALSE(r.more);
  auto rome = *TimeZone::load("Europe/Rome");
  Expected x = expect(ds, *rome, {2026, 10, 22}, {2026, 10, 28}, 7);
  check_summary(report("summary", "2026-10-22", "2026-10-28"), x, 7);
}

TEST_P(ReportsStore, CatchesUpHistoryInTheBackgroundAtStart) {
  Dataset ds = generate(60, 3);
  set_tz("Europe/Rome");
  write_dataset(ds);
  int64_t newest = 0;
  store::read_sync(*store_, [&](store::Tx& tx) { newest = repo::max_event_seq(tx); });
  {
    ReportsListener l(*store_, metrics_, 100);
    l.start();  // no event is delivered: the history is applied anyway
    for (int i = 0; i < 600 && l.cursor() < newest; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    l.stop();
    EXPECT_EQ(l.cursor(), newest);
  }
  auto rome = *TimeZone::load("Europe/Rome");
  check_summary(report("summary", "2026-10-22", "2026-10-28"), expect(ds, *rome, {2026, 10, 22}, {2026, 10, 28}, 7), 7);
}

TEST_P(ReportsStore, BadRangesAndSettings) {
  Settings s;
  EXPECT_EQ(parse_range("2026-10-28", "2026-10-22", std::nullopt, std::nullopt, s, 0).error().field, "from");
  EXPECT_EQ(parse_range("2026-13-01", "2026-10-22", std::nullopt, std::nullopt, s, 0).error().field, "from");
  EXPECT_EQ(parse_range("2020-01-01", "2026-10-22", std::nullopt, std::nullopt, s, 0).error().field, "to");
  EXPECT_EQ(parse_range(std::nullopt, std::nullopt, std::string("Mars/Base"), std::nullopt, s, 0).error().field, "tz");
  EXPECT_EQ(parse_range(std::nullopt, std::nullopt, std::nullopt, std::string("0"), s, 0).error().field, "window_days");
  EXPECT_EQ(parse_range(std::nullopt, std::nullopt, std::nullopt, std::string("7x"), s, 0).error().field, "window_days");
  auto def = parse_range(std::nullopt, std::nullopt, std::nullopt, std::nullopt, s, ts("2026-10-28T12:00:00Z"));
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->to, (Date{2026, 10, 28}));
  EXPECT_EQ(def->from, (Date{2026, 9, 29}));
  auto bad = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
    return put_settings(tx, kTenant, Settings{"Nowhere/City", 7}, 1);
  });
  EXPECT_EQ(bad.error().field, "time_zone");
  bad = store::write_sync(*store_, [&](store::Tx& tx) -> Status {
    return put_settings(tx, kTenant, Settings{"UTC", 91}, 1);
  });
  EXPECT_EQ(bad.error().field, "attribution_window_days");
  store::read_sync(*store_, [&](store::Tx& tx) { EXPECT_EQ(get_settings(tx, kTenant).time_zone, "UTC"); });
}

INSTANTIATE_TEST_SUITE_P(Stores, ReportsStore, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace bottega::reports
