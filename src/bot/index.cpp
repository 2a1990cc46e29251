#include "bot/index.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "bot/text.hpp"

namespace bottega::bot {

namespace {
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
}  // namespace

KbIndex::KbIndex(std::vector<KbEntry> entries) : entries_(std::move(entries)) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    auto& li = by_lang_[e.language];
    for (size_t p = 0; p < e.questions.size(); ++p) {
      Doc d{i, p, {}, 0};
      for (auto& t : analyze(e.language, e.questions[p])) {
        d.tf[t]++;
        d.length++;
      }
      if (d.length == 0) continue;
      for (const auto& [t, n] : d.tf) li.df[t]++;
      li.docs.push_back(std::move(d));
    }
  }
  for (auto& [lang, li] : by_lang_) {
    double total = 0;
    for (const auto& d : li.docs) total += d.length;
    li.avg_len = li.docs.empty() ? 1 : std::max(1.0, total / static_cast<double>(li.docs.size()));
  }
}

double KbIndex::LangIndex::idf(const std::string& term) const {
  double n = static_cast<double>(docs.size());
  auto it = df.find(term);
  double k = it == df.end() ? 0 : it->second;
  return std::log(1.0 + (n - k + 0.5) / (k + 0.5));
}

std::vector<Match> KbIndex::search_in(const LangIndex& li, std::string_view lang, std::string_view text,
                                      size_t limit) const {
  std::vector<std::string> q = analyze(lang, text);
  std::set<std::string> qset(q.begin(), q.end());
  double q_mass = 0;
  for (const auto& t : qset) q_mass += li.idf(t);
  std::unordered_map<size_t, Match> best;  // entry -> best phrasing
  for (const auto& d : li.docs) {
    double bm25 = 0, matched = 0;
    for (const auto& t : qset) {
      auto it = d.tf.find(t);
      if (it == d.tf.end()) continue;
      double idf = li.idf(t);
      double tf = it->second;
      bm25 += idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * d.length / li.avg_len));
      matched += idf;
    }
    if (bm25 <= 0) continue;
    double d_mass = 0;
    for (const auto& [t, n] : d.tf) d_mass += li.idf(t);
    // Coverage both ways: a message that says much more than the question (or a question that asks
    // much more than the message) is a weaker match than its BM25 alone suggests.
    double q_cov = q_mass > 0 ? matched / q_mass : 0;
    double d_cov = d_mass > 0 ? matched / d_mass : 0;
    double conf = std::pow(q_cov, 0.6) * std::pow(d_cov, 0.4);
    Match m{d.entry, bm25, conf, d.phrasing};
    auto [it, fresh] = best.try_emplace(d.entry, m);
    if (!fresh && (m.confidence > it->second.confidence ||
                   (m.confidence == it->second.confidence && m.bm25 > it->second.bm25)))
      it->second = m;
  }
  std::vector<Match> out;
  out.reserve(best.size());
  for (auto& [e, m] : best) out.push_back(m);
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    if (a.bm25 != b.bm25) return a.bm25 > b.bm25;
    return a.entry < b.entry;
  });
  // BM25 ranks; among the top few, the better-covered phrasing wins (a long phrasing sharing one
  // rare word must not beat the phrasing that says the same thing as the customer).
  size_t head = std::min<size_t>(out.size(), 5);
  std::stable_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(head),
                   [](const Match& a, const Match& b) { return a.confidence > b.confidence; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

SearchResult KbIndex::search(std::string_view text, std::string_view language, size_t limit) const {
  SearchResult r;
  r.language = std::string(language);
  auto it = by_lang_.find(r.language);
  if (it != by_lang_.end()) {
    r.matches = search_in(it->second, language, text, limit);
    return r;
  }
  // No entries in that language: try every language the KB has, best confidence wins.
  for (const auto& [lang, li] : by_lang_) {
    auto m = search_in(li, lang, text, limit);
    if (!m.empty() && (r.matches.empty() || m.front().confidence > r.matches.front().confidence)) {
      r.matches = std::move(m);
      r.language = lang;
    }
  }
  return r;
}

}  // namespace bottega::bot
