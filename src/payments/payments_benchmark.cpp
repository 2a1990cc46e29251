// Payments benchmark (make bench -> bench/payments.sh), issue 5: the durable payment-link creation
// rate and the PSP webhook processing rate, each with its ledger postings, beside the raw SQLite
// insert rate of the same rows in the same run. Prints key=value lines.
//
// 1. Links: BENCH_PAYMENTS links (default 20,000) created through payments::create_link on the
//    real store, BENCH_INFLIGHT (default 64) outstanding at a time as concurrent API requests would
//    be; each spends part of its customer's store credit, so each commits a ledger transaction
//    (credit.held) with the payment row, its audit row and its outbox event. A link counts when
//    its write has committed (SQLite: WAL, fdatasynced before the answer, the server's settings).
// 2. Webhooks: one signed sandbox `payment.succeeded` per link through Engine::handle_webhook
//    (signature check on the raw bytes, parse, dedupe by event id, apply: payment state, ledger
//    postings psp/sales and credit_held/sales_credit, audit, outbox) - the path of
//    POST /webhooks/psp/{id} without the HTTP parsing.
// 3. Raw SQLite: the rows each phase inserted (read back from the database) are inserted again
//    into a fresh file with the same schema and pragmas through prepared statements, once with one
//    transaction per operation (the first BENCH_RAW_PER_OP, default 2,000: one fsync each) and once
//    with BENCH_INFLIGHT operations per transaction (what a group commit of that size can do). Balance rows that Bottega updated in place are not replayed (the raw
//    side does less work than Bottega there), foreign keys are off on the raw side.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <unistd.h>
#include <variant>

#include "core/metrics.hpp"
#include "payments/engine.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/psp/sandbox/sandbox.hpp"
#include "payments/service.hpp"
#include "store/repo/repo.hpp"

namespace bj = boost::json;
namespace fs = std::filesystem;
using namespace bottega;
using namespace bottega::payments;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kTenant = "ten_bench";
constexpr int kContacts = 1000;

int64_t env_int(const char* name, int64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : def;
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Never used: the sandbox PSP is in-process.
class NoHttp final : public HttpClient {
 public:
  void send(HttpRequest, std::function<void(Result<HttpResponse>)> done) override {
    done(Error{Errc::unavailable, "no_network", "the benchmark makes no HTTP calls", {}});
  }
};

// Runs n operations with at most `inflight` outstanding; op(i, done) must call done(ok) once.
int64_t run_bounded(int64_t n, int inflight, const std::function<void(int64_t, std::function<void(bool)>)>& op) {
  std::mutex mu;
  std::condition_variable cv;
  int64_t outstanding = 0, finished = 0, failed = 0;
  for (int64_t i = 0; i < n; ++i) {
    {
      std::unique_lock<std::mutex> g(mu);
      cv.wait(g, [&] { return outstanding < inflight; });
      ++outstanding;
    }
    op(i, [&](bool ok) {
      std::lock_guard<std::mutex> g(mu);
      --outstanding;
      ++finished;
      if (!ok) ++failed;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> g(mu);
  cv.wait(g, [&] { return finished == n; });
  return failed;
}

// ---- the raw SQLite side ----------------------------------------------------------------------

using Cell = std::variant<std::nullptr_t, int64_t, double, std::string>;
struct TableRows {
  std::string name, insert_sql;
  std::vector<std::vector<Cell>> rows;
};

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// max(rowid) of every ordinary table.
std::map<std::string, int64_t> rowid_marks(sqlite3* db) {
  std::map<std::string, int64_t> out;
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                           "AND sql NOT LIKE 'CREATE VIRTUAL%' AND sql NOT LIKE '%WITHOUT ROWID%'",
                           -1, &st, nullptr),
        db, "tables");
  while (sqlite3_step(st) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  for (const auto& t : tables) {
    check(sqlite3_prepare_v2(db, ("SELECT COALESCE(MAX(rowid), 0) FROM \"" + t + "\"").c_str(), -1, &st, nullptr), db, "max");
    if (sqlite3_step(st) == SQLITE_ROW) out[t] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  return out;
}

// The rows inserted since `before` (tables whose max rowid grew), with their column names.
std::vector<TableRows> rows_since(sqlite3* db, const std::map<std::string, int64_t>& before) {
  std::vector<TableRows> out;
  for (const auto& [t, mark] : rowid_marks(db)) {
    auto it = before.find(t);
    int64_t from = it == before.end() ? 0 : it->second;
    if (mark <= from) continue;
    TableRows tr;
    tr.name = t;
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\" WHERE rowid > ?1 ORDER BY rowid").c_str(), -1, &st, nullptr),
          db, "select");
    sqlite3_bind_int64(st, 1, from);
    int cols = sqlite3_column_count(st);
    std::string names, params;
    for (int c = 0; c < cols; ++c) {
      names += (c ? ", \"" : "\"") + std::string(sqlite3_column_name(st, c)) + "\"";
      params += (c ? ", ?" : "?") + std::to_string(c + 1);
    }
    tr.insert_sql = "INSERT INTO \"" + t + "\" (" + names + ") VALUES (" + params + ")";
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<Cell> row;
      for (int c = 0; c < cols; ++c) {
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, c))); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(st, c)); break;
          case SQLITE_NULL: row.emplace_back(nullptr); break;
          default: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st, c));
            row.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, c))));
          }
        }
      }
      tr.rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    out.push_back(std::move(tr));
  }
  return out;
}

