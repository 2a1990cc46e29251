#include "channels/registry.hpp"

namespace bottega::channels {

namespace {

Error mismatch() {
  return Error{Errc::internal,
               "settings_type_mismatch",
               "channel settings belong to another channel type",
               {}};
}

// One adapter's functions over its own Settings type S,
// lifted to the registry's uniform signatures over AnySettings.
template <class S, auto ParseSettings, auto Verify, auto Build>
struct Lift {
  static Result<AnySettings> parse_settings(const boost::json::object& o) {
    auto r = ParseSettings(o);
    if (!r.ok()) return std::move(r).error();
    return AnySettings(std::move(r).value());
  }
  static Status verify(const WebhookRequest& req, const AnySettings& s) {
    const S* p = std::get_if<S>(&s);
    if (p == nullptr) return mismatch();
    return Verify(req, *p);
  }
  static Result<HttpRequest> build_send(const AnySettings& s, std::string_view to,
                                        const OutboundMessage& msg) {
    const S* p = std::get_if<S>(&s);
    if (p == nullptr) return mismatch();
    return Build(*p, to, msg);
  }
};

// An adapter's build_sends as parts (each one request).
template <class S, auto BuildSends>
Result<std::vector<SendPart>> parts(const AnySettings& s, std::string_view to, const OutboundMessage& msg) {
  const S* p = std::get_if<S>(&s);
  if (p == nullptr) return mismatch();
  BOTTEGA_TRY(all, BuildSends(*p, to, msg));
  std::vector<SendPart> out;
  out.reserve(all.size());
  for (auto& r : all) out.push_back(SendPart{std::move(r)});
  return out;
}

Result<std::vector<SendPart>> wechat_parts(const AnySettings& s, std::string_view to, const OutboundMessage& msg) {
  const auto* p = std::get_if<wechat::Settings>(&s);
  if (p == nullptr) return mismatch();
  return wechat::build_parts(*p, to, msg);
}

// Adapters that upload every file they send (links for the others are built from the metadata).
bool every_file(const OutboundAttachment&) { return true; }

template <class S, auto BuildTemplate>
Result<HttpRequest> template_send(const AnySettings& s, std::string_view to, const TemplateSend& t) {
  const S* p = std::get_if<S>(&s);
  if (p == nullptr) return mismatch();
  return BuildTemplate(*p, to, t);
}

template <class S, auto Subscribe>
Result<std::string> subscription(std::string_view query, const AnySettings& s) {
  const S* p = std::get_if<S>(&s);
  if (p == nullptr) return mismatch();
  return Subscribe(query, p->verify_token);
}

using WhatsApp =
    Lift<whatsapp::Settings, whatsapp::parse_settings, whatsapp::verify, whatsapp::build_send>;
using Messenger =
    Lift<messenger::Settings, messenger::parse_settings, messenger::verify, messenger::build_send>;
using Instagram =
    Lift<instagram::Settings, instagram::parse_settings, instagram::verify, instagram::build_send>;
using Telegram =
    Lift<telegram::Settings, telegram::parse_settings, telegram::verify, telegram::build_send>;
using Twilio = Lift<twilio::Settings, twilio::parse_settings, twilio::verify, twilio::build_send>;
using Viber = Lift<viber::Settings, viber::parse_settings, viber::verify, viber::build_send>;
using WeChat = Lift<wechat::Settings, wechat::parse_settings, wechat::verify, wechat::build_send>;

Result<std::string> wechat_subscription(std::string_view query, const AnySettings& s) {
  const auto* p = std::get_if<wechat::Settings>(&s);
  if (p == nullptr) return mismatch();
  return wechat::verify_subscription(query, *p);
}

std::optional<std::string> viber_welcome(std::string_view body, const AnySettings& s) {
  const auto* p = std::get_if<viber::Settings>(&s);
  if (p == nullptr) return std::nullopt;
  return viber::welcome_reply(body, *p);
}

Result<HttpRequest> wechat_token_request(const AnySettings& s) {
  const auto* p = std::get_if<wechat::Settings>(&s);
  if (p == nullptr) return mismatch();
  return wechat::build_token_request(*p);
}

constexpr std::string_view kWhatsAppSecrets[] = {"access_token", "app_secret", "verify_token"};
constexpr std::string_view kPageSecrets[] = {"page_access_token", "app_secret", "verify_token"};
constexpr std::string_view kTelegramSecrets[] = {"bot_token", "secret_token"};
constexpr std::string_view kTwilioSecrets[] = {"auth_token"};
constexpr std::string_view kEmailSecrets[] = {"smtp_password"};
constexpr std::string_view kViberSecrets[] = {"auth_token"};
constexpr std::string_view kWeChatSecrets[] = {"app_secret", "token"};

Result<AnySettings> email_settings(const boost::json::object& o) {
  auto r = email::parse_settings(o);
  if (!r.ok()) return std::move(r).error();
  return AnySettings(std::move(r).value());
}

constexpr ChannelAdapter kAdapters[] = {
    // Web chat: visitors post through /api/v1/webchat (visitor token), no provider webhook.
    {"webchat", false, {}, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
    {"whatsapp", true, kWhatsAppSecrets, WhatsApp::parse_settings, WhatsApp::verify,
     subscription<whatsapp::Settings, whatsapp::verify_subscription>, whatsapp::parse,
     WhatsApp::build_send, whatsapp::parse_send_response,
     template_send<whatsapp::Settings, whatsapp::build_template_send>, nullptr, nullptr, nullptr,
     {}, {}, nullptr, parts<whatsapp::Settings, whatsapp::build_sends>},
    {"messenger", true, kPageSecrets, Messenger::parse_settings, Messenger::verify,
     subscription<messenger::Settings, messenger::verify_subscription>, messenger::parse,
     Messenger::build_send, messenger::parse_send_response, nullptr, nullptr, nullptr, nullptr, {}, {},
     nullptr, parts<messenger::Settings, messenger::build_sends>, every_file},
    {"instagram", true, kPageSecrets, Instagram::parse_settings, Instagram::verify,
     subscription<instagram::Settings, instagram::verify_subscription>, instagram::parse,
     Instagram::build_send, instagram::parse_send_response, nullptr, nullptr, nullptr, nullptr, {}, {},
     nullptr, parts<instagram::Settings, instagram::build_sends>, every_file},
    {"telegram", true, kTelegramSecrets, Telegram::parse_settings, Telegram::verify, nullptr,
     telegram::parse, Telegram::build_send, telegram::parse_send_response, nullptr, nullptr, nullptr,
     nullptr, {}, {}, nullptr, parts<telegram::Settings, telegram::build_sends>, every_file},
    // Twilio expects TwiML; an empty response means "no reply".
    {"twilio", true, kTwilioSecrets, Twilio::parse_settings, Twilio::verify, nullptr, twilio::parse,
     Twilio::build_send, twilio::parse_send_response, nullptr, nullptr, nullptr, nullptr,
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml", nullptr,
     parts<twilio::Settings, twilio::build_sends>},
    // Viber: the welcome message (when configured) answers conversation_started.
    {"viber", true, kViberSecrets, Viber::parse_settings, Viber::verify, nullptr, viber::parse,
     Viber::build_send, viber::parse_send_response, nullptr, nullptr, nullptr, nullptr, {}, {}, viber_welcome,
     parts<viber::Settings, viber::build_sends>},
    // WeChat: "success" at once (the reply goes out later through the customer-service API).
    {"wechat", true, kWeChatSecrets, WeChat::parse_settings, WeChat::verify, wechat_subscription,
     wechat::parse, WeChat::build_send, wechat::parse_send_response,
     template_send<wechat::Settings, wechat::build_template_send>, wechat_token_request,
     wechat::parse_token_response, wechat::authorize, "success", "text/plain; charset=utf-8", nullptr,
     wechat_parts, wechat::uploads},
    // Email: received by the SMTP/LMTP listener, sent by the "email.send" job (pipeline/email.hpp).
    {"email", false, kEmailSecrets, email_settings, nullptr, nullptr, nullptr, nullptr, nullptr},
};

}  // namespace

std::span<const ChannelAdapter> adapters() { return kAdapters; }

const ChannelAdapter* find_adapter(std::string_view type) {
  for (const auto& a : kAdapters)
    if (a.type == type) return &a;
  return nullptr;
}

}  // namespace bottega::channels
