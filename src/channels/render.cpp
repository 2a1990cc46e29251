#include "channels/render.hpp"

namespace bottega::channels::render {

size_t char_count(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool is_http_url(std::string_view url) {
  auto rest_after = [&](std::string_view scheme) -> std::string_view {
    if (url.size() <= scheme.size()) return {};
    for (size_t i = 0; i < scheme.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != scheme[i]) return {};
    }
    return url.substr(scheme.size());
  };
  std::string_view rest = rest_after("https://");
  if (rest.empty()) rest = rest_after("http://");
  if (rest.empty() || rest.front() == '/') return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

Status validate(std::string_view recipient, const OutboundMessage& msg) {
  if (recipient.empty()) return Error::invalid("to", "the recipient is required", "missing_field");
  if (msg.text.empty() && msg.attachments.empty())
    return Error::invalid("text", "text is required", "missing_field");
  for (size_t i = 0; i < msg.attachments.size(); ++i) {
    const OutboundAttachment& a = msg.attachments[i];
    std::string base = "attachments[" + std::to_string(i) + "]";
    if (a.filename.empty())
      return Error::invalid(base + ".filename", base + ".filename is required", "missing_field");
    if (a.mime_type.empty())
      return Error::invalid(base + ".mime_type", base + ".mime_type is required", "missing_field");
    if (!a.public_url.empty() && !is_http_url(a.public_url))
      return Error::invalid(base + ".public_url", base + ".public_url must be an absolute http(s) URL",
                            "invalid_url");
  }
  for (size_t i = 0; i < msg.choices.size(); ++i) {
    std::string base = "choices[" + std::to_string(i) + "]";
    if (msg.choices[i].id.empty())
      return Error::invalid(base + ".id", base + ".id is required", "missing_field");
    if (msg.choices[i].title.empty())
      return Error::invalid(base + ".title", base + ".title is required", "missing_field");
  }
  if (msg.link) {
    if (msg.link->title.empty())
      return Error::invalid("link.title", "link.title is required", "missing_field");
    if (!is_http_url(msg.link->url))
      return Error::invalid("link.url", "link.url must be an absolute http(s) URL", "invalid_url");
  }
  return {};
}

Status check_length(std::string_view text, size_t max_chars) {
  size_t n = char_count(text);
  if (n > max_chars) {
    return Error::invalid("text",
                          "text has " + std::to_string(n) + " characters; this channel accepts " +
                              std::to_string(max_chars),
                          "text_too_long");
  }
  return {};
}

std::string numbered(const std::vector<ReplyChoice>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out.push_back('\n');
    out += std::to_string(i + 1);
    out += ". ";
    out += choices[i].title;
    if (!choices[i].description.empty()) {
      out += " - ";
      out += choices[i].description;
    }
  }
  return out;
}

std::string fallback_text(const OutboundMessage& msg, bool with_choices, bool with_link) {
  std::string out = msg.text;
  if (with_choices && !msg.choices.empty()) {
    out += "\n\n";
    out += numbered(msg.choices);
  }
  if (with_link && msg.link) {
    out += "\n\n";
    out += msg.link->title;
    out += ": ";
    out += msg.link->url;
  }
  return out;
}

std::string clip(std::string_view utf8, size_t max_chars) {
  if (char_count(utf8) <= max_chars) return std::string(utf8);
  if (max_chars == 0) return {};
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    bool lead = (static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80;
    if (lead && ++n > max_chars - 1) break;
    out.push_back(utf8[i]);
  }
  return out + "\xE2\x80\xA6";  // U+2026
}

bool choices_fit(const std::vector<ReplyChoice>& choices, size_t max_title, size_t max_id) {
  for (const auto& c : choices)
    if (char_count(c.title) > max_title || c.id.size() > max_id) return false;
  return true;
}

}  // namespace bottega::channels::render
