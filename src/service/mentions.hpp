// Mentions of agents in internal notes (issue 6, agent tools). An agent writes a note with
// "@Bea Rossi" (an agent's display name, as the console's autocomplete inserts it) or "@agt_..."
// (an agent's id, for API clients and for two agents of the same name): the note stores the
// mentioned agents in content.mentions, each mentioned agent (other than the author) gets an
// unread mention and an `agent.mentioned` event on their own realtime stream only. A mention is
// an "@" at the start of the text or after a character that is not a letter, digit, "_" or "."
// (so "ann@shop.test" is none), followed by an agent's id, or by an agent's whole display name
// (case and Latin accents ignored; the longest name that fits; every agent of that name) that
// ends at the end of the text or before a character that is not a letter or digit. Anything
// else, such as "@nobody", stays plain text. Only agents of the note's shop can be mentioned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/errors.hpp"
#include "bottega/events.hpp"  // event_type::kAgentMentioned
#include "bottega/store.hpp"
#include "core/model.hpp"

namespace bottega::pipeline {
struct Env;
}

namespace bottega::service {

struct MentionedAgent {
  std::string agent_id, name;
};
// The agents `text` mentions, in order of first mention, each once.
std::vector<MentionedAgent> find_mentions(const std::string& text, const std::vector<Agent>& agents);

// Writes an internal note by `who` into the conversation (pipeline::agent_reply) with its
// mentions: content.mentions = [{"agent_id","name"}], a mention row and an `agent.mentioned`
// event per mentioned agent other than the author. `content_json` (an object or empty) is kept.
Result<Message> write_note(store::Tx& tx, pipeline::Env& env, const Principal& who, const std::string& conversation_id,
                           const std::string& text, const std::string& content_json = "");

struct Mention {
  std::string id, agent_id, message_id, conversation_id;
  std::optional<std::string> by_agent_id;
  int64_t created_at = 0;
  std::optional<int64_t> read_at;
  int64_t seq = 0;
  // Joined for the list: the note's text, the author's name, the conversation's contact name.
  std::string text, by_name, contact_name;
};
boost::json::object to_json(const Mention& m);

struct MentionPage {
  std::vector<Mention> items;
  std::optional<std::string> next_cursor;
  int64_t unread = 0;  // the agent's unread mentions in all
};
// The agent's mentions, newest first (only unread ones with `unread_only`); cursor: a seq.
MentionPage list_mentions(store::Tx& tx, const std::string& tenant, const std::string& agent_id, bool unread_only,
                          std::optional<int64_t> before_seq, int64_t limit);
// Marks one of the agent's mentions read (kept as first read); 404 for anyone else's.
Result<Mention> mark_mention_read(store::Tx& tx, const std::string& tenant, const std::string& agent_id,
                                  const std::string& mention_id, int64_t now);
// Marks every unread mention of the agent read; returns how many.
int64_t mark_all_mentions_read(store::Tx& tx, const std::string& tenant, const std::string& agent_id, int64_t now);

}  // namespace bottega::service
