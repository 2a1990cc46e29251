#include "channels/twilio/twilio.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <map>
#include <set>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/form.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "channels/settings_reader.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::twilio {

namespace bj = boost::json;

namespace {

constexpr size_t kMaxMedia = 20;  // Twilio sends at most 10; anything above is refused

Error unauthenticated(std::string code, std::string message) {
  return Error{Errc::unauthenticated, std::move(code), std::move(message), {}};
}

// The URL forms Twilio may have signed: as given, with the default port added, with the port
// removed (twilio-node's validateRequest does the same).
std::vector<std::string> url_variants(const std::string& url) {
  std::vector<std::string> out{url};
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority()) return out;
  boost::urls::url u(*parsed);
  if (u.has_port()) {
    u.remove_port();
    out.emplace_back(u.buffer());
  } else if (u.scheme_id() == boost::urls::scheme::https) {
    u.set_port_number(443);
    out.emplace_back(u.buffer());
  } else if (u.scheme_id() == boost::urls::scheme::http) {
    u.set_port_number(80);
    out.emplace_back(u.buffer());
  }
  return out;
}

// The value of query parameter `name` in url (decoded), or nullopt.
std::optional<std::string> query_param(const std::string& url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string::npos) return std::nullopt;
  size_t end = url.find('#', q);
  std::string_view query(url.data() + q + 1, (end == std::string::npos ? url.size() : end) - q - 1);
  auto params = form::parse(query, 1000, 1 << 16);
  if (!params.ok()) return std::nullopt;
  if (const std::string* v = form::find(*params, name)) return *v;
  return std::nullopt;
}

std::string_view error_description(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kKnown[] = {
      {"30003", "Unreachable destination handset"},
      {"30005", "Unknown destination handset"},
      {"30006", "Landline or unreachable carrier"},
      {"30007", "Message filtered by the carrier"},
      {"30008", "Unknown error"},
      {"21211", "Invalid 'To' phone number"},
      {"21610", "The recipient replied STOP"},
      {"63016", "WhatsApp free-form message outside the 24 h window"},
  };
  for (auto [c, d] : kKnown)
    if (c == code) return d;
  return {};
}

std::optional<DeliveryState> map_status(std::string_view s) {
  if (s == "queued" || s == "accepted" || s == "scheduled" || s == "sending")
    return DeliveryState::pending;
  if (s == "sent" || s == "partially_delivered") return DeliveryState::sent;
  if (s == "delivered") return DeliveryState::delivered;
  if (s == "read") return DeliveryState::read;
  if (s == "failed" || s == "undelivered" || s == "canceled") return DeliveryState::failed;
  return std::nullopt;
}

std::string get(const form::Params& p, std::string_view name) {
  const std::string* v = form::find(p, name);
  return v ? *v : std::string();
}

Result<std::string> required(const form::Params& p, std::string_view name) {
  const std::string* v = form::find(p, name);
  if (v == nullptr || v->empty())
    return Error::invalid(std::string(name), std::string(name) + " is required", "missing_field");
  return *v;
}

Result<double> coordinate(const std::string& text, std::string_view name, double limit) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || !(d >= -limit && d <= limit))
    return Error::invalid(std::string(name), std::string(name) + " must be a coordinate",
                          "invalid_value");
  return d;
}

