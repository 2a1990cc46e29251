#include "channels/telegram/telegram.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "channels/settings_reader.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::telegram {

namespace bj = boost::json;
using payload::element;
using payload::member;

namespace {

constexpr json::ParseLimits kLimits{1 << 20, 32};
constexpr size_t kCallbackData = 64;  // bytes
constexpr size_t kCaption = 1024;     // sendPhoto caption, characters
constexpr std::string_view kTokenAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";

bj::array one(bj::object o) {
  bj::array a;
  a.push_back(std::move(o));
  return a;
}

Error unauthenticated(std::string code, std::string message) {
  return Error{Errc::unauthenticated, std::move(code), std::move(message), {}};
}

std::string display_name(const bj::object& user_or_chat) {
  std::string first = payload::string_or_empty(user_or_chat, "first_name");
  std::string last = payload::string_or_empty(user_or_chat, "last_name");
  std::string name = first;
  if (!last.empty()) name += (name.empty() ? "" : " ") + last;
  if (name.empty()) name = payload::string_or_empty(user_or_chat, "title");
  if (name.empty()) name = payload::string_or_empty(user_or_chat, "username");
  return name;
}

// The object member `key` of o when present and an object, else nullptr (lenient lookups).
const bj::object* object_or_null(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

// Copies the named members of `from` that are strings, integers or booleans.
void copy_scalars(const bj::object& from, bj::object& to,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> keys) {
  for (auto [src, dst] : keys) {
    auto it = from.find(src);
    if (it == from.end()) continue;
    const auto& v = it->value();
    if (v.is_string() || v.is_int64() || v.is_uint64() || v.is_bool()) to[dst] = v;
  }
}

// The attachment for a Telegram file object (PhotoSize, Document, Audio...).
Result<bj::object> attachment(const bj::object& file, const std::string& path,
                              std::string_view type) {
  BOTTEGA_TRY(file_id, json::required_string(file, "file_id", member(path, "file_id"), 1024));
  bj::object a{{"type", type}, {"id", file_id}};
  copy_scalars(file, a,
               {{"file_unique_id", "file_unique_id"},
                {"mime_type", "mime_type"},
                {"file_name", "filename"},
                {"file_size", "size"},
                {"width", "width"},
                {"height", "height"},
                {"duration", "duration"},
                {"emoji", "emoji"}});
  return a;
}

struct MediaKey {
  std::string_view key;   // member of Message
  std::string_view type;  // our attachment type
  std::string_view flag;  // extra boolean set on the attachment, if any
};

// Order matters: an animation message also carries "document".
constexpr MediaKey kMedia[] = {
    {"animation", "video", "animated"}, {"video", "video", ""}, {"video_note", "video", "round"},
    {"voice", "audio", "voice"},        {"audio", "audio", ""}, {"document", "document", ""},
    {"sticker", "sticker", ""},
};

// Message members that mark content we do not render (for the unsupported text).
constexpr std::string_view kOtherContent[] = {
    "poll",
    "dice",
    "game",
    "invoice",
    "successful_payment",
    "story",
    "giveaway",
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "pinned_message",
    "migrate_to_chat_id",
    "web_app_data",
    "write_access_allowed",
    "users_shared",
    "chat_shared",
    "passport_data",
};

Status fill_content(const bj::object& m, const std::string& path, InboundMessage& out,
                    bj::object& content) {
  std::string caption = payload::string_or_empty(m, "caption");
  auto text = m.find("text");
  if (text != m.end() && !text->value().is_null()) {
    BOTTEGA_TRY(t, json::required_string(m, "text", member(path, "text")));
    out.kind = MessageKind::text;
    out.text = t;
    if (!t.empty() && t.front() == '/') {  // a bot command: "/start@shop_bot payload"
      std::string cmd = t.substr(0, t.find_first_of(" \n"));
      cmd = cmd.substr(0, cmd.find('@'));
      content["command"] = cmd;
    }
    return {};
  }
  BOTTEGA_TRY(photo, json::optional_array(m, "photo", member(path, "photo")));
  if (photo && !photo->empty()) {
    size_t last = photo->size() - 1;  // sizes ascend: the last one is the original
    std::string p = element(member(path, "photo"), last);
    BOTTEGA_TRY(size, payload::object_at((*photo)[last], p));
    BOTTEGA_TRY(a, attachment(*size, p, "image"));
    content["attachments"] = one(std::move(a));
    if (!caption.empty()) content["caption"] = caption;
    out.kind = MessageKind::media;
    out.text = caption;
    return {};
  }
  for (const auto& mk : kMedia) {
    const bj::object* file = object_or_null(m, mk.key);
    if (file == nullptr) continue;
    BOTTEGA_TRY(a, attachment(*file, member(path, mk.key), mk.type));
    if (!mk.flag.empty()) a[mk.flag] = true;
    content["attachments"] = one(std::move(a));
    if (!caption.empty()) content["caption"] = caption;
    out.kind = MessageKind::media;
    out.text = caption;
    return {};
  }
  const bj::object* venue = object_or_null(m, "venue");
  const bj::object* location = venue ? object_or_null(*venue, "location") : nullptr;
  std::string lpath = venue ? member(path, "venue.location") : member(path, "location");
  if (location == nullptr) location = object_or_null(m, "location");
  if (location != nullptr) {
    BOTTEGA_TRY(lat, payload::required_number(*location, "latitude", lpath));
    BOTTEGA_TRY(lon, payload::required_number(*location, "longitude", lpath));
    content["latitude"] = lat;
    content["longitude"] = lon;
    out.kind = MessageKind::location;
    out.text = "Location";
    if (venue) {
      std::string title = payload::string_or_empty(*venue, "title");
      std::string address = payload::string_or_empty(*venue, "address");
      if (!title.empty()) content["name"] = title;
      if (!address.empty()) content["address"] = address;
      if (!title.empty()) out.text += ": " + title;
      if (!address.empty()) out.text += (title.empty() ? ": " : ", ") + address;
    }
    return {};
  }
  if (const bj::object* contact = object_or_null(m, "contact")) {
    std::string cpath = member(path, "contact");
    BOTTEGA_TRY(phone,
                json::required_string(*contact, "phone_number", member(cpath, "phone_number")));
    bj::object card{{"phone_number", phone}};
    copy_scalars(*contact, card,
                 {{"first_name", "first_name"},
                  {"last_name", "last_name"},
                  {"user_id", "user_id"},
                  {"vcard", "vcard"}});
    content["contacts"] = one(std::move(card));
    std::string name = display_name(*contact);
    out.kind = MessageKind::contacts;
    out.text = "Contact: " + (name.empty() ? phone : name);
    return {};
  }
  std::string type;
  for (auto k : kOtherContent)
    if (m.contains(k)) {
      type = k;
      break;
    }
  out.kind = MessageKind::unsupported;
  out.text = "Unsupported Telegram message" + (type.empty() ? std::string() : ": " + type);
  content["type"] = type.empty() ? "unknown" : type;
  if (!caption.empty()) content["caption"] = caption;
  return {};
}

struct ChatRef {
  std::string chat_id;
  std::string chat_name;
};

Result<ChatRef> chat_of(const bj::object& m, const std::string& path) {
  BOTTEGA_TRY(chat, payload::required_object(m, "chat", path));
  BOTTEGA_TRY(id, json::required_int(*chat, "id", member(path, "chat.id")));
  return ChatRef{std::to_string(id), display_name(*chat)};
}

Result<InboundMessage> parse_message(const bj::object& m, const std::string& path, bool edited) {
  BOTTEGA_TRY(mid, json::required_int(m, "message_id", member(path, "message_id")));
  BOTTEGA_TRY(chat, chat_of(m, path));
  BOTTEGA_TRY(date, payload::required_seconds_as_ms(m, "date", path));
  InboundMessage out;
  std::string id = chat.chat_id + ":" + std::to_string(mid);
  out.contact_external_id = chat.chat_id;
  const bj::object* from = object_or_null(m, "from");
  out.contact_name = from ? display_name(*from) : chat.chat_name;
  if (out.contact_name.empty()) out.contact_name = chat.chat_name;
  out.timestamp_ms = date;
  bj::object content;
  if (edited) {
    BOTTEGA_TRY(edit_ms, payload::required_seconds_as_ms(m, "edit_date", path));
    out.provider_message_id = id + ":edit:" + std::to_string(edit_ms / 1000);
    out.edit_of = id;
    out.timestamp_ms = edit_ms;
    content["edited"] = true;
  } else {
    out.provider_message_id = id;
  }
  if (const bj::object* reply = object_or_null(m, "reply_to_message")) {
    auto rid = reply->find("message_id");
    if (rid != reply->end() && rid->value().is_int64())
      out.reply_to = chat.chat_id + ":" + std::to_string(rid->value().get_int64());
  }
  if (from) {
    auto uid = from->find("id");
    if (uid != from->end() && (uid->value().is_int64() || uid->value().is_uint64()))
      content["from_id"] = uid->value();
    copy_scalars(*from, content, {{"username", "username"}, {"language_code", "language_code"}});
  }
  BOTTEGA_TRY_STATUS(fill_content(m, path, out, content));
  out.content_json = json::dump(content);
  return out;
}

// The label of the inline keyboard button whose callback_data is `data`, or "".
std::string button_label(const bj::object& message, std::string_view data) {
  const bj::object* markup = object_or_null(message, "reply_markup");
  if (markup == nullptr) return {};
  auto kb = markup->find("inline_keyboard");
  if (kb == markup->end() || !kb->value().is_array()) return {};
  for (const auto& row : kb->value().get_array()) {
    if (!row.is_array()) continue;
    for (const auto& b : row.get_array()) {
      if (!b.is_object()) continue;
      const auto& bo = b.get_object();
      auto cd = bo.find("callback_data");
      if (cd != bo.end() && cd->value().is_string() && cd->value().get_string() == data)
        return payload::string_or_empty(bo, "text");
    }
  }
  return {};
}

Result<InboundMessage> parse_callback(const bj::object& q, const std::string& path) {
  BOTTEGA_TRY(id, payload::required_id(q, "id", path));
  BOTTEGA_TRY(from, payload::required_object(q, "from", path));
  BOTTEGA_TRY(from_id, json::required_int(*from, "id", member(path, "from.id")));
  BOTTEGA_TRY(data, json::optional_string(q, "data", member(path, "data"), 256));
  InboundMessage out;
  out.provider_message_id = "cbq:" + id;
  out.contact_name = display_name(*from);
  out.contact_external_id = std::to_string(from_id);  // a private chat's id is the user's id
  std::string label;
  if (const bj::object* m = object_or_null(q, "message")) {
    std::string mpath = member(path, "message");
    BOTTEGA_TRY(chat, chat_of(*m, mpath));
    BOTTEGA_TRY(mid, json::required_int(*m, "message_id", member(mpath, "message_id")));
    out.contact_external_id = chat.chat_id;
    out.reply_to = chat.chat_id + ":" + std::to_string(mid);
    if (data) label = button_label(*m, *data);
  }
  bj::object content{{"callback_query_id", id}, {"from_id", from_id}};
  if (!data) {  // a game button: nothing for us to act on
    out.kind = MessageKind::unsupported;
    out.text = "Unsupported Telegram callback query (no data)";
    content["type"] = "callback_query";
  } else {
    out.kind = MessageKind::interactive_reply;
    out.text = label.empty() ? *data : label;
    content["type"] = "callback_query";
    content["id"] = *data;
    content["title"] = label;
  }
  out.content_json = json::dump(content);
  return out;
}

Result<InboundMessage> parse_reaction(const bj::object& r, const std::string& path,
                                      int64_t update_id) {
  BOTTEGA_TRY(chat, chat_of(r, path));
  BOTTEGA_TRY(mid, json::required_int(r, "message_id", member(path, "message_id")));
  BOTTEGA_TRY(date, payload::required_seconds_as_ms(r, "date", path));
  BOTTEGA_TRY(fresh, json::optional_array(r, "new_reaction", member(path, "new_reaction")));
  std::string emoji;
  if (fresh) {
    for (const auto& v : *fresh) {
      if (!v.is_object()) continue;
      emoji = payload::string_or_empty(v.get_object(), "emoji");
      if (!emoji.empty()) break;
    }
  }
  InboundMessage out;
  std::string target = chat.chat_id + ":" + std::to_string(mid);
  out.provider_message_id = "reaction:" + target + ":" + std::to_string(update_id);
  out.contact_external_id = chat.chat_id;
  const bj::object* user = object_or_null(r, "user");
  out.contact_name = user ? display_name(*user) : chat.chat_name;
  out.timestamp_ms = date;
  out.kind = MessageKind::reaction;
  out.reply_to = target;
  out.text = emoji;
  bj::object content{{"message_id", target}, {"emoji", emoji}};
  if (!fresh || fresh->empty()) content["removed"] = true;
  out.content_json = json::dump(content);
  return out;
}

// s as an int64 when it is exactly a decimal integer that fits.
std::optional<int64_t> to_int64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || s[0] == '+')
    return std::nullopt;
  return v;
}

}  // namespace

