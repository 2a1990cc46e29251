#include "store/postgres/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "store/group_commit.hpp"
#include "store/migrations/migrations.hpp"

namespace bottega::store {
namespace {

// Type OIDs of the results we convert (catalog/pg_type_d.h is a server header; the values are
// fixed by PostgreSQL).
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kNumericOid = 1700;

// Key of the session advisory lock held while migrating ("bottega" in ASCII).
constexpr long long kMigrationLock = 0x626f7474656761LL;

// A backend keeps at most 64 subtransaction ids in shared memory (PGPROC_MAX_CACHED_SUBXIDS); a
// transaction with more (released savepoints that wrote still count) "overflows", and then every
// other backend's visibility checks go through pg_subtrans, a well-known cliff. A batch therefore
// has at most this many writes, each in its own savepoint: still one WAL flush per 64 writes.
constexpr size_t kMaxSavepointsPerBatch = 64;

// After a failed connection attempt, another is made no sooner than this: while the server is
// down, queued work fails fast instead of each batch waiting for a connect.
constexpr auto kReconnectPause = std::chrono::milliseconds(200);

// Key of the transaction advisory lock every write batch takes first ("bottegaw"). Outbox events
// get their seq from an identity sequence when inserted, but become visible when committed; with
// several nodes writing, a batch could commit seq 11 before another commits seq 10, and a
// dispatcher that had read 11 would never read 10. Holding this lock from the first statement of
// a batch to its COMMIT makes seq order commit order across every process writing the database
// (the lock is released after the commit is visible). Taken first, before any row lock, so
// batches of different nodes queue here instead of deadlocking on rows. Cost: the writes of all
// nodes commit one batch at a time (each node still group-commits up to 64 writes per batch).
constexpr long long kWriteLock = 0x626f747465676177LL;

constexpr const char* kBeginWrite =
    "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(7093015981398122871)";
static_assert(kWriteLock == 7093015981398122871LL, "kBeginWrite spells kWriteLock in decimal");
// StoreOptions::unordered_writes_for_tests: the same transaction without the lock.
constexpr const char* kBeginUnorderedWrite = "BEGIN ISOLATION LEVEL READ COMMITTED";
constexpr const char* kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

bool connection_state(std::string_view sqlstate) {
  // 08xxx connection exceptions; 57P01..57P03 admin/crash shutdown, cannot connect now.
  return sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

DbError pg_error(PGconn* c, const PGresult* r, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string msg = primary ? std::string(primary) : trimmed(PQerrorMessage(c));
  std::string_view st = state ? state : "";
  DbError e{DbError::other, std::string(what) + ": " + msg};
  if (!st.empty()) e.message += " (SQLSTATE " + std::string(st) + ")";
  if (st == "23505") {
    e.kind = DbError::unique_violation;
  } else if (st == "40001" || st == "40P01" || st == "55P03" || connection_state(st) ||
             PQstatus(c) != CONNECTION_OK) {
    e.kind = DbError::busy;  // serialization failure, deadlock, lock timeout, lost connection
  }
  return e;
}

std::optional<int64_t> parse_i64(const char* p, int len) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(p, p + len, v);
  if (ec != std::errc() || end != p + len) return std::nullopt;
  return v;
}

// Rows in the Store's value model: integers (int2/4/8, and booleans and integral numerics, which
// SQLite would also return as integers) become int64_t, NULL becomes nullptr, the rest is text.
std::vector<Row> to_rows(const PGresult* r) {
  int nrows = PQntuples(r), ncols = PQnfields(r);
  std::vector<Oid> types(static_cast<size_t>(ncols));
  for (int j = 0; j < ncols; ++j) types[static_cast<size_t>(j)] = PQftype(r, j);
  std::vector<Row> rows(static_cast<size_t>(nrows));
  for (int i = 0; i < nrows; ++i) {
    auto& cols = rows[static_cast<size_t>(i)].cols;
    cols.reserve(static_cast<size_t>(ncols));
    for (int j = 0; j < ncols; ++j) {
      if (PQgetisnull(r, i, j)) {
        cols.emplace_back(nullptr);
        continue;
      }
      const char* v = PQgetvalue(r, i, j);
      int len = PQgetlength(r, i, j);
      Oid t = types[static_cast<size_t>(j)];
      if (t == kInt8Oid || t == kInt4Oid || t == kInt2Oid || t == kNumericOid) {
        if (auto n = parse_i64(v, len)) {
          cols.emplace_back(*n);
          continue;
        }
      } else if (t == kBoolOid) {
        cols.emplace_back(int64_t{v[0] == 't' ? 1 : 0});
        continue;
      }
      cols.emplace_back(std::string(v, static_cast<size_t>(len)));
    }
  }
  return rows;
}

// One libpq connection with its prepared statements (prepared once per connection, keyed by the
// address of the statement's SQL text: every Stmt is a named constant).
class Connection {
 public:
  enum class Kind { writer, reader, admin };

