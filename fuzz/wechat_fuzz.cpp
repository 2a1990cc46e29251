// WeChat Official Account callbacks: the strict XML reader and the normalization of untrusted
// callback bytes, the query-signature check, the server-URL verification echo; the parsed text
// then goes through message/custom/send rendering (text with a link, msgmenu, news) as a reply
// would, and the bytes are read as send and token answers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "channel_fuzz_checks.hpp"
#include "channels/wechat/wechat.hpp"
#include "channels/wechat/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  channels::wechat::Settings settings{"wx1234567890abcdef", "appsecret", "bottegatoken", "https://api.weixin.qq.com"};
  WebhookRequest req;
  req.method = "POST";
  req.body = bytes;
  req.query = bytes.substr(0, 200);
  (void)channels::wechat::verify(req, settings);
  (void)channels::wechat::verify_subscription(bytes.substr(0, 300), settings);
  auto tree = channels::xml::parse(bytes);
  if (!tree.ok()) fuzz::check(!tree.error().code.empty());
  auto batch = channels::wechat::parse(bytes);
  fuzz::check_batch(batch);
  if (batch.ok()) {
    for (const auto& m : batch->messages) {
      OutboundMessage reply;
      reply.text = m.text.empty() ? "ok" : m.text;
      reply.link = LinkButton{m.contact_name.empty() ? "link" : m.contact_name, "https://shop.example/" + m.provider_message_id};
      if (m.text.size() % 2) reply.choices = {{m.provider_message_id, reply.text.substr(0, 30), ""}};
      if (m.text.size() % 3 == 0)
        reply.card = ProductCard{"sku", m.text, m.account_id, "", "https://cdn.example/p.jpg", true};
      auto send = channels::wechat::build_send(settings, m.contact_external_id, reply);
      if (send.ok()) channels::wechat::authorize(*send, m.text);
    }
  }
  (void)channels::wechat::parse_send_response(200, bytes);
  (void)channels::wechat::parse_token_response(200, bytes);
  return 0;
}
