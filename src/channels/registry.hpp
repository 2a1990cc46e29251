// The one table of channel adapters: every channel type, whether its webhooks carry a signature to
// verify, and its functions. Callers (webhook handler, channel API, outbound jobs) look adapters up
// here and never name an adapter directly. Settings are parsed once into AnySettings and passed
// back to the adapter's functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/email/email.hpp"
#include "channels/instagram/instagram.hpp"
#include "channels/messenger/messenger.hpp"
#include "channels/send_part.hpp"
#include "channels/telegram/telegram.hpp"
#include "channels/twilio/twilio.hpp"
#include "channels/viber/viber.hpp"
#include "channels/wechat/wechat.hpp"
#include "channels/window.hpp"
#include "channels/whatsapp/whatsapp.hpp"

namespace bottega::channels {

// The parsed settings of any adapter (std::monostate: a type whose adapter has no settings yet).
using AnySettings = std::variant<std::monostate, whatsapp::Settings, messenger::Settings,
                                 instagram::Settings, telegram::Settings, twilio::Settings,
                                 email::Settings, viber::Settings,
                                 wechat::Settings>;

// A null function pointer means the channel type has no such step (webchat and email have no
// provider webhook: email arrives over SMTP/LMTP and leaves through an SMTP relay, see
// pipeline/email.hpp; only Meta channels have the GET subscription handshake).
// Every function is pure and thread-safe. Passing settings of another type than the entry's
// yields Errc::internal "settings_type_mismatch".
struct ChannelAdapter {
  std::string_view type;           // "whatsapp", ... as in POST /api/v1/channels
  bool verifies_webhooks = false;  // webhooks carry a signature or secret that verify() checks
  std::span<const std::string_view> secret_settings;  // write-only keys: never returned by the API

  // settings JSON -> AnySettings; errors name "settings.<key>".
  Result<AnySettings> (*parse_settings)(const boost::json::object& settings) = nullptr;
  // Authenticity of a webhook POST, on the raw bytes, before parse. Errors: unauthenticated.
  Status (*verify)(const WebhookRequest& req, const AnySettings& settings) = nullptr;
  // GET handshake (Meta): the body to answer with. Errors: forbidden / invalid_argument.
  Result<std::string> (*verify_subscription)(std::string_view query,
                                             const AnySettings& settings) = nullptr;
  // Normalizes a verified webhook body.
  Result<InboundBatch> (*parse)(std::string_view body) = nullptr;
  // The provider request that sends msg to `to` (a contact_external_id).
  Result<HttpRequest> (*build_send)(const AnySettings& settings, std::string_view to,
                                    const OutboundMessage& msg) = nullptr;
  // The provider's message id from a send response, or the mapped provider error.
  Result<std::string> (*parse_send_response)(int http_status, std::string_view body) = nullptr;
  // The provider request that sends an approved template (WhatsApp); null: no templates.
  Result<HttpRequest> (*build_template_send)(const AnySettings& settings, std::string_view to,
                                             const TemplateSend& t) = nullptr;
  // Providers whose send API takes a short-lived access token (WeChat): the request that obtains
  // one, reading its answer, and putting a token on a request built by build_send. Null: the
  // settings' credentials are enough. A send answered Errc::unauthenticated "access_token_invalid"
  // means the token must be fetched again.
  Result<HttpRequest> (*build_token_request)(const AnySettings& settings) = nullptr;
  Result<AccessToken> (*parse_token_response)(int http_status, std::string_view body) = nullptr;
  void (*authorize)(HttpRequest& request, std::string_view access_token) = nullptr;
  // The body (and its content type) of the 200 that acknowledges a webhook: Twilio's empty TwiML,
  // WeChat's "success" (answered at once: WeChat retries after 5 s). Empty: {"ok":true}.
  std::string_view ack_body{};
  std::string_view ack_content_type{};
  // A JSON body the provider reads from the 200 that answers a verified callback, instead of the
  // acknowledgement (Viber: the welcome message answering conversation_started). nullopt: none.
  std::optional<std::string> (*callback_reply)(std::string_view body, const AnySettings& settings) = nullptr;
  // Every provider message of msg, in order (a message with files can need several: most providers
  // take one file per message, and some no caption; see channels/attachments.hpp and each adapter's
  // build_sends). The send job sends them one after the other, each once the previous one was
  // accepted, and records each accepted part so a retried job goes on at the next one. A part can be
  // built from the provider's answer to a request before it (SendPart::then: WeChat's upload, then
  // its image message). Null: build_send's request is the whole message.
  Result<std::vector<SendPart>> (*build_parts)(const AnySettings& settings, std::string_view to,
                                               const OutboundMessage& msg) = nullptr;
  // Whether the send job must load a file's bytes for build_parts (the adapter uploads it: Telegram,
  // Messenger/Instagram multipart, WeChat's media/upload). Null: never (the provider fetches the
  // file's public_url: WhatsApp, Twilio, Viber). Decided from the file's type and size alone.
  bool (*needs_bytes)(const OutboundAttachment& file) = nullptr;
};

// Every channel type, in a stable order.
std::span<const ChannelAdapter> adapters();

// The adapter for type, or nullptr when the type is unknown.
const ChannelAdapter* find_adapter(std::string_view type);

}  // namespace bottega::channels
