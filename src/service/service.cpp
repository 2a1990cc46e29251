#include "service/service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "commerce/orders.hpp"
#include "pipeline/listener.hpp"
#include "service/operations.hpp"
#include "service/proactive.hpp"
#include "service/snooze.hpp"
#include "service/teams.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;

ServiceSettings load_settings(store::Tx& tx, const std::string& tenant) {
  auto stored = repo::get_settings(tx, tenant);
  if (!stored) return ServiceSettings{};
  return settings_from_json(*stored);
}

Result<ServiceSettings> update_settings(store::Tx& tx, const std::string& tenant, const bj::object& patch, int64_t now) {
  auto current = load_settings(tx, tenant);
  BOTTEGA_TRY(next, apply_settings_patch(current, patch));
  repo::put_settings(tx, tenant, bj::serialize(to_json(next)), now);
  for (const auto& id : repo::active_conversation_ids(tx, tenant, 5000)) recompute(tx, tenant, id, next, now);
  return next;
}

namespace {

Dues dues_of(const repo::ConvState& s) { return Dues{s.first_response_due, s.next_response_due, s.resolution_due}; }

// The earliest due time not yet recorded as breached.
std::optional<int64_t> next_due(store::Tx& tx, const std::string& tenant, const std::string& conv, const Dues& d) {
  std::optional<int64_t> best;
  for (Target t : kTargets) {
    auto due = d.get(t);
    if (!due || repo::breached(tx, tenant, conv, to_string(t), *due)) continue;
    if (!best || *due < *best) best = *due;
  }
  return best;
}

}  // namespace

namespace {

// The state recompute stores for a conversation, and whether it differs from the stored one;
// nullopt for an unknown conversation. Reads only.
std::optional<std::pair<repo::ConvState, bool>> next_state(store::Tx& tx, const std::string& tenant,
                                                           const std::string& conversation_id,
                                                           const ServiceSettings& settings, int64_t now) {
  auto inputs = repo::recompute_inputs(tx, tenant, conversation_id);
  if (!inputs) return std::nullopt;
  const repo::ConvBrief* c = &inputs->brief;
  auto status = conversation_status_from(c->status).value_or(ConversationStatus::open);
  const auto& prev = inputs->state;
  PriorityInput in;
  in.tags = core_repo::tags_from_json(c->tags_json);
  in.explicit_priority = c->priority;
  in.channel_type = c->channel_type;
  in.returning = inputs->returning;
  in.cart_value_minor = inputs->cart_value_minor;
  PriorityBase base = base_score(in);

  repo::ConvState s;
  s.tenant_id = tenant;
  s.conversation_id = conversation_id;
  s.status = std::string(to_string(status));
  s.level = to_string(base.level);
  s.score_base = base.stored_points;
  s.score_detail = bj::serialize(bj::object{{"returning", in.returning}, {"cart_value_minor", in.cart_value_minor}});
  bool resolved = status == ConversationStatus::resolved;
  auto replies = repo::reply_state(tx, tenant, conversation_id);
  s.waiting_since = resolved ? std::nullopt : replies.waiting_since;
  s.person_replied = replies.person_replied;
  // Opened: created, or reopened after being resolved (the resolution clock starts again).
  s.opened_at = c->created_at;
  if (prev) {
    s.opened_at = prev->opened_at;
    if (prev->status == "resolved" && !resolved) s.opened_at = now;
  }
  SlaClock clock;
  clock.opened_at = s.opened_at;
  clock.waiting_since = s.waiting_since;
  clock.person_replied = s.person_replied;
  // A conversation the customer opened only to write STOP needs no answer: no clock at all.
  clock.active = (status == ConversationStatus::open || status == ConversationStatus::pending) && !replies.only_opt_words;
  Dues d = compute_dues(settings, base.level, c->channel_type, clock);
  s.first_response_due = d.first_response;
  s.next_response_due = d.next_response;
  s.resolution_due = d.resolution;
  s.next_due_at = next_due(tx, tenant, conversation_id, d);
  s.updated_at = now;
  // Most messages change nothing here (the customer writes again while already waiting): the
  // stored row stays as it is, updated_at being when it last changed.
  bool changed = !prev || !repo::same_state(*prev, s);
  return std::pair{std::move(s), changed};
}

}  // namespace

