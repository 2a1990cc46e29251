#include "payments/psp/stripe/stripe.hpp"

#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::payments::psp::stripe {

namespace bj = boost::json;

Result<Settings> parse_settings(const bj::object& o) {
  for (const auto& kv : o)
    if (kv.key() != "secret_key" && kv.key() != "webhook_secret" && kv.key() != "api_base_url")
      return Error::invalid("settings." + std::string(kv.key()), "unknown setting", "unknown_field");
  Settings s;
  BOTTEGA_TRY(key, json::required_string(o, "secret_key", "settings.secret_key", 500));
  BOTTEGA_TRY(whsec, json::required_string(o, "webhook_secret", "settings.webhook_secret", 500));
  BOTTEGA_TRY(base, json::optional_string(o, "api_base_url", "settings.api_base_url", 2000));
  if (key.empty()) return Error::invalid("settings.secret_key", "secret_key is required", "missing_field");
  if (whsec.empty()) return Error::invalid("settings.webhook_secret", "webhook_secret is required", "missing_field");
  s.secret_key = key;
  s.webhook_secret = whsec;
  if (base) {
    if (base->rfind("http://", 0) != 0 && base->rfind("https://", 0) != 0)
      return Error::invalid("settings.api_base_url", "an absolute http(s) URL");
    s.api_base_url = *base;
    while (!s.api_base_url.empty() && s.api_base_url.back() == '/') s.api_base_url.pop_back();
  }
  return s;
}

Status verify_signature(std::string_view h, std::string_view body, std::string_view secret, int64_t now,
                        int64_t tolerance) {
  if (h.empty()) return Error{Errc::unauthenticated, "signature_missing", "Stripe-Signature header missing", {}};
  int64_t t = -1;
  std::vector<std::string_view> v1;
  while (!h.empty()) {
    size_t comma = h.find(',');
    std::string_view part = h.substr(0, comma);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
      if (k == "t") {
        t = (v.empty() || v.size() > 12) ? -1 : 0;
        for (char c : v) {
          if (c < '0' || c > '9') { t = -1; break; }
          t = t * 10 + (c - '0');
        }
      } else if (k == "v1") {
        v1.push_back(v);
      }
    }
    if (comma == std::string_view::npos) break;
    h.remove_prefix(comma + 1);
  }
  if (t < 0 || v1.empty()) return Error{Errc::unauthenticated, "signature_malformed", "Stripe-Signature malformed", {}};
  std::string expected = crypto::hex(crypto::hmac_sha256(secret, std::to_string(t) + "." + std::string(body)));
  bool ok = false;
  for (auto sig : v1) ok = crypto::equal_ct(sig, expected) || ok;
  if (!ok) return Error{Errc::unauthenticated, "signature_mismatch", "no Stripe-Signature v1 matches", {}};
  if (now - t > tolerance || t - now > tolerance)
    return Error{Errc::unauthenticated, "signature_too_old", "Stripe-Signature timestamp outside the tolerance", {}};
  return {};
}

Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms) {
  return verify_signature(req.header("stripe-signature"), req.body, s.webhook_secret, now_ms / 1000);
}

namespace {

std::string str_at(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
int64_t int_at(const bj::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : (v && v->is_uint64() ? static_cast<int64_t>(v->as_uint64()) : 0);
}
std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string metadata(const bj::object& o, std::string_view k) {
  auto* m = o.if_contains("metadata");
  return m && m->is_object() ? str_at(m->as_object(), k) : std::string();
}

Error provider_error(int status, std::string_view body) {
  std::string msg = "Stripe answered HTTP " + std::to_string(status);
  auto parsed = json::parse_object(body);
  if (parsed.ok())
    if (auto* e = parsed->if_contains("error"); e && e->is_object()) msg += ": " + str_at(e->as_object(), "message");
  if (status == 429 || status >= 500 || status == 409) return Error{Errc::unavailable, "provider_unavailable", msg, {}};
  return Error{Errc::unprocessable, "provider_rejected", msg, {}};
}

}  // namespace

Result<std::vector<PspEvent>> parse_webhook(std::string_view body) {
  BOTTEGA_TRY(o, json::parse_object(body, {1 << 20, 32}));
  BOTTEGA_TRY(id, json::required_string(o, "id", {}, 255));
  BOTTEGA_TRY(type, json::required_string(o, "type", {}, 255));
  BOTTEGA_TRY(data, json::optional_object(o, "data"));
  if (!data) return Error::invalid("data", "data is required", "missing_field");
  BOTTEGA_TRY(obj, json::optional_object(*data, "object", "data.object"));
  if (!obj) return Error::invalid("data.object", "data.object is required", "missing_field");
  PspEvent e;
  e.event_id = id;
  e.raw_type = type;
  const bj::object& x = *obj;
  if (type.rfind("checkout.session.", 0) == 0) {
    e.provider_ref = str_at(x, "id");
    e.payment_id = str_at(x, "client_reference_id");
    if (e.payment_id.empty()) e.payment_id = metadata(x, "payment_id");
    e.payment_ref = str_at(x, "payment_intent");
    e.amount = int_at(x, "amount_total");
    e.currency = upper(str_at(x, "currency"));
    std::string ps = str_at(x, "payment_status");
    if (type == "checkout.session.completed") e.kind = ps == "paid" ? PspEvent::Kind::paid : PspEvent::Kind::processing;
    else if (type == "checkout.session.async_payment_succeeded") e.kind = PspEvent::Kind::paid;
    else if (type == "checkout.session.async_payment_failed") e.kind = PspEvent::Kind::failed;
    else if (type == "checkout.session.expired") e.kind = PspEvent::Kind::expired;
    if (e.kind != PspEvent::Kind::ignored && e.provider_ref.empty())
      return Error::invalid("data.object.id", "the session id is missing", "missing_field");
  } else if (type == "refund.created" || type == "refund.updated" || type == "refund.failed") {
    e.refund_ref = str_at(x, "id");
    e.refund_id = metadata(x, "refund_id");
    e.payment_ref = str_at(x, "payment_intent");
    e.amount = int_at(x, "amount");
    e.currency = upper(str_at(x, "currency"));
    std::string st = str_at(x, "status");
    if (st == "succeeded") e.kind = PspEvent::Kind::refund_succeeded;
    else if (st == "failed" || st == "canceled" || type == "refund.failed") e.kind = PspEvent::Kind::refund_failed;
    e.reason = str_at(x, "failure_reason");
  }
  return std::vector<PspEvent>{std::move(e)};
}

std::string form_escape(std::string_view s) {
  static const char* hexd = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else if (c == ' ') out.push_back('+');
    else {
      out.push_back('%');
      out.push_back(hexd[c >> 4]);
      out.push_back(hexd[c & 15]);
    }
  }
  return out;
}

