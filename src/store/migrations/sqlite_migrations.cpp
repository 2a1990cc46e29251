// SQLite schema. Every table that holds tenant data has tenant_id, and every index that serves a
// tenant query starts with it. Times are integer milliseconds since the epoch. `seq` columns are
// INTEGER PRIMARY KEY (rowid) and give a stable order for cursors.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> kMigrations = with_area_migrations({
      {1, "core", R"SQL(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin','agent')),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX agents_tenant ON agents(tenant_id);
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_agent ON sessions(agent_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  token_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX channels_tenant ON channels(tenant_id);
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL DEFAULT '',
  email TEXT,
  phone TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_tenant ON contacts(tenant_id);
CREATE TABLE contact_identities (
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, channel_id, external_id)
);
CREATE INDEX contact_identities_contact ON contact_identities(tenant_id, contact_id);
CREATE TABLE visitors (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  created_at INTEGER NOT NULL
);
CREATE TABLE conversations (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','pending','snoozed','resolved')),
  priority INTEGER NOT NULL DEFAULT 0,
  assignee_id TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  subject TEXT,
  snoozed_until INTEGER,
  last_message_at INTEGER NOT NULL,
  last_message_text TEXT,
  last_message_direction TEXT,
  last_message_author TEXT,
  first_response_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_inbox ON conversations(tenant_id, priority DESC, last_message_at DESC, seq DESC);
CREATE INDEX conversations_contact ON conversations(tenant_id, contact_id, channel_id, status);
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in','out')),
  author_kind TEXT NOT NULL CHECK (author_kind IN ('contact','bot','agent','system')),
  author_id TEXT,
  kind TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL DEFAULT '{}',
  delivery_state TEXT NOT NULL DEFAULT 'pending',
  delivery_error TEXT,
  provider_message_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(tenant_id, conversation_id, seq);
CREATE TABLE dedupe_keys (
  tenant_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX dedupe_keys_age ON dedupe_keys(created_at);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  conversation_id TEXT,
  contact_id TEXT,
  internal INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, seq);
CREATE INDEX events_contact ON events(tenant_id, contact_id, seq);
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued','running','done','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  lease_until INTEGER,
  lease_owner TEXT,
  deadline_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (tenant_id, kind, idempotency_key)
);
CREATE INDEX jobs_due ON jobs(status, run_at);
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints(tenant_id);
CREATE TABLE webhook_deliveries (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(tenant_id, endpoint_id, seq);
CREATE TABLE kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)SQL"},
      {2, "provider_messages", R"SQL(
CREATE INDEX messages_provider ON messages(tenant_id, provider_message_id);
CREATE INDEX contact_identities_by_contact ON contact_identities(tenant_id, channel_id, contact_id);
)SQL"},
      {3, "catalog_placeholder", R"SQL(
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  sku TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  price_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, sku)
);
)SQL"},
      {4, "early_statuses", R"SQL(
CREATE TABLE early_statuses (
  tenant_id TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  state TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, provider_message_id, state)
);
CREATE INDEX early_statuses_age ON early_statuses(created_at);
)SQL"},
      // PostgreSQL also adds NOTIFY triggers here (one process per SQLite database: nothing to
      // announce); the shared provider rate buckets exist in both.
      {5, "multinode", R"SQL(
CREATE TABLE rate_buckets (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  milli_tokens INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
)SQL"},
      // Cheaper message inserts (measured with bench/profile.sh, callgrind):
      // - CHECK (author_kind IN (4 values)) built an ephemeral b-tree of the 4 values on every
      //   INSERT (SQLite codes an IN list of more than 2 constants outside WHERE that way); the
      //   same constraint written as comparisons is checked in place. SQLite cannot change a CHECK
      //   in place: the table is rebuilt, rows, seq and indexes kept.
      // - messages_provider holds only messages that have a provider id (its one query asks for
      //   provider_message_id = $2, which a partial index on IS NOT NULL serves); web chat
      //   messages no longer add an entry to it.
      {6, "message_insert_cost", R"SQL(
CREATE TABLE messages_v6 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction = 'in' OR direction = 'out'),
  author_kind TEXT NOT NULL CHECK (author_kind = 'contact' OR author_kind = 'bot' OR author_kind = 'agent' OR
                                   author_kind = 'system'),
  author_id TEXT,
  kind TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL DEFAULT '{}',
  delivery_state TEXT NOT NULL DEFAULT 'pending',
  delivery_error TEXT,
  provider_message_id TEXT,
  created_at INTEGER NOT NULL
);
INSERT INTO messages_v6(seq, id, tenant_id, conversation_id, direction, author_kind, author_id, kind, text, content,
                        delivery_state, delivery_error, provider_message_id, created_at)
  SELECT seq, id, tenant_id, conversation_id, direction, author_kind, author_id, kind, text, content,
         delivery_state, delivery_error, provider_message_id, created_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v6 RENAME TO messages;
