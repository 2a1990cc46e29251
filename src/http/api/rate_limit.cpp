#include "http/api/rate_limit.hpp"

#include <cmath>
#include <functional>

namespace bottega::http::api {

int64_t RateLimiter::take(const std::string& key, int per_window, int64_t window_ms, int64_t now_ms) {
  Shard& s = shards_[std::hash<std::string>{}(key) % shards_.size()];
  std::lock_guard lk(s.mu);
  double rate = static_cast<double>(per_window) / static_cast<double>(window_ms);  // tokens per ms
  if (now_ms - s.last_sweep > window_ms) {
    for (auto it = s.buckets.begin(); it != s.buckets.end();) {
      if (now_ms - it->second.at > window_ms) it = s.buckets.erase(it);
      else ++it;
    }
    s.last_sweep = now_ms;
  }
  auto [it, fresh] = s.buckets.try_emplace(key, Bucket{static_cast<double>(per_window), now_ms});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min<double>(per_window, b.tokens + static_cast<double>(now_ms - b.at) * rate);
    b.at = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate));
}

}  // namespace bottega::http::api
