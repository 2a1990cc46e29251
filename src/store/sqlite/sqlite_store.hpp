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

}  // namespace bottega::store
