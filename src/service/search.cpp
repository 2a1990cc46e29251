#include "service/search.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "channels/cards.hpp"
#include "commerce/catalog.hpp"
#include "store/repo/repo.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace bottega::service {

using store::Stmt;

namespace {

// SQLite: the tenant's newest matches walking the FTS5 index from the newest rowid; $2 is
// sqlite_match's expression. PostgreSQL: the GIN expression index of service migration 67 (the
// expression and the kind predicate must stay as written there); $2 is search_expression's
// tsquery, accent-folded like the index (its terms have no punctuation to fold). Both: the tenant's and the filters' rows only, newest first.
#define PG_FOLD(x) "translate(" x ", 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy')"
constexpr Stmt kSearch{
    "messages.search",
    "SELECT m.id, m.seq, m.text FROM message_search_fts "
    "JOIN messages m ON m.seq = message_search_fts.rowid "
    "JOIN conversations c ON c.id = m.conversation_id "
    "WHERE message_search_fts MATCH $2 AND m.tenant_id = $1 AND c.tenant_id = $1 "
    "AND ($3 = '' OR c.status = $3) AND ($4 = '' OR c.channel_id = $4) "
    "ORDER BY message_search_fts.rowid DESC LIMIT $5",
    "SELECT m.id, m.seq, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
    "WHERE m.tenant_id = $1 AND (m.kind = 'text' OR m.kind = 'note') "
    "AND to_tsvector('simple', regexp_replace(" PG_FOLD("m.text") ", '[!-/:-@[-`{-~]', ' ', 'g')) "
    "@@ to_tsquery('simple', " PG_FOLD("$2") ") "
    "AND c.tenant_id = $1 AND ($3 = '' OR c.status = $3) AND ($4 = '' OR c.channel_id = $4) "
    "ORDER BY m.seq DESC LIMIT $5"};
#undef PG_FOLD
constexpr Stmt kTermFrom{"messages.search_term_from",
                         "SELECT term FROM message_search_fts_vocab WHERE term >= $1 AND term < $2 LIMIT 1"};

// U+00C0..U+00FF folded to the letter the indexes fold it to (0: kept).
constexpr const char kLatin1Fold[] =
    "AAAAAA\0CEEEEIIII\0NOOOOO\0OUUUUY\0\0aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y";

bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

struct Word {
  size_t begin, end;
  bool hit;
};

std::vector<Word> words_of(std::string_view text, const std::vector<std::string>& terms) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::string w = fold_for_search(text.substr(b, i - b));
    bool hit = std::any_of(terms.begin(), terms.end(), [&](const std::string& t) { return w.compare(0, t.size(), t) == 0; });
    out.push_back({b, i, hit});
  }
  return out;
}

// The text between two byte offsets on one line: control characters become spaces.
std::string escaped_line(std::string_view s) {
  std::string flat(s);
  for (auto& c : flat)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return channels::html_escape(flat);
}

}  // namespace

std::string fold_for_search(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      auto n = static_cast<unsigned char>(s[i + 1]);
      if (n >= 0x80 && n <= 0xBF && kLatin1Fold[n - 0x80]) {
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(kLatin1Fold[n - 0x80])));
        ++i;
        continue;
      }
      if (n >= 0x80 && n <= 0x9E && n != 0x97) {  // Æ Ð Þ: lower case, as the indexes do
        out += static_cast<char>(c);
        out += static_cast<char>(n + 0x20);
        ++i;
        continue;
      }
    }
    out += c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
  }
  return out;
}

std::string search_snippet(std::string_view text, const std::vector<std::string>& terms) {
  constexpr size_t kBefore = 60, kWidth = 200;
  auto words = words_of(text, terms);
  size_t first_hit = 0;
  auto h = std::find_if(words.begin(), words.end(), [](const Word& w) { return w.hit; });
  if (h != words.end()) first_hit = h->begin;
  // Start at a word at most kBefore bytes before the first hit; end at the last word that ends
  // within kWidth bytes of the start (always after the hit word itself).
  size_t start = 0;
  if (first_hit > kBefore) {
    start = first_hit;
    for (const auto& w : words)
      if (w.begin >= first_hit - kBefore) {
        start = w.begin;
        break;
      }
  }
  size_t end = text.size();
  if (end - start > kWidth) {
    end = h != words.end() ? h->end : start;
    for (const auto& w : words)
      if (w.begin >= start && w.end <= start + kWidth) end = std::max(end, w.end);
    if (end == start) end = std::min(text.size(), start + kWidth);  // one long word: cut it
    while (end < text.size() && end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string out = start > 0 ? "\xE2\x80\xA6" : "";
  size_t at = start;
  for (const auto& w : words) {
    if (!w.hit || w.begin < start || w.end > end) continue;
    out += escaped_line(text.substr(at, w.begin - at));
    out += "<mark>" + escaped_line(text.substr(w.begin, w.end - w.begin)) + "</mark>";
    at = w.end;
  }
  out += escaped_line(text.substr(at, end - at));
  if (end < text.size()) out += "\xE2\x80\xA6";
  return out;
}

Status validate_message_search(const MessageSearchQuery& q) {
  if (q.q.size() > 512) return Error::invalid("q", "q is at most 512 characters");
  if (commerce::search_terms(q.q).empty())
    return Error::invalid("q", "q needs at least one word (letters or digits)");
  if (q.status && *q.status != "open" && *q.status != "pending" && *q.status != "snoozed" && *q.status != "resolved")
    return Error::invalid("status", "status is open, pending, snoozed or resolved");
  return {};
}

Status catch_up_message_index(store::Tx& tx, std::string_view dialect) {
  if (dialect == "sqlite") store::index_new_messages(tx);
  return {};
}

MessageSearchPage search_messages(store::Tx& tx, std::string_view dialect, const std::string& tenant,
                                  const MessageSearchQuery& q) {
  MessageSearchPage page;
  std::string folded = fold_for_search(q.q);
  auto terms = commerce::search_terms(folded);
  if (terms.empty()) return page;
  std::optional<std::string> expr = commerce::search_expression(folded);
  if (dialect == "sqlite") expr = commerce::sqlite_match(tx, terms, &kTermFrom);
  if (!expr) return page;  // a word no message has
  std::vector<commerce::SearchCandidate> cands;
  for (const auto& r : tx.query(kSearch, {tenant, *expr, q.status.value_or(""), q.channel_id.value_or(""),
                                          kMessageSearchCandidates}))
    cands.push_back({r.str(0), r.i64(1), fold_for_search(r.str(2))});
  auto ranked = commerce::rank_candidates(std::move(cands), terms, static_cast<size_t>(kMessageSearchCandidates), true);
  size_t from = static_cast<size_t>(std::max<int64_t>(0, q.offset));
  size_t to = std::min(ranked.size(), from + static_cast<size_t>(q.limit));
  std::map<std::string, Conversation> conversations;
  for (size_t i = from; i < to; ++i) {
    auto m = repo::get_message(tx, tenant, ranked[i].id);
    if (!m) continue;
    auto c = conversations.find(m->conversation_id);
    if (c == conversations.end()) {
      auto conv = repo::get_conversation(tx, tenant, m->conversation_id);
      if (!conv) continue;
      c = conversations.emplace(m->conversation_id, std::move(*conv)).first;
    }
    std::string snippet = search_snippet(m->text, terms);
    page.items.push_back({std::move(*m), c->second, std::move(snippet)});
  }
  if (to < ranked.size()) page.next_cursor = std::to_string(to);
  return page;
}

}  // namespace bottega::service
