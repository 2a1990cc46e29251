// application/x-www-form-urlencoded: the body of Twilio webhooks and requests, and the query
// string of Meta's subscription handshake.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::channels::form {

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits text on '&' and each part on its first '=', then percent-decodes names and values with
// '+' as a space. Order and repeated names are kept; empty parts ("a=1&&b=2") are skipped; a part
// without '=' is a name with an empty value. Errors: invalid_argument "invalid_form" for a bad
// percent escape, more than max_params parameters, or text longer than max_bytes.
Result<Params> parse(std::string_view text, size_t max_params = 1000, size_t max_bytes = 1 << 20);

// The value of the first parameter named name, or nullptr.
const std::string* find(const Params& params, std::string_view name);

// Percent-encodes a name or value: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, ' ' and every
// other byte become %XX (uppercase hex).
std::string encode_component(std::string_view s);

// name=value pairs joined by '&', each side encoded with encode_component.
std::string encode(const Params& params);

}  // namespace bottega::channels::form
