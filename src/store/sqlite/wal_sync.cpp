#include "store/sqlite/wal_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bottega::store {

WalSync::WalSync(std::function<void()> sync) : sync_(std::move(sync)) {
  thread_ = std::thread([this] { loop(); });
  answer_thread_ = std::thread([this] { answer_loop(); });
}

WalSync::~WalSync() { stop(); }

void WalSync::wait_for_room() {
  if (last_handed_ <= synced_.load() + 1) return;
  std::unique_lock lk(mu_);
  synced_cv_.wait(lk, [&] { return last_handed_ <= synced_.load() + 1; });
}

void WalSync::begin_commit() {
  if (last_begun_ == last_handed_) begun_.store(++last_begun_);
}

void WalSync::committed(Batch b) {
  if (b.results.size() != b.dones.size()) {  // one result per answer: a bug in the caller
    std::fprintf(stderr, "store: a batch has %zu answers and %zu results\n", b.dones.size(), b.results.size());
    std::abort();
  }
  begin_commit();  // a batch that failed before COMMIT still takes its number, in order
  last_handed_ = last_begun_;
  {
    std::lock_guard lk(mu_);
    queued_.emplace_back(last_handed_, std::move(b));
  }
  work_cv_.notify_one();
}

void WalSync::wait_durable() {
  uint64_t want = begun_.load();
  if (synced_.load() >= want) return;
  std::unique_lock lk(mu_);
  synced_cv_.wait(lk, [&] { return synced_.load() >= want; });
}

void WalSync::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();  // everything queued is synced and handed on
  {
    std::lock_guard lk(answer_mu_);
    answer_stop_ = true;
  }
  answer_cv_.notify_one();
  if (answer_thread_.joinable()) answer_thread_.join();
}

void WalSync::loop() {
  std::deque<std::pair<uint64_t, Batch>> work;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      work_cv_.wait(lk, [&] { return stop_ || !queued_.empty(); });
      if (queued_.empty()) return;  // stopped and drained
      work.swap(queued_);
    }
    // Every batch taken began its COMMIT before it was queued, so this one fsync covers them all.
    sync_();
    syncs_++;
    {
      std::lock_guard lk(mu_);  // a waiter checks synced_ under mu_: it cannot miss the notify
      synced_.store(work.back().first);
    }
    synced_cv_.notify_all();
    {
      std::lock_guard lk(answer_mu_);
      for (auto& w : work) answers_.push_back(std::move(w.second));
    }
    answer_cv_.notify_one();
    work.clear();
  }
}

void WalSync::answer_loop() {
  std::deque<Batch> work;
  for (;;) {
    {
      std::unique_lock lk(answer_mu_);
      answer_cv_.wait(lk, [&] { return answer_stop_ || !answers_.empty(); });
      if (answers_.empty()) return;  // stopped and drained
      work.swap(answers_);
    }
    for (auto& b : work) {
      for (size_t i = 0; i < b.dones.size(); ++i) b.dones[i](std::move(b.results[i]));
      for (auto& h : b.hooks) h();
    }
    work.clear();
  }
}

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr,
               "store: %s; stopping: whether the last commits reached the disk is unknown, and "
               "recovery on restart reads what it holds\n",
               what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

WalFile::WalFile(std::string db_path) : wal_path_(db_path + "-wal") {
  auto slash = db_path.rfind('/');
  dir_path_ = slash == std::string::npos ? "." : slash == 0 ? "/" : db_path.substr(0, slash);
}

WalFile::~WalFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool WalFile::open(std::string& error) {
  int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + wal_path_ + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat " + wal_path_ + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  // The directory entry of a newly created WAL must be durable as well as its contents.
  int dir = ::open(dir_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || ::fsync(dir) != 0) {
    error = "cannot fsync the directory " + dir_path_ + ": " + std::strerror(errno);
    if (dir >= 0) ::close(dir);
    ::close(fd);
    return false;
  }
  ::close(dir);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  dev_ = static_cast<uint64_t>(st.st_dev);
  ino_ = static_cast<uint64_t>(st.st_ino);
  opens_++;
  return true;
}

void WalFile::sync() {
  struct stat st {};
  if (::stat(wal_path_.c_str(), &st) != 0) die("cannot stat " + wal_path_ + ": " + std::strerror(errno));
  if (fd_ < 0 || static_cast<uint64_t>(st.st_dev) != dev_ || static_cast<uint64_t>(st.st_ino) != ino_) {
    std::string error;
    if (!open(error)) die(error);
  }
  if (::fdatasync(fd_) != 0) die("fdatasync of " + wal_path_ + " failed: " + std::strerror(errno));
}

}  // namespace bottega::store
