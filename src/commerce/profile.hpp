// The customer beside a conversation: new or returning, orders and lifetime value per currency,
// the last order, open carts, the contact's conversations on every channel, products often bought
// together with what the customer bought, and the reward rules the customer qualifies for.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/store.hpp"
#include "commerce/discounts.hpp"

namespace bottega::commerce {

using store::Tx;

// A reward rule (commerce settings "reward_rules"): a customer with at least `min_orders` paid
// orders may be given a personal single-use code with this discount.
struct RewardRule {
  std::string id, name;
  int64_t min_orders = 3;
  std::string kind = "percentage";  // percentage (value in basis points) | fixed_amount | free_shipping
  int64_t value = 0;
  std::optional<std::string> currency;
  int64_t valid_days = 30;
};
std::vector<RewardRule> get_reward_rules(Tx& tx, const std::string& tenant);
void put_reward_rules(Tx& tx, const std::string& tenant, const std::vector<RewardRule>& rules, int64_t now);
Result<std::vector<RewardRule>> parse_reward_rules(const boost::json::value& v);
boost::json::array to_json(const std::vector<RewardRule>& rules);

// GET /api/v1/contacts/{id}/profile. Not found for another tenant's contact.
Result<boost::json::object> customer_profile(Tx& tx, const std::string& tenant, const std::string& contact_id,
                                             int64_t now);

// Gives the contact a personal single-use code for `rule_id` (valid `valid_days`). Errors:
// unknown rule (400 field rule_id), 409 not_eligible (too few orders), not found (contact).
Result<Discount> issue_reward(Tx& tx, IdGenerator& ids, const std::string& tenant, const std::string& contact_id,
                              const std::string& rule_id, int64_t now);

}  // namespace bottega::commerce
