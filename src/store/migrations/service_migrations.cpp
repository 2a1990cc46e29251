// The service area's schema (inbox operations: priority, SLAs, assignment, canned responses,
// CSAT), SQLite and PostgreSQL side by side (see migrations.hpp for the version range this area
// owns). Append only: a released migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& service_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      // Per-tenant settings (business hours in an IANA zone, SLA policy); per-conversation state
      // kept by the service listener (priority score base, SLA clock and due times); SLA breaches,
      // one row per conversation, target and due time (what makes the breach event exactly once).
      {60, "service_sla_priority",
       R"SQL(
CREATE TABLE service_settings (
  tenant_id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE conversation_service (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  level TEXT NOT NULL,
  score_base INTEGER NOT NULL,
  score_detail TEXT NOT NULL,
  waiting_since INTEGER,
  person_replied INTEGER NOT NULL DEFAULT 0,
  opened_at INTEGER NOT NULL,
  first_response_due INTEGER,
  next_response_due INTEGER,
  resolution_due INTEGER,
  next_due_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversation_service_due ON conversation_service(next_due_at);
CREATE TABLE sla_breaches (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  target TEXT NOT NULL CHECK (target IN ('first_response','next_response','resolution')),
  due_at INTEGER NOT NULL,
  breached_at INTEGER NOT NULL,
  level TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id, target, due_at)
);
)SQL",
       R"SQL(
CREATE TABLE service_settings (
  tenant_id TEXT COLLATE "C" PRIMARY KEY,
  settings TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE conversation_service (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL,
  level TEXT NOT NULL,
  score_base BIGINT NOT NULL,
  score_detail TEXT NOT NULL,
  waiting_since BIGINT,
  person_replied BIGINT NOT NULL DEFAULT 0,
  opened_at BIGINT NOT NULL,
  first_response_due BIGINT,
  next_response_due BIGINT,
  resolution_due BIGINT,
  next_due_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversation_service_due ON conversation_service(next_due_at);
CREATE TABLE sla_breaches (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  target TEXT NOT NULL CHECK (target IN ('first_response','next_response','resolution')),
  due_at BIGINT NOT NULL,
  breached_at BIGINT NOT NULL,
  level TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id, target, due_at)
);
)SQL"},
      // Agents' availability and capacity, the round-robin cursor, canned responses, and when the
      // after-hours auto-reply was last sent in a conversation.
      {61, "service_assignment_canned",
       R"SQL(
CREATE TABLE agent_availability (
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('online','away')),
  capacity INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE TABLE assignment_state (
  tenant_id TEXT PRIMARY KEY,
  last_agent_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE canned_responses (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  shortcut TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shortcut)
);
ALTER TABLE conversation_service ADD COLUMN after_hours_at INTEGER;
)SQL",
       R"SQL(
CREATE TABLE agent_availability (
  tenant_id TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('online','away')),
  capacity BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE TABLE assignment_state (
  tenant_id TEXT COLLATE "C" PRIMARY KEY,
  last_agent_id TEXT COLLATE "C" NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE canned_responses (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  shortcut TEXT COLLATE "C" NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shortcut)
);
ALTER TABLE conversation_service ADD COLUMN after_hours_at BIGINT;
)SQL"},
      // Satisfaction surveys: one per conversation, sent when it is resolved; the latest answer.
      {62, "service_csat",
       R"SQL(
CREATE TABLE csat_surveys (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  score INTEGER,
  answer_message_id TEXT,
  answered_at INTEGER,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX csat_surveys_contact ON csat_surveys(tenant_id, contact_id, channel_id, sent_at);
)SQL",
       R"SQL(
CREATE TABLE csat_surveys (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  sent_at BIGINT NOT NULL,
  score BIGINT,
  answer_message_id TEXT,
  answered_at BIGINT,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX csat_surveys_contact ON csat_surveys(tenant_id, contact_id, channel_id, sent_at);
)SQL"},
      // Proactive messages: opt-outs, per-tenant settings, one abandoned-cart reminder per cart,
      // one WhatsApp order update per order and kind (src/service/proactive.hpp).
      {63, "service_proactive",
       R"SQL(
CREATE TABLE contact_optouts (
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  opted_out INTEGER NOT NULL,
  source TEXT NOT NULL,
  keyword TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE TABLE proactive_settings (
  tenant_id TEXT NOT NULL,
  settings TEXT NOT NULL,
  reminders_enabled INTEGER NOT NULL,
  reminder_delay_ms INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id)
);
CREATE TABLE cart_reminders (
  tenant_id TEXT NOT NULL,
  cart_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  cart_updated_at INTEGER NOT NULL,
  conversation_id TEXT,
  channel_type TEXT,
  mode TEXT,
  message_id TEXT,
  currency TEXT,
  amount INTEGER,
  queued_at INTEGER NOT NULL,
  done_at INTEGER,
  PRIMARY KEY (tenant_id, cart_id)
);
CREATE INDEX cart_reminders_recent ON cart_reminders(tenant_id, queued_at);
CREATE TABLE order_notifications (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  conversation_id TEXT,
  message_id TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, order_id, kind)
);
CREATE INDEX carts_open_updated ON carts(status, updated_at);
)SQL",
       R"SQL(
