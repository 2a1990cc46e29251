// Retrieval over a tenant's knowledge base: BM25 over the stemmed tokens of every question
// phrasing, per language. Built once (on import or first use) and then read-only, so one index is
// shared by any number of threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bot/kb.hpp"

namespace bottega::bot {

struct Match {
  size_t entry = 0;         // index into KbIndex::entries()
  double bm25 = 0;          // raw BM25 of the best phrasing
  double confidence = 0;    // 0..1: how much of the message the phrasing explains, and vice versa
  size_t phrasing = 0;      // which question matched best
};

struct SearchResult {
  std::string language;     // the language searched
  std::vector<Match> matches;  // best first, one per entry, at most `limit`
};

class KbIndex {
 public:
  explicit KbIndex(std::vector<KbEntry> entries);

  // The best entries for `text` among the entries in `language` (all languages when that one has
  // none). Thread-safe.
  SearchResult search(std::string_view text, std::string_view language, size_t limit = 3) const;

  const std::vector<KbEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  bool has_language(std::string_view lang) const { return by_lang_.count(std::string(lang)) > 0; }

 private:
  struct Doc {
    size_t entry, phrasing;
    std::unordered_map<std::string, int> tf;
    int length = 0;
  };
  struct LangIndex {
    std::vector<Doc> docs;
    std::unordered_map<std::string, int> df;
    double avg_len = 1;
    double idf(const std::string& term) const;
  };
  std::vector<Match> search_in(const LangIndex& li, std::string_view lang, std::string_view text, size_t limit) const;

  std::vector<KbEntry> entries_;
  std::unordered_map<std::string, LangIndex> by_lang_;
};

}  // namespace bottega::bot
