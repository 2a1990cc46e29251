// WhatsApp Cloud API webhooks: signature check and parse of untrusted bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/whatsapp/whatsapp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::whatsapp::Settings settings{"106540352242922", "token", "app-secret", "verify",
                                        "https://graph.facebook.com/v21.0"};
  WebhookRequest req;
  req.method = "POST";
  req.body = bytes;
  // Use the input's first line as a signature header too, to reach the header checks.
  req.headers = {{"x-hub-signature-256", bytes.substr(0, bytes.find('\n'))}};
  (void)channels::whatsapp::verify(req, settings);
  (void)channels::whatsapp::verify_subscription(bytes, "verify");
  fuzz::check_batch(channels::whatsapp::parse(bytes));
  return 0;
}
