#include "commerce/catalog.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <set>

#include "commerce/money.hpp"
#include "core/json.hpp"
#include "core/model.hpp"

namespace bottega::commerce {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

constexpr Stmt kInsertProduct{
    "products.insert",
    "INSERT INTO products(id, tenant_id, handle, status, vendor, translations, images, collections, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq"};
constexpr Stmt kUpdateProduct{
    "products.update",
    "UPDATE products SET handle = $3, status = $4, vendor = $5, translations = $6, images = $7, collections = $8, "
    "updated_at = $9 WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kSelectProduct{
    "products.get",
    "SELECT seq, id, tenant_id, handle, status, vendor, translations, images, collections, created_at, updated_at "
    "FROM products WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kProductByHandle{"products.by_handle",
                                "SELECT id FROM products WHERE tenant_id = $1 AND handle = $2"};
constexpr Stmt kSelectVariants{
    "product_variants.of_product",
    "SELECT id, product_id, sku, title, prices, stock, image_url, position FROM product_variants "
    "WHERE tenant_id = $1 AND product_id = $2 ORDER BY position, seq"};
constexpr Stmt kInsertVariant{
    "product_variants.insert",
    "INSERT INTO product_variants(id, tenant_id, product_id, sku, title, prices, stock, image_url, position, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"};
constexpr Stmt kUpdateVariant{
    "product_variants.update",
    "UPDATE product_variants SET title = $3, prices = $4, stock = $5, image_url = $6, position = $7, updated_at = $8 "
    "WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kVariantBySku{"product_variants.by_sku",
                             "SELECT product_id, id FROM product_variants WHERE tenant_id = $1 AND sku = $2"};
constexpr Stmt kVariantById{"product_variants.by_id",
                            "SELECT product_id, id FROM product_variants WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kFtsDelete{"product_search.delete", "DELETE FROM product_search_fts WHERE rowid = $1",
                          "DELETE FROM product_search_fts WHERE seq = $1"};
constexpr Stmt kFtsInsert{"product_search.insert",
                          "INSERT INTO product_search_fts(rowid, tenant_id, product_id, body) VALUES ($1, $2, $3, $4)",
                          "INSERT INTO product_search_fts(seq, tenant_id, product_id, body) VALUES ($1, $2, $3, $4)"};
// $2 is the full-text query: FTS5's expression on SQLite (sqlite_match), PostgreSQL's tsquery
// ("red:* & shirt:*", search_expression). Terms hold only letters and digits (search_terms).
// Relevance is computed for a bounded set of candidates: the tenant's newest kSearchCandidates
// matches (the full-text index walks its matches in document order and stops there), scored in
// C++ (rank_candidates), then limited. Ranking every match was the cost: a one-word query over
// 100,000 products matches thousands; and FTS5's bm25() also scans every matching document of
// each term for its IDF, which for a common word ("vendor*", "model*") is the whole catalog
// (bench/RESULTS.md, issue 4). A query with more matches than that ranks only the newest of them:
// more words narrow it. Both stores return the same candidates and rank them the same way.
constexpr int64_t kSearchCandidates = 400;
// PostgreSQL folds accents as its index does (commerce migration 11: the same letters).
#define PG_FOLD(x) "translate(" x ", 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy')"
constexpr Stmt kSearch{
    "products.search",
    "SELECT p.id, p.seq, c.body FROM ("
    "  SELECT rowid AS seq, body FROM product_search_fts "
    "  WHERE product_search_fts MATCH $2 AND tenant_id = $1 "
    "  ORDER BY rowid DESC LIMIT $4) c "
    "JOIN products p ON p.seq = c.seq "
    "WHERE p.tenant_id = $1 AND ($3 = 'any' OR p.status = $3)",
    "SELECT p.id, p.seq, c.body FROM ("
    "  SELECT f.seq, f.body FROM product_search_fts f "
    "  WHERE f.doc @@ to_tsquery('simple', " PG_FOLD("$2") ") AND f.tenant_id = $1 ORDER BY f.seq DESC LIMIT $4) c "
    "JOIN products p ON p.seq = c.seq "
    "WHERE p.tenant_id = $1 AND ($3 = 'any' OR p.status = $3)"};
#undef PG_FOLD
// SQLite only: the first term of the full-text index in [$1, $2). The fts5vocab 'instance' table
// seeks to it (its 'row' table would count every document of each term it passes).
constexpr Stmt kIndexTermFrom{"product_search.term_from",
                              "SELECT term FROM product_search_fts_vocab WHERE term >= $1 AND term < $2 LIMIT 1"};
// Which store this is: the search's best form differs by more than its SQL text (sqlite_match).
constexpr Stmt kDialect{"store.dialect", "SELECT 'sqlite'", "SELECT 'postgresql'"};
constexpr Stmt kBrowse{
    "products.browse",
    "SELECT id, seq FROM products WHERE tenant_id = $1 AND ($2 = 'any' OR status = $2) AND seq > $3 "
    "ORDER BY seq LIMIT $4"};

Value opt(const std::optional<int64_t>& v) {
  if (v) return *v;
  return nullptr;
}
Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return nullptr;
}

