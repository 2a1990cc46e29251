// Token buckets in the database, so a limit holds across every node using it (the in-memory
// http::api::RateLimiter is per node). One bucket per (tenant, key) holds up to `per_second`
// tokens (one second's burst) and refills evenly; tokens are counted in thousandths so the
// arithmetic stays in integers on both stores. Each take is a write in the caller's transaction:
// on PostgreSQL every write batch holds the cluster-wide write lock (see postgres_store.cpp), so
// the read-then-update cannot interleave with another node's.
#pragma once

#include <cstdint>
#include <string>

#include "bottega/store.hpp"

namespace bottega::pipeline {

// Takes one token from bucket (tenant, key). Returns 0 when taken, else the milliseconds until a
// token will be there (nothing taken). REQUIRES: per_second > 0, tx writable.
int64_t take_token(store::Tx& tx, const std::string& tenant, const std::string& key, int64_t per_second,
                   int64_t now_ms);

}  // namespace bottega::pipeline