Result<InboundMessage> parse_inbound(const form::Params& p, std::string sid) {
  InboundMessage out;
  out.provider_message_id = std::move(sid);
  BOTTEGA_TRY(from, required(p, "From"));
  out.contact_external_id = std::move(from);
  out.account_id = get(p, "To");
  out.contact_name = get(p, "ProfileName");
  out.reply_to = get(p, "OriginalRepliedMessageSid");
  const std::string body = get(p, "Body");
  bj::object content;
  std::string wa_id = get(p, "WaId");
  if (!wa_id.empty()) content["wa_id"] = wa_id;

  size_t num_media = 0;
  std::string nm = get(p, "NumMedia");
  if (!nm.empty()) {
    auto [end, ec] = std::from_chars(nm.data(), nm.data() + nm.size(), num_media);
    if (ec != std::errc() || end != nm.data() + nm.size() || num_media > kMaxMedia)
      return Error::invalid("NumMedia", "NumMedia must be an integer from 0 to 20",
                            "invalid_value");
  }
  std::string lat = get(p, "Latitude");
  std::string lon = get(p, "Longitude");
  std::string button_payload = get(p, "ButtonPayload");
  std::string button_text = get(p, "ButtonText");

  if (num_media > 0) {
    bj::array atts;
    for (size_t i = 0; i < num_media; ++i) {
      std::string n = std::to_string(i);
      BOTTEGA_TRY(url, required(p, "MediaUrl" + n));
      bj::object a{{"url", url}};
      std::string type = get(p, "MediaContentType" + n);
      std::string_view major = std::string_view(type).substr(0, type.find('/'));
      a["type"] = major == "image" || major == "video" || major == "audio"
                      ? std::string(major)
                      : std::string("document");
      if (!type.empty()) a["mime_type"] = type;
      atts.push_back(std::move(a));
    }
    content["attachments"] = std::move(atts);
    if (!body.empty()) content["caption"] = body;
    out.kind = MessageKind::media;
    out.text = body;
  } else if (!lat.empty() || !lon.empty()) {
    BOTTEGA_TRY(la, coordinate(lat, "Latitude", 90));
    BOTTEGA_TRY(lo, coordinate(lon, "Longitude", 180));
    content["latitude"] = la;
    content["longitude"] = lo;
    std::string label = get(p, "Label");
    std::string address = get(p, "Address");
    if (!label.empty()) content["name"] = label;
    if (!address.empty()) content["address"] = address;
    out.kind = MessageKind::location;
    out.text = "Location";
    if (!label.empty()) out.text += ": " + label;
    if (!address.empty()) out.text += (label.empty() ? ": " : ", ") + address;
  } else if (!button_payload.empty() || !button_text.empty()) {
    out.kind = MessageKind::interactive_reply;
    out.text = button_text.empty() ? body : button_text;
    if (out.text.empty()) out.text = button_payload;
    content["type"] = "button";
    content["id"] = button_payload.empty() ? button_text : button_payload;
    content["title"] = button_text;
  } else if (!body.empty()) {
    out.kind = MessageKind::text;
    out.text = body;
  } else {
    std::string type = get(p, "MessageType");
    out.kind = MessageKind::unsupported;
    out.text = "Unsupported Twilio message type: " + (type.empty() ? std::string("unknown") : type);
    content["type"] = type.empty() ? std::string("unknown") : type;
  }
  out.content_json = json::dump(content);
  return out;
}

}  // namespace

Result<Settings> parse_settings(const boost::json::object& settings) {
  SettingsReader r(settings);
  BOTTEGA_TRY(sid, r.required_token("account_sid", kAlnum, 64));
  BOTTEGA_TRY(token, r.required("auth_token"));
  BOTTEGA_TRY(from, r.required("from", 64));
  BOTTEGA_TRY(base, r.base_url("api_base_url", kDefaultApiBaseUrl));
  BOTTEGA_TRY_STATUS(r.finish());
  return Settings{std::move(sid), std::move(token), std::move(from), std::move(base)};
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  std::string_view given = req.header("x-twilio-signature");
  if (given.empty()) return unauthenticated("missing_signature", "X-Twilio-Signature is missing");

  std::string signed_params;  // sorted name+value pairs
  std::optional<std::string> body_hash = query_param(req.url, "bodySHA256");
  if (body_hash) {
    // JSON-body webhooks: the URL (with the body's hash) is signed, the body is not.
    std::string actual = crypto::hex(crypto::sha256(req.body));
    std::string expected = *body_hash;
    for (char& c : expected)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!crypto::equal_ct(actual, expected))
      return unauthenticated("bad_signature", "bodySHA256 does not match the body");
  } else if (req.method != "GET") {
    auto params = form::parse(req.body);
    if (!params.ok()) return unauthenticated("bad_signature", "the body is not a valid form");
    std::map<std::string, std::set<std::string>> sorted;
    for (auto& [k, v] : *params) sorted[k].insert(v);
    for (const auto& [k, values] : sorted)
      for (const auto& v : values) {
        signed_params += k;
        signed_params += v;
      }
  }
  bool ok = false;
  for (const auto& url : url_variants(req.url)) {
    std::string expected =
        crypto::base64(crypto::hmac_sha1(settings.auth_token, url + signed_params));
    ok |= crypto::equal_ct(expected, given);  // no early exit
  }
  if (!ok) return unauthenticated("bad_signature", "X-Twilio-Signature does not match");
  return {};
}

