// The channels area's schema, SQLite and PostgreSQL side by side (see migrations.hpp for the
// version range this area owns). Append only: a released migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& channels_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      // Which email channel receives mail for an address (unique across tenants: the SMTP
      // listener routes by recipient before it knows the tenant).
      {50, "email_routes",
       R"SQL(
CREATE TABLE email_routes (
  address TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX email_routes_channel ON email_routes(tenant_id, channel_id);
)SQL",
       R"SQL(
CREATE TABLE email_routes (
  address TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX email_routes_channel ON email_routes(tenant_id, channel_id);
)SQL"},
      // When the customer last wrote in a conversation (the provider's timestamp), for the
      // WhatsApp / Messenger / Instagram messaging windows.
      {51, "conversation_windows",
       R"SQL(
CREATE TABLE conversation_windows (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  last_inbound_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
)SQL",
       R"SQL(
CREATE TABLE conversation_windows (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  last_inbound_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
)SQL"},
      // Outbound pacing and ordering. send_pacing replaces rate_buckets: one GCRA cell per key (a
      // channel, or a channel's recipient) holding its theoretical arrival time in microseconds.
      // jobs.order_key serializes jobs that must reach the outside world in order (a
      // conversation's provider sends): a job is claimed only when no earlier job with its key is
      // queued or running; the partial index keeps that check to the pending ones.
      {52, "send_pacing_and_job_order",
       R"SQL(
DROP TABLE rate_buckets;
CREATE TABLE send_pacing (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  tat_us INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
ALTER TABLE jobs ADD COLUMN order_key TEXT;
CREATE INDEX jobs_order_pending ON jobs(order_key, seq)
  WHERE order_key IS NOT NULL AND status IN ('queued', 'running');
)SQL",
       R"SQL(
DROP TABLE rate_buckets;
CREATE TABLE send_pacing (
  tenant_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  tat_us BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
ALTER TABLE jobs ADD COLUMN order_key TEXT COLLATE "C";
CREATE INDEX jobs_order_pending ON jobs(order_key, seq)
  WHERE order_key IS NOT NULL AND status IN ('queued', 'running');
)SQL"},
      // Customers' media fetched from the providers (pipeline/media.hpp): in the database, base64,
      // so every node serves it and backups include it; ids are random.
      {53, "media_files",
       R"SQL(
CREATE TABLE media_files (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  attachment_index INTEGER NOT NULL,
  mime_type TEXT NOT NULL,
  filename TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  data_b64 TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, message_id, attachment_index)
);
)SQL",
       R"SQL(
CREATE TABLE media_files (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  attachment_index BIGINT NOT NULL,
  mime_type TEXT NOT NULL,
  filename TEXT,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  data_b64 TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, message_id, attachment_index)
);
)SQL"},
      // Provider access tokens shared by every node (WeChat's access_token: a new one invalidates
      // the previous after 5 minutes, so nodes must not each fetch their own); pipeline/access_tokens.hpp.
      {54, "channel_access_tokens",
       R"SQL(
CREATE TABLE channel_access_tokens (
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, channel_id)
);
)SQL",
       R"SQL(
CREATE TABLE channel_access_tokens (
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  token TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, channel_id)
);
)SQL"},
      // Contacts merged into another (an agent's POST /api/v1/contacts/{id}/merge): the row stays
      // (old references and events keep resolving) but the contact answers 404 contact_merged.
      {55, "contact_merges",
       R"SQL(
ALTER TABLE contacts ADD COLUMN merged_into TEXT;
ALTER TABLE contacts ADD COLUMN merged_at INTEGER;
)SQL",
       R"SQL(
ALTER TABLE contacts ADD COLUMN merged_into TEXT COLLATE "C";
ALTER TABLE contacts ADD COLUMN merged_at BIGINT;
)SQL"},
      // Verified email addresses (an inbound mail that passed the trusted MTA's DMARC/DKIM check,
      // or a web chat visitor who typed the one-time code mailed to it): the key of the automatic
      // cross-channel match. And a web chat visitor's pending code (only its HMAC is kept).
      {56, "verified_emails",
       R"SQL(
CREATE TABLE contact_verified_emails (
  tenant_id TEXT NOT NULL,
  email TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  source TEXT NOT NULL,
  verified_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, email, contact_id)
);
CREATE INDEX contact_verified_emails_contact ON contact_verified_emails(tenant_id, contact_id);
CREATE TABLE email_verifications (
  tenant_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  email TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, visitor_id)
);
)SQL",
       R"SQL(
CREATE TABLE contact_verified_emails (
  tenant_id TEXT COLLATE "C" NOT NULL,
  email TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  source TEXT NOT NULL,
  verified_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, email, contact_id)
);
CREATE INDEX contact_verified_emails_contact ON contact_verified_emails(tenant_id, contact_id);
CREATE TABLE email_verifications (
  tenant_id TEXT COLLATE "C" NOT NULL,
  visitor_id TEXT COLLATE "C" NOT NULL,
  email TEXT COLLATE "C" NOT NULL,
  nonce TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, visitor_id)
);
)SQL"},
      // Agents' uploads (POST /api/v1/media): a file is stored before the message that sends it
      // exists, so message_id may be NULL until the message binds it (attachment_index then set);
      // unbound uploads are purged after a day. SQLite cannot drop NOT NULL: the table is rebuilt.
      // server_keys: secrets every node shares, created on first start (the media URL signing key).
      {57, "media_uploads",
       R"SQL(
CREATE TABLE media_files_new (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  message_id TEXT,
  attachment_index INTEGER NOT NULL,
  mime_type TEXT NOT NULL,
  filename TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  data_b64 TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, message_id, attachment_index)
);
INSERT INTO media_files_new SELECT id, tenant_id, message_id, attachment_index, mime_type, filename, size, sha256,
  data_b64, created_at FROM media_files;
DROP TABLE media_files;
ALTER TABLE media_files_new RENAME TO media_files;
CREATE INDEX media_files_unbound ON media_files(created_at) WHERE message_id IS NULL;
CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)SQL",
       R"SQL(
ALTER TABLE media_files ALTER COLUMN message_id DROP NOT NULL;
CREATE INDEX media_files_unbound ON media_files(created_at) WHERE message_id IS NULL;
CREATE TABLE server_keys (
  name TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
)SQL"},
      // A message sent as several provider messages (text, then one per file; WeChat's upload then
      // image message counts as one): each part the provider accepted, recorded as it is accepted,
      // so a channel.send job retried after a crash goes on at the next part (pipeline/channel_send).
      {58, "message_send_parts",
       R"SQL(
CREATE TABLE message_send_parts (
  tenant_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  part INTEGER NOT NULL,
  provider_message_id TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, message_id, part)
);
)SQL",
       R"SQL(
CREATE TABLE message_send_parts (
  tenant_id TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  part BIGINT NOT NULL,
  provider_message_id TEXT NOT NULL,
  accepted_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, message_id, part)
);
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
