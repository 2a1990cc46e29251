// Full-text search over a shop's messages (issue 6, agent tools): the text and note messages of
// every conversation, found by words typed as prefixes (the catalog's query style: every word must
// start a word of the message), best match first and the newest first among equals, each with its
// conversation, its contact and a highlighted snippet. Internal notes are included: only agents
// search. SQLite answers from an FTS5 index the store fills in chunks at the end of write batches
// (core migration 8, store/sqlite/sqlite_store.hpp), PostgreSQL from a GIN expression index over the
// same text; both give the same candidates (the newest kMessageSearchCandidates matches after the
// filters), ranked here the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "core/model.hpp"

namespace bottega::service {

// At most this many of the newest matches are ranked; more words narrow a broader query.
inline constexpr int64_t kMessageSearchCandidates = 400;

struct MessageSearchQuery {
  std::string q;                          // words; each a prefix, all must match
  std::optional<std::string> status;      // the conversation's: open | pending | snoozed | resolved
  std::optional<std::string> channel_id;  // only this channel's conversations
  int64_t limit = 50;
  int64_t offset = 0;                     // position in the ranked list (the cursor)
};
struct MessageHit {
  Message message;
  Conversation conversation;
  std::string snippet;  // HTML: the text escaped, matching words in <mark>...</mark>
};
struct MessageSearchPage {
  std::vector<MessageHit> items;
  std::optional<std::string> next_cursor;  // the next page's offset
};

// 400 field `q` (no words, or over 512 bytes), `status`; nothing touched.
Status validate_message_search(const MessageSearchQuery& q);
// A search: catch_up_message_index in a write, then search_messages in a read. The write brings
// SQLite's index up to every message committed before it (the store indexes in chunks); on
// PostgreSQL it changes nothing (callers skip the write there). `dialect` is the store's
// (Store::dialect(): "sqlite" or "postgresql"), which picks the index's query.
Status catch_up_message_index(store::Tx& tx, std::string_view dialect);
MessageSearchPage search_messages(store::Tx& tx, std::string_view dialect, const std::string& tenant,
                                  const MessageSearchQuery& q);

// Lower case, Latin accents folded to their letter as both indexes fold them ("Città" -> "citta").
std::string fold_for_search(std::string_view s);
// A one-line excerpt of `text` around the first word that one of `terms` (folded) starts, at most
// about 200 bytes cut at word boundaries ("…" where cut), HTML-escaped, every such word in
// <mark></mark>. Without a match, the start of the text.
std::string search_snippet(std::string_view text, const std::vector<std::string>& terms);

}  // namespace bottega::service
