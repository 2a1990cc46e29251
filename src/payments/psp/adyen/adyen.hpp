// Adyen: Pay by Link (POST {base}/v72/paymentLinks, JSON, X-API-Key, amount in minor units), standard
// notifications (JSON with notificationItems, each signed by additionalData.hmacSignature =
// base64(HMAC-SHA256(hex-decoded HMAC key, pspReference:originalReference:merchantAccountCode:
// merchantReference:amount.value:amount.currency:eventCode:success))), acknowledged with HTTP 200
// "[accepted]", and refunds (POST {base}/v72/payments/{pspReference}/refunds; the outcome arrives
// as a REFUND / REFUND_FAILED notification). Wire formats: providers.md §8.
//
// Events are deduplicated by "<pspReference>:<eventCode>:<success>" (Adyen's own advice).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/psp.hpp"

namespace bottega::payments::psp::adyen {

struct Settings {
  std::string api_key;           // X-API-Key
  std::string merchant_account;  // e.g. ShopCoMerchantECOM
  std::string hmac_key;          // the notification HMAC key, raw bytes (configured as hex)
  std::string api_base_url = "https://checkout-test.adyen.com";  // live: https://<prefix>-checkout-live.adyenpayments.com/checkout
  std::string basic_username, basic_password;  // optional HTTP Basic auth on notifications
};

// {"api_key", "merchant_account", "hmac_key": hex (even length, >= 32 hex digits),
//  "api_base_url"?, "basic_username"?, "basic_password"?}.
Result<Settings> parse_settings(const boost::json::object& o);

// The signing string of one NotificationRequestItem (missing fields are empty strings).
std::string signing_string(const boost::json::object& item);
// base64(HMAC-SHA256(key, signing_string(item))).
std::string sign_item(std::string_view key, const boost::json::object& item);
// Every item's hmacSignature (and Basic auth when configured), constant time, on the received
// bytes before any event is parsed. Errors: unauthenticated "signature_missing" (an item without
// hmacSignature, or no Basic auth when configured), "signature_malformed" (not a notification),
// "signature_mismatch".
Status verify(const WebhookRequest& req, const Settings& s, int64_t now_ms);
Result<std::vector<PspEvent>> parse_webhook(std::string_view body);

Result<HttpRequest> build_checkout(const Settings& s, const CheckoutRequest& c);
Result<CheckoutSession> parse_checkout(int status, std::string_view body);
Result<HttpRequest> build_refund(const Settings& s, const RefundCall& r);
Result<RefundOutcome> parse_refund(int status, std::string_view body);

}  // namespace bottega::payments::psp::adyen
