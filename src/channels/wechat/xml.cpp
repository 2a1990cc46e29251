#include "channels/wechat/xml.hpp"

#include "channels/payload.hpp"

namespace bottega::channels::xml {

const Element* Element::child(std::string_view n) const {
  for (const auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::string Element::child_text(std::string_view n) const {
  const Element* c = child(n);
  return c ? c->text : std::string();
}

namespace {

constexpr size_t kMaxName = 128;

class Parser {
 public:
  Parser(std::string_view s, const Limits& l) : src_(s), limits_(l) {}

  Result<Element> document() {
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (src_.substr(pos_, 5) == "<?xml") {
      size_t end = src_.find("?>", pos_);
      if (end == std::string_view::npos) return fail("unterminated XML declaration");
      pos_ = end + 2;
    }
    skip_ws();
    if (!at('<')) return fail("expected the root element");
    Element root;
    BOTTEGA_TRY_STATUS(element(root, 1));
    skip_ws();
    if (pos_ != src_.size()) return fail("content after the root element");
    return root;
  }

 private:
  std::string_view src_;
  const Limits& limits_;
  size_t pos_ = 0;
  size_t elements_ = 0;

  Error fail(std::string what) const {
    return Error::invalid("body", "invalid XML at byte " + std::to_string(pos_) + ": " + what, "invalid_xml");
  }
  bool at(char c) const { return pos_ < src_.size() && src_[pos_] == c; }
  bool starts(std::string_view p) const { return src_.substr(pos_, p.size()) == p; }
  static bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  void skip_ws() {
    while (pos_ < src_.size() && ws(src_[pos_])) ++pos_;
  }
  static bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
  static bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
  }

  Result<std::string> name() {
    size_t start = pos_;
    if (pos_ >= src_.size() || !name_start(src_[pos_])) return fail("expected an element name");
    while (pos_ < src_.size() && name_char(src_[pos_])) ++pos_;
    if (pos_ - start > kMaxName) return fail("element name too long");
    return std::string(src_.substr(start, pos_ - start));
  }

  // At '<' of a start tag.
  Status element(Element& out, size_t depth) {
    if (depth > limits_.max_depth) return fail("nested too deeply");
    if (++elements_ > limits_.max_elements) return fail("too many elements");
    ++pos_;
    BOTTEGA_TRY(n, name());
    out.name = std::move(n);
    skip_ws();
    if (starts("/>")) {
      pos_ += 2;
      return {};
    }
    if (!at('>')) return fail(at('=') || (pos_ < src_.size() && name_start(src_[pos_])) ? "attributes are not accepted"
                                                                                       : "malformed start tag");
    ++pos_;
    for (;;) {
      if (pos_ >= src_.size()) return fail("unterminated element " + out.name);
      char c = src_[pos_];
      if (c == '<') {
        if (starts("</")) {
          pos_ += 2;
          BOTTEGA_TRY(closing, name());
          if (closing != out.name) return fail("</" + closing + "> closes <" + out.name + ">");
          skip_ws();
          if (!at('>')) return fail("malformed end tag");
          ++pos_;
          return {};
        }
        if (starts("<![CDATA[")) {
          size_t end = src_.find("]]>", pos_ + 9);
          if (end == std::string_view::npos) return fail("unterminated CDATA section");
          BOTTEGA_TRY_STATUS(check_chars(src_.substr(pos_ + 9, end - pos_ - 9)));
          out.text.append(src_.substr(pos_ + 9, end - pos_ - 9));
          pos_ = end + 3;
          continue;
        }
        if (starts("<!")) return fail("declarations, DOCTYPE and comments are not accepted");
        if (starts("<?")) return fail("processing instructions are not accepted");
        Element child;
        BOTTEGA_TRY_STATUS(element(child, depth + 1));
        out.children.push_back(std::move(child));
        continue;
      }
      if (c == '&') {
        BOTTEGA_TRY_STATUS(reference(out.text));
        continue;
      }
      size_t end = src_.find_first_of("<&", pos_);
      if (end == std::string_view::npos) end = src_.size();
      BOTTEGA_TRY_STATUS(check_chars(src_.substr(pos_, end - pos_)));
      out.text.append(src_.substr(pos_, end - pos_));
      pos_ = end;
    }
  }

  Status check_chars(std::string_view t) const {
    for (char c : t) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') return fail("control character in text");
    }
    return {};
  }


  // At '&': one of the five predefined entities or a numeric character reference.
  Status reference(std::string& out) {
    size_t semi = src_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return fail("malformed entity reference");
    std::string_view ref = src_.substr(pos_ + 1, semi - pos_ - 1);
    static constexpr std::pair<std::string_view, char> kNamed[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    for (auto [n, ch] : kNamed) {
      if (ref == n) {
        out += ch;
        pos_ = semi + 1;
        return {};
      }
    }
    if (ref.size() < 2 || ref[0] != '#') return fail("entity &" + std::string(ref) + "; is not accepted");
    bool hex = ref[1] == 'x';
    std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return fail("malformed character reference");
    uint32_t cp = 0;
    for (char d : digits) {
      uint32_t v;
      if (d >= '0' && d <= '9') v = static_cast<uint32_t>(d - '0');
      else if (hex && d >= 'a' && d <= 'f') v = static_cast<uint32_t>(d - 'a' + 10);
      else if (hex && d >= 'A' && d <= 'F') v = static_cast<uint32_t>(d - 'A' + 10);
      else return fail("malformed character reference");
      cp = cp * (hex ? 16 : 10) + v;
      if (cp > 0x10FFFF) return fail("character reference out of range");
    }
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!allowed) return fail("character reference to a character XML does not allow");
    payload::append_utf8(out, cp);
    pos_ = semi + 1;
    return {};
  }
};

}  // namespace

Result<Element> parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes)
    return Error{Errc::payload_too_large, "payload_too_large",
                 "the XML body is larger than " + std::to_string(limits.max_bytes) + " bytes", "body"};
  if (payload::valid_utf8(text) != text) return Error::invalid("body", "the XML body is not valid UTF-8", "invalid_xml");
  Parser p(text, limits);
  return p.document();
}

}  // namespace bottega::channels::xml
