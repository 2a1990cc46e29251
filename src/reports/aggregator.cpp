#include "reports/aggregator.hpp"

#include <algorithm>
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include "payments/payments_repo.hpp"
#include "store/repo/repo.hpp"

namespace bottega::reports {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

const Stmt kGetSettings{"reports.get_settings", "SELECT time_zone, window_days FROM rpt_settings WHERE tenant_id = $1"};
const Stmt kPutSettings{"reports.put_settings",
    "INSERT INTO rpt_settings (tenant_id, time_zone, window_days, updated_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (tenant_id) DO UPDATE SET time_zone = excluded.time_zone, window_days = excluded.window_days, "
    "updated_at = excluded.updated_at"};
const Stmt kAddCount{"reports.add_count",
    "INSERT INTO rpt_counts (tenant_id, grain, bucket, metric, dim, currency, value) VALUES ($1,$2,$3,$4,$5,$6,$7) "
    "ON CONFLICT (tenant_id, grain, bucket, metric, dim, currency) DO UPDATE SET value = rpt_counts.value + excluded.value"};
const Stmt kGetHist{"reports.get_hist",
    "SELECT bins FROM rpt_hist WHERE tenant_id = $1 AND grain = $2 AND bucket = $3 AND metric = $4 AND dim = $5"};
const Stmt kPutHist{"reports.put_hist",
    "INSERT INTO rpt_hist (tenant_id, grain, bucket, metric, dim, bins) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (tenant_id, grain, bucket, metric, dim) DO UPDATE SET bins = excluded.bins"};
const Stmt kGetConv{"reports.get_conv",
    "SELECT channel_id, contact_id, created_at, first_response_at, resolved_at, presale, paid, human, bot, helpful "
    "FROM rpt_conversations WHERE tenant_id = $1 AND id = $2"};
const Stmt kPutConv{"reports.put_conv",
    "INSERT INTO rpt_conversations (tenant_id, id, channel_id, contact_id, created_at, first_response_at, resolved_at, "
    "presale, paid, human, bot, helpful) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
    "ON CONFLICT (tenant_id, id) DO UPDATE SET first_response_at = excluded.first_response_at, "
    "resolved_at = excluded.resolved_at, presale = excluded.presale, paid = excluded.paid, human = excluded.human, "
    "bot = excluded.bot, helpful = excluded.helpful"};
const Stmt kGetPay{"reports.get_pay",
    "SELECT conversation_id, channel_id, sender, currency, amount, created_at, sent, opened, paid, expired, paid_at, "
    "credit, window_dim, window_at FROM rpt_payments WHERE tenant_id = $1 AND id = $2"};
const Stmt kPutPay{"reports.put_pay",
    "INSERT INTO rpt_payments (tenant_id, id, conversation_id, channel_id, sender, currency, amount, created_at, sent, "
    "opened, paid, expired, paid_at, credit, window_dim, window_at) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) "
    "ON CONFLICT (tenant_id, id) DO UPDATE SET sent = excluded.sent, opened = excluded.opened, paid = excluded.paid, "
    "expired = excluded.expired, paid_at = excluded.paid_at, credit = excluded.credit, window_dim = excluded.window_dim, "
    "window_at = excluded.window_at"};
const Stmt kGetContact{"reports.get_contact",
    "SELECT last_activity_at FROM rpt_contacts WHERE tenant_id = $1 AND contact_id = $2"};
const Stmt kPutContact{"reports.put_contact",
    "INSERT INTO rpt_contacts (tenant_id, contact_id, last_activity_at) VALUES ($1,$2,$3) "
    "ON CONFLICT (tenant_id, contact_id) DO UPDATE SET last_activity_at = excluded.last_activity_at "
    "WHERE rpt_contacts.last_activity_at < excluded.last_activity_at"};
const Stmt kGetCsat{"reports.get_csat",
    "SELECT score, at, by_dim, channel_id FROM rpt_csat WHERE tenant_id = $1 AND conversation_id = $2"};
const Stmt kPutCsat{"reports.put_csat",
    "INSERT INTO rpt_csat (tenant_id, conversation_id, score, at, by_dim, channel_id) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET score = excluded.score, at = excluded.at, "
    "by_dim = excluded.by_dim, channel_id = excluded.channel_id"};
const Stmt kSeen{"reports.seen",
    "INSERT INTO rpt_seen (tenant_id, key) VALUES ($1,$2) ON CONFLICT (tenant_id, key) DO NOTHING"};
const Stmt kAddReminder{"reports.add_reminder",
    "INSERT INTO rpt_cart_reminders (tenant_id, cart_id, channel_id, sent_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (tenant_id, cart_id) DO NOTHING"};
const Stmt kGetReminder{"reports.get_reminder",
    "SELECT channel_id, sent_at, recovered_at FROM rpt_cart_reminders WHERE tenant_id = $1 AND cart_id = $2"};
const Stmt kRecovered{"reports.recovered",
    "UPDATE rpt_cart_reminders SET recovered_at = $3 WHERE tenant_id = $1 AND cart_id = $2 AND recovered_at IS NULL"};
// Day-grain rebuild after a time-zone change.
const Stmt kDeleteDayCounts{"reports.delete_day_counts", "DELETE FROM rpt_counts WHERE tenant_id = $1 AND grain = 'd'"};
const Stmt kDeleteDayHists{"reports.delete_day_hists", "DELETE FROM rpt_hist WHERE tenant_id = $1 AND grain = 'd'"};
const Stmt kQuarterCounts{"reports.quarter_counts",
    "SELECT bucket, metric, dim, currency, value FROM rpt_counts WHERE tenant_id = $1 AND grain = 'q'"};
const Stmt kQuarterHists{"reports.quarter_hists",
    "SELECT bucket, metric, dim, bins FROM rpt_hist WHERE tenant_id = $1 AND grain = 'q'"};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

const bj::object* obj(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_object() ? &v->as_object() : nullptr;
}
std::string str(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::optional<int64_t> int_of(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v && v->is_double()) return static_cast<int64_t>(v->as_double());
  return std::nullopt;
}
std::optional<int64_t> time_of(const bj::object& o, std::string_view k) {
  auto s = str(o, k);
  if (s.empty()) return std::nullopt;
  return parse_timestamp(s);
}

// Who sent a payment link, from the payment's created_by ("agent:<id>", "token:<id>", "bot...").
std::string sender_of(const std::optional<std::string>& created_by) {
  if (!created_by || created_by->empty()) return "unknown";
  const std::string& c = *created_by;
  if (c.rfind("agent:", 0) == 0) return c;
  if (c == "bot" || c.rfind("bot:", 0) == 0) return "bot";
  if (c.rfind("token:", 0) == 0) return "api";
  return "unknown";
}

}  // namespace

