// Versioned schema migrations, one list per dialect. A migration is applied once, in order, inside
// a transaction, and recorded in schema_migrations.
#pragma once

#include <vector>

namespace bottega::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // may hold several statements
};

// Both lists, sorted by version: the core schema (versions 1-9, in sqlite_migrations.cpp and
// postgres_migrations.cpp) followed by each area's own migrations below.
const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();  // same versions, PostgreSQL types

// An area's migration in both dialects, kept side by side so they cannot drift apart. Each area
// owns a range of versions: core 1-9, commerce 10-19, payments 20-29, bot and inbox 30-39,
// reports 40-49, channels 50-59, inbox/service 60-69, sell 70-79, realtime 80-89.
struct AreaMigration {
  int version;
  const char* name;
  const char* sqlite_sql;
  const char* postgres_sql;
};
const std::vector<AreaMigration>& commerce_migrations();  // commerce_migrations.cpp
const std::vector<AreaMigration>& payments_migrations();  // payments_migrations.cpp
const std::vector<AreaMigration>& bot_migrations();       // bot_migrations.cpp
const std::vector<AreaMigration>& reports_migrations();   // reports_migrations.cpp
const std::vector<AreaMigration>& channels_migrations();  // channels_migrations.cpp
const std::vector<AreaMigration>& service_migrations();   // service_migrations.cpp (60-69)
const std::vector<AreaMigration>& sell_migrations();      // sell_migrations.cpp (70-79)
const std::vector<AreaMigration>& realtime_migrations();  // realtime_migrations.cpp (80-89)

// Appends every area's migrations (sqlite or postgres side) to `core` and sorts by version.
std::vector<Migration> with_area_migrations(std::vector<Migration> core, bool postgres);

}  // namespace bottega::store
