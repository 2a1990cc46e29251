#include "commerce/cards.hpp"

#include <algorithm>
#include <tuple>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "channels/capabilities.hpp"
#include "channels/render.hpp"
#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/money.hpp"
#include "pipeline/listener.hpp"
#include "store/repo/repo.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kLastBotLanguage{
    "bot_turns.last_language_of_conversation",
    "SELECT language FROM bot_turns WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY seq DESC LIMIT 1"};
constexpr Stmt kLastInboundContent{
    "messages.last_inbound_content",
    "SELECT content FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' "
    "ORDER BY seq DESC LIMIT 5"};

constexpr size_t kDescriptionChars = 280;  // a card is a teaser: the page has the rest
constexpr int64_t kLowStock = 3;           // "only N left" from this many units down

struct Label {
  std::string_view key, en, it, de, nl;
};
// clang-format off
constexpr Label kLabels[] = {
    {"add_to_cart",  "Add to cart",   "Aggiungi al carrello", "In den Warenkorb", "In winkelwagen"},
    {"view",         "View product",  "Vedi prodotto",        "Produkt ansehen",  "Bekijk product"},
    {"in_stock",     "In stock",      "Disponibile",          "Auf Lager",        "Op voorraad"},
    {"out_of_stock", "Out of stock",  "Esaurito",             "Ausverkauft",      "Uitverkocht"},
    {"only_left",    "Only {n} left", "Solo {n} disponibili", "Nur noch {n} verfügbar", "Nog maar {n} beschikbaar"},
    {"from",         "from",          "da",                   "ab",               "vanaf"},
    {"cart",         "Your cart",     "Il tuo carrello",      "Dein Warenkorb",   "Je winkelwagen"},
    {"subtotal",     "Subtotal",      "Subtotale",            "Zwischensumme",    "Subtotaal"},
    {"discount",     "Discount",      "Sconto",               "Rabatt",           "Korting"},
    {"shipping",     "Shipping",      "Spedizione",           "Versand",          "Verzending"},
    {"free",         "free",          "gratuita",             "kostenlos",        "gratis"},
    {"tax",          "Tax",           "IVA",                  "MwSt.",            "Btw"},
    {"tax_included", "incl. tax",     "IVA inclusa",          "inkl. MwSt.",      "incl. btw"},
    {"total",        "Total",         "Totale",               "Gesamt",           "Totaal"},
    {"products",     "Our picks for you", "I nostri consigli per te", "Unsere Auswahl für dich", "Onze keuze voor jou"},
};
// clang-format on

struct Symbol {
  std::string_view code, symbol;
};
constexpr Symbol kSymbols[] = {{"EUR", "€"}, {"USD", "$"}, {"GBP", "£"}, {"JPY", "¥"}, {"INR", "₹"}, {"KRW", "₩"}};

std::string with_n(std::string s, int64_t n) {
  auto at = s.find("{n}");
  if (at != std::string::npos) s.replace(at, 3, std::to_string(n));
  return s;
}

bool http_url(std::string_view u) {
  if (u.size() > 2048) return false;
  std::string_view rest;
  if (u.rfind("https://", 0) == 0) rest = u.substr(8);
  else if (u.rfind("http://", 0) == 0) rest = u.substr(7);
  else return false;
  if (rest.empty() || rest.front() == '/') return false;
  for (char c : u)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>') return false;
  return true;
}

// Whether the channel shows tappable buttons a customer can answer with.
bool has_buttons(const std::string& channel_type) {
  const auto& caps = channels::capabilities(channel_type);
  return caps.max_buttons > 0 || caps.max_quick_replies > 0 || caps.card_templates;
}


// The currency a card shows: asked, else the conversation's open cart, else the shop's.
std::string preferred_currency(Tx& tx, const std::string& tenant, const Conversation& conv) {
  for (const auto& c : open_carts(tx, tenant, conv.contact_id))
    if (c.conversation_id && *c.conversation_id == conv.id) return c.currency;
  return get_settings(tx, tenant).currency;
}

}  // namespace

