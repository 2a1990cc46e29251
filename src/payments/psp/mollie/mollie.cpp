#include "payments/psp/mollie/mollie.hpp"

#include <boost/json/serialize.hpp>

#include "channels/form.hpp"
#include "commerce/money.hpp"
#include "core/json.hpp"

namespace bottega::payments::psp::mollie {

namespace bj = boost::json;

namespace {

std::string str_at(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const bj::object* obj_at(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

// Mollie ids: a prefix, '_', then letters and digits (tr_44aKxzEbr8, re_4qqhO89gsT).
bool valid_id(std::string_view id, std::string_view prefix) {
  if (id.size() <= prefix.size() || id.size() > 64 || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size()))
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

Error provider_error(int status, std::string_view body) {
  std::string msg = "Mollie answered HTTP " + std::to_string(status);
  auto parsed = json::parse_object(body);
  if (parsed.ok()) {
    std::string detail = str_at(*parsed, "detail");
    if (!detail.empty()) msg += ": " + detail;
  }
  if (status == 429 || status >= 500 || status == 409) return Error{Errc::unavailable, "provider_unavailable", msg, {}};
  return Error{Errc::unprocessable, "provider_rejected", msg, {}};
}

std::string locale_of(std::string_view lang) {
  if (lang == "it") return "it_IT";
  if (lang == "de") return "de_DE";
  if (lang == "nl") return "nl_NL";
  if (lang == "en") return "en_US";
  return {};
}

std::vector<std::pair<std::string, std::string>> headers(const Settings& s, std::string_view idempotency_key) {
  std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + s.api_key},
                                                     {"Accept", "application/hal+json"}};
  if (!idempotency_key.empty()) {
    h.emplace_back("Content-Type", "application/json");
    h.emplace_back("Idempotency-Key", std::string(idempotency_key));
  }
  return h;
}

}  // namespace

Result<Settings> parse_settings(const bj::object& o) {
  for (const auto& kv : o)
    if (kv.key() != "api_key" && kv.key() != "api_base_url")
      return Error::invalid("settings." + std::string(kv.key()), "unknown setting", "unknown_field");
  BOTTEGA_TRY(key, json::required_string(o, "api_key", "settings.api_key", 500));
  BOTTEGA_TRY(base, json::optional_string(o, "api_base_url", "settings.api_base_url", 2000));
  if (key.rfind("test_", 0) != 0 && key.rfind("live_", 0) != 0)
    return Error::invalid("settings.api_key", "a Mollie API key starts with test_ or live_");
  Settings s;
  s.api_key = key;
  if (base) {
    if (base->rfind("http://", 0) != 0 && base->rfind("https://", 0) != 0)
      return Error::invalid("settings.api_base_url", "an absolute http(s) URL");
    s.api_base_url = *base;
    while (!s.api_base_url.empty() && s.api_base_url.back() == '/') s.api_base_url.pop_back();
  }
  return s;
}

namespace {
Result<std::string> webhook_id(std::string_view body) {
  if (body.empty()) return Error{Errc::unauthenticated, "signature_missing", "Mollie notification without an id", {}};
  if (body.size() > 1024) return Error{Errc::unauthenticated, "signature_malformed", "Mollie notification too large", {}};
  auto params = channels::form::parse(body, 8, 1024);
  if (!params) return Error{Errc::unauthenticated, "signature_malformed", "Mollie notification is not a form", {}};
  const std::string* id = channels::form::find(*params, "id");
  if (!id) return Error{Errc::unauthenticated, "signature_missing", "Mollie notification without an id", {}};
  if (!valid_id(*id, "tr_"))
    return Error{Errc::unauthenticated, "signature_malformed", "Mollie notification id is not a payment id", {}};
  return *id;
}
}  // namespace

Status verify(const WebhookRequest& req, const Settings&, int64_t) {
  BOTTEGA_TRY(id, webhook_id(req.body));
  (void)id;
  return {};
}

Result<std::vector<PspEvent>> parse_webhook(std::string_view body) {
  auto id = webhook_id(body);
  if (!id) return Error::invalid("id", id.error().message, "unparsable");
  PspEvent e;
  e.kind = PspEvent::Kind::ignored;
  e.provider_ref = *id;
  e.raw_type = "webhook";
  return std::vector<PspEvent>{std::move(e)};
}

Result<HttpRequest> build_fetch(const Settings& s, std::string_view payment_id) {
  if (!valid_id(payment_id, "tr_")) return Error::invalid("id", "not a Mollie payment id");
  HttpRequest r;
  r.method = "GET";
  r.url = s.api_base_url + "/v2/payments/" + std::string(payment_id) + "?embed=refunds";
  r.headers = headers(s, {});
  return r;
}

Result<std::string> format_value(int64_t minor, std::string_view currency) {
  if (!commerce::is_currency(currency))
    return Error::invalid("currency", "Bottega does not know the decimals of " + std::string(currency), "unsupported_currency");
  return commerce::format_amount(minor, currency);
}

Result<int64_t> parse_value(const bj::object& amount, std::string* currency_out) {
  std::string cur = str_at(amount, "currency");
  std::string value = str_at(amount, "value");
  if (!commerce::is_currency(cur)) return Error::invalid("amount.currency", "unknown currency", "unsupported_currency");
  auto minor = commerce::parse_amount(value, cur, "amount.value");
  if (!minor) return std::move(minor).error();
  if (*minor < 0) return Error::invalid("amount.value", "a negative amount");
  // Mollie writes exactly the currency's decimals; a value with more is refused by parse_amount.
  if (currency_out) *currency_out = cur;
  return *minor;
}

Result<std::vector<PspEvent>> parse_payment(int status, std::string_view body) {
  if (status == 404 || status == 410) return std::vector<PspEvent>{};
  if (status < 200 || status >= 300) return provider_error(status, body);
  auto parsed = json::parse_object(body, {1 << 20, 32});
  if (!parsed) return Error{Errc::unavailable, "provider_bad_response", "Mollie's payment is not JSON", {}};
  const bj::object& o = *parsed;
  std::string id = str_at(o, "id");
  std::string st = str_at(o, "status");
  if (str_at(o, "resource") != "payment" || !valid_id(id, "tr_") || st.empty())
    return Error{Errc::unavailable, "provider_bad_response", "Mollie's answer is not a payment", {}};
  const bj::object* amount = obj_at(o, "amount");
  if (!amount) return Error{Errc::unavailable, "provider_bad_response", "Mollie's payment has no amount", {}};
  std::string currency;
  BOTTEGA_TRY(minor, parse_value(*amount, &currency));
  std::string payment_id;
  if (const bj::object* md = obj_at(o, "metadata")) payment_id = str_at(*md, "payment_id");

  std::vector<PspEvent> out;
  PspEvent e;
  e.event_id = id + ":" + st;
  e.raw_type = "payment." + st;
  e.payment_id = payment_id;
  e.provider_ref = id;
  e.payment_ref = id;
  e.amount = minor;
  e.currency = currency;
  if (st == "paid") e.kind = PspEvent::Kind::paid;
  else if (st == "pending" || st == "authorized") e.kind = PspEvent::Kind::processing;
  else if (st == "failed" || st == "canceled") e.kind = PspEvent::Kind::failed;
  else if (st == "expired") e.kind = PspEvent::Kind::expired;
  else e.kind = PspEvent::Kind::ignored;  // open: nothing happened yet
  if (e.kind == PspEvent::Kind::failed) e.reason = st;
  out.push_back(std::move(e));  // open: ignored, recorded like any event

  // Refunds settle later and are notified with the payment's id: the embedded refunds say which.
  if (const bj::object* emb = obj_at(o, "_embedded")) {
    auto* refunds = emb->if_contains("refunds");
    if (refunds && refunds->is_array()) {
      for (const auto& rv : refunds->as_array()) {
        if (!rv.is_object()) continue;
        const bj::object& r = rv.as_object();
        std::string rid = str_at(r, "id");
        std::string rst = str_at(r, "status");
        PspEvent re;
        if (rst == "refunded") re.kind = PspEvent::Kind::refund_succeeded;
        else if (rst == "failed" || rst == "canceled") re.kind = PspEvent::Kind::refund_failed;
        else continue;  // queued, pending, processing: not settled yet
        if (!valid_id(rid, "re_")) return Error{Errc::unavailable, "provider_bad_response", "a Mollie refund without its id", {}};
        re.event_id = rid + ":" + rst;
        re.raw_type = "refund." + rst;
        re.refund_ref = rid;
        re.payment_ref = id;
        re.provider_ref = id;
        if (const bj::object* md = obj_at(r, "metadata")) re.refund_id = str_at(*md, "refund_id");
        if (const bj::object* ra = obj_at(r, "amount")) {
          BOTTEGA_TRY(ramount, parse_value(*ra, &re.currency));
          re.amount = ramount;
        }
        if (re.kind == PspEvent::Kind::refund_failed) re.reason = rst;
        out.push_back(std::move(re));
      }
    }
  }
  return out;
}

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c) {
  BOTTEGA_TRY(value, format_value(c.amount, c.currency));
  bj::object body{{"amount", bj::object{{"currency", c.currency}, {"value", value}}},
                  {"description", (c.description.empty() ? c.payment_id : c.description).substr(0, 255)},
                  {"redirectUrl", c.return_url},
                  {"webhookUrl", c.webhook_url},
                  {"metadata", bj::object{{"payment_id", c.payment_id}, {"attempt_id", c.attempt_id}}}};
  if (!c.cancel_url.empty()) body["cancelUrl"] = c.cancel_url;
  if (std::string l = locale_of(c.locale); !l.empty()) body["locale"] = l;
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v2/payments";
  r.headers = headers(s, c.attempt_id);
  r.body = bj::serialize(body);
  return r;
}

