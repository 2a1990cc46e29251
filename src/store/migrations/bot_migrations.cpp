// The bot area's schema, SQLite and PostgreSQL side by side (see migrations.hpp for the version
// range this area owns). Append only: a released migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& bot_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      {30, "bot_knowledge_base",
       R"SQL(
CREATE TABLE kb_entries (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  language TEXT NOT NULL,
  questions TEXT NOT NULL,
  answer TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  product_ids TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE bot_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  kb_version INTEGER NOT NULL DEFAULT 0,
  threshold_milli INTEGER NOT NULL DEFAULT 500,
  settings TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
);
CREATE TABLE bot_channels (
  tenant_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, channel_id)
);
CREATE TABLE bot_conversations (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE TABLE bot_turns (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  language TEXT NOT NULL,
  intent TEXT NOT NULL,
  entry_id TEXT,
  score_milli INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('answered','asked','handed_over','helpful','not_helpful')),
  reason TEXT,
  reply_message_id TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, message_id)
);
CREATE INDEX bot_turns_conversation ON bot_turns(tenant_id, conversation_id, seq);
)SQL",
       R"SQL(
CREATE TABLE kb_entries (
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  id TEXT COLLATE "C" NOT NULL,
  language TEXT COLLATE "C" NOT NULL,
  questions TEXT NOT NULL,
  answer TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  product_ids TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE bot_settings (
  tenant_id TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants(id),
  kb_version BIGINT NOT NULL DEFAULT 0,
  threshold_milli BIGINT NOT NULL DEFAULT 500,
  settings TEXT NOT NULL DEFAULT '{}',
  updated_at BIGINT NOT NULL
);
CREATE TABLE bot_channels (
  tenant_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  enabled BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, channel_id)
);
CREATE TABLE bot_conversations (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  state TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE TABLE bot_turns (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  language TEXT NOT NULL,
  intent TEXT NOT NULL,
  entry_id TEXT,
  score_milli BIGINT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('answered','asked','handed_over','helpful','not_helpful')),
  reason TEXT,
  reply_message_id TEXT,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, message_id)
);
CREATE INDEX bot_turns_conversation ON bot_turns(tenant_id, conversation_id, seq);
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
