// The sell area's schema (product cards, carts and payment links in the conversation), SQLite and
// PostgreSQL side by side (see migrations.hpp for the version range this area owns). Append only:
// a released migration is never edited.
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& sell_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      // A payment link made from a cart: finding the cart's open link (one at a time) and the
      // link that paid it.
      {70, "payments_by_cart",
       R"SQL(
CREATE INDEX payments_cart ON payments(tenant_id, cart_id);
)SQL",
       R"SQL(
CREATE INDEX payments_cart ON payments(tenant_id, cart_id);
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