Result<CheckoutSession> parse_checkout(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  auto parsed = json::parse_object(body);
  if (!parsed) return Error{Errc::unavailable, "provider_bad_response", "Mollie's payment is not JSON", {}};
  CheckoutSession s;
  s.provider_ref = str_at(*parsed, "id");
  if (const bj::object* links = obj_at(*parsed, "_links"))
    if (const bj::object* checkout = obj_at(*links, "checkout")) s.redirect_url = str_at(*checkout, "href");
  if (!valid_id(s.provider_ref, "tr_") || s.redirect_url.empty())
    return Error{Errc::unavailable, "provider_bad_response", "Mollie's payment has no id or checkout link", {}};
  return s;
}

Result<HttpRequest> build_refund(const Settings& s, const RefundCall& rc) {
  if (!valid_id(rc.provider_ref, "tr_"))
    return Error::conflict("no_payment_reference", "the payment has no Mollie payment id");
  BOTTEGA_TRY(value, format_value(rc.amount, rc.currency));
  bj::object body{{"amount", bj::object{{"currency", rc.currency}, {"value", value}}},
                  {"description", rc.reason.substr(0, 140)},
                  {"metadata", bj::object{{"refund_id", rc.refund_id}}}};
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v2/payments/" + rc.provider_ref + "/refunds";
  r.headers = headers(s, rc.refund_id);
  r.body = bj::serialize(body);
  return r;
}

Result<RefundOutcome> parse_refund(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  auto parsed = json::parse_object(body);
  if (!parsed) return Error{Errc::unavailable, "provider_bad_response", "Mollie's refund is not JSON", {}};
  RefundOutcome out;
  out.provider_ref = str_at(*parsed, "id");
  if (!valid_id(out.provider_ref, "re_"))
    return Error{Errc::unavailable, "provider_bad_response", "Mollie's refund has no id", {}};
  std::string st = str_at(*parsed, "status");
  if (st == "refunded") out.state = RefundOutcome::State::succeeded;
  else if (st == "failed" || st == "canceled") {
    out.state = RefundOutcome::State::failed;
    out.error = "Mollie refund " + st;
  }
  return out;
}

}  // namespace bottega::payments::psp::mollie
