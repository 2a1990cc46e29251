// Untrusted PSP bytes for Adyen: a notification body. The verifier (every item's hmacSignature)
// and the parser never crash; a body the parser accepts yields at least one event, each with its
// deduplication id and type and a non-negative amount.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/crypto.hpp"
#include "payments/psp/adyen/adyen.hpp"

namespace adyen = bottega::payments::psp::adyen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  bottega::WebhookRequest req;
  req.method = "POST";
  req.body = body;
  adyen::Settings s;
  s.api_key = "AQE_fuzz";
  s.merchant_account = "FuzzECOM";
  s.hmac_key = *bottega::crypto::unhex("DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00");
  (void)adyen::verify(req, s, 0);
  auto events = adyen::parse_webhook(body);
  if (!events) return 0;
  if (events->empty()) std::abort();
  for (const auto& e : *events)
    if (e.event_id.empty() || e.raw_type.empty() || e.amount < 0) std::abort();
  return 0;
}
