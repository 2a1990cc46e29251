// Messenger and Instagram webhooks (shared Messenger Platform parser): parse of untrusted bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/instagram/instagram.hpp"
#include "channels/messenger/messenger.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::messenger::Settings settings;
  settings.page_id = "1234567890";
  settings.page_access_token = "token";
  settings.app_secret = "app-secret";
  settings.verify_token = "verify";
  settings.api_base_url = "https://graph.facebook.com/v21.0";
  WebhookRequest req;
  req.method = "POST";
  req.body = bytes;
  req.headers = {{"x-hub-signature-256", bytes.substr(0, bytes.find('\n'))}};
  (void)channels::messenger::verify(req, settings);
  fuzz::check_batch(channels::messenger::parse(bytes));
  fuzz::check_batch(channels::instagram::parse(bytes));
  return 0;
}