bj::value parse_col(const std::string& s) {
  boost::system::error_code ec;
  auto v = bj::parse(s, ec);
  return ec ? bj::value() : v;
}

std::string translations_json(const std::map<std::string, LocalizedText>& t) {
  bj::object o;
  for (const auto& [lang, x] : t) o[lang] = bj::object{{"title", x.title}, {"description", x.description}};
  return bj::serialize(o);
}
std::string images_json(const std::vector<Image>& v) {
  bj::array a;
  for (const auto& i : v) a.push_back(bj::object{{"url", i.url}, {"alt", i.alt}});
  return bj::serialize(a);
}
std::string strings_json(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return bj::serialize(a);
}
std::string prices_json(const std::map<std::string, int64_t>& p) {
  bj::object o;
  for (const auto& [c, a] : p) o[c] = a;
  return bj::serialize(o);
}

Product product_from(const store::Row& r) {
  Product p;
  p.seq = r.i64(0);
  p.id = r.str(1);
  p.tenant_id = r.str(2);
  p.handle = r.str(3);
  p.status = r.str(4);
  p.vendor = r.str(5);
  if (auto t = parse_col(r.str(6)); t.is_object())
    for (const auto& kv : t.as_object()) {
      if (!kv.value().is_object()) continue;
      LocalizedText lt;
      if (auto* s = kv.value().as_object().if_contains("title"); s && s->is_string()) lt.title = s->as_string();
      if (auto* s = kv.value().as_object().if_contains("description"); s && s->is_string()) lt.description = s->as_string();
      p.translations[std::string(kv.key())] = std::move(lt);
    }
  if (auto a = parse_col(r.str(7)); a.is_array())
    for (const auto& i : a.as_array())
      if (i.is_object()) {
        Image im;
        if (auto* s = i.as_object().if_contains("url"); s && s->is_string()) im.url = s->as_string();
        if (auto* s = i.as_object().if_contains("alt"); s && s->is_string()) im.alt = s->as_string();
        p.images.push_back(std::move(im));
      }
  if (auto a = parse_col(r.str(8)); a.is_array())
    for (const auto& i : a.as_array())
      if (i.is_string()) p.collections.emplace_back(i.as_string());
  p.created_at = r.i64(9);
  p.updated_at = r.i64(10);
  return p;
}

Variant variant_from(const store::Row& r) {
  Variant v;
  v.id = r.str(0);
  v.product_id = r.str(1);
  v.sku = r.str(2);
  v.title = r.str(3);
  if (auto o = parse_col(r.str(4)); o.is_object())
    for (const auto& kv : o.as_object())
      if (kv.value().is_int64()) v.prices[std::string(kv.key())] = kv.value().as_int64();
  v.stock = r.opt_i64(5);
  v.image_url = r.opt_str(6);
  v.position = r.i64(7);
  return v;
}

std::string search_body(const Product& p) {
  std::string b = p.handle + " " + p.vendor;
  for (const auto& [lang, t] : p.translations) b += " " + t.title + " " + t.description;
  for (const auto& v : p.variants) b += " " + v.sku + " " + v.title;
  for (const auto& c : p.collections) b += " " + c;
  return b;
}