Result<InboundBatch> parse(std::string_view body) {
  BOTTEGA_TRY(params, form::parse(body));
  // Values end up in stored JSON and in the API: keep them valid UTF-8 whatever was sent.
  for (auto& [k, v] : params) {
    k = payload::valid_utf8(k);
    v = payload::valid_utf8(v);
  }
  std::string sid = get(params, "MessageSid");
  if (sid.empty()) sid = get(params, "SmsSid");
  if (sid.empty()) return Error::invalid("MessageSid", "MessageSid is required", "missing_field");
  std::string status = get(params, "MessageStatus");
  if (status.empty()) status = get(params, "SmsStatus");

  InboundBatch batch;
  if (!status.empty() && status != "received" && status != "receiving") {
    auto state = map_status(status);
    if (!state) return batch;  // a state we do not track
    StatusUpdate u;
    u.provider_message_id = std::move(sid);
    u.state = *state;
    u.contact_external_id = get(params, "To");
    u.account_id = get(params, "From");
    if (*state == DeliveryState::failed) {
      u.error_code = get(params, "ErrorCode");
      u.error_reason = get(params, "ErrorMessage");
      if (u.error_reason.empty()) u.error_reason = std::string(error_description(u.error_code));
      if (u.error_reason.empty()) u.error_reason = status;
    }
    batch.statuses.push_back(std::move(u));
    return batch;
  }
  BOTTEGA_TRY(msg, parse_inbound(params, std::move(sid)));
  batch.messages.push_back(std::move(msg));
  return batch;
}

