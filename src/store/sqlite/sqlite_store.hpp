// SQLite implementation of the Store: WAL, synchronous=FULL, one writer thread that group-commits
// queued writes (one transaction and one fsync per batch), and a pool of reader threads each with
// its own read-only connection (WAL readers never block the writer).
#pragma once

#include <memory>
#include <string>

#include "bottega/store.hpp"

namespace bottega::store {

// Opens (creating if needed) the database file at `path`. When `migrate` is set, pending schema
// migrations are applied before the store accepts work.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const StoreOptions& opts,
                                           bool migrate);

// Message search (core migration 8): adds every text and note message stored so far and not yet
// in the FTS5 index to it. The SQLite store indexes in chunks at the end of write batches, so the
// newest messages may not be indexed yet: a search runs this in a write first (SQLite only;
// service::catch_up_message_index). A step of a write fn.
void index_new_messages(Tx& tx);

}  // namespace bottega::store
