// Reports benchmark (make bench -> bench/reports.sh): one million conversations (BENCH_CONVERSATIONS)
// over three months, with their messages, bot turns, tags, resolutions, payment links, payments
// and refunds, fed through the aggregator as the outbox listener would (transactions of 5,000
// events; BENCH_TX_EVENTS), then the month's dashboard (summary + daily conversations + daily
// revenue) timed in the shop's zone (day grain), in other zones (UTC hours, plus quarter hours at
// the day edges of a :45 zone) and, for reference, from quarter hours only. Also the write cost:
// aggregate rows upserted per event and grain, and the CPU time per event. Prints key=value lines.
// GCC 12 reports std::variant<..., std::string> cells in initializer lists as maybe-uninitialized
// (a known false positive at -O2).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sys/resource.h>
#include <unistd.h>

#include "core/model.hpp"
#include "payments/model.hpp"
#include "reports/aggregator.hpp"
#include "reports/report.hpp"
#include "store/repo/repo.hpp"

namespace bj = boost::json;
namespace fs = std::filesystem;
using namespace bottega;
using namespace bottega::reports;
using Clock = std::chrono::steady_clock;

namespace {

Event ev(const std::string& type, int64_t at, const std::string& conv, const bj::object& data, bool internal = false) {
  Event e;
  e.tenant_id = "ten_bench";
  e.type = type;
  e.conversation_id = conv;
  e.internal = internal;
  e.created_at_ms = at;
  e.payload_json = bj::serialize(bj::object{{"type", type}, {"created_at", rfc3339(at)}, {"data", data}});
  return e;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double cpu_s() {  // this process, all threads (the store's included)
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main() {
  int64_t n = std::getenv("BENCH_CONVERSATIONS") ? std::atoll(std::getenv("BENCH_CONVERSATIONS")) : 1'000'000;
  size_t tx_events = std::getenv("BENCH_TX_EVENTS") ? std::strtoull(std::getenv("BENCH_TX_EVENTS"), nullptr, 10) : 5000;
  if (tx_events == 0) tx_events = 5000;
  std::string url;
  fs::path dir;
  if (const char* u = std::getenv("BENCH_STORE_URL"); u && *u) {
    url = u;
  } else {
    dir = fs::temp_directory_path() / ("bottega_reports_bench_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = "sqlite://" + (dir / "bench.db").string();
  }
  auto opened = store::open_store(url, {}, true);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto store = std::move(opened).value();
  // BENCH_REUSE=1 with BENCH_STORE_URL: a database an earlier run filled; only the dashboards run.
  bool reuse = std::getenv("BENCH_REUSE") && std::string(std::getenv("BENCH_REUSE")) == "1";
  if (reuse) n = 0;
  auto st = reuse ? Status{} : store::write_sync(*store, [&](store::Tx& tx) -> Status {
    repo::create_tenant(tx, "ten_bench", "Bench", 1);
    for (int c = 0; c < 5; ++c)
      repo::create_channel(tx, Channel{"ch_" + std::to_string(c), "ten_bench", "webchat", "Channel " + std::to_string(c), "{}", 1});
    return put_settings(tx, "ten_bench", Settings{"Europe/Rome", 7}, 1);
  });
  if (!st.ok()) {
    std::fprintf(stderr, "setup: %s\n", st.error().message.c_str());
    return 1;
  }

  const int64_t start = *parse_timestamp("2026-09-01T00:00:00Z");
  const int64_t span = *parse_timestamp("2026-12-01T00:00:00Z") - start;
  const char* currencies[] = {"EUR", "EUR", "EUR", "USD", "GBP"};
  std::mt19937_64 rng(1);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<Event> batch;
  int64_t events = 0, txs = 0;
  Aggregator::Written written;
  auto flush = [&] {
    Aggregator::Written w;
    auto s = store::write_sync(*store, [&](store::Tx& tx) -> Status {
      Aggregator agg(tx);
      for (const auto& e : batch) agg.apply(e);
      agg.flush();
      w = agg.written();
      return {};
    });
    written.q += w.q;
    written.h += w.h;
    written.d += w.d;
    if (!s.ok()) {
      std::fprintf(stderr, "apply: %s\n", s.error().message.c_str());
      std::exit(1);
    }
    events += static_cast<int64_t>(batch.size());
    ++txs;
    batch.clear();
  };
  auto t0 = Clock::now();
  double cpu0 = cpu_s();
  for (int64_t i = 0; i < n; ++i) {
    int64_t at = start + span * i / n + uni(0, 60'000);
    std::string id = "cnv_" + std::to_string(i), channel = "ch_" + std::to_string(i % 5);
    Conversation c;
    c.id = id;
    c.tenant_id = "ten_bench";
    c.channel_id = channel;
    c.contact_id = "ct_" + std::to_string(i);
    c.created_at = c.updated_at = at;
    batch.push_back(ev("conversation.created", at, id, to_json(c)));
    Message m;
    m.id = "msg_" + std::to_string(i);
    m.conversation_id = id;
    m.direction = "in";
    m.author_kind = "contact";
    m.kind = "text";
    m.created_at = at;
    batch.push_back(ev("message.created", at, id, to_json(m)));
    bool bot = uni(0, 1);
    m.direction = "out";
    m.author_kind = bot ? "bot" : "agent";
    if (!bot) m.author_id = "ag_" + std::to_string(i % 10);
    m.created_at = at + (bot ? uni(1'000, 3'000) : uni(30'000, 4 * 3'600'000));
    batch.push_back(ev("message.created", m.created_at, id, to_json(m)));
    if (bot)
      batch.push_back(ev("bot.turn", m.created_at, id,
                         bj::object{{"conversation_id", id}, {"outcome", uni(0, 9) < 8 ? "answered" : "not_helpful"},
                                    {"created_at", rfc3339(m.created_at)}},
                         true));
    if (uni(0, 9) < 4) {
      c.tags = {"presale"};
      batch.push_back(ev("conversation.updated", at + 1'000, id, to_json(c)));
    }
    if (uni(0, 9) < 7) {
      c.status = ConversationStatus::resolved;
      batch.push_back(ev("conversation.updated", at + uni(60'000, 48 * 3'600'000), id, to_json(c)));
    }
    if (uni(0, 9) == 0) {  // a payment link, mostly paid
      payments::Payment p;
      p.id = "pay_" + std::to_string(i);
      p.conversation_id = id;
      p.currency = currencies[uni(0, 4)];
      p.amount = uni(500, 30'000);
      p.status = "sent";
      p.message_id = "msg_link_" + std::to_string(i);
      p.created_at = at + 120'000;
      batch.push_back(ev("payment.created", p.created_at, id, payments::to_json(p, "")));
      if (uni(0, 9) < 7) {
        p.status = "paid";
        p.opened_at = p.paid_at = p.created_at + 600'000;
        batch.push_back(ev("payment.succeeded", *p.paid_at, id, payments::to_json(p, "")));
        if (uni(0, 9) == 0) {
          payments::Refund r;
          r.id = "rfd_" + std::to_string(i);
          r.payment_id = p.id;
          r.amount = p.amount / 2;
          r.currency = p.currency;
          r.status = "succeeded";
          batch.push_back(ev("refund.succeeded", *p.paid_at + 86'400'000, id, payments::to_json(r)));
        }
      }
    }
    if (batch.size() >= tx_events) flush();
  }
  if (!batch.empty()) flush();
  double ingest_ms = ms_since(t0);
  double ingest_cpu = cpu_s() - cpu0;

  int64_t count_rows = 0, hist_rows = 0;
  store::read_sync(*store, [&](store::Tx& tx) {
    count_rows = tx.query_one(store::Stmt{"bench.count_rows", "SELECT COUNT(*) FROM rpt_counts"}, {})->i64(0);
    hist_rows = tx.query_one(store::Stmt{"bench.hist_rows", "SELECT COUNT(*) FROM rpt_hist"}, {})->i64(0);
  });

  // The month's dashboard.
  auto dashboard = [&](const std::optional<std::string>& tz, int runs, int64_t* conversations, bool quarters_only = false) {
    std::vector<double> times, cpu;
    for (int r = 0; r < runs; ++r) {
      auto t = Clock::now();
      double c0 = cpu_s();
      store::read_sync(*store, [&](store::Tx& tx) {
        auto s = get_settings(tx, "ten_bench");
        auto range = parse_range(std::string("2026-10-01"), std::string("2026-10-31"), tz, std::nullopt, s, 0);
        // As the API answers them: one load per report, of what it reads (the reference: every
        // figure per day from quarter hours, once).
        Table sum, conv, rev;
        if (quarters_only) {
          Data d = load(tx, "ten_bench", *range, s, "", true);
          sum = build("summary", d, *range);
          conv = build("conversations", d, *range);
          rev = build("revenue", d, *range);
        } else {
          sum = build("summary", load(tx, "ten_bench", *range, s, "summary"), *range);
          conv = build("conversations", load(tx, "ten_bench", *range, s, "conversations"), *range);
          rev = build("revenue", load(tx, "ten_bench", *range, s, "revenue"), *range);
        }
        to_csv(sum);
        *conversations = std::get<int64_t>(sum.rows.at(0).at(5));
      });
      times.push_back(ms_since(t));
      cpu.push_back((cpu_s() - c0) * 1000);
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu.begin(), cpu.end());
    return std::tuple{times[times.size() / 2], times.back(), cpu[cpu.size() / 2]};
  };
  int64_t month_conversations = 0, month_conversations_k = 0, month_conversations_ny = 0, month_conversations_q = 0;
  auto day = dashboard(std::nullopt, 30, &month_conversations);
  auto kathmandu = dashboard(std::string("Asia/Kathmandu"), 30, &month_conversations_k);
  auto new_york = dashboard(std::string("America/New_York"), 30, &month_conversations_ny);
  auto quarter = dashboard(std::string("Asia/Kathmandu"), 5, &month_conversations_q, true);
  if (month_conversations_q != month_conversations_k) {
    std::fprintf(stderr, "hour path %lld != quarter path %lld conversations\n", static_cast<long long>(month_conversations_k),
                 static_cast<long long>(month_conversations_q));
    return 1;
  }

  std::printf("conversations=%lld\n", static_cast<long long>(n));
  std::printf("events=%lld\n", static_cast<long long>(events));
  std::printf("transactions=%lld\n", static_cast<long long>(txs));
  std::printf("tx_events=%zu\n", tx_events);
  double per_event = events ? 1.0 / static_cast<double>(events) : 0.0;
  std::printf("ingest_cpu_us_per_event=%.1f\n", ingest_cpu * 1e6 * per_event);
  std::printf("upserts_per_event_q=%.3f\n", static_cast<double>(written.q) * per_event);
  std::printf("upserts_per_event_h=%.3f\n", static_cast<double>(written.h) * per_event);
  std::printf("upserts_per_event_d=%.3f\n", static_cast<double>(written.d) * per_event);
  std::printf("ingest_s=%.1f\n", ingest_ms / 1000);
  std::printf("ingest_events_per_s=%.0f\n", static_cast<double>(events) / (ingest_ms / 1000));
  std::printf("count_rows=%lld\n", static_cast<long long>(count_rows));
  std::printf("hist_rows=%lld\n", static_cast<long long>(hist_rows));
  std::printf("month_conversations=%lld\n", static_cast<long long>(month_conversations));
  std::printf("month_conversations_kathmandu=%lld\n", static_cast<long long>(month_conversations_k));
  std::printf("month_conversations_new_york=%lld\n", static_cast<long long>(month_conversations_ny));
  for (const auto& [name, t] : {std::pair{"day", day}, std::pair{"kathmandu", kathmandu}, std::pair{"new_york", new_york},
                                std::pair{"quarter", quarter}}) {
    std::printf("dashboard_%s_p50_ms=%.2f\n", name, std::get<0>(t));
    std::printf("dashboard_%s_max_ms=%.2f\n", name, std::get<1>(t));
    std::printf("dashboard_%s_cpu_p50_ms=%.2f\n", name, std::get<2>(t));
  }
  store->close();
  if (!dir.empty()) fs::remove_all(dir);
  return 0;
}
