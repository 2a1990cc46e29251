// Telegram Bot API webhooks: secret-token check and parse of untrusted Update bytes; the parsed
// text then goes through sendMessage rendering (and, with files, the multipart uploads) as a
// reply would; send answers (one Message or an album's array) are read.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/telegram/telegram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::telegram::Settings settings{"123456:ABC-def", "secret_token",
                                        "https://api.telegram.org"};
  WebhookRequest req;
  req.method = "POST";
  req.body = bytes;
  req.headers = {{"x-telegram-bot-api-secret-token", bytes.substr(0, 32)}};
  (void)channels::telegram::verify(req, settings);
  auto batch = channels::telegram::parse(bytes);
  fuzz::check_batch(batch);
  if (batch.ok()) {
    for (const auto& m : batch->messages) {
      OutboundMessage reply;
      reply.text = m.text.empty() ? "ok" : m.text;
      reply.reply_to = m.provider_message_id;
      reply.choices = {{m.provider_message_id, m.contact_name.empty() ? "x" : m.contact_name, ""}};
      (void)channels::telegram::build_send(settings, m.contact_external_id, reply);
      // The same reply with files (the untrusted text as caption and file name): the multipart
      // upload and the album are built from it.
      OutboundAttachment file;
      file.filename = m.contact_name.empty() ? "f.bin" : m.contact_name;
      file.mime_type = "image/jpeg";
      file.size = static_cast<int64_t>(bytes.size());
      file.bytes = std::make_shared<const std::string>(bytes);
      file.public_url = "https://shop.example/media/m1/f.bin";
      reply.attachments = {file, file};
      reply.choices.clear();
      (void)channels::telegram::build_sends(settings, m.contact_external_id, reply);
    }
  }
  (void)channels::telegram::parse_send_response(200, bytes);
  return 0;
}
