// Token buckets keyed by string (visitor id, client IP). In memory, per node; sharded locks keep
// contention low. Buckets idle for longer than their refill time are dropped.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bottega::http::api {

class RateLimiter {
 public:
  // Takes one token from bucket `key` holding up to `per_window` tokens refilled evenly over
  // `window_ms`. Returns 0 when allowed, else the milliseconds until a token is available.
  int64_t take(const std::string& key, int per_window, int64_t window_ms, int64_t now_ms);

 private:
  struct Bucket {
    double tokens;
    int64_t at;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
    int64_t last_sweep = 0;
  };
  std::array<Shard, 16> shards_;
};

}  // namespace bottega::http::api
