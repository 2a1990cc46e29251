// A small strict XML reader for WeChat's callback bodies: a root element holding elements that
// hold text, CDATA sections or more elements. It never expands anything it was not told about:
// a DOCTYPE, an entity declaration, a processing instruction other than the leading XML
// declaration, a comment, an attribute or an entity other than the five predefined ones and
// numeric character references is an error, so there is no external entity, no entity expansion
// ("billion laughs") and no surprise. Input size, depth and element count are capped. Pure, no
// I/O, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::channels::xml {

struct Element {
  std::string name;
  std::string text;  // the concatenated character data and CDATA of this element (not children's)
  std::vector<Element> children;

  // The first child named `name`, or nullptr.
  const Element* child(std::string_view name) const;
  // The text of the first child named `name`, or "" when there is none.
  std::string child_text(std::string_view name) const;
};

struct Limits {
  size_t max_bytes = 1 << 20;
  size_t max_depth = 8;
  size_t max_elements = 2000;
};

// Parses a whole document: optional UTF-8 BOM, optional <?xml ...?> declaration, whitespace, one
// root element, whitespace. Text must be valid UTF-8. Errors: invalid_argument "invalid_xml"
// (field "body") saying what and at which byte offset; "payload_too_large" over max_bytes.
Result<Element> parse(std::string_view text, const Limits& limits = {});

}  // namespace bottega::channels::xml
