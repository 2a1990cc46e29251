// A channel's connection test: the provider call that reads the account behind the channel's
// credentials, and what its answer says. WhatsApp: the phone number (GET /{phone_number_id}
// ?fields=display_phone_number,verified_name); Messenger and Instagram: the page (GET
// /me?fields=id,name with the page token); Telegram: getMe; Twilio: the account (GET
// /2010-04-01/Accounts/{sid}.json); Viber: get_account_info; WeChat: an access token from
// cgi-bin/token. Nothing is sent to a customer. Pure functions; the caller sends the request
// through the outbound HTTP client (the same destination checks as every provider call).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/registry.hpp"

namespace bottega::channels {

// What the provider says the credentials belong to.
struct ConnectionIdentity {
  std::string id;    // the provider's id of the account (phone number id, page id, bot id, ...)
  std::string name;  // its display name (verified name, page name, bot username, ...)
  std::string detail;  // more (the display phone number, the account status), may be empty
};

// The request, or nullopt when the channel type has no provider account to test (webchat, email).
std::optional<Result<HttpRequest>> connection_test_request(const ChannelAdapter& adapter, const AnySettings& settings);

// The account the answer names, or the provider's error as the channel's send path maps it
// (unauthenticated for bad credentials, with the provider's own message).
Result<ConnectionIdentity> parse_connection_test(const ChannelAdapter& adapter, int http_status, std::string_view body);

}  // namespace bottega::channels
