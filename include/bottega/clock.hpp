// Time and randomness are injected so tests control them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace bottega {

// Wall-clock milliseconds since the Unix epoch. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
};

// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  void advance_ms(int64_t d) { now_ += d; }
  void set_ms(int64_t t) { now_ = t; }

 private:
  std::atomic<int64_t> now_;
};

// Generates opaque, unguessable, time-ordered ids: "<prefix>_" + 26 Crockford base32 chars
// (48-bit millisecond time + 80 random bits, ULID layout). Thread-safe.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string next(const char* prefix) = 0;
};

// ULID generator over OpenSSL RAND_bytes. Ids from one generator strictly increase as strings
// (for a fixed prefix): within one millisecond, or when the clock steps back, the previous id's
// time is kept and its random part grows by a random amount in [1, 2^32] (ULID monotonic mode,
// with a random step so the next id is not the previous one plus one).
class RandomIdGenerator final : public IdGenerator {
 public:
  explicit RandomIdGenerator(const Clock& clock) : clock_(clock) {}
  // REQUIRES: prefix is non-null.
  std::string next(const char* prefix) override;

 private:
  const Clock& clock_;
  std::mutex mu_;
  int64_t last_ms_ = -1;                 // GUARDED_BY(mu_)
  std::array<uint8_t, 10> last_rand_{};  // GUARDED_BY(mu_), big-endian 80 bits
};

}  // namespace bottega