std::string availability_label(const std::string& lang, std::optional<int64_t> available) {
  if (!available) return card_label(lang, "in_stock");
  if (*available <= 0) return card_label(lang, "out_of_stock");
  if (*available <= kLowStock) return with_n(card_label(lang, "only_left"), *available);
  return card_label(lang, "in_stock");
}

std::string card_language(std::string_view requested) {
  std::string l;
  for (char c : requested.substr(0, std::min<size_t>(requested.size(), 2)))
    l.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (l == "it" || l == "de" || l == "nl") return l;
  return "en";
}

std::string card_label(std::string_view lang, std::string_view key) {
  for (const auto& l : kLabels)
    if (l.key == key) {
      if (lang == "it") return std::string(l.it);
      if (lang == "de") return std::string(l.de);
      if (lang == "nl") return std::string(l.nl);
      return std::string(l.en);
    }
  return std::string(key);
}

std::string format_price(int64_t minor, std::string_view currency, std::string_view lang) {
  bool negative = minor < 0;
  std::string plain = format_amount(negative ? -minor : minor, currency);
  if (!plain.empty() && plain[0] == '-') plain.erase(0, 1);
  std::string whole = plain, frac;
  if (auto dot = plain.find('.'); dot != std::string::npos) {
    whole = plain.substr(0, dot);
    frac = plain.substr(dot + 1);
  }
  bool english = lang != "it" && lang != "de" && lang != "nl";
  char group = english ? ',' : '.';
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(group);
    grouped.push_back(whole[i]);
  }
  std::string number = grouped;
  if (!frac.empty()) number += (english ? "." : ",") + frac;
  std::string symbol;
  for (const auto& s : kSymbols)
    if (s.code == currency) symbol = std::string(s.symbol);
  std::string sign = negative ? "-" : "";
  if (symbol.empty()) {
    if (lang == "it" || lang == "de") return sign + number + " " + std::string(currency);
    return sign + std::string(currency) + " " + number;
  }
  if (lang == "it" || lang == "de") return sign + number + " " + symbol;
  if (lang == "nl") return sign + symbol + " " + number;
  return sign + symbol + number;
}

std::string customer_language(Tx& tx, const std::string& tenant, const std::string& conversation_id) {
  if (auto r = tx.query_one(kLastBotLanguage, {tenant, conversation_id}); r && !r->str(0).empty())
    return r->str(0);
  for (const auto& row : tx.query(kLastInboundContent, {tenant, conversation_id})) {
    boost::system::error_code ec;
    auto v = bj::parse(row.str(0), ec);
    if (ec || !v.is_object()) continue;
    if (auto* l = v.as_object().if_contains("language_code"); l && l->is_string() && !l->as_string().empty())
      return std::string(l->as_string());
  }
  return {};
}

