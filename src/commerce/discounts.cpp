#include "commerce/discounts.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <ctime>

#include "commerce/money.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/model.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

constexpr Stmt kInsert{
    "discounts.insert",
    "INSERT INTO discounts(id, tenant_id, code, kind, value, currency, starts_at, ends_at, usage_limit, "
    "per_customer_limit, minimum_subtotal, product_ids, collections, batch_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"};
constexpr Stmt kByCode{
    "discounts.by_code",
    "SELECT seq, id, tenant_id, code, kind, value, currency, starts_at, ends_at, usage_limit, per_customer_limit, "
    "minimum_subtotal, product_ids, collections, batch_id, used_count, created_at FROM discounts "
    "WHERE tenant_id = $1 AND code = $2"};
constexpr Stmt kById{
    "discounts.by_id",
    "SELECT seq, id, tenant_id, code, kind, value, currency, starts_at, ends_at, usage_limit, per_customer_limit, "
    "minimum_subtotal, product_ids, collections, batch_id, used_count, created_at FROM discounts "
    "WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kList{
    "discounts.list",
    "SELECT seq, id, tenant_id, code, kind, value, currency, starts_at, ends_at, usage_limit, per_customer_limit, "
    "minimum_subtotal, product_ids, collections, batch_id, used_count, created_at FROM discounts "
    "WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
constexpr Stmt kCustomerUses{
    "discount_redemptions.count_customer",
    "SELECT COUNT(*) FROM discount_redemptions WHERE tenant_id = $1 AND discount_id = $2 AND contact_id = $3"};
constexpr Stmt kRedeem{
    "discount_redemptions.insert",
    "INSERT INTO discount_redemptions(tenant_id, discount_id, order_id, contact_id, created_at) VALUES ($1, $2, $3, $4, $5)"};
constexpr Stmt kCountUse{"discounts.count_use",
                         "UPDATE discounts SET used_count = used_count + 1 WHERE tenant_id = $1 AND id = $2"};

std::vector<std::string> strings_of(const std::string& s) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = bj::parse(s, ec);
  if (!ec && v.is_array())
    for (const auto& x : v.as_array())
      if (x.is_string()) out.emplace_back(x.as_string());
  return out;
}
std::string strings_json(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return bj::serialize(a);
}
Value opt(const std::optional<int64_t>& v) {
  if (v) return *v;
  return nullptr;
}
Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return nullptr;
}

Discount from_row(const store::Row& r) {
  Discount d;
  d.id = r.str(1);
  d.tenant_id = r.str(2);
  d.code = r.str(3);
  d.kind = r.str(4);
  d.value = r.i64(5);
  d.currency = r.opt_str(6);
  d.starts_at = r.opt_i64(7);
  d.ends_at = r.opt_i64(8);
  d.usage_limit = r.opt_i64(9);
  d.per_customer_limit = r.opt_i64(10);
  d.minimum_subtotal = r.opt_i64(11);
  d.product_ids = strings_of(r.str(12));
  d.collections = strings_of(r.str(13));
  d.batch_id = r.opt_str(14);
  d.used_count = r.i64(15);
  d.created_at = r.i64(16);
  return d;
}

Result<std::optional<int64_t>> positive(const bj::object& o, const char* key, int64_t min) {
  BOTTEGA_TRY(v, json::optional_int(o, key));
  if (v && (*v < min || *v > kMaxAmount)) return Error::invalid(key, std::string(key) + " must be >= " + std::to_string(min));
  return v;
}

}  // namespace