// Writes the product row, its variants (new ones get ids) and its search document.
void save(Tx& tx, IdGenerator& ids, Product& p, bool is_new) {
  if (is_new) {
    p.seq = tx.query_one(kInsertProduct, {p.id, p.tenant_id, p.handle, p.status, p.vendor, translations_json(p.translations),
                                          images_json(p.images), strings_json(p.collections), p.created_at, p.updated_at})
                ->i64(0);
  } else {
    tx.exec(kUpdateProduct, {p.tenant_id, p.id, p.handle, p.status, p.vendor, translations_json(p.translations),
                             images_json(p.images), strings_json(p.collections), p.updated_at});
  }
  for (size_t i = 0; i < p.variants.size(); ++i) {
    auto& v = p.variants[i];
    v.position = static_cast<int64_t>(i);
    v.product_id = p.id;
    if (v.id.empty()) {
      v.id = ids.next("var");
      tx.exec(kInsertVariant, {v.id, p.tenant_id, p.id, v.sku, v.title, prices_json(v.prices), opt(v.stock), opt(v.image_url),
                               v.position, p.updated_at});
    } else {
      tx.exec(kUpdateVariant, {p.tenant_id, v.id, v.title, prices_json(v.prices), opt(v.stock), opt(v.image_url), v.position, p.updated_at});
    }
  }
  if (!is_new) tx.exec(kFtsDelete, {p.seq});
  tx.exec(kFtsInsert, {p.seq, p.tenant_id, p.id, search_body(p)});
}

bool valid_language(const std::string& l) {
  auto alpha = [](char c) { return c >= 'a' && c <= 'z'; };
  if (l.size() == 2 || l.size() == 3) return std::all_of(l.begin(), l.end(), alpha);
  if (l.size() == 5 && l[2] == '-')
    return alpha(l[0]) && alpha(l[1]) && std::isupper(static_cast<unsigned char>(l[3])) &&
           std::isupper(static_cast<unsigned char>(l[4]));
  return false;
}

bool valid_token(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

std::string derive_handle(const ProductInput& in) {
  std::string h = in.variants.empty() ? "product" : in.variants.front().sku;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

// "title": {"en": "..."} or a plain string (English).
Status parse_texts(const bj::object& o, const char* key, std::map<std::string, LocalizedText>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return {};
  bool title = std::string_view(key) == "title";
  auto set = [&](const std::string& lang, std::string text) {
    auto& t = out[lang];
    (title ? t.title : t.description) = std::move(text);
  };
  size_t max = title ? 500 : 20000;
  if (it->value().is_string()) {
    if (it->value().as_string().size() > max) return Error::invalid(key, "too long");
    set("en", std::string(it->value().as_string()));
    return {};
  }
  if (!it->value().is_object())
    return Error::invalid(key, std::string(key) + " is an object of language -> text, e.g. {\"en\":\"...\"}", "invalid_type");
  for (const auto& kv : it->value().as_object()) {
    std::string lang(kv.key()), path = std::string(key) + "." + lang;
    if (!valid_language(lang)) return Error::invalid(path, "a language code such as en, it, de, nl or pt-BR");
    if (!kv.value().is_string()) return Error::invalid(path, "a string", "invalid_type");
    if (kv.value().as_string().size() > max) return Error::invalid(path, "too long");
    set(lang, std::string(kv.value().as_string()));
  }
  return {};
}

Result<Variant> parse_variant(const bj::object& o, const std::string& path) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"sku", "title", "prices", "stock", "image_url", "id"}, path));
  Variant v;
  BOTTEGA_TRY(sku, json::required_string(o, "sku", path + ".sku", 64));
  v.sku = std::move(sku);
  BOTTEGA_TRY(title, json::optional_string(o, "title", path + ".title", 500));
  v.title = title.value_or("");
  BOTTEGA_TRY(prices, json::optional_object(o, "prices", path + ".prices"));
  if (prices)
    for (const auto& kv : *prices) {
      std::string cur(kv.key()), p = path + ".prices." + cur;
      BOTTEGA_TRY_STATUS(check_currency(cur, p));
      if (!kv.value().is_int64()) return Error::invalid(p, "a price is an integer in minor units", "invalid_type");
      v.prices[cur] = kv.value().as_int64();
    }
  if (auto it = o.find("stock"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_int64()) return Error::invalid(path + ".stock", "stock is an integer or null (not tracked)", "invalid_type");
    v.stock = it->value().as_int64();
  }
  BOTTEGA_TRY(img, json::optional_string(o, "image_url", path + ".image_url", 2048));
  v.image_url = img;
  return v;
}

