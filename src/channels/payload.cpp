#include "channels/payload.hpp"

#include <cmath>
#include <limits>

#include "core/json.hpp"

namespace bottega::channels::payload {

namespace {

constexpr int64_t kMaxSeconds = 95'617'584'000;  // 5000-01-01T00:00:00Z

const bj::value* present(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

Error missing(std::string field) {
  std::string msg = field + " is required";
  return Error::invalid(std::move(field), std::move(msg), "missing_field");
}

Error wrong_type(std::string field, std::string_view expected) {
  std::string msg = field + " must be " + std::string(expected);
  return Error::invalid(std::move(field), std::move(msg), "invalid_type");
}

}  // namespace

std::string member(std::string_view path, std::string_view key) {
  std::string out;
  out.reserve(path.size() + key.size() + 1);
  out += path;
  if (!path.empty()) out.push_back('.');
  out += key;
  return out;
}

std::string element(std::string_view path, size_t index) {
  std::string out(path);
  out.push_back('[');
  out += std::to_string(index);
  out.push_back(']');
  return out;
}

Result<const bj::object*> required_object(const bj::object& o, std::string_view key,
                                          std::string_view path) {
  const bj::value* v = present(o, key);
  if (v == nullptr) return missing(member(path, key));
  if (!v->is_object()) return wrong_type(member(path, key), "an object");
  return &v->get_object();
}

Result<const bj::array*> required_array(const bj::object& o, std::string_view key,
                                        std::string_view path) {
  const bj::value* v = present(o, key);
  if (v == nullptr) return missing(member(path, key));
  if (!v->is_array()) return wrong_type(member(path, key), "an array");
  return &v->get_array();
}

Result<const bj::object*> object_at(const bj::value& v, std::string_view path) {
  if (!v.is_object()) return wrong_type(std::string(path), "an object");
  return &v.get_object();
}

Result<std::string> required_id(const bj::object& o, std::string_view key, std::string_view path) {
  const bj::value* v = present(o, key);
  std::string field = member(path, key);
  if (v == nullptr) return missing(std::move(field));
  switch (v->kind()) {
    case bj::kind::string: {
      const bj::string& s = v->get_string();
      if (s.empty()) return missing(std::move(field));
      if (s.size() > 1024) return wrong_type(std::move(field), "at most 1024 bytes");
      return std::string(s.data(), s.size());
    }
    case bj::kind::int64:
      return std::to_string(v->get_int64());
    case bj::kind::uint64:
      return std::to_string(v->get_uint64());
    default:
      return wrong_type(std::move(field), "a string or an integer");
  }
}

Result<int64_t> required_seconds_as_ms(const bj::object& o, std::string_view key,
                                       std::string_view path) {
  const bj::value* v = present(o, key);
  std::string field = member(path, key);
  if (v == nullptr) return missing(std::move(field));
  int64_t seconds = -1;
  if (v->is_string()) {
    const bj::string& s = v->get_string();
    if (s.empty() || s.size() > 12) return wrong_type(std::move(field), "unix seconds");
    seconds = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return wrong_type(std::move(field), "unix seconds");
      seconds = seconds * 10 + (c - '0');
    }
  } else if (v->is_int64()) {
    seconds = v->get_int64();
  } else if (v->is_uint64()) {
    seconds = v->get_uint64() > static_cast<uint64_t>(kMaxSeconds)
                  ? -1
                  : static_cast<int64_t>(v->get_uint64());
  } else {
    return wrong_type(std::move(field), "unix seconds");
  }
  if (seconds < 0 || seconds > kMaxSeconds) return wrong_type(std::move(field), "unix seconds");
  return seconds * 1000;
}

Result<int64_t> required_ms(const bj::object& o, std::string_view key, std::string_view path) {
  std::string field = member(path, key);
  BOTTEGA_TRY(ms, json::required_int(o, key, field));
  if (ms < 0 || ms > kMaxSeconds * 1000) return wrong_type(std::move(field), "unix milliseconds");
  return ms;
}

Result<double> required_number(const bj::object& o, std::string_view key, std::string_view path) {
  const bj::value* v = present(o, key);
  std::string field = member(path, key);
  if (v == nullptr) return missing(std::move(field));
  double d = 0;
  switch (v->kind()) {
    case bj::kind::double_:
      d = v->get_double();
      break;
    case bj::kind::int64:
      d = static_cast<double>(v->get_int64());
      break;
    case bj::kind::uint64:
      d = static_cast<double>(v->get_uint64());
      break;
    default:
      return wrong_type(std::move(field), "a number");
  }
  if (!std::isfinite(d)) return wrong_type(std::move(field), "a finite number");
  return d;
}

std::string string_or_empty(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  const bj::string& s = it->value().get_string();
  return std::string(s.data(), s.size());
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string valid_utf8(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      out.push_back(s[i++]);
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (ok) {
      bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
      ok = !overlong && !surrogate && cp <= 0x10FFFF;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;  // resynchronize on the next byte
    }
  }
  return out;
}

}  // namespace bottega::channels::payload