Result<Settings> parse_settings(const boost::json::object& settings) {
  SettingsReader r(settings);
  BOTTEGA_TRY(bot_token, r.required_token("bot_token", std::string(kTokenAlphabet) + ":", 256));
  size_t colon = bot_token.find(':');
  bool shaped = colon != std::string::npos && colon > 0 && colon + 1 < bot_token.size() &&
                bot_token.find(':', colon + 1) == std::string::npos &&
                bot_token.find_first_not_of(kDigits) == colon;
  if (!shaped)
    return Error::invalid("settings.bot_token", "settings.bot_token must look like 123456:ABC-DEF",
                          "invalid_value");
  BOTTEGA_TRY(secret, r.required_token("secret_token", kTokenAlphabet, 256));
  BOTTEGA_TRY(base, r.base_url("api_base_url", kDefaultApiBaseUrl));
  BOTTEGA_TRY_STATUS(r.finish());
  return Settings{std::move(bot_token), std::move(secret), std::move(base)};
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  std::string_view given = req.header("x-telegram-bot-api-secret-token");
  if (given.empty())
    return unauthenticated("missing_signature", "X-Telegram-Bot-Api-Secret-Token is missing");
  if (settings.secret_token.empty() || !crypto::equal_ct(given, settings.secret_token))
    return unauthenticated("bad_signature", "X-Telegram-Bot-Api-Secret-Token does not match");
  return {};
}

