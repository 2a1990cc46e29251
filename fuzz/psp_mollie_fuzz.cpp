// Untrusted PSP bytes for Mollie: the notification body (form `id=tr_...`) and the fetched payment
// (JSON from the API, whose amounts must be exact). Never crash; a notification that verifies names
// one well-formed payment id and builds a fetch URL; every event from a fetched payment names what
// it is about, with an exact non-negative amount.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "payments/psp/mollie/mollie.hpp"

namespace mollie = bottega::payments::psp::mollie;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  bottega::WebhookRequest req;
  req.method = "POST";
  req.body = body;
  mollie::Settings s;
  s.api_key = "test_fuzz";
  s.api_base_url = "http://127.0.0.1:9/mollie";
  bool verified = mollie::verify(req, s, 0).ok();
  auto named = mollie::parse_webhook(body);
  if (verified != named.ok()) std::abort();
  if (named) {
    if (named->size() != 1) std::abort();
    auto fetch = mollie::build_fetch(s, (*named)[0].provider_ref);
    if (!fetch) std::abort();
    // The id never adds a path segment or a query to the fetch URL.
    const std::string prefix = "http://127.0.0.1:9/mollie/v2/payments/", suffix = "?embed=refunds";
    const std::string& url = fetch->url;
    if (url.rfind(prefix, 0) != 0 || url.size() < prefix.size() + suffix.size() ||
        url.compare(url.size() - suffix.size(), suffix.size(), suffix) != 0)
      std::abort();
    for (size_t i = prefix.size(); i < url.size() - suffix.size(); ++i) {
      char c = url[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) std::abort();
    }
  }
  auto events = mollie::parse_payment(200, body);
  if (!events) return 0;
  for (const auto& e : *events) {
    if (e.event_id.empty() || e.provider_ref.empty() || e.amount < 0) std::abort();
    if (e.kind == bottega::PspEvent::Kind::paid && e.currency.size() != 3) std::abort();
  }
  return 0;
}
