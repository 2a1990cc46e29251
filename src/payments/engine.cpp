#include "payments/engine.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "payments/payments_repo.hpp"
#include "payments/psp/registry.hpp"
#include "payments/service.hpp"

namespace bottega::payments {

namespace bj = boost::json;

namespace {

Result<psp::AnyPspSettings> parse_provider_settings(const Provider& p, const psp::PspAdapter& a) {
  boost::system::error_code ec;
  auto v = bj::parse(p.settings_json, ec);
  if (ec || !v.is_object()) return Error::internal("provider settings unreadable");
  return a.parse_settings(v.as_object());
}

std::string strip(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Engine::Engine(store::Store& store, HttpClient& http, pipeline::Env env, Metrics& metrics,
               std::function<std::string()> public_url)
    : store_(store), http_(http), env_(std::move(env)), metrics_(metrics), public_url_(std::move(public_url)) {
  metrics_.describe("bottega_psp_webhooks_total", "counter", "PSP webhook events by provider type and outcome");
  metrics_.describe("bottega_psp_webhooks_rejected_total", "counter",
                    "PSP webhooks refused before processing (signature, unknown provider, unparsable)");
  metrics_.describe("bottega_psp_calls_total", "counter", "Outbound PSP calls by provider type, operation and outcome");
}

void Engine::handle_webhook(const std::string& provider_id, WebhookRequest raw,
                            std::function<void(Result<WebhookResult>)> done) {
  auto raw_p = std::make_shared<WebhookRequest>(std::move(raw));
  store_.read([this, provider_id, raw_p, done](store::Tx& tx) {
    std::optional<Provider> found;
    try {
      found = db::find_provider(tx, provider_id);
    } catch (const store::DbError& e) {
      return done(Error{Errc::unavailable, "store_error", e.message, {}});
    }
    continue_webhook(std::move(found), raw_p, done);
  });
}

void Engine::continue_webhook(std::optional<Provider> provider, std::shared_ptr<WebhookRequest> raw_p,
                              std::function<void(Result<WebhookResult>)> done) {
  const WebhookRequest& raw = *raw_p;
  if (!provider) {
    metrics_.inc("bottega_psp_webhooks_rejected_total", "provider=\"unknown\",reason=\"unknown_provider\"");
    return done(Error::not_found("payment provider"));
  }
  const Provider prov = *provider;
  const auto* a = psp::find_adapter(prov.type);
  std::string labels = "provider=\"" + prov.type + "\"";
  if (!a) return done(Error::internal("unknown provider type"));
  auto settings = parse_provider_settings(prov, *a);
  if (!settings) return done(std::move(settings).error());
  auto ok = a->verify(raw, *settings, env_.clock.now_ms());
  if (!ok) {
    metrics_.inc("bottega_psp_webhooks_rejected_total", labels + ",reason=\"" + ok.error().code + "\"");
    return done(ok.error());
  }
  auto events = a->parse_webhook(raw.body);
  if (!events) {
    metrics_.inc("bottega_psp_webhooks_rejected_total", labels + ",reason=\"unparsable\"");
    return done(std::move(events).error());
  }
  if (a->build_fetch) {
    // Webhook-then-fetch (Mollie): the body only names objects; what happened is what the
    // provider's API answers to our authenticated fetch.
    auto named = std::make_shared<std::vector<PspEvent>>(std::move(events).value());
    auto fetched = std::make_shared<std::vector<PspEvent>>();
    return fetch_events(prov, a, std::move(settings).value(), named, 0, fetched,
                        [this, prov, fetched, done](Status st) {
                          if (!st) return done(std::move(st).error());
                          apply_events(prov, fetched, done);
                        });
  }
  apply_events(prov, std::make_shared<std::vector<PspEvent>>(std::move(events).value()), done);
}

void Engine::fetch_events(const Provider& prov, const psp::PspAdapter* a, psp::AnyPspSettings settings,
                          std::shared_ptr<std::vector<PspEvent>> named, size_t i,
                          std::shared_ptr<std::vector<PspEvent>> out, std::function<void(Status)> done) {
  if (i >= named->size()) return done({});
  auto req = a->build_fetch(settings, (*named)[i].provider_ref);
  if (!req) return done(std::move(req).error());
  std::string type(a->type);
  send_retrying(std::move(req).value(), 2,
                [this, prov, a, settings, named, i, out, done, type](Result<HttpResponse> r) mutable {
                  if (!r) {
                    metrics_.inc("bottega_psp_calls_total", "provider=\"" + type + "\",op=\"fetch\",outcome=\"network_error\"");
                    // Not acknowledged: the provider delivers the notification again later.
                    return done(Error{Errc::unavailable, "provider_unreachable", "the payment provider cannot be reached", {}});
                  }
                  auto evs = a->parse_fetch(r->status, r->body);
                  metrics_.inc("bottega_psp_calls_total", "provider=\"" + type + "\",op=\"fetch\",outcome=\"" +
                                                              (evs ? (r->status == 404 ? "not_found" : "ok") : evs.error().code) + "\"");
                  if (!evs) {
                    if (evs.error().errc != Errc::unavailable)
                      return done(Error{Errc::unavailable, evs.error().code, evs.error().message, {}});
                    return done(std::move(evs).error());
                  }
                  if (evs->empty()) {
                    // An id the provider does not know for this account: acknowledged, nothing changes.
                    PspEvent unknown;
                    unknown.kind = PspEvent::Kind::ignored;
                    unknown.raw_type = "unknown_object";
                    out->push_back(std::move(unknown));
                  }
                  for (auto& e : *evs) out->push_back(std::move(e));
                  fetch_events(prov, a, std::move(settings), named, i + 1, out, std::move(done));
                });
}

void Engine::apply_events(const Provider& prov, std::shared_ptr<std::vector<PspEvent>> evs,
                          std::function<void(Result<WebhookResult>)> done) {
  std::string labels = "provider=\"" + prov.type + "\"";
  auto result = std::make_shared<WebhookResult>();
  result->provider_type = prov.type;
  result->events = static_cast<int>(evs->size());
  pipeline::Env env = env_;
  auto outcomes = std::make_shared<std::vector<std::string>>();
  store_.write(
      [env, prov, evs, outcomes](store::Tx& tx) mutable -> Status {
        outcomes->clear();
        for (const auto& e : *evs) {
          auto r = apply_psp_event(tx, env, prov, e);
          if (!r) return std::move(r).error();
          outcomes->push_back(*r);
        }
        return {};
      },
      [this, result, outcomes, labels, done](Status st) {
        if (!st) return done(std::move(st).error());
        for (const auto& o : *outcomes) {
          metrics_.inc("bottega_psp_webhooks_total", labels + ",outcome=\"" + o + "\"");
          if (o == "applied") ++result->applied;
          else if (o == "duplicate" || o == "stale") ++result->duplicates;
          else ++result->ignored;
        }
        done(*result);
      });
}

void Engine::send_retrying(HttpRequest req, int tries, std::function<void(Result<HttpResponse>)> done) {
  HttpRequest copy = req;
  http_.send(std::move(req), [this, copy, tries, done](Result<HttpResponse> r) mutable {
    bool transient = !r && r.error().errc == Errc::unavailable;
    if (transient && tries > 1) return send_retrying(std::move(copy), tries - 1, std::move(done));
    done(std::move(r));
  });
}

void Engine::start_checkout(const std::string& token, const std::string& locale, bool use_credit,
                            std::function<void(Result<std::string>)> done) {
  pipeline::Env env = env_;
  auto attempt = std::make_shared<std::optional<Attempt>>();
  std::string base = strip(public_url_());
  store_.write(
      [env, token, attempt, use_credit](store::Tx& tx) mutable -> Status {
        auto a = begin_attempt(tx, env, token, use_credit);
        if (!a) return std::move(a).error();
        *attempt = std::move(a).value();
        return {};
      },
      [this, env, attempt, base, token, locale, done](Status st) {
        if (!st) return done(std::move(st).error());
        Attempt a = **attempt;
        if (a.paid_by_credit) return done(base + "/pay/" + token + "/return");
        const auto* adapter = psp::find_adapter(a.provider.type);
        if (!adapter) return done(Error::internal("unknown provider type"));
        if (!adapter->build_checkout) {  // the in-process sandbox
          auto id = std::make_shared<std::string>();
          store_.write(
              [env, a, id](store::Tx& tx) mutable -> Status {
                auto r = sandbox_open_session(tx, env, a);
                if (!r) return std::move(r).error();
                *id = *r;
                return {};
              },
              [base, id, done](Status s) {
                if (!s) return done(std::move(s).error());
                done(base + "/sandbox-psp/" + *id);
              });
          return;
        }
        auto settings = parse_provider_settings(a.provider, *adapter);
        if (!settings) return done(std::move(settings).error());
        CheckoutRequest c;
        c.payment_id = a.payment.id;
        c.attempt_id = a.attempt_id;
        c.amount = due_at_provider(a.payment);
        c.currency = a.payment.currency;
        c.description = a.payment.description.empty() ? "Payment " + a.payment.verification_code : a.payment.description;
        boost::system::error_code ec;
        auto items = bj::parse(a.payment.items_json, ec);
        // With store credit applied the lines no longer add up to what is due: one line then.
        if (!ec && items.is_array() && a.payment.credit_applied == 0)
          for (const auto& it : items.as_array()) {
            const auto& o = it.as_object();
            c.items.push_back({std::string(o.at("name").as_string()), o.at("unit_amount").to_number<int64_t>(),
                               o.at("quantity").to_number<int64_t>()});
          }
        c.return_url = base + "/pay/" + token + "/return";
        c.cancel_url = base + "/pay/" + token;
        c.webhook_url = base + "/webhooks/psp/" + a.provider.id;
        int64_t now = env.clock.now_ms();
        // Providers bound their sessions (Stripe: 30 min..24 h); never past the link's expiry.
        c.expires_at_ms = std::max<int64_t>(now + 31 * 60 * 1000, std::min<int64_t>(a.payment.expires_at, now + 23LL * 3600 * 1000));
        c.locale = locale;
        auto req = adapter->build_checkout(*settings, c);
        if (!req) return done(std::move(req).error());
        std::string type(adapter->type);
        send_retrying(std::move(req).value(), 3, [this, env, a, adapter, type, done](Result<HttpResponse> r) {
          if (!r) {
            metrics_.inc("bottega_psp_calls_total", "provider=\"" + type + "\",op=\"checkout\",outcome=\"network_error\"");
            return done(Error{Errc::unavailable, "provider_unreachable", "the payment provider cannot be reached; try again", {}});
          }
          auto session = adapter->parse_checkout(r->status, r->body);
          metrics_.inc("bottega_psp_calls_total", "provider=\"" + type + "\",op=\"checkout\",outcome=\"" +
                                                      (session ? "ok" : session.error().code) + "\"");
          if (!session) return done(std::move(session).error());
          CheckoutSession s = *session;
          store_.write(
              [env, a, s](store::Tx& tx) mutable -> Status {
                auto p = record_attempt(tx, env, a.payment.tenant_id, a.payment.id, a.attempt_id, s.provider_ref);
                if (!p) return std::move(p).error();
                return {};
              },
              [s, done](Status st2) {
                if (!st2) return done(std::move(st2).error());
                done(s.redirect_url);
              });
        });
      });
}

void Engine::add_job_handlers(pipeline::JobRunner& runner) {
  runner.add_handler("psp.refund", [this](const repo::Job& j, std::function<void(pipeline::JobOutcome)> d) {
    run_refund(j, std::move(d));
  });
  runner.add_handler("psp.payout", [this](const repo::Job& j, std::function<void(pipeline::JobOutcome)> d) {
    run_payout(j, std::move(d));
  });
  runner.add_handler("psp.sandbox_event", [this](const repo::Job& j, std::function<void(pipeline::JobOutcome)> d) {
    run_sandbox_event(j, std::move(d));
  });
}

namespace {
std::string payload_string(const repo::Job& job, const char* key) {
  boost::system::error_code ec;
  auto v = bj::parse(job.payload_json, ec);
  if (ec || !v.is_object()) return {};
  auto* s = v.as_object().if_contains(key);
  return s && s->is_string() ? std::string(s->as_string()) : std::string();
}
}  // namespace

void Engine::run_refund(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done) {
  std::string refund_id = payload_string(job, "refund_id");
  std::string tenant = job.tenant_id;
  struct Plan {
    std::optional<Refund> refund;
    std::optional<Payment> payment;
    std::optional<Provider> provider;
  };
  auto plan = std::make_shared<Plan>();
  store::read_sync(store_, [&](store::Tx& tx) {
    plan->refund = db::get_refund(tx, tenant, refund_id);
    if (plan->refund) plan->payment = db::get_payment(tx, tenant, plan->refund->payment_id);
    if (plan->payment) plan->provider = db::get_provider(tx, tenant, plan->payment->provider_id);
  });
  if (!plan->refund || !plan->payment || !plan->provider) return done({false, "refund not found", std::nullopt, true});
  if (plan->refund->status != "processing") return done({true, "", std::nullopt, false});
  const auto* adapter = psp::find_adapter(plan->provider->type);
  if (!adapter) return done({false, "unknown provider type", std::nullopt, true});
  pipeline::Env env = env_;
  auto finish = [this, env, tenant, refund_id, done](RefundOutcome o) {
    store_.write([env, tenant, refund_id, o](store::Tx& tx) mutable { return complete_refund(tx, env, tenant, refund_id, o); },
                 [done](Status s) { done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
  };
  if (!adapter->build_refund) {  // the in-process sandbox: its records change, its webhook follows
    Refund r = *plan->refund;
    Payment p = *plan->payment;
    store_.write(
        [env, r, p](store::Tx& tx) mutable -> Status {
          auto s = db::find_sandbox_payment(tx, p.provider_ref.value_or(""));
          if (!s || s->status != "succeeded") return Error::conflict("sandbox_no_capture", "the sandbox holds no capture for this payment");
          int64_t amount = r.amount - r.credit_amount;  // the store-credit part never reaches a provider
          if (s->refunded + amount > s->amount) return Error::conflict("sandbox_over_refund", "the sandbox refuses to refund more than captured");
          s->refunded += amount;
          s->updated_at = env.clock.now_ms();
          db::update_sandbox_payment(tx, *s);
          RefundOutcome o;
          o.provider_ref = "sbr_" + r.id.substr(r.id.find('_') + 1);
          o.state = RefundOutcome::State::pending;
          BOTTEGA_TRY_STATUS(complete_refund(tx, env, r.tenant_id, r.id, o));
          repo::Job j;
          std::string event_id = "sbe_" + r.id;
          j.id = env.ids.next("job");
          j.tenant_id = r.tenant_id;
          j.kind = "psp.sandbox_event";
          j.idempotency_key = event_id;
          j.payload_json = bj::serialize(bj::object{
              {"provider_id", p.provider_id}, {"event_id", event_id}, {"type", "refund.succeeded"},
              {"data", bj::object{{"session", s->id}, {"reference", p.id}, {"amount", amount}, {"currency", r.currency},
                                  {"refund", r.id}, {"refund_ref", o.provider_ref}}}});
          j.run_at = env.clock.now_ms();
          j.deadline_at = j.run_at + 3LL * 24 * 3600 * 1000;
          repo::enqueue_job(tx, j, j.run_at);
          if (env.on_job) tx.after_commit(env.on_job);
          return {};
        },
        [this, env, tenant, refund_id, done](Status s) {
          if (s.ok()) return done({true, "", std::nullopt, false});
          if (s.error().errc != Errc::conflict) return done({false, s.error().message, std::nullopt, false});
          RefundOutcome o;
          o.state = RefundOutcome::State::failed;
          o.error = s.error().message;
          store_.write([env, tenant, refund_id, o](store::Tx& tx) mutable { return complete_refund(tx, env, tenant, refund_id, o); },
                       [done](Status s2) { done({s2.ok(), s2.ok() ? "" : s2.error().message, std::nullopt, true}); });
        });
    return;
  }
  auto settings = parse_provider_settings(*plan->provider, *adapter);
  if (!settings) return done({false, settings.error().message, std::nullopt, true});
  RefundCall call;
  call.refund_id = refund_id;
  call.provider_ref = plan->payment->payment_ref.value_or(plan->payment->provider_ref.value_or(""));
  call.amount = plan->refund->amount - plan->refund->credit_amount;
  call.currency = plan->refund->currency;
  call.reason = plan->refund->reason;
  auto req = adapter->build_refund(*settings, call);
  if (!req) {
    RefundOutcome o;
    o.state = RefundOutcome::State::failed;
    o.error = req.error().message;
    return finish(o);
  }
  std::string type(adapter->type);
  send_retrying(std::move(req).value(), 3, [this, adapter, type, finish, done](Result<HttpResponse> r) {
    if (!r) {
      metrics_.inc("bottega_psp_calls_total", "provider=\"" + type + "\",op=\"refund\",outcome=\"network_error\"");
      return done({false, r.error().message, std::nullopt, false});  // the job retries with the same key
    }
    auto out = adapter->parse_refund(r->status, r->body);
    metrics_.inc("bottega_psp_calls_total",
                 "provider=\"" + type + "\",op=\"refund\",outcome=\"" + (out ? "ok" : out.error().code) + "\"");
    if (!out) {
      if (out.error().errc == Errc::unavailable) return done({false, out.error().message, std::nullopt, false});
      RefundOutcome o;
      o.state = RefundOutcome::State::failed;
      o.error = out.error().message;
      return finish(o);
    }
    finish(*out);
  });
}

void Engine::run_payout(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done) {
  std::string payout_id = payload_string(job, "payout_id");
  std::string tenant = job.tenant_id;
  pipeline::Env env = env_;
  // Only the sandbox supports payouts: it pays at once and records the payout on its side.
  store_.write(
      [env, tenant, payout_id](store::Tx& tx) mutable -> Status {
        auto po = db::get_payout(tx, tenant, payout_id);
        if (po && po->status == "processing")  // the sandbox's own record of what it paid out
          db::insert_sandbox_payout(tx, {"sbpo_" + payout_id, tenant, po->provider_id, payout_id, po->amount,
                                         po->currency, env.clock.now_ms()});
        return complete_payout(tx, env, tenant, payout_id, true, "sbpo_" + payout_id);
      },
      [done](Status s) { done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
}

void Engine::run_sandbox_event(const repo::Job& job, std::function<void(pipeline::JobOutcome)> done) {
  boost::system::error_code ec;
  auto v = bj::parse(job.payload_json, ec);
  if (ec || !v.is_object()) return done({false, "bad job payload", std::nullopt, true});
  const auto& o = v.as_object();
  std::string provider_id(o.at("provider_id").as_string());
  std::string event_id(o.at("event_id").as_string());
  std::string type(o.at("type").as_string());
  std::optional<Provider> prov;
  store::read_sync(store_, [&](store::Tx& tx) { prov = db::get_provider(tx, job.tenant_id, provider_id); });
  if (!prov) return done({false, "provider gone", std::nullopt, true});
  auto settings = psp::sandbox::parse_settings(bj::parse(prov->settings_json).as_object());
  if (!settings) return done({false, settings.error().message, std::nullopt, true});
  int64_t t = env_.clock.now_ms() / 1000;
  WebhookRequest raw;
  raw.method = "POST";
  raw.url = strip(public_url_()) + "/webhooks/psp/" + provider_id;
  raw.body = psp::sandbox::event_body(event_id, type, t, o.at("data").as_object());
  raw.headers = {{"content-type", "application/json"},
                 {"sandbox-signature", psp::sandbox::sign(settings->webhook_secret, t, raw.body)}};
  // Delivered in-process through the same verification and processing as the HTTP route.
  handle_webhook(provider_id, std::move(raw), [done](Result<WebhookResult> r) {
    done({r.ok(), r.ok() ? "" : r.error().message, std::nullopt, false});
  });
}

}  // namespace bottega::payments
