// What an agent sends into a conversation to sell: a product card (message kind "product") and a
// cart summary (kind "cart"), in the customer's language and the catalog's currency, with the
// stock told honestly (docs/commerce.md#product-cards-and-cart-summaries). Builds the message's
// text (the complete plain form every channel can send) and its content (what card-capable
// channels, the widget and the console render). Runs inside the caller's transaction; every
// lookup takes the tenant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <utility>
#include <vector>

#include "bottega/errors.hpp"
#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"
#include "pipeline/services.hpp"

namespace bottega::commerce {

using store::Tx;

// The languages cards are written in; anything else reads as English.
std::string card_language(std::string_view requested);

// minor units as the customer's locale writes them: en "€1,299.00", it/de "1.299,00 €",
// nl "€ 1.299,00"; JPY "¥7,000" / "7.000 ¥"; currencies without a symbol use the code
// ("CHF 12.50" / "12,50 CHF"). Negative amounts start with "-". REQUIRES: a known currency.
std::string format_price(int64_t minor, std::string_view currency, std::string_view lang);

// The customer's language as far as the conversation tells: the language the bot detected in
// their latest message, else the language_code their Telegram client sent; "" when unknown.
std::string customer_language(Tx& tx, const std::string& tenant, const std::string& conversation_id);

// A localized label ("add_to_cart", "view", "in_stock", "out_of_stock", "only_left" (with {n}),
// "from", "cart", "subtotal", "discount", "shipping", "free", "tax", "tax_included", "total",
// "code") in one of the card languages.
std::string card_label(std::string_view lang, std::string_view key);

// "In stock", "Only 2 left", "Out of stock" in a card language; nullopt stock (not tracked) is
// in stock.
std::string availability_label(const std::string& lang, std::optional<int64_t> available);
struct CardMessage {
  std::string text;              // the whole card as plain text (SMS, fallbacks, the inbox preview)
  boost::json::object content;   // {"product":{...}} or {"cart":{...}}, plus "link" / "choices"
};

struct ProductCardInput {
  std::optional<std::string> sku, product_id;  // at least one; a SKU picks the variant
  std::optional<std::string> currency;         // default: the conversation's open cart, else the shop's
  std::optional<std::string> language;         // default: customer_language(), else English
  std::optional<std::string> url;              // the product's page: a "View" link button
  std::optional<std::string> intro;            // a line written before the card
};
// Errors (nothing stored): missing sku/product_id (400 field sku), unknown_sku (400 sku),
// not_found (400 product_id), product_archived (400), a sku of another product (400 sku),
// no_price_in_currency (422 currency), bad url (400 url).
// The "add to cart" choice (id "buy:<SKU>") is offered when the variant is in stock and the
// channel shows buttons.
Result<CardMessage> product_card(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const ProductCardInput& in, int64_t now);

// Several products in one message (message kind "product" with content {"products":[...]}; one
// product is product_card's {"product":{...}}): each product as product_card shows it, in one
// language, with its own "View" link (product.link) and "Add to cart" choice (product.choice,
// "buy:<SKU>", when in stock and the channel shows buttons); content.heading is a short heading
// in that language, content.intro the agent's line. The text is the whole list, numbered, with
// each product's page: what SMS, Telegram and any channel without a carousel send.
// Rendered as the WhatsApp catalog's multi-product message (product_list) when the channel has a
// catalog id, a Messenger/Instagram generic template carousel, an email of cards, the widget's
// and the console's carousel (docs/commerce.md#several-products-in-one-message).
constexpr size_t kMaxListProducts = 10;  // a Messenger carousel's limit (WhatsApp takes 30)
struct ProductListInput {
  std::vector<ProductCardInput> items;   // 2..kMaxListProducts: sku/product_id and url each
  std::optional<std::string> currency;   // for all (see ProductCardInput)
  std::optional<std::string> language;
  std::optional<std::string> intro;
};
// Errors as product_card's, the field naming the item ("products[1].sku"); products (400) when
// fewer than 2 or more than kMaxListProducts; the same product twice (400 duplicate).
Result<CardMessage> product_list(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const ProductListInput& in, int64_t now);

// The cart's summary, priced now (lines, code and manual discounts, shipping, tax, total). The
// cart must belong to the conversation's customer (400 cart_not_in_conversation, field cart_id).
Result<CardMessage> cart_summary(Tx& tx, const std::string& tenant, const Conversation& conv,
                                 const std::string& cart_id, const std::optional<std::string>& language,
                                 int64_t now);

// A customer tapped a card's "Add to cart" (an inbound interactive_reply whose id is
// "buy:<SKU>": a WhatsApp reply button, a Messenger postback, a Telegram callback): one unit goes
// into the conversation's open cart (a new cart when there is none it can change), and an internal
// note tells the agents what happened (added with the new total, or why not). Once per message
// (deduplicated by its id). Returns the note; an error only for a message that is no such tap.
Result<Message> add_tapped_product(Tx& tx, pipeline::Env& env, const std::string& tenant,
                                   const std::string& message_id);

// Dispatcher listener running add_tapped_product after each batch.
class BuyTapListener final : public EventListener {
 public:
  BuyTapListener(store::Store& store, pipeline::Env env) : store_(store), env_(std::move(env)) {}
  void on_event(const Event& e) override;
  void on_batch_end() override;

 private:
  store::Store& store_;
  pipeline::Env env_;
  std::vector<std::pair<std::string, std::string>> pending_;  // tenant, message id
};

}  // namespace bottega::commerce
