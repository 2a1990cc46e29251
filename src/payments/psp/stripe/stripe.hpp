// Stripe: Checkout Sessions (form-encoded POST /v1/checkout/sessions), webhooks signed with
// Stripe-Signature (t=..,v1=..; HMAC-SHA256 over "t." + raw body; 300 s tolerance; any v1 may
// match during secret rotation), refunds (POST /v1/refunds). Wire formats: providers.md §6.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/psp.hpp"

namespace bottega::payments::psp::stripe {

struct Settings {
  std::string secret_key;       // sk_test_... / sk_live_...
  std::string webhook_secret;   // whsec_... (used whole as the HMAC key)
  std::string api_base_url = "https://api.stripe.com";
};

Result<Settings> parse_settings(const boost::json::object& o);

// Stripe-Signature check on the raw body. Errors: unauthenticated with code signature_missing,
// signature_malformed, signature_too_old, signature_mismatch.
Status verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                        int64_t now_unix, int64_t tolerance_s = 300);
Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms);
Result<std::vector<PspEvent>> parse_webhook(std::string_view body);

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c);
Result<CheckoutSession> parse_checkout(int status, std::string_view body);
Result<HttpRequest> build_refund(const Settings& s, const RefundCall& r);
Result<RefundOutcome> parse_refund(int status, std::string_view body);

// application/x-www-form-urlencoded escaping of one key or value.
std::string form_escape(std::string_view s);

}  // namespace bottega::payments::psp::stripe
