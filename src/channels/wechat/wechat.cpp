#include "channels/wechat/wechat.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/form.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "channels/settings_reader.hpp"
#include "channels/wechat/xml.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::wechat {

namespace bj = boost::json;

namespace {

constexpr size_t kMaxTextBytes = 2048;
constexpr size_t kMaxEcho = 128;

Error unauthenticated(std::string code, std::string message) {
  return Error{Errc::unauthenticated, std::move(code), std::move(message), {}};
}

std::string sha1_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha1(), nullptr) != 1) return {};
  return crypto::hex(std::string_view(reinterpret_cast<const char*>(out), len));
}

bool alnum(std::string_view s) { return s.find_first_not_of(kAlnum) == std::string_view::npos; }

// The signature parameters of a query and whether they match. Missing ones: missing_signature.
Status check_signature(const form::Params& params, const Settings& settings) {
  const std::string* sig = form::find(params, "signature");
  const std::string* ts = form::find(params, "timestamp");
  const std::string* nonce = form::find(params, "nonce");
  if (!sig || !ts || !nonce || sig->empty())
    return unauthenticated("missing_signature", "signature, timestamp and nonce are required in the query");
  if (settings.token.empty() || !crypto::equal_ct(*sig, signature(settings.token, *ts, *nonce)))
    return unauthenticated("bad_signature", "the signature does not match the channel's token");
  return {};
}

// Plaintext mode signs only the timestamp and nonce, not the body: a callback whose timestamp is
// more than kMaxSkewMs away from its arrival is refused, so a captured signature cannot be reused
// later (WeChat retries within seconds).
constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;

Status check_fresh(const form::Params& params, int64_t received_at_ms) {
  if (received_at_ms <= 0) return {};
  const std::string* ts = form::find(params, "timestamp");
  if (!ts || ts->empty() || ts->size() > 11 || ts->find_first_not_of(kDigits) != std::string::npos)
    return unauthenticated("bad_signature", "timestamp must be Unix seconds");
  int64_t skew = std::stoll(*ts) * 1000 - received_at_ms;
  if (skew > kMaxSkewMs || skew < -kMaxSkewMs)
    return unauthenticated("stale_timestamp", "the signed timestamp is more than 5 minutes away from now");
  return {};
}

// CreateTime: Unix seconds as decimal digits.
Result<int64_t> seconds_as_ms(const xml::Element& root, std::string_view name) {
  std::string field = "xml." + std::string(name);
  const xml::Element* e = root.child(name);
  if (!e || e->text.empty()) return Error::invalid(field, field + " is required", "missing_field");
  if (e->text.size() > 11 || e->text.find_first_not_of(kDigits) != std::string::npos)
    return Error::invalid(field, field + " must be Unix seconds", "invalid_type");
  return std::stoll(e->text) * 1000;
}

Result<std::string> required(const xml::Element& root, std::string_view name, size_t max = 1024) {
  std::string field = "xml." + std::string(name);
  const xml::Element* e = root.child(name);
  if (!e || e->text.empty()) return Error::invalid(field, field + " is required", "missing_field");
  if (e->text.size() > max) return Error::invalid(field, field + " is too long", "invalid_value");
  return e->text;
}

Result<double> coordinate(const xml::Element& root, std::string_view name) {
  BOTTEGA_TRY(text, required(root, name, 32));
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v >= -180 && v <= 180) return v;
  } catch (...) {
  }
  return Error::invalid("xml." + std::string(name), "xml." + std::string(name) + " must be a coordinate", "invalid_type");
}

bj::array one(bj::object o) {
  bj::array a;
  a.push_back(std::move(o));
  return a;
}