namespace {

// One product as a card shows it: the content object and its plain-text lines. `field` prefixes
// the fields errors name ("" for a single card, "products[2]." in a list).
struct BuiltCard {
  bj::object product;        // content.product / one of content.products
  std::string text;          // title, price line, description
  std::optional<std::string> buy_sku;  // in stock with a variant: "add to cart" can be offered
};

Result<BuiltCard> build_card(Tx& tx, const std::string& tenant, const Conversation& conv, const ProductCardInput& in,
                             const std::string& lang, const std::string& field, int64_t now) {
  if (!in.sku && !in.product_id)
    return Error::invalid(field + "sku", "a product card needs \"sku\" (a variant) or \"product_id\"", "missing_field");
  if (in.url && !http_url(*in.url)) return Error::invalid(field + "url", "url must be an absolute http(s) URL", "invalid_url");
  std::optional<Product> product;
  std::optional<Variant> variant;
  if (in.sku) {
    auto ref = find_variant_by_sku(tx, tenant, *in.sku);
    if (!ref) return Error::invalid(field + "sku", "no product variant has this SKU", "unknown_sku");
    if (in.product_id && ref->product.id != *in.product_id)
      return Error::invalid(field + "sku", "this SKU belongs to another product", "sku_mismatch");
    product = std::move(ref->product);
    variant = std::move(ref->variant);
  } else {
    product = get_product(tx, tenant, *in.product_id);
    if (!product) return Error::invalid(field + "product_id", "no such product", "not_found");
    if (product->variants.size() == 1) variant = product->variants.front();
  }
  if (product->status != "active")
    return Error::invalid(field + (in.sku ? "sku" : "product_id"), "the product is archived", "product_archived");

  std::string currency = in.currency ? *in.currency : preferred_currency(tx, tenant, conv);
  BOTTEGA_TRY_STATUS(check_currency(currency, "currency"));
  // Price (the variant's, or the lowest of the product's variants) and stock.
  std::vector<const Variant*> shown;
  if (variant) shown.push_back(&*variant);
  else
    for (const auto& v : product->variants) shown.push_back(&v);
  auto priced_in = [&](const std::string& cur) {
    std::optional<int64_t> lo, hi;
    for (const auto* v : shown)
      if (auto it = v->prices.find(cur); it != v->prices.end()) {
        lo = lo ? std::min(*lo, it->second) : it->second;
        hi = hi ? std::max(*hi, it->second) : it->second;
      }
    return std::make_pair(lo, hi);
  };
  auto [lo, hi] = priced_in(currency);
  if (!lo && !in.currency) {  // not priced in the preferred currency: the catalog's own
    for (const auto* v : shown)
      if (!v->prices.empty()) {
        currency = v->prices.begin()->first;
        break;
      }
    std::tie(lo, hi) = priced_in(currency);
  }
  if (!lo)
    return Error{Errc::unprocessable, "no_price_in_currency", "the product has no price in " + currency, "currency"};
  std::optional<int64_t> available;  // nullopt: not tracked (unlimited)
  bool tracked_all = true;
  int64_t units = 0;
  for (const auto* v : shown) {
    auto a = available_stock(tx, tenant, v->id, "", now);
    if (!a) tracked_all = false;
    else units += std::max<int64_t>(0, *a);
  }
  if (tracked_all) available = units;
  bool in_stock = !available || *available > 0;

  const LocalizedText& texts = product->text(lang);
  std::string title = texts.title;
  if (variant && !variant->title.empty() && product->variants.size() > 1) title += " - " + variant->title;
  std::string price = format_price(*lo, currency, lang);
  bool from = lo != hi;
  if (from) price = card_label(lang, "from") + " " + price;
  std::string stock = availability_label(lang, available);
  std::string subtitle = price + " · " + stock;
  // A language with a title but no description borrows the English one.
  std::string description = channels::render::clip(
      texts.description.empty() ? product->text("en").description : texts.description, kDescriptionChars);
  std::string image;
  if (variant && variant->image_url && http_url(*variant->image_url)) image = *variant->image_url;
  if (image.empty())
    for (const auto& im : product->images)
      if (http_url(im.url)) {
        image = im.url;
        break;
      }

  BuiltCard out;
  out.text = title + "\n" + subtitle;
  if (!description.empty()) out.text += "\n" + description;

  bj::object p{{"id", product->id},
               {"title", title},
               {"subtitle", subtitle},
               {"description", description},
               {"image_url", image},
               {"price", bj::object{{"amount", *lo}, {"currency", currency}, {"formatted", price}, {"from", from}}},
               {"available", in_stock},
               {"availability", !in_stock ? "out_of_stock" : (available && *available <= kLowStock) ? "low_stock" : "in_stock"},
               {"language", lang}};
  if (available) p["stock"] = *available;
  else p["stock"] = nullptr;
  if (variant) {
    p["variant_id"] = variant->id;
    p["sku"] = variant->sku;
    p["variant_title"] = variant->title;
  }
  if (in.intro && !in.intro->empty()) p["intro"] = *in.intro;
  if (in.url) p["url"] = *in.url;
  out.product = std::move(p);
  if (variant && in_stock && has_buttons(conv.channel_type)) out.buy_sku = variant->sku;
  return out;
}

}  // namespace