Result<InboundBatch> parse(std::string_view body) {
  BOTTEGA_TRY(root, json::parse_object(body, kLimits));
  BOTTEGA_TRY(update_id, json::required_int(root, "update_id", "update_id"));
  InboundBatch batch;
  for (std::string_view key :
       {"message", "channel_post", "edited_message", "edited_channel_post"}) {
    BOTTEGA_TRY(m, json::optional_object(root, key, key));
    if (!m) continue;
    bool edited = key.substr(0, 7) == "edited_";
    BOTTEGA_TRY(msg, parse_message(*m, std::string(key), edited));
    batch.messages.push_back(std::move(msg));
    return batch;  // at most one optional field is set per update
  }
  BOTTEGA_TRY(cb, json::optional_object(root, "callback_query", "callback_query"));
  if (cb) {
    BOTTEGA_TRY(msg, parse_callback(*cb, "callback_query"));
    batch.messages.push_back(std::move(msg));
    return batch;
  }
  BOTTEGA_TRY(reaction, json::optional_object(root, "message_reaction", "message_reaction"));
  if (reaction) {
    BOTTEGA_TRY(msg, parse_reaction(*reaction, "message_reaction", update_id));
    batch.messages.push_back(std::move(msg));
  }
  return batch;  // other updates (inline queries, chat member changes...) carry no message
}

