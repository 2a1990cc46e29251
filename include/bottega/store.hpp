// The storage seam. A Store runs transactions on its own threads (never on an I/O thread) and
// reports back through callbacks. Domain code (src/store/repo/*.cpp) is written once against Tx
// with `$1..$N` placeholders in a SQL subset shared by SQLite and PostgreSQL.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::store {

// A bound parameter or a column value: NULL, a 64-bit integer or text (binary data is stored hex
// or base64 encoded by the caller).
using Value = std::variant<std::nullptr_t, int64_t, std::string>;

struct Row {
  std::vector<Value> cols;
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(cols.at(i)); }
  int64_t i64(size_t i) const;              // REQUIRES: column i is an integer (or NULL -> 0)
  const std::string& str(size_t i) const;   // REQUIRES: column i is text (or NULL -> "")
  std::optional<std::string> opt_str(size_t i) const;
  std::optional<int64_t> opt_i64(size_t i) const;
};

// A named SQL statement. Names show up in logs and metrics; keep them as constants beside the
// repository code that uses them. `sql` is shared by both dialects; `pg_sql`, when set, replaces it
// on PostgreSQL (only for what the shared subset cannot say, e.g. FOR UPDATE SKIP LOCKED).
struct Stmt {
  const char* name;
  const char* sql;
  const char* pg_sql = nullptr;
};

// Thrown by Tx on a database failure; the Store turns it into an Error for the caller.
struct DbError {
  enum Kind { unique_violation, busy, other } kind;
  std::string message;
};

// One transaction. Used only on the store thread that handed it out; not thread-safe.
class Tx {
 public:
  virtual ~Tx() = default;
  // Runs a statement and returns its rows. Throws DbError.
  virtual std::vector<Row> query(const Stmt& s, const std::vector<Value>& params) = 0;
  // Runs a statement and returns the number of rows changed. Throws DbError.
  virtual int64_t exec(const Stmt& s, const std::vector<Value>& params) = 0;
  virtual bool writable() const = 0;
  // Registers fn to run (on a store thread) once this transaction has committed durably.
  // Dropped if the transaction rolls back.
  virtual void after_commit(std::function<void()> fn) = 0;

  std::optional<Row> query_one(const Stmt& s, const std::vector<Value>& params) {
    auto rows = query(s, params);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
};

struct StoreStats {
  uint64_t batches = 0;        // committed write transactions
  uint64_t writes = 0;         // write functions run (batches * average batch size)
  uint64_t write_queue = 0;    // writes waiting now
  uint64_t failed_writes = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs fn in a read-only transaction on a store thread. fn may call Tx::query/exec only.
  virtual void read(std::function<void(Tx&)> fn) = 0;

  // Like read(), but fn may also see writes whose commit is not durable yet (SQLite: it does not
  // wait for the WAL's fdatasync, see src/store/sqlite/wal_sync.hpp; PostgreSQL shows a commit only
  // once flushed anyway). Only for a read whose result no client is shown and nothing announces:
  // authentication. A token or session is handed to its client only once durable, so one that is
  // not cannot be presented yet; a revocation seen early only denies sooner; and whatever the
  // request then reads or writes goes through read() and write(), which wait as usual.
  virtual void read_undurable(std::function<void(Tx&)> fn) { read(std::move(fn)); }

  // Queues fn to run in a write transaction. Concurrent writes are group-committed (one fsync per
  // batch); each fn is isolated as if in its own savepoint: one that returns an error (or throws
  // DbError) has none of its writes committed, the others are unaffected. fn may run more than once
  // (SQLite reruns a batch after an fn in it failed): act only through tx, reset captured outputs at
  // the start, and put effects outside the database (caches, metrics, wake-ups) in tx.after_commit
  // (a rolled-back run's hooks are dropped). `done` runs on a store thread once the batch is durable
  // (ok) or failed; an fn error is passed through. A full queue answers done(unavailable) at once.
  // (PostgreSQL runs each fn once, in its own savepoint.)
  virtual void write(std::function<Status(Tx&)> fn, std::function<void(Status)> done) = 0;

  // Stops accepting work, finishes what is queued, closes connections. Idempotent.
  virtual void close() = 0;

  virtual std::string_view dialect() const = 0;  // "sqlite" or "postgresql"
  virtual StoreStats stats() const = 0;
};

struct StoreOptions {
  size_t readers = 2;            // read connections / threads
  size_t max_batch = 256;        // writes per group commit
  size_t max_queue = 10000;      // queued writes before write() answers unavailable
};

// Opens "sqlite:///abs/path.db" (or "sqlite://relative.db") or "postgresql://..." and applies
// pending migrations when `migrate` is true. Errors name the URL problem or the failed migration.
Result<std::unique_ptr<Store>> open_store(const std::string& url, const StoreOptions& opts,
                                          bool migrate);

// Runs fn synchronously on the caller's thread through the asynchronous interface (CLI, tests).
Status write_sync(Store& s, std::function<Status(Tx&)> fn);
void read_sync(Store& s, std::function<void(Tx&)> fn);

}  // namespace bottega::store