Result<CardMessage> product_card(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const ProductCardInput& in, int64_t now) {
  std::string lang = card_language(in.language ? *in.language : customer_language(tx, tenant, conv.id));
  BOTTEGA_TRY(card, build_card(tx, tenant, conv, in, lang, "", now));
  CardMessage out;
  if (in.intro && !in.intro->empty()) out.text = *in.intro + "\n\n";
  out.text += card.text;
  out.content["product"] = std::move(card.product);
  if (in.url) out.content["link"] = bj::object{{"title", card_label(lang, "view")}, {"url", *in.url}};
  if (card.buy_sku)
    out.content["choices"] = bj::array{bj::object{{"id", "buy:" + *card.buy_sku}, {"title", card_label(lang, "add_to_cart")}}};
  return out;
}

Result<CardMessage> product_list(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const ProductListInput& in, int64_t now) {
  if (in.items.size() < 2 || in.items.size() > kMaxListProducts)
    return Error::invalid("products", "a product list has 2 to " + std::to_string(kMaxListProducts) + " products",
                          "invalid_value");
  std::string lang = card_language(in.language ? *in.language : customer_language(tx, tenant, conv.id));
  CardMessage out;
  std::string heading = card_label(lang, "products");
  out.text = in.intro && !in.intro->empty() ? *in.intro : heading;
  bj::array products;
  std::vector<std::string> seen;
  for (size_t i = 0; i < in.items.size(); ++i) {
    ProductCardInput item = in.items[i];
    item.currency = in.currency;
    item.intro.reset();  // the list's intro is the message's
    std::string field = "products[" + std::to_string(i) + "].";
    BOTTEGA_TRY(card, build_card(tx, tenant, conv, item, lang, field, now));
    std::string key = std::string(card.product.at("id").as_string()) + "/" +
                      (card.product.contains("sku") ? std::string(card.product.at("sku").as_string()) : "");
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return Error::invalid(field + (item.sku ? "sku" : "product_id"), "this product is already in the list", "duplicate");
    seen.push_back(key);
    out.text += "\n\n" + std::to_string(i + 1) + ". " + card.text;
    if (item.url) {
      out.text += "\n" + *item.url;
      card.product["link"] = bj::object{{"title", card_label(lang, "view")}, {"url", *item.url}};
    }
    if (card.buy_sku)
      card.product["choice"] = bj::object{{"id", "buy:" + *card.buy_sku}, {"title", card_label(lang, "add_to_cart")}};
    products.push_back(std::move(card.product));
  }
  out.content["products"] = std::move(products);
  out.content["heading"] = heading;
  if (in.intro && !in.intro->empty()) out.content["intro"] = *in.intro;
  out.content["language"] = lang;
  return out;
}

