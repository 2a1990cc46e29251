#include "bottega/clock.hpp"

#include <chrono>

#include "core/crypto.hpp"

namespace bottega {

int64_t SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int64_t kMaxUlidMs = (int64_t{1} << 48) - 1;

// Adds `step` to a big-endian 80-bit number; returns false on overflow past 2^80 - 1.
bool add_80(std::array<uint8_t, 10>& n, uint64_t step) {
  uint64_t carry = step;
  for (int i = 9; i >= 0 && carry != 0; --i) {
    uint64_t sum = uint64_t{n[i]} + (carry & 0xff);
    n[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return carry == 0;
}

void fresh_random(std::array<uint8_t, 10>& n) {
  std::string r = crypto::random_bytes(n.size());
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(r[i]);
}

// 128 bits (48-bit time, 80 random) as 26 Crockford base32 chars, most significant first.
void encode_ulid(uint64_t ms, const std::array<uint8_t, 10>& rand, char* out) {
  uint64_t hi = ms << 16 | uint64_t{rand[0]} << 8 | rand[1];
  uint64_t lo = 0;
  for (size_t i = 2; i < 10; ++i) lo = lo << 8 | rand[i];
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[lo & 31];
    lo = lo >> 5 | hi << 59;
    hi >>= 5;
  }
}

}  // namespace

std::string RandomIdGenerator::next(const char* prefix) {
  int64_t now = clock_.now_ms();
  if (now < 0) now = 0;
  if (now > kMaxUlidMs) now = kMaxUlidMs;

  char body[26];
  {
    std::lock_guard lock(mu_);
    if (now > last_ms_) {
      last_ms_ = now;
      fresh_random(last_rand_);
    } else {
      // Same millisecond (or the clock stepped back): keep the last time, grow the random part.
      std::string r = crypto::random_bytes(4);
      uint64_t step = 0;
      for (char c : r) step = step << 8 | static_cast<uint8_t>(c);
      step += 1;  // [1, 2^32]
      if (!add_80(last_rand_, step)) {
        // 80-bit overflow (practically unreachable): borrow the next millisecond.
        last_ms_ = last_ms_ < kMaxUlidMs ? last_ms_ + 1 : last_ms_;
        fresh_random(last_rand_);
      }
    }
    encode_ulid(static_cast<uint64_t>(last_ms_), last_rand_, body);
  }

  std::string id(prefix);
  id.reserve(id.size() + 27);
  id += '_';
  id.append(body, sizeof body);
  return id;
}

}  // namespace bottega
