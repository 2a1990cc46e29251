// The WAL buffer VFS: a commit reaches the WAL file in one write, other connections and a copy of
// the files taken right after COMMIT (what a killed process leaves) hold it, and a write that fails
// fails the commit instead of being lost.
#include "store/sqlite/wal_buffer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>

namespace bottega::store {
namespace {

namespace fs = std::filesystem;

class Db {
 public:
  Db(const fs::path& path, const char* vfs) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    if (rc != SQLITE_OK) ADD_FAILURE() << "open " << path << ": " << rc;
  }
  ~Db() { sqlite3_close_v2(db_); }
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out = "(error)";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out = t ? reinterpret_cast<const char*>(t) : "(null)";
    }
    sqlite3_finalize(st);
    return out;
  }
  const char* error() { return sqlite3_errmsg(db_); }
  bool autocommit() { return sqlite3_get_autocommit(db_) != 0; }

 private:
  sqlite3* db_ = nullptr;
};

// Inserts n rows of 1000 random bytes each (so no page repeats another) in one transaction.
int insert_rows(Db& db, int n, int first_id) {
  static std::mt19937 rng(42);
  if (int rc = db.exec("BEGIN"); rc != SQLITE_OK) return rc;
  for (int i = 0; i < n; ++i) {
    std::string hex;
    for (int j = 0; j < 2000; ++j) hex += "0123456789abcdef"[rng() % 16];
    int rc = db.exec("INSERT INTO t(id, b) VALUES (" + std::to_string(first_id + i) + ", x'" + hex + "')");
    if (rc != SQLITE_OK) return rc;
  }
  return db.exec("COMMIT");
}

class WalBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bottega-walbuf-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / "db.sqlite";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void open_wal(Db& db) {
    ASSERT_EQ(db.text("PRAGMA journal_mode=WAL"), "wal");
    ASSERT_EQ(db.exec("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0"), SQLITE_OK);
  }

  fs::path dir_, path_;
};

TEST_F(WalBufferTest, ACommitReachesTheWalInOneWriteAndOtherConnectionsSeeIt) {
  Db writer(path_, wal_buffer_vfs());
  open_wal(writer);
  ASSERT_EQ(writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)"), SQLITE_OK);
  Db reader(path_, nullptr);  // the plain unix VFS, as the store's readers
  int rows = 0;
  for (int commit = 0; commit < 20; ++commit) {
    // Commits of ~10 pages and of ~75 (more than one write of the unix VFS can take).
    int n = commit % 2 ? 300 : 40;
    auto before = wal_buffer_stats();
    ASSERT_EQ(insert_rows(writer, n, rows), SQLITE_OK) << writer.error();
    rows += n;
    auto after = wal_buffer_stats();
    uint64_t in = after.writes_in - before.writes_in, out = after.writes_out - before.writes_out;
    // Two writes per frame went in, and one per 124 KiB went out (one more when the transaction
    // started a new WAL and wrote its header).
    EXPECT_GE(in, n == 40 ? 20u : 150u) << "commit " << commit;
    EXPECT_LE(out, n == 40 ? 2u : 4u) << "commit " << commit;
    // The reader takes its snapshot after COMMIT returned, and reads every frame from the file.
    EXPECT_EQ(reader.text("SELECT count(*) || ' ' || sum(length(b)) FROM t"),
              std::to_string(rows) + " " + std::to_string(rows * 1000));
  }
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalBufferTest, TheFilesRightAfterCommitHoldItAsAKilledProcessWouldLeaveThem) {
  Db writer(path_, wal_buffer_vfs());
  open_wal(writer);
  ASSERT_EQ(writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)"), SQLITE_OK);
  for (int commit = 0; commit < 5; ++commit) ASSERT_EQ(insert_rows(writer, 30, commit * 30), SQLITE_OK);
  // The writer stays open: nothing is flushed at close. Copy the database and the WAL, not the
  // shared-memory index, so opening the copy recovers from the WAL's frames alone.
  fs::path copy = dir_ / "copy";
  fs::create_directories(copy);
  fs::copy_file(path_, copy / "db.sqlite");
  fs::copy_file(fs::path(path_.string() + "-wal"), copy / "db.sqlite-wal");
  Db recovered(copy / "db.sqlite", nullptr);
  EXPECT_EQ(recovered.text("SELECT count(*) FROM t"), "150");
  EXPECT_EQ(recovered.text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalBufferTest, AWriteThatFailsFailsTheCommitAndChangesNothing) {
  Db writer(path_, wal_buffer_vfs());
  open_wal(writer);
  ASSERT_EQ(writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)"), SQLITE_OK);
  ASSERT_EQ(insert_rows(writer, 5, 0), SQLITE_OK);
  Db reader(path_, nullptr);
  ASSERT_EQ(reader.text("SELECT count(*) FROM t"), "5");

  // Files may not grow past 64 KiB beyond the WAL's size now: the next commit (~400 KiB of
  // frames) cannot be written. SIGXFSZ is ignored so the write fails with EFBIG instead.
  auto wal_size = fs::file_size(fs::path(path_.string() + "-wal"));
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = wal_size + 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  int rc = insert_rows(writer, 400, 100);
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_NE(rc, SQLITE_OK) << "the commit succeeded although its frames could not be written";
  if (!writer.autocommit()) writer.exec("ROLLBACK");
  EXPECT_EQ(reader.text("SELECT count(*) FROM t"), "5");
  // The writer goes on: the same commit, now that the file may grow, is written whole and seen.
  ASSERT_EQ(insert_rows(writer, 400, 1000), SQLITE_OK) << writer.error();
  EXPECT_EQ(reader.text("SELECT count(*) FROM t"), "405");
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace bottega::store
