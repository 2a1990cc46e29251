#include <algorithm>

#include "store/migrations/migrations.hpp"

namespace bottega::store {

std::vector<Migration> with_area_migrations(std::vector<Migration> core, bool postgres) {
  for (const auto* area : {&commerce_migrations(), &payments_migrations(), &bot_migrations(), &reports_migrations(),
                            &channels_migrations(), &service_migrations(), &sell_migrations(),
                            &realtime_migrations()})
    for (const auto& m : *area) core.push_back(Migration{m.version, m.name, postgres ? m.postgres_sql : m.sqlite_sql});
  std::stable_sort(core.begin(), core.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return core;
}

}  // namespace bottega::store
