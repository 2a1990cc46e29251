#include "commerce/profile.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/money.hpp"
#include "commerce/orders.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/model.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kContact{"contacts.get_profile",
                        "SELECT id, name, email, phone, created_at FROM contacts WHERE tenant_id = $1 AND id = $2"};
// Paid orders: anything that was paid (fulfilled and refunded ones too), not pending or cancelled.
constexpr Stmt kOrderStats{
    "orders.stats_of_contact",
    "SELECT currency, COUNT(*), SUM(total - refunded_amount) FROM orders WHERE tenant_id = $1 AND contact_id = $2 "
    "AND status IN ('paid','fulfilled','partially_refunded','refunded') GROUP BY currency ORDER BY currency"};
constexpr Stmt kOrderCount{
    "orders.count_of_contact",
    "SELECT COUNT(*) FROM orders WHERE tenant_id = $1 AND contact_id = $2 "
    "AND status IN ('paid','fulfilled','partially_refunded','refunded')"};
constexpr Stmt kLastOrder{
    "orders.last_of_contact",
    "SELECT id FROM orders WHERE tenant_id = $1 AND contact_id = $2 ORDER BY seq DESC LIMIT 1"};
constexpr Stmt kConversations{
    "conversations.of_contact",
    "SELECT c.id, c.channel_id, ch.type, c.status, c.last_message_at, c.last_message_text FROM conversations c "
    "JOIN channels ch ON ch.id = c.channel_id AND ch.tenant_id = c.tenant_id "
    "WHERE c.tenant_id = $1 AND c.contact_id = $2 ORDER BY c.last_message_at DESC LIMIT 20"};
// Products in other customers' orders that also hold a product this customer bought, by how many
// such orders; the customer's own products left out.
constexpr Stmt kBoughtTogether{
    "order_lines.bought_together",
    "SELECT l2.product_id, COUNT(DISTINCT l2.order_id) AS n FROM order_lines l1 "
    "JOIN order_lines l2 ON l2.tenant_id = l1.tenant_id AND l2.order_id = l1.order_id AND l2.product_id <> l1.product_id "
    "WHERE l1.tenant_id = $1 AND l1.product_id IN (SELECT ol.product_id FROM order_lines ol JOIN orders o "
    "ON o.tenant_id = ol.tenant_id AND o.id = ol.order_id WHERE o.tenant_id = $1 AND o.contact_id = $2) "
    "AND l2.product_id NOT IN (SELECT ol.product_id FROM order_lines ol JOIN orders o "
    "ON o.tenant_id = ol.tenant_id AND o.id = ol.order_id WHERE o.tenant_id = $1 AND o.contact_id = $2) "
    "GROUP BY l2.product_id ORDER BY n DESC, l2.product_id LIMIT 5"};
constexpr Stmt kGetSettingsDoc{"commerce_settings.get_doc", "SELECT settings FROM commerce_settings WHERE tenant_id = $1"};
constexpr Stmt kEnsure{
    "commerce_settings.ensure_rewards",
    "INSERT INTO commerce_settings(tenant_id, settings, updated_at) VALUES ($1, '{}', $2) ON CONFLICT (tenant_id) DO NOTHING"};
constexpr Stmt kPutDoc{"commerce_settings.put_doc",
                       "UPDATE commerce_settings SET settings = $2, updated_at = $3 WHERE tenant_id = $1"};

bj::object settings_doc(Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kGetSettingsDoc, {tenant});
  if (!r) return {};
  boost::system::error_code ec;
  auto v = bj::parse(r->str(0), ec);
  return !ec && v.is_object() ? v.as_object() : bj::object{};
}

}  // namespace

