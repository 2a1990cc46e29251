#include "bottega/clock.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

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

// Random bytes for ids, drawn from the CSPRNG 512 at a time per thread: one RAND_bytes call cost
// ~6,800 instructions whatever its size (callgrind), two ids per web chat message. The bytes are
// the same CSPRNG output, handed out once each. (A fork would copy the pool: the server never
// forks after start.)
void random_into(uint8_t* out, size_t n) {
  thread_local std::array<uint8_t, 512> pool;
  thread_local size_t used = pool.size();
  while (n > 0) {
    if (used == pool.size()) {
      std::string r = crypto::random_bytes(pool.size());
      std::memcpy(pool.data(), r.data(), pool.size());
      used = 0;
    }
    size_t k = std::min(n, pool.size() - used);
    std::memcpy(out, pool.data() + used, k);
    std::memset(pool.data() + used, 0, k);  // handed-out bytes do not linger in memory
    used += k;
    out += k;
    n -= k;
  }
}

void fresh_random(std::array<uint8_t, 10>& n) { random_into(n.data(), n.size()); }

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
      uint8_t r[4];
      random_into(r, sizeof r);
      uint64_t step = 0;
      for (uint8_t c : r) step = step << 8 | c;
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