Result<std::vector<Image>> parse_images(const bj::array& a) {
  std::vector<Image> out;
  if (a.size() > 50) return Error::invalid("images", "at most 50 images");
  for (size_t i = 0; i < a.size(); ++i) {
    std::string path = "images[" + std::to_string(i) + "]";
    Image im;
    if (a[i].is_string()) {
      im.url = a[i].as_string();
    } else if (a[i].is_object()) {
      BOTTEGA_TRY_STATUS(json::only_keys(a[i].as_object(), {"url", "alt"}, path));
      BOTTEGA_TRY(url, json::required_string(a[i].as_object(), "url", path + ".url", 2048));
      BOTTEGA_TRY(alt, json::optional_string(a[i].as_object(), "alt", path + ".alt", 500));
      im.url = std::move(url);
      im.alt = alt.value_or("");
    } else {
      return Error::invalid(path, "an image is {\"url\",\"alt\"} or a URL string", "invalid_type");
    }
    if (im.url.rfind("https://", 0) != 0 && im.url.rfind("http://", 0) != 0)
      return Error::invalid(path + ".url", "an absolute http(s) URL");
    out.push_back(std::move(im));
  }
  return out;
}

Result<std::vector<std::string>> parse_collections(const bj::array& a) {
  std::vector<std::string> out;
  if (a.size() > 50) return Error::invalid("collections", "at most 50 collections");
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string() || !valid_token(std::string(a[i].as_string()), 128))
      return Error::invalid("collections[" + std::to_string(i) + "]", "a collection handle (1..128 characters, no spaces)");
    out.emplace_back(a[i].as_string());
  }
  return out;
}

std::vector<Variant> load_variants(Tx& tx, const std::string& tenant, const std::string& product_id) {
  std::vector<Variant> out;
  for (const auto& r : tx.query(kSelectVariants, {tenant, product_id})) out.push_back(variant_from(r));
  return out;
}

// Merges an import input into an existing product (import semantics, see upsert_product).
void merge_into(Product& p, const ProductInput& in) {
  p.status = in.status;
  if (!in.vendor.empty()) p.vendor = in.vendor;
  for (const auto& [lang, t] : in.translations) {
    auto& cur = p.translations[lang];
    if (!t.title.empty()) cur.title = t.title;
    if (!t.description.empty()) cur.description = t.description;
  }
  if (!in.images.empty()) p.images = in.images;
  if (!in.collections.empty()) p.collections = in.collections;
  for (const auto& nv : in.variants) {
    auto it = std::find_if(p.variants.begin(), p.variants.end(), [&](const Variant& v) { return v.sku == nv.sku; });
    if (it == p.variants.end()) {
      Variant v = nv;
      v.id.clear();
      p.variants.push_back(std::move(v));
    } else {
      it->title = nv.title;
      for (const auto& [c, a] : nv.prices) it->prices[c] = a;
      it->stock = nv.stock;
      if (nv.image_url) it->image_url = nv.image_url;
    }
  }
}

ProductInput as_input(const Product& p) {
  ProductInput in;
  in.handle = p.handle;
  in.status = p.status;
  in.vendor = p.vendor;
  in.translations = p.translations;
  in.images = p.images;
  in.collections = p.collections;
  in.variants = p.variants;
  return in;
}

std::string fingerprint(const Product& p) {
  auto o = to_json(p);
  o.erase("updated_at");
  return bj::serialize(o);
}

Status check_skus_free(Tx& tx, const std::string& tenant, const Product& p) {
  for (size_t i = 0; i < p.variants.size(); ++i) {
    if (!p.variants[i].id.empty()) continue;
    auto r = tx.query_one(kVariantBySku, {tenant, p.variants[i].sku});
    if (r && r->str(0) != p.id)
      return Error{Errc::conflict, "sku_taken", "SKU " + p.variants[i].sku + " belongs to another product",
                   "variants[" + std::to_string(i) + "].sku"};
  }
  return {};
}

}  // namespace

const LocalizedText& Product::text(const std::string& lang) const {
  static const LocalizedText kEmpty;
  if (auto it = translations.find(lang); it != translations.end() && !it->second.title.empty()) return it->second;
  if (auto it = translations.find("en"); it != translations.end() && !it->second.title.empty()) return it->second;
  for (const auto& [l, t] : translations)
    if (!t.title.empty()) return t;
  return kEmpty;
}