void put_if(bj::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

// Events that come from WeChat itself about our broadcasts, not from the customer.
bool system_event(std::string_view event) {
  return event == "MASSSENDJOBFINISH" || event == "subscribe_msg_popup_event" || event == "subscribe_msg_sent_event";
}

// TEMPLATESENDJOBFINISH: whether template message MsgID reached the follower.
Result<StatusUpdate> template_status(const xml::Element& root, const std::string& from, int64_t created) {
  std::string id = root.child_text("MsgID");
  if (id.empty()) id = root.child_text("MsgId");
  if (id.empty() || id.size() > 32 || id.find_first_not_of(kDigits) != std::string::npos)
    return Error::invalid("xml.MsgID", "xml.MsgID is required (digits)", "missing_field");
  std::string status = root.child_text("Status");
  StatusUpdate u;
  u.provider_message_id = id;
  u.timestamp_ms = created;
  u.contact_external_id = from;
  u.account_id = root.child_text("ToUserName");
  if (status == "success") {
    u.state = DeliveryState::delivered;
  } else {
    u.state = DeliveryState::failed;
    // "failed:user block" (the follower refuses the account's messages), "failed: system failed",
    // "failed:freq limit".
    std::string reason = status.rfind("failed:", 0) == 0 ? status.substr(7) : status;
    while (!reason.empty() && reason.front() == ' ') reason.erase(0, 1);
    u.error_code = reason == "user block" ? "user_block" : reason == "freq limit" ? "freq_limit" : "template_send_failed";
    u.error_reason = "WeChat template message: " + (status.empty() ? std::string("failed") : status.substr(0, 200));
  }
  return u;
}

Status fill_event(const xml::Element& root, InboundMessage& out, bj::object& content) {
  BOTTEGA_TRY(event, required(root, "Event", 64));
  std::string key = root.child_text("EventKey");
  if (event == "CLICK") {
    out.kind = MessageKind::interactive_reply;
    out.text = key.empty() ? std::string("Menu") : key;
    content["type"] = "menu_click";
    content["id"] = key;
    content["title"] = key;
    return {};
  }
  if (event == "LOCATION") {
    BOTTEGA_TRY(lat, coordinate(root, "Latitude"));
    BOTTEGA_TRY(lon, coordinate(root, "Longitude"));
    out.kind = MessageKind::location;
    out.text = "Location";
    content["latitude"] = lat;
    content["longitude"] = lon;
    put_if(content, "precision", root.child_text("Precision"));
    return {};
  }
  out.kind = MessageKind::unsupported;
  out.text = "WeChat event: " + event;
  if (event == "subscribe") out.text += " (followed the account)";
  else if (event == "unsubscribe") out.text += " (unfollowed the account)";
  content["type"] = "event";
  content["event"] = event;
  put_if(content, "event_key", key);
  return {};
}

Status fill_message(const xml::Element& root, const std::string& type, InboundMessage& out, bj::object& content) {
  if (type == "text") {
    BOTTEGA_TRY(text, required(root, "Content", 64 * 1024));
    std::string menu = root.child_text("bizmsgmenuid");
    if (!menu.empty()) {
      out.kind = MessageKind::interactive_reply;
      out.text = text;
      content["type"] = "msgmenu";
      content["id"] = menu;
      content["title"] = text;
      return {};
    }
    out.kind = MessageKind::text;
    out.text = text;
    return {};
  }
  if (type == "image" || type == "voice" || type == "video" || type == "shortvideo") {
    BOTTEGA_TRY(media_id, required(root, "MediaId"));
    bj::object a{{"type", type == "image" ? "image" : type == "voice" ? "audio" : "video"}, {"id", media_id}};
    put_if(a, "url", root.child_text("PicUrl"));
    put_if(a, "format", root.child_text("Format"));
    put_if(a, "thumb_media_id", root.child_text("ThumbMediaId"));
    if (type == "voice") a["voice"] = true;
    content["attachments"] = one(std::move(a));
    std::string recognition = root.child_text("Recognition");
    if (!recognition.empty()) content["recognition"] = recognition;
    out.kind = MessageKind::media;
    out.text = recognition;
    return {};
  }
  if (type == "location") {
    BOTTEGA_TRY(lat, coordinate(root, "Location_X"));
    BOTTEGA_TRY(lon, coordinate(root, "Location_Y"));
    std::string label = root.child_text("Label");
    content["latitude"] = lat;
    content["longitude"] = lon;
    put_if(content, "address", label);
    put_if(content, "scale", root.child_text("Scale"));
    out.kind = MessageKind::location;
    out.text = label.empty() ? std::string("Location") : "Location: " + label;
    return {};
  }
  if (type == "link") {
    BOTTEGA_TRY(url, required(root, "Url", 4096));
    std::string title = root.child_text("Title");
    content["url"] = url;
    put_if(content, "title", title);
    put_if(content, "description", root.child_text("Description"));
    out.kind = MessageKind::text;
    out.text = title.empty() ? url : title + "\n" + url;
    return {};
  }
  out.kind = MessageKind::unsupported;
  out.text = "Unsupported WeChat message: " + type;
  content["type"] = type;
  return {};
}

std::string link_markup(const LinkButton& link) {
  std::string url;
  for (char c : link.url) url += c == '"' ? std::string("%22") : std::string(1, c);
  std::string title;
  for (char c : link.title) title += c == '<' ? std::string("&lt;") : c == '>' ? std::string("&gt;") : std::string(1, c);
  return "<a href=\"" + url + "\">" + title + "</a>";
}

}  // namespace

