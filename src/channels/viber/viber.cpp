#include "channels/viber/viber.hpp"

#include <boost/json/parse.hpp>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/cards.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "channels/settings_reader.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::viber {

namespace bj = boost::json;
using payload::member;

namespace {

constexpr json::ParseLimits kLimits{1 << 20, 32};
constexpr size_t kSenderName = 28;       // characters (send_message sender.name)
constexpr size_t kTrackingData = 4000;   // characters
constexpr size_t kButtonText = 250;      // a keyboard button's label, characters (kept short)
constexpr size_t kActionBody = 250;      // our reply buttons send their title back as the text
constexpr size_t kRichMediaRows = 7;     // one rich media item: 6 columns x 7 rows
constexpr size_t kRichMediaButtons = 2;  // image (3 rows) + title (2 rows) leave 2 button rows
constexpr size_t kPictureText = 768;     // a picture message's description, characters

Error unauthenticated(std::string code, std::string message) {
  return Error{Errc::unauthenticated, std::move(code), std::move(message), {}};
}

bj::array one(bj::object o) {
  bj::array a;
  a.push_back(std::move(o));
  return a;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Copies the named members of `from` that are strings, integers or booleans.
void copy_scalars(const bj::object& from, bj::object& to,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> keys) {
  for (auto [src, dst] : keys) {
    auto* v = from.if_contains(src);
    if (v && (v->is_string() || v->is_int64() || v->is_uint64() || v->is_bool())) to[dst] = *v;
  }
}

// The choice id whose title is `text`, from the tracking_data of the message the customer
// answered ({"choices":[[id,title],...]}, set by build_send), or "".
std::pair<std::string, std::string> tapped_choice(const bj::object& message, std::string_view text) {
  std::string tracking = payload::string_or_empty(message, "tracking_data");
  if (tracking.empty() || text.empty()) return {};
  auto root = json::parse_object(tracking, {8192, 4});
  if (!root.ok()) return {};
  auto* choices = root->if_contains("choices");
  if (!choices || !choices->is_array()) return {};
  for (const auto& c : choices->get_array()) {
    if (!c.is_array() || c.get_array().size() != 2) continue;
    const auto& pair = c.get_array();
    if (pair[0].is_string() && pair[1].is_string() && pair[1].get_string() == text)
      return {std::string(pair[0].get_string()), std::string(pair[1].get_string())};
  }
  return {};
}

struct MediaType {
  std::string_view viber;  // message.type
  std::string_view ours;   // attachment type
};
constexpr MediaType kMedia[] = {
    {"picture", "image"}, {"video", "video"}, {"file", "document"}, {"sticker", "sticker"}};

Status fill_message(const bj::object& m, InboundMessage& out, bj::object& content) {
  BOTTEGA_TRY(type, json::required_string(m, "type", "message.type", 64));
  std::string text = payload::string_or_empty(m, "text");
  if (type == "text") {
    BOTTEGA_TRY(t, json::required_string(m, "text", "message.text"));
    auto [id, title] = tapped_choice(m, t);
    if (!id.empty()) {
      out.kind = MessageKind::interactive_reply;
      out.text = title;
      content["type"] = "button";
      content["id"] = id;
      content["title"] = title;
      return {};
    }
    out.kind = MessageKind::text;
    out.text = t;
    return {};
  }
  for (const auto& mt : kMedia) {
    if (type != mt.viber) continue;
    bj::object a{{"type", mt.ours}};
    std::string url = payload::string_or_empty(m, "media");
    if (!url.empty()) a["url"] = url;
    copy_scalars(m, a,
                 {{"file_name", "filename"},
                  {"size", "size"},
                  {"duration", "duration"},
                  {"thumbnail", "thumbnail"},
                  {"sticker_id", "sticker_id"}});
    if (mt.viber == "sticker" && !a.contains("sticker_id") && url.empty())
      return Error::invalid("message.sticker_id", "a sticker without sticker_id or media", "missing_field");
    if (mt.viber != "sticker" && url.empty())
      return Error::invalid("message.media", "message.media is required", "missing_field");
    content["attachments"] = one(std::move(a));
    if (!text.empty()) content["caption"] = text;
    out.kind = MessageKind::media;
    out.text = text;
    return {};
  }
  if (type == "location") {
    BOTTEGA_TRY(loc, payload::required_object(m, "location", "message"));
    BOTTEGA_TRY(lat, payload::required_number(*loc, "lat", "message.location"));
    BOTTEGA_TRY(lon, payload::required_number(*loc, "lon", "message.location"));
    content["latitude"] = lat;
    content["longitude"] = lon;
    std::string address = payload::string_or_empty(*loc, "address");
    out.kind = MessageKind::location;
    out.text = "Location";
    if (!address.empty()) {
      content["address"] = address;
      out.text += ": " + address;
    }
    return {};
  }
  if (type == "contact") {
    BOTTEGA_TRY(c, payload::required_object(m, "contact", "message"));
    bj::object card;
    copy_scalars(*c, card, {{"name", "name"}, {"phone_number", "phone_number"}, {"avatar", "avatar"}});
    std::string name = payload::string_or_empty(*c, "name");
    std::string phone = payload::string_or_empty(*c, "phone_number");
    if (name.empty() && phone.empty())
      return Error::invalid("message.contact", "a contact without name or phone_number", "missing_field");
    content["contacts"] = one(std::move(card));
    out.kind = MessageKind::contacts;
    out.text = "Contact: " + (name.empty() ? phone : name);
    return {};
  }
  if (type == "url") {
    BOTTEGA_TRY(url, json::required_string(m, "media", "message.media", 4096));
    content["url"] = url;
    out.kind = MessageKind::text;
    out.text = url;
    return {};
  }
  out.kind = MessageKind::unsupported;
  out.text = "Unsupported Viber message: " + (type.empty() ? std::string("unknown") : type);
  content["type"] = type.empty() ? std::string("unknown") : type;
  if (!text.empty()) content["text"] = text;
  return {};
}

Result<InboundMessage> parse_message(const bj::object& root, int64_t timestamp) {
  BOTTEGA_TRY(token, payload::required_id(root, "message_token", ""));
  BOTTEGA_TRY(sender, payload::required_object(root, "sender", ""));
  BOTTEGA_TRY(sender_id, json::required_string(*sender, "id", "sender.id", 256));
  if (sender_id.empty()) return Error::invalid("sender.id", "sender.id must not be empty", "missing_field");
  BOTTEGA_TRY(m, payload::required_object(root, "message", ""));
  InboundMessage out;
  out.provider_message_id = token;
  out.contact_external_id = sender_id;
  out.contact_name = payload::string_or_empty(*sender, "name");
  out.timestamp_ms = timestamp;
  bj::object content;
  copy_scalars(*sender, content, {{"language", "language"}, {"country", "country"}});
  BOTTEGA_TRY_STATUS(fill_message(*m, out, content));
  out.content_json = json::dump(content);
  return out;
}

Result<StatusUpdate> parse_status(const bj::object& root, std::string_view event, int64_t timestamp) {
  BOTTEGA_TRY(token, payload::required_id(root, "message_token", ""));
  StatusUpdate u;
  u.provider_message_id = token;
  u.timestamp_ms = timestamp;
  u.contact_external_id = payload::string_or_empty(root, "user_id");
  if (event == "delivered") {
    u.state = DeliveryState::delivered;
  } else if (event == "seen") {
    u.state = DeliveryState::read;
  } else {
    u.state = DeliveryState::failed;
    u.error_code = "viber_failed";
    u.error_reason = payload::string_or_empty(root, "desc");
    if (u.error_reason.empty()) u.error_reason = "Viber could not deliver the message";
  }
  return u;
}

// A keyboard button filling one row (6 columns).
bj::object keyboard_button(std::string_view action_type, std::string_view body, std::string_view text) {
  return bj::object{{"Columns", 6},        {"Rows", 1},           {"ActionType", action_type},
                    {"ActionBody", body},  {"Text", text},        {"TextSize", "regular"}};
}

}  // namespace

Result<Settings> parse_settings(const boost::json::object& settings) {
  SettingsReader r(settings);
  BOTTEGA_TRY(token, r.required("auth_token", 256));
  BOTTEGA_TRY(name, r.required("sender_name", 256));
  if (render::char_count(name) > kSenderName)
    return Error::invalid("settings.sender_name", "settings.sender_name has at most 28 characters",
                          "invalid_value");
  BOTTEGA_TRY(avatar, r.optional("sender_avatar", 2048));
  if (avatar) {
    OutboundMessage probe;
    probe.text = "x";
    probe.link = LinkButton{"avatar", *avatar};
    if (!render::validate("x", probe).ok())
      return Error::invalid("settings.sender_avatar", "settings.sender_avatar must be an absolute http(s) URL",
                            "invalid_url");
  }
  BOTTEGA_TRY(base, r.base_url("api_base_url", kDefaultApiBaseUrl));
  BOTTEGA_TRY(welcome, r.optional("welcome_text", 4 * 7000));
  if (welcome && render::char_count(*welcome) > 7000)
    return Error::invalid("settings.welcome_text", "settings.welcome_text has at most 7000 characters", "invalid_value");
  BOTTEGA_TRY_STATUS(r.finish());
  return Settings{std::move(token), std::move(name), avatar.value_or(""), std::move(base), welcome.value_or("")};
}

std::optional<std::string> welcome_reply(std::string_view body, const Settings& settings) {
  if (settings.welcome_text.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  auto root = json::parse_object(body, kLimits);
  if (!root) return std::nullopt;
  auto* event = root->if_contains("event");
  if (!event || !event->is_string() || event->as_string() != "conversation_started") return std::nullopt;
  bj::object sender{{"name", settings.sender_name}};
  if (!settings.sender_avatar.empty()) sender["avatar"] = settings.sender_avatar;
  return json::dump(bj::object{{"sender", std::move(sender)}, {"type", "text"}, {"text", settings.welcome_text}});
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  std::string_view given = req.header("x-viber-content-signature");
  if (given.empty())
    return unauthenticated("missing_signature", "X-Viber-Content-Signature is missing");
  std::string expected = crypto::hex(crypto::hmac_sha256(settings.auth_token, req.body));
  if (settings.auth_token.empty() || !crypto::equal_ct(lower(given), expected))
    return unauthenticated("bad_signature", "X-Viber-Content-Signature does not match the body");
  return {};
}

Result<InboundBatch> parse(std::string_view body) {
  BOTTEGA_TRY(root, json::parse_object(body, kLimits));
  BOTTEGA_TRY(event, json::required_string(root, "event", "event", 64));
  BOTTEGA_TRY(timestamp, payload::required_ms(root, "timestamp", ""));
  InboundBatch batch;
  if (event == "message") {
    BOTTEGA_TRY(m, parse_message(root, timestamp));
    batch.messages.push_back(std::move(m));
  } else if (event == "delivered" || event == "seen" || event == "failed") {
    BOTTEGA_TRY(u, parse_status(root, event, timestamp));
    batch.statuses.push_back(std::move(u));
  }
  // subscribed, unsubscribed, conversation_started, webhook (set_webhook's check) and any newer
  // event carry no customer content: acknowledged, nothing stored.
  return batch;
}

namespace {

HttpRequest send_message_request(const Settings& settings, const bj::object& body) {
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + "/send_message";
  req.headers = {{"Content-Type", "application/json"}, {"X-Viber-Auth-Token", settings.auth_token}};
  req.body = json::dump(body);
  return req;
}

bj::object head(const Settings& settings, std::string_view receiver) {
  bj::object body{{"receiver", receiver}, {"min_api_version", 1}};
  bj::object sender{{"name", settings.sender_name}};
  if (!settings.sender_avatar.empty()) sender["avatar"] = settings.sender_avatar;
  body["sender"] = std::move(sender);
  return body;
}

// File names Viber refuses in a file message (executables and scripts).
bool forbidden_file(std::string_view name) {
  static constexpr std::string_view kForbidden[] = {".exe", ".bat", ".cmd", ".com", ".msi", ".scr", ".vbs",
                                                    ".js",  ".jar", ".apk", ".dll", ".ps1", ".reg", ".lnk"};
  std::string lower;
  for (char c : name) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  for (auto ext : kForbidden)
    if (lower.size() >= ext.size() && lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0) return true;
  return false;
}

// The extension of the last path segment of `url` ("" when it has none), lowercase.
std::string url_extension(std::string_view url) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  std::string_view last = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  auto dot = last.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == last.size()) return {};
  std::string ext(last.substr(dot));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// picture: JPEG/PNG/GIF <= 1 MB whose URL ends in .jpeg/.jpg/.png/.gif; video: MP4 <= 26 MB whose
// URL ends in .mp4 (Viber requires the extension as the last path segment of both); anything else
// (or a larger image) a file <= 50 MB with a name of at most 256 characters that has an extension
// (Viber: "URL should include the file extension"); otherwise a link (docs/channels.md "Outbound
// files").
std::string message_type(const OutboundAttachment& f) {
  constexpr int64_t MB = attachments::kMB;
  std::string t = attachments::base_type(f.mime_type);
  std::string ext = url_extension(f.public_url);
  if ((t == "image/jpeg" || t == "image/png" || t == "image/gif") && f.size <= 1 * MB &&
      (ext == ".jpeg" || ext == ".jpg" || ext == ".png" || ext == ".gif"))
    return "picture";
  if (t == "video/mp4" && f.size <= 26 * MB && ext == ".mp4") return "video";
  if (f.size <= 50 * MB && render::char_count(f.filename) <= 256 && !ext.empty() && !forbidden_file(f.filename))
    return "file";
  return "";
}

bool picture_caption(std::string_view type) { return type == "picture"; }


Result<HttpRequest> build_one(const Settings& settings, std::string_view receiver,
                              const OutboundMessage& msg) {
  const ChannelCapabilities& caps = capabilities(kType);
  size_t link_buttons = msg.link ? 1 : 0;
  bool buttons = !msg.choices.empty() && msg.choices.size() + link_buttons <= caps.max_buttons &&
                 render::choices_fit(msg.choices, kButtonText, kActionBody);
  // Reply buttons send their title back as the customer's text: titles must tell them apart.
  for (size_t i = 0; buttons && i < msg.choices.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (msg.choices[i].title == msg.choices[j].title) buttons = false;
  bj::array pairs;
  if (buttons) {
    for (const auto& c : msg.choices) pairs.push_back(bj::array{bj::string(c.id), bj::string(c.title)});
    if (render::char_count(json::dump(bj::object{{"choices", pairs}})) > kTrackingData) buttons = false;
  }
  std::string text = render::fallback_text(msg, !buttons, false);
  BOTTEGA_TRY_STATUS(render::check_length(text, caps.max_text));

  bj::object body{{"receiver", receiver}, {"min_api_version", 1}};
  bj::object sender{{"name", settings.sender_name}};
  if (!settings.sender_avatar.empty()) sender["avatar"] = settings.sender_avatar;
  body["sender"] = std::move(sender);
  if (buttons) body["tracking_data"] = json::dump(bj::object{{"choices", pairs}});

  bj::array keys;
  if (buttons)
    for (const auto& c : msg.choices) keys.push_back(keyboard_button("reply", c.title, c.title));
  if (msg.link) keys.push_back(keyboard_button("open-url", msg.link->url, msg.link->title));

  // A product card with an image: one rich media item (image 3 rows, title and subtitle 2 rows,
  // up to 2 button rows), the complete text as alt_text for clients that cannot show it.
  bool rich = caps.card_templates && msg.card && !msg.card->image_url.empty() &&
              keys.size() <= kRichMediaButtons && (msg.choices.empty() || buttons);
  if (rich) {
    bj::array items;
    items.push_back(bj::object{{"Columns", 6},
                               {"Rows", 3},
                               {"ActionType", msg.link ? "open-url" : "none"},
                               {"ActionBody", msg.link ? msg.link->url : std::string("none")},
                               {"Image", msg.card->image_url}});
    std::string caption = "<b>" + html_escape(render::clip(msg.card->title, 80)) + "</b>";
    if (!msg.card->subtitle.empty()) caption += "<br>" + html_escape(render::clip(msg.card->subtitle, 120));
    items.push_back(bj::object{{"Columns", 6},
                               {"Rows", 2},
                               {"ActionType", "none"},
                               {"ActionBody", "none"},
                               {"Text", caption},
                               {"TextSize", "medium"},
                               {"TextVAlign", "middle"},
                               {"TextHAlign", "left"}});
    for (auto& k : keys) items.push_back(std::move(k));
    size_t rows = 3 + 2 + items.size() - 2;
    body["type"] = "rich_media";
    body["min_api_version"] = 2;
    body["rich_media"] = bj::object{{"Type", "rich_media"},
                                    {"ButtonsGroupColumns", 6},
                                    {"ButtonsGroupRows", std::min(rows, kRichMediaRows)},
                                    {"BgColor", "#FFFFFF"},
                                    {"Buttons", std::move(items)}};
    body["alt_text"] = render::fallback_text(msg, false, true);
  } else {
    body["type"] = "text";
    body["text"] = text;
    if (!keys.empty())
      body["keyboard"] = bj::object{{"Type", "keyboard"}, {"DefaultHeight", false}, {"Buttons", std::move(keys)}};
  }
  return send_message_request(settings, body);
}

}  // namespace

Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view receiver,
                                             const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(render::validate(receiver, msg));
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, true, false));
  auto plan = attachments::plan(msg, attachments::split(msg.attachments, message_type), kPictureText,
                                picture_caption);
  return attachments::requests(
      plan, [&](const OutboundMessage& lead) { return build_one(settings, receiver, lead); },
      [&](const attachments::Native& n, const std::string& caption, bool) {
        bj::object body = head(settings, receiver);
        body["type"] = n.type;
        body["media"] = n.file->public_url;
        if (n.type == "picture") body["text"] = caption;  // required, may be empty
        if (n.type != "picture") body["size"] = n.file->size;
        if (n.type == "file") body["file_name"] = n.file->filename;
        return send_message_request(settings, body);
      });
}

