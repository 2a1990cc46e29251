#include "commerce/demo.hpp"

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/discounts.hpp"

namespace bottega::commerce {

namespace {

struct Seed {
  const char* handle;
  const char* sku_prefix;
  std::vector<const char*> sizes;  // empty: one variant, the prefix is the SKU
  int64_t eur;
  int64_t stock;
  const char* collection;
  const char* image;
  LocalizedText en, it, de, nl;
};

}  // namespace

Status seed_demo_catalog(store::Tx& tx, IdGenerator& ids, const std::string& tenant, int64_t now) {
  const std::vector<Seed> seeds = {
      {"classic-leather-sneaker", "SNK-CLS", {"38", "40", "42", "44"}, 12900, 6, "sneakers",
       "https://images.bottega.example/snk-cls.jpg",
       {"Classic leather sneaker", "White Italian leather, rubber sole, sizes 38-44"},
       {"Sneaker classica in pelle", "Pelle italiana bianca, suola in gomma, taglie 38-44"},
       {"Klassischer Ledersneaker", "Weisses italienisches Leder, Gummisohle, Groessen 38-44"},
       {"Klassieke leren sneaker", "Wit Italiaans leer, rubberen zool, maten 38-44"}},
      {"chelsea-boot", "BOOT-CHL", {"38", "40", "42"}, 18900, 3, "boots", "https://images.bottega.example/boot-chl.jpg",
       {"Chelsea boot", "Suede, elastic sides"},
       {"Stivaletto Chelsea", "Camoscio, elastici laterali"},
       {"Chelsea-Boot", "Wildleder, elastische Seiteneinsaetze"},
       {"Chelsea boot", "Suede, elastische zijkanten"}},
      {"merino-socks-3", "SOCK-MER-3", {}, 2400, 40, "accessories", "https://images.bottega.example/sock-mer.jpg",
       {"Merino socks, 3 pairs", "Warm, breathable, one size"},
       {"Calze in merino, 3 paia", "Calde, traspiranti, taglia unica"},
       {"Merinosocken, 3 Paar", "Warm, atmungsaktiv, Einheitsgroesse"},
       {"Merino sokken, 3 paar", "Warm, ademend, one size"}},
      {"leather-care-kit", "CARE-KIT", {}, 1900, 25, "accessories", "https://images.bottega.example/care-kit.jpg",
       {"Leather care kit", "Cleaner, cream and brush"},
       {"Kit cura della pelle", "Detergente, crema e spazzola"},
       {"Lederpflege-Set", "Reiniger, Creme und Buerste"},
       {"Leerverzorgingsset", "Reiniger, creme en borstel"}},
  };
  for (const auto& s : seeds) {
    ProductInput in;
    in.handle = s.handle;
    in.vendor = "Bottega Demo";
    in.translations = {{"en", s.en}, {"it", s.it}, {"de", s.de}, {"nl", s.nl}};
    in.images = {{s.image, s.en.title}};
    in.collections = {s.collection};
    if (s.sizes.empty()) {
      in.variants.push_back(Variant{"", "", s.sku_prefix, "", {{"EUR", s.eur}}, s.stock, std::nullopt, 0});
    } else {
      for (const char* size : s.sizes)
        in.variants.push_back(Variant{"", "", std::string(s.sku_prefix) + "-" + size, std::string("EU ") + size,
                                      {{"EUR", s.eur}}, s.stock, std::nullopt, 0});
    }
    BOTTEGA_TRY(p, create_product(tx, ids, tenant, in, now));
    (void)p;
  }
  CommerceSettings settings;
  settings.tax_rates = {{"IT", 2200}, {"DE", 1900}, {"NL", 2100}};
  settings.default_country = "IT";
  settings.shipping_options = {ShippingOption{"standard", "Standard (3-5 days)", {{"EUR", 590}}, {{"EUR", 10000}}},
                               ShippingOption{"express", "Express (1-2 days)", {{"EUR", 1290}}, {}}};
  put_settings(tx, tenant, settings, now);
  Discount welcome;
  welcome.code = "WELCOME10";
  welcome.kind = "percentage";
  welcome.value = 1000;
  welcome.currency = "EUR";
  welcome.minimum_subtotal = 5000;
  welcome.per_customer_limit = 1;
  BOTTEGA_TRY(d, create_discount(tx, ids, tenant, welcome, now));
  (void)d;
  // A past summer sale (expired) and a code for the Chelsea boot only: the bot explains refusals.
  Discount summer;
  summer.code = "SUMMER20";
  summer.value = 2000;
  summer.starts_at = 1748736000000;  // 2025-06-01T00:00:00Z
  summer.ends_at = 1756684800000;    // 2025-09-01T00:00:00Z
  BOTTEGA_TRY(d2, create_discount(tx, ids, tenant, summer, now));
  (void)d2;
  Discount boots;
  boots.code = "BOOTS15";
  boots.value = 1500;
  for (const auto& p : search_products(tx, tenant, SearchQuery{"chelsea", "active", 5, std::nullopt}).items)
    if (p.handle == "chelsea-boot") boots.product_ids.push_back(p.id);
  BOTTEGA_TRY(d3, create_discount(tx, ids, tenant, boots, now));
  (void)d3;
  return {};
}

}  // namespace bottega::commerce