Status validate(const ProductInput& in) {
  if (in.status != "active" && in.status != "archived") return Error::invalid("status", "status must be active or archived");
  if (in.handle && !valid_token(*in.handle, 200)) return Error::invalid("handle", "a handle is 1..200 characters without spaces");
  if (in.vendor.size() > 200) return Error::invalid("vendor", "at most 200 characters");
  bool titled = false;
  for (const auto& [lang, t] : in.translations) titled = titled || !t.title.empty();
  if (!titled) return Error::invalid("title", "a product needs a title in at least one language", "missing_field");
  if (in.variants.empty()) return Error::invalid("variants", "a product needs at least one variant (SKU)", "missing_field");
  if (in.variants.size() > 100) return Error::invalid("variants", "at most 100 variants");
  std::set<std::string> skus;
  for (size_t i = 0; i < in.variants.size(); ++i) {
    const auto& v = in.variants[i];
    std::string path = "variants[" + std::to_string(i) + "]";
    if (!valid_token(v.sku, 64)) return Error::invalid(path + ".sku", "a SKU is 1..64 characters without spaces");
    if (!skus.insert(v.sku).second) return Error::invalid(path + ".sku", "duplicate SKU " + v.sku);
    for (const auto& [c, a] : v.prices) {
      BOTTEGA_TRY_STATUS(check_currency(c, path + ".prices." + c));
      if (a < 0 || a > kMaxAmount) return Error::invalid(path + ".prices." + c, "a price is 0..10^15 minor units");
    }
    if (v.stock && (*v.stock < 0 || *v.stock > 1'000'000'000))
      return Error::invalid(path + ".stock", "stock must be 0..1000000000 (or null: not tracked)");
  }
  return {};
}

Result<ProductInput> parse_product(const bj::object& o, bool partial) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"handle", "status", "vendor", "title", "description", "images", "collections", "variants"}));
  ProductInput in;
  BOTTEGA_TRY(handle, json::optional_string(o, "handle", {}, 200));
  in.handle = handle;
  BOTTEGA_TRY(status, json::optional_string(o, "status", {}, 16));
  if (status) in.status = *status;
  BOTTEGA_TRY(vendor, json::optional_string(o, "vendor", {}, 200));
  in.vendor = vendor.value_or("");
  BOTTEGA_TRY_STATUS(parse_texts(o, "title", in.translations));
  BOTTEGA_TRY_STATUS(parse_texts(o, "description", in.translations));
  BOTTEGA_TRY(images, json::optional_array(o, "images"));
  if (images) {
    BOTTEGA_TRY(v, parse_images(*images));
    in.images = std::move(v);
  }
  BOTTEGA_TRY(collections, json::optional_array(o, "collections"));
  if (collections) {
    BOTTEGA_TRY(v, parse_collections(*collections));
    in.collections = std::move(v);
  }
  BOTTEGA_TRY(variants, json::optional_array(o, "variants"));
  if (variants) {
    if (variants->size() > 100) return Error::invalid("variants", "at most 100 variants");
    for (size_t i = 0; i < variants->size(); ++i) {
      std::string path = "variants[" + std::to_string(i) + "]";
      if (!(*variants)[i].is_object()) return Error::invalid(path, "a variant is an object", "invalid_type");
      BOTTEGA_TRY(v, parse_variant((*variants)[i].as_object(), path));
      in.variants.push_back(std::move(v));
    }
  }
  if (!partial) BOTTEGA_TRY_STATUS(validate(in));
  return in;
}

bj::object to_json(const Product& p) {
  bj::object title, description;
  for (const auto& [lang, t] : p.translations) {
    if (!t.title.empty()) title[lang] = t.title;
    if (!t.description.empty()) description[lang] = t.description;
  }
  bj::array images, collections, variants;
  for (const auto& i : p.images) images.push_back(bj::object{{"url", i.url}, {"alt", i.alt}});
  for (const auto& c : p.collections) collections.emplace_back(c);
  for (const auto& v : p.variants) {
    bj::object prices;
    for (const auto& [c, a] : v.prices) prices[c] = a;
    variants.push_back(bj::object{{"id", v.id},
                                  {"sku", v.sku},
                                  {"title", v.title},
                                  {"prices", std::move(prices)},
                                  {"stock", v.stock ? bj::value(*v.stock) : bj::value(nullptr)},
                                  {"image_url", v.image_url ? bj::value(*v.image_url) : bj::value(nullptr)}});
  }
  return bj::object{{"id", p.id},
                    {"handle", p.handle},
                    {"status", p.status},
                    {"vendor", p.vendor},
                    {"title", std::move(title)},
                    {"description", std::move(description)},
                    {"images", std::move(images)},
                    {"collections", std::move(collections)},
                    {"variants", std::move(variants)},
                    {"created_at", rfc3339(p.created_at)},
                    {"updated_at", rfc3339(p.updated_at)}};
}

