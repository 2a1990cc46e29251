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

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();  // same versions, PostgreSQL types

}  // namespace bottega::store
