// The realtime area's schema (what the WebSocket streams replay), SQLite and PostgreSQL side by
// side (see migrations.hpp for the version range this area owns). Append only: a released
// migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& realtime_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      // A visitor's replay (its contact's events after a cursor), SQLite: the events_contact index
      // gave every event its own page write, since consecutive events belong to different
      // contacts: a third of the WAL bytes of a web chat message (~33 of ~100 pages per commit of
      // ~23 messages, measured on the ingest benchmark). contact_events holds the same keys, added
      // in chunks at the end of write batches (SqliteStore, index_contact_events: one page per
      // contact per chunk), and contact_events_state says up to which event seq it is complete;
      // the replay reads it up to there and the few events after from the events table itself.
      // PostgreSQL keeps the events_contact index: there, events of concurrent transactions may
      // commit out of seq order, which a seq watermark cannot follow.
      {80, "contact_events_in_chunks",
       R"SQL(
CREATE TABLE contact_events (
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, contact_id, seq)
) WITHOUT ROWID;
CREATE TABLE contact_events_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_seq INTEGER NOT NULL
);
INSERT INTO contact_events(tenant_id, contact_id, seq)
  SELECT tenant_id, contact_id, seq FROM events WHERE contact_id IS NOT NULL;
INSERT INTO contact_events_state(id, indexed_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;
DROP INDEX events_contact;
)SQL",
       R"SQL(
SELECT 1;
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