  Connection(std::string url, Kind kind) : url_(std::move(url)), kind_(kind) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { close(); }

  Status connect() {
    close();
    // Defaults first: the URL's own parameters (expanded from dbname) override them. Keepalives
    // notice a server that vanished without closing the connection within about a minute.
    const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle",
                          "keepalives_interval", "keepalives_count", "dbname", nullptr};
    const char* values[] = {"10", "bottega", "30", "10", "3", url_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
      close();
      return Error{Errc::unavailable, "store_open_failed", "cannot connect to PostgreSQL: " + msg, {}};
    }
    const char* setup = "SET client_min_messages = warning";
    if (kind_ == Kind::writer)
      // Durable at COMMIT (whatever the server default); wait for a row lock at most 5 s, as
      // SQLite's busy timeout: then the write fails busy (55P03) instead of hanging.
      setup = "SET client_min_messages = warning; SET synchronous_commit = on; SET lock_timeout = '5s'";
    else if (kind_ == Kind::reader)
      setup = "SET client_min_messages = warning; SET default_transaction_read_only = on";
    try {
      exec_script(setup);
    } catch (const DbError& e) {
      close();
      return Error{Errc::unavailable, "store_open_failed", e.message, {}};
    }
    return {};
  }

  // Makes sure there is a live connection; throws DbError(busy) when there cannot be one.
  void ensure() {
    if (!broken()) return;
    auto now = std::chrono::steady_clock::now();
    if (failed_at_ && now - *failed_at_ < kReconnectPause) throw DbError{DbError::busy, last_error_};
    auto st = connect();
    if (!st.ok()) {
      failed_at_ = now;
      last_error_ = st.error().message;
      throw DbError{DbError::busy, last_error_};
    }
    failed_at_.reset();
  }

  // Starts a transaction; a connection found dead here (server restart, idle timeout) is replaced
  // once, which is safe because nothing has run in the transaction yet.
  void begin(const char* sql) {
    ensure();
    try {
      exec_script(sql);
      return;
    } catch (const DbError&) {
      if (!broken()) throw;
    }
    close();
    ensure();
    exec_script(sql);
  }

  void close() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    cache_.clear();
  }

