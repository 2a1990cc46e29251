// Test support: a place for one test's store. Parameterised suites run each case on a fresh SQLite
// file in its own temp folder and, when BOTTEGA_TEST_PG_URL names a PostgreSQL server (scripts/pg.sh
// starts one), on a scratch database dropped afterwards. Header-only; tests include it, the server
// never does.
//
//   void SetUp() override {
//     place_.prepare(GetParam(), "bottega_reports");
//     if (IsSkipped() || HasFatalFailure()) return;
//     auto s = store::open_store(place_.url(), {}, true);
//     ...
//   }
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/postgres/postgres_store.hpp"

namespace bottega::store {

class ScratchStore {
 public:
  ScratchStore() = default;
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;
  // Removes the folder or drops the database: close the store first (fixtures do in TearDown).
  ~ScratchStore() { release(); }

  // backend: "postgresql" or anything else for SQLite. `prefix` names the folder or database
  // (letters, digits, '_'). A PostgreSQL case without BOTTEGA_TEST_PG_URL is skipped (GTEST_SKIP);
  // a failure to make the place is a fatal failure of the test.
  void prepare(const std::string& backend, const std::string& prefix) {
    release();
    if (backend == "postgresql") {
      const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
      if (!admin || !*admin) GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set (scripts/pg.sh starts a server)";
      scratch_ = std::make_unique<ScratchDatabase>(admin, ScratchDatabase::unique_name(prefix));
      ASSERT_TRUE(scratch_->status().ok()) << scratch_->status().error().message;
      url_ = scratch_->url();
      return;
    }
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    dir_ = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite://" + (dir_ / "store.db").string();
  }

  const std::string& url() const { return url_; }
  // The SQLite case's folder (empty for PostgreSQL): tests that look at files use it.
  const std::filesystem::path& dir() const { return dir_; }

  void release() {
    scratch_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
    url_.clear();
  }

 private:
  std::unique_ptr<ScratchDatabase> scratch_;
  std::filesystem::path dir_;
  std::string url_;
};

}  // namespace bottega::store