bool recompute(store::Tx& tx, const std::string& tenant, const std::string& conversation_id,
               const ServiceSettings& settings, int64_t now) {
  auto next = next_state(tx, tenant, conversation_id, settings, now);
  if (!next || !next->second) return false;
  repo::put_state(tx, next->first);
  return true;
}

bool recompute_would_change(store::Tx& tx, const std::string& tenant, const std::string& conversation_id,
                            const ServiceSettings& settings, int64_t now) {
  auto next = next_state(tx, tenant, conversation_id, settings, now);
  return next && next->second;
}

int64_t scan_breaches(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit) {
  int64_t emitted = 0;
  for (const auto& s : repo::due_states(tx, now, limit)) {
    auto c = core_repo::get_conversation(tx, s.tenant_id, s.conversation_id);
    Dues d = dues_of(s);
    for (Target t : kTargets) {
      auto due = d.get(t);
      if (!due || *due > now || !c) continue;
      repo::Breach b{to_string(t), *due, now, s.level, env.ids.next("evt")};
      if (!repo::insert_breach(tx, s.tenant_id, s.conversation_id, b)) continue;
      bj::object data{{"conversation_id", c->id},
                      {"target", b.target},
                      {"due_at", rfc3339(*due)},
                      {"breached_at", rfc3339(now)},
                      {"priority", s.level},
                      {"assignee_id", c->assignee_id ? bj::value(*c->assignee_id) : bj::value(nullptr)},
                      {"channel", c->channel_type}};
      pipeline::emit(tx, env, s.tenant_id, event_type::kSlaBreached, c->id, c->contact_id, true, data);
      ++emitted;
    }
    std::optional<int64_t> next;
    for (Target t : kTargets)
      if (auto due = d.get(t); due && *due > now && (!next || *due < *next)) next = *due;
    if (c) next = next_due(tx, s.tenant_id, s.conversation_id, d);
    repo::set_next_due(tx, s.tenant_id, s.conversation_id, c ? next : std::nullopt);
  }
  return emitted;
}

void add_service_json(store::Tx& tx, const Conversation& c, bj::object& out, int64_t now) {
  auto s = repo::get_state(tx, c.tenant_id, c.id);
  // The score from the conversation as it is now, plus what the listener stored (cart, returning).
  PriorityInput in;
  in.tags = c.tags;
  in.explicit_priority = c.priority;
  in.channel_type = c.channel_type;
  if (s) {
    boost::system::error_code ec;
    auto detail = bj::parse(s->score_detail, ec);
    if (!ec && detail.is_object()) {
      if (auto* r = detail.as_object().if_contains("returning"); r && r->is_bool()) in.returning = r->as_bool();
      if (auto* v = detail.as_object().if_contains("cart_value_minor"); v && v->is_int64()) in.cart_value_minor = v->as_int64();
    }
  }
  bj::object score = explain(base_score(in), s && s->waiting_since ? *s->waiting_since : -1, now);
  if (!s) score["pending"] = true;  // the listener has not seen it yet (a few milliseconds)
  out["priority_score"] = std::move(score);
  out["team"] = team_json(tx, c.tenant_id, c.id);

  bj::object sla;
  std::vector<repo::Breach> breaches = s ? repo::breaches(tx, c.tenant_id, c.id) : std::vector<repo::Breach>{};
  bool any_breached = false;
  std::optional<int64_t> next;
  std::string next_target;
  for (Target t : kTargets) {
    std::optional<int64_t> due = s ? dues_of(*s).get(t) : std::nullopt;
    if (!due) {
      sla[to_string(t)] = nullptr;
      continue;
    }
    bool breached = false;
    for (const auto& b : breaches) breached = breached || (b.target == to_string(t) && b.due_at == *due);
    breached = breached || *due <= now;  // overdue: the monitor records it within a second
    any_breached = any_breached || breached;
    if (!breached && (!next || *due < *next)) {
      next = *due;
      next_target = to_string(t);
    }
    sla[to_string(t)] = bj::object{{"due_at", rfc3339(*due)}, {"breached", breached},
                                   {"seconds_left", (*due - now) / 1000}};
  }
  sla["level"] = s ? bj::value(s->level) : bj::value(nullptr);
  sla["breached"] = any_breached;
  sla["next_due_at"] = next ? bj::value(rfc3339(*next)) : bj::value(nullptr);
  sla["next_target"] = next ? bj::value(next_target) : bj::value(nullptr);
  bj::array hist;
  for (const auto& b : breaches)
    hist.push_back(bj::object{{"target", b.target}, {"due_at", rfc3339(b.due_at)}, {"breached_at", rfc3339(b.breached_at)},
                              {"priority", b.level}});
  sla["breaches"] = std::move(hist);
  out["sla"] = std::move(sla);
  out["csat"] = survey_json(tx, c.tenant_id, c.id);
}

