// Send pacing cells (GCRA) in a real SQLite store: the burst, the steady rate, several cells taken
// all or nothing, a provider's hold, and tenants kept apart. (The same cells shared by two nodes on
// PostgreSQL: multinode_test.cpp.)
#include "pipeline/rate_bucket.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace bottega::pipeline {
namespace {

namespace fs = std::filesystem;

class PaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bottega_pace_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "p.db").string(), {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  int64_t pace_at(const std::string& tenant, const std::vector<PaceCell>& cells, int64_t now,
                  const std::string& slot = {}) {
    int64_t wait = -1;
    EXPECT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                  wait = pace(tx, tenant, cells, now, slot);
                  return {};
                }).ok());
    return wait;
  }
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

constexpr int64_t kT0 = 1'700'000'000'000;

TEST_F(PaceTest, BurstThenSteadyRate) {
  PaceCell c{"send:ch_wa", 12'500, 80};  // WhatsApp: 80/s, a second's burst
  for (int i = 0; i < 80; ++i) ASSERT_EQ(pace_at("ten_A", {c}, kT0), 0) << i;
  EXPECT_EQ(pace_at("ten_A", {c}, kT0), 13) << "the 81st waits for the next 12.5 ms slot (rounded up)";
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 12), 1);
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 13), 0);
  // Sent steadily at the rate, it never waits.
  for (int i = 1; i <= 200; ++i) ASSERT_EQ(pace_at("ten_A", {c}, kT0 + 13 + i * 13), 0) << i;
}

TEST_F(PaceTest, PairRateAllowsABurstThenOneEverySixSeconds) {
  PaceCell pair{"send:ch_wa:3165551234", 6'000'000, 45};
  for (int i = 0; i < 45; ++i) ASSERT_EQ(pace_at("ten_A", {pair}, kT0), 0) << i;
  EXPECT_EQ(pace_at("ten_A", {pair}, kT0), 6000);
  EXPECT_EQ(pace_at("ten_A", {pair}, kT0 + 6000), 0);
  EXPECT_EQ(pace_at("ten_A", {pair}, kT0 + 6000), 6000);
}

TEST_F(PaceTest, SeveralCellsAreTakenAllOrNothing) {
  PaceCell channel{"send:ch_tg", 1'000'000 / 30, 30}, chat{"send:ch_tg:42", 1'000'000, 1};
  EXPECT_EQ(pace_at("ten_A", {channel, chat}, kT0), 0);
  EXPECT_EQ(pace_at("ten_A", {channel, chat}, kT0), 1000) << "the chat allows one a second";
  // The refused send took nothing from the channel: 29 more sends to other chats still pass now.
  for (int i = 0; i < 29; ++i)
    ASSERT_EQ(pace_at("ten_A", {channel, PaceCell{"send:ch_tg:" + std::to_string(100 + i), 1'000'000, 1}}, kT0), 0) << i;
  EXPECT_GT(pace_at("ten_A", {channel, PaceCell{"send:ch_tg:999", 1'000'000, 1}}, kT0), 0) << "the channel's 30/s is spent";
}

TEST_F(PaceTest, AHoldStopsEverySendUntilItEnds) {
  PaceCell c{"send:ch_wa", 12'500, 80};
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                hold(tx, "ten_A", c, kT0 + 2000, kT0);
                return {};
              }).ok());
  EXPECT_EQ(pace_at("ten_A", {c}, kT0), 2000);
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 1999), 1);
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 2000), 0);
  EXPECT_EQ(pace_at("ten_B", {c}, kT0), 0) << "cells are per tenant";
}

TEST_F(PaceTest, QueuedSendsBookSlotsOneIntervalApartInOrder) {
  PaceCell c{"send:ch_wa", 100'000, 1};  // 10/s, no burst
  std::vector<int64_t> waits;
  for (int i = 0; i < 5; ++i) waits.push_back(pace_at("ten_A", {c}, kT0, "msg_" + std::to_string(i)));
  EXPECT_EQ(waits, (std::vector<int64_t>{0, 100, 200, 300, 400}));
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 150, "msg_2"), 50) << "asked early, it is told the rest of its wait";
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 200, "msg_2"), 0) << "its slot has come";
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 200, "msg_5"), 300) << "a newcomer queues behind every booked slot";
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 300, "msg_3"), 0);
  ASSERT_TRUE(store::write_sync(*store_, [&](store::Tx& tx) -> Status {
                // msg_4's send never came back for its slot; msg_5's is recent.
                EXPECT_EQ(purge_slots(tx, kT0 + 100), 2) << "msg_1 and msg_4 were booked at kT0";
                return {};
              }).ok());
  EXPECT_EQ(pace_at("ten_A", {c}, kT0 + 500, "msg_5"), 0);
}

}  // namespace
}  // namespace bottega::pipeline
