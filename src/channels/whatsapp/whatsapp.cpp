#include "channels/whatsapp/whatsapp.hpp"

#include <cmath>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/meta/meta.hpp"
#include "channels/payload.hpp"
#include "channels/render.hpp"
#include "channels/settings_reader.hpp"
#include "core/json.hpp"

namespace bottega::channels::whatsapp {

namespace bj = boost::json;
using payload::element;
using payload::member;

namespace {

constexpr json::ParseLimits kLimits{4 << 20, 32};

// WhatsApp's documented limits for interactive messages (providers.md 1.3).
constexpr size_t kInteractiveBody = 1024;
constexpr size_t kButtonTitle = 20;
constexpr size_t kButtonId = 256;
constexpr size_t kRowTitle = 24;
constexpr size_t kRowId = 200;
constexpr size_t kRowDescription = 72;
constexpr size_t kListButton = 20;
constexpr size_t kCtaText = 20;
constexpr size_t kHeaderText = 60;     // a text header (providers.md gives no limit: headings are short)
constexpr size_t kListProducts = 30;   // products in a product_list message

// Decimal places of a currency's minor unit (ISO 4217); 2 unless listed.
int currency_exponent(std::string_view c) {
  static constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                               "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                               "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto z : kZero)
    if (c == z) return 0;
  for (auto t : kThree)
    if (c == t) return 3;
  return 2;
}

bool is_currency(std::string_view c) {
  if (c.size() != 3) return false;
  for (char ch : c)
    if (ch < 'A' || ch > 'Z') return false;
  return true;
}

Error invalid_value(std::string field, std::string message) {
  return Error::invalid(std::move(field), std::move(message), "invalid_value");
}

// Copies the optional string members `keys` of `from` into `to` when they are strings.
void copy_strings(const bj::object& from, bj::object& to,
                  std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    auto it = from.find(k);
    if (it != from.end() && it->value().is_string()) to[k] = it->value();
  }
}

Status parse_text(const bj::object& m, const std::string& path, InboundMessage& out) {
  BOTTEGA_TRY(t, payload::required_object(m, "text", path));
  BOTTEGA_TRY(body, json::required_string(*t, "body", member(path, "text.body")));
  out.kind = MessageKind::text;
  out.text = std::move(body);
  return {};
}

Status parse_interactive(const bj::object& m, const std::string& path, InboundMessage& out,
                         bj::object& content) {
  std::string ipath = member(path, "interactive");
  BOTTEGA_TRY(it, payload::required_object(m, "interactive", path));
  BOTTEGA_TRY(itype, json::required_string(*it, "type", member(ipath, "type")));
  if (itype == "button_reply" || itype == "list_reply") {
    std::string rpath = member(ipath, itype);
    BOTTEGA_TRY(reply, payload::required_object(*it, itype, ipath));
    BOTTEGA_TRY(id, json::required_string(*reply, "id", member(rpath, "id")));
    BOTTEGA_TRY(title, json::required_string(*reply, "title", member(rpath, "title")));
    out.kind = MessageKind::interactive_reply;
    out.text = title;
    content["type"] = itype;
    content["id"] = id;
    content["title"] = title;
    copy_strings(*reply, content, {"description"});
    return {};
  }
  if (itype == "nfm_reply") {  // a WhatsApp Flow's answer
    std::string rpath = member(ipath, "nfm_reply");
    BOTTEGA_TRY(reply, payload::required_object(*it, "nfm_reply", ipath));
    BOTTEGA_TRY(response,
                json::required_string(*reply, "response_json", member(rpath, "response_json")));
    out.kind = MessageKind::interactive_reply;
    out.text = payload::string_or_empty(*reply, "body");
    if (out.text.empty()) out.text = "Flow response";
    content["type"] = "nfm_reply";
    content["response_json"] = response;
    copy_strings(*reply, content, {"name", "body"});
    return {};
  }
  out.kind = MessageKind::unsupported;
  out.text = "Unsupported WhatsApp interactive reply: " + itype;
  content["type"] = "interactive";
  content["interactive_type"] = itype;
  return {};
}

