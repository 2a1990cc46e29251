// What the bot may ask the shop (the commerce and payments areas) during a turn, as plain facts:
// products a message names with their prices and honest stock, a discount code checked against
// the conversation's cart, the customer's orders, the open cart. `ShopPort` is the interface
// decide() reads through (read only: everything the bot wants changed comes back as a
// `ShopAction` the caller carries out in its transaction); `StoreShop` implements it over the
// store for one conversation. Every query is tenant-scoped.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bottega/store.hpp"

namespace bottega::bot {

struct VariantFacts {
  std::string sku, title;            // title: "EU 42" ("" for a product's only variant)
  std::optional<int64_t> price;      // minor units of ProductFacts::currency; nullopt: no price there
  std::optional<int64_t> available;  // units that can still be promised; nullopt: not tracked
};
struct ProductFacts {
  std::string product_id, handle, title, description;  // texts in the asked language (else English)
  std::string currency;
  std::vector<VariantFacts> variants;
};

struct CodeFacts {
  std::string code;                  // upper case
  std::string refusal;               // "" when it applies; else a commerce Refusal code
  std::string kind;                  // percentage | fixed_amount | free_shipping
  int64_t value = 0;                 // basis points or minor units
  std::string currency;              // of value (fixed) and minimum ("" when none)
  std::optional<int64_t> minimum_subtotal, starts_at, ends_at;
  std::vector<std::string> scope_titles;  // the products (or collections) it is limited to
  bool checked_against_cart = false;  // false: no open cart, only the code's own rules were checked
  int64_t cart_subtotal = 0;          // with a cart: its subtotal (for "minimum not reached")
  std::string cart_currency;
};

struct OrderFacts {
  std::string id;
  int64_t number = 0;
  std::string status, currency;
  int64_t total = 0, refunded = 0, created_at = 0;
  std::optional<int64_t> paid_at, fulfilled_at;
  std::optional<std::string> tracking_number, tracking_url, carrier;
  std::vector<std::string> lines;         // "2 x Chelsea boot (EU 42)"
  std::optional<std::string> payment_id;  // the paid payment the order came from (refunds go there)
};

struct CartFacts {
  std::string id, currency;
  int64_t total = 0;
  std::vector<std::string> lines;  // "1 x Chelsea boot (EU 42)"
};

class ShopPort {
 public:
  virtual ~ShopPort() = default;
  // Active products whose titles, descriptions or SKUs contain every one of `words` (folded
  // message words, stems allowed as prefixes), best first, at most `limit`.
  virtual std::vector<ProductFacts> find_products(const std::vector<std::string>& words, const std::string& lang,
                                                  size_t limit) = 0;
  // Whether a single word is found in the catalog at all.
  virtual bool catalog_knows(const std::string& word) = 0;
  // The shop's code `code` checked against the conversation's open cart (or, without one, its own
  // rules: dates, limits, this customer's uses); nullopt when the shop has no such code.
  virtual std::optional<CodeFacts> check_code(const std::string& code) = 0;
  // The orders of the conversation's customer (the channel identity owns them), newest first.
  virtual std::vector<OrderFacts> customer_orders() = 0;
  // The order with this number whose customer's email is `email` (case-insensitive); nullopt
  // otherwise (the caller must not tell which part did not match).
  virtual std::optional<OrderFacts> order_for(int64_t number, const std::string& email) = 0;
  virtual std::optional<OrderFacts> order(const std::string& id) = 0;
  virtual std::optional<CartFacts> open_cart() = 0;
  // Whether the shop can email a one-time code (an email channel with an outgoing relay).
  virtual bool can_email_codes() = 0;
};

// What the bot asks the caller to do in the turn's transaction.
struct ShopAction {
  std::string kind;    // product_card | send_code | refund
  std::string sku, product_id;            // product_card
  std::string order_id, email, nonce;     // send_code (the code is made and hashed by its job)
  std::string payment_id, reason;         // refund (order_id too)
  int64_t amount = 0;
};

// The ShopPort of one conversation over the store, inside the caller's transaction.
class StoreShop final : public ShopPort {
 public:
  StoreShop(store::Tx& tx, std::string tenant, std::string contact_id, std::string conversation_id, int64_t now)
      : tx_(tx), tenant_(std::move(tenant)), contact_(std::move(contact_id)),
        conversation_(std::move(conversation_id)), now_(now) {}
  std::vector<ProductFacts> find_products(const std::vector<std::string>& words, const std::string& lang,
                                          size_t limit) override;
  bool catalog_knows(const std::string& word) override;
  std::optional<CodeFacts> check_code(const std::string& code) override;
  std::vector<OrderFacts> customer_orders() override;
  std::optional<OrderFacts> order_for(int64_t number, const std::string& email) override;
  std::optional<OrderFacts> order(const std::string& id) override;
  std::optional<CartFacts> open_cart() override;
  bool can_email_codes() override;

 private:
  store::Tx& tx_;
  std::string tenant_, contact_, conversation_;
  int64_t now_;
  std::map<std::string, bool> known_;  // catalog_knows cache
};

}  // namespace bottega::bot