// RFC 3339 ("2026-11-22T08:00:00Z", optional fraction, Z or +hh:mm) or epoch milliseconds.
Result<std::optional<int64_t>> time_field(const bj::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<int64_t>{};
  if (it->value().is_int64()) return std::optional<int64_t>(it->value().as_int64());
  if (!it->value().is_string()) return Error::invalid(key, "an RFC 3339 time or epoch milliseconds", "invalid_type");
  std::string s(it->value().as_string());
  std::tm tm{};
  int y, mo, d, h, mi, sec, n = 0;
  if (s.size() < 20 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
    return Error::invalid(key, "an RFC 3339 time such as 2026-12-01T00:00:00Z");
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return Error::invalid(key, "an RFC 3339 time such as 2026-12-01T00:00:00Z");
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    int64_t frac = 0, digits = 0;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
      if (digits < 3) frac = frac * 10 + (s[i] - '0'), ++digits;
    while (digits < 3) frac *= 10, ++digits;
    ms += frac;
  }
  std::string zone = s.substr(i);
  if (zone == "Z" || zone == "z") return std::optional<int64_t>(ms);
  int zh, zm;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) == 2) {
    int64_t off = (zh * 60 + zm) * 60000LL;
    return std::optional<int64_t>(zone[0] == '+' ? ms - off : ms + off);
  }
  return Error::invalid(key, "an RFC 3339 time with a zone (Z or +01:00)");
}