Status parse_button(const bj::object& m, const std::string& path, InboundMessage& out,
                    bj::object& content) {
  std::string bpath = member(path, "button");
  BOTTEGA_TRY(b, payload::required_object(m, "button", path));
  BOTTEGA_TRY(text, json::required_string(*b, "text", member(bpath, "text")));
  BOTTEGA_TRY(payload_value, json::optional_string(*b, "payload", member(bpath, "payload")));
  out.kind = MessageKind::interactive_reply;
  out.text = text;
  content["type"] = "button";
  content["id"] = payload_value ? *payload_value : text;  // the payload defaults to the label
  content["title"] = text;
  return {};
}

Status parse_media(const bj::object& m, const std::string& path, const std::string& type,
                   InboundMessage& out, bj::object& content) {
  std::string mpath = member(path, type);
  BOTTEGA_TRY(media, payload::required_object(m, type, path));
  BOTTEGA_TRY(id, json::required_string(*media, "id", member(mpath, "id")));
  BOTTEGA_TRY(caption, json::optional_string(*media, "caption", member(mpath, "caption")));
  bj::object att;
  att["type"] = type;
  att["id"] = id;
  copy_strings(*media, att, {"mime_type", "sha256", "filename", "url"});
  for (std::string_view flag : {"animated", "voice"}) {
    auto f = media->find(flag);
    if (f != media->end() && f->value().is_bool()) att[flag] = f->value();
  }
  bj::array atts;
  atts.push_back(std::move(att));
  content["attachments"] = std::move(atts);
  if (caption) content["caption"] = *caption;
  out.kind = MessageKind::media;
  out.text = caption ? *caption : std::string();
  return {};
}

Status parse_location(const bj::object& m, const std::string& path, InboundMessage& out,
                      bj::object& content) {
  std::string lpath = member(path, "location");
  BOTTEGA_TRY(loc, payload::required_object(m, "location", path));
  BOTTEGA_TRY(lat, payload::required_number(*loc, "latitude", lpath));
  BOTTEGA_TRY(lon, payload::required_number(*loc, "longitude", lpath));
  if (lat < -90 || lat > 90)
    return invalid_value(member(lpath, "latitude"), "latitude out of range");
  if (lon < -180 || lon > 180)
    return invalid_value(member(lpath, "longitude"), "longitude out of range");
  content["latitude"] = lat;
  content["longitude"] = lon;
  copy_strings(*loc, content, {"name", "address", "url"});
  std::string name = payload::string_or_empty(*loc, "name");
  std::string address = payload::string_or_empty(*loc, "address");
  out.kind = MessageKind::location;
  out.text = "Location";
  if (!name.empty()) out.text += ": " + name;
  if (!address.empty()) out.text += (name.empty() ? ": " : ", ") + address;
  return {};
}

Status parse_contacts(const bj::object& m, const std::string& path, InboundMessage& out,
                      bj::object& content) {
  BOTTEGA_TRY(cards, payload::required_array(m, "contacts", path));
  std::string names;
  for (const auto& c : *cards) {
    if (!c.is_object()) continue;
    auto n = c.get_object().find("name");
    if (n == c.get_object().end() || !n->value().is_object()) continue;
    std::string formatted = payload::string_or_empty(n->value().get_object(), "formatted_name");
    if (formatted.empty()) continue;
    if (!names.empty()) names += ", ";
    names += formatted;
  }
  content["contacts"] = *cards;
  out.kind = MessageKind::contacts;
  out.text = names.empty() ? "Contact card" : "Contact: " + names;
  return {};
}

Status parse_reaction(const bj::object& m, const std::string& path, InboundMessage& out,
                      bj::object& content) {
  std::string rpath = member(path, "reaction");
  BOTTEGA_TRY(r, payload::required_object(m, "reaction", path));
  BOTTEGA_TRY(target, json::required_string(*r, "message_id", member(rpath, "message_id")));
  BOTTEGA_TRY(emoji, json::optional_string(*r, "emoji", member(rpath, "emoji")));
  std::string e = emoji ? *emoji : std::string();
  content["message_id"] = target;
  content["emoji"] = e;
  if (e.empty()) content["removed"] = true;  // an empty emoji withdraws the reaction
  out.kind = MessageKind::reaction;
  out.text = e;
  out.reply_to = target;
  return {};
}

