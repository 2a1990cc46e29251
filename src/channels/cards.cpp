#include "channels/cards.hpp"

#include <boost/json/array.hpp>

namespace bottega::channels {

namespace bj = boost::json;

namespace {

std::string str(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const bj::object* obj(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

bool http_url(std::string_view u) {
  return (u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0) &&
         u.find_first_of(" \t\r\n\"'<>") == std::string_view::npos;
}

// Plain text as HTML paragraphs: escaped, line breaks kept.
std::string paragraphs(std::string_view text) {
  std::string out = "<p>";
  for (char c : text) {
    if (c == '\n') out += "<br>";
    else out += html_escape(std::string_view(&c, 1));
  }
  return out + "</p>";
}

std::string button(const std::string& url, const std::string& title) {
  if (!http_url(url)) return {};
  return "<p><a href=\"" + html_escape(url) +
         "\" style=\"display:inline-block;padding:10px 16px;background:#1f2937;color:#ffffff;"
         "text-decoration:none;border-radius:6px\">" +
         html_escape(title) + "</a></p>";
}

std::string page(const std::string& body) {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>"
         "<body style=\"font-family:Arial,Helvetica,sans-serif;color:#111827\">" +
         body + "</body></html>";
}

std::optional<ProductCard> card_at(const bj::object* p) {
  if (!p) return std::nullopt;
  ProductCard c;
  c.sku = str(*p, "sku");
  c.title = str(*p, "title");
  c.subtitle = str(*p, "subtitle");
  c.description = str(*p, "description");
  c.image_url = str(*p, "image_url");
  if (!http_url(c.image_url)) c.image_url.clear();
  if (auto* a = p->if_contains("available"); a && a->is_bool()) c.available = a->as_bool();
  if (c.title.empty()) return std::nullopt;
  return c;
}

}  // namespace

std::optional<ProductCard> card_from_content(const bj::object& content) { return card_at(obj(content, "product")); }

std::optional<ProductList> products_from_content(const bj::object& content) {
  auto* ps = content.if_contains("products");
  if (!ps || !ps->is_array()) return std::nullopt;
  ProductList list;
  list.heading = str(content, "heading");
  list.intro = str(content, "intro");
  for (const auto& v : ps->as_array()) {
    if (!v.is_object()) continue;
    auto card = card_at(&v.as_object());
    if (!card) continue;
    ProductListItem item{std::move(*card), std::nullopt, std::nullopt};
    if (const bj::object* l = obj(v.as_object(), "link")) {
      std::string url = str(*l, "url"), title = str(*l, "title");
      if (http_url(url) && !title.empty()) item.link = LinkButton{title, url};
    }
    if (const bj::object* b = obj(v.as_object(), "choice")) {
      std::string id = str(*b, "id"), title = str(*b, "title");
      if (!id.empty() && !title.empty()) item.buy = ReplyChoice{id, title, ""};
    }
    list.items.push_back(std::move(item));
  }
  if (list.items.size() < 2) return std::nullopt;
  return list;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string message_html(std::string_view text, const bj::object& content) {
  std::string link_url, link_title;
  if (const bj::object* l = obj(content, "link")) {
    link_url = str(*l, "url");
    link_title = str(*l, "title");
  }
  if (auto card = card_from_content(content)) {
    std::string intro;
    if (const bj::object* p = obj(content, "product")) intro = str(*p, "intro");
    std::string b;
    if (!intro.empty()) b += paragraphs(intro);
    b += "<table role=\"presentation\" style=\"border:1px solid #e5e7eb;border-radius:8px;padding:12px\"><tr>";
    if (!card->image_url.empty())
      b += "<td style=\"vertical-align:top;padding-right:12px\"><img src=\"" + html_escape(card->image_url) +
           "\" alt=\"" + html_escape(card->title) + "\" width=\"160\" style=\"max-width:160px\"></td>";
    b += "<td style=\"vertical-align:top\"><h3 style=\"margin:0 0 6px\">" + html_escape(card->title) + "</h3>";
    b += "<p style=\"margin:0 0 6px;font-weight:bold\">" + html_escape(card->subtitle) + "</p>";
    if (!card->description.empty()) b += paragraphs(card->description);
    if (!link_url.empty()) b += button(link_url, link_title.empty() ? "View" : link_title);
    b += "</td></tr></table>";
    return page(b);
  }
  if (auto list = products_from_content(content)) {
    std::string b = "<h3>" + html_escape(list->intro.empty() ? list->heading : list->intro) + "</h3>";
    for (const auto& item : list->items) {
      const ProductCard& card = item.card;
      b += "<table role=\"presentation\" style=\"border:1px solid #e5e7eb;border-radius:8px;padding:12px;"
           "margin-bottom:12px\"><tr>";
      if (!card.image_url.empty())
        b += "<td style=\"vertical-align:top;padding-right:12px\"><img src=\"" + html_escape(card.image_url) +
             "\" alt=\"" + html_escape(card.title) + "\" width=\"120\" style=\"max-width:120px\"></td>";
      b += "<td style=\"vertical-align:top\"><h4 style=\"margin:0 0 6px\">" + html_escape(card.title) + "</h4>";
      b += "<p style=\"margin:0 0 6px;font-weight:bold\">" + html_escape(card.subtitle) + "</p>";
      if (!card.description.empty()) b += paragraphs(card.description);
      if (item.link) b += button(item.link->url, item.link->title);
      b += "</td></tr></table>";
    }
    return page(b);
  }
  if (const bj::object* cart = obj(content, "cart")) {
    const bj::object* labels = obj(*cart, "labels");
    auto label = [&](std::string_view k, std::string_view fallback) {
      std::string v = labels ? str(*labels, k) : std::string();
      return v.empty() ? std::string(fallback) : v;
    };
    std::string b = "<h3>" + html_escape(label("title", "Your cart")) + "</h3>";
    b += "<table role=\"presentation\" style=\"border-collapse:collapse;min-width:280px\">";
    if (auto* lines = cart->if_contains("lines"); lines && lines->is_array())
      for (const auto& lv : lines->as_array()) {
        if (!lv.is_object()) continue;
        const auto& l = lv.as_object();
        std::string qty;
        if (auto* q = l.if_contains("quantity"); q && q->is_int64()) qty = std::to_string(q->as_int64());
        b += "<tr><td style=\"padding:4px 8px 4px 0\">" + html_escape(qty) + " &times; " +
             html_escape(str(l, "title")) + "</td><td style=\"padding:4px 0;text-align:right\">" +
             html_escape(str(l, "formatted_total")) + "</td></tr>";
      }
    if (const bj::object* f = obj(*cart, "formatted")) {
      auto row = [&](std::string_view key, std::string_view name, bool strong) {
        std::string v = str(*f, key);
        if (v.empty()) return;
        std::string open = strong ? "<strong>" : "", close = strong ? "</strong>" : "";
        b += "<tr><td style=\"padding:4px 8px 4px 0\">" + open + html_escape(label(key, name)) + close +
             "</td><td style=\"padding:4px 0;text-align:right\">" + open + html_escape(v) + close + "</td></tr>";
      };
      row("subtotal", "Subtotal", false);
      row("discount", "Discount", false);
      row("shipping", "Shipping", false);
      row("tax", "Tax", false);
      row("total", "Total", true);
    }
    b += "</table>";
    if (!link_url.empty()) b += button(link_url, link_title.empty() ? "Pay now" : link_title);
    return page(b);
  }
  if (const bj::object* pay = obj(content, "payment")) {
    std::string b = paragraphs(text);
    std::string url = str(*pay, "url");
    if (url.empty()) url = link_url;
    if (!url.empty()) b += button(url, link_title.empty() ? "Pay now" : link_title);
    return page(b);
  }
  return {};
}

}  // namespace bottega::channels
