// PostgreSQL implementation of the Store (libpq), with the SQLite store's behaviour: one writer
// connection on its own thread group-commits queued writes (one transaction, one WAL flush with
// synchronous_commit=on per batch, a SAVEPOINT per write), and a pool of reader threads, each with
// its own connection, runs every read in a REPEATABLE READ READ ONLY transaction (one consistent
// snapshot per read, as a SQLite WAL read transaction).
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <string>

#include "bottega/store.hpp"

namespace bottega::store {

// Connects to `url` (postgresql://user[:password]@host[:port]/db[?param=value...], any libpq URI).
// When `migrate` is set, pending schema migrations are applied under an advisory lock (nodes that
// start together apply each migration once); otherwise an outdated schema is refused.
Result<std::unique_ptr<Store>> open_postgres(const std::string& url, const StoreOptions& opts,
                                             bool migrate);

// Change notices from every process using the database: fn(topic) runs on a thread of the store
// (it must not block) after some process committed outbox events (topic "events") or new jobs
// ("jobs"), announced by NOTIFY triggers (migration 5) and heard on a LISTEN connection of the
// store's own; and once for each topic whenever that connection (re)connects, since notices may
// have been missed meanwhile. Callers poll as well, so a lost notice only delays work. Returns
// false (and never calls fn) when `store` is not a PostgreSQL store: a SQLite database has one
// process. May be called several times; stops with the store's close().
bool watch_changes(Store& store, std::function<void(std::string_view topic)> fn);

// Tests only: this PostgreSQL store's write batches stop taking the cluster write lock, so a test
// can show what the lock prevents (seq order no longer commit order across nodes). Never called
// by the server. False when `store` is not a PostgreSQL store.
bool disable_write_lock_for_tests(Store& store);

// Scratch databases for tests: each test gets an empty database of its own on the server named by
// `admin_url` (whose user may CREATE DATABASE), so tests and test binaries can run in parallel.
class ScratchDatabase {
 public:
  // Creates database `name` (lower case letters, digits and '_'); ok() tells whether it worked.
  ScratchDatabase(std::string admin_url, std::string name);
  ~ScratchDatabase();  // drops the database (WITH (FORCE))
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const Status& status() const { return status_; }
  const std::string& url() const { return url_; }

  // A unique database name for this process: "<prefix>_<pid>_<n>".
  static std::string unique_name(const std::string& prefix);

 private:
  std::string admin_url_, name_, url_;
  Status status_;
};

// `url` with its database replaced by `db` (query parameters kept).
std::string postgres_url_with_database(const std::string& url, const std::string& db);

}  // namespace bottega::store
