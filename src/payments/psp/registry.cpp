#include "payments/psp/registry.hpp"

namespace bottega::payments::psp {

namespace {

Error mismatch() {
  return Error{Errc::internal, "settings_type_mismatch", "provider settings belong to another provider type", {}};
}

template <class S, auto Parse, auto Verify>
struct Lift {
  static Result<AnyPspSettings> parse_settings(const boost::json::object& o) {
    auto r = Parse(o);
    if (!r.ok()) return std::move(r).error();
    return AnyPspSettings(std::move(r).value());
  }
  static Status verify(const WebhookRequest& req, const AnyPspSettings& s, int64_t now_ms) {
    const S* p = std::get_if<S>(&s);
    if (!p) return mismatch();
    return Verify(req, *p, now_ms);
  }
};

template <class S, class In, auto Build>
Result<HttpRequest> lift_build(const AnyPspSettings& s, const In& in) {
  const S* p = std::get_if<S>(&s);
  if (!p) return mismatch();
  return Build(*p, in);
}

template <class S, auto Build>
Result<HttpRequest> lift_fetch(const AnyPspSettings& s, std::string_view id) {
  const S* p = std::get_if<S>(&s);
  if (!p) return mismatch();
  return Build(*p, id);
}

using Sandbox = Lift<sandbox::Settings, sandbox::parse_settings, sandbox::verify>;
using Stripe = Lift<stripe::Settings, stripe::parse_settings, stripe::verify>;
using Mollie = Lift<mollie::Settings, mollie::parse_settings, mollie::verify>;
using Adyen = Lift<adyen::Settings, adyen::parse_settings, adyen::verify>;

constexpr std::string_view kSandboxSecrets[] = {"webhook_secret"};
constexpr std::string_view kStripeSecrets[] = {"secret_key", "webhook_secret"};
constexpr std::string_view kMollieSecrets[] = {"api_key"};
constexpr std::string_view kAdyenSecrets[] = {"api_key", "hmac_key", "basic_password"};

constexpr PspAdapter kAdapters[] = {
    {.type = "sandbox",
     .secret_settings = kSandboxSecrets,
     .supports_payouts = true,
     .parse_settings = Sandbox::parse_settings,
     .verify = Sandbox::verify,
     .parse_webhook = sandbox::parse_webhook},
    {.type = "stripe",
     .secret_settings = kStripeSecrets,
     .parse_settings = Stripe::parse_settings,
     .verify = Stripe::verify,
     .parse_webhook = stripe::parse_webhook,
     .build_checkout = lift_build<stripe::Settings, CheckoutRequest, stripe::build_checkout>,
     .parse_checkout = stripe::parse_checkout,
     .build_refund = lift_build<stripe::Settings, RefundCall, stripe::build_refund>,
     .parse_refund = stripe::parse_refund},
    {.type = "mollie",
     .secret_settings = kMollieSecrets,
     .parse_settings = Mollie::parse_settings,
     .verify = Mollie::verify,
     .parse_webhook = mollie::parse_webhook,
     .build_checkout = lift_build<mollie::Settings, CheckoutRequest, mollie::build_checkout>,
     .parse_checkout = mollie::parse_checkout,
     .build_refund = lift_build<mollie::Settings, RefundCall, mollie::build_refund>,
     .parse_refund = mollie::parse_refund,
     .build_fetch = lift_fetch<mollie::Settings, mollie::build_fetch>,
     .parse_fetch = mollie::parse_payment},
    {.type = "adyen",
     .secret_settings = kAdyenSecrets,
     .parse_settings = Adyen::parse_settings,
     .verify = Adyen::verify,
     .parse_webhook = adyen::parse_webhook,
     .build_checkout = lift_build<adyen::Settings, CheckoutRequest, adyen::build_checkout>,
     .parse_checkout = adyen::parse_checkout,
     .build_refund = lift_build<adyen::Settings, RefundCall, adyen::build_refund>,
     .parse_refund = adyen::parse_refund,
     .webhook_ack = "[accepted]"},
};

}  // namespace

std::span<const PspAdapter> adapters() { return kAdapters; }

const PspAdapter* find_adapter(std::string_view type) {
  for (const auto& a : kAdapters)
    if (a.type == type) return &a;
  return nullptr;
}

}  // namespace bottega::payments::psp
