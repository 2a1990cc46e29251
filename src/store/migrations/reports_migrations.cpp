// The reports area's schema, SQLite and PostgreSQL side by side (see migrations.hpp for the version
// range this area owns). Append only: a released migration is never edited.
//
// rpt_counts and rpt_hist hold the incrementally maintained aggregates (docs/reports.md): every
// figure per UTC quarter hour (grain 'q', bucket = UTC ms / 900000), per UTC hour (grain 'h',
// bucket = UTC ms / 3600000, since migration 43) and per local day in the tenant's time zone
// (grain 'd', bucket = days since 1970-01-01). The rpt_* state tables keep
// what the aggregator needs to apply each event once (per conversation, payment, contact, survey).
#include "store/migrations/migrations.hpp"

namespace bottega::store {

// Empties every aggregate and state row and the reports' cursor (the settings stay): the listener
// rebuilds them from the outbox at its next start. The same SQL on SQLite and PostgreSQL.
#define BOTTEGA_RPT_RESET \
  "DELETE FROM rpt_counts;\n"  \
  "DELETE FROM rpt_hist;\n"    \
  "DELETE FROM rpt_conversations;\n" \
  "DELETE FROM rpt_payments;\n" \
  "DELETE FROM rpt_contacts;\n" \
  "DELETE FROM rpt_csat;\n"    \
  "DELETE FROM rpt_seen;\n"    \
  "DELETE FROM rpt_cart_reminders;\n" \
  "DELETE FROM kv WHERE key = 'reports.cursor';\n"

const std::vector<AreaMigration>& reports_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      {40, "reports_aggregates",
       R"SQL(
CREATE TABLE rpt_settings (
  tenant_id TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  window_days INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id)
);
CREATE TABLE rpt_counts (
  tenant_id TEXT NOT NULL,
  grain TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  metric TEXT NOT NULL,
  dim TEXT NOT NULL,
  currency TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, grain, bucket, metric, dim, currency)
) WITHOUT ROWID;
CREATE TABLE rpt_hist (
  tenant_id TEXT NOT NULL,
  grain TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  metric TEXT NOT NULL,
  dim TEXT NOT NULL,
  bins TEXT NOT NULL,
  PRIMARY KEY (tenant_id, grain, bucket, metric, dim)
) WITHOUT ROWID;
CREATE TABLE rpt_conversations (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  first_response_at INTEGER,
  resolved_at INTEGER,
  presale INTEGER NOT NULL DEFAULT 0,
  paid INTEGER NOT NULL DEFAULT 0,
  human INTEGER NOT NULL DEFAULT 0,
  bot INTEGER NOT NULL DEFAULT 0,
  helpful INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE rpt_payments (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  conversation_id TEXT,
  channel_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  opened INTEGER NOT NULL DEFAULT 0,
  paid INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  paid_at INTEGER,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE rpt_contacts (
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  last_activity_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE TABLE rpt_csat (
  tenant_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  score INTEGER NOT NULL,
  at INTEGER NOT NULL,
  by_dim TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE TABLE rpt_seen (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
)SQL",
       R"SQL(
CREATE TABLE rpt_settings (
  tenant_id TEXT COLLATE "C" NOT NULL,
  time_zone TEXT COLLATE "C" NOT NULL,
  window_days BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id)
);
CREATE TABLE rpt_counts (
  tenant_id TEXT COLLATE "C" NOT NULL,
  grain TEXT COLLATE "C" NOT NULL,
  bucket BIGINT NOT NULL,
  metric TEXT COLLATE "C" NOT NULL,
  dim TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, grain, bucket, metric, dim, currency)
);
CREATE TABLE rpt_hist (
  tenant_id TEXT COLLATE "C" NOT NULL,
  grain TEXT COLLATE "C" NOT NULL,
  bucket BIGINT NOT NULL,
  metric TEXT COLLATE "C" NOT NULL,
  dim TEXT COLLATE "C" NOT NULL,
  bins TEXT NOT NULL,
  PRIMARY KEY (tenant_id, grain, bucket, metric, dim)
);
CREATE TABLE rpt_conversations (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  first_response_at BIGINT,
  resolved_at BIGINT,
  presale BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  human BIGINT NOT NULL DEFAULT 0,
  bot BIGINT NOT NULL DEFAULT 0,
  helpful BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE rpt_payments (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C",
  channel_id TEXT COLLATE "C" NOT NULL,
  sender TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  sent BIGINT NOT NULL DEFAULT 0,
  opened BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  expired BIGINT NOT NULL DEFAULT 0,
  paid_at BIGINT,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE rpt_contacts (
  tenant_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  last_activity_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE TABLE rpt_csat (
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C" NOT NULL,
  score BIGINT NOT NULL,
  at BIGINT NOT NULL,
  by_dim TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE TABLE rpt_seen (
  tenant_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
)SQL"},
      // Carts recovered after a reminder: each reminded cart once, and whether an order of it was paid after.
      {41, "reports_cart_recovery",
       R"SQL(
CREATE TABLE rpt_cart_reminders (
  tenant_id TEXT NOT NULL,
  cart_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  recovered_at INTEGER,
  PRIMARY KEY (tenant_id, cart_id)
);
)SQL",
       R"SQL(
CREATE TABLE rpt_cart_reminders (
  tenant_id TEXT COLLATE "C" NOT NULL,
  cart_id TEXT COLLATE "C" NOT NULL,
  channel_id TEXT COLLATE "C" NOT NULL,
  sent_at BIGINT NOT NULL,
  recovered_at BIGINT,
  PRIMARY KEY (tenant_id, cart_id)
);
)SQL"},
      // Store credit in linked revenue (docs/reports.md): a payment's credit part, and the
      // time-window attribution of an order paid through a link that was not sent in a
      // conversation (so its refunds can be netted). The aggregates are rebuilt from the outbox
      // (the listener catches up from cursor 0 at start): figures counted before this version took
      // a link's full amount as money received.
      {42, "reports_store_credit",
       R"SQL(
ALTER TABLE rpt_payments ADD COLUMN credit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rpt_payments ADD COLUMN window_dim TEXT;
ALTER TABLE rpt_payments ADD COLUMN window_at INTEGER;
)SQL" BOTTEGA_RPT_RESET,
       R"SQL(
ALTER TABLE rpt_payments ADD COLUMN credit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rpt_payments ADD COLUMN window_dim TEXT COLLATE "C";
ALTER TABLE rpt_payments ADD COLUMN window_at BIGINT;
)SQL" BOTTEGA_RPT_RESET},
      // An hourly grain ('h', bucket = UTC ms / 3600000) beside the quarter hours: a zone other than
      // the shop's reads 24 rows per figure and day instead of 96 (docs/reports.md). No schema
      // change; the aggregates are rebuilt from the outbox at the next start so history has it too.
      {43, "reports_hour_grain", "\n" BOTTEGA_RPT_RESET, "\n" BOTTEGA_RPT_RESET},
  };
  return kMigrations;
}

#undef BOTTEGA_RPT_RESET

}  // namespace bottega::store
