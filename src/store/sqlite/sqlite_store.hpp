// SQLite implementation of the Store: WAL, one writer thread that group-commits queued writes (one
// transaction and one fsync per batch, the fsync on its own thread overlapping the next batch:
// wal_sync.hpp), and a pool of reader threads each with its own read-only connection (WAL readers
// never block the writer). A write is answered, and readers see it, once it is on disk.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "bottega/store.hpp"

namespace bottega::store {

// Tests: called instead of each fsync of the WAL, with the real one to call.
using SyncWrapper = std::function<void(const std::function<void()>& sync)>;

// Opens (creating if needed) the database file at `path`. When `migrate` is set, pending schema
// migrations are applied before the store accepts work.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const StoreOptions& opts,
                                           bool migrate, SyncWrapper wrap = {});

// Message search (core migration 8): adds every text and note message stored so far and not yet
// in the FTS5 index to it. The SQLite store indexes in chunks at the end of write batches, so the
// newest messages may not be indexed yet: a search runs this in a write first (SQLite only;
// service::catch_up_message_index). A step of a write fn.
void index_new_messages(Tx& tx);

// A visitor's replay (realtime migration 80): adds every event stored so far and not yet in
// contact_events to it. The SQLite store runs it at the end of write batches, in chunks; tests call
// it to fill the table at a chosen point. A step of a write fn.
void index_contact_events(Tx& tx);

}  // namespace bottega::store
