// Reading provider payloads: JSON paths for error messages, required members, ids and timestamps.
// Every getter names the JSON path of the field at fault
// ("entry[0].changes[1].value.messages[2].id") in Error::field, so a rejected webhook says exactly
// what was wrong.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "bottega/errors.hpp"

namespace bottega::channels::payload {

namespace bj = boost::json;

// "path.key" (or "key" at the top level) and "path[i]".
std::string member(std::string_view path, std::string_view key);
std::string element(std::string_view path, size_t index);

// Required members: missing or null -> 400 "missing_field"; wrong type -> 400 "invalid_type".
Result<const bj::object*> required_object(const bj::object& o, std::string_view key,
                                          std::string_view path);
Result<const bj::array*> required_array(const bj::object& o, std::string_view key,
                                        std::string_view path);
// An array element that must be an object.
Result<const bj::object*> object_at(const bj::value& v, std::string_view path);

// Ids that providers send as strings or integers (Telegram chat ids, some Graph ids), as text.
// An empty string counts as missing; more than 1024 bytes is "invalid_type".
Result<std::string> required_id(const bj::object& o, std::string_view key, std::string_view path);

// Unix seconds, sent as a string of digits (Meta) or an integer (Telegram), as milliseconds.
// Negative, non-numeric or absurdly large values (> year 5000) are rejected.
Result<int64_t> required_seconds_as_ms(const bj::object& o, std::string_view key,
                                       std::string_view path);
// Unix milliseconds sent as an integer (Messenger).
Result<int64_t> required_ms(const bj::object& o, std::string_view key, std::string_view path);

// A JSON number (integer or floating point) as a double.
Result<double> required_number(const bj::object& o, std::string_view key, std::string_view path);

// A string member when present and a string, else an empty string (for purely informative fields).
std::string string_or_empty(const bj::object& o, std::string_view key);

// s with every ill-formed UTF-8 sequence (stray continuation bytes, overlong forms, surrogates,
// code points above U+10FFFF, truncated sequences) replaced by U+FFFD. JSON bodies are validated by
// the parser; form bodies (Twilio) are not, and their values end up in stored JSON.
std::string valid_utf8(std::string_view s);

// Appends code point cp encoded as UTF-8; a surrogate or a value above U+10FFFF becomes U+FFFD.
void append_utf8(std::string& out, uint32_t cp);

}  // namespace bottega::channels::payload