bj::object service_json(store::Tx& tx, const Conversation& c, int64_t now) {
  bj::object o;
  add_service_json(tx, c, o, now);
  return o;
}

// ---- listener ------------------------------------------------------------------------------

void ServiceListener::on_event(const Event& e) {
  // Order updates on WhatsApp (proactive.hpp): the order id is the payload's "id".
  if (e.type == event_type::kOrderPaid || e.type == event_type::kOrderFulfilled) {
    boost::system::error_code ec;
    auto v = boost::json::parse(e.payload_json, ec);
    const boost::json::value* d = !ec && v.is_object() ? v.as_object().if_contains("data") : nullptr;
    const boost::json::value* id = d && d->is_object() ? d->as_object().if_contains("id") : nullptr;
    if (id && id->is_string())
      orders_.emplace(e.tenant_id, std::string(id->as_string()),
                      e.type == event_type::kOrderPaid ? "paid" : "fulfilled");
    return;
  }
  if (e.conversation_id.empty()) return;
  if (e.type == event_type::kMessageCreated || e.type == event_type::kConversationCreated ||
      e.type == event_type::kConversationUpdated)
    pending_.emplace(e.tenant_id, e.conversation_id);
}

// A paid order can make its customer a returning one and closes a cart: the scores of their open
// conversations change although nothing happened in them. Each one whose stored score changed
// gets a conversation.updated, so inboxes redraw its row (new/returning, order) at once.
void ServiceListener::rescore_customer(store::Tx& tx, const std::string& tenant, const std::string& order_id,
                                       const ServiceSettings& settings, int64_t now) {
  auto order = commerce::get_order(tx, tenant, order_id);
  if (!order) return;
  for (const auto& id : repo::contact_active_conversation_ids(tx, tenant, order->contact_id, 100)) {
    if (!recompute(tx, tenant, id, settings, now)) continue;
    if (auto conv = core_repo::get_conversation(tx, tenant, id))
      pipeline::emit(tx, env_, tenant, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  }
}

void ServiceListener::on_batch_end() {
  if (pending_.empty() && orders_.empty()) return;
  auto batch = std::move(pending_);
  pending_.clear();
  auto orders = std::move(orders_);
  orders_.clear();
  int64_t now = env_.clock.now_ms();
  // Which conversations' stored state changes, worked out in a read transaction first: most
  // events change nothing (a customer writing again while already waiting), and reading that
  // here, beside the writer, keeps those reads off the single writer thread, the serial part of
  // every write (bench/RESULTS.md, perf4). The write recomputes only these, from what it reads
  // itself. The batch's events are committed before this read starts; a change committed after
  // it comes with events of its own (the next batch recomputes), or rewrites the state itself
  // (update_settings, rescore_customer; the SLA monitor's breaches and next due time).
  std::set<std::pair<std::string, std::string>> changing;
  try {
    store::read_sync(store_, [&](store::Tx& tx) {
      changing.clear();
      std::map<std::string, ServiceSettings> settings;
      for (const auto& [tenant, conv] : batch) {
        auto it = settings.find(tenant);
        if (it == settings.end()) it = settings.emplace(tenant, load_settings(tx, tenant)).first;
        if (recompute_would_change(tx, tenant, conv, it->second, now)) changing.emplace(tenant, conv);
      }
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "service: reading the batch's conversations failed, recomputing all: %s\n", e.what());
    changing = batch;
  }
  // The dispatcher advances its cursor after this returns: retry a failed write a few times.
  std::string what = "recomputing " + std::to_string(changing.size()) + " of " + std::to_string(batch.size()) +
                     " conversations";
  pipeline::write_retrying(store_, "service", what, [&](store::Tx& tx) -> Status {
    // Each shop's settings, loaded once per batch (conversations and paid orders alike).
    std::map<std::string, ServiceSettings> settings;
    auto settings_of = [&](const std::string& tenant) -> const ServiceSettings& {
      auto it = settings.find(tenant);
      if (it == settings.end()) it = settings.emplace(tenant, load_settings(tx, tenant)).first;
      return it->second;
    };
    for (const auto& key : batch) {
      const auto& [tenant, conv] = key;
      const ServiceSettings& s = settings_of(tenant);
      if (changing.count(key)) recompute(tx, tenant, conv, s, now);
      maybe_assign(tx, env_, s, tenant, conv);
      maybe_after_hours(tx, env_, s, tenant, conv);
      maybe_send_survey(tx, env_, s, tenant, conv);
      maybe_record_survey(tx, env_, tenant, conv);
    }
    for (const auto& [tenant, order, kind] : orders) {
      notify_order(tx, env_, tenant, order, kind);
      if (kind == "paid") rescore_customer(tx, tenant, order, settings_of(tenant), now);
    }
    return {};
  });
}

// ---- monitor -------------------------------------------------------------------------------

SlaMonitor::SlaMonitor(store::Store& store, pipeline::Env env, Metrics& metrics, int interval_ms)
    : store_(store), env_(std::move(env)), metrics_(metrics), interval_ms_(interval_ms) {
  metrics_.describe("bottega_sla_breaches_total", "counter", "SLA breaches recorded (conversation.sla_breached events)");
}

SlaMonitor::~SlaMonitor() { stop(); }

void SlaMonitor::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SlaMonitor::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t SlaMonitor::scan_once() {
  // Abandoned carts due for a reminder get their durable job (proactive.hpp), in a transaction of
  // their own so a failure of one scan does not hold the other back.
  auto carts = store::write_sync(store_, [&](store::Tx& tx) -> Status {
    scan_carts(tx, env_, env_.clock.now_ms(), 100);
    wake_snoozed(tx, env_, env_.clock.now_ms(), 100);  // snooze.hpp: back in the inbox at their time
    return {};
  });
  if (!carts.ok())
    std::fprintf(stderr, "service: cart reminder and snooze scan failed: %s\n", carts.error().message.c_str());
  int64_t emitted = 0;
  auto st = store::write_sync(store_, [&](store::Tx& tx) -> Status {
    emitted = scan_breaches(tx, env_, env_.clock.now_ms(), 200);
    return {};
  });
  if (!st.ok()) {
    std::fprintf(stderr, "service: SLA scan failed: %s\n", st.error().message.c_str());
    return 0;
  }
  if (emitted > 0) metrics_.inc("bottega_sla_breaches_total", {}, static_cast<double>(emitted));
  return emitted;
}

void SlaMonitor::loop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    lk.unlock();
    scan_once();
    lk.lock();
    cv_.wait_for(lk, std::chrono::milliseconds(interval_ms_), [this] { return stop_; });
  }
}

}  // namespace bottega::service
