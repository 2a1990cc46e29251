#include "payments/psp/adyen/adyen.hpp"

#include <boost/json/serialize.hpp>

#include "commerce/money.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/model.hpp"

namespace bottega::payments::psp::adyen {

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

Error unauth(const char* code, std::string msg) { return Error{Errc::unauthenticated, code, std::move(msg), {}}; }

Error provider_error(int status, std::string_view body) {
  std::string msg = "Adyen answered HTTP " + std::to_string(status);
  auto parsed = json::parse_object(body);
  if (parsed.ok()) {
    std::string m = str_at(*parsed, "message");
    if (!m.empty()) msg += ": " + m;
    std::string code = str_at(*parsed, "errorCode");
    if (!code.empty()) msg += " (" + code + ")";
  }
  if (status == 429 || status >= 500 || status == 409) return Error{Errc::unavailable, "provider_unavailable", msg, {}};
  return Error{Errc::unprocessable, "provider_rejected", msg, {}};
}

// The notification items, or an error naming what is wrong.
Result<std::vector<const bj::object*>> items_of(const bj::object& o) {
  auto* list = o.if_contains("notificationItems");
  if (!list || !list->is_array() || list->as_array().empty())
    return Error::invalid("notificationItems", "notificationItems must be a non-empty array");
  if (list->as_array().size() > 1000) return Error::invalid("notificationItems", "too many notification items");
  std::vector<const bj::object*> out;
  for (const auto& w : list->as_array()) {
    const bj::object* item = w.is_object() ? obj_at(w.as_object(), "NotificationRequestItem") : nullptr;
    if (!item) return Error::invalid("notificationItems", "every item must hold a NotificationRequestItem object");
    out.push_back(item);
  }
  return out;
}

// amount.value as a decimal integer; "" when absent; nullopt when present but not an integer.
std::optional<std::string> value_text(const bj::object& item) {
  const bj::object* amount = obj_at(item, "amount");
  if (!amount) return std::string();
  auto* v = amount->if_contains("value");
  if (!v || v->is_null()) return std::string();
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return std::nullopt;
}

std::string iso_seconds(int64_t ms) {
  std::string s = rfc3339(ms);  // 2026-11-22T08:00:00.000Z
  if (auto dot = s.find('.'); dot != std::string::npos) s = s.substr(0, dot) + "Z";
  return s;
}

std::string shopper_locale(std::string_view lang) {
  if (lang == "it") return "it-IT";
  if (lang == "de") return "de-DE";
  if (lang == "nl") return "nl-NL";
  if (lang == "en") return "en-US";
  return {};
}

}  // namespace

Result<Settings> parse_settings(const bj::object& o) {
  for (const auto& kv : o)
    if (kv.key() != "api_key" && kv.key() != "merchant_account" && kv.key() != "hmac_key" && kv.key() != "api_base_url" &&
        kv.key() != "basic_username" && kv.key() != "basic_password")
      return Error::invalid("settings." + std::string(kv.key()), "unknown setting", "unknown_field");
  BOTTEGA_TRY(key, json::required_string(o, "api_key", "settings.api_key", 1000));
  BOTTEGA_TRY(account, json::required_string(o, "merchant_account", "settings.merchant_account", 200));
  BOTTEGA_TRY(hmac, json::required_string(o, "hmac_key", "settings.hmac_key", 256));
  BOTTEGA_TRY(base, json::optional_string(o, "api_base_url", "settings.api_base_url", 2000));
  BOTTEGA_TRY(user, json::optional_string(o, "basic_username", "settings.basic_username", 200));
  BOTTEGA_TRY(pass, json::optional_string(o, "basic_password", "settings.basic_password", 200));
  if (key.empty()) return Error::invalid("settings.api_key", "api_key is required", "missing_field");
  if (account.empty()) return Error::invalid("settings.merchant_account", "merchant_account is required", "missing_field");
  auto raw = crypto::unhex(hmac);
  if (!raw || hmac.size() < 32 || hmac.size() % 2 != 0)
    return Error::invalid("settings.hmac_key", "the HMAC key is the hex string from the Customer Area (at least 32 hex digits)");
  if (user.value_or("").empty() != pass.value_or("").empty())
    return Error::invalid("settings.basic_password", "basic_username and basic_password go together");
  Settings s;
  s.api_key = key;
  s.merchant_account = account;
  s.hmac_key = *raw;
  s.basic_username = user.value_or("");
  s.basic_password = pass.value_or("");
  if (base) {
    if (base->rfind("http://", 0) != 0 && base->rfind("https://", 0) != 0)
      return Error::invalid("settings.api_base_url", "an absolute http(s) URL");
    s.api_base_url = *base;
    while (!s.api_base_url.empty() && s.api_base_url.back() == '/') s.api_base_url.pop_back();
  }
  return s;
}

