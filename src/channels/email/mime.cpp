#include "channels/email/mime.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "channels/payload.hpp"

namespace bottega::channels::email {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Windows-1252 0x80-0x9F; 0 marks the five undefined positions (mapped as Latin-1 controls).
constexpr uint16_t kCp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_seq(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_seq(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_seq(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string from_single_byte(std::string_view s, bool cp1252) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (cp1252 && c >= 0x80 && c <= 0x9F && kCp1252[c - 0x80] != 0) {
      payload::append_utf8(out, kCp1252[c - 0x80]);
    } else {
      payload::append_utf8(out, c);
    }
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// ---- header block ----

using Headers = std::vector<std::pair<std::string, std::string>>;

// Splits `raw` into its header block and body at the first empty line. Lines end in CRLF or LF.
std::pair<std::string_view, std::string_view> split_head(std::string_view raw) {
  for (size_t i = 0; i < raw.size();) {
    size_t nl = raw.find('\n', i);
    if (nl == std::string_view::npos) return {raw, {}};
    std::string_view line = raw.substr(i, nl - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return {raw.substr(0, i), raw.substr(nl + 1)};
    i = nl + 1;
  }
  return {raw, {}};
}

Result<Headers> parse_headers(std::string_view block, const MimeLimits& lim) {
  if (block.size() > lim.max_header_bytes)
    return Error{Errc::unprocessable, "mime_too_complex", "a header block is too large", {}};
  Headers out;
  size_t i = 0;
  while (i < block.size()) {
    size_t nl = block.find('\n', i);
    std::string_view line = block.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    i = nl == std::string_view::npos ? block.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t')) {  // folded continuation
      if (!out.empty()) {
        out.back().second += ' ';
        out.back().second += trim(line);
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a header: skipped
    std::string_view name = trim(line.substr(0, colon));
    if (name.empty() || name.find(' ') != std::string_view::npos) continue;
    if (out.size() >= lim.max_headers)
      return Error{Errc::unprocessable, "mime_too_complex", "too many header fields", {}};
    out.emplace_back(lower(name), std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

std::string_view find_header(const Headers& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return {};
}

// "type/subtype; a=b; c=\"d\"" -> lowercase type and parameters (names lowercase, values
// unquoted; RFC 2231 name*=charset''value and name*0 continuations joined).
struct ContentType {
  std::string type = "text/plain";
  std::vector<std::pair<std::string, std::string>> params;
  std::string param(std::string_view n) const {
    for (const auto& [k, v] : params)
      if (k == n) return v;
    return {};
  }
};

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

ContentType parse_params(std::string_view value, std::string default_type) {
  ContentType ct;
  ct.type = std::move(default_type);
  size_t semi = value.find(';');
  std::string t = lower(trim(value.substr(0, semi)));
  // A media type is ASCII tokens (RFC 2045 5.1); anything else is invalid and keeps the default
  // (raw 8-bit bytes here would otherwise reach the stored JSON as invalid UTF-8).
  bool token = !t.empty();
  for (char c : t)
    token = token && static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f &&
            std::string_view("()<>@,;:\\\"[]?=").find(c) == std::string_view::npos;
  if (token && t.find('/') != std::string::npos) ct.type = t;
  else if (token && ct.type.empty()) ct.type = t;
  std::vector<std::pair<std::string, std::string>> raw;
  size_t i = semi == std::string_view::npos ? value.size() : semi + 1;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ';')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = lower(trim(value.substr(i, eq - i)));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      ++i;
      while (i < value.size() && value[i] != '"') {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i++];
      }
      if (i < value.size()) ++i;  // closing quote
      size_t next = value.find(';', i);
      i = next == std::string_view::npos ? value.size() : next + 1;
    } else {
      size_t next = value.find(';', i);
      v = std::string(trim(value.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i)));
      i = next == std::string_view::npos ? value.size() : next + 1;
    }
    if (!name.empty()) raw.emplace_back(std::move(name), std::move(v));
  }
  // RFC 2231: name*0*, name*1 ... joined; name* = charset'lang'percent-encoded.
  for (const auto& [name, v] : raw) {
    std::string base = name;
    bool extended = false;
    size_t star = name.find('*');
    if (star != std::string::npos) {
      base = name.substr(0, star);
      extended = name.back() == '*';
    }
    std::string decoded = v;
    if (extended) {
      size_t q1 = v.find('\'');
      size_t q2 = q1 == std::string::npos ? std::string::npos : v.find('\'', q1 + 1);
      std::string charset = q2 == std::string::npos ? "" : v.substr(0, q1);
      decoded = percent_decode(q2 == std::string::npos ? v : v.substr(q2 + 1));
      decoded = to_utf8(decoded, charset.empty() ? "utf-8" : charset);
    }
    bool merged = false;
    if (star != std::string::npos) {
      for (auto& [k, existing] : ct.params)
        if (k == base) {
          // Continuations arrive in order in practice; the first segment's charset applies.
          if (name.find("*0") == std::string::npos) existing += decoded;
          merged = true;
        }
    }
    if (!merged) ct.params.emplace_back(base, decoded);
  }
  return ct;
}

std::string decode_body(std::string_view body, std::string_view cte) {
  std::string enc = lower(trim(cte));
  if (enc == "base64") return decode_base64_lenient(body);
  if (enc == "quoted-printable") return decode_quoted_printable(body);
  return std::string(body);
}

// Normalizes CRLF to LF in text bodies.
std::string lf(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
  return s;
}

struct Walker {
  const MimeLimits& lim;
  ParsedMail& out;
  size_t leaves = 0;

  Status part(std::string_view raw, const Headers& h, size_t depth, std::string_view default_type) {
    ContentType ct = parse_params(find_header(h, "content-type"), std::string(default_type));
    if (ct.type.rfind("multipart/", 0) == 0) {
      std::string boundary = ct.param("boundary");
      if (!boundary.empty() && boundary.size() <= 200) {
        if (depth + 1 > lim.max_depth)
          return Error{Errc::unprocessable, "mime_too_complex", "multipart nesting is too deep", {}};
        std::string_view child_default = ct.type == "multipart/digest" ? "message/rfc822" : "text/plain";
        return multipart(raw, boundary, depth + 1, child_default);
      }
      ct.type = "text/plain";  // a multipart without boundary: read as text
    }
    if (++leaves > lim.max_parts)
      return Error{Errc::unprocessable, "mime_too_complex", "too many MIME parts", {}};
    std::string disposition = lower(find_header(h, "content-disposition"));
    ContentType disp = parse_params(find_header(h, "content-disposition"), "");
    std::string filename = disp.param("filename");
    if (filename.empty()) filename = ct.param("name");
    filename = decode_encoded_words(filename);
    bool attachment = disposition.rfind("attachment", 0) == 0 || !filename.empty();
    std::string decoded = decode_body(raw, find_header(h, "content-transfer-encoding"));
    if (!attachment && ct.type == "text/plain" && out.text.empty()) {
      out.text = lf(to_utf8(decoded, ct.param("charset")));
      return {};
    }
    if (!attachment && ct.type == "text/html" && out.html.empty()) {
      out.html = lf(to_utf8(decoded, ct.param("charset")));
      return {};
    }
    Attachment a;
    a.filename = to_utf8(filename, "");  // a raw 8-bit name is read as Windows-1252
    a.content_type = ct.type;
    auto ids = parse_message_ids(find_header(h, "content-id"));
    if (!ids.empty()) a.content_id = ids.front();
    a.size = decoded.size();
    out.attachments.push_back(std::move(a));
    return {};
  }

  Status multipart(std::string_view body, const std::string& boundary, size_t depth,
                   std::string_view child_default) {
    std::string delim = "--" + boundary;
    // Find each delimiter line: at the start of the body or after a newline.
    std::vector<std::pair<size_t, size_t>> parts;  // [start, end) of each part
    size_t pos = 0;
    std::optional<size_t> start;
    bool closed = false;
    while (pos <= body.size()) {
      size_t found = body.find(delim, pos);
      if (found == std::string_view::npos) break;
      bool at_line_start = found == 0 || body[found - 1] == '\n';
      size_t after = found + delim.size();
      if (!at_line_start) {
        pos = after;
        continue;
      }
      bool closing = body.substr(after, 2) == "--";
      size_t eol = body.find('\n', after);
      size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
      if (start) {
        size_t end = found;
        // The CRLF before the delimiter belongs to the delimiter.
        if (end > *start && body[end - 1] == '\n') --end;
        if (end > *start && body[end - 1] == '\r') --end;
        parts.emplace_back(*start, end);
      }
      if (closing) {
        closed = true;
        break;
      }
      start = next;
      pos = next;
    }
    if (start && !closed) parts.emplace_back(*start, body.size());  // unterminated: to the end
    for (auto [s, e] : parts) {
      std::string_view raw = body.substr(s, e - s);
      auto [head, content] = split_head(raw);
      // A part that starts with an empty line has no headers.
      if (!raw.empty() && (raw.front() == '\n' || raw.substr(0, 2) == "\r\n")) {
        head = {};
        content = raw.substr(raw.front() == '\n' ? 1 : 2);
      }
      auto h = parse_headers(head, lim);
      if (!h) return std::move(h).error();
      if (lower(trim(find_header(*h, "content-type"))).rfind("message/rfc822", 0) == 0 ||
          (find_header(*h, "content-type").empty() && child_default == "message/rfc822")) {
        // A forwarded message: kept as an attachment, not walked into.
        if (++leaves > lim.max_parts)
          return Error{Errc::unprocessable, "mime_too_complex", "too many MIME parts", {}};
        Attachment a;
        a.content_type = "message/rfc822";
        a.size = content.size();
        out.attachments.push_back(std::move(a));
        continue;
      }
      BOTTEGA_TRY_STATUS(part(content, *h, depth, child_default));
    }
    return {};
  }
};

}  // namespace

std::string_view ParsedMail::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    // Soft line break: "=" then optional whitespace then CRLF/LF.
    size_t j = i + 1;
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (j < in.size() && (in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n'))) {
      i = in[j] == '\r' ? j + 1 : j;
      continue;
    }
    if (j == in.size()) {  // "=" at the very end
      i = j;
      continue;
    }
    if (i + 2 < in.size() && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
      out += static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
      i += 2;
      continue;
    }
    out += '=';  // malformed: kept literally
  }
  return out;
}

std::string decode_base64_lenient(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+' || ch == '-') v = 62;
    else if (ch == '/' || ch == '_') v = 63;
    else if (ch == '=') break;
    else continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  std::string cs = lower(trim(charset));
  if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
  if (cs == "iso-8859-1" || cs == "latin1" || cs == "iso8859-1" || cs == "l1" || cs == "iso_8859-1")
    return from_single_byte(bytes, false);
  if (cs == "windows-1252" || cs == "cp1252" || cs == "x-cp1252") return from_single_byte(bytes, true);
  if (cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") {
    if (valid_utf8(bytes)) return std::string(bytes);
    // Undeclared 8-bit text in practice is mostly Windows-1252.
    if (cs.empty() || cs == "us-ascii" || cs == "ascii") return from_single_byte(bytes, true);
    return repair_utf8(bytes);
  }
  // Unknown charset: valid UTF-8 passes, anything else is read as Windows-1252.
  if (valid_utf8(bytes)) return std::string(bytes);
  return from_single_byte(bytes, true);
}

std::string decode_encoded_words(std::string_view v) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  std::string pending_ws;
  while (i < v.size()) {
    if (v.substr(i, 2) == "=?") {
      // An encoded word is at most ~75 bytes; looking no further than 1000 keeps this linear.
      std::string_view win = v.substr(0, std::min(v.size(), i + 1000));
      size_t q1 = win.find('?', i + 2);
      size_t q2 = q1 == std::string_view::npos ? q1 : win.find('?', q1 + 1);
      size_t end = q2 == std::string_view::npos ? q2 : win.find("?=", q2 + 1);
      if (end != std::string_view::npos && q2 == q1 + 2) {
        std::string charset = std::string(v.substr(i + 2, q1 - i - 2));
        if (size_t star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 lang
        char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(v[q1 + 1])));
        std::string_view text = v.substr(q2 + 1, end - q2 - 1);
        std::string bytes;
        if (enc == 'B') {
          bytes = decode_base64_lenient(text);
        } else if (enc == 'Q') {
          for (size_t k = 0; k < text.size(); ++k) {
            if (text[k] == '_') bytes += ' ';
            else if (text[k] == '=' && k + 2 < text.size() &&
                     hexval(text[k + 1]) >= 0 && hexval(text[k + 2]) >= 0) {
              bytes += static_cast<char>(hexval(text[k + 1]) * 16 + hexval(text[k + 2]));
              k += 2;
            } else bytes += text[k];
          }
        }
        if (enc == 'B' || enc == 'Q') {
          if (!last_was_word) out += pending_ws;  // whitespace between two words is dropped
          pending_ws.clear();
          out += to_utf8(bytes, charset);
          last_was_word = true;
          i = end + 2;
          continue;
        }
      }
    }
    if (v[i] == ' ' || v[i] == '\t') {
      pending_ws += v[i++];
      continue;
    }
    out += pending_ws;
    pending_ws.clear();
    last_was_word = false;
    size_t next = v.find_first_of(" \t=", i + 1);
    if (next == std::string_view::npos) next = v.size();
    out += to_utf8(v.substr(i, next - i), "");
    i = next;
  }
  out += pending_ws;
  return out;
}