  bool broken() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }
  PGconn* raw() const { return conn_; }

  // Runs SQL text with the simple protocol (several statements allowed, no parameters).
  PgResult exec_script(const char* sql) {
    if (!conn_) throw DbError{DbError::busy, "not connected to PostgreSQL"};
    PgResult r(PQexec(conn_, sql));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw pg_error(conn_, r.get(), "exec");
    return r;
  }

  std::vector<Row> query(const Stmt& s, const std::vector<Value>& params) {
    PgResult r = run(s, params);
    return to_rows(r.get());
  }

  int64_t exec(const Stmt& s, const std::vector<Value>& params) {
    PgResult r = run(s, params);
    const char* n = PQcmdTuples(r.get());
    return parse_i64(n, static_cast<int>(std::strlen(n))).value_or(0);
  }

 private:
  struct Prepared {
    std::string name;
    size_t nparams = 0;
  };

  const Prepared& prepare(const Stmt& s) {
    const char* sql = s.pg_sql ? s.pg_sql : s.sql;
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    Prepared p;
    p.name = "s" + std::to_string(++prepared_count_);
    // Parameter types are inferred by the server from each placeholder's context.
    PgResult r(PQprepare(conn_, p.name.c_str(), sql, 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      throw pg_error(conn_, r.get(), std::string("prepare ") + s.name);
    PgResult d(PQdescribePrepared(conn_, p.name.c_str()));
    if (PQresultStatus(d.get()) != PGRES_COMMAND_OK)
      throw pg_error(conn_, d.get(), std::string("describe ") + s.name);
    p.nparams = static_cast<size_t>(PQnparams(d.get()));
    return cache_.emplace(sql, std::move(p)).first->second;
  }

  PgResult run(const Stmt& s, const std::vector<Value>& params) {
    if (!conn_) throw DbError{DbError::busy, std::string(s.name) + ": not connected to PostgreSQL"};
    const Prepared& p = prepare(s);
    if (params.size() < p.nparams)
      throw DbError{DbError::other, std::string("missing parameter in ") + s.name};
    // Text format: integers as decimal text, NULL as a null pointer.
    std::vector<std::string> numbers(p.nparams);
    std::vector<const char*> values(p.nparams, nullptr);
    for (size_t i = 0; i < p.nparams; ++i) {
      const Value& v = params[i];
      if (auto* n = std::get_if<int64_t>(&v)) {
        numbers[i] = std::to_string(*n);
        values[i] = numbers[i].c_str();
      } else if (auto* str = std::get_if<std::string>(&v)) {
        if (str->find('\0') != std::string::npos)
          throw DbError{DbError::other, std::string(s.name) + ": text parameter $" +
                                            std::to_string(i + 1) + " contains a NUL byte"};
        values[i] = str->c_str();
      }
    }
    PgResult r(PQexecPrepared(conn_, p.name.c_str(), static_cast<int>(p.nparams), values.data(),
                              nullptr, nullptr, 0));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw pg_error(conn_, r.get(), s.name);
    return r;
  }

  std::string url_;
  Kind kind_;
  PGconn* conn_ = nullptr;
  std::unordered_map<const char*, Prepared> cache_;
  uint64_t prepared_count_ = 0;
  std::optional<std::chrono::steady_clock::time_point> failed_at_;  // last failed connect
  std::string last_error_;
};

class PgTx final : public Tx {
 public:
  // `c` null: the store could not reach the server; every statement throws DbError(busy) `down`.
  PgTx(Connection* c, bool writable, std::string down = {})
      : c_(c), writable_(writable), down_(std::move(down)) {}

  std::vector<Row> query(const Stmt& s, const std::vector<Value>& params) override {
    if (!c_) throw DbError{DbError::busy, down_};
    try {
      return c_->query(s, params);
    } catch (const DbError& e) {
      note(e);
      throw;
    }
  }
  int64_t exec(const Stmt& s, const std::vector<Value>& params) override {
    if (!writable_) throw DbError{DbError::other, std::string("write in a read transaction: ") + s.name};
    if (!c_) throw DbError{DbError::busy, down_};
    try {
      return c_->exec(s, params);
    } catch (const DbError& e) {
      note(e);
      throw;
    }
  }
  bool writable() const override { return writable_; }
  void after_commit(std::function<void()> fn) override { hooks_.push_back(std::move(fn)); }

  std::vector<std::function<void()>> take_hooks() { return std::move(hooks_); }
  // A statement failed: PostgreSQL has aborted the (sub)transaction even if the caller caught
  // the DbError (SQLite would carry on), so the write cannot commit.
  const std::optional<DbError>& failure() const { return failure_; }

 private:
  void note(const DbError& e) {
    if (!failure_) failure_ = e;
  }
  Connection* c_;
  bool writable_;
  std::string down_;
  std::vector<std::function<void()>> hooks_;
  std::optional<DbError> failure_;
};

Error to_error(const DbError& e) {
  if (e.kind == DbError::unique_violation) return Error::conflict("conflict", e.message);
  if (e.kind == DbError::busy) return Error{Errc::unavailable, "store_busy", e.message, {}};
  return Error::internal(e.message);
}

class PostgresStore final : public GroupCommitStore {
 public:
  PostgresStore(std::string url, StoreOptions opts)
      : GroupCommitStore(opts), url_(std::move(url)), writer_(url_, Connection::Kind::writer) {}
  ~PostgresStore() override { close(); }

  std::atomic<bool> unordered_for_tests_{false};  // disable_write_lock_for_tests

  Status init(bool migrate) {
    {
      Connection admin(url_, Connection::Kind::admin);
      BOTTEGA_TRY_STATUS(admin.connect());
      if (migrate) BOTTEGA_TRY_STATUS(apply_migrations(admin));
      else BOTTEGA_TRY_STATUS(check_schema(admin));
    }
    BOTTEGA_TRY_STATUS(writer_.connect());
    size_t n = std::max<size_t>(opts_.readers, 1);
    for (size_t i = 0; i < n; ++i) {
      auto c = std::make_unique<Connection>(url_, Connection::Kind::reader);
      BOTTEGA_TRY_STATUS(c->connect());
      readers_.push_back(std::move(c));
    }
    start(readers_.size(), std::clamp<size_t>(opts_.max_batch, 1, kMaxSavepointsPerBatch));
    return {};
  }

  void on_closed() override {
    {
      std::lock_guard lk(watch_mu_);
      watch_stop_ = true;
    }
    if (watch_thread_.joinable()) watch_thread_.join();
    writer_.close();
    for (auto& c : readers_) c->close();
  }

  // LISTEN on a connection of its own; the notices come from statement triggers on events and
  // jobs (migration 5), sent by PostgreSQL when the inserting transaction commits.
  void watch(std::function<void(std::string_view)> fn) {
    std::lock_guard lk(watch_mu_);
    if (watch_stop_) return;
    watchers_.push_back(std::move(fn));
    if (!watch_thread_.joinable()) watch_thread_ = std::thread([this] { watch_loop(); });
  }

  std::string_view dialect() const override { return "postgresql"; }

 private:

  // Nodes starting together serialise here: the first applies what is pending, the others then
  // find it applied. The lock is per session, so a crashed migrator releases it.
  Status apply_migrations(Connection& c) {
    std::string lock = "SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")";
    std::string unlock = "SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")";
    try {
      c.exec_script(lock.c_str());
    } catch (const DbError& e) {
      return Error{Errc::unavailable, "migration_failed", e.message, {}};
    }
    Status st = apply_locked(c);
    try {
      c.exec_script(unlock.c_str());
    } catch (const DbError&) {
      // The lock goes with the session, which the caller closes.
    }
    return st;
  }

  Status apply_locked(Connection& c) {
    static constexpr Stmt kApplied{"schema_migrations.versions", "SELECT version FROM schema_migrations"};
    static constexpr Stmt kRecord{"schema_migrations.record",
                                  "INSERT INTO schema_migrations(version, name, applied_at) "
                                  "VALUES ($1, $2, $3)"};
    try {
      c.exec_script(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
          "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      std::vector<int64_t> applied;
      for (auto& r : c.query(kApplied, {})) applied.push_back(r.i64(0));
      for (const auto& m : postgres_migrations()) {
        if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
        c.exec_script("BEGIN");
        try {
          c.exec_script(m.sql);
          c.exec(kRecord, {int64_t{m.version}, std::string(m.name),
                           static_cast<int64_t>(std::time(nullptr)) * 1000});
          c.exec_script("COMMIT");
        } catch (const DbError& e) {
          try {
            c.exec_script("ROLLBACK");
          } catch (const DbError&) {
          }
          return Error{Errc::internal, "migration_failed",
                       "migration " + std::to_string(m.version) + " (" + m.name + "): " + e.message, {}};
        }
      }
    } catch (const DbError& e) {
      return Error{Errc::internal, "migration_failed", e.message, {}};
    }
    return {};
  }

  Status check_schema(Connection& c) {
    static constexpr Stmt kHas{"schema_migrations.exists",
                               "SELECT to_regclass('schema_migrations') IS NOT NULL"};
    static constexpr Stmt kMax{"schema_migrations.max", "SELECT MAX(version) FROM schema_migrations"};
    try {
      auto has = c.query(kHas, {});
      if (has.empty() || has[0].i64(0) == 0)
        return Error{Errc::unavailable, "schema_missing", "database has no schema: run `bottega migrate`", {}};
      auto rows = c.query(kMax, {});
      int64_t have = rows.empty() ? 0 : rows[0].i64(0);
      int64_t want = postgres_migrations().back().version;
      if (have < want)
        return Error{Errc::unavailable, "schema_outdated",
                     "database schema is at version " + std::to_string(have) + ", need " +
                         std::to_string(want) + ": run `bottega migrate`", {}};
    } catch (const DbError& e) {
      return Error{Errc::unavailable, "store_open_failed", e.message, {}};
    }
    return {};
  }

  void run_batch(std::vector<WriteOp>& batch) override {
    std::vector<Status> results(batch.size());
    std::vector<std::function<void()>> hooks;
    bool began = false;
    try {
      writer_.begin(unordered_for_tests_ ? kBeginUnorderedWrite : kBeginWrite);
      began = true;
      for (size_t i = 0; i < batch.size(); ++i) {
        PgTx tx(&writer_, true);
        writer_.exec_script("SAVEPOINT w");
        Status st;
        try {
          st = batch[i].fn(tx);
        } catch (const DbError& e) {
          st = to_error(e);
        } catch (const std::exception& e) {
          st = Error::internal(std::string("write failed: ") + e.what());
        }
        if (writer_.broken()) throw DbError{DbError::busy, "lost the connection to PostgreSQL"};
        if (st.ok() && tx.failure())
          st = Error::internal("a statement failed in a write that went on: " + tx.failure()->message);
        if (st.ok()) {
          writer_.exec_script("RELEASE SAVEPOINT w");
          for (auto& h : tx.take_hooks()) hooks.push_back(std::move(h));
        } else {
          writer_.exec_script("ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w");
          failed_++;
        }
        results[i] = std::move(st);
      }
      // synchronous_commit=on: the WAL is flushed when COMMIT returns. An aborted transaction
      // would answer ROLLBACK to COMMIT; that cannot happen here, but it must not pass as a commit.
      PgResult r = writer_.exec_script("COMMIT");
      if (std::strcmp(PQcmdStatus(r.get()), "COMMIT") != 0)
        throw DbError{DbError::other, std::string("COMMIT answered ") + PQcmdStatus(r.get())};
    } catch (const DbError& e) {
      bool lost = writer_.broken();
      if (began && !lost) {
        try {
          writer_.exec_script("ROLLBACK");
        } catch (const DbError&) {
        }
      }
      std::fprintf(stderr, "store: batch of %zu failed: %s\n", batch.size(), e.message.c_str());
      // A connection lost during COMMIT leaves the outcome unknown; callers retry, and their
      // dedupe and idempotency keys make a retry of a committed write harmless.
      Error err = to_error(e);
      if (lost) {
        writer_.close();  // the next batch reconnects
        err = Error{Errc::unavailable, "store_unavailable", e.message, {}};
      } else if (err.errc == Errc::internal) {
        err = Error{Errc::unavailable, "store_write_failed", e.message, {}};
      }
      for (auto& op : batch) op.done(err);
      failed_ += batch.size();
      return;
    }
    batches_++;
    writes_ += batch.size();
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    for (auto& h : hooks) h();
  }

  // A commit here is visible only once its WAL is flushed, so a read_undurable runs like a read.
  void run_read(size_t reader, ReadOp& op) override {
    std::function<void(Tx&)>& fn = op.fn;
    Connection& c = *readers_[reader];
    // fn always runs, so a caller waiting on it always hears back: without a connection, its
    // statements throw DbError(busy).
    std::string down;
    bool began = false;
    try {
      c.begin(kBeginRead);
      began = true;
    } catch (const DbError& e) {
      down = e.message;
    }
    PgTx tx(began ? &c : nullptr, false, down);
    try {
      fn(tx);
      if (began) c.exec_script("COMMIT");
    } catch (const DbError& e) {
      std::fprintf(stderr, "store: read failed: %s\n", e.message.c_str());
      rollback(c, began);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "store: read failed: %s\n", e.what());
      rollback(c, began);
    }
    if (c.broken()) c.close();  // the next read reconnects
  }

  static void rollback(Connection& c, bool began) {
    if (!began || c.broken()) return;
    try {
      c.exec_script("ROLLBACK");
    } catch (const DbError&) {
    }
  }

  void notify_watchers(std::string_view topic) {
    std::vector<std::function<void(std::string_view)>> fns;
    {
      std::lock_guard lk(watch_mu_);
      fns = watchers_;
    }
    for (auto& f : fns) f(topic);
  }

  bool watch_stopping() {
    std::lock_guard lk(watch_mu_);
    return watch_stop_;
  }

  void watch_loop() {
    Connection c(url_, Connection::Kind::admin);
    while (!watch_stopping()) {
      if (c.broken()) {
        bool up = false;
        if (c.connect().ok()) {
          try {
            c.exec_script("LISTEN bottega_events; LISTEN bottega_jobs");
            up = true;
          } catch (const DbError& e) {
            std::fprintf(stderr, "store: LISTEN failed: %s\n", e.message.c_str());
            c.close();
          }
        }
        if (!up) {  // polling covers the gap; try again in a second
          for (int i = 0; i < 10 && !watch_stopping(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        notify_watchers("events");  // whatever was committed while not listening
        notify_watchers("jobs");
      }
      pollfd pfd{PQsocket(c.raw()), POLLIN, 0};
      int n = ::poll(&pfd, 1, 250);
      if (n < 0) continue;  // EINTR
      if (n == 0) continue;
      if (!PQconsumeInput(c.raw())) {
        std::fprintf(stderr, "store: LISTEN connection lost: %s\n", trimmed(PQerrorMessage(c.raw())).c_str());
        c.close();
        continue;
      }
      bool events = false, jobs = false;
      while (PGnotify* note = PQnotifies(c.raw())) {
        std::string_view ch = note->relname;
        events |= ch == "bottega_events";
        jobs |= ch == "bottega_jobs";
        PQfreemem(note);
      }
      if (events) notify_watchers("events");
      if (jobs) notify_watchers("jobs");
    }
    c.close();
  }

  std::string url_;
  Connection writer_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex watch_mu_;
  std::vector<std::function<void(std::string_view)>> watchers_;
  bool watch_stop_ = false;
  std::thread watch_thread_;
};

}  // namespace

bool watch_changes(Store& store, std::function<void(std::string_view topic)> fn) {
  auto* pg = dynamic_cast<PostgresStore*>(&store);
  if (!pg) return false;
  pg->watch(std::move(fn));
  return true;
}

bool disable_write_lock_for_tests(Store& store) {
  auto* pg = dynamic_cast<PostgresStore*>(&store);
  if (!pg) return false;
  pg->unordered_for_tests_ = true;
  return true;
}

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, const StoreOptions& opts,
                                             bool migrate) {
  auto s = std::make_unique<PostgresStore>(url, opts);
  BOTTEGA_TRY_STATUS(s->init(migrate));
  return std::unique_ptr<Store>(std::move(s));
}