Result<HttpRequest> build_send(const Settings& settings, std::string_view receiver,
                               const OutboundMessage& msg) {
  return attachments::first(build_sends(settings, receiver, msg));
}

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  auto root = json::parse_object(body, {1 << 20, 16});
  if (http_status >= 500 || http_status == 429 || !root.ok()) {
    std::string message = "Viber answered HTTP " + std::to_string(http_status);
    if (http_status == 429) return Error{Errc::rate_limited, "provider_rate_limited", message, {}};
    if (http_status >= 500 || http_status == 0) return Error{Errc::unavailable, "provider_unavailable", message, {}};
    return Error{Errc::unprocessable, "provider_bad_response", message + " without a JSON body", {}};
  }
  auto status = json::optional_int(*root, "status");
  if (!status.ok() || !*status)
    return Error{Errc::unprocessable, "provider_bad_response", "Viber send response has no status", {}};
  int64_t code = **status;
  std::string text = payload::string_or_empty(*root, "status_message");
  if (code == 0 && http_status >= 200 && http_status <= 299) {
    auto token = payload::required_id(*root, "message_token", "");
    if (token.ok()) return *token;
    return Error{Errc::unprocessable, "provider_bad_response", "Viber send response has no message_token", {}};
  }
  std::string message = "Viber status " + std::to_string(code) + (text.empty() ? "" : ": " + text);
  switch (code) {
    case 2:
    case 15:
      return Error{Errc::unauthenticated, "provider_unauthorized", std::move(message), {}};
    case 5:
    case 6:
    case 11:
      return Error{Errc::unprocessable, "recipient_unavailable", std::move(message), {}};
    case 7:
    case 8:
    case 9:
      return Error{Errc::unprocessable, "account_unavailable", std::move(message), {}};
    case 12:
      return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
    case 23:
    case 24:
      return Error{Errc::unprocessable, "billing", std::move(message), {}};
    default:
      break;
  }
  if ((code >= 1 && code <= 4) || code == 10 || code == 13 || code == 14 || (code >= 16 && code <= 22))
    return Error{Errc::unprocessable, "provider_rejected", std::move(message), {}};
  return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
}

}  // namespace bottega::channels::viber