Result<std::vector<RewardRule>> parse_reward_rules(const bj::value& v) {
  if (!v.is_array()) return Error::invalid("reward_rules", "an array of rules", "invalid_type");
  std::vector<RewardRule> out;
  if (v.as_array().size() > 20) return Error::invalid("reward_rules", "at most 20 rules");
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    std::string path = "reward_rules[" + std::to_string(i) + "]";
    const auto& e = v.as_array()[i];
    if (!e.is_object()) return Error::invalid(path, "a rule is an object", "invalid_type");
    const auto& o = e.as_object();
    BOTTEGA_TRY_STATUS(
        json::only_keys(o, {"id", "name", "min_orders", "kind", "percent", "value", "currency", "valid_days"}, path));
    RewardRule r;
    BOTTEGA_TRY(id, json::required_string(o, "id", path + ".id", 64));
    BOTTEGA_TRY(name, json::optional_string(o, "name", path + ".name", 200));
    BOTTEGA_TRY(min, json::required_int(o, "min_orders", path + ".min_orders"));
    BOTTEGA_TRY(kind, json::required_string(o, "kind", path + ".kind", 32));
    BOTTEGA_TRY(days, json::optional_int(o, "valid_days", path + ".valid_days"));
    BOTTEGA_TRY(currency, json::optional_string(o, "currency", path + ".currency", 8));
    if (min < 1 || min > 100000) return Error::invalid(path + ".min_orders", "min_orders must be 1..100000");
    if (days && (*days < 1 || *days > 3650)) return Error::invalid(path + ".valid_days", "1..3650 days");
    r.id = id;
    r.name = name.value_or(id);
    r.min_orders = min;
    r.kind = kind;
    r.valid_days = days.value_or(30);
    if (currency) BOTTEGA_TRY_STATUS(check_currency(*currency, path + ".currency"));
    r.currency = currency;
    if (kind == "percentage") {
      BOTTEGA_TRY(p, json::required_string(o, "percent", path + ".percent", 16));
      BOTTEGA_TRY(bp, parse_percent(p, path + ".percent"));
      if (bp <= 0) return Error::invalid(path + ".percent", "a reward is more than 0 %");
      r.value = bp;
    } else if (kind == "fixed_amount") {
      BOTTEGA_TRY(val, json::required_int(o, "value", path + ".value"));
      if (val <= 0 || val > kMaxAmount) return Error::invalid(path + ".value", "a positive amount in minor units");
      if (!currency) return Error::invalid(path + ".currency", "a fixed amount needs its currency", "missing_field");
      r.value = val;
    } else if (kind != "free_shipping") {
      return Error::invalid(path + ".kind", "percentage, fixed_amount or free_shipping");
    }
    for (const auto& other : out)
      if (other.id == r.id) return Error::invalid(path + ".id", "duplicate rule id");
    out.push_back(std::move(r));
  }
  return out;
}

bj::array to_json(const std::vector<RewardRule>& rules) {
  bj::array a;
  for (const auto& r : rules) {
    bj::object o{{"id", r.id}, {"name", r.name}, {"min_orders", r.min_orders}, {"kind", r.kind}, {"valid_days", r.valid_days}};
    if (r.kind == "percentage") o["percent"] = format_amount(r.value, "EUR");
    if (r.kind == "fixed_amount") o["value"] = r.value;
    o["currency"] = r.currency ? bj::value(*r.currency) : bj::value(nullptr);
    a.push_back(std::move(o));
  }
  return a;
}

std::vector<RewardRule> get_reward_rules(Tx& tx, const std::string& tenant) {
  auto doc = settings_doc(tx, tenant);
  auto* v = doc.if_contains("reward_rules");
  if (!v) return {};
  auto r = parse_reward_rules(*v);
  return r.ok() ? *r : std::vector<RewardRule>{};
}

void put_reward_rules(Tx& tx, const std::string& tenant, const std::vector<RewardRule>& rules, int64_t now) {
  tx.exec(kEnsure, {tenant, now});
  auto doc = settings_doc(tx, tenant);
  doc["reward_rules"] = to_json(rules);
  tx.exec(kPutDoc, {tenant, bj::serialize(doc), now});
}

