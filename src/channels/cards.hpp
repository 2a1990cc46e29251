// Rich message kinds an agent sends into a conversation (docs/commerce.md#product-cards):
// `product` (content.product, or content.products for several), `cart` (content.cart) and `payment_link` (content.payment). This
// file reads the stored content back for the channel adapters and renders the email HTML part.
// Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "bottega/channel.hpp"

namespace bottega::channels {

// The product card in a message's content ({"product":{"sku","title","subtitle","description",
// "image_url","available",...}}), or nullopt when the content has none.
std::optional<ProductCard> card_from_content(const boost::json::object& content);

// The product list in a message's content ({"products":[{...card..., "link"?:{title,url},
// "choice"?:{id,title}}], "heading", "intro"?}), or nullopt when the content has none (or fewer
// than two readable products).
std::optional<ProductList> products_from_content(const boost::json::object& content);

// &, <, >, " and ' as entities.
std::string html_escape(std::string_view s);

// The HTML alternative of an outbound mail for a product card, a cart summary or a payment
// link (every value escaped; images only from http(s) URLs); "" when the content is none of
// these (the mail stays text/plain).
std::string message_html(std::string_view text, const boost::json::object& content);

}  // namespace bottega::channels
