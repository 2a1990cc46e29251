// Durable jobs: outbound work (merchant webhooks, provider sends) stored in the jobs table, leased
// to a runner, retried with exponential backoff and full jitter until a deadline, then marked dead.
// A completion is recorded only while the runner still holds the lease (fencing), so a job never
// completes twice; effects on the outside world carry the job's idempotency key.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bottega/clock.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {

struct JobOutcome {
  bool ok = false;
  std::string error;                     // recorded as last_error
  std::optional<int64_t> retry_after_ms; // the remote asked for a delay (Retry-After)
  bool permanent = false;                // retrying cannot help: mark dead now
  // Not a failure: our own rate limit said wait. Runs again after retry_after_ms; the attempt is
  // not counted and no error is recorded.
  bool defer = false;
};

// Runs one job; must call done exactly once, from any thread.
using JobHandler = std::function<void(const repo::Job&, std::function<void(JobOutcome)> done)>;

struct JobRunnerOptions {
  std::string owner = "node";   // lease owner: unique per process
  int max_in_flight = 32;
  int64_t lease_ms = 60'000;
  int poll_ms = 250;
  int64_t backoff_base_ms = 5'000;
  int64_t backoff_cap_ms = 3'600'000;
};

// Delay before attempt n+1 after n failures: min(cap, base * 2^(n-1)), with full jitter in
// [d/2, d]. Pure; exposed for tests.
int64_t backoff_ms(int64_t attempts, int64_t base, int64_t cap, uint64_t random);

class JobRunner {
 public:
  JobRunner(store::Store& store, const Clock& clock, Metrics& metrics, JobRunnerOptions opts);
  ~JobRunner();
  // REQUIRES: before start().
  void add_handler(std::string kind, JobHandler h) { handlers_[std::move(kind)] = std::move(h); }
  void start();
  // Stops claiming; waits up to `grace_ms` for running jobs (their leases expire otherwise).
  void stop(int grace_ms = 5000);
  void notify();
  int in_flight() const { return in_flight_.load(); }

 private:
  void loop();
  void finish(const repo::Job& j, JobOutcome o);

  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  JobRunnerOptions opts_;
  std::map<std::string, JobHandler, std::less<>> handlers_;
  std::atomic<int> in_flight_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false, stop_ = false;
  std::thread thread_;
};

}  // namespace bottega::pipeline