std::optional<std::string> normalize_code(const std::string& code) {
  size_t b = code.find_first_not_of(" \t"), e = code.find_last_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  std::string c = code.substr(b, e - b + 1);
  if (c.size() > 64) return std::nullopt;
  for (char& ch : c) {
    if (static_cast<unsigned char>(ch) <= ' ') return std::nullopt;
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return c;
}

bool in_scope(const Discount& d, const DiscountLine& line) {
  if (d.product_ids.empty() && d.collections.empty()) return true;
  if (std::find(d.product_ids.begin(), d.product_ids.end(), line.product_id) != d.product_ids.end()) return true;
  for (const auto& c : line.collections)
    if (std::find(d.collections.begin(), d.collections.end(), c) != d.collections.end()) return true;
  return false;
}

std::optional<Refusal> check_discount(const Discount& d, const DiscountContext& ctx) {
  if (d.starts_at && ctx.now < *d.starts_at)
    return Refusal{"not_started", "code " + d.code + " is valid from " + rfc3339(*d.starts_at)};
  if (d.ends_at && ctx.now >= *d.ends_at) return Refusal{"expired", "code " + d.code + " expired on " + rfc3339(*d.ends_at)};
  if (d.usage_limit && d.used_count >= *d.usage_limit)
    return Refusal{"usage_limit_reached", "code " + d.code + " has been used the maximum number of times"};
  if (d.per_customer_limit && ctx.customer_uses >= *d.per_customer_limit)
    return Refusal{"already_used_by_customer", "this customer has already used code " + d.code};
  if (d.currency && *d.currency != ctx.currency && (d.kind == "fixed_amount" || d.minimum_subtotal))
    return Refusal{"currency_mismatch", "code " + d.code + " is for " + *d.currency + " carts, this cart is in " + ctx.currency};
  int64_t subtotal = 0;
  bool any = false;
  for (const auto& l : ctx.lines) {
    subtotal += l.subtotal;
    any = any || in_scope(d, l);
  }
  if (!any) return Refusal{"not_applicable_to_products", "code " + d.code + " does not apply to the products in this cart"};
  if (d.minimum_subtotal && subtotal < *d.minimum_subtotal)
    return Refusal{"minimum_not_reached", "code " + d.code + " needs a subtotal of at least " +
                                              format_amount(*d.minimum_subtotal, ctx.currency) + " " + ctx.currency};
  return std::nullopt;
}

int64_t discount_amount(const Discount& d, const DiscountContext& ctx) {
  int64_t eligible = 0;
  for (const auto& l : ctx.lines)
    if (in_scope(d, l)) eligible += l.subtotal;
  if (d.kind == "percentage") {
    auto v = percent_of(eligible, d.value);
    return v ? std::min(*v, eligible) : 0;
  }
  if (d.kind == "fixed_amount") return std::min(d.value, eligible);
  return 0;
}

Result<Discount> parse_discount(const bj::object& o, bool batch) {
  // A batch of unique codes has a prefix and a count; a single code its code.
  BOTTEGA_TRY_STATUS(batch ? json::only_keys(o, {"prefix", "count", "kind", "value", "percent", "currency", "starts_at",
                                                 "ends_at", "usage_limit", "per_customer_limit", "minimum_subtotal",
                                                 "product_ids", "collections"})
                           : json::only_keys(o, {"code", "kind", "value", "percent", "currency", "starts_at", "ends_at",
                                                 "usage_limit", "per_customer_limit", "minimum_subtotal", "product_ids",
                                                 "collections"}));
  Discount d;
  if (!batch) {
    BOTTEGA_TRY(code, json::required_string(o, "code", {}, 64));
    auto c = normalize_code(code);
    if (!c) return Error::invalid("code", "a code is 1..64 characters without spaces");
    d.code = *c;
  }
  BOTTEGA_TRY(kind, json::required_string(o, "kind", {}, 32));
  if (kind != "percentage" && kind != "fixed_amount" && kind != "free_shipping")
    return Error::invalid("kind", "kind must be percentage, fixed_amount or free_shipping");
  d.kind = kind;
  BOTTEGA_TRY(currency, json::optional_string(o, "currency", {}, 8));
  if (currency) BOTTEGA_TRY_STATUS(check_currency(*currency, "currency"));
  d.currency = currency;
  if (kind == "percentage") {
    BOTTEGA_TRY(percent, json::optional_string(o, "percent", {}, 16));
    BOTTEGA_TRY(value, json::optional_int(o, "value"));
    if (percent) {
      BOTTEGA_TRY(bp, parse_percent(*percent, "percent"));
      d.value = bp;
    } else if (value) {
      d.value = *value;
    } else {
      return Error::invalid("percent", "a percentage discount needs percent (\"10\", \"12.5\") or value in basis points",
                            "missing_field");
    }
    if (d.value <= 0 || d.value > kBasisPoints) return Error::invalid(percent ? "percent" : "value", "a percentage is over 0 and at most 100 %");
  } else if (kind == "fixed_amount") {
    BOTTEGA_TRY(value, json::required_int(o, "value"));
    if (value <= 0 || value > kMaxAmount) return Error::invalid("value", "a fixed amount is a positive integer in minor units");
    if (!currency) return Error::invalid("currency", "a fixed amount needs its currency", "missing_field");
    d.value = value;
  } else if (o.contains("value") || o.contains("percent")) {
    return Error::invalid(o.contains("value") ? "value" : "percent", "free_shipping takes no value");
  }
  BOTTEGA_TRY(starts, time_field(o, "starts_at"));
  BOTTEGA_TRY(ends, time_field(o, "ends_at"));
  if (starts && ends && *ends <= *starts) return Error::invalid("ends_at", "ends_at must be after starts_at");
  d.starts_at = starts;
  d.ends_at = ends;
  BOTTEGA_TRY(ul, positive(o, "usage_limit", 1));
  BOTTEGA_TRY(pcl, positive(o, "per_customer_limit", 1));
  BOTTEGA_TRY(min, positive(o, "minimum_subtotal", 0));
  if (min && !currency) return Error::invalid("currency", "a minimum subtotal needs its currency", "missing_field");
  d.usage_limit = ul;
  d.per_customer_limit = pcl;
  d.minimum_subtotal = min;
  for (const char* key : {"product_ids", "collections"}) {
    BOTTEGA_TRY(arr, json::optional_array(o, key));
    if (!arr) continue;
    if (arr->size() > 500) return Error::invalid(key, "at most 500 entries");
    auto& out = std::string_view(key) == "product_ids" ? d.product_ids : d.collections;
    for (size_t i = 0; i < arr->size(); ++i) {
      if (!(*arr)[i].is_string() || (*arr)[i].as_string().empty() || (*arr)[i].as_string().size() > 128)
        return Error::invalid(std::string(key) + "[" + std::to_string(i) + "]", "a non-empty string", "invalid_type");
      out.emplace_back((*arr)[i].as_string());
    }
  }
  return d;
}

bj::object to_json(const Discount& d) {
  auto opt_i = [](const std::optional<int64_t>& v) { return v ? bj::value(*v) : bj::value(nullptr); };
  auto opt_t = [](const std::optional<int64_t>& v) { return v ? bj::value(rfc3339(*v)) : bj::value(nullptr); };
  bj::array products, collections;
  for (const auto& p : d.product_ids) products.emplace_back(p);
  for (const auto& c : d.collections) collections.emplace_back(c);
  return bj::object{{"id", d.id},
                    {"code", d.code},
                    {"kind", d.kind},
                    {"value", d.value},
                    {"currency", d.currency ? bj::value(*d.currency) : bj::value(nullptr)},
                    {"starts_at", opt_t(d.starts_at)},
                    {"ends_at", opt_t(d.ends_at)},
                    {"usage_limit", opt_i(d.usage_limit)},
                    {"per_customer_limit", opt_i(d.per_customer_limit)},
                    {"minimum_subtotal", opt_i(d.minimum_subtotal)},
                    {"product_ids", std::move(products)},
                    {"collections", std::move(collections)},
                    {"batch_id", d.batch_id ? bj::value(*d.batch_id) : bj::value(nullptr)},
                    {"used_count", d.used_count},
                    {"created_at", rfc3339(d.created_at)}};
}

Result<Discount> create_discount(Tx& tx, IdGenerator& ids, const std::string& tenant, Discount d, int64_t now) {
  auto c = normalize_code(d.code);
  if (!c) return Error::invalid("code", "a code is 1..64 characters without spaces");
  d.code = *c;
  if (tx.query_one(kByCode, {tenant, d.code})) return Error{Errc::conflict, "code_taken", "code " + d.code + " exists", "code"};
  d.id = ids.next("dsc");
  d.tenant_id = tenant;
  d.created_at = now;
  d.used_count = 0;
  tx.exec(kInsert, {d.id, tenant, d.code, d.kind, d.value, opt(d.currency), opt(d.starts_at), opt(d.ends_at),
                    opt(d.usage_limit), opt(d.per_customer_limit), opt(d.minimum_subtotal), strings_json(d.product_ids),
                    strings_json(d.collections), opt(d.batch_id), now});
  return d;
}

Result<std::vector<Discount>> create_discount_batch(Tx& tx, IdGenerator& ids, const std::string& tenant,
                                                   const Discount& tmpl, const std::string& prefix, int64_t count,
                                                   int64_t now) {
  if (count < 1 || count > 1000) return Error::invalid("count", "count must be 1..1000");
  auto p = normalize_code(prefix);
  if (!p || p->size() > 32) return Error::invalid("prefix", "a prefix is 1..32 characters without spaces");
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // no 0/O, 1/I
  std::string batch = ids.next("dsb");
  std::vector<Discount> out;
  for (int64_t i = 0; i < count;) {
    std::string rnd = crypto::random_bytes(8), code = *p + "-";
    for (unsigned char b : rnd) code += kAlphabet[b % 32];
    if (tx.query_one(kByCode, {tenant, code})) continue;  // astronomically rare: draw again
    Discount d = tmpl;
    d.code = code;
    d.usage_limit = 1;
    d.per_customer_limit = 1;
    d.batch_id = batch;
    BOTTEGA_TRY(created, create_discount(tx, ids, tenant, d, now));
    out.push_back(std::move(created));
    ++i;
  }
  return out;
}

std::optional<Discount> find_discount(Tx& tx, const std::string& tenant, const std::string& code) {
  auto c = normalize_code(code);
  if (!c) return std::nullopt;
  auto r = tx.query_one(kByCode, {tenant, *c});
  if (!r) return std::nullopt;
  return from_row(*r);
}

std::optional<Discount> get_discount(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kById, {tenant, id});
  if (!r) return std::nullopt;
  return from_row(*r);
}

std::vector<Discount> list_discounts(Tx& tx, const std::string& tenant, int64_t after_seq, int64_t limit,
                                     int64_t* last_seq) {
  std::vector<Discount> out;
  for (const auto& r : tx.query(kList, {tenant, after_seq, limit})) {
    out.push_back(from_row(r));
    if (last_seq) *last_seq = r.i64(0);
  }
  return out;
}

int64_t customer_redemptions(Tx& tx, const std::string& tenant, const std::string& discount_id,
                             const std::string& contact_id) {
  return tx.query_one(kCustomerUses, {tenant, discount_id, contact_id})->i64(0);
}

void redeem_discount(Tx& tx, const std::string& tenant, const std::string& discount_id, const std::string& order_id,
                     const std::string& contact_id, int64_t now) {
  tx.exec(kRedeem, {tenant, discount_id, order_id, contact_id, now});
  tx.exec(kCountUse, {tenant, discount_id});
}

}  // namespace bottega::commerce