Settings get_settings(Tx& tx, const std::string& tenant) {
  Settings s;
  if (auto r = tx.query_one(kGetSettings, {tenant})) {
    s.time_zone = r->str(0);
    s.window_days = r->i64(1);
  }
  return s;
}

Status put_settings(Tx& tx, const std::string& tenant, const Settings& s, int64_t now) {
  auto z = TimeZone::load(s.time_zone);
  if (!z) return std::move(z).error();
  if (s.window_days < 1 || s.window_days > kMaxWindowDays)
    return Error::invalid("attribution_window_days", "attribution_window_days is 1..90");
  Settings old = get_settings(tx, tenant);
  tx.exec(kPutSettings, {tenant, s.time_zone, s.window_days, now});
  if (old.time_zone == s.time_zone) return {};
  // Rebuild the day grain from the quarter hours in the new zone.
  const TimeZone& tz = **z;
  tx.exec(kDeleteDayCounts, {tenant});
  tx.exec(kDeleteDayHists, {tenant});
  std::map<std::tuple<int64_t, std::string, std::string, std::string>, int64_t> counts;
  for (const auto& r : tx.query(kQuarterCounts, {tenant})) {
    int64_t day = days_from_civil(tz.local_date(r.i64(0) * kQuarterMs));
    counts[{day, r.str(1), r.str(2), r.str(3)}] += r.i64(4);
  }
  for (const auto& [k, v] : counts)
    tx.exec(kAddCount, {tenant, std::string("d"), std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), v});
  std::map<std::tuple<int64_t, std::string, std::string>, Histogram> hists;
  for (const auto& r : tx.query(kQuarterHists, {tenant})) {
    int64_t day = days_from_civil(tz.local_date(r.i64(0) * kQuarterMs));
    hists[{day, r.str(1), r.str(2)}].merge_encoded(r.str(3));
  }
  for (const auto& [k, h] : hists)
    tx.exec(kPutHist, {tenant, std::string("d"), std::get<0>(k), std::get<1>(k), std::get<2>(k), h.encode()});
  return {};
}

