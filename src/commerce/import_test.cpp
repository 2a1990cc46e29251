#include "commerce/import.hpp"

#include <gtest/gtest.h>

namespace bottega::commerce {
namespace {

TEST(CsvRecords, QuotesNewlinesAndErrors) {
  auto r = parse_csv("a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\nlines\"\n\n1,,3", 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1][0], "x, y");
  EXPECT_EQ((*r)[1][1], "he said \"hi\"");
  EXPECT_EQ((*r)[1][2], "two\nlines");
  EXPECT_EQ((*r)[2][1], "");
  EXPECT_FALSE(parse_csv("a,\"open", 100).ok());
  EXPECT_FALSE(parse_csv("a,b\"c\"", 100).ok());
  EXPECT_FALSE(parse_csv("a,\"b\"c", 100).ok());
  EXPECT_FALSE(parse_csv("a\nb\nc\n", 2).ok());
}

TEST(CatalogCsv, GroupsVariantsByHandleWithPricesInEveryExponent) {
  std::string csv =
      "handle,sku,title,title_it,variant_title,price_EUR,price_JPY,price_KWD,stock,image_url,collections,description\n"
      "linen-shirt,SHIRT-S,Linen shirt,Camicia di lino,S,49.90,7000,15.500,5,https://img.example/a.jpg,summer|Best Sellers,\"Soft, light\"\n"
      "linen-shirt,SHIRT-M,,,M,49.9,7000,15.5,,https://img.example/a.jpg,,\n"
      ",SOCK-1,Socks,,,12,1200,4,0,,,\n";
  auto r = parse_catalog_csv(csv, "EUR");
  ASSERT_TRUE(r.ok()) << r.error().field << ": " << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const auto& shirt = (*r)[0];
  EXPECT_EQ(shirt.handle, "linen-shirt");
  EXPECT_EQ(shirt.translations.at("en").title, "Linen shirt");
  EXPECT_EQ(shirt.translations.at("it").title, "Camicia di lino");
  EXPECT_EQ(shirt.translations.at("en").description, "Soft, light");
  ASSERT_EQ(shirt.variants.size(), 2u);
  EXPECT_EQ(shirt.variants[0].prices.at("EUR"), 4990);
  EXPECT_EQ(shirt.variants[0].prices.at("JPY"), 7000);
  EXPECT_EQ(shirt.variants[0].prices.at("KWD"), 15500);
  EXPECT_EQ(shirt.variants[1].prices.at("EUR"), 4990);
  EXPECT_EQ(shirt.variants[0].stock, 5);
  EXPECT_EQ(shirt.variants[1].stock, std::nullopt);  // empty: not tracked
  EXPECT_EQ(shirt.images.size(), 1u);
  EXPECT_EQ(shirt.collections, (std::vector<std::string>{"summer", "best-sellers"}));
  EXPECT_EQ((*r)[1].handle, "sock-1");
  EXPECT_EQ((*r)[1].variants[0].stock, 0);
}

TEST(CatalogCsv, ErrorsNameRowAndColumn) {
  auto field = [](const std::string& csv) {
    auto r = parse_catalog_csv(csv, "EUR");
    EXPECT_FALSE(r.ok()) << csv;
    return r.ok() ? std::string() : r.error().field;
  };
  EXPECT_EQ(field("sku,title,price_EUR\nA,x,1.234\n"), "rows[1].price_EUR");     // too many decimals
  EXPECT_EQ(field("sku,title,price_JPY\nA,x,10.5\n"), "rows[1].price_JPY");      // JPY has none
  EXPECT_EQ(field("sku,title,price_XXX\nA,x,1\n"), "columns.price_XXX");
  EXPECT_EQ(field("sku,title,colour\nA,x,red\n"), "columns.colour");
  EXPECT_EQ(field("title,price_EUR\nx,1\n"), "columns.sku");
  EXPECT_EQ(field("sku,title\nA,x\n,y\n"), "rows[2].sku");
  EXPECT_EQ(field("sku,title,stock\nA,x,-1\n"), "rows[1].stock");
  EXPECT_EQ(field("sku,title,price,currency\nA,x,1,EURO\n"), "rows[1].currency");
  EXPECT_EQ(field("sku,price_EUR\nA,1\n"), "products.a.title");
  EXPECT_EQ(field(""), "csv");
}

TEST(ShopifyJson, ImportsTheExportShape) {
  std::string doc = R"({"products":[{"id":1,"title":"Chelsea boot","handle":"chelsea-boot","body_html":"<p>Suede &amp; <b>elastic</b></p>",
    "vendor":"Acme","status":"draft","tags":"boots, Autumn Winter","product_type":"Shoes",
    "images":[{"src":"https://cdn.example/boot.jpg","alt":null}],
    "variants":[{"id":11,"title":"40","sku":"BOOT-40","price":"189.00","inventory_quantity":-2,"inventory_management":"shopify"},
                {"id":12,"title":"42","sku":"BOOT-42","price":"189.5","inventory_quantity":3,"inventory_management":null}]}]})";
  auto r = parse_shopify_products(doc, "EUR", "en");
  ASSERT_TRUE(r.ok()) << r.error().field << ": " << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const auto& p = (*r)[0];
  EXPECT_EQ(p.handle, "chelsea-boot");
  EXPECT_EQ(p.status, "archived");
  EXPECT_EQ(p.translations.at("en").description, "Suede & elastic");
  EXPECT_EQ(p.collections, (std::vector<std::string>{"shoes", "boots", "autumn-winter"}));
  EXPECT_EQ(p.variants[0].prices.at("EUR"), 18900);
  EXPECT_EQ(p.variants[0].stock, 0);  // negative inventory clamps to 0
  EXPECT_EQ(p.variants[1].prices.at("EUR"), 18950);
  EXPECT_EQ(p.variants[1].stock, std::nullopt);
  auto bad = parse_shopify_products(R"({"products":[{"title":"x","variants":[{"sku":"A","price":18.9}]}]})", "EUR", "en");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "products[0].variants[0].price");
  bad = parse_shopify_products(R"({"products":[{"title":"x","variants":[{"price":"1"}]}]})", "EUR", "en");
  EXPECT_EQ(bad.error().field, "products[0].variants[0].sku");
  EXPECT_FALSE(parse_shopify_products(R"([1,2])", "EUR", "en").ok());
  EXPECT_FALSE(parse_shopify_products(R"({"products":[]})", "XXX", "en").ok());
}

}  // namespace
}  // namespace bottega::commerce
