#include "payments/psp/sandbox/sandbox.hpp"

#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::payments::psp::sandbox {

namespace bj = boost::json;

Result<Settings> parse_settings(const bj::object& o) {
  for (const auto& kv : o)
    if (kv.key() != "webhook_secret" && kv.key() != "async_delay_ms" && kv.key() != "api_base_url")
      return Error::invalid("settings." + std::string(kv.key()), "unknown setting", "unknown_field");
  Settings s;
  BOTTEGA_TRY(secret, json::optional_string(o, "webhook_secret", "settings.webhook_secret", 200));
  if (secret) {
    if (secret->size() < 16) return Error::invalid("settings.webhook_secret", "at least 16 characters");
    s.webhook_secret = *secret;
  }
  BOTTEGA_TRY(delay, json::optional_int(o, "async_delay_ms", "settings.async_delay_ms"));
  if (delay) {
    if (*delay < 0 || *delay > 600000) return Error::invalid("settings.async_delay_ms", "0..600000");
    s.async_delay_ms = *delay;
  }
  BOTTEGA_TRY(base, json::optional_string(o, "api_base_url", "settings.api_base_url", 2000));
  (void)base;
  return s;
}

std::string sign(std::string_view secret, int64_t t, std::string_view body) {
  std::string msg = std::to_string(t) + "." + std::string(body);
  return "t=" + std::to_string(t) + ",v1=" + crypto::hex(crypto::hmac_sha256(secret, msg));
}

Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms) {
  std::string_view h = req.header("sandbox-signature");
  if (h.empty()) return Error{Errc::unauthenticated, "signature_missing", "Sandbox-Signature header missing", {}};
  if (s.webhook_secret.empty()) return Error{Errc::unauthenticated, "no_secret", "the provider has no webhook secret", {}};
  int64_t t = -1;
  std::vector<std::string_view> v1;
  while (!h.empty()) {
    size_t comma = h.find(',');
    std::string_view part = h.substr(0, comma);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
      if (k == "t") {
        t = 0;
        if (v.empty() || v.size() > 12) t = -1;
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
  if (t < 0 || v1.empty()) return Error{Errc::unauthenticated, "signature_malformed", "Sandbox-Signature malformed", {}};
  int64_t now = now_ms / 1000;
  if (now - t > 300 || t - now > 300)
    return Error{Errc::unauthenticated, "signature_too_old", "Sandbox-Signature timestamp outside the tolerance", {}};
  std::string expected = crypto::hex(crypto::hmac_sha256(s.webhook_secret, std::to_string(t) + "." + req.body));
  bool ok = false;
  for (auto sig : v1) ok = crypto::equal_ct(sig, expected) || ok;
  if (!ok) return Error{Errc::unauthenticated, "signature_mismatch", "Sandbox-Signature does not match", {}};
  return {};
}

Result<std::vector<PspEvent>> parse_webhook(std::string_view body) {
  BOTTEGA_TRY(o, json::parse_object(body, {1 << 16, 8}));
  BOTTEGA_TRY(id, json::required_string(o, "id", {}, 200));
  // The id is what deliveries are deduplicated by: an empty one would make every such event "seen".
  if (id.empty()) return Error::invalid("id", "must not be empty");
  BOTTEGA_TRY(type, json::required_string(o, "type", {}, 100));
  BOTTEGA_TRY(data, json::optional_object(o, "data"));
  if (!data) return Error::invalid("data", "data is required", "missing_field");
  PspEvent e;
  e.event_id = id;
  e.raw_type = type;
  BOTTEGA_TRY(session, json::optional_string(*data, "session", "data.session", 200));
  BOTTEGA_TRY(ref, json::optional_string(*data, "reference", "data.reference", 200));
  BOTTEGA_TRY(amount, json::optional_int(*data, "amount", "data.amount"));
  BOTTEGA_TRY(currency, json::optional_string(*data, "currency", "data.currency", 3));
  BOTTEGA_TRY(refund, json::optional_string(*data, "refund", "data.refund", 200));
  BOTTEGA_TRY(refund_ref, json::optional_string(*data, "refund_ref", "data.refund_ref", 200));
  BOTTEGA_TRY(reason, json::optional_string(*data, "reason", "data.reason", 500));
  e.provider_ref = session.value_or("");
  e.payment_ref = e.provider_ref;
  e.payment_id = ref.value_or("");
  e.amount = amount.value_or(0);
  e.currency = currency.value_or("");
  e.refund_id = refund.value_or("");
  e.refund_ref = refund_ref.value_or("");
  e.reason = reason.value_or("");
  if (type == "payment.processing") e.kind = PspEvent::Kind::processing;
  else if (type == "payment.succeeded") e.kind = PspEvent::Kind::paid;
  else if (type == "payment.failed") e.kind = PspEvent::Kind::failed;
  else if (type == "payment.expired") e.kind = PspEvent::Kind::expired;
  else if (type == "refund.succeeded") e.kind = PspEvent::Kind::refund_succeeded;
  else if (type == "refund.failed") e.kind = PspEvent::Kind::refund_failed;
  else e.kind = PspEvent::Kind::ignored;
  if (e.kind != PspEvent::Kind::ignored && e.provider_ref.empty())
    return Error::invalid("data.session", "data.session is required", "missing_field");
  return std::vector<PspEvent>{std::move(e)};
}

std::string event_body(std::string_view event_id, std::string_view type, int64_t created_unix, const bj::object& data) {
  return bj::serialize(bj::object{{"id", event_id}, {"type", type}, {"created", created_unix}, {"data", data}});
}

}  // namespace bottega::payments::psp::sandbox
