#include "payments/reconcile.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <map>

#include "core/json.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/psp/registry.hpp"

namespace bottega::payments::reconcile {

namespace bj = boost::json;

namespace {

std::string amt(int64_t v, const std::string& cur) { return format_amount(v, cur.empty() ? "XXX" : cur); }

std::string str_at(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::vector<Difference> compare(const std::string& provider_id, const std::vector<Booked>& ours,
                                const std::vector<ProviderRecord>& theirs, bool complete) {
  std::vector<Difference> out;
  std::vector<bool> matched(theirs.size(), false);
  auto diff = [&](const Payment& p, const std::string& ref, const char* kind, std::string detail) {
    out.push_back({provider_id, p.id, ref, kind, std::move(detail)});
  };
  for (const auto& b : ours) {
    const Payment& p = b.payment;
    std::string ref = p.provider_ref.value_or("");
    int64_t our_captured = p.captured + b.unallocated;
    // The ledger against the payment row: what is still refundable is captured - refunded - in flight.
    int64_t expected_sales = -(p.captured - b.refunds_succeeded - b.refunds_in_flight);
    if (b.sales_balance != expected_sales)
      diff(p, ref, "ledger_mismatch",
           "ledger sales:" + p.id + " is " + amt(-b.sales_balance, p.currency) + " refundable, the payment says " +
               amt(-expected_sales, p.currency));
    if (p.refunded != b.refunds_succeeded + b.credit_refunds_succeeded)
      diff(p, ref, "ledger_mismatch",
           "the payment says " + amt(p.refunded, p.currency) + " refunded, its succeeded refunds add up to " +
               amt(b.refunds_succeeded + b.credit_refunds_succeeded, p.currency));
    // The store credit the payment spent: still refundable to credit is spent - returned - in flight.
    bool spent = p.status == "paid" || p.status == "partially_refunded" || p.status == "refunded";
    int64_t expected_credit =
        -((spent ? p.credit_applied : 0) - b.credit_refunds_succeeded - b.credit_refunds_in_flight);
    if (b.sales_credit_balance != expected_credit)
      diff(p, ref, "ledger_mismatch",
           "ledger sales_credit:" + p.id + " is " + amt(-b.sales_credit_balance, p.currency) +
               " refundable to store credit, the payment says " + amt(-expected_credit, p.currency));
    // The provider's records of every attempt (an earlier attempt may have captured too).
    auto ours_ref = [&](const std::string& r) {
      if (r.empty()) return false;
      if (r == ref) return true;
      for (const auto& x : b.refs)
        if (x == r) return true;
      return false;
    };
    std::vector<const ProviderRecord*> recs;
    for (size_t i = 0; i < theirs.size(); ++i)
      if (ours_ref(theirs[i].ref) || (!theirs[i].payment_id.empty() && theirs[i].payment_id == p.id)) {
        recs.push_back(&theirs[i]);
        matched[i] = true;
      }
    bool known = false, refunds_known = true, itemized = true;
    int64_t their_captured = 0, their_refunded = 0;
    std::string their_currency;
    std::vector<const ProviderRefund*> items;
    for (const auto* r : recs) {
      if (!r->exists) continue;
      known = true;
      their_captured += r->captured;
      their_refunded += r->refunded;
      if (r->captured > 0) their_currency = r->currency;
      refunds_known = refunds_known && r->refunds_known;
      itemized = itemized && r->refunds_itemized;
      for (const auto& it : r->refund_items) items.push_back(&it);
    }
    if (!known) {
      if (our_captured > 0)
        diff(p, ref, "missing_at_provider",
             "Bottega booked " + amt(our_captured, p.currency) + " that the provider does not know" +
                 (ref.empty() ? std::string(" (no provider reference)") : " (" + ref + ")"));
      continue;
    }
    if (their_captured == 0 && our_captured > 0)
      diff(p, ref, "not_captured_at_provider", "Bottega booked " + amt(our_captured, p.currency) + ", the provider captured nothing");
    else if (their_captured > 0 && our_captured == 0)
      diff(p, ref, "missing_in_ledger",
           "the provider captured " + amt(their_captured, their_currency) + ", Bottega booked nothing (status " + p.status + ")");
    else if (their_captured != our_captured)
      diff(p, ref, "amount_mismatch",
           "the provider captured " + amt(their_captured, their_currency) + ", Bottega booked " + amt(our_captured, p.currency));
    if (their_captured > 0 && !their_currency.empty() && their_currency != p.currency)
      diff(p, ref, "currency_mismatch", "the provider captured in " + their_currency + ", the payment is in " + p.currency);
    if (refunds_known && itemized) {
      // Refund by refund: each of Bottega's succeeded refunds (its provider part) is settled at
      // the provider for the same amount; each refund the provider settled is one of Bottega's.
      std::vector<bool> used(items.size(), false);
      for (const auto& r : b.refunds) {
        int64_t leg = r.amount - r.credit_amount;
        if (leg <= 0) continue;  // wholly to store credit: never at the provider
        const ProviderRefund* found = nullptr;
        for (size_t i = 0; i < items.size() && !found; ++i)
          if ((r.provider_ref && !r.provider_ref->empty() && items[i]->ref == *r.provider_ref) || items[i]->refund_id == r.id) {
            found = items[i];
            used[i] = true;
          }
        if (r.status != "succeeded") continue;  // in flight or failed here: the provider may be ahead
        if (!found || !found->succeeded)
          diff(p, ref, "refund_missing_at_provider",
               "refund " + r.id + " of " + amt(leg, p.currency) + " succeeded in Bottega, the provider has " +
                   (found ? "it failed" : "no settled refund for it"));
        else if (found->amount != leg)
          diff(p, ref, "refund_amount_mismatch",
               "refund " + r.id + ": the provider refunded " + amt(found->amount, p.currency) + ", Bottega " +
                   amt(leg, p.currency));
      }
      for (size_t i = 0; i < items.size(); ++i)
        if (!used[i] && items[i]->succeeded)
          diff(p, ref, "refund_missing_in_ledger",
               "the provider refunded " + amt(items[i]->amount, p.currency) + " (" + items[i]->ref +
                   ") that Bottega has no refund for");
    } else if (refunds_known && their_refunded != b.refunds_succeeded)
      diff(p, ref, "refund_mismatch",
           "the provider refunded " + amt(their_refunded, p.currency) + ", Bottega's succeeded refunds are " +
               amt(b.refunds_succeeded, p.currency) +
               (b.refunds_in_flight ? " (" + amt(b.refunds_in_flight, p.currency) + " in flight)" : std::string()));
  }
  if (complete)
    for (size_t i = 0; i < theirs.size(); ++i)
      if (!matched[i] && theirs[i].exists && theirs[i].captured > 0)
        out.push_back({provider_id, theirs[i].payment_id, theirs[i].ref, "missing_in_ledger",
                       "the provider captured " + amt(theirs[i].captured, theirs[i].currency) +
                           " for a payment Bottega does not have"});
  return out;
}

Result<ProviderRecord> mollie_record(const std::string& ref, int status, std::string_view body) {
  BOTTEGA_TRY(events, psp::mollie::parse_payment(status, body));
  ProviderRecord r;
  r.ref = ref;
  if (events.empty()) {
    r.exists = false;
    return r;
  }
  for (const auto& e : events) {
    if (e.kind == PspEvent::Kind::paid) {
      r.captured = e.amount;
      r.currency = e.currency;
    }
    if (!e.payment_id.empty()) r.payment_id = e.payment_id;
    if (e.kind == PspEvent::Kind::refund_succeeded) r.refunded += e.amount;
    if (e.kind == PspEvent::Kind::refund_succeeded || e.kind == PspEvent::Kind::refund_failed)
      r.refund_items.push_back({e.refund_ref, e.refund_id, e.amount, e.kind == PspEvent::Kind::refund_succeeded});
  }
  r.refunds_itemized = true;
  return r;
}

Result<ProviderRecord> stripe_session_record(const std::string& ref, int status, std::string_view body,
                                             std::string* payment_intent) {
  ProviderRecord r;
  r.ref = ref;
  if (status == 404) {
    r.exists = false;
    return r;
  }
  if (status < 200 || status >= 300)
    return Error{Errc::unavailable, "provider_unavailable", "Stripe answered HTTP " + std::to_string(status), {}};
  auto o = json::parse_object(body);
  if (!o) return Error{Errc::unavailable, "provider_bad_response", "Stripe's session is not JSON", {}};
  r.payment_id = str_at(*o, "client_reference_id");
  if (str_at(*o, "payment_status") == "paid") {
    auto* t = o->if_contains("amount_total");
    r.captured = t && t->is_int64() ? t->as_int64() : 0;
    std::string cur = str_at(*o, "currency");
    for (auto& c : cur) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.currency = cur;
  }
  if (payment_intent) *payment_intent = str_at(*o, "payment_intent");
  return r;
}

Result<std::vector<ProviderRefund>> stripe_refunds(int status, std::string_view body) {
  if (status < 200 || status >= 300)
    return Error{Errc::unavailable, "provider_unavailable", "Stripe answered HTTP " + std::to_string(status), {}};
  auto o = json::parse_object(body);
  if (!o) return Error{Errc::unavailable, "provider_bad_response", "Stripe's refund list is not JSON", {}};
  auto* data = o->if_contains("data");
  if (!data || !data->is_array()) return Error{Errc::unavailable, "provider_bad_response", "Stripe's refund list has no data", {}};
  std::vector<ProviderRefund> out;
  for (const auto& v : data->as_array()) {
    if (!v.is_object()) continue;
    const auto& r = v.as_object();
    std::string st = str_at(r, "status");
    if (st != "succeeded" && st != "failed" && st != "canceled") continue;  // pending: not settled
    ProviderRefund x;
    x.ref = str_at(r, "id");
    if (auto* md = r.if_contains("metadata"); md && md->is_object()) x.refund_id = str_at(md->as_object(), "refund_id");
    auto* a = r.if_contains("amount");
    x.amount = a && a->is_int64() ? a->as_int64() : 0;
    x.succeeded = st == "succeeded";
    out.push_back(std::move(x));
  }
  return out;
}

Result<int64_t> stripe_refunded(int status, std::string_view body) {
  BOTTEGA_TRY(items, stripe_refunds(status, body));
  int64_t sum = 0;
  for (const auto& r : items) sum += r.succeeded ? r.amount : 0;
  return sum;
}

Result<ProviderRecord> adyen_link_record(const std::string& ref, int status, std::string_view body) {
  ProviderRecord r;
  r.ref = ref;
  r.refunds_known = false;
  if (status == 404) {
    r.exists = false;
    return r;
  }
  if (status < 200 || status >= 300)
    return Error{Errc::unavailable, "provider_unavailable", "Adyen answered HTTP " + std::to_string(status), {}};
  auto o = json::parse_object(body);
  if (!o) return Error{Errc::unavailable, "provider_bad_response", "Adyen's payment link is not JSON", {}};
  r.payment_id = str_at(*o, "reference");
  std::string st = str_at(*o, "status");
  if (st == "completed" || st == "paid") {
    auto* a = o->if_contains("amount");
    if (!a || !a->is_object()) return Error{Errc::unavailable, "provider_bad_response", "Adyen's payment link has no amount", {}};
    auto* v = a->as_object().if_contains("value");
    r.captured = v && v->is_int64() ? v->as_int64() : 0;
    r.currency = str_at(a->as_object(), "currency");
  }
  return r;
}

std::vector<Difference> compare_payouts(const std::string& provider_id, const std::vector<Payout>& ours,
                                        const std::vector<ProviderPayout>& theirs) {
  std::vector<Difference> out;
  std::vector<bool> matched(theirs.size(), false);
  for (const auto& p : ours) {
    const ProviderPayout* found = nullptr;
    for (size_t i = 0; i < theirs.size() && !found; ++i)
      if (theirs[i].payout_id == p.id || (p.provider_ref && theirs[i].ref == *p.provider_ref)) {
        found = &theirs[i];
        matched[i] = true;
      }
    if (p.status != "succeeded") continue;
    if (!found)
      out.push_back({provider_id, "", p.id, "payout_missing_at_provider",
                     "payout " + p.id + " of " + amt(p.amount, p.currency) + " succeeded in Bottega, the provider has no record of it"});
    else if (found->amount != p.amount || found->currency != p.currency)
      out.push_back({provider_id, "", p.id, "payout_amount_mismatch",
                     "payout " + p.id + ": the provider paid " + amt(found->amount, found->currency) + ", Bottega " +
                         amt(p.amount, p.currency)});
  }
  for (size_t i = 0; i < theirs.size(); ++i)
    if (!matched[i])
      out.push_back({provider_id, "", theirs[i].ref, "payout_missing_in_ledger",
                     "the provider paid out " + amt(theirs[i].amount, theirs[i].currency) + " (" + theirs[i].ref +
                         ") that Bottega has no payout for"});
  return out;
}

size_t Report::difference_count() const {
  size_t n = ledger.size();
  for (const auto& p : providers) n += p.differences.size();
  return n;
}

namespace {

struct ProviderData {
  Provider provider;
  std::vector<Booked> booked;
  std::vector<db::SandboxPayment> sandbox;
  std::vector<Payout> payouts;
  std::vector<db::SandboxPayout> sandbox_payouts;
  std::map<std::string, int64_t> psp_balance;  // currency -> ledger balance of psp:<provider>
};

// What the ledger should hold at the provider, per currency: captures (allocated or not) less the
// provider parts of refunds and the payouts, done or reserved.
std::map<std::string, int64_t> expected_at_provider(const ProviderData& d) {
  std::map<std::string, int64_t> out;
  for (const auto& b : d.booked)
    out[b.payment.currency] += b.payment.captured + b.unallocated - b.refunds_succeeded - b.refunds_in_flight;
  for (const auto& p : d.payouts)
    if (p.status == "succeeded" || p.status == "processing" || p.status == "pending_approval") out[p.currency] -= p.amount;
  return out;
}

Result<psp::AnyPspSettings> settings_of(const Provider& p) {
  const auto* a = psp::find_adapter(p.type);
  if (!a) return Error::internal("unknown provider type " + p.type);
  boost::system::error_code ec;
  auto v = bj::parse(p.settings_json, ec);
  if (ec || !v.is_object()) return Error::internal("provider settings unreadable");
  return a->parse_settings(v.as_object());
}

bool safe_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 200;
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return ok;
}

Difference fetch_failed(const Provider& prov, const Payment& p, const Error& e) {
  return {prov.id, p.id, p.provider_ref.value_or(""), "fetch_failed", e.message};
}

}  // namespace

Result<Report> run(store::Store& store, const std::string& tenant, const std::optional<std::string>& provider_id,
                   const Fetch& fetch) {
  std::vector<ProviderData> data;
  std::vector<std::string> invariants;
  bool unknown = false;
  store::read_sync(store, [&](store::Tx& tx) {
    for (auto& prov : db::list_providers(tx, tenant)) {
      if (provider_id && prov.id != *provider_id) continue;
      ProviderData d;
      for (auto& p : db::list_provider_payments(tx, tenant, prov.id)) {
        Booked b;
        for (const auto& r : db::list_refunds(tx, tenant, p.id)) {
          if (r.status == "succeeded") {
            b.refunds_succeeded += r.amount - r.credit_amount;
            b.credit_refunds_succeeded += r.credit_amount;
          } else if (r.status == "processing" || r.status == "pending_approval") {
            b.refunds_in_flight += r.amount - r.credit_amount;
            b.credit_refunds_in_flight += r.credit_amount;
          }
        }
        b.sales_balance = ledger::balance(tx, tenant, "sales:" + p.id, p.currency);
        b.sales_credit_balance = ledger::balance(tx, tenant, "sales_credit:" + p.id, p.currency);
        b.refunds = db::list_refunds(tx, tenant, p.id);
        for (const auto& a : db::audit_of(tx, tenant, p.id))  // every attempt's provider reference
          if (a.action == "payment.attempt" && a.reason && !a.reason->empty() &&
              std::find(b.refs.begin(), b.refs.end(), *a.reason) == b.refs.end())
            b.refs.push_back(*a.reason);
        if (p.provider_ref && std::find(b.refs.begin(), b.refs.end(), *p.provider_ref) == b.refs.end())
          b.refs.push_back(*p.provider_ref);
        b.unallocated = -ledger::balance(tx, tenant, "unallocated:" + p.id, p.currency);
        b.payment = std::move(p);
        d.booked.push_back(std::move(b));
      }
      if (prov.type == "sandbox") {
        d.sandbox = db::list_sandbox_payments(tx, tenant, prov.id);
        d.sandbox_payouts = db::list_sandbox_payouts(tx, tenant, prov.id);
      }
      d.payouts = db::list_provider_payouts(tx, tenant, prov.id);
      for (const auto& bal : ledger::balances(tx, tenant))
        if (bal.account == "psp:" + prov.id) d.psp_balance[bal.currency] = bal.balance;
      d.provider = std::move(prov);
      data.push_back(std::move(d));
    }
    unknown = provider_id && data.empty();
    invariants = ledger::check_invariants(tx, tenant);
  });
  if (unknown) return Error::not_found("payment provider");
  Report report;
  for (const auto& line : invariants) report.ledger.push_back({"", "", "", "ledger_invariant", line});
  for (auto& d : data) {
    ProviderReport pr;
    pr.provider_id = d.provider.id;
    pr.type = d.provider.type;
    pr.name = d.provider.name;
    std::vector<ProviderRecord> theirs;
    bool complete = false;
    auto settings = settings_of(d.provider);
    if (!settings) {
      pr.skipped = "settings unreadable: " + settings.error().message;
      report.providers.push_back(std::move(pr));
      continue;
    }
    if (d.provider.type == "sandbox") {
      complete = true;
      for (const auto& s : d.sandbox) {
        ProviderRecord r;
        r.ref = s.id;
        r.payment_id = s.payment_id;
        r.currency = s.currency;
        if (s.status == "succeeded") r.captured = s.amount;
        r.refunded = s.refunded;
        theirs.push_back(std::move(r));
      }
      for (const auto& b : d.booked) pr.payments_checked += b.payment.provider_ref ? 1 : 0;
    } else if (d.provider.type == "mollie") {
      const auto& s = std::get<psp::mollie::Settings>(*settings);
      for (const auto& b : d.booked) {
        if (b.refs.empty()) continue;
        ++pr.payments_checked;
        for (const auto& ref : b.refs) {
          auto req = psp::mollie::build_fetch(s, ref);
          if (!req) {
            pr.differences.push_back(fetch_failed(d.provider, b.payment, req.error()));
            continue;
          }
          auto res = fetch(std::move(req).value());
          auto rec = res ? mollie_record(ref, res->status, res->body) : Result<ProviderRecord>(res.error());
          if (!rec) pr.differences.push_back(fetch_failed(d.provider, b.payment, rec.error()));
          else theirs.push_back(std::move(rec).value());
        }
      }
    } else if (d.provider.type == "stripe") {
      const auto& s = std::get<psp::stripe::Settings>(*settings);
      auto get = [&](const std::string& path) {
        HttpRequest r;
        r.method = "GET";
        r.url = s.api_base_url + path;
        r.headers = {{"Authorization", "Bearer " + s.secret_key}};
        return fetch(std::move(r));
      };
      for (const auto& b : d.booked) {
        if (b.refs.empty()) continue;
        ++pr.payments_checked;
        for (const auto& ref : b.refs) {
          if (!safe_id(ref)) {
            pr.differences.push_back(fetch_failed(d.provider, b.payment, Error::invalid("provider_ref", "malformed session id")));
            continue;
          }
          auto res = get("/v1/checkout/sessions/" + ref);
          std::string pi;
          auto rec = res ? stripe_session_record(ref, res->status, res->body, &pi) : Result<ProviderRecord>(res.error());
          if (rec && !pi.empty()) {
            auto refunds = safe_id(pi) ? get("/v1/refunds?limit=100&payment_intent=" + pi)
                                       : Result<HttpResponse>(Error::invalid("payment_intent", "malformed"));
            auto items = refunds ? stripe_refunds(refunds->status, refunds->body)
                                 : Result<std::vector<ProviderRefund>>(refunds.error());
            if (!items) {
              rec = std::move(items).error();
            } else {
              rec->refunds_itemized = true;
              for (const auto& it : *items) rec->refunded += it.succeeded ? it.amount : 0;
              rec->refund_items = std::move(items).value();
            }
          }
          if (!rec) pr.differences.push_back(fetch_failed(d.provider, b.payment, rec.error()));
          else theirs.push_back(std::move(rec).value());
        }
      }
    } else if (d.provider.type == "adyen") {
      // Pay by Link: GET /v72/paymentLinks/{id} says whether (and for how much) a link was paid.
      // Adyen's API cannot read refunds back (they are in the settlement details report).
      const auto& s = std::get<psp::adyen::Settings>(*settings);
      for (const auto& b : d.booked) {
        bool any = false;
        for (const auto& ref : b.refs) {
          if (ref.rfind("PL", 0) != 0) continue;
          any = true;
          if (!safe_id(ref)) {
            pr.differences.push_back(fetch_failed(d.provider, b.payment, Error::invalid("provider_ref", "malformed link id")));
            continue;
          }
          HttpRequest r;
          r.method = "GET";
          r.url = s.api_base_url + "/v72/paymentLinks/" + ref;
          r.headers = {{"X-API-Key", s.api_key}};
          auto res = fetch(std::move(r));
          auto rec = res ? adyen_link_record(ref, res->status, res->body) : Result<ProviderRecord>(res.error());
          if (!rec) pr.differences.push_back(fetch_failed(d.provider, b.payment, rec.error()));
          else theirs.push_back(std::move(rec).value());
        }
        pr.payments_checked += any ? 1 : 0;
      }
      pr.refunds_unchecked = "Adyen's API cannot read refunds back (its settlement details report is not offered by the simulator)";
    } else {
      pr.skipped = "unknown provider type " + d.provider.type;
      report.providers.push_back(std::move(pr));
      continue;
    }
    for (auto& x : compare(d.provider.id, d.booked, theirs, complete)) pr.differences.push_back(std::move(x));
    if (d.provider.type == "sandbox") {
      std::vector<ProviderPayout> paid_out;
      for (const auto& s : d.sandbox_payouts) paid_out.push_back({s.id, s.payout_id, s.amount, s.currency});
      for (auto& x : compare_payouts(d.provider.id, d.payouts, paid_out)) pr.differences.push_back(std::move(x));
    }
    pr.payouts_checked = static_cast<int>(d.payouts.size());
    // The ledger's money at the provider against the payments, refunds and payouts.
    auto expected = expected_at_provider(d);
    for (const auto& [cur, bal] : d.psp_balance) expected.emplace(cur, 0);
    for (const auto& [cur, want] : expected) {
      auto it = d.psp_balance.find(cur);
      int64_t have = it == d.psp_balance.end() ? 0 : it->second;
      if (have != want)
        pr.differences.push_back({d.provider.id, "", "", "psp_balance_mismatch",
                                  "ledger psp:" + d.provider.id + " holds " + amt(have, cur) +
                                      ", its payments, refunds and payouts add up to " + amt(want, cur)});
    }
    report.providers.push_back(std::move(pr));
  }
  return report;
}

bj::object to_json(const Report& r) {
  auto diff_json = [](const Difference& d) {
    bj::object o{{"kind", d.kind}, {"detail", d.detail}};
    if (!d.provider_id.empty()) o["provider_id"] = d.provider_id;
    if (!d.payment_id.empty()) o["payment_id"] = d.payment_id;
    if (!d.ref.empty()) o["provider_ref"] = d.ref;
    return o;
  };
  bj::array providers;
  for (const auto& p : r.providers) {
    bj::array diffs;
    for (const auto& d : p.differences) diffs.push_back(diff_json(d));
    bj::object o{{"id", p.provider_id}, {"type", p.type}, {"name", p.name}, {"payments_checked", p.payments_checked},
                 {"payouts_checked", p.payouts_checked}, {"differences", std::move(diffs)}};
    if (p.skipped) o["skipped"] = *p.skipped;
    if (p.refunds_unchecked) o["refunds_unchecked"] = *p.refunds_unchecked;
    providers.push_back(std::move(o));
  }
  bj::array ledger;
  for (const auto& d : r.ledger) ledger.push_back(diff_json(d));
  return bj::object{{"differences", r.difference_count()}, {"providers", std::move(providers)}, {"ledger", std::move(ledger)}};
}

}  // namespace bottega::payments::reconcile
