// Shared steps of rendering an OutboundMessage for a channel: validation, character counting and
// the text fallback for what a channel cannot show (numbered choices, then "title: url").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"

namespace bottega::channels::render {

// Unicode code points in UTF-8 text (bytes that are not continuation bytes). Providers count
// "characters"; this is the closest count that does not depend on the provider's encoding.
size_t char_count(std::string_view utf8);

// An absolute http(s) URL with a host and no spaces or control characters.
bool is_http_url(std::string_view url);

// Checks what every channel needs: non-empty text (may be empty when there are attachments: it
// is then their caption), attachments with a filename, a MIME type and, when set, an absolute
// http(s) public_url ("attachments[0].filename"), choices with a non-empty id and title, a link
// with a title and an absolute http(s) URL, and the recipient. Errors name the field
// ("text", "choices[1].title", "link.url", "to").
Status validate(std::string_view recipient, const OutboundMessage& msg);

// Fails with "text_too_long" (field "text") when text has more than max_chars characters.
Status check_length(std::string_view text, size_t max_chars);

// "1. Red\n2. Blue" (with " - description" when present).
std::string numbered(const std::vector<ReplyChoice>& choices);

// text, then "\n\n" + numbered(choices) when with_choices and there are choices, then
// "\n\n" + link.title + ": " + link.url when with_link and there is a link.
std::string fallback_text(const OutboundMessage& msg, bool with_choices, bool with_link);

// utf8 cut to at most max_chars characters (code points), ending in "…" when it was cut.
std::string clip(std::string_view utf8, size_t max_chars);

// True when every choice's title has at most max_title characters and its id at most max_id bytes.
bool choices_fit(const std::vector<ReplyChoice>& choices, size_t max_title, size_t max_id);

}  // namespace bottega::channels::render
