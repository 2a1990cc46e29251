// The hosted checkout page served at a payment link's URL, and the sandbox provider's pages:
// server-rendered HTML that works without JavaScript, mobile-first, every value escaped, in
// English, Italian, German and Dutch. Pure functions (no I/O).
#pragma once

#include <string>
#include <string_view>

#include "payments/model.hpp"

namespace bottega::payments::page {

// "en", "it", "de" or "nl": ?lang= when it names one, else the first supported language in
// Accept-Language, else "en".
std::string pick_language(std::string_view lang_param, std::string_view accept_language);

// The Content-Security-Policy every page is sent with (no scripts at all).
std::string_view content_security_policy();

std::string escape(std::string_view s);

// The checkout page for a payable link; `notice` is an optional message key shown on top
// ("declined", "unavailable").
// credit_offer > 0: a "use my store credit" checkbox (that much of the customer's credit).
std::string checkout(const Payment& p, std::string_view shop, std::string_view lang, std::string_view notice,
                     int64_t credit_offer = 0);

// A page for a link that cannot be paid: kind is "invalid", "expired", "paid", "refunded",
// "processing", "cancelled" or "error". `p` may be null (invalid link).
std::string status_page(std::string_view kind, const Payment* p, std::string_view shop, std::string_view lang,
                        bool refresh);

// The sandbox provider's hosted pages: step "choose" (methods), "3ds" (extra authentication) or
// "bank" (the bank's page after a redirect).
std::string sandbox(std::string_view session_id, const Payment& p, std::string_view shop, std::string_view step);

}  // namespace bottega::payments::page