const TimeZone& Aggregator::zone(const std::string& tenant) {
  auto it = zones_.find(tenant);
  if (it == zones_.end()) {
    auto z = TimeZone::load(get_settings(tx_, tenant).time_zone);
    it = zones_.emplace(tenant, z ? *z : TimeZone::utc()).first;
  }
  return *it->second;
}

void Aggregator::count(const std::string& tenant, int64_t at_ms, const std::string& metric,
                       const std::vector<std::string>& dims, const std::string& currency, int64_t delta) {
  if (delta == 0) return;
  int64_t q = floor_div(at_ms, kQuarterMs), h = floor_div(at_ms, kHourMs);
  int64_t d = days_from_civil(zone(tenant).local_date(at_ms));
  for (const auto& dim : dims) {
    if (dim.empty()) continue;
    counts_[{tenant, 'q', q, metric, dim, currency}] += delta;
    counts_[{tenant, 'h', h, metric, dim, currency}] += delta;
    counts_[{tenant, 'd', d, metric, dim, currency}] += delta;
  }
}

void Aggregator::hist(const std::string& tenant, int64_t at_ms, const std::string& metric,
                      const std::vector<std::string>& dims, int64_t seconds, int64_t delta) {
  int64_t q = floor_div(at_ms, kQuarterMs), h = floor_div(at_ms, kHourMs);
  int64_t d = days_from_civil(zone(tenant).local_date(at_ms));
  for (const auto& dim : dims) {
    if (dim.empty()) continue;
    hists_[{tenant, 'q', q, metric, dim}].add(seconds, delta);
    hists_[{tenant, 'h', h, metric, dim}].add(seconds, delta);
    hists_[{tenant, 'd', d, metric, dim}].add(seconds, delta);
  }
}

bool Aggregator::seen(const std::string& tenant, const std::string& key) {
  return tx_.exec(kSeen, {tenant, key}) == 0;
}

Aggregator::Conv& Aggregator::conv(const std::string& tenant, const std::string& id, const bj::object* payload) {
  auto& c = convs_[{tenant, id}];
  if (c.loaded) return c;
  c.loaded = true;
  if (auto r = tx_.query_one(kGetConv, {tenant, id})) {
    c.exists = true;
    c.channel_id = r->str(0);
    c.contact_id = r->str(1);
    c.created_at = r->i64(2);
    c.first_response_at = r->opt_i64(3);
    c.resolved_at = r->opt_i64(4);
    c.presale = r->i64(5) != 0;
    c.paid = r->i64(6) != 0;
    c.human = r->i64(7) != 0;
    c.bot = r->i64(8) != 0;
    c.helpful = r->i64(9) != 0;
    return c;
  }
  // Not seen yet: start from the event's conversation, or (history from before the reports
  // existed) from the conversation itself.
  if (payload) {
    Conv before = c;
    c.exists = true;
    c.dirty = true;
    c.channel_id = str(*payload, "channel_id");
    if (auto* ct = obj(*payload, "contact")) c.contact_id = str(*ct, "id");
    c.created_at = time_of(*payload, "created_at").value_or(0);
    conv_delta(tenant, before, c);
  } else if (auto cv = repo::get_conversation(tx_, tenant, id)) {
    Conv before = c;
    c.exists = true;
    c.dirty = true;
    c.channel_id = cv->channel_id;
    c.contact_id = cv->contact_id;
    c.created_at = cv->created_at;
    conv_delta(tenant, before, c);
  }
  return c;
}

namespace {
struct ConvFigures {
  int64_t v[7] = {0, 0, 0, 0, 0, 0, 0};
};
const char* kConvMetrics[7] = {"conversations", "presale", "presale_paid", "resolved", "bot_conversations",
                               "contained", "contained_helpful"};
}  // namespace

void Aggregator::conv_delta(const std::string& tenant, const Conv& before, const Conv& after) {
  auto fig = [](const Conv& c) {
    ConvFigures f;
    if (!c.exists) return f;
    bool resolved = c.resolved_at.has_value();
    bool contained = resolved && c.bot && !c.human;
    f.v[0] = 1;
    f.v[1] = c.presale;
    f.v[2] = c.presale && c.paid;
    f.v[3] = resolved;
    f.v[4] = c.bot;
    f.v[5] = contained;
    f.v[6] = contained && c.helpful;
    return f;
  };
  ConvFigures a = fig(before), b = fig(after);
  for (int i = 0; i < 7; ++i)
    if (b.v[i] != a.v[i])
      count(tenant, after.created_at, kConvMetrics[i], {"all", "ch:" + after.channel_id}, "", b.v[i] - a.v[i]);
}

