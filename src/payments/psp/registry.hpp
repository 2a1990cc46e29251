// The one table of PSP adapters: every provider type and its functions. Callers (payment routes,
// webhook handler, refund jobs) look adapters up here and never name an adapter directly. Settings
// are parsed once into AnyPspSettings and passed back to the adapter's functions.
#pragma once

#include <boost/json/object.hpp>
#include <span>
#include <string_view>
#include <variant>

#include "bottega/psp.hpp"
#include "payments/psp/adyen/adyen.hpp"
#include "payments/psp/mollie/mollie.hpp"
#include "payments/psp/sandbox/sandbox.hpp"
#include "payments/psp/stripe/stripe.hpp"

namespace bottega::payments::psp {

using AnyPspSettings = std::variant<std::monostate, sandbox::Settings, stripe::Settings, mollie::Settings, adyen::Settings>;

// A null build_* function means the provider runs in-process (the sandbox): the payments service
// plays the provider's part itself. Every function is pure and thread-safe.
struct PspAdapter {
  std::string_view type;                              // "sandbox", "stripe", ...
  std::span<const std::string_view> secret_settings;  // write-only keys
  bool supports_payouts = false;

  Result<AnyPspSettings> (*parse_settings)(const boost::json::object& settings) = nullptr;
  // Authenticity of a webhook on the raw bytes, before parsing. Errors: unauthenticated.
  Status (*verify)(const WebhookRequest& req, const AnyPspSettings& s, int64_t now_ms) = nullptr;
  Result<std::vector<PspEvent>> (*parse_webhook)(std::string_view body) = nullptr;
  Result<HttpRequest> (*build_checkout)(const AnyPspSettings& s, const CheckoutRequest& c) = nullptr;
  Result<CheckoutSession> (*parse_checkout)(int status, std::string_view body) = nullptr;
  Result<HttpRequest> (*build_refund)(const AnyPspSettings& s, const RefundCall& r) = nullptr;
  Result<RefundOutcome> (*parse_refund)(int status, std::string_view body) = nullptr;
  // Webhook-then-fetch providers (Mollie): parse_webhook only names the objects (provider_ref) and
  // the engine fetches each from the provider's API with build_fetch, then applies only the
  // events parse_fetch derives from the provider's answer. Null for providers whose webhooks
  // carry the state themselves.
  Result<HttpRequest> (*build_fetch)(const AnyPspSettings& s, std::string_view object_id) = nullptr;
  Result<std::vector<PspEvent>> (*parse_fetch)(int status, std::string_view body) = nullptr;
  // The body of the 200 answer to an accepted webhook ("[accepted]" for Adyen, text/plain); empty:
  // the JSON summary {"ok","events","applied","duplicates","ignored"}.
  std::string_view webhook_ack{};
};

std::span<const PspAdapter> adapters();
const PspAdapter* find_adapter(std::string_view type);

}  // namespace bottega::payments::psp