namespace {
void add(std::string& body, std::string_view k, std::string_view v) {
  if (!body.empty()) body.push_back('&');
  body += form_escape(k);
  body.push_back('=');
  body += form_escape(v);
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c) {
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v1/checkout/sessions";
  r.headers = {{"Authorization", "Bearer " + s.secret_key},
               {"Content-Type", "application/x-www-form-urlencoded"},
               {"Idempotency-Key", c.attempt_id}};
  std::string b;
  add(b, "mode", "payment");
  std::string cur = lower(c.currency);
  if (c.items.empty()) {
    add(b, "line_items[0][price_data][currency]", cur);
    add(b, "line_items[0][price_data][unit_amount]", std::to_string(c.amount));
    add(b, "line_items[0][price_data][product_data][name]", c.description.empty() ? c.payment_id : c.description);
    add(b, "line_items[0][quantity]", "1");
  } else {
    for (size_t i = 0; i < c.items.size() && i < 100; ++i) {
      std::string p = "line_items[" + std::to_string(i) + "]";
      add(b, p + "[price_data][currency]", cur);
      add(b, p + "[price_data][unit_amount]", std::to_string(c.items[i].unit_amount));
      add(b, p + "[price_data][product_data][name]", c.items[i].name);
      add(b, p + "[quantity]", std::to_string(c.items[i].quantity));
    }
  }
  add(b, "success_url", c.return_url);
  add(b, "cancel_url", c.cancel_url);
  add(b, "client_reference_id", c.payment_id);
  add(b, "metadata[payment_id]", c.payment_id);
  add(b, "payment_intent_data[metadata][payment_id]", c.payment_id);
  if (c.expires_at_ms > 0) add(b, "expires_at", std::to_string(c.expires_at_ms / 1000));
  if (!c.locale.empty()) add(b, "locale", c.locale);
  r.body = std::move(b);
  return r;
}

Result<CheckoutSession> parse_checkout(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  BOTTEGA_TRY(o, json::parse_object(body));
  CheckoutSession s;
  s.provider_ref = str_at(o, "id");
  s.redirect_url = str_at(o, "url");
  if (s.provider_ref.empty() || s.redirect_url.empty())
    return Error{Errc::unavailable, "provider_bad_response", "Stripe's session has no id or url", {}};
  return s;
}

Result<HttpRequest> build_refund(const Settings& s, const RefundCall& rc) {
  if (rc.provider_ref.empty()) return Error::conflict("no_payment_reference", "the payment has no Stripe payment_intent yet");
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v1/refunds";
  r.headers = {{"Authorization", "Bearer " + s.secret_key},
               {"Content-Type", "application/x-www-form-urlencoded"},
               {"Idempotency-Key", rc.refund_id}};
  std::string b;
  add(b, "payment_intent", rc.provider_ref);
  add(b, "amount", std::to_string(rc.amount));
  add(b, "reason", "requested_by_customer");
  add(b, "metadata[refund_id]", rc.refund_id);
  r.body = std::move(b);
  return r;
}

Result<RefundOutcome> parse_refund(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  BOTTEGA_TRY(o, json::parse_object(body));
  RefundOutcome out;
  out.provider_ref = str_at(o, "id");
  std::string st = str_at(o, "status");
  if (st == "succeeded") out.state = RefundOutcome::State::succeeded;
  else if (st == "failed" || st == "canceled") {
    out.state = RefundOutcome::State::failed;
    out.error = str_at(o, "failure_reason");
  }
  return out;
}

}  // namespace bottega::payments::psp::stripe