Aggregator::Pay& Aggregator::pay(const std::string& tenant, const std::string& id, const bj::object* payload) {
  auto& p = pays_[{tenant, id}];
  // Looked up before (e.g. an order's payment_ref) and unknown then: an event of it may still
  // bring it.
  if (p.loaded && (p.exists || !payload)) return p;
  bool first = !p.loaded;
  p.loaded = true;
  if (auto r = first ? tx_.query_one(kGetPay, {tenant, id}) : std::nullopt) {
    p.exists = true;
    p.conversation_id = r->opt_str(0);
    p.channel_id = r->str(1);
    p.sender = r->str(2);
    p.currency = r->str(3);
    p.amount = r->i64(4);
    p.created_at = r->i64(5);
    p.sent = r->i64(6) != 0;
    p.opened = r->i64(7) != 0;
    p.paid = r->i64(8) != 0;
    p.expired = r->i64(9) != 0;
    p.paid_at = r->opt_i64(10);
    p.credit = r->i64(11);
    if (auto w = r->opt_str(12)) p.window_dim = *w;
    p.window_at = r->opt_i64(13);
    return p;
  }
  auto row = payments::db::get_payment(tx_, tenant, id);
  if (!row && !payload) return p;
  Pay before = p;
  p.exists = true;
  p.dirty = true;
  if (payload) {
    if (auto cid = str(*payload, "conversation_id"); !cid.empty()) p.conversation_id = cid;
    p.currency = str(*payload, "currency");
    p.amount = int_of(*payload, "amount").value_or(0);
    p.created_at = time_of(*payload, "created_at").value_or(0);
    p.credit = int_of(*payload, "credit_applied").value_or(0);
  } else {
    p.conversation_id = row->conversation_id;
    p.currency = row->currency;
    p.amount = row->amount;
    p.created_at = row->created_at;
    p.credit = row->credit_applied;
  }
  // Who sent it is not in the event: the payment row says.
  p.sender = sender_of(row ? row->created_by : std::nullopt);
  if (p.conversation_id) {
    Conv& cv = conv(tenant, *p.conversation_id);
    if (cv.exists) p.channel_id = cv.channel_id;
  }
  pay_delta(tenant, before, p);
  return p;
}

void Aggregator::pay_delta(const std::string& tenant, const Pay& before, const Pay& after) {
  auto fig = [](const Pay& p) {
    std::array<int64_t, 5> f{0, 0, 0, 0, 0};
    if (!p.exists) return f;
    f = {1, p.sent, p.opened, p.paid, p.expired};
    return f;
  };
  static const char* kNames[5] = {"links_created", "links_sent", "links_opened", "links_paid", "links_expired"};
  auto a = fig(before), b = fig(after);
  std::vector<std::string> dims{"all", "by:" + after.sender};
  if (!after.channel_id.empty()) dims.push_back("ch:" + after.channel_id);
  for (int i = 0; i < 5; ++i)
    if (a[i] != b[i]) count(tenant, after.created_at, kNames[i], dims, "", b[i] - a[i]);
}

void Aggregator::apply(const Event& e, const bj::value* payload) {
  if (payload) return apply_parsed(e, *payload);
  boost::system::error_code ec;
  // The parsed payload lives only for this call: its nodes come from a stack buffer (a heap
  // allocation per member and string otherwise; measured with bench/profile.sh).
  unsigned char buf[4096];
  bj::monotonic_resource mr(buf, sizeof buf);
  auto v = bj::parse(e.payload_json, ec, &mr);
  if (!ec) apply_parsed(e, v);
}

void Aggregator::apply_parsed(const Event& e, const bj::value& v) {
  if (!v.is_object()) return;
  const bj::object* d = obj(v.as_object(), "data");
  if (!d) return;
  const std::string& t = e.type;
  if (t == event_type::kConversationCreated || t == event_type::kConversationUpdated) on_conversation(e, *d);
  else if (t == event_type::kMessageCreated) on_message(e, *d);
  else if (t == "payment.created" || t == "payment.updated" || t == "payment.succeeded" || t == "payment.failed" ||
           t == "payment.expired")
    on_payment(e, *d);
  else if (t == "refund.succeeded") on_refund(e, *d);
  else if (t == event_type::kOrderPaid) on_order_paid(e, *d);
  else if (t == event_type::kCartReminderSent) on_cart_reminder(e, *d);
  else if (t == event_type::kBotTurn) on_bot_turn(e, *d);
  else if (t == event_type::kSlaBreached) on_sla(e, *d);
  else if (t == event_type::kCsatReceived) on_csat(e, *d);
}

