// PostgreSQL schema: the SQLite schema (sqlite_migrations.cpp) column for column, in the same
// versions, so one repository layer and one conformance suite serve both. Mapping:
// - every integer is BIGINT (SQLite integers are 64-bit); `seq` columns are
//   BIGINT GENERATED ALWAYS AS IDENTITY (a sequence: unlike SQLite's rowid, a rolled-back insert
//   leaves a gap, and with several writers seq order is not commit order);
// - every text column is TEXT COLLATE "C": byte order, as SQLite's default BINARY collation, so
//   ORDER BY over text and case folding with LOWER() (ASCII only) behave identically whatever the
//   database's locale is.
// A new migration is added to both lists with the same version number.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<Migration>& postgres_migrations() {
  static const std::vector<Migration> kMigrations = with_area_migrations({
      {1, "core", R"SQL(
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE agents (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  email TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin','agent')),
  password_hash TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX agents_tenant ON agents(tenant_id);
CREATE TABLE sessions (
  id_hash TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents(id),
  csrf_token TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_agent ON sessions(agent_id);
CREATE TABLE api_tokens (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE channels (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  type TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  settings TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX channels_tenant ON channels(tenant_id);
CREATE TABLE contacts (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  name TEXT COLLATE "C" NOT NULL DEFAULT '',
  email TEXT COLLATE "C",
  phone TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_tenant ON contacts(tenant_id);
CREATE TABLE contact_identities (
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  external_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL REFERENCES contacts(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, channel_id, external_id)
);
CREATE INDEX contact_identities_contact ON contact_identities(tenant_id, contact_id);
CREATE TABLE visitors (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL REFERENCES contacts(id),
  created_at BIGINT NOT NULL
);
CREATE TABLE conversations (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('open','pending','snoozed','resolved')),
  priority BIGINT NOT NULL DEFAULT 0,
  assignee_id TEXT COLLATE "C",
  tags TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  subject TEXT COLLATE "C",
  snoozed_until BIGINT,
  last_message_at BIGINT NOT NULL,
  last_message_text TEXT COLLATE "C",
  last_message_direction TEXT COLLATE "C",
  last_message_author TEXT COLLATE "C",
  first_response_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_inbox ON conversations(tenant_id, priority DESC, last_message_at DESC, seq DESC);
CREATE INDEX conversations_contact ON conversations(tenant_id, contact_id, channel_id, status);
CREATE TABLE messages (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  direction TEXT COLLATE "C" NOT NULL CHECK (direction IN ('in','out')),
  author_kind TEXT COLLATE "C" NOT NULL CHECK (author_kind IN ('contact','bot','agent','system')),
  author_id TEXT COLLATE "C",
  kind TEXT COLLATE "C" NOT NULL,
  text TEXT COLLATE "C" NOT NULL DEFAULT '',
  content TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  delivery_state TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
  delivery_error TEXT COLLATE "C",
  provider_message_id TEXT COLLATE "C",
  created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages(tenant_id, conversation_id, seq);
CREATE TABLE dedupe_keys (
  tenant_id TEXT COLLATE "C" NOT NULL,
  scope TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  ref TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX dedupe_keys_age ON dedupe_keys(created_at);
CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C",
  contact_id TEXT COLLATE "C",
  internal BIGINT NOT NULL DEFAULT 0,
  payload TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, seq);
CREATE INDEX events_contact ON events(tenant_id, contact_id, seq);
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  idempotency_key TEXT COLLATE "C" NOT NULL,
  payload TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('queued','running','done','dead')),
  attempts BIGINT NOT NULL DEFAULT 0,
  run_at BIGINT NOT NULL,
  lease_until BIGINT,
  lease_owner TEXT COLLATE "C",
  deadline_at BIGINT NOT NULL,
  last_error TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, kind, idempotency_key)
);
CREATE INDEX jobs_due ON jobs(status, run_at);
CREATE TABLE idempotency_keys (
  tenant_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  request_hash TEXT COLLATE "C" NOT NULL,
  status BIGINT NOT NULL,
  body TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
CREATE TABLE webhook_endpoints (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  url TEXT COLLATE "C" NOT NULL,
  events TEXT COLLATE "C" NOT NULL,
  secret TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints(tenant_id);
CREATE TABLE webhook_deliveries (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  endpoint_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL,
  event_type TEXT COLLATE "C" NOT NULL,
  attempt BIGINT NOT NULL,
  status_code BIGINT,
  error TEXT COLLATE "C",
  duration_ms BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(tenant_id, endpoint_id, seq);
CREATE TABLE kv (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL
);
)SQL"},
      {2, "provider_messages", R"SQL(
CREATE INDEX messages_provider ON messages(tenant_id, provider_message_id);
CREATE INDEX contact_identities_by_contact ON contact_identities(tenant_id, channel_id, contact_id);
)SQL"},
      {3, "catalog_placeholder", R"SQL(
CREATE TABLE products (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  sku TEXT COLLATE "C" NOT NULL,
  title TEXT COLLATE "C" NOT NULL,
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  price_minor BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, sku)
);
)SQL"},
      {4, "early_statuses", R"SQL(
CREATE TABLE early_statuses (
  tenant_id TEXT COLLATE "C" NOT NULL,
  provider_message_id TEXT COLLATE "C" NOT NULL,
  state TEXT COLLATE "C" NOT NULL,
  error TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, provider_message_id, state)
);
CREATE INDEX early_statuses_age ON early_statuses(created_at);
)SQL"},
      // Several nodes: committed outbox events and new jobs are announced with NOTIFY (sent at
      // COMMIT, collapsed to one per transaction) to the nodes' LISTEN connections; provider rate
      // limits live in token buckets shared by every node.
      {5, "multinode", R"SQL(
CREATE FUNCTION bottega_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bottega_events', '');
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION bottega_notify_events();
CREATE FUNCTION bottega_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bottega_jobs', '');
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
  FOR EACH STATEMENT EXECUTE FUNCTION bottega_notify_jobs();
CREATE TABLE rate_buckets (
  tenant_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  milli_tokens BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
)SQL"},
      // SQLite rebuilds messages here for a cheaper CHECK (PostgreSQL's IN list costs nothing
      // extra); both keep only messages with a provider id in messages_provider.
      {6, "message_insert_cost", R"SQL(
DROP INDEX messages_provider;
CREATE INDEX messages_provider ON messages(tenant_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
)SQL"},
      // See sqlite_migrations.cpp, version 7.
      {7, "message_replies", R"SQL(
CREATE INDEX messages_replies ON messages(tenant_id, conversation_id, author_kind, seq)
  WHERE direction = 'out' AND kind <> 'note';
)SQL"},
      // See sqlite_migrations.cpp, version 8: a GIN index over the same expression the search
      // asks for (service/search.cpp), accents folded as the catalog's index folds them (commerce
      // 11), for text and note messages. PostgreSQL maintains it with the row: nothing to write.
      {8, "message_search", R"SQL(
CREATE INDEX message_search_fts ON messages USING GIN (to_tsvector('simple',
  translate(text, 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy')))
  WHERE kind = 'text' OR kind = 'note';
)SQL"},
      // Conversations snoozed until a time (service/snooze.hpp): the SLA monitor's scan reads the
      // due ones every second; the partial index holds only those (a handful), not every row.
      {9, "snoozed_until", R"SQL(
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE snoozed_until IS NOT NULL;
)SQL"},
  }, true);
  return kMigrations;
}

}  // namespace bottega::store