namespace {

constexpr size_t kOutboundMedia = 10;            // MediaUrl per message
constexpr int64_t kMmsBytes = 5 * attachments::kMB;  // all of an MMS's media together
constexpr size_t kWhatsAppCaption = 1024;

HttpRequest messages_request(const Settings& settings, const form::Params& params) {
  HttpRequest req;
  req.method = "POST";
  req.url =
      settings.api_base_url + "/2010-04-01/Accounts/" + settings.account_sid + "/Messages.json";
  req.headers = {{"Authorization",
                  "Basic " + crypto::base64(settings.account_sid + ":" + settings.auth_token)},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = form::encode(params);
  return req;
}

form::Params base_params(const Settings& settings, std::string_view to) {
  bool service = settings.from.rfind("MG", 0) == 0;
  return {{"To", std::string(to)}, {service ? "MessagingServiceSid" : "From", settings.from}};
}

// WhatsApp through Twilio: one media per message, images (JPEG/PNG/WebP) <= 5 MB, audio, video
// (MP4), PDF and Office documents, vCards <= 16 MB (docs/channels.md "Outbound files").
std::string whatsapp_media(const OutboundAttachment& f) {
  constexpr int64_t MB = attachments::kMB;
  std::string t = attachments::base_type(f.mime_type);
  if (t == "image/jpeg" || t == "image/png" || t == "image/webp") return f.size <= 5 * MB ? "image" : "";
  if (f.size > 16 * MB) return "";
  if (t == "video/mp4") return "video";
  if (t == "audio/ogg" || t == "audio/amr" || t == "audio/3gpp" || t == "audio/aac" || t == "audio/mpeg")
    return "audio";
  if (t == "application/pdf" || t == "application/msword" || t == "text/vcard" || t == "text/x-vcard" ||
      t == "application/vnd.openxmlformats-officedocument.wordprocessingml.document" ||
      t == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
      t == "application/vnd.openxmlformats-officedocument.presentationml.presentation")
    return "document";
  return "";
}

// Twilio sends no caption or filename with a WhatsApp document.
bool whatsapp_caption(std::string_view type) { return type == "image" || type == "video"; }

// MMS: the types Twilio accepts (images, audio, video, vCard, calendar, PDF).
bool mms_type(const std::string& t) {
  return t.rfind("image/", 0) == 0 || t.rfind("audio/", 0) == 0 || t.rfind("video/", 0) == 0 ||
         t == "text/vcard" || t == "text/x-vcard" || t == "text/calendar" || t == "application/pdf";
}

// One message without files: the text with numbered choices and the link; a product card's image
// goes along as media on WhatsApp (SMS stays text + link).
Result<form::Params> text_params(const Settings& settings, std::string_view to, const OutboundMessage& msg,
                                 const std::vector<const OutboundAttachment*>& linked) {
  std::string text = attachments::with_links(render::fallback_text(msg, true, true), linked);
  BOTTEGA_TRY_STATUS(render::check_length(text, capabilities(kType).max_text));
  form::Params params = base_params(settings, to);
  if (!text.empty()) params.push_back({"Body", text});
  if (msg.card && !msg.card->image_url.empty() && to.rfind("whatsapp:", 0) == 0)
    params.push_back({"MediaUrl", msg.card->image_url});
  if (!msg.status_callback_url.empty()) params.push_back({"StatusCallback", msg.status_callback_url});
  return params;
}

}  // namespace

Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(render::validate(to, msg));
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, true, false));
  if (to.rfind("whatsapp:", 0) == 0) {
    return attachments::requests(
        attachments::plan(msg, attachments::split(msg.attachments, whatsapp_media), kWhatsAppCaption,
                          whatsapp_caption),
        [&](const OutboundMessage& lead) -> Result<HttpRequest> {
          BOTTEGA_TRY(params, text_params(settings, to, lead, {}));
          return messages_request(settings, params);
        },
        [&](const attachments::Native& n, const std::string& caption, bool) {
          form::Params params = base_params(settings, to);
          if (!caption.empty()) params.push_back({"Body", caption});
          params.push_back({"MediaUrl", n.file->public_url});
          if (!msg.status_callback_url.empty()) params.push_back({"StatusCallback", msg.status_callback_url});
          return messages_request(settings, params);
        });
  }
  // SMS/MMS: every file in one message as MediaUrl, at most 10 and 5 MB in all; the rest as links.
  std::vector<const OutboundAttachment*> media, linked;
  int64_t total = 0;
  for (const auto& f : msg.attachments) {
    if (mms_type(attachments::base_type(f.mime_type)) && media.size() < kOutboundMedia &&
        total + f.size <= kMmsBytes) {
      media.push_back(&f);
      total += f.size;
    } else {
      linked.push_back(&f);
    }
  }
  BOTTEGA_TRY(params, text_params(settings, to, msg, linked));
  for (const auto* f : media) params.push_back({"MediaUrl", f->public_url});
  return std::vector<HttpRequest>{messages_request(settings, params)};
}

Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg) {
  return attachments::first(build_sends(settings, to, msg));
}

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  auto root = json::parse_object(body, {1 << 20, 16});
  if (http_status >= 200 && http_status <= 299) {
    if (root.ok()) {
      std::string sid = payload::string_or_empty(*root, "sid");
      if (!sid.empty()) return sid;
    }
    return Error{
        Errc::unprocessable, "provider_bad_response", "Twilio send response has no sid", {}};
  }
  int64_t code = 0;
  std::string text;
  if (root.ok()) {
    if (auto c = json::optional_int(*root, "code"); c.ok() && *c) code = **c;
    text = payload::string_or_empty(*root, "message");
  }
  std::string message = "Twilio error";
  if (code != 0) message += " " + std::to_string(code);
  message += " (HTTP " + std::to_string(http_status) + ")";
  if (!text.empty()) message += ": " + text;
  if (http_status == 429 || code == 20429)
    return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
  if (code == 63016) return Error{Errc::unprocessable, "outside_window", std::move(message), {}};
  if (http_status == 401 || code == 20003)
    return Error{Errc::unauthenticated, "provider_unauthorized", std::move(message), {}};
  if (http_status >= 500)
    return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
  return Error{Errc::unprocessable, "provider_rejected", std::move(message), {}};
}

}  // namespace bottega::channels::twilio