Status parse_order(const bj::object& m, const std::string& path, InboundMessage& out,
                   bj::object& content) {
  std::string opath = member(path, "order");
  BOTTEGA_TRY(order, payload::required_object(m, "order", path));
  BOTTEGA_TRY(catalog_id, payload::required_id(*order, "catalog_id", opath));
  BOTTEGA_TRY(text, json::optional_string(*order, "text", member(opath, "text")));
  BOTTEGA_TRY(items, payload::required_array(*order, "product_items", opath));
  std::string ipath = member(opath, "product_items");
  bj::array out_items;
  int64_t units = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string p = element(ipath, i);
    BOTTEGA_TRY(item, payload::object_at((*items)[i], p));
    BOTTEGA_TRY(sku, json::required_string(*item, "product_retailer_id",
                                           member(p, "product_retailer_id"), 1024));
    BOTTEGA_TRY(qty, json::required_int(*item, "quantity", member(p, "quantity")));
    BOTTEGA_TRY(price, payload::required_number(*item, "item_price", p));
    BOTTEGA_TRY(currency, json::required_string(*item, "currency", member(p, "currency"), 16));
    if (qty < 1 || qty > 1'000'000)
      return invalid_value(member(p, "quantity"), "quantity out of range");
    if (!is_currency(currency))
      return invalid_value(member(p, "currency"), "currency must be an ISO 4217 code");
    double scaled = price * std::pow(10.0, currency_exponent(currency));
    if (price < 0 || scaled > 1e15)
      return invalid_value(member(p, "item_price"), "item_price out of range");
    bj::object o;
    o["product_retailer_id"] = sku;
    o["quantity"] = qty;
    o["item_price"] = (*item).at("item_price");  // as received (a JSON number)
    o["item_price_minor"] = static_cast<int64_t>(std::llround(scaled));  // integer minor units
    o["currency"] = currency;
    out_items.push_back(std::move(o));
    units += qty;
  }
  content["catalog_id"] = catalog_id;
  if (text) content["text"] = *text;
  content["product_items"] = std::move(out_items);
  out.kind = MessageKind::order;
  out.text = "Order: " + std::to_string(units) + (units == 1 ? " item" : " items");
  if (text && !text->empty()) out.text += " - " + *text;
  return {};
}

void parse_unsupported(const bj::object& m, const std::string& type, InboundMessage& out,
                       bj::object& content) {
  std::string shown = type;
  if (type == "unsupported") {
    auto u = m.find("unsupported");
    if (u != m.end() && u->value().is_object()) {
      std::string inner = payload::string_or_empty(u->value().get_object(), "type");
      if (!inner.empty()) shown = inner;
    }
  }
  out.kind = MessageKind::unsupported;
  content["type"] = shown;
  if (type == "system") {
    auto s = m.find("system");
    std::string body;
    if (s != m.end() && s->value().is_object()) {
      body = payload::string_or_empty(s->value().get_object(), "body");
      content["system"] = s->value();
    }
    out.text = "WhatsApp system message" + (body.empty() ? std::string() : ": " + body);
  } else {
    out.text = "Unsupported WhatsApp message type: " + (shown.empty() ? "unknown" : shown);
  }
  auto errs = m.find("errors");
  if (errs != m.end() && errs->value().is_array() && !errs->value().get_array().empty() &&
      errs->value().get_array()[0].is_object()) {
    const auto& e = errs->value().get_array()[0].get_object();
    auto code = e.find("code");
    if (code != e.end() && (code->value().is_int64() || code->value().is_uint64()))
      content["error_code"] = code->value();
    copy_strings(e, content, {"title"});
  }
}