// A fresh database with the source's tables and indexes (no triggers, no virtual tables), the
// store's write pragmas, foreign keys off.
sqlite3* raw_copy(sqlite3* src, const fs::path& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open raw");
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; "
                     "PRAGMA wal_autocheckpoint=4000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;",
                     nullptr, nullptr, nullptr),
        db, "pragmas");
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(src,
                           "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND "
                           "type IN ('table', 'index') AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY type DESC, rowid",
                           -1, &st, nullptr),
        src, "schema");
  std::string ddl = "BEGIN;";
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string sql = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    // FTS shadow tables are created by their virtual table; skip them with it.
    if (sql.find("_fts") != std::string::npos) continue;
    ddl += sql + ";";
  }
  sqlite3_finalize(st);
  ddl += "COMMIT;";
  check(sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, nullptr), db, "create schema");
  return db;
}

// Inserts the rows as `ops` operations (operation i takes its share of every table's rows),
// `per_tx` operations per transaction, the first `limit` operations only. Returns the seconds taken.
double replay(sqlite3* db, const std::vector<TableRows>& tables, int64_t ops, int64_t per_tx, int64_t limit) {
  std::vector<sqlite3_stmt*> stmts;
  for (const auto& t : tables) {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db, t.insert_sql.c_str(), -1, &st, nullptr), db, "prepare insert");
    stmts.push_back(st);
  }
  auto start = SteadyClock::now();
  for (int64_t i = 0; i < limit; ++i) {
    if (i % per_tx == 0) check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    for (size_t k = 0; k < tables.size(); ++k) {
      const auto& rows = tables[k].rows;
      size_t lo = rows.size() * static_cast<size_t>(i) / static_cast<size_t>(ops);
      size_t hi = rows.size() * static_cast<size_t>(i + 1) / static_cast<size_t>(ops);
      for (size_t r = lo; r < hi; ++r) {
        sqlite3_stmt* st = stmts[k];
        for (size_t c = 0; c < rows[r].size(); ++c) {
          int idx = static_cast<int>(c) + 1;
          const Cell& v = rows[r][c];
          if (std::holds_alternative<std::nullptr_t>(v)) sqlite3_bind_null(st, idx);
          else if (auto* n = std::get_if<int64_t>(&v)) sqlite3_bind_int64(st, idx, *n);
          else if (auto* d = std::get_if<double>(&v)) sqlite3_bind_double(st, idx, *d);
          else {
            const auto& s = std::get<std::string>(v);
            sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
          }
        }
        check(sqlite3_step(st), db, "insert");
        sqlite3_reset(st);
      }
    }
    if ((i + 1) % per_tx == 0 || i + 1 == limit) check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  double s = seconds_since(start);
  for (auto* st : stmts) sqlite3_finalize(st);
  return s;
}

struct Raw {
  double per_op_rate = 0, batched_rate = 0;  // operations per second
  size_t rows = 0;
};

// Replays `tables` twice into fresh files under dir: one transaction per operation (the first
// `per_op_limit` operations: each is one fsync, so the rate is reached long before the end), then
// `batch` operations per transaction (all of them).
Raw raw_rates(sqlite3* src, const fs::path& dir, const std::string& tag, const std::vector<TableRows>& tables,
              int64_t ops, int64_t batch, int64_t per_op_limit) {
  Raw r;
  for (const auto& t : tables) r.rows += t.rows.size();
  for (int pass = 0; pass < 2; ++pass) {
    fs::path p = dir / ("raw_" + tag + "_" + std::to_string(pass) + ".db");
    sqlite3* db = raw_copy(src, p);
    int64_t limit = pass == 0 ? std::min(ops, per_op_limit) : ops;
    double s = replay(db, tables, ops, pass == 0 ? 1 : batch, limit);
    sqlite3_close(db);
    (pass == 0 ? r.per_op_rate : r.batched_rate) = s > 0 ? static_cast<double>(limit) / s : 0;
  }
  return r;
}

}  // namespace

