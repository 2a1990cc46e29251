// Outbound files (OutboundMessage::attachments) for the channel adapters: which files a channel
// takes natively and which go as a link ("filename: public_url", never dropped), how a message
// with files is cut into the provider messages a channel needs (most providers take one file per
// message and some no caption), and multipart/form-data bodies for providers that take the bytes.
// Pure functions, no I/O. Per-channel rules and their sources: docs/channels.md "Outbound files".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels::attachments {

// "invoice.pdf: https://shop.example/media/m1/invoice.pdf?exp=..&sig=.."
std::string link_line(const OutboundAttachment& file);

// text, then (when there are files) a blank line if text is not empty, and one link_line per file.
std::string with_links(std::string_view text, const std::vector<const OutboundAttachment*>& files);

// A file a channel sends as itself: the provider's type for it ("image", "document", "photo"...).
struct Native {
  const OutboundAttachment* file = nullptr;
  std::string type;
};

// The files a channel sends natively, in order, and those it sends as links.
struct Split {
  std::vector<Native> native;
  std::vector<const OutboundAttachment*> linked;
};

// classify(file) is the provider's type for a file the channel takes, or "" when it cannot (type
// not supported, too large): that file goes as a link.
template <class Classify>
Split split(const std::vector<OutboundAttachment>& files, Classify&& classify) {
  Split s;
  for (const auto& f : files) {
    std::string type = classify(f);
    if (type.empty()) s.linked.push_back(&f);
    else s.native.push_back({&f, std::move(type)});
  }
  return s;
}

// How a message with files goes out on a channel that takes one file per provider message:
//   lead     a message without files sent first (text, choices, link... plus the link lines of the
//            files that go as links), or nullopt;
//   media    then one provider message per native file, in order;
//   caption  media[0]'s caption: the text (and link lines) when they fit there, lead is then
//            nullopt. The text goes in a caption only when the message has nothing else (no
//            choices, link, card or products), the first file's type takes one and it has at
//            most caption_max characters (0: this channel has no captions).
// With no native file the whole message is lead (text plus every file's link line).
struct Plan {
  std::optional<OutboundMessage> lead;
  std::vector<Native> media;
  std::string caption;
};
Plan plan(const OutboundMessage& msg, Split split, size_t caption_max,
          bool (*takes_caption)(std::string_view type));

// The requests of a plan on a channel that takes one file per message: build_one(*plan.lead)
// (a Result<HttpRequest>) when there is a lead, then build_file(native, caption, first) for each
// file, where caption is plan.caption for the first file ("" for the others) and `first` tells
// whether it is the first request (it carries the reply context).
template <class BuildOne, class BuildFile>
Result<std::vector<HttpRequest>> requests(const Plan& plan, BuildOne&& build_one, BuildFile&& build_file) {
  std::vector<HttpRequest> out;
  if (plan.lead) {
    auto lead = build_one(*plan.lead);
    if (!lead.ok()) return std::move(lead).error();
    out.push_back(std::move(lead).value());
  }
  for (size_t i = 0; i < plan.media.size(); ++i)
    out.push_back(build_file(plan.media[i], i == 0 ? plan.caption : std::string(), out.empty()));
  return out;
}

// The first of an adapter's requests (its build_send), or the error.
Result<HttpRequest> first(Result<std::vector<HttpRequest>> all);

// Bytes a provider limit is expressed in.
inline constexpr int64_t kMB = 1024 * 1024;

// Checks every file the way every adapter needs: a filename and a MIME type; a public_url, when
// there is one, an absolute http(s) URL; `need_url` / `need_bytes`: what this channel sends.
// Errors name the field ("attachments[1].public_url").
Status check(const std::vector<OutboundAttachment>& files, bool need_url, bool need_bytes);

// For channels that send the bytes: every file that goes as a link has a public_url. Errors:
// invalid_argument "attachments" naming the file and the channel.
Status check_links(const Split& split, std::string_view channel);

// The MIME type without parameters, lower-case: "image/jpeg" for "Image/JPEG; q=1".
std::string base_type(std::string_view mime_type);

// One field of a multipart/form-data body: a file when filename is not empty.
struct FormPart {
  std::string name;
  std::string value;             // the field's value, or the file's bytes
  std::string filename{};        // non-empty: a file part
  std::string content_type{};    // a file part's type
};

// A multipart/form-data body (RFC 7578): the Content-Type header value to send with it
// ("multipart/form-data; boundary=...") and the body. The boundary is derived from the content
// and never occurs in it; names and filenames are quoted with '"' and '\\' escaped and CR/LF
// replaced by spaces.
struct Multipart {
  std::string content_type;
  std::string body;
};
Multipart multipart(const std::vector<FormPart>& parts);

}  // namespace bottega::channels::attachments