Result<InboundMessage> parse_message(const bj::object& m, const std::string& path,
                                     const std::unordered_map<std::string, std::string>& names,
                                     const std::string& account_id) {
  InboundMessage out;
  BOTTEGA_TRY(from, payload::required_id(m, "from", path));
  BOTTEGA_TRY(id, payload::required_id(m, "id", path));
  BOTTEGA_TRY(ts, payload::required_seconds_as_ms(m, "timestamp", path));
  BOTTEGA_TRY(type, json::required_string(m, "type", member(path, "type"), 64));
  out.provider_message_id = std::move(id);
  out.contact_external_id = std::move(from);
  if (auto n = names.find(out.contact_external_id); n != names.end()) out.contact_name = n->second;
  out.timestamp_ms = ts;
  out.account_id = account_id;

  bj::object content;
  BOTTEGA_TRY(context, json::optional_object(m, "context", member(path, "context")));
  if (context) {
    out.reply_to = payload::string_or_empty(*context, "id");
    auto rp = context->find("referred_product");  // a question about a catalog product
    if (rp != context->end() && rp->value().is_object()) content["referred_product"] = rp->value();
  }
  auto referral = m.find("referral");  // Click-to-WhatsApp ad
  if (referral != m.end() && referral->value().is_object()) content["referral"] = referral->value();

  Status st;
  if (type == "text") {
    st = parse_text(m, path, out);
  } else if (type == "interactive") {
    st = parse_interactive(m, path, out, content);
  } else if (type == "button") {
    st = parse_button(m, path, out, content);
  } else if (type == "image" || type == "video" || type == "audio" || type == "document" ||
             type == "sticker") {
    st = parse_media(m, path, type, out, content);
  } else if (type == "location") {
    st = parse_location(m, path, out, content);
  } else if (type == "contacts") {
    st = parse_contacts(m, path, out, content);
  } else if (type == "reaction") {
    st = parse_reaction(m, path, out, content);
  } else if (type == "order") {
    st = parse_order(m, path, out, content);
  } else {
    parse_unsupported(m, type, out, content);
  }
  if (!st.ok()) return std::move(st).error();
  out.content_json = json::dump(content);
  return out;
}

Result<std::optional<StatusUpdate>> parse_status(const bj::object& s, const std::string& path,
                                                 const std::string& account_id) {
  BOTTEGA_TRY(id, payload::required_id(s, "id", path));
  BOTTEGA_TRY(status, json::required_string(s, "status", member(path, "status"), 64));
  BOTTEGA_TRY(ts, payload::required_seconds_as_ms(s, "timestamp", path));
  StatusUpdate u;
  if (status == "sent") {
    u.state = DeliveryState::sent;
  } else if (status == "delivered") {
    u.state = DeliveryState::delivered;
  } else if (status == "read") {
    u.state = DeliveryState::read;
  } else if (status == "failed") {
    u.state = DeliveryState::failed;
  } else {
    return std::optional<StatusUpdate>();  // "deleted", "warning", "played"...: nothing to record
  }
  u.provider_message_id = std::move(id);
  u.timestamp_ms = ts;
  u.account_id = account_id;
  auto rid = s.find("recipient_id");
  if (rid != s.end() && rid->value().is_string()) u.contact_external_id = rid->value().get_string();
  BOTTEGA_TRY(errors, json::optional_array(s, "errors", member(path, "errors")));
  if (errors && !errors->empty() && (*errors)[0].is_object()) {
    const auto& e = (*errors)[0].get_object();
    auto code = e.find("code");
    if (code != e.end()) {
      if (code->value().is_int64())
        u.error_code = std::to_string(code->value().get_int64());
      else if (code->value().is_uint64())
        u.error_code = std::to_string(code->value().get_uint64());
      else if (code->value().is_string())
        u.error_code = code->value().get_string();
    }
    u.error_reason = payload::string_or_empty(e, "title");
    if (u.error_reason.empty()) u.error_reason = payload::string_or_empty(e, "message");
    auto data = e.find("error_data");
    if (data != e.end() && data->value().is_object()) {
      std::string details = payload::string_or_empty(data->value().get_object(), "details");
      if (!details.empty()) u.error_reason += (u.error_reason.empty() ? "" : ": ") + details;
    }
  }
  return std::optional<StatusUpdate>(std::move(u));
}

