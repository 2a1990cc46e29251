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
  };
  return kMigrations;
}

}  // namespace bottega::store