void Aggregator::on_conversation(const Event& e, const bj::object& d) {
  std::string id = str(d, "id");
  if (id.empty()) return;
  Conv& cv = conv(e.tenant_id, id, &d);
  if (!cv.exists) return;
  Conv before = cv;
  if (auto* tags = d.if_contains("tags"); tags && tags->is_array())
    for (const auto& tg : tags->as_array())
      if (tg.is_string() && tg.as_string() == "presale") cv.presale = true;
  if (str(d, "status") == "resolved" && !cv.resolved_at) {
    cv.resolved_at = e.created_at_ms;
    hist(e.tenant_id, cv.created_at, "resolution", {"all", "ch:" + cv.channel_id},
         (e.created_at_ms - cv.created_at) / 1000, 1);
  }
  if (before.presale != cv.presale || before.resolved_at != cv.resolved_at) {
    cv.dirty = true;
    conv_delta(e.tenant_id, before, cv);
  }
}

void Aggregator::on_message(const Event& e, const bj::object& d) {
  if (e.internal || str(d, "kind") == "note") return;
  std::string cid = str(d, "conversation_id");
  if (cid.empty()) return;
  Conv& cv = conv(e.tenant_id, cid);
  if (!cv.exists) return;
  std::string kind, author_id;
  if (auto* a = obj(d, "author")) {
    kind = str(*a, "kind");
    author_id = str(*a, "id");
  }
  int64_t at = time_of(d, "created_at").value_or(e.created_at_ms);
  if (kind == "system") return;
  if (!cv.contact_id.empty()) {
    auto& last = contacts_[{e.tenant_id, cv.contact_id}];
    last = std::max(last, at);
  }
  if (str(d, "direction") != "out" || (kind != "agent" && kind != "bot")) return;
  Conv before = cv;
  if (kind == "agent") cv.human = true;
  else cv.bot = true;
  if (!cv.first_response_at) {
    cv.first_response_at = at;
    std::string by = kind == "bot" ? "by:bot" : author_id.empty() ? "by:api" : "by:agent:" + author_id;
    hist(e.tenant_id, cv.created_at, "first_response", {"all", "ch:" + cv.channel_id, by}, (at - cv.created_at) / 1000, 1);
  }
  if (before.human != cv.human || before.bot != cv.bot || before.first_response_at != cv.first_response_at) {
    cv.dirty = true;
    conv_delta(e.tenant_id, before, cv);
  }
}

void Aggregator::on_payment(const Event& e, const bj::object& d) {
  std::string id = str(d, "id");
  if (id.empty()) return;
  Pay& p = pay(e.tenant_id, id, &d);
  if (!p.exists) return;
  Pay before = p;
  std::string status = str(d, "status");
  // Sent: the link went into the conversation as a message.
  if (!str(d, "message_id").empty()) p.sent = true;
  if (auto* o = d.if_contains("opened_at"); (o && !o->is_null()) || status == "processing" || status == "paid")
    p.opened = true;
  if (status == "expired" || e.type == "payment.expired") p.expired = true;
  // Store credit held for the link (at creation, or when the customer ticks it at checkout;
  // given back when the link is cancelled or expires, which no longer matters then).
  bool credit_changed = false;
  if (auto c = int_of(d, "credit_applied"); c && !p.paid && *c != p.credit) {
    p.credit = std::clamp<int64_t>(*c, 0, p.amount);
    credit_changed = true;
  }
  if (e.type == "payment.succeeded" && !p.paid) {
    p.paid = true;
    p.opened = true;
    p.paid_at = time_of(d, "paid_at").value_or(e.created_at_ms);
    if (p.conversation_id) {
      // Money received is what the provider captured; the store-credit part is the shop's own
      // liability being spent (docs/reports.md). The order's value is both.
      std::vector<std::string> dims{"all", "by:" + p.sender, "ch:" + p.channel_id};
      count(e.tenant_id, *p.paid_at, "revenue", dims, p.currency, p.amount - p.credit);
      count(e.tenant_id, *p.paid_at, "credit_spent", dims, p.currency, p.credit);
      count(e.tenant_id, *p.paid_at, "payments", dims, p.currency, 1);
      Conv& cv = conv(e.tenant_id, *p.conversation_id);
      if (cv.exists && !cv.paid) {
        Conv cb = cv;
        cv.paid = true;
        cv.dirty = true;
        conv_delta(e.tenant_id, cb, cv);
      }
    }
  }
  if (before.sent != p.sent || before.opened != p.opened || before.paid != p.paid || before.expired != p.expired) {
    p.dirty = true;
    pay_delta(e.tenant_id, before, p);
  }
  if (credit_changed) p.dirty = true;
}