std::string signature(std::string_view token, std::string_view timestamp, std::string_view nonce) {
  std::array<std::string_view, 3> parts{token, timestamp, nonce};
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (auto p : parts) joined += p;
  return sha1_hex(joined);
}

Result<Settings> parse_settings(const boost::json::object& settings) {
  if (auto* aes = settings.if_contains("encoding_aes_key"); aes && !aes->is_null())
    return Error::invalid("settings.encoding_aes_key",
                          "safe (encrypted) mode is not supported: set the account's message encryption to plaintext "
                          "mode and remove encoding_aes_key",
                          "encrypted_mode_unsupported");
  BOTTEGA_TRY(templates, parse_templates(settings, kType));
  boost::json::object rest = settings;  // the reader checks every other key
  rest.erase("templates");
  SettingsReader r(rest);
  BOTTEGA_TRY(app_id, r.required_token("app_id", std::string(kAlnum) + "_", 64));
  BOTTEGA_TRY(secret, r.required("app_secret", 256));
  BOTTEGA_TRY(token, r.required("token", 64));
  if (token.size() < 3 || token.size() > 32 || !alnum(token))
    return Error::invalid("settings.token", "settings.token is WeChat's server Token: 3 to 32 letters and digits",
                          "invalid_value");
  BOTTEGA_TRY(base, r.base_url("api_base_url", kDefaultApiBaseUrl));
  BOTTEGA_TRY_STATUS(r.finish());
  return Settings{std::move(app_id), std::move(secret), std::move(token), std::move(base), std::move(templates)};
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  auto params = form::parse(req.query, 64, 8192);
  if (!params.ok()) return unauthenticated("missing_signature", "the query is malformed");
  if (const std::string* enc = form::find(*params, "encrypt_type"); enc && *enc == "aes")
    return unauthenticated("encrypted_mode_unsupported",
                           "safe (AES) mode callbacks are not supported: switch the account to plaintext mode");
  BOTTEGA_TRY_STATUS(check_signature(*params, settings));
  return check_fresh(*params, req.received_at_ms);
}

Result<std::string> verify_subscription(std::string_view query, const Settings& settings) {
  BOTTEGA_TRY(params, form::parse(query, 64, 8192));
  const std::string* echo = form::find(params, "echostr");
  if (!echo || echo->empty()) return Error::invalid("echostr", "echostr is missing", "missing_field");
  auto ok = check_signature(params, settings);
  if (!ok) return Error::forbidden(ok.error().code, "server verification failed: " + ok.error().message);
  if (echo->size() > kMaxEcho || echo->find_first_not_of(std::string(kAlnum) + "_.-") != std::string::npos)
    return Error::invalid("echostr", "echostr is malformed", "invalid_value");
  return *echo;
}