namespace {

std::optional<int64_t> reply_message_id(std::string_view r) {
  std::string_view mid = r.substr(r.rfind(':') == std::string_view::npos ? 0 : r.rfind(':') + 1);
  if (auto n = to_int64(mid); n && *n > 0) return n;
  return std::nullopt;
}

// The method for one file and its Bot API limits for uploads (docs/channels.md "Outbound files"):
// photo (JPEG/PNG <= 10 MB), video (MP4), audio (MP3/M4A), otherwise document; every upload
// <= 50 MB; larger files go as a link.
std::string upload_type(const OutboundAttachment& f) {
  constexpr int64_t MB = attachments::kMB;
  if (f.size > 50 * MB) return "";
  std::string t = attachments::base_type(f.mime_type);
  if ((t == "image/jpeg" || t == "image/png") && f.size <= 10 * MB) return "photo";
  if (t == "video/mp4") return "video";
  if (t == "audio/mpeg" || t == "audio/mp4" || t == "audio/x-m4a") return "audio";
  return "document";
}

bool any_caption(std::string_view) { return true; }

std::string method_of(std::string_view type) {
  if (type == "photo") return "sendPhoto";
  if (type == "video") return "sendVideo";
  if (type == "audio") return "sendAudio";
  return "sendDocument";
}

// One upload request: sendPhoto/sendVideo/sendAudio/sendDocument with the file as the method's
// field, or sendMediaGroup (2-10 files) with `media` = InputMedia[] naming "attach://fileN".
// Albums mix photos and videos only; documents and audio only group with their own kind, so a
// mixed album goes as documents.
HttpRequest upload_request(const Settings& settings, std::string_view chat_id,
                           std::vector<attachments::Native> files, const std::string& caption,
                           std::optional<int64_t> reply_to) {
  std::vector<attachments::FormPart> parts;
  parts.push_back({"chat_id", std::string(chat_id)});
  std::string method;
  if (files.size() == 1) {
    method = method_of(files[0].type);
    const auto& f = *files[0].file;
    parts.push_back({files[0].type, *f.bytes, f.filename, attachments::base_type(f.mime_type)});
    if (!caption.empty()) parts.push_back({"caption", caption});
  } else {
    method = "sendMediaGroup";
    bool visual = true, audio = true;
    for (const auto& n : files) {
      visual = visual && (n.type == "photo" || n.type == "video");
      audio = audio && n.type == "audio";
    }
    bj::array media;
    for (size_t i = 0; i < files.size(); ++i) {
      bj::object m{{"type", visual || audio ? files[i].type : std::string("document")},
                   {"media", "attach://file" + std::to_string(i)}};
      if (i == 0 && !caption.empty()) m["caption"] = caption;
      media.push_back(std::move(m));
    }
    parts.push_back({"media", json::dump(media)});
    for (size_t i = 0; i < files.size(); ++i) {
      const auto& f = *files[i].file;
      parts.push_back({"file" + std::to_string(i), *f.bytes, f.filename, attachments::base_type(f.mime_type)});
    }
  }
  if (reply_to) parts.push_back({"reply_parameters", json::dump(bj::object{{"message_id", *reply_to}})});
  auto mp = attachments::multipart(parts);
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + "/bot" + settings.bot_token + "/" + method;
  req.headers = {{"Content-Type", mp.content_type}};
  req.body = std::move(mp.body);
  return req;
}

Result<HttpRequest> build_one(const Settings& settings, std::string_view chat_id,
                              const OutboundMessage& msg) {
  const ChannelCapabilities& caps = capabilities(kType);
  bool keyboard_choices = !msg.choices.empty() && msg.choices.size() <= caps.max_buttons &&
                          render::choices_fit(msg.choices, 4096, kCallbackData);
  std::string text = render::fallback_text(msg, !keyboard_choices, false);
  BOTTEGA_TRY_STATUS(render::check_length(text, caps.max_text));
  // A product card with an image: sendPhoto, the text as its caption (at most 1024 characters),
  // the same inline keyboard.
  bool photo = msg.card && !msg.card->image_url.empty() && render::char_count(text) <= kCaption;

  bj::object body;
  if (auto numeric = to_int64(chat_id)) {
    body["chat_id"] = *numeric;
  } else {
    body["chat_id"] = chat_id;  // "@channelusername"
  }
  if (photo) {
    body["photo"] = msg.card->image_url;
    body["caption"] = text;
  } else {
    body["text"] = text;
  }
  bj::array rows;
  if (keyboard_choices) {
    for (const auto& c : msg.choices)
      rows.push_back(one(bj::object{{"text", c.title}, {"callback_data", c.id}}));
  }
  if (msg.link) rows.push_back(one(bj::object{{"text", msg.link->title}, {"url", msg.link->url}}));
  // Several products: the text is their numbered list; one keyboard row per product with its own
  // "Add to cart" and "View" buttons, numbered like the list.
  if (msg.products && rows.empty()) {
    for (size_t i = 0; i < msg.products->items.size(); ++i) {
      const ProductListItem& c = msg.products->items[i];
      std::string n = std::to_string(i + 1) + ". ";
      bj::array row;
      if (c.buy && c.buy->id.size() <= kCallbackData)
        row.push_back(bj::object{{"text", n + c.buy->title}, {"callback_data", c.buy->id}});
      if (c.link) row.push_back(bj::object{{"text", n + c.link->title}, {"url", c.link->url}});
      if (!row.empty()) rows.push_back(std::move(row));
    }
  }
  if (!rows.empty()) body["reply_markup"] = bj::object{{"inline_keyboard", std::move(rows)}};
  if (auto n = reply_message_id(msg.reply_to)) body["reply_parameters"] = bj::object{{"message_id", *n}};
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + "/bot" + settings.bot_token + (photo ? "/sendPhoto" : "/sendMessage");
  req.headers = {{"Content-Type", "application/json"}};
  req.body = json::dump(body);
  return req;
}

}  // namespace

Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view chat_id,
                                             const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(render::validate(chat_id, msg));
  std::vector<HttpRequest> out;
  if (msg.attachments.empty()) {
    BOTTEGA_TRY(one, build_one(settings, chat_id, msg));
    out.push_back(std::move(one));
    return out;
  }
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, false, true));
  auto split = attachments::split(msg.attachments, upload_type);
  BOTTEGA_TRY_STATUS(attachments::check_links(split, "Telegram"));
  auto plan = attachments::plan(msg, std::move(split), kCaption, any_caption);
  if (plan.lead) {
    BOTTEGA_TRY(first, build_one(settings, chat_id, *plan.lead));
    out.push_back(std::move(first));
  }
  // At most 10 files per album.
  for (size_t i = 0; i < plan.media.size(); i += 10) {
    std::vector<attachments::Native> group(plan.media.begin() + static_cast<std::ptrdiff_t>(i),
                                           plan.media.begin() + static_cast<std::ptrdiff_t>(std::min(plan.media.size(), i + 10)));
    std::optional<int64_t> reply = out.empty() ? reply_message_id(msg.reply_to) : std::nullopt;
    out.push_back(upload_request(settings, chat_id, std::move(group), i == 0 ? plan.caption : std::string(), reply));
  }
  return out;
}

