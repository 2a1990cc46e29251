#include "pipeline/rate_bucket.hpp"

#include <algorithm>

namespace bottega::pipeline {

namespace {
constexpr store::Stmt kGetBucket{
    "rate_buckets.get",
    "SELECT milli_tokens, updated_at FROM rate_buckets WHERE tenant_id = $1 AND key = $2",
    "SELECT milli_tokens, updated_at FROM rate_buckets WHERE tenant_id = $1 AND key = $2 FOR UPDATE"};
constexpr store::Stmt kPutBucket{
    "rate_buckets.put",
    "INSERT INTO rate_buckets(tenant_id, key, milli_tokens, updated_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (tenant_id, key) DO UPDATE SET milli_tokens = excluded.milli_tokens, "
    "updated_at = excluded.updated_at"};
}  // namespace

int64_t take_token(store::Tx& tx, const std::string& tenant, const std::string& key, int64_t per_second,
                   int64_t now_ms) {
  const int64_t cap = per_second * 1000;  // thousandths of a token; refill: per_second per ms
  int64_t tokens = cap;
  if (auto r = tx.query_one(kGetBucket, {tenant, key})) {
    int64_t elapsed = std::max<int64_t>(0, now_ms - r->i64(1));
    // elapsed * per_second cannot overflow for any sane clock; clamp before multiplying anyway.
    elapsed = std::min<int64_t>(elapsed, 1000);
    tokens = std::min(cap, r->i64(0) + elapsed * per_second);
  }
  int64_t wait = 0;
  if (tokens >= 1000) tokens -= 1000;
  else wait = (1000 - tokens + per_second - 1) / per_second;
  tx.exec(kPutBucket, {tenant, key, tokens, now_ms});
  return wait;
}

}  // namespace bottega::pipeline
