// The catalog: products with variants (one SKU each), prices per currency in minor units, stock,
// images, titles and descriptions per language, status active/archived, and full-text search
// (SQLite FTS5 / PostgreSQL tsvector) over titles, descriptions, vendor and SKUs.
// Every function runs inside the caller's store transaction and takes the tenant; another
// tenant's product is "not found". Functions throw store::DbError on database failure.
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

namespace bottega::commerce {

using store::Tx;

struct LocalizedText {
  std::string title, description;
};
struct Image {
  std::string url, alt;
};
struct Variant {
  std::string id, product_id, sku, title;
  std::map<std::string, int64_t> prices;  // currency -> minor units
  std::optional<int64_t> stock;           // on hand; nullopt: not tracked (always available)
  std::optional<std::string> image_url;
  int64_t position = 0;
};
struct Product {
  std::string id, tenant_id, handle, status = "active", vendor;
  std::map<std::string, LocalizedText> translations;  // language ("en", "it") -> texts
  std::vector<Image> images;
  std::vector<std::string> collections;
  std::vector<Variant> variants;
  int64_t created_at = 0, updated_at = 0, seq = 0;

  // The title in `lang`, else English, else any language.
  const LocalizedText& text(const std::string& lang = "en") const;
};

// What a caller supplies to create or import a product (ids are assigned by the store).
struct ProductInput {
  std::optional<std::string> handle;  // default: derived from the first SKU
  std::string status = "active", vendor;
  std::map<std::string, LocalizedText> translations;
  std::vector<Image> images;
  std::vector<std::string> collections;
  std::vector<Variant> variants;  // id/product_id ignored
};

// Validates an input: at least one language with a title, 1..100 variants with distinct,
// non-empty SKUs (<= 64 bytes, no whitespace), known currencies, prices and stock >= 0.
// Errors name the field ("variants[1].prices.EUR").
Status validate(const ProductInput& in);

// Parses the API's product object ({"handle","status","vendor","title":{"en":...},"description",
// "images":[{"url","alt"}],"collections":[...],"variants":[{"sku","title","prices":{"EUR":2500},
// "stock","image_url"}]}); unknown fields are errors. `partial` (PATCH): everything optional.
Result<ProductInput> parse_product(const boost::json::object& o, bool partial = false);

boost::json::object to_json(const Product& p);

// Creates a product. Conflict (409 sku_taken / handle_taken, field named) when a SKU or the
// handle already exists for the tenant.
Result<Product> create_product(Tx& tx, IdGenerator& ids, const std::string& tenant,
                               const ProductInput& in, int64_t now);

// Import semantics, idempotent by SKU: the product owning the input's first known SKU (else the
// one with the same handle) is updated in place (texts merged by language, images and
// collections replaced when given, variants updated by SKU and new SKUs added; variants absent
// from the input are kept); otherwise a product is created. Returns the product and whether it
// was created. Conflict when the input's SKUs belong to two different products.
struct UpsertOutcome {
  Product product;
  bool created = false, changed = false;
};
Result<UpsertOutcome> upsert_product(Tx& tx, IdGenerator& ids, const std::string& tenant,
                                     const ProductInput& in, int64_t now);

std::optional<Product> get_product(Tx& tx, const std::string& tenant, const std::string& id);

// PATCH: fields present in `patch_json` change (translations merge per language; variants are
// matched by SKU: given fields change, unknown SKUs are added). Not found for another tenant.
Result<Product> patch_product(Tx& tx, IdGenerator& ids, const std::string& tenant,
                              const std::string& id, const boost::json::object& patch_json,
                              int64_t now);

struct VariantRef {
  Product product;
  Variant variant;
};
std::optional<VariantRef> find_variant_by_sku(Tx& tx, const std::string& tenant, const std::string& sku);
std::optional<VariantRef> find_variant(Tx& tx, const std::string& tenant, const std::string& variant_id);

struct SearchQuery {
  std::string q;                    // words; each matches as a prefix, all must match
  std::string status = "active";    // active | archived | any
  int64_t limit = 20;
  std::optional<int64_t> after_seq;  // browsing without q: products after this seq
};
struct ProductPage {
  std::vector<Product> items;
  std::optional<std::string> next_cursor;
};
// Full-text search (best match first, among the tenant's newest 400 matches) when q has words;
// otherwise the catalog in creation order.
ProductPage search_products(Tx& tx, const std::string& tenant, const SearchQuery& query);

// The full-text query for q on PostgreSQL: lower-cased words of letters and digits, each a
// prefix, joined for to_tsquery ("shirt:* & red:*"). Empty when q has no words.
std::string search_expression(const std::string& q);
// The same query for SQLite's FTS5 index, matching the same documents: every term must be the
// start of a word. FTS5 reads a prefix from its prefix indexes when it has 2 or 3 letters; any
// other prefix it answers by merging the document lists of all the words that start with it into
// one list in memory before returning a first match (for "vendor" or "model", in every product,
// the whole catalog: 8-10 ms on 100,000 products however few documents the other terms leave).
// So a longer ASCII prefix is written as the OR of the index's words that start with it, read
// from the index's vocabulary ("vendor" -> ("vendor" OR "vendors")), whose document lists FTS5
// walks lazily; a prefix shared by more than 32 words stays a prefix. nullopt: a term starts no
// word of the index, nothing matches.
// `term_from` reads another FTS5 index's vocabulary the same way (another `*_fts_vocab` table
// with prefix = '2 3', e.g. the message search's): "SELECT term FROM <vocab> WHERE term >= $1 AND
// term < $2 LIMIT 1"; null: the catalog's.
std::optional<std::string> sqlite_match(Tx& tx, const std::vector<std::string>& terms,
                                        const store::Stmt* term_from = nullptr);
// The words of q as search_expression takes them (lower case, at most 16).
std::vector<std::string> search_terms(const std::string& q);
// A full-text match and its search document.
struct SearchCandidate {
  std::string id;
  int64_t seq = 0;
  std::string body;
  double score = 0;
};
// Orders candidates best first (BM25 over the candidates with every term weighted alike: a term
// counts each document word it is a prefix of; ties: older product first, or the newer (higher
// seq) first with `newest_first`) and keeps `limit`.
std::vector<SearchCandidate> rank_candidates(std::vector<SearchCandidate> cands, const std::vector<std::string>& terms,
                                             size_t limit, bool newest_first = false);

}  // namespace bottega::commerce