Result<Product> create_product(Tx& tx, IdGenerator& ids, const std::string& tenant, const ProductInput& in, int64_t now) {
  BOTTEGA_TRY_STATUS(validate(in));
  Product p;
  p.id = ids.next("prd");
  p.tenant_id = tenant;
  p.handle = in.handle.value_or(derive_handle(in));
  p.status = in.status;
  p.vendor = in.vendor;
  p.translations = in.translations;
  p.images = in.images;
  p.collections = in.collections;
  p.variants = in.variants;
  for (auto& v : p.variants) v.id.clear();
  p.created_at = p.updated_at = now;
  if (tx.query_one(kProductByHandle, {tenant, p.handle}))
    return Error{Errc::conflict, "handle_taken", "another product has the handle " + p.handle, "handle"};
  BOTTEGA_TRY_STATUS(check_skus_free(tx, tenant, p));
  save(tx, ids, p, true);
  return p;
}

std::optional<Product> get_product(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kSelectProduct, {tenant, id});
  if (!r) return std::nullopt;
  Product p = product_from(*r);
  p.variants = load_variants(tx, tenant, id);
  return p;
}

Result<UpsertOutcome> upsert_product(Tx& tx, IdGenerator& ids, const std::string& tenant, const ProductInput& in,
                                     int64_t now) {
  BOTTEGA_TRY_STATUS(validate(in));
  std::optional<std::string> owner;
  for (size_t i = 0; i < in.variants.size(); ++i) {
    auto r = tx.query_one(kVariantBySku, {tenant, in.variants[i].sku});
    if (!r) continue;
    if (owner && *owner != r->str(0))
      return Error{Errc::conflict, "sku_conflict",
                   "the SKUs of this product belong to two different products in the catalog",
                   "variants[" + std::to_string(i) + "].sku"};
    owner = r->str(0);
  }
  std::string handle = in.handle.value_or(derive_handle(in));
  if (!owner)
    if (auto r = tx.query_one(kProductByHandle, {tenant, handle})) owner = r->str(0);
  if (!owner) {
    ProductInput with_handle = in;
    with_handle.handle = handle;
    BOTTEGA_TRY(p, create_product(tx, ids, tenant, with_handle, now));
    return UpsertOutcome{std::move(p), true, true};
  }
  auto existing = get_product(tx, tenant, *owner);
  if (!existing) return Error::internal("product vanished during import");
  Product p = *existing;
  std::string before = fingerprint(p);
  merge_into(p, in);
  BOTTEGA_TRY_STATUS(validate(as_input(p)));
  if (fingerprint(p) == before) return UpsertOutcome{std::move(p), false, false};
  BOTTEGA_TRY_STATUS(check_skus_free(tx, tenant, p));
  p.updated_at = now;
  save(tx, ids, p, false);
  return UpsertOutcome{std::move(p), false, true};
}

Result<Product> patch_product(Tx& tx, IdGenerator& ids, const std::string& tenant, const std::string& id,
                              const bj::object& patch, int64_t now) {
  BOTTEGA_TRY(in, parse_product(patch, true));
  auto existing = get_product(tx, tenant, id);
  if (!existing) return Error::not_found("product");
  Product p = *existing;
  if (patch.contains("handle")) {
    if (!in.handle) return Error::invalid("handle", "handle cannot be null", "invalid_type");
    if (*in.handle != p.handle) {
      if (auto r = tx.query_one(kProductByHandle, {tenant, *in.handle}); r && r->str(0) != p.id)
        return Error{Errc::conflict, "handle_taken", "another product has the handle " + *in.handle, "handle"};
      p.handle = *in.handle;
    }
  }
  if (patch.contains("status")) p.status = in.status;
  if (patch.contains("vendor")) p.vendor = in.vendor;
  for (const auto& [lang, t] : in.translations) {
    auto& cur = p.translations[lang];
    if (patch.contains("title") && !t.title.empty()) cur.title = t.title;
    if (patch.contains("description")) cur.description = t.description;
  }
  if (patch.contains("images")) p.images = in.images;
  if (patch.contains("collections")) p.collections = in.collections;
  if (const auto* vs = patch.if_contains("variants"); vs && vs->is_array()) {
    for (size_t i = 0; i < in.variants.size(); ++i) {
      const auto& nv = in.variants[i];
      const auto& raw = (*vs).as_array()[i].as_object();
      auto it = std::find_if(p.variants.begin(), p.variants.end(), [&](const Variant& v) { return v.sku == nv.sku; });
      if (it == p.variants.end()) {
        Variant v = nv;
        v.id.clear();
        p.variants.push_back(std::move(v));
        continue;
      }
      if (raw.contains("title")) it->title = nv.title;
      for (const auto& [c, a] : nv.prices) it->prices[c] = a;
      if (raw.contains("stock")) it->stock = nv.stock;
      if (raw.contains("image_url")) it->image_url = nv.image_url;
    }
  }
  BOTTEGA_TRY_STATUS(validate(as_input(p)));
  BOTTEGA_TRY_STATUS(check_skus_free(tx, tenant, p));
  p.updated_at = now;
  save(tx, ids, p, false);
  return p;
}

