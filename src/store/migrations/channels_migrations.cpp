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
  };
  return kMigrations;
}

}  // namespace bottega::store
