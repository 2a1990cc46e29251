// Strict JSON input: bounded size and nesting, typed field access that names the field at fault.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "bottega/errors.hpp"

namespace bottega::json {

namespace bj = boost::json;

struct ParseLimits {
  size_t max_bytes = 1 << 20;  // 1 MiB
  size_t max_depth = 32;
};

// Parses text as a JSON object. Errors: invalid_json (400), too_deep (400), payload_too_large (413),
// "expected_object" when the top level is not an object.
Result<bj::object> parse_object(std::string_view text, const ParseLimits& limits = {});
Result<bj::value> parse(std::string_view text, const ParseLimits& limits = {});

// Typed getters. `path` is the field's name as shown to the caller (e.g. "items[2].sku").
// required_*: missing -> 400 "missing_field"; wrong type -> 400 "invalid_type".
// optional_*: missing or null -> nullopt; wrong type -> 400 "invalid_type".
Result<std::string> required_string(const bj::object& o, std::string_view key,
                                    std::string_view path = {}, size_t max_len = 65536);
Result<std::optional<std::string>> optional_string(const bj::object& o, std::string_view key,
                                                   std::string_view path = {},
                                                   size_t max_len = 65536);
Result<int64_t> required_int(const bj::object& o, std::string_view key, std::string_view path = {});
Result<std::optional<int64_t>> optional_int(const bj::object& o, std::string_view key,
                                            std::string_view path = {});
Result<std::optional<bool>> optional_bool(const bj::object& o, std::string_view key,
                                          std::string_view path = {});
// Returns nullptr when absent; error when present but not an object / array.
Result<const bj::object*> optional_object(const bj::object& o, std::string_view key,
                                          std::string_view path = {});
Result<const bj::array*> optional_array(const bj::object& o, std::string_view key,
                                        std::string_view path = {});

// Refuses a member of o that is not one of `keys`: the first one, in the object's order, is a 400
// "unknown_field" with `message` whose field is `path` + "." + the member's name (just the name
// when path is empty: a request body's top level).
Status only_keys(const bj::object& o, std::initializer_list<std::string_view> keys, std::string_view path = {},
                 std::string_view message = "unknown field");

// Serializes v compactly.
std::string dump(const bj::value& v);

// The offset of the first byte of `s` that does not start a well-formed UTF-8 sequence (stray
// continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
// sequences), or npos when all of `s` is UTF-8. For text formats other than JSON (whose parser
// checks this itself) whose values end up in stored JSON.
size_t invalid_utf8_at(std::string_view s);

}  // namespace bottega::json