namespace {
// A Message-ID's characters: visible, no '<', at most 998 bytes, valid UTF-8 (RFC 6532 allows UTF-8
// in ids; stray 8-bit bytes make an id invalid, they would reach stored JSON as invalid UTF-8).
bool id_chars(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 998;
  for (char c : id) ok = ok && static_cast<unsigned char>(c) > 0x20 && c != '<' && c != 0x7f;
  return ok && valid_utf8(id);
}
}  // namespace

std::vector<std::string> parse_message_ids(std::string_view value) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < value.size()) {
    size_t lt = value.find('<', i);
    if (lt == std::string_view::npos) break;
    size_t gt = value.find('>', lt + 1);
    if (gt == std::string_view::npos) break;
    std::string_view id = trim(value.substr(lt + 1, gt - lt - 1));
    if (id_chars(id)) out.emplace_back(id);
    i = gt + 1;
    if (out.size() >= 200) break;
  }
  if (out.empty()) {  // a bare id without brackets (some mailers)
    std::string_view t = trim(value);
    if (id_chars(t) && t.find('>') == std::string_view::npos && t.find('@') != std::string_view::npos)
      out.emplace_back(t);
  }
  return out;
}

std::vector<Mailbox> parse_address_list(std::string_view value) {
  // Tokenize into mailboxes separated by top-level commas; groups "name: a, b;" flattened.
  std::vector<Mailbox> out;
  std::string display, addr, plain;
  bool in_angle = false, have_angle = false;
  int comment = 0;
  auto flush = [&] {
    std::string a = have_angle ? addr : std::string(trim(plain));
    a = std::string(trim(a));
    size_t at = a.rfind('@');
    if (at != std::string::npos && at > 0 && at + 1 < a.size() && a.size() <= 320 &&
        a.find_first_of(" \t\r\n<>\",;") == std::string::npos && valid_utf8(a)) {
      Mailbox m;
      m.address = a.substr(0, at + 1) + lower(a.substr(at + 1));
      m.name = have_angle ? repair_utf8(decode_encoded_words(trim(display))) : std::string();
      out.push_back(std::move(m));
    }
    display.clear();
    addr.clear();
    plain.clear();
    in_angle = have_angle = false;
  };
  for (size_t i = 0; i < value.size() && out.size() < 500; ++i) {
    char c = value[i];
    if (comment > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (c == '"') {  // quoted display name
      std::string q;
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        q += value[i];
      }
      if (in_angle) addr += q;
      else {
        display += q;
        plain += q;
      }
      continue;
    }
    if (c == '(') {
      ++comment;
      continue;
    }
    if (in_angle) {
      if (c == '>') in_angle = false;
      else addr += c;
      continue;
    }
    if (c == '<') {
      in_angle = have_angle = true;
      addr.clear();
      continue;
    }
    if (c == ':' ) {  // group name
      display.clear();
      plain.clear();
      continue;
    }
    if (c == ',' || c == ';') {
      flush();
      continue;
    }
    display += c;
    plain += c;
  }
  flush();
  return out;
}

Result<ParsedMail> parse_mail(std::string_view raw, const MimeLimits& lim) {
  if (raw.size() > lim.max_bytes)
    return Error{Errc::payload_too_large, "message_too_large", "the message exceeds the size limit", {}};
  ParsedMail m;
  auto [head, body] = split_head(raw);
  BOTTEGA_TRY(headers, parse_headers(head, lim));
  m.headers = std::move(headers);
  if (auto f = parse_address_list(m.header("from")); !f.empty()) m.from = f.front();
  m.to = parse_address_list(m.header("to"));
  m.cc = parse_address_list(m.header("cc"));
  m.reply_to = parse_address_list(m.header("reply-to"));
  m.subject = decode_encoded_words(m.header("subject"));
  if (auto ids = parse_message_ids(m.header("message-id")); !ids.empty()) m.message_id = ids.front();
  m.in_reply_to = parse_message_ids(m.header("in-reply-to"));
  m.references = parse_message_ids(m.header("references"));
  Walker w{lim, m};
  BOTTEGA_TRY_STATUS(w.part(body, m.headers, 0, "text/plain"));
  return m;
}

}  // namespace bottega::channels::email
