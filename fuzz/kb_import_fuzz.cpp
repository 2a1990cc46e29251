// Untrusted knowledge-base imports (API body or CLI file): the JSON and Markdown parsers. Whatever
// they accept must be valid entries that survive an export round trip and can be indexed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bot/index.hpp"
#include "bot/kb.hpp"
#include "bot/text.hpp"

namespace {

void check(const bottega::bot::KbImport& in) {
  for (const auto& e : in.entries) {
    if (e.questions.empty() || e.answer.empty() || !bottega::bot::supported_language(e.language)) std::abort();
  }
  auto back = bottega::bot::parse_kb_json(bottega::bot::to_json_document(in.entries));
  if (!back || back->entries.size() != in.entries.size()) std::abort();
  bottega::bot::KbIndex idx(in.entries);
  if (!in.entries.empty()) (void)idx.search(in.entries.front().questions.front(), in.entries.front().language);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (256 << 10)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto j = bottega::bot::parse_kb_json(text)) check(*j);
  if (auto m = bottega::bot::parse_kb_markdown(text)) check(*m);
  (void)bottega::bot::analyze("nl", text.substr(0, 4096));
  return 0;
}