std::optional<VariantRef> find_variant_by_sku(Tx& tx, const std::string& tenant, const std::string& sku) {
  auto r = tx.query_one(kVariantBySku, {tenant, sku});
  if (!r) return std::nullopt;
  auto p = get_product(tx, tenant, r->str(0));
  if (!p) return std::nullopt;
  for (const auto& v : p->variants)
    if (v.id == r->str(1)) return VariantRef{*p, v};
  return std::nullopt;
}

std::optional<VariantRef> find_variant(Tx& tx, const std::string& tenant, const std::string& variant_id) {
  auto r = tx.query_one(kVariantById, {tenant, variant_id});
  if (!r) return std::nullopt;
  auto p = get_product(tx, tenant, r->str(0));
  if (!p) return std::nullopt;
  for (const auto& v : p->variants)
    if (v.id == variant_id) return VariantRef{*p, v};
  return std::nullopt;
}

std::vector<std::string> search_terms(const std::string& q) {
  std::vector<std::string> terms;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && terms.size() < 16) terms.push_back(cur);
    cur.clear();
  };
  for (unsigned char c : q.substr(0, 512)) {
    if (std::isalnum(c)) cur += static_cast<char>(std::tolower(c));
    else if (c >= 0x80) cur += static_cast<char>(c);
    else flush();
  }
  flush();
  return terms;
}

std::string search_expression(const std::string& q) {
  auto terms = search_terms(q);
  std::string out;
  for (size_t i = 0; i < terms.size(); ++i) out += (i ? " & " : "") + terms[i] + ":*";
  return out;
}

namespace {

// Prefix lengths SQLite's index keeps (commerce migrations 11 and 13: prefix = '1 2 3').
bool has_prefix_index(size_t n) { return n >= 1 && n <= 3; }
// At most this many index terms replace one prefix; a prefix shared by more stays a prefix.
constexpr size_t kMaxPrefixTerms = 32;

bool ascii_alnum(const std::string& t) {
  return std::all_of(t.begin(), t.end(), [](unsigned char c) { return c < 0x80 && std::isalnum(c); });
}

}  // namespace

std::optional<std::string> sqlite_match(Tx& tx, const std::vector<std::string>& terms, const Stmt* term_from) {
  const Stmt& vocab = term_from ? *term_from : kIndexTermFrom;
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += " AND ";
    // An ASCII term is its own token (the tokenizer only lower-cases it, as search_terms did);
    // other letters may be folded or split by the tokenizer, so those terms stay prefixes.
    if (has_prefix_index(t.size()) || !ascii_alnum(t)) {
      out += "\"" + t + "\"*";
      continue;
    }
    std::string end = t;
    end.back() = static_cast<char>(end.back() + 1);  // 'z' + 1 and '9' + 1 are still ASCII
    std::vector<std::string> words;
    std::string from = t;
    while (words.size() <= kMaxPrefixTerms) {
      auto r = tx.query_one(vocab, {from, end});
      if (!r) break;
      words.push_back(r->str(0));
      // The next term after this one: tokens never hold a byte <= ' ', so term + ' ' sorts
      // between the term and any longer term that starts with it.
      from = words.back() + ' ';
    }
    if (words.empty()) return std::nullopt;  // no document has a word starting with t
    if (words.size() > kMaxPrefixTerms) {
      out += "\"" + t + "\"*";
      continue;
    }
    out += '(';
    for (size_t i = 0; i < words.size(); ++i) out += (i ? " OR \"" : "\"") + words[i] + '"';
    out += ')';
  }
  return out;
}

