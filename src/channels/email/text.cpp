#include "channels/email/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

#include "channels/payload.hpp"

namespace bottega::channels::email {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A character reference's code point as UTF-8 (NUL, surrogates and out-of-range values: U+FFFD).
void append_utf8(std::string& out, uint32_t cp) { payload::append_utf8(out, cp == 0 ? 0xFFFD : cp); }

// A quote header: the line (or this line joined with the next) introduces quoted history.
bool quote_header(std::string_view line) {
  std::string_view t = trim(line);
  if (t.empty()) return false;
  if (starts_with_ci(t, "-----original message-----") || starts_with_ci(t, "----- original message -----"))
    return true;
  if (starts_with_ci(t, "-------- forwarded message") || starts_with_ci(t, "---------- forwarded message"))
    return false;  // a forward's content is the message
  if ((starts_with_ci(t, "on ") && (ends_with(t, "wrote:") || ends_with(t, "writes:"))) ||
      (starts_with_ci(t, "le ") && (ends_with(t, "a écrit :") || ends_with(t, "a écrit:"))) ||
      (starts_with_ci(t, "am ") && ends_with(t, "schrieb:")) ||
      (starts_with_ci(t, "il ") && ends_with(t, "ha scritto:")) ||
      (starts_with_ci(t, "el ") && ends_with(t, "escribió:")))
    return true;
  return false;
}

bool signature_start(std::string_view line) {
  if (line == "-- " || line == "--") return true;
  std::string_view t = trim(line);
  return starts_with_ci(t, "sent from my ") || starts_with_ci(t, "get outlook for ") ||
         starts_with_ci(t, "sent from outlook") || starts_with_ci(t, "envoyé de mon ") ||
         starts_with_ci(t, "inviato da ");
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= text.size()) {
    size_t nl = text.find('\n', i);
    std::string_view l = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  return out;
}

std::string join_trimmed(const std::vector<std::string_view>& lines) {
  size_t b = 0, e = lines.size();
  while (b < e && trim(lines[b]).empty()) ++b;
  while (e > b && trim(lines[e - 1]).empty()) --e;
  std::string out;
  bool blank = false;
  for (size_t i = b; i < e; ++i) {
    std::string_view l = lines[i];
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (l.empty()) {
      if (blank) continue;  // collapse runs of blank lines
      blank = true;
    } else {
      blank = false;
    }
    if (!out.empty() || i > b) out += '\n';
    out += l;
  }
  return out;
}

// Named references the sanitizer and text conversion decode; others stay literal.
struct Named {
  std::string_view name;
  uint32_t cp;
};
constexpr std::array<Named, 24> kNamed = {{{"amp", '&'},      {"lt", '<'},        {"gt", '>'},
                                           {"quot", '"'},     {"apos", '\''},     {"nbsp", 0xA0},
                                           {"copy", 0xA9},    {"reg", 0xAE},      {"euro", 0x20AC},
                                           {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
                                           {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201C},
                                           {"rdquo", 0x201D}, {"trade", 0x2122},  {"laquo", 0xAB},
                                           {"raquo", 0xBB},   {"eacute", 0xE9},   {"egrave", 0xE8},
                                           {"agrave", 0xE0},  {"uuml", 0xFC},     {"ouml", 0xF6}}};

std::string escape(std::string_view s, bool attr) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attr ? "&quot;" : "\""; break;
      case '\'': out += attr ? "&#39;" : "'"; break;
      case '\0': break;
      default: out += c;
    }
  }
  return out;
}

struct Tag {
  std::string name;  // lowercase; empty: not a tag
  bool closing = false;
  bool self_closing = false;
  std::vector<std::pair<std::string, std::string>> attrs;  // names lowercase, values decoded
  size_t end = 0;                                          // index after '>'
};

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_';
}

