// Knowledge-base entries and their exchange formats (JSON and Markdown). Parsing is strict and
// bounded: untrusted bytes either become valid entries or a 400-style error naming the field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"

namespace bottega::bot {

struct KbEntry {
  std::string id;                       // the shop's own id: [A-Za-z0-9._-]{1,100}
  std::string language;                 // en | it | de | nl
  std::vector<std::string> questions;   // 1..50 phrasings of the question
  std::string answer;                   // 1..4000 bytes
  std::vector<std::string> tags;        // 0..20 tags of 1..64 bytes
  std::vector<std::string> product_ids; // 0..50 linked products
};

struct KbImport {
  std::vector<KbEntry> entries;
  bool replace = false;  // true: entries not in the import are deleted
};

inline constexpr size_t kMaxEntries = 5000;

// {"entries":[{"id","language","questions":[...],"answer","tags":[...]?,"product_ids":[...]?}],
//  "replace":bool?}. Unknown fields, duplicate ids and out-of-range values are errors whose field
// names the culprit ("entries[3].questions[0]").
Result<KbImport> parse_kb_json(std::string_view text);
Result<KbImport> parse_kb_object(const boost::json::object& o);

// The Markdown form (export and import), one section per entry:
//   ## <id>
//   - language: nl
//   - tags: shipping, belgium
//   - products: prd_1, prd_2
//   - question: Verzenden jullie naar België?
//   - question: ...
//
//   The answer: every other line up to the next "## ".
Result<KbImport> parse_kb_markdown(std::string_view text);
std::string to_markdown(const std::vector<KbEntry>& entries);

boost::json::object to_json(const KbEntry& e);
// {"entries":[...]} in the import format.
std::string to_json_document(const std::vector<KbEntry>& entries);

}  // namespace bottega::bot
