// The payments area's schema, SQLite and PostgreSQL side by side (see migrations.hpp for the version
// range this area owns). Append only: a released migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& payments_migrations() {
  static const std::vector<AreaMigration> kMigrations = {};
  return kMigrations;
}

}  // namespace bottega::store
