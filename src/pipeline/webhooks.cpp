#include "pipeline/webhooks.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <strings.h>

#include "core/crypto.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace bj = boost::json;

namespace {
constexpr store::Stmt kTenantsWithEndpoints{
    "webhook_endpoints.tenants", "SELECT DISTINCT tenant_id FROM webhook_endpoints"};

bool subscribed(const repo::WebhookEndpoint& ep, const std::string& type) {
  if (ep.events.empty()) return true;
  return std::find(ep.events.begin(), ep.events.end(), type) != ep.events.end() ||
         std::find(ep.events.begin(), ep.events.end(), "*") != ep.events.end();
}
}  // namespace

WebhookService::WebhookService(store::Store& store, HttpClient& http, const Clock& clock,
                               IdGenerator& ids, Metrics& metrics, JobRunner& runner,
                               WebhookOptions opts)
    : store_(store), http_(http), clock_(clock), ids_(ids), metrics_(metrics), runner_(runner), opts_(opts) {
  metrics_.describe("bottega_webhook_deliveries_total", "counter", "Merchant webhook attempts by outcome");
}

void WebhookService::invalidate() {
  std::lock_guard lk(cache_mu_);
  cache_at_ = -1;
}

bool WebhookService::tenant_has_endpoints(const std::string& tenant) {
  std::lock_guard lk(cache_mu_);
  int64_t now = clock_.now_ms();
  if (cache_at_ < 0 || now - cache_at_ > opts_.endpoint_cache_ms) {
    std::vector<std::string> tenants;
    store::read_sync(store_, [&](store::Tx& tx) {
      for (auto& r : tx.query(kTenantsWithEndpoints, {})) tenants.push_back(r.str(0));
    });
    tenants_with_endpoints_ = std::move(tenants);
    cache_at_ = now;
  }
  return std::find(tenants_with_endpoints_.begin(), tenants_with_endpoints_.end(), tenant) !=
         tenants_with_endpoints_.end();
}

void WebhookService::on_event(const Event& e) {
  if (e.internal) return;  // internal notes never leave the building
  if (tenant_has_endpoints(e.tenant_id)) pending_.push_back(e);
}

void WebhookService::on_batch_end() {
  if (pending_.empty()) return;
  std::vector<Event> events = std::move(pending_);
  pending_.clear();
  int64_t now = clock_.now_ms();
  int enqueued = 0;
  auto st = store::write_sync(store_, [&](store::Tx& tx) -> Status {
    enqueued = 0;
    std::string tenant;
    std::vector<repo::WebhookEndpoint> eps;
    for (const auto& e : events) {
      if (e.tenant_id != tenant) {
        tenant = e.tenant_id;
        eps = repo::list_endpoints(tx, tenant);
      }
      for (const auto& ep : eps) {
        if (!subscribed(ep, e.type)) continue;
        repo::Job j;
        j.id = ids_.next("job");
        j.tenant_id = e.tenant_id;
        j.kind = "webhook";
        j.idempotency_key = e.id + ":" + ep.id;
        j.payload_json = bj::serialize(bj::object{{"endpoint_id", ep.id}, {"event_id", e.id}});
        j.run_at = now;
        j.deadline_at = now + opts_.max_age_ms;
        if (repo::enqueue_job(tx, j, now)) ++enqueued;
      }
    }
    return {};
  });
  if (!st.ok()) {
    // The dispatcher cursor has not been persisted past these events, so a restart re-enqueues
    // them; in this process, put them back for the next batch.
    pending_.insert(pending_.begin(), events.begin(), events.end());
    return;
  }
  if (enqueued) runner_.notify();
}

void WebhookService::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  boost::system::error_code ec;
  auto payload = bj::parse(job.payload_json, ec);
  if (ec || !payload.is_object()) return done({false, "bad job payload", std::nullopt, true});
  std::string endpoint_id(payload.as_object()["endpoint_id"].as_string());
  std::string event_id(payload.as_object()["event_id"].as_string());
  std::optional<repo::WebhookEndpoint> ep;
  std::optional<Event> ev;
  store::read_sync(store_, [&](store::Tx& tx) {
    ep = repo::get_endpoint(tx, job.tenant_id, endpoint_id);
    ev = repo::get_event(tx, job.tenant_id, event_id);
  });
  if (!ep || !ev) return done({false, "endpoint or event no longer exists", std::nullopt, true});

  int64_t now = clock_.now_ms();
  HttpRequest req;
  req.method = "POST";
  req.url = ep->url;
  req.body = ev->payload_json;
  req.headers = {{"Content-Type", "application/json"},
                 {"Bottega-Signature", crypto::webhook_signature(ep->secret, now / 1000, req.body)},
                 {"Bottega-Event-Id", ev->id},
                 {"Bottega-Event-Type", ev->type},
                 {"Bottega-Delivery-Attempt", std::to_string(job.attempts)}};
  auto started = std::chrono::steady_clock::now();
  auto tenant = job.tenant_id;
  auto attempt = job.attempts;
  auto event_type = ev->type;
  http_.send(std::move(req), [this, done, tenant, endpoint_id, event_id, event_type, attempt, started](
                                 Result<HttpResponse> r) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    repo::WebhookDelivery d;
    d.id = ids_.next("whd");
    d.tenant_id = tenant;
    d.endpoint_id = endpoint_id;
    d.event_id = event_id;
    d.event_type = event_type;
    d.attempt = attempt;
    d.duration_ms = ms;
    d.created_at = clock_.now_ms();
    JobOutcome o;
    if (!r.ok()) {
      d.error = r.error().code + ": " + r.error().message;
      o.error = *d.error;
    } else {
      d.status_code = r->status;
      o.ok = r->status >= 200 && r->status < 300;
      if (!o.ok) {
        o.error = "HTTP " + std::to_string(r->status);
        d.error = o.error;
        for (const auto& [k, v] : r->headers) {
          if (k.size() == 11 && strncasecmp(k.c_str(), "retry-after", 11) == 0) {
            char* end = nullptr;
            long secs = std::strtol(v.c_str(), &end, 10);
            if (end && *end == '\0' && secs > 0) o.retry_after_ms = secs * 1000LL;
          }
        }
        // 4xx other than 408/429 is the merchant's answer, not a transient failure; still retried
        // (a misconfigured endpoint may be fixed within the window) but logged as such.
      }
    }
    metrics_.inc("bottega_webhook_deliveries_total", o.ok ? "outcome=\"ok\"" : "outcome=\"failed\"");
    store_.write([d](store::Tx& tx) mutable -> Status {
      repo::insert_delivery(tx, d);
      return {};
    }, [done, o](Status) { done(o); });
  });
}

}  // namespace bottega::pipeline
