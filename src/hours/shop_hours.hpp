// The shop's business hours as stored: set with PATCH /api/v1/service/settings and kept by the
// service area in service_settings (the "business_hours" section, in force once
// "business_hours_configured"). The bot's expected wait and the service's SLA clock read them here,
// so both follow the same IANA zone, days and holidays.
#pragma once

#include <string>
#include <string_view>

#include "bottega/store.hpp"
#include "hours/hours.hpp"

namespace bottega::hours {

struct ShopHours {
  BusinessHours hours;      // the default (Monday-Friday 09:00-18:00 UTC) when not configured
  bool configured = false;
};

// From the stored settings document; a document or section that no longer parses (e.g. a zone
// removed from the system) gives the defaults.
ShopHours from_stored_settings(std::string_view stored, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
// The tenant's hours (defaults when the shop has set none).
ShopHours shop_hours(store::Tx& tx, const std::string& tenant, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

}  // namespace bottega::hours
