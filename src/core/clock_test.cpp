#include "bottega/clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/model.hpp"

namespace bottega {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Decodes the first 10 chars of the ULID body: the 48-bit millisecond time.
int64_t decode_time(std::string_view body) {
  int64_t t = 0;
  for (char c : body.substr(0, 10)) t = t * 32 + static_cast<int64_t>(kCrockford.find(c));
  return t;
}

TEST(SystemClock, IsCloseToTheSystemTime) {
  SystemClock c;
  int64_t expected = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_LE(std::abs(c.now_ms() - expected), 1000);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.now_ms(), 1000);
  c.advance_ms(5);
  EXPECT_EQ(c.now_ms(), 1005);
  c.set_ms(7);
  EXPECT_EQ(c.now_ms(), 7);
}

TEST(RandomIdGenerator, FormatIsPrefixAndUlid) {
  ManualClock clock(1'700'000'000'123);
  RandomIdGenerator ids(clock);
  std::string id = ids.next("msg");
  ASSERT_EQ(id.size(), 4u + 26u);
  EXPECT_EQ(id.substr(0, 4), "msg_");
  std::string_view body = std::string_view(id).substr(4);
  EXPECT_EQ(body.find_first_not_of(kCrockford), std::string_view::npos) << id;
  EXPECT_LE(body[0], '7');  // 128 bits in 130: the top char carries 3 bits
  EXPECT_EQ(decode_time(body), 1'700'000'000'123);
}

TEST(RandomIdGenerator, KnownTimeEncoding) {
  // The ULID spec's example time 1469918176385 encodes as "01ARYZ6S41".
  ManualClock clock(1469918176385);
  RandomIdGenerator ids(clock);
  EXPECT_EQ(ids.next("x").substr(2, 10), "01ARYZ6S41");
  clock.set_ms(0);
  RandomIdGenerator ids0(clock);
  EXPECT_EQ(ids0.next("x").substr(2, 10), "0000000000");
}

TEST(RandomIdGenerator, OrdersAcrossMilliseconds) {
  ManualClock clock;
  RandomIdGenerator ids(clock);
  std::string prev = ids.next("cv");
  for (int i = 0; i < 1000; ++i) {
    clock.advance_ms(1);
    std::string cur = ids.next("cv");
    ASSERT_LT(prev, cur);
    prev = cur;
  }
}

TEST(RandomIdGenerator, StrictlyMonotonicWithinOneMillisecond) {
  ManualClock clock;
  RandomIdGenerator ids(clock);
  std::string prev = ids.next("cv");
  for (int i = 0; i < 10000; ++i) {
    std::string cur = ids.next("cv");
    ASSERT_LT(prev, cur) << i;
    ASSERT_EQ(prev.substr(3, 10), cur.substr(3, 10));  // same time part
    prev = cur;
  }
}

TEST(RandomIdGenerator, StaysMonotonicWhenTheClockStepsBack) {
  ManualClock clock(2'000'000'000'000);
  RandomIdGenerator ids(clock);
  std::string a = ids.next("p");
  clock.set_ms(1'000'000'000'000);
  std::string b = ids.next("p");
  EXPECT_LT(a, b);
  EXPECT_EQ(decode_time(std::string_view(b).substr(2)), 2'000'000'000'000);
}

TEST(RandomIdGenerator, UniqueAndOrderedOver100kIdsFromManyThreads) {
  SystemClock clock;
  RandomIdGenerator ids(clock);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25'000;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      got[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(ids.next("evt"));
    });
  }
  for (auto& th : threads) th.join();
  std::unordered_set<std::string> all;
  for (const auto& v : got) {
    // Each thread sees its own ids strictly increasing.
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(RandomIdGenerator, DifferentGeneratorsDoNotCollide) {
  ManualClock clock;
  RandomIdGenerator a(clock), b(clock);
  std::unordered_set<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    all.insert(a.next("x"));
    all.insert(b.next("x"));
  }
  EXPECT_EQ(all.size(), 2000u);
}

// rfc3339 computes the date itself (no gmtime_r/snprintf on the hot path): it must agree with
// gmtime_r everywhere, including before 1970, on leap days and at year boundaries.
std::string reference_rfc3339(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

TEST(Rfc3339, AgreesWithGmtime) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(951782400123), "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  for (int64_t ms : {int64_t{-62135596800000}, int64_t{-2208988800001}, int64_t{1582934400000},
                     int64_t{4102444800000}, int64_t{1795046400999}})
    EXPECT_EQ(rfc3339(ms), reference_rfc3339(ms)) << ms;
  // every day from 1900 to 2200, at varying times of day
  uint64_t x = 88172645463325252ull;
  for (int64_t day = -25567; day < 84006; ++day) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t ms = day * 86400000 + static_cast<int64_t>(x % 86400000);
    ASSERT_EQ(rfc3339(ms), reference_rfc3339(ms)) << ms;
  }
}

}  // namespace
}  // namespace bottega
