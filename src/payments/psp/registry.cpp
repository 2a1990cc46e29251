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

using Sandbox = Lift<sandbox::Settings, sandbox::parse_settings, sandbox::verify>;
using Stripe = Lift<stripe::Settings, stripe::parse_settings, stripe::verify>;

constexpr std::string_view kSandboxSecrets[] = {"webhook_secret"};
constexpr std::string_view kStripeSecrets[] = {"secret_key", "webhook_secret"};

constexpr PspAdapter kAdapters[] = {
    {"sandbox", kSandboxSecrets, true, Sandbox::parse_settings, Sandbox::verify, sandbox::parse_webhook, nullptr,
     nullptr, nullptr, nullptr},
    {"stripe", kStripeSecrets, false, Stripe::parse_settings, Stripe::verify, stripe::parse_webhook,
     lift_build<stripe::Settings, CheckoutRequest, stripe::build_checkout>, stripe::parse_checkout,
     lift_build<stripe::Settings, RefundCall, stripe::build_refund>, stripe::parse_refund},
};

}  // namespace

std::span<const PspAdapter> adapters() { return kAdapters; }

const PspAdapter* find_adapter(std::string_view type) {
  for (const auto& a : kAdapters)
    if (a.type == type) return &a;
  return nullptr;
}

}  // namespace bottega::payments::psp