// Parses the tag starting at html[i] == '<'. name empty when it is not a tag (then '<' is text).
Tag parse_tag(std::string_view html, size_t i) {
  Tag t;
  size_t j = i + 1;
  if (j < html.size() && html[j] == '/') {
    t.closing = true;
    ++j;
  }
  size_t ns = j;
  while (j < html.size() && name_char(html[j])) ++j;
  if (j == ns || !std::isalpha(static_cast<unsigned char>(html[ns]))) return t;
  t.name = lower(html.substr(ns, j - ns));
  while (j < html.size()) {
    while (j < html.size() && (std::isspace(static_cast<unsigned char>(html[j])) || html[j] == '/')) {
      if (html[j] == '/') t.self_closing = true;
      ++j;
    }
    if (j >= html.size()) break;
    if (html[j] == '>') {
      t.end = j + 1;
      return t;
    }
    t.self_closing = false;
    size_t as = j;
    while (j < html.size() && !std::isspace(static_cast<unsigned char>(html[j])) && html[j] != '>' &&
           html[j] != '=' && html[j] != '/')
      ++j;
    std::string an = lower(html.substr(as, j - as));
    if (j == as) ++j;  // a stray character
    while (j < html.size() && std::isspace(static_cast<unsigned char>(html[j]))) ++j;
    std::string av;
    if (j < html.size() && html[j] == '=') {
      ++j;
      while (j < html.size() && std::isspace(static_cast<unsigned char>(html[j]))) ++j;
      if (j < html.size() && (html[j] == '"' || html[j] == '\'')) {
        char q = html[j++];
        size_t vs = j;
        while (j < html.size() && html[j] != q) ++j;
        av = std::string(html.substr(vs, j - vs));
        if (j < html.size()) ++j;
      } else {
        size_t vs = j;
        while (j < html.size() && !std::isspace(static_cast<unsigned char>(html[j])) && html[j] != '>') ++j;
        av = std::string(html.substr(vs, j - vs));
      }
    }
    if (!an.empty() && t.attrs.size() < 64) t.attrs.emplace_back(std::move(an), decode_entities(av));
  }
  t.end = html.size();  // unterminated tag: consumes the rest
  return t;
}

bool in(std::string_view name, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

bool drop_content(std::string_view name) {
  return in(name, {"script", "style", "head", "title", "iframe", "object", "embed", "svg", "math", "template",
                   "noscript", "textarea", "select", "applet", "frameset", "xml"});
}

bool allowed(std::string_view name) {
  return in(name, {"a", "b", "strong", "i", "em", "u", "s", "p", "br", "hr", "div", "span", "ul", "ol",
                   "li", "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
                   "tbody", "tr", "td", "th", "font"});
}

bool void_element(std::string_view name) { return name == "br" || name == "hr"; }

bool block_element(std::string_view name) {
  return in(name, {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul",
                   "ol", "pre", "blockquote"});
}

// Index after the matching close tag of a drop-content element starting its content at `from`.
size_t skip_element(std::string_view html, size_t from, std::string_view name) {
  size_t i = from;
  while (i < html.size()) {
    size_t lt = html.find("</", i);
    if (lt == std::string_view::npos) return html.size();
    if (starts_with_ci(html.substr(lt + 2), name)) {
      size_t gt = html.find('>', lt);
      return gt == std::string_view::npos ? html.size() : gt + 1;
    }
    i = lt + 2;
  }
  return html.size();
}

// Skips "<!-- ... -->", "<!DOCTYPE ...>", "<?...>", "<![CDATA[...]]>" at html[i]; returns the
// index after it, or npos when html[i] starts none of them.
size_t skip_markup(std::string_view html, size_t i) {
  if (html.substr(i, 4) == "<!--") {
    size_t e = html.find("-->", i + 4);
    return e == std::string_view::npos ? html.size() : e + 3;
  }
  if (html.substr(i, 2) == "<!" || html.substr(i, 2) == "<?") {
    size_t e = html.find('>', i + 2);
    return e == std::string_view::npos ? html.size() : e + 1;
  }
  return std::string_view::npos;
}

bool safe_href(std::string_view href) {
  std::string h;
  for (char c : href)  // browsers ignore control characters and spaces inside the scheme
    if (static_cast<unsigned char>(c) > 0x20) h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.rfind("http://", 0) == 0 || h.rfind("https://", 0) == 0 || h.rfind("mailto:", 0) == 0;
}

}  // namespace

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    std::string_view ref = s.substr(i + 1, semi - i - 1);
    if (!ref.empty() && ref[0] == '#') {
      uint32_t cp = 0;
      bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
      std::string_view digits = ref.substr(hex ? 2 : 1);
      bool ok = !digits.empty();
      for (char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) ok = false;
        else cp = std::min<uint32_t>(cp * (hex ? 16 : 10) + static_cast<uint32_t>(v), 0x110000);
      }
      if (ok) {
        append_utf8(out, cp);
        i = semi;
        continue;
      }
    } else {
      bool found = false;
      for (const auto& n : kNamed)
        if (n.name == ref) {
          append_utf8(out, n.cp);
          found = true;
          break;
        }
      if (found) {
        i = semi;
        continue;
      }
    }
    out += '&';
  }
  return out;
}

