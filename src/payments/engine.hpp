// The payments engine: the part of the payments area that talks to providers. It verifies, parses
// and applies PSP webhooks (the route and the sandbox's in-process deliveries share this path),
// starts checkout attempts at the provider, and runs the durable jobs that call providers
// (refunds, payouts) or deliver the sandbox's signed webhooks. Provider calls go through the
// injected HttpClient, carry an idempotency key, and a timeout is retried with the same key.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bottega/channel.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "payments/model.hpp"
#include "payments/psp/registry.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::payments {

struct WebhookResult {
  int events = 0, applied = 0, duplicates = 0, ignored = 0;
  std::string provider_type;
};

class Engine {
 public:
  // public_url is read at each use (the demo learns its port after start).
  Engine(store::Store& store, HttpClient& http, pipeline::Env env, Metrics& metrics,
         std::function<std::string()> public_url);

  // POST /webhooks/psp/{provider_id}: verify on the raw bytes (errors: unauthenticated, counted in
  // bottega_psp_webhooks_rejected_total), parse, apply every event in one transaction.
  // `done` runs on a store thread.
  void handle_webhook(const std::string& provider_id, WebhookRequest raw,
                      std::function<void(Result<WebhookResult>)> done);

  // The customer pressed "Pay" on the checkout page: returns the URL to redirect them to (the
  // provider's page, or the sandbox's). Errors: not_found, conflict link_used / link_expired,
  // unavailable when the provider cannot be reached.
  // use_credit: the customer ticked "use my store credit" (see begin_attempt); when it covers the
  // whole amount the answer is the link's return page (paid, no provider).
  void start_checkout(const std::string& token, const std::string& locale, bool use_credit,
                      std::function<void(Result<std::string>)> done);

  // Registers psp.refund, psp.payout and psp.sandbox_event with the job runner.
  void add_job_handlers(pipeline::JobRunner& runner);

  void run_refund(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done);
  void run_payout(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done);
  void run_sandbox_event(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done);

 private:
  // Sends req; a timeout or connection failure is retried (same request, same idempotency key)
  // up to `tries` times in all.
  void send_retrying(HttpRequest req, int tries, std::function<void(Result<HttpResponse>)> done);

  void continue_webhook(std::optional<Provider> provider, std::shared_ptr<WebhookRequest> raw,
                        std::function<void(Result<WebhookResult>)> done);
  // Webhook-then-fetch: fetches (*named)[i..]'s provider_ref from the provider and appends the
  // events of its answers to *out. A network failure or a 5xx fails the whole webhook (unavailable),
  // so the provider delivers it again.
  void fetch_events(const Provider& prov, const psp::PspAdapter* a, psp::AnyPspSettings settings,
                    std::shared_ptr<std::vector<PspEvent>> named, size_t i,
                    std::shared_ptr<std::vector<PspEvent>> out, std::function<void(Status)> done);
  // Applies every event in one transaction and counts the outcomes.
  void apply_events(const Provider& prov, std::shared_ptr<std::vector<PspEvent>> evs,
                    std::function<void(Result<WebhookResult>)> done);

  store::Store& store_;
  HttpClient& http_;
  pipeline::Env env_;
  Metrics& metrics_;
  std::function<std::string()> public_url_;
};

}  // namespace bottega::payments