Result<bj::object> customer_profile(Tx& tx, const std::string& tenant, const std::string& contact_id, int64_t now) {
  auto c = tx.query_one(kContact, {tenant, contact_id});
  if (!c) return Error::not_found("contact");
  int64_t paid_orders = tx.query_one(kOrderCount, {tenant, contact_id})->i64(0);
  bj::object ltv;
  for (const auto& r : tx.query(kOrderStats, {tenant, contact_id})) ltv[r.str(0)] = r.i64(2);
  bj::value last = nullptr;
  if (auto r = tx.query_one(kLastOrder, {tenant, contact_id}))
    if (auto o = get_order(tx, tenant, r->str(0)))
      last = bj::object{{"id", o->id},         {"number", o->number}, {"status", o->status},
                        {"total", o->total},   {"currency", o->currency}, {"created_at", rfc3339(o->created_at)}};
  bj::array carts;
  for (const auto& cart : open_carts(tx, tenant, contact_id)) {
    auto t = price_cart(tx, tenant, cart.id, now);
    int64_t units = 0;
    for (const auto& i : cart.items) units += i.quantity;
    carts.push_back(bj::object{{"id", cart.id},
                               {"conversation_id", cart.conversation_id ? bj::value(*cart.conversation_id) : bj::value(nullptr)},
                               {"currency", cart.currency},
                               {"items", units},
                               {"total", t ? bj::value(t->total) : bj::value(nullptr)},
                               {"updated_at", rfc3339(cart.updated_at)}});
  }
  bj::array conversations;
  for (const auto& r : tx.query(kConversations, {tenant, contact_id}))
    conversations.push_back(bj::object{{"id", r.str(0)},
                                       {"channel_id", r.str(1)},
                                       {"channel_type", r.str(2)},
                                       {"status", r.str(3)},
                                       {"last_message_at", rfc3339(r.i64(4))},
                                       {"last_message_text", r.is_null(5) ? bj::value(nullptr) : bj::value(r.str(5))}});
  bj::array suggestions;
  for (const auto& r : tx.query(kBoughtTogether, {tenant, contact_id})) {
    auto p = get_product(tx, tenant, r.str(0));
    if (!p || p->status != "active") continue;
    suggestions.push_back(bj::object{{"product_id", p->id},
                                     {"title", p->text().title},
                                     {"sku", p->variants.empty() ? "" : p->variants.front().sku},
                                     {"orders_together", r.i64(1)}});
  }
  bj::array rewards;
  for (const auto& rule : get_reward_rules(tx, tenant))
    rewards.push_back(bj::object{{"rule_id", rule.id},
                                 {"name", rule.name},
                                 {"min_orders", rule.min_orders},
                                 {"eligible", paid_orders >= rule.min_orders}});
  return bj::object{{"contact", bj::object{{"id", c->str(0)},
                                           {"name", c->str(1)},
                                           {"email", c->is_null(2) ? bj::value(nullptr) : bj::value(c->str(2))},
                                           {"phone", c->is_null(3) ? bj::value(nullptr) : bj::value(c->str(3))},
                                           {"created_at", rfc3339(c->i64(4))}}},
                    {"customer", paid_orders > 0 ? "returning" : "new"},
                    {"order_count", paid_orders},
                    {"lifetime_value", std::move(ltv)},
                    {"last_order", std::move(last)},
                    {"open_carts", std::move(carts)},
                    {"conversations", std::move(conversations)},
                    {"bought_together", std::move(suggestions)},
                    {"rewards", std::move(rewards)}};
}

Result<Discount> issue_reward(Tx& tx, IdGenerator& ids, const std::string& tenant, const std::string& contact_id,
                              const std::string& rule_id, int64_t now) {
  if (!tx.query_one(kContact, {tenant, contact_id})) return Error::not_found("contact");
  auto rules = get_reward_rules(tx, tenant);
  auto it = std::find_if(rules.begin(), rules.end(), [&](const RewardRule& r) { return r.id == rule_id; });
  if (it == rules.end()) return Error::invalid("rule_id", "no reward rule " + rule_id.substr(0, 64), "unknown_rule");
  int64_t paid = tx.query_one(kOrderCount, {tenant, contact_id})->i64(0);
  if (paid < it->min_orders)
    return Error::conflict("not_eligible", "the customer has " + std::to_string(paid) + " paid orders; the rule needs " +
                                               std::to_string(it->min_orders));
  Discount d;
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string rnd = crypto::random_bytes(8);
  d.code = "REWARD-";
  for (unsigned char b : rnd) d.code += kAlphabet[b % 32];
  d.kind = it->kind;
  d.value = it->value;
  d.currency = it->currency;
  d.starts_at = now;
  d.ends_at = now + it->valid_days * 24LL * 3600 * 1000;
  d.usage_limit = 1;
  d.per_customer_limit = 1;
  return create_discount(tx, ids, tenant, d, now);
}

}  // namespace bottega::commerce
