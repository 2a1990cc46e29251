// Email: the MIME parser, quoted-history stripping, the HTML sanitizer and the stored content of
// a received mail, on untrusted bytes. Invariants: no crash; every text the parser yields is valid
// UTF-8; the sanitizer's output holds only allow-listed tags, no active URL scheme and no event
// handler; the stored content is valid JSON; a reply composed from the parsed mail parses back
// with the same threading ids.
#include <boost/json/parse.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "channels/email/email.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/text.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void check_sanitized(const std::string& html) {
  static const char* kAllowed[] = {"a", "b", "strong", "i", "em", "u", "s", "p", "br", "hr", "div", "span",
                                   "ul", "ol", "li", "blockquote", "pre", "code", "h1", "h2", "h3", "h4",
                                   "h5", "h6", "table", "thead", "tbody", "tr", "td", "th", "font"};
  std::string l = lower(html);
  for (size_t i = l.find('<'); i != std::string::npos; i = l.find('<', i + 1)) {
    size_t j = i + 1;
    if (j < l.size() && l[j] == '/') ++j;
    size_t k = j;
    while (k < l.size() && std::isalnum(static_cast<unsigned char>(l[k]))) ++k;
    std::string name = l.substr(j, k - j);
    bool ok = false;
    for (const char* a : kAllowed) ok = ok || name == a;
    check(ok);
    size_t gt = l.find('>', i);
    check(gt != std::string::npos);
    // Attributes as the sanitizer writes them: name="value", values escaped (no raw quote).
    size_t q = k;
    while (q < gt) {
      if (l[q] == ' ') {
        ++q;
        continue;
      }
      size_t eq = l.find("=\"", q);
      check(eq != std::string::npos && eq < gt);
      std::string attr = l.substr(q, eq - q);
      size_t close = l.find('"', eq + 2);
      check(close != std::string::npos && close < gt);
      std::string v = l.substr(eq + 2, close - eq - 2);
      check(attr == "href" || attr == "title" || attr == "colspan" || attr == "rowspan" || attr == "rel" ||
            attr == "target");
      if (attr == "href")
        check(v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0 || v.rfind("mailto:", 0) == 0);
      q = close + 1;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega::channels::email;
  std::string raw(reinterpret_cast<const char*>(data), size);
  auto m = parse_mail(raw);
  check_sanitized(sanitize_html(raw));
  check(valid_utf8(strip_reply(to_utf8(raw, "utf-8"))));
  if (!m.ok()) {
    check(!m.error().code.empty());
    return 0;
  }
  check(valid_utf8(m->subject));
  check(valid_utf8(m->text));
  check(valid_utf8(m->html));
  for (const auto& a : m->to) check(valid_utf8(a.name));
  check_sanitized(sanitize_html(m->html));
  if (!m->from || m->from->address.empty()) return 0;
  auto in = to_inbound(*m, raw);
  check(!in.message_id.empty() && !in.text.empty());
  boost::system::error_code ec;
  auto v = boost::json::parse(in.content_json, ec);
  check(!ec && v.is_object());
  // A reply to it parses back with our threading headers.
  Settings s;
  s.address = "support@shop.example";
  Reply r;
  r.to_address = "customer@example.com";
  r.to_name = in.from_name;
  r.subject = in.subject;
  r.text = in.text;
  r.message_id = "msg_1.cnv_1@shop.example";
  r.in_reply_to = m->message_id;
  r.references = m->references;
  r.conversation_id = "cnv_1";
  auto back = parse_mail(compose_reply(s, r));
  check(back.ok());
  check(back->message_id == r.message_id);
  check(back->to.size() == 1 && back->to[0].address == "customer@example.com");
  return 0;
}