std::string strip_reply(std::string_view text) {
  auto lines = lines_of(text);
  std::vector<std::string_view> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (quote_header(l)) break;
    // "On Mon, 1 Jan 2026 at 10:00, Alice <a@x>\nwrote:" folded over two lines.
    if (i + 1 < lines.size() && starts_with_ci(trim(l), "on ") && trim(lines[i + 1]) == "wrote:") break;
    // Outlook: a rule or blank line, then "From: ..." followed by Sent:/Date:/To:/Subject:.
    if (starts_with_ci(trim(l), "from:") && i + 1 < lines.size() &&
        (starts_with_ci(trim(lines[i + 1]), "sent:") || starts_with_ci(trim(lines[i + 1]), "date:") ||
         starts_with_ci(trim(lines[i + 1]), "to:")) &&
        (i == 0 || trim(lines[i - 1]).empty() || starts_with_ci(trim(lines[i - 1]), "____")))
      break;
    if (starts_with_ci(trim(l), "________________")) {  // Outlook's rule before the quoted header
      if (i + 1 < lines.size() && starts_with_ci(trim(lines[i + 1]), "from:")) break;
    }
    if (signature_start(l)) break;
    if (!l.empty() && l.front() == '>') continue;
    kept.push_back(l);
  }
  std::string out = join_trimmed(kept);
  if (out.empty()) return join_trimmed(lines);
  return out;
}

std::string html_to_text(std::string_view html) {
  std::string raw;
  for (size_t i = 0; i < html.size();) {
    if (html[i] != '<') {
      size_t lt = html.find('<', i);
      if (lt == std::string_view::npos) lt = html.size();
      std::string_view chunk = html.substr(i, lt - i);
      for (char c : chunk) raw += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
      i = lt;
      continue;
    }
    if (size_t e = skip_markup(html, i); e != std::string_view::npos) {
      i = e;
      continue;
    }
    Tag t = parse_tag(html, i);
    if (t.name.empty()) {
      raw += '<';
      ++i;
      continue;
    }
    i = t.end;
    if (!t.closing && (drop_content(t.name) || t.name == "blockquote")) {
      if (!t.self_closing) i = skip_element(html, i, t.name);
      if (t.name == "blockquote") raw += '\n';
      continue;
    }
    if (block_element(t.name)) raw += '\n';
  }
  std::string text = decode_entities(raw);
  // Collapse runs of spaces, trim each line.
  std::string out;
  for (auto l : lines_of(text)) {
    std::string line;
    bool space = false;
    for (char c : l) {
      if (c == ' ') {
        space = !line.empty();
        continue;
      }
      if (space) line += ' ';
      space = false;
      line += c;
    }
    out += line;
    out += '\n';
  }
  auto ls = lines_of(out);
  return join_trimmed(ls);
}

std::string sanitize_html(std::string_view html) {
  std::string out;
  std::vector<std::string> open;  // kept elements, innermost last
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      size_t lt = html.find('<', i);
      if (lt == std::string_view::npos) lt = html.size();
      out += escape(decode_entities(html.substr(i, lt - i)), false);
      i = lt;
      continue;
    }
    if (size_t e = skip_markup(html, i); e != std::string_view::npos) {
      i = e;
      continue;
    }
    Tag t = parse_tag(html, i);
    if (t.name.empty()) {
      out += "&lt;";
      ++i;
      continue;
    }
    i = t.end;
    if (!t.closing && drop_content(t.name)) {
      if (!t.self_closing) i = skip_element(html, i, t.name);
      continue;
    }
    if (!allowed(t.name)) continue;
    if (t.closing) {
      auto it = std::find(open.rbegin(), open.rend(), t.name);
      if (it == open.rend()) continue;  // unmatched: ignored
      while (!open.empty()) {           // closes what was left open inside it
        std::string n = open.back();
        open.pop_back();
        out += "</" + n + ">";
        if (n == t.name) break;
      }
      continue;
    }
    out += "<" + t.name;
    bool is_link = t.name == "a";
    for (const auto& [an, av] : t.attrs) {
      if (an == "title" || ((t.name == "td" || t.name == "th") && (an == "colspan" || an == "rowspan"))) {
        if ((an == "colspan" || an == "rowspan") &&
            (av.empty() || av.size() > 3 || av.find_first_not_of("0123456789") != std::string::npos))
          continue;
        out += " " + an + "=\"" + escape(av, true) + "\"";
      } else if (is_link && an == "href" && safe_href(av)) {
        std::string href;  // without the spaces and control characters browsers would skip
        for (char c : av)
          if (static_cast<unsigned char>(c) > 0x20 && c != 0x7f) href += c;
        out += " href=\"" + escape(href, true) + "\"";
      }
    }
    if (is_link) out += " rel=\"noopener noreferrer nofollow\" target=\"_blank\"";
    out += ">";
    if (!void_element(t.name)) {
      if (open.size() >= 100) {  // too deep: stop nesting, drop the tag
        out.erase(out.rfind('<'));
        continue;
      }
      open.push_back(t.name);
    }
  }
  while (!open.empty()) {
    out += "</" + open.back() + ">";
    open.pop_back();
  }
  return out;
}

}  // namespace bottega::channels::email