int main() {
  const int64_t n = std::max<int64_t>(100, env_int("BENCH_PAYMENTS", 20'000));
  const int inflight = static_cast<int>(std::clamp<int64_t>(env_int("BENCH_INFLIGHT", 64), 1, 4096));
  fs::path dir = fs::path(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") /
                 ("bottega_payments_bench_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path db_path = dir / "bench.db";
  auto opened = store::open_store("sqlite://" + db_path.string(), {}, true);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto store = std::move(opened).value();
  SystemClock clock;
  RandomIdGenerator ids(clock);
  pipeline::Env env{clock, ids, nullptr, nullptr};
  Principal admin;
  admin.tenant_id = kTenant;
  admin.agent_id = "agt_bench";
  admin.role = Role::admin;
  const std::string secret = "sbx_whsec_bench_0123456789abcdef";
  Provider provider;
  auto st = store::write_sync(*store, [&](store::Tx& tx) -> Status {
    repo::create_tenant(tx, kTenant, "Bench Shop", 1);
    for (int c = 0; c < kContacts; ++c) {
      std::string id = "ct_" + std::to_string(c);
      repo::create_contact(tx, kTenant, id, "Customer " + std::to_string(c), std::nullopt, 1);
      BOTTEGA_TRY(bal, grant_credit(tx, env, admin, id, 1'000'000'000, "EUR", "bench"));
      (void)bal;
    }
    BOTTEGA_TRY(p, create_provider(tx, env, admin, "sandbox", "Sandbox", bj::object{{"webhook_secret", secret}}));
    provider = p;
    return {};
  });
  if (!st.ok()) {
    std::fprintf(stderr, "setup: %s\n", st.error().message.c_str());
    return 1;
  }
  sqlite3* peek = nullptr;  // a second connection to read back what the store wrote
  check(sqlite3_open_v2(db_path.c_str(), &peek, SQLITE_OPEN_READONLY, nullptr), peek, "open peek");
  const double load_before = [] {
    double l = 0;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (std::fscanf(f, "%lf", &l) != 1) l = 0;
      std::fclose(f);
    }
    return l;
  }();

  // 1. Durable link creation.
  std::vector<std::string> link_ids(static_cast<size_t>(n));
  std::vector<int64_t> dues(static_cast<size_t>(n));
  auto mark0 = rowid_marks(peek);
  auto t1 = SteadyClock::now();
  int64_t failed_links = run_bounded(n, inflight, [&](int64_t i, std::function<void(bool)> done) {
    store->write(
        [&, i](store::Tx& tx) -> Status {
          LinkInput in;
          in.amount = 1000 + (i * 7919) % 99'000;
          in.currency = "EUR";
          in.contact_id = "ct_" + std::to_string(i % kContacts);
          in.apply_credit = true;
          in.credit_amount = 100 + i % 400;  // part of it: the provider is asked for the rest
          in.description = "Bench order " + std::to_string(i);
          auto link = create_link(tx, env, admin, in, "https://shop.example");
          if (!link) return link.error();
          link_ids[static_cast<size_t>(i)] = link->id;
          dues[static_cast<size_t>(i)] = due_at_provider(*link);
          return {};
        },
        [done](Status s) {
          if (!s.ok()) std::fprintf(stderr, "link: %s\n", s.error().message.c_str());
          done(s.ok());
        });
  });
  double links_s = seconds_since(t1);
  auto link_rows = rows_since(peek, mark0);

  // 2. PSP webhooks: a signed sandbox payment.succeeded per link, verified and applied.
  NoHttp http;
  Metrics metrics;
  Engine engine(*store, http, env, metrics, [] { return std::string("https://shop.example"); });
  std::vector<std::string> bodies(static_cast<size_t>(n)), sigs(static_cast<size_t>(n));
  int64_t t_unix = clock.now_ms() / 1000;
  for (int64_t i = 0; i < n; ++i) {
    size_t k = static_cast<size_t>(i);
    bodies[k] = psp::sandbox::event_body("sbe_bench_" + std::to_string(i), "payment.succeeded", t_unix,
                                         bj::object{{"session", "sbx_bench_" + std::to_string(i)},
                                                    {"reference", link_ids[k]},
                                                    {"amount", dues[k]},
                                                    {"currency", "EUR"}});
    sigs[k] = psp::sandbox::sign(secret, t_unix, bodies[k]);
  }
  auto mark1 = rowid_marks(peek);
  std::atomic<int64_t> applied{0};
  auto t2 = SteadyClock::now();
  int64_t failed_hooks = run_bounded(n, inflight, [&](int64_t i, std::function<void(bool)> done) {
    WebhookRequest raw;
    raw.method = "POST";
    raw.url = "https://shop.example/webhooks/psp/" + provider.id;
    raw.body = bodies[static_cast<size_t>(i)];
    raw.headers = {{"content-type", "application/json"}, {"sandbox-signature", sigs[static_cast<size_t>(i)]}};
    engine.handle_webhook(provider.id, std::move(raw), [&applied, done](Result<WebhookResult> r) {
      if (!r) std::fprintf(stderr, "webhook: %s\n", r.error().message.c_str());
      if (r) applied += r->applied;
      done(r.ok());
    });
  });
  double hooks_s = seconds_since(t2);
  auto hook_rows = rows_since(peek, mark1);

  // Everything booked as it should be.
  std::vector<std::string> violations;
  int64_t paid = 0;
  store::read_sync(*store, [&](store::Tx& tx) {
    violations = ledger::check_invariants(tx, kTenant);
    for (int64_t i = 0; i < n; i += std::max<int64_t>(1, n / 100)) {
      auto p = db::get_payment(tx, kTenant, link_ids[static_cast<size_t>(i)]);
      paid += p && p->status == "paid";
    }
  });
  store->close();

  // 3. Raw SQLite: the same rows.
  const int64_t per_op_limit = std::max<int64_t>(100, env_int("BENCH_RAW_PER_OP", 2'000));
  Raw raw_links = raw_rates(peek, dir, "links", link_rows, n, inflight, per_op_limit);
  Raw raw_hooks = raw_rates(peek, dir, "hooks", hook_rows, n, inflight, per_op_limit);
  sqlite3_close(peek);
  fs::remove_all(dir);

  auto rate = [](int64_t ops, double s) { return s > 0 ? static_cast<double>(ops) / s : 0.0; };
  auto table_list = [](const std::vector<TableRows>& ts) {
    std::string out;
    for (const auto& t : ts) out += (out.empty() ? "" : ",") + t.name + ":" + std::to_string(t.rows.size());
    return out;
  };
  std::printf("payments=%lld\n", static_cast<long long>(n));
  std::printf("inflight=%d\n", inflight);
  std::printf("load_before=%.2f\n", load_before);
  std::printf("links_failed=%lld\n", static_cast<long long>(failed_links));
  std::printf("links_s=%.3f\n", links_s);
  std::printf("links_per_s=%.0f\n", rate(n, links_s));
  std::printf("link_rows=%zu\n", raw_links.rows);
  std::printf("link_tables=%s\n", table_list(link_rows).c_str());
  std::printf("raw_per_op_limit=%lld\n", static_cast<long long>(std::min(n, per_op_limit)));
  std::printf("raw_links_per_op_per_s=%.0f\n", raw_links.per_op_rate);
  std::printf("raw_links_batched_per_s=%.0f\n", raw_links.batched_rate);
  std::printf("webhooks_failed=%lld\n", static_cast<long long>(failed_hooks));
  std::printf("webhooks_applied=%lld\n", static_cast<long long>(applied.load()));
  std::printf("webhooks_s=%.3f\n", hooks_s);
  std::printf("webhooks_per_s=%.0f\n", rate(n, hooks_s));
  std::printf("webhook_rows=%zu\n", raw_hooks.rows);
  std::printf("webhook_tables=%s\n", table_list(hook_rows).c_str());
  std::printf("raw_webhooks_per_op_per_s=%.0f\n", raw_hooks.per_op_rate);
  std::printf("raw_webhooks_batched_per_s=%.0f\n", raw_hooks.batched_rate);
  std::printf("sampled_paid=%lld\n", static_cast<long long>(paid));
  std::printf("ledger_violations=%zu\n", violations.size());
  bool ok = failed_links == 0 && failed_hooks == 0 && applied.load() == n && violations.empty();
  return ok ? 0 : 1;
}