Result<CardMessage> cart_summary(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const std::string& cart_id, const std::optional<std::string>& language,
                                 int64_t now) {
  auto cart = get_cart(tx, tenant, cart_id);
  if (!cart) return Error::invalid("cart_id", "no such cart", "not_found");
  if (cart->contact_id != conv.contact_id)
    return Error::invalid("cart_id", "the cart belongs to another customer", "cart_not_in_conversation");
  if (cart->items.empty()) return Error::conflict("cart_empty", "the cart has no items");
  BOTTEGA_TRY(t, price_cart(tx, tenant, cart_id, now));
  std::string lang = card_language(language ? *language : customer_language(tx, tenant, conv.id));
  auto fmt = [&](int64_t v) { return format_price(v, t.currency, lang); };

  std::string text = card_label(lang, "cart") + ":";
  bj::array lines;
  for (const auto& l : t.lines) {
    // The line's title in the customer's language (the cart keeps the one it was added with).
    std::string title = l.title;
    if (auto ref = find_variant(tx, tenant, l.variant_id)) {
      title = ref->product.text(lang).title;
      if (!ref->variant.title.empty() && ref->product.variants.size() > 1) title += " - " + ref->variant.title;
    }
    text += "\n" + std::to_string(l.quantity) + " × " + title + " — " + fmt(l.subtotal);
    lines.push_back(bj::object{{"sku", l.sku},
                               {"title", title},
                               {"quantity", l.quantity},
                               {"unit_price", l.unit_price},
                               {"subtotal", l.subtotal},
                               {"total", l.total},
                               {"formatted_unit", fmt(l.unit_price)},
                               {"formatted_total", fmt(l.subtotal)}});
  }
  bj::object formatted{{"subtotal", fmt(t.subtotal)}, {"total", fmt(t.total)}};
  if (t.tax_total > 0) formatted["tax"] = fmt(t.tax_total);
  bj::object labels{{"title", card_label(lang, "cart")},
                    {"subtotal", card_label(lang, "subtotal")},
                    {"discount", card_label(lang, "discount")},
                    {"shipping", card_label(lang, "shipping")},
                    {"tax", card_label(lang, t.tax_inclusive ? "tax_included" : "tax")},
                    {"total", card_label(lang, "total")}};
  text += "\n" + card_label(lang, "subtotal") + ": " + fmt(t.subtotal);
  if (t.discount_total > 0) {
    std::string d = fmt(-t.discount_total);
    formatted["discount"] = d;
    std::string name = card_label(lang, "discount");
    if (t.discount_code && t.code_discount > 0) {
      name += " (" + *t.discount_code + ")";
      labels["discount"] = name;
    }
    text += "\n" + name + ": " + d;
  }
  if (t.shipping) {
    std::string s = t.shipping_total == 0 ? card_label(lang, "free") : fmt(t.shipping_total);
    formatted["shipping"] = s;
    text += "\n" + card_label(lang, "shipping") + ": " + s;
  }
  text += "\n" + card_label(lang, "total") + ": " + fmt(t.total);
  if (t.tax_total > 0) text += " (" + card_label(lang, t.tax_inclusive ? "tax_included" : "tax") + " " + fmt(t.tax_total) + ")";

  CardMessage out;
  out.text = std::move(text);
  bj::object c{{"id", cart->id},
               {"currency", t.currency},
               {"language", lang},
               {"lines", std::move(lines)},
               {"subtotal", t.subtotal},
               {"discount_total", t.discount_total},
               {"shipping_total", t.shipping_total},
               {"tax_total", t.tax_total},
               {"total", t.total},
               {"tax_inclusive", t.tax_inclusive},
               {"formatted", std::move(formatted)},
               {"labels", std::move(labels)}};
  if (t.discount_code) c["discount_code"] = *t.discount_code;
  else c["discount_code"] = nullptr;
  out.content["cart"] = std::move(c);
  return out;
}