Status parse_value(const bj::object& v, const std::string& path, InboundBatch& batch) {
  std::string account_id;
  auto meta = v.find("metadata");
  if (meta != v.end() && meta->value().is_object())
    account_id = payload::string_or_empty(meta->value().get_object(), "phone_number_id");

  std::unordered_map<std::string, std::string> names;  // wa_id -> profile name
  BOTTEGA_TRY(contacts, json::optional_array(v, "contacts", member(path, "contacts")));
  if (contacts) {
    for (const auto& c : *contacts) {
      if (!c.is_object()) continue;
      const auto& co = c.get_object();
      std::string wa_id = payload::string_or_empty(co, "wa_id");
      auto profile = co.find("profile");
      if (wa_id.empty() || profile == co.end() || !profile->value().is_object()) continue;
      names[wa_id] = payload::string_or_empty(profile->value().get_object(), "name");
    }
  }

  std::string mpath = member(path, "messages");
  BOTTEGA_TRY(messages, json::optional_array(v, "messages", mpath));
  if (messages) {
    for (size_t i = 0; i < messages->size(); ++i) {
      std::string p = element(mpath, i);
      BOTTEGA_TRY(m, payload::object_at((*messages)[i], p));
      BOTTEGA_TRY(msg, parse_message(*m, p, names, account_id));
      batch.messages.push_back(std::move(msg));
    }
  }

  std::string spath = member(path, "statuses");
  BOTTEGA_TRY(statuses, json::optional_array(v, "statuses", spath));
  if (statuses) {
    for (size_t i = 0; i < statuses->size(); ++i) {
      std::string p = element(spath, i);
      BOTTEGA_TRY(s, payload::object_at((*statuses)[i], p));
      BOTTEGA_TRY(u, parse_status(*s, p, account_id));
      if (u) batch.statuses.push_back(std::move(*u));
    }
  }
  return {};
}

bj::object base_body(std::string_view to, const OutboundMessage& msg) {
  bj::object body;
  body["messaging_product"] = "whatsapp";
  body["recipient_type"] = "individual";
  body["to"] = to;
  if (!msg.reply_to.empty()) body["context"] = bj::object{{"message_id", msg.reply_to}};
  return body;
}

// The interactive object for msg, or nullopt when the message must degrade to text.
std::optional<bj::object> interactive_for(const OutboundMessage& msg) {
  const size_t n = msg.choices.size();
  if (n == 0 && !msg.link) return std::nullopt;
  if (n == 0) {  // a lone link: a CTA URL button
    if (render::char_count(msg.link->title) > kCtaText ||
        render::char_count(msg.text) > kInteractiveBody)
      return std::nullopt;
    bj::object params{{"display_text", msg.link->title}, {"url", msg.link->url}};
    return bj::object{
        {"type", "cta_url"},
        {"body", bj::object{{"text", msg.text}}},
        {"action", bj::object{{"name", "cta_url"}, {"parameters", std::move(params)}}}};
  }
  // Choices, with the link (if any) written into the body: one message cannot carry both.
  std::string text = render::fallback_text(msg, false, true);
  if (render::char_count(text) > kInteractiveBody) return std::nullopt;
  const auto& caps = capabilities(kType);
  if (n <= caps.max_buttons && render::choices_fit(msg.choices, kButtonTitle, kButtonId)) {
    bj::array buttons;
    for (const auto& c : msg.choices)
      buttons.push_back(
          bj::object{{"type", "reply"}, {"reply", bj::object{{"id", c.id}, {"title", c.title}}}});
    return bj::object{{"type", "button"},
                      {"body", bj::object{{"text", text}}},
                      {"action", bj::object{{"buttons", std::move(buttons)}}}};
  }
  if (n <= caps.max_list_rows && render::choices_fit(msg.choices, kRowTitle, kRowId)) {
    bj::array rows;
    for (const auto& c : msg.choices) {
      if (render::char_count(c.description) > kRowDescription) return std::nullopt;
      bj::object row{{"id", c.id}, {"title", c.title}};
      if (!c.description.empty()) row["description"] = c.description;
      rows.push_back(std::move(row));
    }
    std::string label = msg.choices_label;
    if (label.empty() || render::char_count(label) > kListButton) label = "Choose";
    bj::array sections;
    sections.push_back(bj::object{{"rows", std::move(rows)}});
    return bj::object{{"type", "list"},
                      {"body", bj::object{{"text", text}}},
                      {"action", bj::object{{"button", label}, {"sections", std::move(sections)}}}};
  }
  return std::nullopt;
}