void Aggregator::on_refund(const Event& e, const bj::object& d) {
  std::string id = str(d, "id"), pid = str(d, "payment_id");
  auto amount = int_of(d, "amount");
  if (id.empty() || pid.empty() || !amount) return;
  Pay& p = pay(e.tenant_id, pid);
  if (!p.exists) return;
  bool linked = p.paid && p.paid_at && p.conversation_id;
  if (!linked && !p.window_at) return;
  if (seen(e.tenant_id, "refund:" + id)) return;
  // The provider's part goes back as money; the rest (first the provider's part, then credit:
  // src/payments/service.cpp request_refund) returns store credit, not money.
  int64_t to_credit = std::clamp<int64_t>(int_of(d, "credit_amount").value_or(0), 0, *amount);
  if (!linked) {  // an order the time window attributed: netted in its period
    count(e.tenant_id, *p.window_at, "window_refunds", {p.window_dim}, p.currency, *amount - to_credit);
    count(e.tenant_id, *p.window_at, "window_refunds_credit", {p.window_dim}, p.currency, to_credit);
    return;
  }
  // Net of refunds per payment: a refund reduces the period in which its payment came in.
  std::vector<std::string> dims{"all", "by:" + p.sender, "ch:" + p.channel_id};
  count(e.tenant_id, *p.paid_at, "refunds", dims, p.currency, *amount - to_credit);
  count(e.tenant_id, *p.paid_at, "refunds_credit", dims, p.currency, to_credit);
  count(e.tenant_id, *p.paid_at, "refund_count", dims, p.currency, 1);
}

void Aggregator::on_cart_reminder(const Event& e, const bj::object& d) {
  std::string cart = str(d, "cart_id"), channel = str(d, "channel_id");
  if (cart.empty()) return;
  int64_t at = time_of(d, "sent_at").value_or(e.created_at_ms);
  if (tx_.exec(kAddReminder, {e.tenant_id, cart, channel, at}) != 1) return;  // one reminder per cart
  count(e.tenant_id, at, "cart_reminders", {"all", "ch:" + channel}, "", 1);
}

void Aggregator::on_order_paid(const Event& e, const bj::object& d) {
  std::string id = str(d, "id");
  std::string contact = str(d, "contact_id");
  auto total = int_of(d, "total");
  std::string currency = str(d, "currency");
  if (id.empty() || contact.empty() || !total || currency.empty()) return;
  // A cart recovered after a reminder: its order paid after the reminder went out (whatever the
  // way of paying), counted once per cart, in the period of the payment.
  if (std::string cart = str(d, "cart_id"); !cart.empty()) {
    int64_t paid = time_of(d, "paid_at").value_or(e.created_at_ms);
    if (auto r = tx_.query_one(kGetReminder, {e.tenant_id, cart}); r && r->is_null(2) && r->i64(1) <= paid) {
      tx_.exec(kRecovered, {e.tenant_id, cart, paid});
      std::vector<std::string> dims{"all", "ch:" + r->str(0)};
      count(e.tenant_id, paid, "carts_recovered", dims, "", 1);
      count(e.tenant_id, paid, "recovered_orders", dims, currency, 1);
      count(e.tenant_id, paid, "recovered_revenue", dims, currency, *total);
    }
  }
  // Paid through a payment link sent in a conversation: already attributed by linkage. A link
  // that was not (sent by e-mail, a storefront) is an order outside the link: the time window
  // may attribute it, less the store credit it spent.
  std::string ref = str(d, "payment_ref");
  Pay* link = nullptr;
  if (!ref.empty()) {
    Pay& p = pay(e.tenant_id, ref);
    if (p.exists && p.conversation_id) return;
    if (p.exists) link = &p;
  }
  if (seen(e.tenant_id, "order:" + id)) return;
  int64_t at = time_of(d, "paid_at").value_or(e.created_at_ms);
  std::optional<int64_t> last;
  if (auto it = contacts_.find({e.tenant_id, contact}); it != contacts_.end()) last = it->second;
  if (auto r = tx_.query_one(kGetContact, {e.tenant_id, contact}))
    last = last ? std::max(*last, r->i64(0)) : r->i64(0);
  if (!last || *last > at) return;
  int64_t days = (at - *last) / (24 * 3600 * 1000LL);
  if (days >= kMaxWindowDays) return;
  char dim[8];
  std::snprintf(dim, sizeof dim, "d%02d", static_cast<int>(days));
  int64_t credit = link ? std::clamp<int64_t>(link->credit, 0, *total) : 0;
  count(e.tenant_id, at, "window_orders", {dim}, currency, 1);
  count(e.tenant_id, at, "window_revenue", {dim}, currency, *total - credit);
  count(e.tenant_id, at, "window_credit_spent", {dim}, currency, credit);
  if (link) {
    link->window_dim = dim;
    link->window_at = at;
    link->dirty = true;
  }
}

