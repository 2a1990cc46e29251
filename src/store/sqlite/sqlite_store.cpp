#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "store/group_commit.hpp"
#include "store/migrations/migrations.hpp"
#include "store/sqlite/wal_buffer.hpp"
#include "store/sqlite/wal_sync.hpp"

namespace bottega::store {
namespace {

DbError db_error(sqlite3* db, int rc, std::string_view what) {
  DbError e{DbError::other, std::string(what) + ": " + sqlite3_errmsg(db)};
  int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    e.kind = DbError::unique_violation;
  else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    e.kind = DbError::busy;
  return e;
}

// One connection with a cache of prepared statements keyed by the Stmt's SQL text address (every
// Stmt is a named constant, so the address identifies it).
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [k, p] : cache_) sqlite3_finalize(p.stmt);
    if (db_) sqlite3_close_v2(db_);
  }

  Status open(const std::string& path, bool readonly) {
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;  // each connection is used by one thread only
    // The writer's WAL writes go through the WAL buffer VFS: one write per commit instead of two
    // per page (wal_buffer.hpp). Readers never write the WAL and use the plain unix VFS.
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, readonly ? nullptr : wal_buffer_vfs());
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      return Error{Errc::unavailable, "store_open_failed", "cannot open " + path + ": " + msg, {}};
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    const char* pragmas = readonly ? "PRAGMA query_only=1; PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                     "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=4000; "
                                     // Savepoint (statement) journals in memory: one per write in
                                     // a group commit, they were ~47 write syscalls per message
                                     // to a temp file. Durability is the WAL's, not theirs.
                                     "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; "
                                     "PRAGMA mmap_size=268435456;";
    char* err = nullptr;
    rc = sqlite3_exec(db_, pragmas, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Error{Errc::unavailable, "store_open_failed", "pragma failed: " + msg, {}};
    }
    return {};
  }

  void exec_script(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      DbError e{DbError::other, err ? err : sqlite3_errmsg(db_)};
      sqlite3_free(err);
      throw e;
    }
  }

  // Prepares (once) and binds; returns the statement ready to step.
  sqlite3_stmt* bind(const Stmt& s, const std::vector<Value>& params) { return bind_prepared(s, params).stmt; }

  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int> slots;
    // `INSERT INTO t(...) VALUES (...) RETURNING seq` where seq is t's rowid, prepared without the
    // RETURNING clause: the row comes from sqlite3_last_insert_rowid() instead. SQLite runs a
    // RETURNING clause through an ephemeral b-tree (create, a zeroed 4 KiB page, insert, scan,
    // drop) on every execution; that was ~12% of the writer thread's instructions per message.
    bool rowid_returning = false;
  };

  const Prepared& bind_prepared(const Stmt& s, const std::vector<Value>& params) {
    auto it = cache_.find(s.sql);
    if (it == cache_.end()) {
      Prepared p;
      std::string sql = s.sql;
      p.rowid_returning = strip_rowid_returning(sql);
      int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &p.stmt, nullptr);
      if (rc != SQLITE_OK) throw db_error(db_, rc, std::string("prepare ") + s.name);
      // Placeholders are written $1..$N; map each SQLite parameter slot to its number.
      int n = sqlite3_bind_parameter_count(p.stmt);
      for (int i = 1; i <= n; ++i) {
        const char* name = sqlite3_bind_parameter_name(p.stmt, i);
        int num = (name && name[0] == '$') ? std::atoi(name + 1) : 0;
        if (num <= 0) {
          sqlite3_finalize(p.stmt);
          throw DbError{DbError::other, std::string("bad placeholder in ") + s.name};
        }
        p.slots.push_back(num - 1);
      }
      it = cache_.emplace(s.sql, std::move(p)).first;
    }
    sqlite3_stmt* st = it->second.stmt;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    const auto& slots = it->second.slots;
    for (size_t i = 0; i < slots.size(); ++i) {
      size_t k = static_cast<size_t>(slots[i]);
      if (k >= params.size()) throw DbError{DbError::other, std::string("missing parameter in ") + s.name};
      const Value& v = params[k];
      int slot = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(st, slot);
      else if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(st, slot, *n);
      else {
        const auto& str = std::get<std::string>(v);
        // SQLITE_STATIC: params outlive every step of this statement (query/exec step and reset it
        // before returning; the next use rebinds after sqlite3_clear_bindings), so no copy.
        rc = sqlite3_bind_text(st, slot, str.data(), static_cast<int>(str.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) throw db_error(db_, rc, std::string("bind ") + s.name);
    }
    return it->second;
  }

  std::vector<Row> query(const Stmt& s, const std::vector<Value>& params) {
    const Prepared& p = bind_prepared(s, params);
    sqlite3_stmt* st = p.stmt;
    std::vector<Row> rows;
    if (p.rowid_returning) {
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        DbError e = db_error(db_, rc == SQLITE_ROW ? SQLITE_ERROR : rc, s.name);
        sqlite3_reset(st);
        throw e;
      }
      sqlite3_reset(st);
      if (sqlite3_changes64(db_) > 0) {  // a plain INSERT adds exactly one row here
        Row r;
        r.cols.emplace_back(static_cast<int64_t>(sqlite3_last_insert_rowid(db_)));
        rows.push_back(std::move(r));
      }
      return rows;
    }
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        DbError e = db_error(db_, rc, s.name);
        sqlite3_reset(st);
        throw e;
      }
      int n = sqlite3_column_count(st);
      Row r;
      r.cols.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_NULL: r.cols.emplace_back(nullptr); break;
          case SQLITE_INTEGER: r.cols.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, i))); break;
          default: {
            auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
            r.cols.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i))));
          }
        }
      }
      rows.push_back(std::move(r));
    }
    sqlite3_reset(st);
    return rows;
  }

  int64_t exec(const Stmt& s, const std::vector<Value>& params) {
    sqlite3_stmt* st = bind(s, params);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      DbError e = db_error(db_, rc, s.name);
      sqlite3_reset(st);
      throw e;
    }
    sqlite3_reset(st);
    return sqlite3_changes64(db_);
  }

  sqlite3* db() { return db_; }

 private:
  // Turns `INSERT INTO t(...) VALUES (...) RETURNING seq` into the same INSERT without RETURNING
  // when seq is t's rowid (an INTEGER PRIMARY KEY of a rowid table) and nothing else could make
  // the statement insert zero or several rows or update one (no ON CONFLICT, no SELECT, no
  // multi-row VALUES, no OR REPLACE/IGNORE). Anything else is left exactly as written.
  bool strip_rowid_returning(std::string& sql) {
    static constexpr std::string_view kInsert = "INSERT INTO ", kReturning = " RETURNING seq";
    std::string_view v = sql;
    if (v.substr(0, kInsert.size()) != kInsert) return false;
    if (v.size() <= kReturning.size() || v.substr(v.size() - kReturning.size()) != kReturning) return false;
    for (std::string_view bad : {"ON CONFLICT", "SELECT", "), (", "),(", " OR "})
      if (v.find(bad) != std::string_view::npos) return false;
    size_t name_end = v.find_first_of("( ", kInsert.size());
    if (name_end == std::string_view::npos) return false;
    std::string table(v.substr(kInsert.size(), name_end - kInsert.size()));
    // seq aliases the rowid when it is the table's only primary key column, declared INTEGER, in
    // a rowid table (selecting _rowid_ fails on a WITHOUT ROWID table).
    sqlite3_stmt* probe = nullptr;
    std::string info = "SELECT name, type, pk FROM pragma_table_info(?1) WHERE pk > 0";
    if (sqlite3_prepare_v2(db_, info.c_str(), -1, &probe, nullptr) != SQLITE_OK) return false;
    sqlite3_bind_text(probe, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    int keys = 0;
    bool seq_integer = false;
    while (sqlite3_step(probe) == SQLITE_ROW) {
      ++keys;
      auto name = reinterpret_cast<const char*>(sqlite3_column_text(probe, 0));
      auto type = reinterpret_cast<const char*>(sqlite3_column_text(probe, 1));
      seq_integer = name && type && std::string_view(name) == "seq" && sqlite3_stricmp(type, "INTEGER") == 0;
    }
    sqlite3_finalize(probe);
    if (keys != 1 || !seq_integer) return false;
    std::string check = "SELECT _rowid_ FROM \"" + table + "\" LIMIT 0";
    probe = nullptr;
    bool ok = sqlite3_prepare_v2(db_, check.c_str(), -1, &probe, nullptr) == SQLITE_OK;
    sqlite3_finalize(probe);
    if (!ok) return false;
    sql.resize(sql.size() - kReturning.size());
    return true;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, Prepared> cache_;
};

class SqliteTx final : public Tx {
 public:
  SqliteTx(Connection& c, bool writable) : c_(c), writable_(writable) {}
  std::vector<Row> query(const Stmt& s, const std::vector<Value>& params) override {
    if (writable_) require_transaction(s);
    return c_.query(s, params);
  }
  int64_t exec(const Stmt& s, const std::vector<Value>& params) override {
    if (!writable_) throw DbError{DbError::other, std::string("write in a read transaction: ") + s.name};
    require_transaction(s);
    return c_.exec(s, params);
  }
  bool writable() const override { return writable_; }
  void after_commit(std::function<void()> fn) override { hooks_.push_back(std::move(fn)); }
  std::vector<std::function<void()>> take_hooks() { return std::move(hooks_); }

 private:
  // A statement error that rolls back the whole transaction (SQLITE_FULL, SQLITE_IOERR, ...) would
  // let a write fn that caught it go on in autocommit mode, committing outside its batch.
  void require_transaction(const Stmt& s) {
    if (sqlite3_get_autocommit(c_.db()))
      throw DbError{DbError::other, std::string("no open write transaction for ") + s.name +
                                        " (a failed statement rolled it back)"};
  }

  Connection& c_;
  bool writable_;
  std::vector<std::function<void()>> hooks_;
};

Error to_error(const DbError& e) {
  if (e.kind == DbError::unique_violation) return Error::conflict("conflict", e.message);
  if (e.kind == DbError::busy) return Error{Errc::unavailable, "store_busy", e.message, {}};
  return Error::internal(e.message);
}

class SqliteStore final : public GroupCommitStore {
 public:
  SqliteStore(std::string path, StoreOptions opts, SyncWrapper wrap)
      : GroupCommitStore(opts), path_(std::move(path)), wal_(path_), wrap_(std::move(wrap)) {}
  ~SqliteStore() override { close(); }

  Status init(bool migrate) {
    BOTTEGA_TRY_STATUS(writer_.open(path_, false));
    if (migrate) BOTTEGA_TRY_STATUS(apply_migrations());
    else BOTTEGA_TRY_STATUS(check_schema());
    for (size_t i = 0; i < opts_.readers; ++i) {
      auto c = std::make_unique<Connection>();
      BOTTEGA_TRY_STATUS(c->open(path_, true));
      readers_.push_back(std::move(c));
    }
    BOTTEGA_TRY_STATUS(start_wal_sync());
    start(readers_.size(), opts_.max_batch);
    return {};
  }

  std::string_view dialect() const override { return "sqlite"; }

 private:
  // Commits stop waiting for the disk (synchronous=NORMAL) and WalSync fdatasyncs the WAL on its
  // own thread before anything is acknowledged (wal_sync.hpp says why that is as safe). Only in
  // WAL mode and with the WAL file at hand; otherwise commits stay synchronous=FULL and WalSync
  // merely answers them in order. Migrations ran before, at synchronous=FULL.
  Status start_wal_sync() {
    static constexpr Stmt kJournalMode{"tx.journal_mode", "PRAGMA journal_mode"};
    std::string why;
    try {
      auto mode = writer_.query(kJournalMode, {});
      if (mode.empty() || mode[0].str(0) != "wal") why = "the database is not in WAL mode";
    } catch (const DbError& e) {
      why = e.message;
    }
    std::function<void()> sync;
    if (why.empty() && wal_.open(why)) {
      try {
        writer_.exec_script("PRAGMA synchronous=NORMAL");
      } catch (const DbError& e) {
        return Error{Errc::unavailable, "store_open_failed", "pragma failed: " + e.message, {}};
      }
      sync = [this] { wal_.sync(); };
    } else {
      std::fprintf(stderr, "store: every commit waits for its own fsync (%s)\n", why.c_str());
      sync = [] {};  // synchronous=FULL: COMMIT was durable already
    }
    if (wrap_) sync = [this, inner = std::move(sync)] { wrap_(inner); };
    wal_sync_ = std::make_unique<WalSync>(std::move(sync));
    return {};
  }

  void before_batch() override { wal_sync_->wait_for_room(); }

  void on_closed() override {
    if (wal_sync_) wal_sync_->stop();
  }

  Status apply_migrations() {
    try {
      writer_.exec_script(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      static constexpr Stmt kApplied{"schema_migrations.versions", "SELECT version FROM schema_migrations"};
      static constexpr Stmt kRecord{"schema_migrations.record",
                                    "INSERT INTO schema_migrations(version, name, applied_at) "
                                    "VALUES ($1, $2, $3)"};
      std::vector<int64_t> applied;
      for (auto& r : writer_.query(kApplied, {})) applied.push_back(r.i64(0));
      for (const auto& m : sqlite_migrations()) {
        if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
        writer_.exec_script("BEGIN IMMEDIATE");
        try {
          writer_.exec_script(m.sql);
          writer_.exec(kRecord, {int64_t{m.version}, std::string(m.name),
                                 static_cast<int64_t>(std::time(nullptr)) * 1000});
          writer_.exec_script("COMMIT");
        } catch (const DbError& e) {
          // SQLite may have rolled back already (a failed COMMIT, disk full): the migration's
          // own error is the one to report.
          rollback_quietly();
          return Error{Errc::internal, "migration_failed",
                       "migration " + std::to_string(m.version) + " (" + m.name + "): " + e.message, {}};
        }
      }
    } catch (const DbError& e) {
      return Error{Errc::internal, "migration_failed", e.message, {}};
    }
    return {};
  }

  Status check_schema() {
    try {
      static constexpr Stmt kMax{"schema_migrations.max", "SELECT MAX(version) FROM schema_migrations"};
      auto rows = writer_.query(kMax, {});
      int64_t have = rows.empty() ? 0 : rows[0].i64(0);
      int64_t want = sqlite_migrations().back().version;
      if (have < want)
        return Error{Errc::unavailable, "schema_outdated",
                     "database schema is at version " + std::to_string(have) + ", need " +
                         std::to_string(want) + ": run `bottega migrate`", {}};
    } catch (const DbError&) {
      return Error{Errc::unavailable, "schema_missing", "database has no schema: run `bottega migrate`", {}};
    }
    return {};
  }

  // Runs every op of the batch in one transaction, then commits (one fsync for the batch).
  //
  // Each op must be isolated: one that fails rolls back alone. Wrapping every op in a savepoint
  // does that, but costs the SAVEPOINT and RELEASE statements and a copy of every page an op
  // touches into the statement journal (measured: ~15% of the writer thread's instructions per
  // web chat message). Ops almost never fail, so the batch first runs without savepoints; if an
  // op fails, the whole transaction is rolled back and the batch runs again op by op in
  // savepoints (fn may therefore run twice: its effects must go through the Tx only, which the
  // Store::write contract already asks). After a failure the next batch starts in savepoint mode
  // directly, so a stream of failing ops does not run every batch twice.
  //
  // COMMIT does not wait for the disk: the batch's answers and hooks go to WalSync, which calls
  // them once an fdatasync of the WAL has covered the commit.
  void run_batch(std::vector<WriteOp>& batch) override {
    WalSync::Batch out;
    out.results.resize(batch.size());
    out.dones.reserve(batch.size());
    for (auto& op : batch) out.dones.push_back(std::move(op.done));
    std::vector<Status>& results = out.results;
    std::vector<std::function<void()>>& hooks = out.hooks;
    bool began = false;
    std::optional<int64_t> indexed[2];  // how far each chunked index is complete once committed
    try {
      writer_.exec_script("BEGIN IMMEDIATE");
      began = true;
      bool isolated = last_batch_failed_ && batch.size() > 1;
      if (!isolated && !run_unisolated(batch, results, hooks)) {
        hooks.clear();
        rollback_quietly();  // the failed statement may have ended the transaction already
        began = false;
        writer_.exec_script("BEGIN IMMEDIATE");
        began = true;
        isolated = true;
      }
      if (isolated) run_isolated(batch, results, hooks);
      for (size_t i = 0; i < 2; ++i) indexed[i] = fill_if_due(*chunked_[i]);
      wal_sync_->begin_commit();  // from here on a reader's snapshot may hold this batch
      writer_.exec_script("COMMIT");
    } catch (const DbError& e) {
      if (began) rollback_quietly();
      std::fprintf(stderr, "store: batch of %zu failed: %s\n", batch.size(), e.message.c_str());
      Error err = to_error(e);
      if (err.errc == Errc::internal) err = Error{Errc::unavailable, "store_write_failed", e.message, {}};
      for (auto& r : results) r = err;
      hooks.clear();
      failed_ += batch.size();
      last_batch_failed_ = true;
      wal_sync_->committed(std::move(out));
      return;
    }
    last_batch_failed_ = false;
    for (size_t i = 0; i < 2; ++i)
      if (indexed[i]) {
        chunked_[i]->indexed = *indexed[i];
        chunked_[i]->last_ms = now_ms();
      }
    for (const auto& r : results)
      if (!r.ok()) {
        failed_++;
        last_batch_failed_ = true;
      }
    batches_++;
    writes_ += batch.size();
    wal_sync_->committed(std::move(out));
  }

  // Two indexes are filled in chunks at the end of a batch's transaction, each in one statement,
  // once `chunk` rows have gathered since the last time or kIndexLagMs have passed:
  // - message search (core migration 8): text and note messages into the FTS5 index
  //   (index_new_messages). FTS5 writes a new segment for every transaction that adds to the
  //   index, and that costs about as much as indexing a few hundred messages at once: indexed at
  //   the end of every batch, the index was the writer's largest single cost per web chat message
  //   (bench/RESULTS.md). A search indexes what is left first (service::catch_up_message_index),
  //   so it finds every message committed before it.
  // - a visitor's replay (realtime migration 80): events into contact_events, keyed by (tenant,
  //   contact, seq), sorted by key, so that each contact's page is written once per chunk instead
  //   of once per event (index_contact_events). The replay reads the events after the chunk's end
  //   from the events table (at most about a chunk plus what kIndexLagMs brings).
  struct ChunkedIndex {
    Stmt last_seq;     // the newest row's seq
    Stmt indexed_seq;  // the seq the index is complete up to
    int64_t chunk;
    void (*fill)(Tx&);
    // Writer thread only: how far the index is complete as far as this store knows (a search's
    // catch-up may have indexed more: then the next check merely fills early), and when it last ran.
    std::optional<int64_t> indexed;
    int64_t last_ms = 0;
  };

  // Fills `ix` if it is due; returns the seq it will be complete up to after COMMIT when it ran.
  std::optional<int64_t> fill_if_due(ChunkedIndex& ix) {
    auto last = writer_.query(ix.last_seq, {});
    if (last.empty() || last[0].is_null(0)) return std::nullopt;
    int64_t seq = last[0].i64(0);
    if (!ix.indexed) {
      auto st = writer_.query(ix.indexed_seq, {});
      ix.indexed = st.empty() ? 0 : st[0].i64(0);
    }
    if (seq <= *ix.indexed) return std::nullopt;
    if (seq - *ix.indexed < ix.chunk && now_ms() - ix.last_ms < kIndexLagMs) return std::nullopt;
    SqliteTx tx(writer_, true);
    ix.fill(tx);
    return seq;
  }

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  static Status run_op(WriteOp& op, SqliteTx& tx) {
    try {
      return op.fn(tx);
    } catch (const DbError& e) {
      return to_error(e);
    } catch (const std::exception& e) {
      return Error::internal(std::string("write failed: ") + e.what());
    }
  }

  void rollback_quietly() {
    char* err = nullptr;
    sqlite3_exec(writer_.db(), "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }

  // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, an interrupted statement) roll the whole
  // transaction back, not just the statement. Every later statement would then commit on its own,
  // outside the batch: stop the batch instead (its caller reports the failure to every op).
  void require_open_transaction() {
    if (sqlite3_get_autocommit(writer_.db()))
      throw DbError{DbError::other, "SQLite rolled the batch's transaction back after a failed statement"};
  }

  // Every op straight in the transaction. False as soon as one fails (the caller rolls back); a
  // batch of one keeps its failure, since rolling back the transaction isolates it already.
  bool run_unisolated(std::vector<WriteOp>& batch, std::vector<Status>& results,
                      std::vector<std::function<void()>>& hooks) {
    for (size_t i = 0; i < batch.size(); ++i) {
      SqliteTx tx(writer_, true);
      Status st = run_op(batch[i], tx);
      if (!st.ok()) {
        if (batch.size() > 1) return false;
        results[i] = std::move(st);
        // Undo the op's partial writes; COMMIT then commits nothing. (A failed statement may
        // already have ended the transaction: then ROLLBACK fails harmlessly and BEGIN restarts.)
        rollback_quietly();
        writer_.exec_script("BEGIN IMMEDIATE");
        return true;
      }
      require_open_transaction();
      for (auto& h : tx.take_hooks()) hooks.push_back(std::move(h));
      results[i] = std::move(st);
    }
    return true;
  }

  // Every op in its own savepoint: a failed op rolls back alone.
  void run_isolated(std::vector<WriteOp>& batch, std::vector<Status>& results,
                    std::vector<std::function<void()>>& hooks) {
    static constexpr Stmt kSavepoint{"tx.savepoint", "SAVEPOINT op"};
    static constexpr Stmt kRelease{"tx.release", "RELEASE op"};
    static constexpr Stmt kRollbackTo{"tx.rollback_to", "ROLLBACK TO op"};
    for (size_t i = 0; i < batch.size(); ++i) {
      SqliteTx tx(writer_, true);
      writer_.exec(kSavepoint, {});
      Status st = run_op(batch[i], tx);
      require_open_transaction();
      if (st.ok()) {
        writer_.exec(kRelease, {});
        for (auto& h : tx.take_hooks()) hooks.push_back(std::move(h));
      } else {
        writer_.exec(kRollbackTo, {});
        writer_.exec(kRelease, {});
      }
      results[i] = std::move(st);
    }
  }

  void run_read(size_t reader, ReadOp& op) override {
    Connection& c = *readers_[reader];
    SqliteTx tx(c, false);
    // SQLite takes a transaction's snapshot at its first read, not at BEGIN: read once, then wait
    // until every batch that snapshot may hold is durable (wal_sync.hpp), and only then run fn.
    // A read_undurable skips both.
    static constexpr Stmt kSnapshot{"tx.snapshot", "SELECT version FROM schema_migrations LIMIT 1"};
    try {
      c.exec_script("BEGIN");
      if (op.durable) {
        c.query(kSnapshot, {});
        wal_sync_->wait_durable();
      }
      op.fn(tx);
      c.exec_script("COMMIT");
    } catch (const DbError& e) {
      std::fprintf(stderr, "store: read failed: %s\n", e.message.c_str());
      char* err = nullptr;
      sqlite3_exec(c.db(), "ROLLBACK", nullptr, nullptr, &err);
      sqlite3_free(err);
    }
  }

  static constexpr int64_t kIndexLagMs = 2000;

  std::string path_;
  WalFile wal_;
  SyncWrapper wrap_;
  std::unique_ptr<WalSync> wal_sync_;
  Connection writer_;
  bool last_batch_failed_ = false;  // writer thread only
  ChunkedIndex search_index_{{"message_search.last_seq", "SELECT MAX(seq) FROM messages"},
                             {"message_search.indexed_seq", "SELECT indexed_seq FROM message_search_fts_state WHERE id = 1"},
                             256, index_new_messages, {}, 0};
  ChunkedIndex contact_index_{{"contact_events.last_seq", "SELECT MAX(seq) FROM events"},
                              {"contact_events.indexed_seq", "SELECT indexed_seq FROM contact_events_state WHERE id = 1"},
                              2048, index_contact_events, {}, 0};
  ChunkedIndex* const chunked_[2] = {&search_index_, &contact_index_};
  std::vector<std::unique_ptr<Connection>> readers_;
};

}  // namespace

void index_new_messages(Tx& tx) {
  static constexpr Stmt kIndex{
      "message_search.index_batch",
      "INSERT INTO message_search_fts(rowid, text) SELECT seq, text FROM messages "
      "WHERE seq > (SELECT indexed_seq FROM message_search_fts_state WHERE id = 1) "
      "AND (kind = 'text' OR kind = 'note')"};
  static constexpr Stmt kMark{
      "message_search.mark",
      "UPDATE message_search_fts_state SET indexed_seq = (SELECT MAX(seq) FROM messages) "
      "WHERE id = 1 AND indexed_seq < (SELECT MAX(seq) FROM messages)"};
  tx.exec(kIndex, {});
  tx.exec(kMark, {});
}

void index_contact_events(Tx& tx) {
  static constexpr Stmt kIndex{
      "contact_events.index_batch",
      "INSERT INTO contact_events(tenant_id, contact_id, seq) SELECT tenant_id, contact_id, seq FROM events "
      "WHERE seq > (SELECT indexed_seq FROM contact_events_state WHERE id = 1) AND contact_id IS NOT NULL "
      "ORDER BY tenant_id, contact_id, seq"};
  static constexpr Stmt kMark{
      "contact_events.mark",
      "UPDATE contact_events_state SET indexed_seq = (SELECT MAX(seq) FROM events) "
      "WHERE id = 1 AND indexed_seq < (SELECT MAX(seq) FROM events)"};
  tx.exec(kIndex, {});
  tx.exec(kMark, {});
}

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const StoreOptions& opts,
                                           bool migrate, SyncWrapper wrap) {
  auto s = std::make_unique<SqliteStore>(path, opts, std::move(wrap));
  BOTTEGA_TRY_STATUS(s->init(migrate));
  return std::unique_ptr<Store>(std::move(s));
}

}  // namespace bottega::store