Result<InboundBatch> parse(std::string_view body) {
  BOTTEGA_TRY(root, xml::parse(body));
  if (root.name != "xml") return Error::invalid("body", "the root element must be <xml>", "invalid_xml");
  BOTTEGA_TRY(from, required(root, "FromUserName", 128));
  BOTTEGA_TRY(created, seconds_as_ms(root, "CreateTime"));
  BOTTEGA_TRY(type, required(root, "MsgType", 64));
  InboundBatch batch;
  InboundMessage out;
  out.contact_external_id = from;
  out.account_id = root.child_text("ToUserName");
  out.timestamp_ms = created;
  bj::object content;
  if (type == "event") {
    if (system_event(root.child_text("Event"))) return batch;
    if (root.child_text("Event") == "TEMPLATESENDJOBFINISH") {
      BOTTEGA_TRY(u, template_status(root, from, created));
      batch.statuses.push_back(std::move(u));
      return batch;
    }
    out.provider_message_id = "evt:" + from + ":" + std::to_string(created / 1000);
    // WeChat gives an event 3 customer-service messages within one minute, a customer's message 5
    // within 48 hours: only messages open Bottega's window (a reply to a bare follow or menu click
    // is refused rather than risked).
    out.opens_window = false;
    BOTTEGA_TRY_STATUS(fill_event(root, out, content));
  } else {
    BOTTEGA_TRY(msg_id, required(root, "MsgId", 64));
    out.provider_message_id = msg_id;
    BOTTEGA_TRY_STATUS(fill_message(root, type, out, content));
  }
  out.content_json = json::dump(content);
  batch.messages.push_back(std::move(out));
  return batch;
}

namespace {

// A JSON POST to the API (the access_token is added by authorize()).
HttpRequest post_json(const Settings& settings, std::string_view path, const bj::object& body) {
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + std::string(path);
  req.headers = {{"Content-Type", "application/json"}};
  req.body = json::dump(body);
  return req;
}

// Files: WeChat's customer-service API has no generic file type (text, image, voice, video, music,
// news, mpnews, msgmenu, wxcard, miniprogrampage), and an image needs a media/upload first, whose
// media_id the send would then name: every file goes as a line "filename: public_url" after the
// text (the signed link the shop serves; docs/channels.md#wechat-official-accounts).
OutboundMessage with_file_links(const OutboundMessage& msg) {
  OutboundMessage m = msg;
  if (msg.attachments.empty()) return m;
  std::vector<const OutboundAttachment*> files;
  for (const auto& a : msg.attachments) files.push_back(&a);
  m.text = attachments::with_links(msg.text, files);
  m.attachments.clear();
  return m;
}

}  // namespace

Result<HttpRequest> build_send(const Settings& settings, std::string_view openid, const OutboundMessage& original) {
  BOTTEGA_TRY_STATUS(attachments::check(original.attachments, /*need_url=*/true, /*need_bytes=*/false));
  const OutboundMessage msg = with_file_links(original);
  BOTTEGA_TRY_STATUS(render::validate(openid, msg));
  const ChannelCapabilities& caps = capabilities(kType);
  bj::object body{{"touser", openid}};
  bool news = msg.card && !msg.card->image_url.empty() && msg.link && msg.choices.empty();
  bool menu = !news && !msg.choices.empty() && msg.choices.size() <= caps.max_buttons &&
              render::choices_fit(msg.choices, 64, 64);
  std::string text;
  if (news) {
    text = msg.text;
    std::string description = msg.card->subtitle;
    if (!msg.card->description.empty()) description += (description.empty() ? "" : "\n") + msg.card->description;
    body["msgtype"] = "news";
    body["news"] = bj::object{{"articles", one(bj::object{{"title", render::clip(msg.card->title, 64)},
                                                          {"description", render::clip(description, 120)},
                                                          {"url", msg.link->url},
                                                          {"picurl", msg.card->image_url}})}};
  } else if (menu) {
    text = render::fallback_text(msg, false, true);
    bj::array list;
    for (const auto& c : msg.choices) list.push_back(bj::object{{"id", c.id}, {"content", c.title}});
    body["msgtype"] = "msgmenu";
    body["msgmenu"] = bj::object{{"head_content", text}, {"list", std::move(list)}, {"tail_content", ""}};
  } else {
    text = render::fallback_text(msg, true, false);
    if (msg.link) text += "\n\n" + link_markup(*msg.link);
    body["msgtype"] = "text";
    body["text"] = bj::object{{"content", text}};
  }
  BOTTEGA_TRY_STATUS(render::check_length(text, caps.max_text));
  if (text.size() > kMaxTextBytes)
    return Error::invalid("text", "text has " + std::to_string(text.size()) + " bytes; WeChat accepts 2048",
                          "text_too_long");
  return post_json(settings, "/cgi-bin/message/custom/send", body);
}

