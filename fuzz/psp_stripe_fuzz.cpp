// Untrusted PSP webhook bytes: the stripe adapter's signature check and parser never crash, and a
// parsed event always names what it is about.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "payments/psp/stripe/stripe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  bottega::WebhookRequest req;
  req.method = "POST";
  req.body = body;
  req.headers = {{"stripe-signature", "t=1700000000,v1=" + body.substr(0, 64)}};
  bottega::payments::psp::stripe::Settings s;
  s.webhook_secret = "whsec_fuzz_secret_0123456789";
  (void)bottega::payments::psp::stripe::verify(req, s, 1'700'000'000'000);
  auto events = bottega::payments::psp::stripe::parse_webhook(body);
  if (!events) return 0;
  for (const auto& e : *events)
    if (e.event_id.empty()) std::abort();
  return 0;
}
