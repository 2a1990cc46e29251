#include "hours/shop_hours.hpp"

#include <boost/json/parse.hpp>

namespace bottega::hours {

namespace bj = boost::json;

namespace {
const store::Stmt kGetServiceSettings{"hours.get_service_settings",
                                      "SELECT settings FROM service_settings WHERE tenant_id = $1"};
}  // namespace

ShopHours from_stored_settings(std::string_view stored, const std::string& zoneinfo_dir) {
  ShopHours out;
  boost::system::error_code ec;
  auto v = bj::parse(stored, ec);
  if (ec || !v.is_object()) return out;
  const auto& o = v.as_object();
  auto* configured = o.if_contains("business_hours_configured");
  if (!configured || !configured->is_bool() || !configured->as_bool()) return out;
  auto* h = o.if_contains("business_hours");
  if (!h || !h->is_object()) return out;
  auto parsed = parse_business_hours(h->as_object(), "business_hours", zoneinfo_dir);
  if (!parsed) return out;
  out.hours = std::move(*parsed);
  out.configured = true;
  return out;
}

ShopHours shop_hours(store::Tx& tx, const std::string& tenant, const std::string& zoneinfo_dir) {
  auto r = tx.query_one(kGetServiceSettings, {tenant});
  if (!r) return {};
  return from_stored_settings(r->str(0), zoneinfo_dir);
}

}  // namespace bottega::hours
