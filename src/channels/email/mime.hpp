// A MIME (RFC 5322 / 2045-2047) parser for untrusted mail: headers (unfolded), addresses,
// multipart bodies (nested, bounded), quoted-printable and base64 transfer encodings, RFC 2047
// encoded words, and charsets UTF-8, US-ASCII, ISO-8859-1 and Windows-1252 converted to UTF-8.
// Pure functions, no I/O, thread-safe. Malformed input never fails the parse: what cannot be read
// is skipped or kept as raw text; only the limits below reject a message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::channels::email {

struct MimeLimits {
  size_t max_bytes = 25u << 20;      // the whole message
  size_t max_depth = 8;              // nested multiparts
  size_t max_parts = 256;            // leaf parts in total
  size_t max_headers = 1000;         // header fields per part
  size_t max_header_bytes = 256u << 10;  // one part's header block
};

struct Mailbox {
  std::string address;  // "local@domain", domain lowercased; empty when unreadable
  std::string name;     // display name, decoded to UTF-8; may be empty
};

struct Attachment {
  std::string filename;      // decoded, may be empty
  std::string content_type;  // lowercase type/subtype
  std::string content_id;    // without <>
  size_t size = 0;           // decoded bytes
};

struct ParsedMail {
  std::vector<std::pair<std::string, std::string>> headers;  // top-level; names lowercase,
                                                              // values unfolded, not decoded
  std::optional<Mailbox> from;
  std::vector<Mailbox> to, cc, reply_to;
  std::string subject;                   // decoded UTF-8
  std::string message_id;                // without <>, empty when absent
  std::vector<std::string> in_reply_to;  // message ids without <>
  std::vector<std::string> references;   // oldest first, without <>
  std::string text;                      // the first text/plain body (UTF-8)
  std::string html;                      // the first text/html body (UTF-8, not sanitized)
  std::vector<Attachment> attachments;   // every other leaf part (and named text parts)

  // The first header of that lowercase name, or "".
  std::string_view header(std::string_view lower_name) const;
};

// Parses a message. Errors: payload_too_large "message_too_large" / unprocessable
// "mime_too_complex" (depth, parts, headers beyond the limits).
Result<ParsedMail> parse_mail(std::string_view raw, const MimeLimits& limits = {});

// ---- the decoders, exposed for tests and for the outbound side ----
// Quoted-printable body decoding (soft line breaks, =XX; malformed escapes kept literally).
std::string decode_quoted_printable(std::string_view in);
// Lenient base64: skips whitespace and any non-alphabet byte, stops at '='.
std::string decode_base64_lenient(std::string_view in);
// RFC 2047 encoded words (=?charset?B|Q?...?=) in an unstructured header value -> UTF-8;
// whitespace between adjacent encoded words is dropped; the rest goes through to_utf8(us-ascii).
std::string decode_encoded_words(std::string_view value);
// bytes in `charset` -> UTF-8. UTF-8/US-ASCII: invalid sequences become U+FFFD. ISO-8859-1 and
// Windows-1252 (and unknown charsets, read as Windows-1252 when the bytes are not valid UTF-8).
std::string to_utf8(std::string_view bytes, std::string_view charset);
// The addresses of an address-list header (groups, comments, quoted names, encoded words).
std::vector<Mailbox> parse_address_list(std::string_view value);
// The <ids> of Message-ID / In-Reply-To / References, without brackets, in order.
std::vector<std::string> parse_message_ids(std::string_view value);

}  // namespace bottega::channels::email