CREATE TABLE contact_optouts (
  tenant_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  opted_out BIGINT NOT NULL,
  source TEXT COLLATE "C" NOT NULL,
  keyword TEXT COLLATE "C",
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE TABLE proactive_settings (
  tenant_id TEXT COLLATE "C" NOT NULL,
  settings TEXT NOT NULL,
  reminders_enabled BIGINT NOT NULL,
  reminder_delay_ms BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id)
);
CREATE TABLE cart_reminders (
  tenant_id TEXT COLLATE "C" NOT NULL,
  cart_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C",
  cart_updated_at BIGINT NOT NULL,
  conversation_id TEXT COLLATE "C",
  channel_type TEXT COLLATE "C",
  mode TEXT COLLATE "C",
  message_id TEXT COLLATE "C",
  currency TEXT COLLATE "C",
  amount BIGINT,
  queued_at BIGINT NOT NULL,
  done_at BIGINT,
  PRIMARY KEY (tenant_id, cart_id)
);
CREATE INDEX cart_reminders_recent ON cart_reminders(tenant_id, queued_at);
CREATE TABLE order_notifications (
  tenant_id TEXT COLLATE "C" NOT NULL,
  order_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C",
  conversation_id TEXT COLLATE "C",
  message_id TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, order_id, kind)
);
CREATE INDEX carts_open_updated ON carts(status, updated_at);
)SQL"},
      // Teams of agents and the team a conversation belongs to (src/service/teams.hpp).
      {64, "service_teams",
       R"SQL(
CREATE TABLE teams (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX teams_name ON teams(tenant_id, name);
CREATE TABLE team_members (
  tenant_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, team_id, agent_id)
);
CREATE TABLE conversation_teams (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversation_teams_team ON conversation_teams(tenant_id, team_id, conversation_id);
)SQL",
       R"SQL(
CREATE TABLE teams (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX teams_name ON teams(tenant_id, name);
CREATE TABLE team_members (
  tenant_id TEXT COLLATE "C" NOT NULL,
  team_id TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant_id, team_id, agent_id)
);
CREATE TABLE conversation_teams (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  team_id TEXT COLLATE "C" NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversation_teams_team ON conversation_teams(tenant_id, team_id, conversation_id);
)SQL"},
      // Macros (several actions on a conversation in one write: reply, tags, priority, status,
      // assignment, payment link) and the audit of every run: who ran which macro on which
      // conversation, when, and what it did.
      {65, "service_macros",
       R"SQL(
CREATE TABLE macros (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  actions TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX macros_name ON macros(tenant_id, name);
CREATE TABLE macro_runs (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  macro_id TEXT NOT NULL,
  macro_name TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  steps TEXT NOT NULL,
  note_message_id TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX macro_runs_conversation ON macro_runs(tenant_id, conversation_id, created_at);
CREATE INDEX macro_runs_macro ON macro_runs(tenant_id, macro_id, created_at);
)SQL",
       R"SQL(
CREATE TABLE macros (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  actions TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX macros_name ON macros(tenant_id, name);
CREATE TABLE macro_runs (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  macro_id TEXT COLLATE "C" NOT NULL,
  macro_name TEXT NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  actor TEXT NOT NULL,
  steps TEXT NOT NULL,
  note_message_id TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX macro_runs_conversation ON macro_runs(tenant_id, conversation_id, created_at);
CREATE INDEX macro_runs_macro ON macro_runs(tenant_id, macro_id, created_at);
)SQL"},
      // Mentions of agents in internal notes (service/mentions.hpp): one row per mentioned agent
      // and note, read_at set when the agent has seen it. The agent's list (all, or unread) is a
      // descent of agent_mentions_agent, newest first.
      {66, "service_mentions",
       R"SQL(
CREATE TABLE agent_mentions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  by_agent_id TEXT,
  created_at INTEGER NOT NULL,
  read_at INTEGER,
  UNIQUE (tenant_id, agent_id, message_id)
);
CREATE INDEX agent_mentions_agent ON agent_mentions(tenant_id, agent_id, seq);
)SQL",
       R"SQL(
CREATE TABLE agent_mentions (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  by_agent_id TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  read_at BIGINT,
  UNIQUE (tenant_id, agent_id, message_id)
);
CREATE INDEX agent_mentions_agent ON agent_mentions(tenant_id, agent_id, seq);
)SQL"},
      // Message search (service/search.cpp), PostgreSQL: its parser kept punctuation inside its
      // tokens where SQLite's unicode61 tokenizer splits ("SKU-4242" was "sku" + the signed number
      // "-4242", "ann@example.com" one e-mail), so "4242" found the message on SQLite only. The
      // index (core 8) now reads every ASCII punctuation mark as a space after the accent fold, as
      // the catalog's does (commerce 14); the search asks for the same expression. SQLite: nothing.
      {67, "message_search_punctuation_splits_words",
       R"SQL(
SELECT 1;
)SQL",
       R"SQL(
DROP INDEX message_search_fts;
CREATE INDEX message_search_fts ON messages USING GIN (to_tsvector('simple', regexp_replace(
  translate(text, 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy'),
  '[!-/:-@[-`{-~]', ' ', 'g')))
  WHERE kind = 'text' OR kind = 'note';
)SQL"},
      // CSAT comments: after a score the customer is asked for a comment (comment_asked_at); their
      // next text message within an hour is the comment (src/service/operations.cpp).
      {68, "service_csat_comments",
       R"SQL(
ALTER TABLE csat_surveys ADD COLUMN comment_asked_at INTEGER;
ALTER TABLE csat_surveys ADD COLUMN comment_question_id TEXT;
ALTER TABLE csat_surveys ADD COLUMN comment TEXT;
ALTER TABLE csat_surveys ADD COLUMN comment_message_id TEXT;
ALTER TABLE csat_surveys ADD COLUMN commented_at INTEGER;
)SQL",
       R"SQL(
ALTER TABLE csat_surveys ADD COLUMN comment_asked_at BIGINT;
ALTER TABLE csat_surveys ADD COLUMN comment_question_id TEXT;
ALTER TABLE csat_surveys ADD COLUMN comment TEXT;
ALTER TABLE csat_surveys ADD COLUMN comment_message_id TEXT;
ALTER TABLE csat_surveys ADD COLUMN commented_at BIGINT;
)SQL"},
      // Message search, SQLite (alters core 8's tables, a core area migration, in the service range
      // since core 1-9 is full): the FTS5 index without its 2- and 3-letter prefix indexes. They
      // tripled the terms written per message and were about half of what indexing a message cost
      // the single writer thread (bench/RESULTS.md, perf4). Results are the same: a 2- or 3-letter
      // term is still a prefix query ("ab"*), which FTS5 answers from the full terms (as it
      // already did for 1-letter terms), just with more of the index to walk. FTS5 options cannot
      // be altered: the table (and its fts5vocab table) is recreated and refilled with the
      // messages the old one held; the rest is indexed by the store at the end of the next batch,
      // as always. The triggers (core 8) name the table and work on the new one unchanged.
      // PostgreSQL: nothing (its GIN index has no prefix indexes).
      {69, "message_search_without_prefix_indexes",
       R"SQL(
DROP TABLE message_search_fts_vocab;
DROP TABLE message_search_fts;
CREATE VIRTUAL TABLE message_search_fts USING fts5(
  text, content = 'messages', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search_fts(rowid, text)
  SELECT seq, text FROM messages
  WHERE (kind = 'text' OR kind = 'note') AND seq <= (SELECT indexed_seq FROM message_search_fts_state WHERE id = 1);
CREATE VIRTUAL TABLE message_search_fts_vocab USING fts5vocab(message_search_fts, 'instance');
)SQL",
       R"SQL(
SELECT 1;
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
