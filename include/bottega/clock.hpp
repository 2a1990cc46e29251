// Time and randomness are injected so tests control them.
#pragma once

#include <atomic>
#include <cstdint>
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

class RandomIdGenerator final : public IdGenerator {
 public:
  explicit RandomIdGenerator(const Clock& clock) : clock_(clock) {}
  std::string next(const char* prefix) override;

 private:
  const Clock& clock_;
};

}  // namespace bottega