// A product card: the catalog's single-product message when the channel has a catalog id;
// otherwise an interactive message with the product image as header and the card's button (a
// CTA URL button for a link, reply buttons for choices), or an image with the text as caption.
// nullopt: the card does not fit (the caller sends it as text).
std::optional<bj::object> card_for(const Settings& settings, const OutboundMessage& msg, std::string& type) {
  const ProductCard& card = *msg.card;
  if (!settings.catalog_id.empty() && !card.sku.empty()) {
    type = "interactive";
    std::string body = card.subtitle.empty() ? card.title : card.subtitle;
    bj::object product{{"type", "product"},
                       {"action", bj::object{{"catalog_id", settings.catalog_id}, {"product_retailer_id", card.sku}}}};
    if (!body.empty() && render::char_count(body) <= kInteractiveBody) product["body"] = bj::object{{"text", body}};
    return product;
  }
  if (render::char_count(msg.text) > kInteractiveBody) return std::nullopt;
  std::optional<bj::object> header;
  if (!card.image_url.empty()) header = bj::object{{"type", "image"}, {"image", bj::object{{"link", card.image_url}}}};
  if (msg.link && render::char_count(msg.link->title) <= kCtaText) {
    type = "interactive";
    bj::object params{{"display_text", msg.link->title}, {"url", msg.link->url}};
    bj::object o{{"type", "cta_url"},
                 {"body", bj::object{{"text", msg.text}}},
                 {"action", bj::object{{"name", "cta_url"}, {"parameters", std::move(params)}}}};
    if (header) o["header"] = std::move(*header);
    return o;
  }
  if (!msg.choices.empty() && msg.choices.size() <= capabilities(kType).max_buttons &&
      render::choices_fit(msg.choices, kButtonTitle, kButtonId)) {
    type = "interactive";
    bj::array buttons;
    for (const auto& c : msg.choices)
      buttons.push_back(bj::object{{"type", "reply"}, {"reply", bj::object{{"id", c.id}, {"title", c.title}}}});
    bj::object o{{"type", "button"},
                 {"body", bj::object{{"text", msg.text}}},
                 {"action", bj::object{{"buttons", std::move(buttons)}}}};
    if (header) o["header"] = std::move(*header);
    return o;
  }
  if (!card.image_url.empty() && !msg.link && msg.choices.empty()) {
    type = "image";
    return bj::object{{"link", card.image_url}, {"caption", msg.text}};
  }
  return std::nullopt;
}

// Several products: the catalog's multi-product message (interactive product_list: a text
// header and a body are required; at most 30 products in at most 10 sections, providers.md) when
// the channel has a catalog id and every card names its SKU (the catalog's product_retailer_id).
// nullopt otherwise: WhatsApp has no carousel outside the catalog, the caller sends the text list.
std::optional<bj::object> product_list_for(const Settings& settings, const ProductList& list) {
  if (settings.catalog_id.empty() || list.items.size() > kListProducts) return std::nullopt;
  bj::array items;
  for (const auto& it : list.items) {
    if (it.card.sku.empty()) return std::nullopt;
    items.push_back(bj::object{{"product_retailer_id", it.card.sku}});
  }
  std::string heading = list.heading.empty() ? "Products" : list.heading;
  std::string body = list.intro.empty() ? heading : list.intro;
  bj::array sections;
  sections.push_back(bj::object{{"title", render::clip(heading, kRowTitle)}, {"product_items", std::move(items)}});
  return bj::object{{"type", "product_list"},
                    {"header", bj::object{{"type", "text"}, {"text", render::clip(heading, kHeaderText)}}},
                    {"body", bj::object{{"text", render::clip(body, kInteractiveBody)}}},
                    {"action", bj::object{{"catalog_id", settings.catalog_id}, {"sections", std::move(sections)}}}};
}

}  // namespace

