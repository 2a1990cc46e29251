#include "pipeline/jobs.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>

#include "core/crypto.hpp"

namespace bottega::pipeline {

namespace {
constexpr store::Stmt kDeferJob{
    "jobs.defer",
    "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = $4, lease_owner = NULL, "
    "lease_until = NULL, updated_at = $5 "
    "WHERE id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3"};
}  // namespace

int64_t backoff_ms(int64_t attempts, int64_t base, int64_t cap, uint64_t random) {
  if (attempts < 1) attempts = 1;
  int64_t d = base;
  for (int64_t i = 1; i < attempts && d < cap; ++i) d *= 2;
  if (d > cap) d = cap;
  int64_t half = d / 2;
  return half + static_cast<int64_t>(random % static_cast<uint64_t>(half + 1));
}

JobRunner::JobRunner(store::Store& store, const Clock& clock, Metrics& metrics, JobRunnerOptions opts)
    : store_(store), clock_(clock), metrics_(metrics), opts_(std::move(opts)) {
  metrics_.describe("bottega_jobs_completed_total", "counter", "Jobs that completed");
  metrics_.describe("bottega_jobs_failed_total", "counter", "Job attempts that failed");
  metrics_.describe("bottega_jobs_dead_total", "counter", "Jobs given up after their deadline");
  metrics_.gauge_fn("bottega_jobs_in_flight", "Jobs running now in this process",
                    [this] { return static_cast<double>(in_flight_.load()); });
}

JobRunner::~JobRunner() { stop(0); }

void JobRunner::start() { thread_ = std::thread([this] { loop(); }); }

void JobRunner::notify() {
  {
    std::lock_guard lk(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void JobRunner::stop(int grace_ms) {
  {
    std::lock_guard lk(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void JobRunner::loop() {
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, std::chrono::milliseconds(opts_.poll_ms), [&] { return woken_ || stop_; });
      if (stop_) return;
      woken_ = false;
    }
    int room = opts_.max_in_flight - in_flight_.load();
    if (room <= 0) continue;
    std::vector<repo::Job> jobs;
    int64_t now = clock_.now_ms();
    auto st = store::write_sync(store_, [&](store::Tx& tx) -> Status {
      jobs = repo::claim_jobs(tx, opts_.owner, now, opts_.lease_ms, room);
      return {};
    });
    if (!st.ok()) continue;
    for (auto& j : jobs) {
      auto it = handlers_.find(j.kind);
      in_flight_++;
      if (it == handlers_.end()) {
        finish(j, JobOutcome{false, "no handler for job kind " + j.kind, std::nullopt, true});
        continue;
      }
      auto job = std::make_shared<repo::Job>(j);
      it->second(*job, [this, job](JobOutcome o) { finish(*job, std::move(o)); });
    }
    if (static_cast<int>(jobs.size()) == room) notify();  // more may be due
  }
}

void JobRunner::finish(const repo::Job& j, JobOutcome o) {
  int64_t now = clock_.now_ms();
  std::string id = j.id, owner = opts_.owner;
  int64_t attempts = j.attempts;
  if (o.ok) {
    store_.write([=](store::Tx& tx) -> Status {
      repo::complete_job(tx, id, owner, attempts, now);
      return {};
    }, [this](Status) {
      metrics_.inc("bottega_jobs_completed_total");
      in_flight_--;
      notify();
    });
    return;
  }
  if (o.defer) {
    int64_t run_at = now + std::max<int64_t>(1, o.retry_after_ms.value_or(1000));
    store_.write([=](store::Tx& tx) -> Status {
      tx.exec(kDeferJob, {id, owner, attempts, run_at, now});
      return {};
    }, [this](Status) { in_flight_--; });
    return;
  }
  uint64_t r = 0;
  std::string rb = crypto::random_bytes(sizeof r);
  std::memcpy(&r, rb.data(), sizeof r);
  int64_t delay = backoff_ms(attempts, opts_.backoff_base_ms, opts_.backoff_cap_ms, r);
  if (o.retry_after_ms && *o.retry_after_ms > delay) delay = std::min(*o.retry_after_ms, opts_.backoff_cap_ms);
  int64_t run_at = o.permanent ? j.deadline_at + 1 : now + delay;
  bool dead = run_at > j.deadline_at;
  std::string err = o.error;
  store_.write([=](store::Tx& tx) -> Status {
    repo::fail_job(tx, id, owner, attempts, err, run_at, now);
    return {};
  }, [this, dead](Status) {
    metrics_.inc(dead ? "bottega_jobs_dead_total" : "bottega_jobs_failed_total");
    in_flight_--;
  });
}

}  // namespace bottega::pipeline