CREATE INDEX messages_conversation ON messages(tenant_id, conversation_id, seq);
CREATE INDEX messages_provider ON messages(tenant_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
)SQL"},
      // The replies of a conversation by author kind (public outbound messages only: inbound
      // messages, the bulk, add no entry). The service listener asks, per message, for the last
      // reply by a person and by the bot: with this index both are a descent to the end of a
      // short range instead of a scan of the conversation's messages (bench/profile.sh).
      {7, "message_replies", R"SQL(
CREATE INDEX messages_replies ON messages(tenant_id, conversation_id, author_kind, seq)
  WHERE direction = 'out' AND kind <> 'note';
)SQL"},
      // Full-text search over messages (service/search.hpp): an external-content FTS5 index over
      // messages.text (rowid = messages.seq, the text is read back from messages, not stored
      // twice) for the kinds people write, text and note (media, cards, payment statuses and the
      // like carry no words worth finding). The SQLite store adds the messages of each write batch
      // at the end of the batch's transaction (SqliteStore::index_new_messages, one statement;
      // message_search_fts_state keeps the last seq indexed), not each as it is inserted: FTS5
      // writes a segment at every statement savepoint, so per-message inserts made one segment
      // per message (bench/RESULTS.md). Triggers keep the index right should a message's text or
      // kind ever be changed or a message deleted (nothing does today; they fire on those
      // statements only). Same tokenizer and prefix indexes as the catalog's (commerce 10-12),
      // and its fts5vocab table for sqlite_match. Existing messages are indexed here.
      {8, "message_search", R"SQL(
CREATE VIRTUAL TABLE message_search_fts USING fts5(
  text, content = 'messages', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO message_search_fts(rowid, text)
  SELECT seq, text FROM messages WHERE kind = 'text' OR kind = 'note';
CREATE TABLE message_search_fts_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_seq INTEGER NOT NULL
);
INSERT INTO message_search_fts_state(id, indexed_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM messages;
CREATE TRIGGER message_search_fts_update AFTER UPDATE OF text, kind ON messages
  WHEN old.seq <= (SELECT indexed_seq FROM message_search_fts_state WHERE id = 1)
BEGIN
  INSERT INTO message_search_fts(message_search_fts, rowid, text)
    SELECT 'delete', old.seq, old.text WHERE old.kind = 'text' OR old.kind = 'note';
  INSERT INTO message_search_fts(rowid, text)
    SELECT new.seq, new.text WHERE new.kind = 'text' OR new.kind = 'note';
END;
CREATE TRIGGER message_search_fts_delete AFTER DELETE ON messages
  WHEN (old.kind = 'text' OR old.kind = 'note')
   AND old.seq <= (SELECT indexed_seq FROM message_search_fts_state WHERE id = 1)
BEGIN
  INSERT INTO message_search_fts(message_search_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE VIRTUAL TABLE message_search_fts_vocab USING fts5vocab(message_search_fts, 'instance');
)SQL"},
      // Conversations snoozed until a time (service/snooze.hpp): the SLA monitor's scan reads the
      // due ones every second; the partial index holds only those (a handful), not every row.
      {9, "snoozed_until", R"SQL(
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE snoozed_until IS NOT NULL;
)SQL"},
  }, false);
  return kMigrations;
}

}  // namespace bottega::store