Result<Settings> parse_settings(const boost::json::object& all) {
  BOTTEGA_TRY(templates, parse_templates(all));
  std::string catalog_id;
  if (auto* c = all.if_contains("catalog_id"); c && !c->is_null()) {
    if (!c->is_string() || c->as_string().empty() || c->as_string().size() > 64 ||
        std::string_view(c->as_string()).find_first_not_of(kDigits) != std::string_view::npos)
      return Error::invalid("settings.catalog_id", "settings.catalog_id must be the catalog's numeric id",
                            "invalid_value");
    catalog_id = std::string(c->as_string());
  }
  boost::json::object settings = all;  // the reader checks every other key
  settings.erase("templates");
  settings.erase("catalog_id");
  SettingsReader r(settings);
  BOTTEGA_TRY(phone, r.required_token("phone_number_id", kDigits, 64));
  BOTTEGA_TRY(token, r.required("access_token"));
  BOTTEGA_TRY(secret, r.required("app_secret"));
  BOTTEGA_TRY(verify_token, r.required("verify_token"));
  BOTTEGA_TRY(base, r.base_url("api_base_url", kDefaultApiBaseUrl));
  BOTTEGA_TRY_STATUS(r.finish());
  return Settings{std::move(phone), std::move(token), std::move(secret), std::move(verify_token),
                  std::move(base), std::move(templates), std::move(catalog_id)};
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  return meta::verify_signature(req, settings.app_secret);
}

Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token) {
  return meta::verify_subscription(query, verify_token);
}

Result<InboundBatch> parse(std::string_view body) {
  BOTTEGA_TRY(root, json::parse_object(body, kLimits));
  BOTTEGA_TRY(object, json::required_string(root, "object", "object"));
  if (object != "whatsapp_business_account")
    return invalid_value("object", "object must be \"whatsapp_business_account\"");
  BOTTEGA_TRY(entries, payload::required_array(root, "entry", ""));
  InboundBatch batch;
  for (size_t i = 0; i < entries->size(); ++i) {
    std::string epath = element("entry", i);
    BOTTEGA_TRY(entry, payload::object_at((*entries)[i], epath));
    std::string cpath = member(epath, "changes");
    BOTTEGA_TRY(changes, json::optional_array(*entry, "changes", cpath));
    if (!changes) continue;
    for (size_t j = 0; j < changes->size(); ++j) {
      std::string p = element(cpath, j);
      BOTTEGA_TRY(change, payload::object_at((*changes)[j], p));
      BOTTEGA_TRY(field, json::optional_string(*change, "field", member(p, "field")));
      if (!field || *field != "messages") continue;  // other subscriptions are not messages
      BOTTEGA_TRY(value, payload::required_object(*change, "value", p));
      BOTTEGA_TRY_STATUS(parse_value(*value, member(p, "value"), batch));
    }
  }
  return batch;
}