std::string signing_string(const bj::object& item) {
  const bj::object* amount = obj_at(item, "amount");
  std::string out;
  out += str_at(item, "pspReference") + ":";
  out += str_at(item, "originalReference") + ":";
  out += str_at(item, "merchantAccountCode") + ":";
  out += str_at(item, "merchantReference") + ":";
  out += value_text(item).value_or("") + ":";
  out += (amount ? str_at(*amount, "currency") : std::string()) + ":";
  out += str_at(item, "eventCode") + ":";
  out += str_at(item, "success");
  return out;
}

std::string sign_item(std::string_view key, const bj::object& item) {
  return crypto::base64(crypto::hmac_sha256(key, signing_string(item)));
}

Status verify(const WebhookRequest& req, const Settings& s, int64_t) {
  if (!s.basic_username.empty()) {
    std::string auth(req.header("authorization"));
    if (auth.empty()) return unauth("signature_missing", "Adyen notification without Basic auth");
    std::string expected = "Basic " + crypto::base64(s.basic_username + ":" + s.basic_password);
    if (!crypto::equal_ct(auth, expected)) return unauth("signature_mismatch", "Adyen notification Basic auth does not match");
  }
  auto parsed = json::parse_object(req.body, {1 << 20, 32});
  if (!parsed) return unauth("signature_malformed", "Adyen notification is not JSON");
  auto items = items_of(*parsed);
  if (!items) return unauth("signature_malformed", "Adyen notification: " + items.error().message);
  for (const bj::object* item : *items) {
    const bj::object* extra = obj_at(*item, "additionalData");
    std::string sig = extra ? str_at(*extra, "hmacSignature") : std::string();
    if (sig.empty()) return unauth("signature_missing", "an Adyen notification item without hmacSignature");
    if (!value_text(*item)) return unauth("signature_malformed", "an Adyen notification item whose amount.value is not an integer");
    if (!crypto::equal_ct(sig, sign_item(s.hmac_key, *item)))
      return unauth("signature_mismatch", "an Adyen notification item's hmacSignature does not match");
  }
  return {};
}