std::vector<SearchCandidate> rank_candidates(std::vector<SearchCandidate> cands, const std::vector<std::string>& terms,
                                             size_t limit, bool newest_first) {
  if (cands.empty()) return cands;
  // One pass over each document, nothing allocated per word (the per-word strings of 400
  // documents were most of a search's malloc and page-fault time, bench/RESULTS.md): its word
  // count and, per term, how many of its words start with the term. Words as the terms are
  // written: runs of ASCII letters/digits (lower-cased) and bytes >= 0x80.
  const size_t nt = terms.size();
  std::vector<double> tf(cands.size() * nt, 0.0), len(cands.size(), 0.0);
  double total = 0;
  std::string word;
  word.reserve(64);
  for (size_t i = 0; i < cands.size(); ++i) {
    double* counts = tf.data() + i * nt;
    auto flush = [&] {
      if (word.empty()) return;
      len[i] += 1;
      for (size_t t = 0; t < nt; ++t)
        if (word.compare(0, terms[t].size(), terms[t]) == 0) counts[t] += 1;
      word.clear();
    };
    for (unsigned char ch : cands[i].body) {
      if (ch >= 0x80) word += static_cast<char>(ch);
      else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) word += static_cast<char>(ch);
      else if (ch >= 'A' && ch <= 'Z') word += static_cast<char>(ch - 'A' + 'a');
      else flush();
    }
    flush();
    total += len[i];
  }
  // BM25 (k1 1.2, b 0.75) with every term weighted alike: among candidates that all contain every
  // term, the inverse document frequency would only weigh the terms against each other.
  const double k1 = 1.2, b = 0.75, avg = std::max(1.0, total / static_cast<double>(cands.size()));
  for (size_t i = 0; i < cands.size(); ++i) {
    double score = 0;
    for (size_t t = 0; t < nt; ++t) {
      double f = tf[i * nt + t];
      score += f * (k1 + 1) / (f + k1 * (1 - b + b * len[i] / avg));
    }
    cands[i].score = score;
  }
  // Only the best `limit` need an order.
  auto better = [newest_first](const SearchCandidate& a, const SearchCandidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return newest_first ? a.seq > b.seq : a.seq < b.seq;
  };
  if (cands.size() > limit) {
    std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(limit), cands.end(), better);
    cands.resize(limit);
  } else {
    std::sort(cands.begin(), cands.end(), better);
  }
  return cands;
}

ProductPage search_products(Tx& tx, const std::string& tenant, const SearchQuery& query) {
  ProductPage page;
  std::vector<std::string> ids;
  int64_t last_seq = 0;
  auto terms = search_terms(query.q);
  if (!terms.empty()) {
    std::optional<std::string> expr = search_expression(query.q);
    if (tx.query_one(kDialect, {})->str(0) == "sqlite") expr = sqlite_match(tx, terms);
    if (!expr) return page;  // a word no product has
    // The rows' strings move into the candidates (400 bodies: no second copy).
    auto rows = tx.query(kSearch, {tenant, *expr, query.status, kSearchCandidates});
    auto take = [](store::Row& r, size_t i) {
      auto* s = std::get_if<std::string>(&r.cols.at(i));
      return s ? std::move(*s) : std::string();
    };
    std::vector<SearchCandidate> cands;
    cands.reserve(rows.size());
    for (auto& r : rows) cands.push_back({take(r, 0), r.i64(1), take(r, 2)});
    for (auto& c : rank_candidates(std::move(cands), terms, static_cast<size_t>(query.limit)))
      ids.push_back(std::move(c.id));
  } else {
    for (const auto& r : tx.query(kBrowse, {tenant, query.status, query.after_seq.value_or(0), query.limit})) {
      ids.push_back(r.str(0));
      last_seq = r.i64(1);
    }
    if (static_cast<int64_t>(ids.size()) == query.limit) page.next_cursor = std::to_string(last_seq);
  }
  for (const auto& id : ids)
    if (auto p = get_product(tx, tenant, id)) page.items.push_back(std::move(*p));
  return page;
}

}  // namespace bottega::commerce