std::string postgres_url_with_database(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t start = scheme + 3;
  size_t path = url.find_first_of("/?", start);
  std::string base = url.substr(0, path);
  std::string query;
  if (size_t q = url.find('?', start); q != std::string::npos) query = url.substr(q);
  return base + "/" + db + query;
}

ScratchDatabase::ScratchDatabase(std::string admin_url, std::string name)
    : admin_url_(std::move(admin_url)), name_(std::move(name)) {
  bool valid = !name_.empty() && std::all_of(name_.begin(), name_.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
  if (!valid) {
    status_ = Error::invalid("name", "database names are [a-z0-9_]+");
    return;
  }
  Connection c(admin_url_, Connection::Kind::admin);
  status_ = c.connect();
  if (!status_.ok()) return;
  try {
    c.exec_script(("CREATE DATABASE " + name_ + " TEMPLATE template0 ENCODING 'UTF8'").c_str());
  } catch (const DbError& e) {
    status_ = Error{Errc::unavailable, "create_database_failed", e.message, {}};
    return;
  }
  url_ = postgres_url_with_database(admin_url_, name_);
}

ScratchDatabase::~ScratchDatabase() {
  if (url_.empty()) return;
  Connection c(admin_url_, Connection::Kind::admin);
  if (!c.connect().ok()) return;
  try {
    c.exec_script(("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str());
  } catch (const DbError& e) {
    std::fprintf(stderr, "store: cannot drop scratch database %s: %s\n", name_.c_str(), e.message.c_str());
  }
}

std::string ScratchDatabase::unique_name(const std::string& prefix) {
  static std::atomic<uint64_t> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

}  // namespace bottega::store