namespace {

Error send_error(int http_status, int64_t code, std::string errmsg) {
  std::string message = "WeChat errcode " + std::to_string(code) + (errmsg.empty() ? "" : ": " + errmsg);
  if (http_status >= 500 || code == -1) return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
  switch (code) {
    case 40001:
    case 40014:
    case 42001:
      return Error{Errc::unauthenticated, "access_token_invalid", std::move(message), {}};
    case 45015:
      return Error{Errc::unprocessable, "outside_window", std::move(message), {}};
    case 45047:
      return Error{Errc::unprocessable, "response_limit", std::move(message), {}};
    case 43004:
    case 40003:
      return Error{Errc::unprocessable, "recipient_unavailable", std::move(message), {}};
    case 45009:
    case 45011:
      return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
    case 40013:
    case 40125:
    case 40164:
    case 48001:
      return Error{Errc::unauthenticated, "provider_unauthorized", std::move(message), {}};
    case 40037:
    case 47003:
      return Error{Errc::unprocessable, "template_rejected", std::move(message), {}};
    default:
      return Error{Errc::unprocessable, "provider_rejected", std::move(message), {}};
  }
}

// An API answer's JSON object, or the error of an answer without one.
Result<bj::object> answer_object(int http_status, std::string_view body) {
  auto root = json::parse_object(body, {1 << 20, 16});
  if (root.ok()) return std::move(root).value();
  if (http_status >= 500 || http_status == 0)
    return Error{Errc::unavailable, "provider_unavailable", "WeChat answered HTTP " + std::to_string(http_status), {}};
  return Error{Errc::unprocessable, "provider_bad_response", "WeChat answered without JSON", {}};
}

// An answer's errcode (0 when absent).
int64_t errcode(const bj::object& root) {
  auto code = json::optional_int(root, "errcode");
  return code.ok() && *code ? **code : 0;
}

}  // namespace

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  BOTTEGA_TRY(object, answer_object(http_status, body));
  const bj::object* root = &object;
  int64_t c = errcode(object);
  if (c == 0 && http_status >= 200 && http_status <= 299) {
    // A template send's msgid (up to 64 bits: read as the JSON number it is).
    if (const bj::value* id = root->if_contains("msgid")) {
      if (id->is_int64() && id->get_int64() > 0) return std::to_string(id->get_int64());
      if (id->is_uint64()) return std::to_string(id->get_uint64());
    }
    return std::string();
  }
  return send_error(http_status, c == 0 ? http_status : c, payload::string_or_empty(*root, "errmsg"));
}

Result<HttpRequest> build_template_send(const Settings& settings, std::string_view openid, const TemplateSend& t) {
  if (openid.empty()) return Error::invalid("to", "no recipient");
  const MessageTemplate* m = find_template(settings.templates, t);
  if (!m || m->template_id.empty())
    return Error::invalid("template.name", "no WeChat template " + t.name + " (" + t.language + ") on this channel");
  if (t.parameters.size() != m->keys.size())
    return Error::invalid("template.parameters", "template " + m->name + " takes " + std::to_string(m->keys.size()) +
                                                     " parameters, got " + std::to_string(t.parameters.size()));
  bj::object data;
  for (size_t i = 0; i < m->keys.size(); ++i) {
    const std::string& v = t.parameters[i];
    if (v.empty() || v.size() > 200)
      return Error::invalid("template.parameters[" + std::to_string(i) + "]", "a value of 1 to 200 bytes");
    data[m->keys[i]] = bj::object{{"value", v}};
  }
  bj::object body{{"touser", openid}, {"template_id", m->template_id}};
  if (!m->url.empty()) body["url"] = m->url;
  body["data"] = std::move(data);
  return post_json(settings, "/cgi-bin/message/template/send", body);
}

Result<std::string> parse_upload_response(int http_status, std::string_view body) {
  BOTTEGA_TRY(root, answer_object(http_status, body));
  int64_t c = errcode(root);
  if (c != 0 || http_status < 200 || http_status > 299)
    return send_error(http_status, c == 0 ? http_status : c, payload::string_or_empty(root, "errmsg"));
  std::string id = payload::string_or_empty(root, "media_id");
  if (id.empty() || id.size() > 512)
    return Error{Errc::unprocessable, "provider_bad_response", "WeChat's media/upload answer has no media_id", {}};
  return id;
}

