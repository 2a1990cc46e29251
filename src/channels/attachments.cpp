#include "channels/attachments.hpp"

#include "channels/render.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::attachments {

std::string link_line(const OutboundAttachment& file) { return file.filename + ": " + file.public_url; }

std::string with_links(std::string_view text, const std::vector<const OutboundAttachment*>& files) {
  std::string out(text);
  if (files.empty()) return out;
  if (!out.empty()) out += "\n\n";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0) out += "\n";
    out += link_line(*files[i]);
  }
  return out;
}

Plan plan(const OutboundMessage& msg, Split split, size_t caption_max,
          bool (*takes_caption)(std::string_view type)) {
  Plan p;
  std::string body = with_links(msg.text, split.linked);
  auto lead = [&] {
    OutboundMessage m = msg;
    m.attachments.clear();
    m.text = body;
    return m;
  };
  if (split.native.empty()) {
    p.lead = lead();
    return p;
  }
  p.media = std::move(split.native);
  bool rich = !msg.choices.empty() || msg.link || msg.card || msg.products;
  if (body.empty() && !rich) return p;
  if (!rich && caption_max > 0 && takes_caption && takes_caption(p.media.front().type) &&
      render::char_count(body) <= caption_max) {
    p.caption = std::move(body);
    return p;
  }
  p.lead = lead();
  return p;
}

Result<HttpRequest> first(Result<std::vector<HttpRequest>> all) {
  if (!all.ok()) return std::move(all).error();
  return std::move(all.value().front());
}

Status check(const std::vector<OutboundAttachment>& files, bool need_url, bool need_bytes) {
  for (size_t i = 0; i < files.size(); ++i) {
    std::string base = "attachments[" + std::to_string(i) + "]";
    if (need_url && files[i].public_url.empty())
      return Error::invalid(base + ".public_url", "this channel fetches files by link: " + base +
                                                      ".public_url is required",
                            "missing_field");
    if (need_bytes && !files[i].bytes)
      return Error::invalid(base + ".bytes", "this channel takes the file in the request: " + base +
                                                 " has no bytes",
                            "missing_field");
  }
  return {};
}

Status check_links(const Split& split, std::string_view channel) {
  for (const auto* f : split.linked)
    if (f->public_url.empty())
      return Error::invalid("attachments",
                            f->filename + " cannot be sent on " + std::string(channel) +
                                " (type or size) and has no public_url to link to",
                            "missing_field");
  return {};
}

std::string base_type(std::string_view mime_type) {
  std::string out;
  for (char c : mime_type) {
    if (c == ';') break;
    if (c == ' ' || c == '\t') continue;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

}  // namespace

Multipart multipart(const std::vector<FormPart>& parts) {
  // A boundary from the content (the same parts give the same body), lengthened until no part
  // contains it.
  std::string seed;
  for (const auto& p : parts) seed += crypto::sha256(p.name + '\0' + p.filename + '\0' + p.value);
  std::string boundary = "bottega-" + crypto::hex(crypto::sha256(seed)).substr(0, 32);
  for (;;) {
    bool clash = false;
    for (const auto& p : parts)
      if (p.value.find(boundary) != std::string::npos) clash = true;
    if (!clash) break;
    boundary += crypto::hex(crypto::sha256(boundary)).substr(0, 8);
  }
  Multipart m;
  m.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& p : parts) {
    m.body += "--" + boundary + "\r\n";
    m.body += "Content-Disposition: form-data; name=" + quoted(p.name);
    if (!p.filename.empty()) m.body += "; filename=" + quoted(p.filename);
    m.body += "\r\n";
    if (!p.filename.empty())
      m.body += "Content-Type: " + (p.content_type.empty() ? std::string("application/octet-stream") : p.content_type) + "\r\n";
    m.body += "\r\n";
    m.body += p.value;
    m.body += "\r\n";
  }
  m.body += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace bottega::channels::attachments
