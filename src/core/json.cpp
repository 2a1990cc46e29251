#include "core/json.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace bottega::json {

namespace {

std::string field_name(std::string_view key, std::string_view path) {
  return std::string(path.empty() ? key : path);
}

Error missing(std::string field) {
  std::string msg = field + " is required";
  return Error::invalid(std::move(field), std::move(msg), "missing_field");
}

Error wrong_type(std::string field, std::string_view expected) {
  std::string msg = field + " must be " + std::string(expected);
  return Error::invalid(std::move(field), std::move(msg), "invalid_type");
}

// The member named key, or nullptr when absent or JSON null.
const bj::value* find_present(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

Result<std::string> to_string(const bj::value& v, std::string field, size_t max_len) {
  if (!v.is_string()) return wrong_type(std::move(field), "a string");
  const bj::string& s = v.get_string();
  if (s.size() > max_len) {
    std::string msg = field + " must be at most " + std::to_string(max_len) + " bytes";
    return Error::invalid(std::move(field), std::move(msg), "too_long");
  }
  return std::string(s.data(), s.size());
}

// Accepts int64, uint64 up to INT64_MAX, and doubles that are integral and exactly representable
// (|d| < 2^53, so 1e3 and 5.0 pass but 1.5, 1e300 and 9007199254740993.0, which parses to 2^53,
// do not).
Result<int64_t> to_int(const bj::value& v, std::string field) {
  constexpr const char* kExpected = "an integer";
  switch (v.kind()) {
    case bj::kind::int64:
      return v.get_int64();
    case bj::kind::uint64:
      if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return wrong_type(std::move(field), "a 64-bit signed integer");
      }
      return static_cast<int64_t>(v.get_uint64());
    case bj::kind::double_: {
      constexpr double kMaxExact = 9007199254740992.0;  // 2^53
      double d = v.get_double();
      if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) >= kMaxExact) {
        return wrong_type(std::move(field), kExpected);
      }
      return static_cast<int64_t>(d);
    }
    default:
      return wrong_type(std::move(field), kExpected);
  }
}

}  // namespace

Result<bj::value> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error{Errc::payload_too_large,
                 "payload_too_large",
                 "JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes",
                 {}};
  }
  bj::parse_options opts;
  opts.max_depth = limits.max_depth;
  bj::parser p(bj::storage_ptr(), opts);
  boost::system::error_code ec;
  size_t consumed = p.write(text.data(), text.size(), ec);
  if (ec == bj::error::too_deep) {
    return Error::invalid(
        "", "JSON nesting exceeds " + std::to_string(limits.max_depth) + " levels", "too_deep");
  }
  if (ec) {
    return Error::invalid("",
                          "invalid JSON at byte " + std::to_string(consumed) + ": " + ec.message(),
                          "invalid_json");
  }
  return p.release();
}

Result<bj::object> parse_object(std::string_view text, const ParseLimits& limits) {
  BOTTEGA_TRY(v, parse(text, limits));
  if (!v.is_object()) return Error::invalid("", "expected a JSON object", "expected_object");
  return std::move(v.get_object());
}

Result<std::string> required_string(const bj::object& o, std::string_view key,
                                    std::string_view path, size_t max_len) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return missing(field_name(key, path));
  return to_string(*v, field_name(key, path), max_len);
}

Result<std::optional<std::string>> optional_string(const bj::object& o, std::string_view key,
                                                   std::string_view path, size_t max_len) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return std::optional<std::string>();
  BOTTEGA_TRY(s, to_string(*v, field_name(key, path), max_len));
  return std::optional<std::string>(std::move(s));
}

Result<int64_t> required_int(const bj::object& o, std::string_view key, std::string_view path) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return missing(field_name(key, path));
  return to_int(*v, field_name(key, path));
}

Result<std::optional<int64_t>> optional_int(const bj::object& o, std::string_view key,
                                            std::string_view path) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return std::optional<int64_t>();
  BOTTEGA_TRY(i, to_int(*v, field_name(key, path)));
  return std::optional<int64_t>(i);
}

Result<std::optional<bool>> optional_bool(const bj::object& o, std::string_view key,
                                          std::string_view path) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) return wrong_type(field_name(key, path), "a boolean");
  return std::optional<bool>(v->get_bool());
}

Result<const bj::object*> optional_object(const bj::object& o, std::string_view key,
                                          std::string_view path) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return static_cast<const bj::object*>(nullptr);
  if (!v->is_object()) return wrong_type(field_name(key, path), "an object");
  return &v->get_object();
}

Result<const bj::array*> optional_array(const bj::object& o, std::string_view key,
                                        std::string_view path) {
  const bj::value* v = find_present(o, key);
  if (v == nullptr) return static_cast<const bj::array*>(nullptr);
  if (!v->is_array()) return wrong_type(field_name(key, path), "an array");
  return &v->get_array();
}

Status only_keys(const bj::object& o, std::initializer_list<std::string_view> keys, std::string_view path,
                 std::string_view message) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    return Error::invalid(path.empty() ? std::string(k) : std::string(path) + "." + std::string(k),
                          std::string(message), "unknown_field");
  }
  return {};
}

std::string dump(const bj::value& v) { return bj::serialize(v); }

size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    uint32_t cp = b & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace bottega::json
