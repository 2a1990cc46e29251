// Twilio webhooks: signature check (form parse, URL port variants) and parse of untrusted
// form-encoded bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/twilio/twilio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::twilio::Settings settings{"AC0123456789abcdef0123456789abcdef", "12345", "+15557122661",
                                      "https://api.twilio.com"};
  WebhookRequest req;
  req.method = "POST";
  // The first line plays the URL Twilio called, the rest the body.
  size_t nl = bytes.find('\n');
  req.url = nl == std::string::npos ? "https://shop.example/webhooks/ch_1" : bytes.substr(0, nl);
  req.body = nl == std::string::npos ? bytes : bytes.substr(nl + 1);
  req.headers = {{"x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="}};
  (void)channels::twilio::verify(req, settings);
  fuzz::check_batch(channels::twilio::parse(req.body));
  fuzz::check_batch(channels::twilio::parse(bytes));
  return 0;
}
