// The inbox ordered by the service area's priority score (src/service/priority.hpp): the stored
// base (conversation_service; the explicit priority until it is computed) plus the waiting points
// at `now_ms`, then the most recent activity. Kept apart from repo.hpp so that header stays small.
#pragma once

#include <cstdint>
#include <string>

#include "store/repo/repo.hpp"

namespace bottega::repo {

// Same filters as list_conversations. Cursor "s<now>.<score>.<last_message_at>.<seq>": a cursor
// keeps the time its walk started at, so the pages of one walk agree.
ConversationPage list_conversations_by_score(Tx& tx, const std::string& tenant, const ConversationFilter& f,
                                             int64_t now_ms);

}  // namespace bottega::repo