Result<std::vector<PspEvent>> parse_webhook(std::string_view body) {
  BOTTEGA_TRY(o, json::parse_object(body, {1 << 20, 32}));
  BOTTEGA_TRY(items, items_of(o));
  std::vector<PspEvent> out;
  for (const bj::object* item : items) {
    PspEvent e;
    std::string psp = str_at(*item, "pspReference");
    std::string code = str_at(*item, "eventCode");
    std::string success = str_at(*item, "success");
    if (psp.empty() || psp.size() > 64) return Error::invalid("pspReference", "an item without its pspReference", "missing_field");
    if (code.empty() || code.size() > 64) return Error::invalid("eventCode", "an item without its eventCode", "missing_field");
    if (success != "true" && success != "false") return Error::invalid("success", "success must be \"true\" or \"false\"");
    e.event_id = psp + ":" + code + ":" + success;
    e.raw_type = code;
    if (const bj::object* amount = obj_at(*item, "amount")) {
      auto* v = amount->if_contains("value");
      if (v && v->is_int64() && v->as_int64() >= 0) e.amount = v->as_int64();
      else if (v && !v->is_null()) return Error::invalid("amount.value", "amount.value must be a non-negative integer in minor units");
      e.currency = str_at(*amount, "currency");
    }
    const bj::object* extra = obj_at(*item, "additionalData");
    bool ok = success == "true";
    if (code == "AUTHORISATION") {
      e.kind = ok ? PspEvent::Kind::paid : PspEvent::Kind::failed;
      e.payment_id = str_at(*item, "merchantReference");
      e.payment_ref = psp;
      if (extra) e.provider_ref = str_at(*extra, "paymentLinkId");
      if (!ok) e.reason = str_at(*item, "reason");
    } else if (code == "REFUND" || code == "REFUND_FAILED") {
      e.kind = ok && code == "REFUND" ? PspEvent::Kind::refund_succeeded : PspEvent::Kind::refund_failed;
      e.refund_id = str_at(*item, "merchantReference");
      e.refund_ref = psp;
      e.payment_ref = str_at(*item, "originalReference");
      if (e.kind == PspEvent::Kind::refund_failed) e.reason = str_at(*item, "reason");
      if (e.kind == PspEvent::Kind::refund_failed && e.reason.empty()) e.reason = code;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c) {
  if (!commerce::is_currency(c.currency))
    return Error::invalid("currency", "Bottega does not know the decimals of " + c.currency, "unsupported_currency");
  bj::object body{{"reference", c.payment_id},
                  {"amount", bj::object{{"value", c.amount}, {"currency", c.currency}}},
                  {"merchantAccount", s.merchant_account},
                  {"description", (c.description.empty() ? c.payment_id : c.description).substr(0, 280)},
                  {"returnUrl", c.return_url},
                  {"reusable", false},
                  {"metadata", bj::object{{"payment_id", c.payment_id}, {"attempt_id", c.attempt_id}}}};
  if (c.expires_at_ms > 0) body["expiresAt"] = iso_seconds(c.expires_at_ms);
  if (std::string l = shopper_locale(c.locale); !l.empty()) body["shopperLocale"] = l;
  if (!c.items.empty()) {
    bj::array lines;
    for (size_t i = 0; i < c.items.size() && i < 100; ++i)
      lines.push_back(bj::object{{"id", std::to_string(i + 1)},
                                 {"description", c.items[i].name},
                                 {"quantity", c.items[i].quantity},
                                 {"amountIncludingTax", c.items[i].unit_amount}});
    body["lineItems"] = std::move(lines);
  }
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v72/paymentLinks";
  r.headers = {{"X-API-Key", s.api_key}, {"Content-Type", "application/json"}, {"Idempotency-Key", c.attempt_id}};
  r.body = bj::serialize(body);
  return r;
}

Result<CheckoutSession> parse_checkout(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  auto parsed = json::parse_object(body);
  if (!parsed) return Error{Errc::unavailable, "provider_bad_response", "Adyen's payment link is not JSON", {}};
  CheckoutSession s;
  s.provider_ref = str_at(*parsed, "id");
  s.redirect_url = str_at(*parsed, "url");
  if (s.provider_ref.empty() || s.redirect_url.empty())
    return Error{Errc::unavailable, "provider_bad_response", "Adyen's payment link has no id or url", {}};
  return s;
}

Result<HttpRequest> build_refund(const Settings& s, const RefundCall& rc) {
  if (rc.provider_ref.empty() || rc.provider_ref.rfind("PL", 0) == 0)
    return Error::conflict("no_payment_reference", "the payment has no Adyen pspReference yet");
  for (char c : rc.provider_ref)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      return Error::conflict("no_payment_reference", "the payment's Adyen pspReference is malformed");
  bj::object body{{"merchantAccount", s.merchant_account},
                  {"amount", bj::object{{"value", rc.amount}, {"currency", rc.currency}}},
                  {"reference", rc.refund_id}};
  HttpRequest r;
  r.method = "POST";
  r.url = s.api_base_url + "/v72/payments/" + rc.provider_ref + "/refunds";
  r.headers = {{"X-API-Key", s.api_key}, {"Content-Type", "application/json"}, {"Idempotency-Key", rc.refund_id}};
  r.body = bj::serialize(body);
  return r;
}

Result<RefundOutcome> parse_refund(int status, std::string_view body) {
  if (status < 200 || status >= 300) return provider_error(status, body);
  auto parsed = json::parse_object(body);
  if (!parsed) return Error{Errc::unavailable, "provider_bad_response", "Adyen's refund answer is not JSON", {}};
  RefundOutcome out;  // "received": the outcome comes as a REFUND notification
  out.provider_ref = str_at(*parsed, "pspReference");
  if (out.provider_ref.empty() || str_at(*parsed, "status") != "received")
    return Error{Errc::unavailable, "provider_bad_response", "Adyen's refund answer has no pspReference or is not received", {}};
  return out;
}

}  // namespace bottega::payments::psp::adyen