bool uploads(const OutboundAttachment& file) {
  std::string type = attachments::base_type(file.mime_type);
  return (type == "image/jpeg" || type == "image/png" || type == "image/gif") && file.size > 0 &&
         file.size <= kMaxImageBytes;
}

namespace {

// An image: uploaded as temporary media, then the image message naming the media_id of the answer.
SendPart image_part(const Settings& settings, std::string_view openid, const OutboundAttachment& file) {
  auto form = attachments::multipart({{"media", *file.bytes, file.filename, attachments::base_type(file.mime_type)}});
  HttpRequest upload;
  upload.method = "POST";
  upload.url = settings.api_base_url + "/cgi-bin/media/upload?type=image";
  upload.headers = {{"Content-Type", form.content_type}};
  upload.body = std::move(form.body);
  return SendPart{std::move(upload), [settings, to = std::string(openid)](int status, std::string_view body) -> Result<HttpRequest> {
                    BOTTEGA_TRY(media_id, parse_upload_response(status, body));
                    return post_json(settings, "/cgi-bin/message/custom/send",
                                     bj::object{{"touser", to},
                                                {"msgtype", "image"},
                                                {"image", bj::object{{"media_id", media_id}}}});
                  }};
}

}  // namespace

Result<std::vector<SendPart>> build_parts(const Settings& settings, std::string_view openid, const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, /*need_url=*/true, /*need_bytes=*/false));
  for (size_t i = 0; i < msg.attachments.size(); ++i)
    if (uploads(msg.attachments[i]) && !msg.attachments[i].bytes)
      return Error::invalid("attachments[" + std::to_string(i) + "].bytes",
                            "WeChat takes an image in the request: its bytes are required", "missing_field");
  BOTTEGA_TRY_STATUS(render::validate(openid, msg));
  auto split = attachments::split(msg.attachments, [](const OutboundAttachment& f) {
    return uploads(f) ? std::string("image") : std::string();
  });
  std::vector<SendPart> out;
  if (split.native.empty()) {
    BOTTEGA_TRY(one, build_send(settings, openid, msg));
    out.push_back(SendPart{std::move(one)});
    return out;
  }
  // Image messages have no caption: the text (and the other files' links) goes first.
  auto plan = attachments::plan(msg, std::move(split), 0, nullptr);
  if (plan.lead) {
    BOTTEGA_TRY(lead, build_send(settings, openid, *plan.lead));
    out.push_back(SendPart{std::move(lead)});
  }
  for (const auto& image : plan.media) out.push_back(image_part(settings, openid, *image.file));
  return out;
}

HttpRequest build_token_request(const Settings& settings) {
  HttpRequest req;
  req.method = "GET";
  req.url = settings.api_base_url + "/cgi-bin/token?" +
            form::encode({{"grant_type", "client_credential"}, {"appid", settings.app_id}, {"secret", settings.app_secret}});
  return req;
}

Result<AccessToken> parse_token_response(int http_status, std::string_view body) {
  auto root = json::parse_object(body, {64 * 1024, 8});
  if (root.ok() && http_status >= 200 && http_status <= 299) {
    std::string token = payload::string_or_empty(*root, "access_token");
    auto expires = json::optional_int(*root, "expires_in");
    if (!token.empty() && token.size() <= 2048 && expires.ok() && *expires && **expires > 0)
      return AccessToken{std::move(token), **expires};
    auto code = json::optional_int(*root, "errcode");
    if (code.ok() && *code && **code != 0)
      return send_error(http_status, **code, payload::string_or_empty(*root, "errmsg"));
    return Error{Errc::unprocessable, "provider_bad_response", "WeChat token answer has no access_token", {}};
  }
  if (http_status >= 500 || http_status == 0)
    return Error{Errc::unavailable, "provider_unavailable", "WeChat token endpoint answered HTTP " + std::to_string(http_status), {}};
  return Error{Errc::unprocessable, "provider_bad_response", "WeChat token endpoint answered without JSON", {}};
}

void authorize(HttpRequest& req, std::string_view access_token) {
  req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + form::encode({{"access_token", std::string(access_token)}});
}

}  // namespace bottega::channels::wechat
