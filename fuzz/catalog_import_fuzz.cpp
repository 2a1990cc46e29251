// Untrusted catalog imports: the CSV parser and the Shopify products.json parser. The first byte
// picks the parser; either must answer products or an error naming a field, never crash, and a
// successful parse must satisfy the catalog's validation (what upsert_product relies on).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "commerce/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = data[0] % 2 == 0 ? bottega::commerce::parse_catalog_csv(text, "EUR")
                            : bottega::commerce::parse_shopify_products(text, "JPY", "it");
  if (r.ok()) {
    for (const auto& p : *r)
      if (!bottega::commerce::validate(p).ok()) std::abort();
  } else if (r.error().message.empty()) {
    std::abort();
  }
  return 0;
}
