// Mollie (Payments API v2): create a payment (POST /v2/payments, JSON, amount as {"currency",
// "value":"10.00"} with exactly the currency's decimals), redirect the customer to
// _links.checkout.href, refunds (POST /v2/payments/{id}/refunds). Webhook-then-fetch: Mollie's
// classic webhook is a form body `id=tr_...` with no signature and no status; the engine fetches
// GET /v2/payments/{id}?embed=refunds with the shop's API key and acts only on what the API
// answers, never on the webhook body. Wire formats: providers.md §7.
//
// Events derived from a fetched payment are deduplicated by "<tr_id>:<status>" and
// "<re_id>:<status>", so the same notification delivered again changes nothing.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/psp.hpp"

namespace bottega::payments::psp::mollie {

struct Settings {
  std::string api_key;  // test_... / live_... (sent as Authorization: Bearer)
  std::string api_base_url = "https://api.mollie.com";
};

// {"api_key": "test_..."|"live_...", "api_base_url"?: absolute http(s) URL}.
Result<Settings> parse_settings(const boost::json::object& o);

// Mollie signs nothing: the authenticity of a notification is the fetch from the API with our
// key. This checks only that the body is a small form naming one well-formed payment id (so that
// nothing else reaches the fetch URL). Errors: unauthenticated "signature_malformed".
Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms);
// The webhook body -> one event naming only the payment id to fetch (kind ignored until fetched).
Result<std::vector<PspEvent>> parse_webhook(std::string_view body);

// GET {base}/v2/payments/{id}?embed=refunds. Errors: invalid_argument for an id that is not tr_...
Result<HttpRequest> build_fetch(const Settings& s, std::string_view payment_id);
// The fetched payment -> its events: the payment's state (open: ignored; pending/authorized:
// processing; paid; failed/canceled: failed; expired) and one per settled embedded refund
// (refunded / failed / canceled). 404: no events (an id Mollie does not know for this key).
// Errors: unavailable (5xx, 429, unreadable answer), unprocessable (other 4xx), invalid_argument
// for an amount that is not exact in the currency's decimals.
Result<std::vector<PspEvent>> parse_payment(int status, std::string_view body);

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c);
Result<CheckoutSession> parse_checkout(int status, std::string_view body);
Result<HttpRequest> build_refund(const Settings& s, const RefundCall& r);
Result<RefundOutcome> parse_refund(int status, std::string_view body);

// Minor units -> Mollie's value string ("10.00", JPY "1000", KWD "1.500"). Errors: invalid_argument
// "unsupported_currency" for a currency whose decimals Bottega does not know.
Result<std::string> format_value(int64_t minor, std::string_view currency);
// {"currency","value"} -> minor units, exact (a value with other decimals than the currency's is
// an error, never rounded).
Result<int64_t> parse_value(const boost::json::object& amount, std::string* currency_out);

}  // namespace bottega::payments::psp::mollie
