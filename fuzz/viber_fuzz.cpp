// Viber REST Bot API callbacks: X-Viber-Content-Signature check and parse of untrusted callback
// bytes; the parsed text then goes through send_message rendering (keyboard, tracking data, rich
// media card) as a reply would, and the bytes are read as a send_message answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/viber/viber.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::viber::Settings settings{"445da6az1s345z78-dazcczb2542zv51a", "Shop", "",
                                     "https://chatapi.viber.com/pa", ""};
  WebhookRequest req;
  req.method = "POST";
  req.body = bytes;
  req.headers = {{"x-viber-content-signature", bytes.substr(0, 64)}};
  (void)channels::viber::verify(req, settings);
  auto batch = channels::viber::parse(bytes);
  fuzz::check_batch(batch);
  if (batch.ok()) {
    for (const auto& m : batch->messages) {
      OutboundMessage reply;
      reply.text = m.text.empty() ? "ok" : m.text;
      reply.choices = {{m.provider_message_id, m.contact_name.empty() ? "x" : m.contact_name, ""},
                       {"b", reply.text.substr(0, 40), ""}};
      if (m.text.size() % 2)
        reply.card = ProductCard{"sku", m.text, m.contact_name, "", "https://cdn.example/p.jpg", true};
      (void)channels::viber::build_send(settings, m.contact_external_id, reply);
    }
  }
  (void)channels::viber::parse_send_response(200, bytes);
  return 0;
}