void Aggregator::on_bot_turn(const Event& e, const bj::object& d) {
  std::string cid = str(d, "conversation_id");
  std::string outcome = str(d, "outcome");
  if (cid.empty() || outcome.empty()) return;
  Conv& cv = conv(e.tenant_id, cid);
  if (!cv.exists) return;
  int64_t at = time_of(d, "created_at").value_or(e.created_at_ms);
  std::vector<std::string> dims{"all", "ch:" + cv.channel_id};
  count(e.tenant_id, at, "bot_turns", dims, "", 1);
  count(e.tenant_id, at, "bot_" + outcome, dims, "", 1);
  Conv before = cv;
  cv.bot = true;
  if (outcome == "helpful") cv.helpful = true;
  if (before.bot != cv.bot || before.helpful != cv.helpful) {
    cv.dirty = true;
    conv_delta(e.tenant_id, before, cv);
  }
}

void Aggregator::on_sla(const Event& e, const bj::object& d) {
  std::string cid = str(d, "conversation_id"), target = str(d, "target");
  auto breached = time_of(d, "breached_at");
  if (cid.empty() || target.empty() || !breached) return;
  if (seen(e.tenant_id, "sla:" + cid + ":" + target + ":" + str(d, "due_at"))) return;
  std::string channel;
  Conv& cv = conv(e.tenant_id, cid);
  channel = cv.exists ? cv.channel_id : str(d, "channel");
  std::string assignee = str(d, "assignee_id");
  count(e.tenant_id, *breached, "sla_breaches",
        {"all", "target:" + target, "ch:" + channel, assignee.empty() ? "by:unassigned" : "by:agent:" + assignee}, "", 1);
}

void Aggregator::on_csat(const Event& e, const bj::object& d) {
  std::string cid = str(d, "conversation_id");
  auto score = int_of(d, "score");
  if (cid.empty() || !score || *score < 1 || *score > 5) return;
  int64_t at = time_of(d, "created_at").value_or(e.created_at_ms);
  std::string assignee = str(d, "assignee_id");
  bool bot_only = false;
  if (auto* b = d.if_contains("bot_only"); b && b->is_bool()) bot_only = b->as_bool();
  std::string by = bot_only ? "by:bot" : assignee.empty() ? "by:none" : "by:agent:" + assignee;
  Conv& cv = conv(e.tenant_id, cid);
  std::string channel = cv.exists ? cv.channel_id : str(d, "channel");
  auto apply_one = [&](int64_t s, int64_t when, const std::string& by_dim, const std::string& ch, int64_t sign) {
    std::vector<std::string> dims{"all", by_dim, "ch:" + ch};
    count(e.tenant_id, when, "csat_responses", dims, "", sign);
    count(e.tenant_id, when, "csat_score_sum", dims, "", sign * s);
    count(e.tenant_id, when, "csat_satisfied", dims, "", sign * (s >= 4 ? 1 : 0));
  };
  // One answer per conversation's survey: a later answer replaces the earlier one.
  if (auto r = tx_.query_one(kGetCsat, {e.tenant_id, cid})) {
    if (r->i64(0) == *score && r->i64(1) == at && r->str(2) == by && r->str(3) == channel) return;
    apply_one(r->i64(0), r->i64(1), r->str(2), r->str(3), -1);
  }
  apply_one(*score, at, by, channel, 1);
  tx_.exec(kPutCsat, {e.tenant_id, cid, *score, at, by, channel});
}