Result<HttpRequest> build_send(const Settings& settings, std::string_view chat_id,
                               const OutboundMessage& msg) {
  return attachments::first(build_sends(settings, chat_id, msg));
}

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  auto root = json::parse_object(body, {1 << 20, 32});
  if (root.ok()) {
    auto ok = root->find("ok");
    auto result = root->find("result");
    if (ok != root->end() && ok->value().is_bool() && ok->value().get_bool() &&
        result != root->end() && http_status >= 200 && http_status <= 299 &&
        (result->value().is_object() ||
         (result->value().is_array() && !result->value().get_array().empty() &&
          result->value().get_array()[0].is_object()))) {
      // sendMediaGroup answers with the album's messages: the first one stands for it.
      const auto& m = result->value().is_object() ? result->value().get_object()
                                                  : result->value().get_array()[0].get_object();
      auto mid = json::required_int(m, "message_id", "result.message_id");
      auto chat = chat_of(m, "result");
      if (mid.ok() && chat.ok()) return chat->chat_id + ":" + std::to_string(*mid);
      return Error{Errc::unprocessable,
                   "provider_bad_response",
                   "Telegram send response has no result.message_id / result.chat.id",
                   {}};
    }
  }
  int64_t code = http_status;
  std::string description;
  int64_t retry_after = 0;
  if (root.ok()) {
    if (auto c = json::optional_int(*root, "error_code"); c.ok() && *c) code = **c;
    description = payload::string_or_empty(*root, "description");
    if (const bj::object* params = object_or_null(*root, "parameters"))
      if (auto ra = json::optional_int(*params, "retry_after"); ra.ok() && *ra) retry_after = **ra;
  }
  std::string message = "Telegram error " + std::to_string(code);
  if (!description.empty()) message += ": " + description;
  if (retry_after > 0) message += " (retry after " + std::to_string(retry_after) + " s)";
  if (code == 429)
    return Error{Errc::rate_limited, "provider_rate_limited", std::move(message), {}};
  if (code == 401)
    return Error{Errc::unauthenticated, "provider_unauthorized", std::move(message), {}};
  if (code == 403)
    return Error{Errc::unprocessable, "recipient_unavailable", std::move(message), {}};
  if (code >= 500 || code == 0)
    return Error{Errc::unavailable, "provider_unavailable", std::move(message), {}};
  if (http_status >= 200 && http_status <= 299)
    return Error{Errc::unprocessable, "provider_bad_response", std::move(message), {}};
  return Error{Errc::unprocessable, "provider_rejected", std::move(message), {}};
}

}  // namespace bottega::channels::telegram