namespace {

HttpRequest messages_request(const Settings& settings, const bj::object& body) {
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + "/" + settings.phone_number_id + "/messages";
  req.headers = {{"Authorization", "Bearer " + settings.access_token},
                 {"Content-Type", "application/json"}};
  req.body = json::dump(body);
  return req;
}

// The media types and sizes the Cloud API takes (docs/channels.md "Outbound files"); anything else
// goes as a link.
std::string media_type(const OutboundAttachment& f) {
  std::string t = attachments::base_type(f.mime_type);
  constexpr int64_t MB = attachments::kMB;
  if ((t == "image/jpeg" || t == "image/png") && f.size <= 5 * MB) return "image";
  if ((t == "video/mp4" || t == "video/3gpp") && f.size <= 16 * MB) return "video";
  if ((t == "audio/aac" || t == "audio/amr" || t == "audio/mpeg" || t == "audio/mp4" ||
       t == "audio/ogg") && f.size <= 16 * MB)
    return "audio";
  static constexpr std::string_view kDocuments[] = {
      "text/plain", "application/pdf", "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation"};
  for (auto d : kDocuments)
    if (t == d && f.size <= 100 * MB) return "document";
  return "";
}

bool takes_caption(std::string_view type) { return type != "audio"; }

// One message without files: a product card, interactive buttons/list/CTA, or text.
Result<HttpRequest> build_one(const Settings& settings, std::string_view to, const OutboundMessage& msg) {
  bj::object body = base_body(to, msg);
  std::string card_type;
  std::optional<bj::object> card = msg.card ? card_for(settings, msg, card_type) : std::nullopt;
  if (msg.products && !card) {
    card = product_list_for(settings, *msg.products);
    card_type = "interactive";
  }
  if (card) {
    body["type"] = card_type;
    body[card_type] = std::move(*card);
  } else if (auto interactive = interactive_for(msg)) {
    body["type"] = "interactive";
    body["interactive"] = std::move(*interactive);
  } else {
    std::string text = render::fallback_text(msg, true, true);
    BOTTEGA_TRY_STATUS(render::check_length(text, capabilities(kType).max_text));
    body["type"] = "text";
    body["text"] = bj::object{{"preview_url", msg.link.has_value()}, {"body", text}};
  }
  return messages_request(settings, body);
}

}  // namespace

Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg) {
  BOTTEGA_TRY_STATUS(render::validate(to, msg));
  BOTTEGA_TRY_STATUS(attachments::check(msg.attachments, true, false));
  auto plan = attachments::plan(msg, attachments::split(msg.attachments, media_type),
                                kInteractiveBody, takes_caption);
  return attachments::requests(
      plan, [&](const OutboundMessage& lead) { return build_one(settings, to, lead); },
      [&](const attachments::Native& n, const std::string& caption, bool first) {
        OutboundMessage ctx;  // the reply context goes on the first message sent
        if (first) ctx.reply_to = msg.reply_to;
        bj::object body = base_body(to, ctx);
        bj::object media{{"link", n.file->public_url}};
        if (!caption.empty()) media["caption"] = caption;
        if (n.type == "document") media["filename"] = n.file->filename;
        body["type"] = n.type;
        body[n.type] = std::move(media);
        return messages_request(settings, body);
      });
}

Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg) {
  return attachments::first(build_sends(settings, to, msg));
}

Result<HttpRequest> build_template_send(const Settings& settings, std::string_view to,
                                        const TemplateSend& t) {
  if (to.empty()) return Error::invalid("to", "no recipient");
  bj::object tmpl{{"name", t.name}, {"language", bj::object{{"code", t.language}}}};
  if (!t.parameters.empty()) {
    bj::array params;
    for (const auto& p : t.parameters) params.push_back(bj::object{{"type", "text"}, {"text", p}});
    tmpl["components"] = bj::array{bj::object{{"type", "body"}, {"parameters", std::move(params)}}};
  }
  bj::object body{{"messaging_product", "whatsapp"},
                  {"recipient_type", "individual"},
                  {"to", to},
                  {"type", "template"},
                  {"template", std::move(tmpl)}};
  HttpRequest req;
  req.method = "POST";
  req.url = settings.api_base_url + "/" + settings.phone_number_id + "/messages";
  req.headers = {{"Authorization", "Bearer " + settings.access_token}, {"Content-Type", "application/json"}};
  req.body = json::dump(body);
  return req;
}

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  if (http_status < 200 || http_status > 299)
    return meta::graph_error("WhatsApp", http_status, body);
  auto root = json::parse_object(body, {1 << 20, 16});
  if (root.ok()) {
    auto it = root->find("messages");
    if (it != root->end() && it->value().is_array() && !it->value().get_array().empty() &&
        it->value().get_array()[0].is_object()) {
      std::string id = payload::string_or_empty(it->value().get_array()[0].get_object(), "id");
      if (!id.empty()) return id;
    }
  }
  return Error{Errc::unprocessable,
               "provider_bad_response",
               "WhatsApp send response has no messages[0].id",
               {}};
}

}  // namespace bottega::channels::whatsapp
