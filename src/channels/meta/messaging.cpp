#include "channels/attachments.hpp"
#include "channels/meta/messaging.hpp"

#include "channels/capabilities.hpp"
#include "channels/form.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "core/json.hpp"

namespace bottega::channels::meta {

namespace bj = boost::json;
using payload::element;
using payload::member;

namespace {

constexpr json::ParseLimits kLimits{4 << 20, 32};
constexpr size_t kButtonTitle = 20;  // quick reply and template button titles
constexpr size_t kPayload = 1000;    // quick reply and postback payloads
constexpr size_t kButtonTemplateText = 640;
constexpr size_t kCardButtons = 3;     // generic template: at most 3 buttons per element
constexpr size_t kCarouselElements = 10;  // generic template: at most 10 elements
constexpr size_t kCardTitle = 80;      // element title and subtitle: at most 80 characters
constexpr size_t kCardSubtitle = 80;

std::string_view platform_name(Platform p) {
  return p == Platform::messenger ? "Messenger" : "Instagram";
}

std::string_view channel_type(Platform p) {
  return p == Platform::messenger ? "messenger" : "instagram";
}

bool is_media_type(std::string_view t) {
  return t == "image" || t == "video" || t == "audio" || t == "file";
}

// Who the event is about: sender and recipient ids, resolved for echoes.
struct Parties {
  std::string sender;     // sender.id or sender.user_ref
  std::string recipient;  // recipient.id
};

Result<Parties> parties(const bj::object& ev, const std::string& path) {
  Parties p;
  BOTTEGA_TRY(sender, payload::required_object(ev, "sender", path));
  std::string spath = member(path, "sender");
  if (sender->contains("id")) {
    BOTTEGA_TRY(id, payload::required_id(*sender, "id", spath));
    p.sender = std::move(id);
  } else if (sender->contains("user_ref")) {
    BOTTEGA_TRY(ref, payload::required_id(*sender, "user_ref", spath));
    p.sender = std::move(ref);
  } else {
    return Error::invalid(member(spath, "id"), member(spath, "id") + " is required",
                          "missing_field");
  }
  auto recipient = ev.find("recipient");
  if (recipient != ev.end() && recipient->value().is_object()) {
    const auto& r = recipient->value().get_object();
    auto id = r.find("id");
    if (id != r.end()) {
      if (id->value().is_string())
        p.recipient = id->value().get_string();
      else if (id->value().is_int64())
        p.recipient = std::to_string(id->value().get_int64());
      else if (id->value().is_uint64())
        p.recipient = std::to_string(id->value().get_uint64());
    }
  }
  return p;
}

// Fills kind, text and content of a "message" event from its attachments.
Status classify_attachments(Platform platform, const bj::array& atts, const std::string& path,
                            const std::string& text, InboundMessage& out, bj::object& content) {
  bj::array list;
  std::string odd_type;  // first attachment type we do not handle as media
  const bj::object* location = nullptr;
  std::string location_path;
  for (size_t i = 0; i < atts.size(); ++i) {
    std::string p = element(path, i);
    BOTTEGA_TRY(a, payload::object_at(atts[i], p));
    BOTTEGA_TRY(type, json::required_string(*a, "type", member(p, "type"), 64));
    bj::object item{{"type", type}};
    auto pl = a->find("payload");
    if (pl != a->end() && pl->value().is_object()) {
      const auto& po = pl->value().get_object();
      for (std::string_view k : {"url", "title", "sticker_id"}) {
        auto f = po.find(k);
        if (f != po.end() &&
            (f->value().is_string() || f->value().is_int64() || f->value().is_uint64()))
          item[k] = f->value();
      }
      if (type == "location" && location == nullptr) {
        location = &po;
        location_path = member(p, "payload.coordinates");
      }
    }
    auto title = a->find("title");
    if (title != a->end() && title->value().is_string() && !item.contains("title"))
      item["title"] = title->value();
    if (!is_media_type(type) && odd_type.empty()) odd_type = type;
    list.push_back(std::move(item));
  }
  if (odd_type.empty()) {
    out.kind = MessageKind::media;
    out.text = text;
    content["attachments"] = std::move(list);
    if (!text.empty()) content["caption"] = text;
    return {};
  }
  if (odd_type == "location" && location != nullptr) {
    auto c = location->find("coordinates");
    if (c != location->end() && c->value().is_object()) {
      const auto& co = c->value().get_object();
      BOTTEGA_TRY(lat, payload::required_number(co, "lat", location_path));
      BOTTEGA_TRY(lon, payload::required_number(co, "long", location_path));
      out.kind = MessageKind::location;
      out.text = "Location";
      content["latitude"] = lat;
      content["longitude"] = lon;
      return {};
    }
  }
  out.kind = MessageKind::unsupported;
  out.text = "Unsupported " + std::string(platform_name(platform)) + " attachment: " + odd_type;
  content["type"] = odd_type;
  content["attachments"] = std::move(list);
  if (!text.empty()) content["text"] = text;
  return {};
}

Result<InboundMessage> parse_message_event(Platform platform, const bj::object& ev,
                                           const std::string& path, const Parties& who) {
  std::string mpath = member(path, "message");
  BOTTEGA_TRY(m, payload::required_object(ev, "message", path));
  BOTTEGA_TRY(mid, payload::required_id(*m, "mid", mpath));
  BOTTEGA_TRY(ts, payload::required_ms(ev, "timestamp", path));
  BOTTEGA_TRY(echo, json::optional_bool(*m, "is_echo", member(mpath, "is_echo")));
  BOTTEGA_TRY(text, json::optional_string(*m, "text", member(mpath, "text")));

  InboundMessage out;
  out.provider_message_id = mid;
  out.timestamp_ms = ts;
  out.echo = echo.value_or(false);
  // An echo is our page's own message: the conversation is with its recipient.
  out.contact_external_id = out.echo ? who.recipient : who.sender;
  out.account_id = out.echo ? who.sender : who.recipient;
  if (out.contact_external_id.empty()) {
    std::string f = member(path, out.echo ? "recipient.id" : "sender.id");
    return Error::invalid(f, f + " is required", "missing_field");
  }

  bj::object content;
  if (out.echo) {
    auto app = m->find("app_id");
    if (app != m->end() &&
        (app->value().is_int64() || app->value().is_uint64() || app->value().is_string()))
      content["app_id"] = app->value();
    auto md = m->find("metadata");  // what we passed as message.metadata when sending
    if (md != m->end() && md->value().is_string()) content["metadata"] = md->value();
  }
  auto reply = m->find("reply_to");
  if (reply != m->end() && reply->value().is_object())
    out.reply_to = payload::string_or_empty(reply->value().get_object(), "mid");

  BOTTEGA_TRY(deleted, json::optional_bool(*m, "is_deleted", member(mpath, "is_deleted")));
  BOTTEGA_TRY(unsupported,
              json::optional_bool(*m, "is_unsupported", member(mpath, "is_unsupported")));
  BOTTEGA_TRY(quick, json::optional_object(*m, "quick_reply", member(mpath, "quick_reply")));
  BOTTEGA_TRY(atts, json::optional_array(*m, "attachments", member(mpath, "attachments")));
  const std::string body = text.value_or(std::string());

  if (deleted.value_or(false)) {
    // A notice that the user deleted message `mid`: its own id must not collide with the original.
    out.provider_message_id = mid + ":deleted";
    out.reply_to = mid;
    out.kind = MessageKind::unsupported;
    out.text = std::string(platform_name(platform)) + " message deleted by the user";
    content["type"] = "deleted";
    content["message_id"] = mid;
  } else if (unsupported.value_or(false)) {
    out.kind = MessageKind::unsupported;
    out.text = "Unsupported " + std::string(platform_name(platform)) + " message";
    content["type"] = "unsupported";
  } else if (quick) {
    std::string qpath = member(mpath, "quick_reply");
    BOTTEGA_TRY(pl, json::required_string(*quick, "payload", member(qpath, "payload")));
    out.kind = MessageKind::interactive_reply;
    out.text = body;
    content["type"] = "quick_reply";
    content["id"] = pl;
    content["title"] = body;
  } else if (atts && !atts->empty()) {
    BOTTEGA_TRY_STATUS(
        classify_attachments(platform, *atts, member(mpath, "attachments"), body, out, content));
  } else if (!body.empty()) {
    out.kind = MessageKind::text;
    out.text = body;
  } else {
    out.kind = MessageKind::unsupported;
    out.text = "Empty " + std::string(platform_name(platform)) + " message";
    content["type"] = "empty";
  }
  auto sticker = m->find("sticker_id");
  if (sticker != m->end() && (sticker->value().is_int64() || sticker->value().is_uint64()))
    content["sticker_id"] = sticker->value();
  out.content_json = json::dump(content);
  return out;
}

Result<InboundMessage> parse_postback(const bj::object& ev, const std::string& path,
                                      const Parties& who) {
  std::string ppath = member(path, "postback");
  BOTTEGA_TRY(pb, payload::required_object(ev, "postback", path));
  BOTTEGA_TRY(ts, payload::required_ms(ev, "timestamp", path));
  BOTTEGA_TRY(pl, json::required_string(*pb, "payload", member(ppath, "payload"), 4096));
  BOTTEGA_TRY(title, json::optional_string(*pb, "title", member(ppath, "title")));
  BOTTEGA_TRY(mid, json::optional_string(*pb, "mid", member(ppath, "mid"), 512));
  InboundMessage out;
  out.provider_message_id =
      mid && !mid->empty() ? *mid : "postback:" + who.sender + ":" + std::to_string(ts);
  out.contact_external_id = who.sender;
  out.account_id = who.recipient;
  out.timestamp_ms = ts;
  out.kind = MessageKind::interactive_reply;
  out.text = title && !title->empty() ? *title : pl;
  bj::object content{{"type", "postback"}, {"id", pl}, {"title", title.value_or(std::string())}};
  auto ref = pb->find("referral");
  if (ref != pb->end() && ref->value().is_object()) content["referral"] = ref->value();
  out.content_json = json::dump(content);
  return out;
}

Result<InboundMessage> parse_reaction(const bj::object& ev, const std::string& path,
                                      const Parties& who) {
  std::string rpath = member(path, "reaction");
  BOTTEGA_TRY(r, payload::required_object(ev, "reaction", path));
  BOTTEGA_TRY(ts, payload::required_ms(ev, "timestamp", path));
  BOTTEGA_TRY(mid, payload::required_id(*r, "mid", rpath));
  std::string action = payload::string_or_empty(*r, "action");
  std::string emoji = payload::string_or_empty(*r, "emoji");
  std::string name = payload::string_or_empty(*r, "reaction");
  bool removed = action == "unreact";
  InboundMessage out;
  out.provider_message_id = "reaction:" + mid + ":" + who.sender + ":" + std::to_string(ts);
  out.contact_external_id = who.sender;
  out.account_id = who.recipient;
  out.timestamp_ms = ts;
  out.kind = MessageKind::reaction;
  out.reply_to = mid;
  out.text = removed ? std::string() : (emoji.empty() ? name : emoji);
  bj::object content{{"message_id", mid}, {"emoji", removed ? std::string() : emoji}};
  if (!name.empty()) content["reaction"] = name;
  if (removed) content["removed"] = true;
  out.content_json = json::dump(content);
  return out;
}

// Deliveries and reads: per-mid updates, or one watermark update.
Status parse_receipt(const bj::object& ev, const std::string& path, const Parties& who,
                     std::string_view key, DeliveryState state, InboundBatch& batch) {
  std::string rpath = member(path, key);
  BOTTEGA_TRY(r, payload::required_object(ev, key, path));
  BOTTEGA_TRY(mids, json::optional_array(*r, "mids", member(rpath, "mids")));
  std::string single = payload::string_or_empty(*r, "mid");  // Instagram messaging_seen
  StatusUpdate base;
  base.state = state;
  base.contact_external_id = who.sender;
  base.account_id = who.recipient;
  bool has_watermark = r->contains("watermark") && !r->at("watermark").is_null();
  if (has_watermark) {
    BOTTEGA_TRY(wm, payload::required_ms(*r, "watermark", rpath));
    base.timestamp_ms = wm;
  } else if (ev.contains("timestamp")) {
    BOTTEGA_TRY(ts, payload::required_ms(ev, "timestamp", path));
    base.timestamp_ms = ts;
  }
  size_t added = 0;
  if (mids) {
    for (size_t i = 0; i < mids->size(); ++i) {
      const auto& v = (*mids)[i];
      if (!v.is_string() || v.get_string().empty())
        return Error::invalid(element(member(rpath, "mids"), i), "mid must be a string",
                              "invalid_type");
      StatusUpdate u = base;
      u.provider_message_id = v.get_string();
      batch.statuses.push_back(std::move(u));
      ++added;
    }
  }
  if (!single.empty()) {
    StatusUpdate u = base;
    u.provider_message_id = single;
    batch.statuses.push_back(std::move(u));
    ++added;
  }
  if (added == 0) {
    if (!has_watermark) {
      std::string f = member(rpath, "watermark");
      return Error::invalid(f, f + " is required", "missing_field");
    }
    base.watermark = true;
    batch.statuses.push_back(std::move(base));
  }
  return {};
}

Status parse_event(Platform platform, const bj::object& ev, const std::string& path,
                   InboundBatch& batch) {
  auto has = [&](std::string_view k) { return ev.contains(k) && !ev.at(k).is_null(); };
  if (has("message")) {
    BOTTEGA_TRY(who, parties(ev, path));
    BOTTEGA_TRY(m, parse_message_event(platform, ev, path, who));
    batch.messages.push_back(std::move(m));
  } else if (has("postback")) {
    BOTTEGA_TRY(who, parties(ev, path));
    BOTTEGA_TRY(m, parse_postback(ev, path, who));
    batch.messages.push_back(std::move(m));
  } else if (has("reaction")) {
    BOTTEGA_TRY(who, parties(ev, path));
    BOTTEGA_TRY(m, parse_reaction(ev, path, who));
    batch.messages.push_back(std::move(m));
  } else if (has("delivery")) {
    BOTTEGA_TRY(who, parties(ev, path));
    BOTTEGA_TRY_STATUS(parse_receipt(ev, path, who, "delivery", DeliveryState::delivered, batch));
  } else if (has("read")) {
    BOTTEGA_TRY(who, parties(ev, path));
    BOTTEGA_TRY_STATUS(parse_receipt(ev, path, who, "read", DeliveryState::read, batch));
  }
  // Other events (optin, referral, account_linking, handover, game_play...) carry no message.
  return {};
}

bj::object recipient_and_type(Platform platform, std::string_view to, const OutboundMessage& msg) {
  bj::object body{{"recipient", bj::object{{"id", to}}}};
  if (msg.human_agent) {
    body["messaging_type"] = "MESSAGE_TAG";
    body["tag"] = "HUMAN_AGENT";
  } else if (platform == Platform::messenger) {
    body["messaging_type"] = "RESPONSE";
  }
  return body;
}

bj::array quick_replies(const std::vector<ReplyChoice>& choices) {
  bj::array out;
  for (const auto& c : choices)
    out.push_back(bj::object{{"content_type", "text"}, {"title", c.title}, {"payload", c.id}});
  return out;
}

}  // namespace

Result<InboundBatch> parse_messaging(Platform platform, std::string_view body) {
  BOTTEGA_TRY(root, json::parse_object(body, kLimits));
  BOTTEGA_TRY(object, json::required_string(root, "object", "object", 64));
  std::string_view expected = platform == Platform::messenger ? "page" : "instagram";
  if (object != expected)
    return Error::invalid("object", "object must be \"" + std::string(expected) + "\"",
                          "invalid_value");
  BOTTEGA_TRY(entries, payload::required_array(root, "entry", ""));
  InboundBatch batch;
  for (size_t i = 0; i < entries->size(); ++i) {
    std::string epath = element("entry", i);
    BOTTEGA_TRY(entry, payload::object_at((*entries)[i], epath));
    for (std::string_view list : {"messaging", "standby"}) {
      std::string lpath = member(epath, list);
      BOTTEGA_TRY(events, json::optional_array(*entry, list, lpath));
      if (!events) continue;
      for (size_t j = 0; j < events->size(); ++j) {
        std::string p = element(lpath, j);
        BOTTEGA_TRY(ev, payload::object_at((*events)[j], p));
        BOTTEGA_TRY_STATUS(parse_event(platform, *ev, p, batch));
      }
    }
  }
  return batch;
}

namespace {

// One generic template element: image, title, price line (+ description), the link as web_url
// button (also the tap on the element) and the choices as postbacks.
bj::object card_element(const ProductCard& card, const std::optional<LinkButton>& link,
                        const std::vector<ReplyChoice>& choices) {
  bj::object element{{"title", render::clip(card.title, kCardTitle)}};
  std::string subtitle = card.subtitle;
  if (!card.description.empty()) subtitle += (subtitle.empty() ? "" : "\n") + card.description;
  if (!subtitle.empty()) element["subtitle"] = render::clip(subtitle, kCardSubtitle);
  if (!card.image_url.empty()) element["image_url"] = card.image_url;
  bj::array buttons;
  if (link) {
    element["default_action"] = bj::object{{"type", "web_url"}, {"url", link->url}};
    buttons.push_back(bj::object{{"type", "web_url"}, {"url", link->url}, {"title", link->title}});
  }
  for (const auto& c : choices)
    buttons.push_back(bj::object{{"type", "postback"}, {"title", c.title}, {"payload", c.id}});
  if (!buttons.empty()) element["buttons"] = std::move(buttons);
  return element;
}

}  // namespace

namespace {

std::string send_url(const PageSettings& settings) {
  return settings.api_base_url + "/me/messages?access_token=" +
         form::encode_component(settings.page_access_token);
}

// The attachment types and sizes each platform takes (docs/channels.md "Outbound files");
// anything else goes as a link.
std::string messenger_type(const OutboundAttachment& f) {
  if (f.size > 25 * attachments::kMB) return "";
  std::string t = attachments::base_type(f.mime_type);
  if (t.rfind("image/", 0) == 0) return "image";
  if (t.rfind("video/", 0) == 0) return "video";
  if (t.rfind("audio/", 0) == 0) return "audio";
  return "file";
}

std::string instagram_type(const OutboundAttachment& f) {
  std::string t = attachments::base_type(f.mime_type);
  constexpr int64_t MB = attachments::kMB;
  if ((t == "image/png" || t == "image/jpeg" || t == "image/gif") && f.size <= 8 * MB) return "image";
  if (f.size > 25 * MB) return "";
  if (t == "video/mp4" || t == "video/ogg" || t == "video/x-msvideo" || t == "video/quicktime" ||
      t == "video/webm")
    return "video";
  if (t == "audio/aac" || t == "audio/mp4" || t == "audio/x-m4a" || t == "audio/wav" ||
      t == "audio/x-wav" || t == "audio/vnd.wave")
    return "audio";
  if (t == "application/pdf") return "file";
  return "";
}

// One file as an attachment message, uploaded with it: multipart/form-data with recipient,
// messaging_type (and tag), message {"attachment":{"type","payload":{"is_reusable":false}}} and
// the bytes as `filedata`.
HttpRequest attachment_request(Platform platform, const PageSettings& settings, std::string_view to,
                               const OutboundMessage& msg, const attachments::Native& file) {
  bj::object head = recipient_and_type(platform, to, msg);
  std::vector<attachments::FormPart> parts;
  for (const auto& kv : head)
    parts.push_back({std::string(kv.key()), kv.value().is_string() ? std::string(kv.value().get_string())
                                                                   : json::dump(kv.value())});
  bj::object message{
      {"attachment", bj::object{{"type", file.type}, {"payload", bj::object{{"is_reusable", false}}}}}};
  parts.push_back({"message", json::dump(message)});
  parts.push_back({"filedata", *file.file->bytes, file.file->filename,
                   attachments::base_type(file.file->mime_type)});
  auto mp = attachments::multipart(parts);
  HttpRequest req;
  req.method = "POST";
  req.url = send_url(settings);
  req.headers = {{"Content-Type", mp.content_type}};
  req.body = std::move(mp.body);
  return req;
}

Result<HttpRequest> build_one(Platform platform, const PageSettings& settings, std::string_view to,
                              const OutboundMessage& msg) {
  const ChannelCapabilities& caps = capabilities(channel_type(platform));
  const size_t n = msg.choices.size();
  bj::object message;

  // A product card: the generic template (one element: image, title, price line, up to three
  // buttons: the choices as postbacks and the link as web_url, which also opens on a tap).
  bool generic = msg.card && caps.card_templates && n + (msg.link ? 1 : 0) <= kCardButtons &&
                 render::choices_fit(msg.choices, kButtonTitle, kPayload) &&
                 (!msg.link || render::char_count(msg.link->title) <= kButtonTitle);
  // Several products: a generic template carousel, one element per product (at most 10), each
  // with its own "View" (web_url, also the tap on the element) and "Add to cart" (postback).
  bool carousel = !generic && msg.products && caps.card_templates && msg.products->items.size() <= kCarouselElements;
  if (generic || carousel) {
    bj::array elements;
    if (generic) elements.push_back(card_element(*msg.card, msg.link, msg.choices));
    else
      for (const auto& item : msg.products->items) {
        std::vector<ReplyChoice> buy;
        if (item.buy && item.buy->id.size() <= kPayload)
          buy.push_back({item.buy->id, render::clip(item.buy->title, kButtonTitle), ""});
        std::optional<LinkButton> link = item.link;
        if (link) link->title = render::clip(link->title, kButtonTitle);
        elements.push_back(card_element(item.card, link, buy));
      }
    bj::object pl{{"template_type", "generic"}, {"elements", std::move(elements)}};
    message["attachment"] = bj::object{{"type", "template"}, {"payload", std::move(pl)}};
  }

  bool button_template = !generic && !carousel && msg.link && caps.url_buttons && n + 1 <= caps.max_buttons &&
                         render::choices_fit(msg.choices, kButtonTitle, kPayload) &&
                         render::char_count(msg.link->title) <= kButtonTitle &&
                         render::char_count(msg.text) <= kButtonTemplateText;
  if (button_template) {
    bj::array buttons;
    for (const auto& c : msg.choices)
      buttons.push_back(bj::object{{"type", "postback"}, {"title", c.title}, {"payload", c.id}});
    buttons.push_back(
        bj::object{{"type", "web_url"}, {"url", msg.link->url}, {"title", msg.link->title}});
    bj::object pl{{"template_type", "button"}, {"text", msg.text}, {"buttons", std::move(buttons)}};
    message["attachment"] = bj::object{{"type", "template"}, {"payload", std::move(pl)}};
  } else if (generic || carousel) {
    // built above
  } else if (n > 0 && n <= caps.max_quick_replies &&
             render::choices_fit(msg.choices, kButtonTitle, kPayload)) {
    std::string text = render::fallback_text(msg, false, true);
    BOTTEGA_TRY_STATUS(render::check_length(text, caps.max_text));
    message["text"] = text;
    message["quick_replies"] = quick_replies(msg.choices);
  } else {
    std::string text = render::fallback_text(msg, true, true);
    BOTTEGA_TRY_STATUS(render::check_length(text, caps.max_text));
    message["text"] = text;
  }

  bj::object body = recipient_and_type(platform, to, msg);
  body["message"] = std::move(message);
  HttpRequest req;
  req.method = "POST";
  req.url = send_url(settings);
  req.headers = {{"Content-Type", "application/json"}};
  req.body = json::dump(body);
  return req;
}

}  // namespace

Result<std::vector<HttpRequest>> build_messaging_sends(Platform platform, const PageSettings& settings,
                                                       std::string_view to, const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(render::validate(to, msg));
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, false, true));
  auto classify = platform == Platform::messenger ? messenger_type : instagram_type;
  auto split = attachments::split(msg.attachments, classify);
  BOTTEGA_TRY_STATUS(attachments::check_links(split, platform_name(platform)));
  // An attachment message has no text: the text (and the links) go first as their own message.
  return attachments::requests(
      attachments::plan(msg, std::move(split), 0, nullptr),
      [&](const OutboundMessage& lead) { return build_one(platform, settings, to, lead); },
      [&](const attachments::Native& n, const std::string&, bool) {
        return attachment_request(platform, settings, to, msg, n);
      });
}

Result<HttpRequest> build_messaging_send(Platform platform, const PageSettings& settings,
                                         std::string_view to, const OutboundMessage& msg) {
  return attachments::first(build_messaging_sends(platform, settings, to, msg));
}

Result<std::string> parse_messaging_send_response(Platform platform, int http_status,
                                                  std::string_view body) {
  if (http_status < 200 || http_status > 299)
    return graph_error(platform_name(platform), http_status, body);
  auto root = json::parse_object(body, {1 << 20, 16});
  if (root.ok()) {
    std::string id = payload::string_or_empty(*root, "message_id");
    if (!id.empty()) return id;
  }
  return Error{Errc::unprocessable,
               "provider_bad_response",
               std::string(platform_name(platform)) + " send response has no message_id",
               {}};
}

}  // namespace bottega::channels::meta
