// Merchant webhooks. As an event listener, turns each committed event into one durable job per
// subscribed endpoint (idempotency key "<event id>:<endpoint id>", so redelivered events do not
// duplicate jobs). As the "webhook" job handler, POSTs the event signed with
// Bottega-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)> and logs every attempt.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "bottega/clock.hpp"
#include "bottega/events.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"

namespace bottega::pipeline {

struct WebhookOptions {
  int64_t max_age_ms = 72LL * 3600 * 1000;  // retry window
  int64_t endpoint_cache_ms = 2000;
};

class WebhookService final : public EventListener {
 public:
  WebhookService(store::Store& store, HttpClient& http, const Clock& clock, IdGenerator& ids,
                 Metrics& metrics, JobRunner& runner, WebhookOptions opts = {});

  void on_event(const Event& e) override;
  void on_batch_end() override;
  // Call after an endpoint is created so the next event sees it at once.
  void invalidate();
  // The "webhook" job handler.
  void run(const repo::Job& job, std::function<void(JobOutcome)> done);

 private:
  bool tenant_has_endpoints(const std::string& tenant);

  store::Store& store_;
  HttpClient& http_;
  const Clock& clock_;
  IdGenerator& ids_;
  Metrics& metrics_;
  JobRunner& runner_;
  WebhookOptions opts_;
  std::vector<Event> pending_;
  std::mutex cache_mu_;
  std::vector<std::string> tenants_with_endpoints_;
  int64_t cache_at_ = -1;
};

}  // namespace bottega::pipeline