void Aggregator::flush() {
  for (const auto& [k, v] : convs_) {
    if (!v.dirty || !v.exists) continue;
    auto opt = [](const std::optional<int64_t>& x) { return x ? Value(*x) : Value(nullptr); };
    tx_.exec(kPutConv, {k.first, k.second, v.channel_id, v.contact_id, v.created_at, opt(v.first_response_at),
                        opt(v.resolved_at), int64_t{v.presale}, int64_t{v.paid}, int64_t{v.human}, int64_t{v.bot},
                        int64_t{v.helpful}});
  }
  for (const auto& [k, v] : pays_) {
    if (!v.dirty || !v.exists) continue;
    tx_.exec(kPutPay, {k.first, k.second, v.conversation_id ? Value(*v.conversation_id) : Value(nullptr), v.channel_id,
                       v.sender, v.currency, v.amount, v.created_at, int64_t{v.sent}, int64_t{v.opened},
                       int64_t{v.paid}, int64_t{v.expired}, v.paid_at ? Value(*v.paid_at) : Value(nullptr), v.credit,
                       v.window_at ? Value(v.window_dim) : Value(nullptr),
                       v.window_at ? Value(*v.window_at) : Value(nullptr)});
  }
  for (const auto& [k, at] : contacts_) tx_.exec(kPutContact, {k.first, k.second, at});
  auto tally = [this](char grain) { ++(grain == 'q' ? written_.q : grain == 'h' ? written_.h : written_.d); };
  for (const auto& [k, v] : counts_) {
    if (v == 0) continue;
    tally(std::get<1>(k));
    tx_.exec(kAddCount, {std::get<0>(k), std::string(1, std::get<1>(k)), std::get<2>(k), std::get<3>(k),
                         std::get<4>(k), std::get<5>(k), v});
  }
  for (const auto& [k, h] : hists_) {
    if (h.empty()) continue;
    tally(std::get<1>(k));
    const std::string grain(1, std::get<1>(k));
    Histogram merged = h;
    if (auto r = tx_.query_one(kGetHist, {std::get<0>(k), grain, std::get<2>(k), std::get<3>(k), std::get<4>(k)}))
      merged.merge_encoded(r->str(0));
    tx_.exec(kPutHist, {std::get<0>(k), grain, std::get<2>(k), std::get<3>(k), std::get<4>(k), merged.encode()});
  }
  counts_.clear();
  hists_.clear();
  contacts_.clear();
  for (auto& [k, v] : convs_) v.dirty = false;
  for (auto& [k, v] : pays_) v.dirty = false;
}

int64_t stored_cursor(Tx& tx) {
  auto v = repo::kv_get(tx, kCursorKey);
  if (!v || v->empty()) return 0;
  return std::stoll(*v);
}

namespace {
// The positions in `delivered` of the events that continue `cursor` without a gap (at most
// `limit`), or nothing when the first one after the cursor is not cursor + 1.
std::vector<size_t> continuing(const std::vector<Event>& delivered, int64_t cursor, int64_t limit) {
  std::vector<size_t> out;
  for (size_t i = 0; i < delivered.size(); ++i) {
    const Event& e = delivered[i];
    if (e.seq <= cursor) continue;
    if (e.seq != cursor + 1 + static_cast<int64_t>(out.size()) || static_cast<int64_t>(out.size()) == limit) break;
    out.push_back(i);
  }
  return out;
}
}  // namespace

CatchUp apply_pending(Tx& tx, int64_t limit, const std::vector<Event>* delivered,
                      const std::vector<bj::value>* parsed) {
  CatchUp out;
  out.cursor = stored_cursor(tx);
  std::vector<const Event*> events;
  std::vector<const bj::value*> payloads;  // parallel to events; null: parse it
  std::vector<Event> read;
  if (delivered) {
    bool have_parsed = parsed && parsed->size() == delivered->size();
    for (size_t i : continuing(*delivered, out.cursor, limit)) {
      events.push_back(&(*delivered)[i]);
      payloads.push_back(have_parsed ? &(*parsed)[i] : nullptr);
    }
  }
  if (events.empty()) {
    read = repo::events_after(tx, out.cursor, limit);
    for (const auto& e : read) events.push_back(&e);
    payloads.assign(events.size(), nullptr);
  }
  if (events.empty()) return out;
  Aggregator agg(tx);
  for (size_t i = 0; i < events.size(); ++i) agg.apply(*events[i], payloads[i]);
  agg.flush();
  out.applied = static_cast<int64_t>(events.size());
  out.cursor = events.back()->seq;
  // A full read may have left more; so may a full run of delivered events (the rest of them).
  // Events after the delivered ones come with the dispatcher's next batch.
  out.more = static_cast<int64_t>(events.size()) == limit;
  repo::kv_set(tx, kCursorKey, std::to_string(out.cursor));
  return out;
}

}  // namespace bottega::reports
