// Catalog import parsers (untrusted bytes: fuzzed in fuzz/catalog_import_fuzz.cpp). Both turn a
// document into product inputs, validated, or one error naming where it is wrong; nothing is
// written here (catalog.hpp upsert_product applies them, idempotent by SKU).
//
// CSV (RFC 4180: comma separated, "quoted" fields with "" for a quote, CRLF or LF), a header row
// naming the columns in any order (case-insensitive), one row per variant:
//   sku (required)          the variant's SKU: the import key
//   handle                  rows with the same handle are variants of one product (default: sku)
//   title, title_<lang>     product title (title = title_en); the first row of a product that has
//                           one sets it; at least one per product
//   description, description_<lang>
//   variant_title           e.g. "M" or "EU 42"
//   price_<CUR>             decimal price in that currency ("49.90", "5000" JPY); or the pair
//   price + currency        price and its ISO 4217 code
//   stock                   integer units on hand; empty: not tracked
//   image_url               a product image (each distinct URL on the product's rows is kept)
//   status                  active (default) | archived
//   vendor, collections     collections separated by '|'
// Errors name the data row and column: field "rows[3].price_EUR" (rows counted from 1).
//
// Shopify: the products.json export shape {"products":[{"handle","title","body_html","vendor",
// "status","tags","product_type","images":[{"src","alt"}],"variants":[{"sku","title","price",
// "inventory_quantity","inventory_management"}]}]}. Prices are decimal strings in `currency`;
// titles go to `language`; body_html becomes plain text; tags become collections; status draft is
// imported as archived; inventory_management null means stock is not tracked.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"
#include "commerce/catalog.hpp"

namespace bottega::commerce {

inline constexpr size_t kMaxImportProducts = 10000;

Result<std::vector<ProductInput>> parse_catalog_csv(std::string_view csv, const std::string& default_currency);
Result<std::vector<ProductInput>> parse_shopify_products(std::string_view json, const std::string& currency,
                                                         const std::string& language);

// RFC 4180 records (exposed for tests). Error on an unterminated quote or a stray quote.
Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text, size_t max_rows);

}  // namespace bottega::commerce
