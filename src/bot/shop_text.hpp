// The bot's commerce sentences and message parsing, in English, Italian, German and Dutch: which
// catalog question a message asks (price, availability, size, comparison) and about which words;
// answers written only from catalog, discount and order facts (prices from minor units in the
// customer's locale); order numbers, emails, one-time codes and discount codes found in a message.
// Pure; used by engine.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/shop.hpp"

namespace bottega::bot::shop_text {

struct CatalogQuestion {
  bool price = false, availability = false, size = false, compare = false;
  std::optional<std::string> size_value;  // "42" when the message names a size
  std::vector<std::string> words;         // folded content words (product words), question words removed
  bool any() const { return price || availability || size || compare; }
};
CatalogQuestion catalog_question(std::string_view text, const std::string& lang);

// The answer from the facts of 1..3 products (never more than the facts say).
std::string product_answer(const std::vector<ProductFacts>& products, const CatalogQuestion& q,
                           const std::string& lang);

// Why the code applies or not, exactly, with its conditions.
std::string code_answer(const CodeFacts& c, const std::string& lang);
std::string unknown_code_answer(const std::string& code, const std::string& lang);

// The order's status, tracking and lines.
std::string order_status_answer(const OrderFacts& o, const std::string& lang);

// Tokens that look like a discount code ("WELCOME10", "summer-20"), most likely first.
std::vector<std::string> code_candidates(std::string_view text);
// An order number ("#1001", "order 1001", "1001"): 3 to 9 digits standing alone.
std::optional<int64_t> order_number_in(std::string_view text);
std::optional<std::string> email_in(std::string_view text);
// A one-time code: exactly 6 digits standing alone.
std::optional<std::string> otp_in(std::string_view text);

// Fixed sentences, by key, in the language ("en" when unknown). Keys: ask_code, code_sent,
// code_wrong (with {n} attempts left), code_expired, code_failed, refund_which_order,
// refund_choose, refund_opt_refund, refund_opt_replacement, refund_opt_person, refund_started,
// refund_to_agent, replacement_to_agent, offer_person, person, cart_handover, no_orders_verified,
// order_details_again.
std::string say(const std::string& lang, std::string_view key);

}  // namespace bottega::bot::shop_text