Result<Message> add_tapped_product(Tx& tx, pipeline::Env& env, const std::string& tenant,
                                   const std::string& message_id) {
  auto m = repo::get_message(tx, tenant, message_id);
  if (!m) return Error::not_found("message");
  if (m->kind != "interactive_reply" || m->direction != "in")
    return Error::invalid("message_id", "not an inbound interactive reply");
  boost::system::error_code ec;
  auto content = bj::parse(m->content_json, ec);
  std::string id;
  if (!ec && content.is_object())
    if (auto* v = content.as_object().if_contains("id"); v && v->is_string()) id = std::string(v->as_string());
  if (id.rfind("buy:", 0) != 0 || id.size() <= 4) return Error::invalid("message_id", "not an add-to-cart tap");
  std::string sku = id.substr(4);
  auto conv = repo::get_conversation(tx, tenant, m->conversation_id);
  if (!conv) return Error::not_found("conversation");
  int64_t now = env.clock.now_ms();
  std::string note_id = env.ids.next("msg"), existing;
  if (!repo::insert_dedupe(tx, tenant, "commerce.buy_tap", message_id, note_id, now, &existing)) {
    auto prior = repo::get_message(tx, tenant, existing);
    if (!prior) return Error::internal("the note of tap " + message_id + " is missing");
    return std::move(*prior);
  }
  // The conversation's newest open cart that is not held by a payment link, else a new one.
  std::optional<Cart> cart;
  for (auto& c : open_carts(tx, tenant, conv->contact_id))
    if (c.conversation_id && *c.conversation_id == conv->id && (!c.reserved_until || *c.reserved_until <= now)) {
      cart = std::move(c);
      break;
    }
  std::string text;
  if (!cart) {
    NewCart nc;
    nc.conversation_id = conv->id;
    nc.source = conv->channel_type;  // the customer built it on that channel
    // A product priced only in another currency starts its cart in that currency.
    if (auto ref = find_variant_by_sku(tx, tenant, sku); ref && !ref->variant.prices.empty() &&
                                                          !ref->variant.prices.count(get_settings(tx, tenant).currency))
      nc.currency = ref->variant.prices.begin()->first;
    auto created = create_cart(tx, env.ids, tenant, nc, now);
    if (!created) return std::move(created).error();
    cart = std::move(*created);
  }
  auto added = add_item(tx, tenant, cart->id, sku, 1, now);
  if (added) {
    auto totals = price_cart(tx, tenant, cart->id, now);
    text = "The customer tapped \"Add to cart\": 1 x " + sku + " added to cart " + cart->id;
    if (totals) text += " (total " + format_amount(totals->total, totals->currency) + " " + totals->currency + ")";
  } else {
    text = "The customer tapped \"Add to cart\" for " + sku + ", but it could not be added to cart " + cart->id +
           ": " + added.error().code + " (" + added.error().message + ")";
  }
  Message note;
  note.id = note_id;
  note.tenant_id = tenant;
  note.conversation_id = conv->id;
  note.direction = "out";
  note.author_kind = "system";
  note.kind = "note";
  note.text = text;
  note.content_json = bj::serialize(bj::object{{"cart_id", cart->id}, {"sku", sku}, {"tap_message_id", message_id},
                                               {"added", added.ok()}});
  note.delivery_state = "sent";
  note.created_at = now;
  repo::insert_message(tx, note);
  pipeline::emit(tx, env, tenant, event_type::kMessageCreated, conv->id, conv->contact_id, true, to_json(note));
  return note;
}

void BuyTapListener::on_event(const Event& e) {
  if (e.type != event_type::kMessageCreated || e.internal) return;
  if (e.payload_json.find("\"interactive_reply\"") == std::string::npos ||
      e.payload_json.find("\"buy:") == std::string::npos)
    return;
  auto m = pipeline::created_message(e);
  if (m && m->kind == "interactive_reply" && m->direction == "in") pending_.emplace_back(e.tenant_id, std::move(m->message_id));
}

void BuyTapListener::on_batch_end() {
  for (const auto& item : pending_) {
    // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture those.
    const std::string& tenant = item.first;
    const std::string& message_id = item.second;
    auto st = store::write_sync(store_, [&](Tx& tx) -> Status {
      auto n = add_tapped_product(tx, env_, tenant, message_id);
      if (!n) return std::move(n).error();
      return {};
    });
    if (!st.ok() && st.error().errc != Errc::invalid_argument)
      std::fprintf(stderr, "bottega: add-to-cart tap %s: %s\n", message_id.c_str(), st.error().message.c_str());
  }
  pending_.clear();
}

}  // namespace bottega::commerce
