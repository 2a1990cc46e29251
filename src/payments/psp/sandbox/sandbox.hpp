// The built-in sandbox PSP: a payment provider that runs inside Bottega, for demos and tests. Its
// hosted page (/sandbox-psp/{session}) offers card success, a declined card, a card with an extra
// authentication step, a bank-redirect method and a delayed asynchronous confirmation. Its
// webhooks are signed like Stripe's: header `Sandbox-Signature: t=<unix>,v1=<hex>` where the MAC is
// HMAC-SHA256(webhook_secret, "<t>." + raw body); 300 s tolerance.
//
// Event JSON: {"id":"sbe_...","type":"payment.processing|payment.succeeded|payment.failed|
// refund.succeeded|refund.failed","created":<unix>,"data":{"session":"sbx_...","reference":"pay_...",
// "amount":2599,"currency":"EUR","refund":"rfd_..."?,"refund_ref":"sbr_..."?,"reason"?}}.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/psp.hpp"

namespace bottega::payments::psp::sandbox {

struct Settings {
  std::string webhook_secret;         // signs and verifies webhooks
  int64_t async_delay_ms = 3000;      // "delayed confirmation" arrives this much later
};

// {"webhook_secret"?: string (>= 16 chars; generated when absent), "async_delay_ms"?: 0..600000,
// "api_base_url"?: ignored (the sandbox is in-process)}.
Result<Settings> parse_settings(const boost::json::object& o);

// Header value for body at unix time t.
std::string sign(std::string_view secret, int64_t t, std::string_view body);
// Sandbox-Signature on the raw bytes, constant time, |now - t| <= 300 s.
Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms);
Result<std::vector<PspEvent>> parse_webhook(std::string_view body);

// The event body the sandbox sends.
std::string event_body(std::string_view event_id, std::string_view type, int64_t created_unix,
                       const boost::json::object& data);

}  // namespace bottega::payments::psp::sandbox
