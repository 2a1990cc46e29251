// Product cards and cart summaries (commerce/cards.hpp) on a real SQLite store: prices in the
// customer's locale and the catalog's currency, honest stock, the add-to-cart choice only where
// it can be tapped and only in stock, and clear errors that change nothing. On SQLite and, when
// BOTTEGA_TEST_PG_URL names a server (scripts/pg.sh), on PostgreSQL.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "commerce/cards.hpp"
#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "commerce/discounts.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::commerce {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

TEST(FormatPrice, LocalesAndCurrencies) {
  EXPECT_EQ(format_price(129900, "EUR", "en"), "€1,299.00");
  EXPECT_EQ(format_price(129900, "EUR", "it"), "1.299,00 €");
  EXPECT_EQ(format_price(129900, "EUR", "de"), "1.299,00 €");
  EXPECT_EQ(format_price(129900, "EUR", "nl"), "€ 1.299,00");
  EXPECT_EQ(format_price(4990, "USD", "en"), "$49.90");
  EXPECT_EQ(format_price(7000, "JPY", "en"), "¥7,000");
  EXPECT_EQ(format_price(7000, "JPY", "de"), "7.000 ¥");
  EXPECT_EQ(format_price(15500, "KWD", "en"), "KWD 15.500");
  EXPECT_EQ(format_price(1250, "CHF", "it"), "12,50 CHF");
  EXPECT_EQ(format_price(5, "EUR", "en"), "€0.05");
  EXPECT_EQ(format_price(-500, "EUR", "it"), "-5,00 €");
  EXPECT_EQ(format_price(123456789, "EUR", "xx"), "€1,234,567.89");  // unknown language: English
}

TEST(CardLanguage, KnownOrEnglish) {
  EXPECT_EQ(card_language("it"), "it");
  EXPECT_EQ(card_language("de-AT"), "de");
  EXPECT_EQ(card_language("NL"), "nl");
  EXPECT_EQ(card_language("fr"), "en");
  EXPECT_EQ(card_language(""), "en");
}

class CardsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_cards");
    if (IsSkipped() || HasFatalFailure()) return;
    std::string url = place_.url();
    auto s = store::open_store(url, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      for (std::string t : {"ten_A", "ten_B"}) {
        repo::create_tenant(tx, t, "Shop " + t, 1);
        repo::create_contact(tx, t, "ct_ann_" + t, "Ann", std::nullopt, 1);
        repo::create_contact(tx, t, "ct_bob_" + t, "Bob", std::nullopt, 1);
      }
      for (auto [id, type] : {std::pair{"ch_wa", "whatsapp"}, std::pair{"ch_sms", "twilio"}}) {
        repo::create_channel(tx, Channel{id, "ten_A", type, type, "{}", 1});
        Conversation c;
        c.id = std::string("cnv_") + type;
        c.tenant_id = "ten_A";
        c.channel_id = id;
        c.channel_type = type;
        c.contact_id = "ct_ann_ten_A";
        c.last_message_at = c.created_at = c.updated_at = 1;
        repo::create_conversation(tx, c);
      }
      ProductInput shoe;
      shoe.handle = "trail-runner";
      shoe.translations["en"] = {"Trail runner", "Grippy <b>sole</b> & light"};
      shoe.translations["it"] = {"Scarpa da trail", "Suola aderente"};
      shoe.images = {{"https://img.example/runner.jpg", "runner"}};
      shoe.variants = {Variant{"", "", "TR-42", "EU 42", {{"EUR", 12900}}, 5, std::nullopt, 0},
                       Variant{"", "", "TR-43", "EU 43", {{"EUR", 13900}}, 0, std::nullopt, 0},
                       Variant{"", "", "TR-44", "EU 44", {{"EUR", 12900}}, 2, std::string("https://img.example/44.jpg"), 0}};
      BOTTEGA_TRY(a, create_product(tx, ids_, "ten_A", shoe, 1));
      shoe_id_ = a.id;
      ProductInput socks;
      socks.translations["en"] = {"Socks", ""};
      socks.variants = {Variant{"", "", "SOCK", "", {{"USD", 900}}, std::nullopt, std::nullopt, 0}};
      BOTTEGA_TRY(b, create_product(tx, ids_, "ten_A", socks, 1));
      socks_id_ = b.id;
      return {};
    }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  Status write(std::function<Status(store::Tx&)> fn) { return store::write_sync(*store_, std::move(fn)); }
  Conversation conv(const std::string& id) {
    std::optional<Conversation> c;
    store::read_sync(*store_, [&](store::Tx& tx) { c = repo::get_conversation(tx, "ten_A", id); });
    EXPECT_TRUE(c);
    return *c;
  }
  Result<CardMessage> card(const std::string& conv_id, const ProductCardInput& in, const std::string& tenant = "ten_A") {
    std::optional<Result<CardMessage>> out;
    Conversation c = conv(conv_id);
    c.tenant_id = tenant;
    store::read_sync(*store_, [&](store::Tx& tx) { out.emplace(product_card(tx, tenant, c, in, clock_.now_ms())); });
    return std::move(*out);
  }

  store::ScratchStore place_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'800'000'000'000};
  RandomIdGenerator ids_{clock_};
  std::string shoe_id_, socks_id_;
};

INSTANTIATE_TEST_SUITE_P(Stores, CardsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(CardsTest, VariantCardInTheCustomersLanguageWithStockAndButton) {
  ProductCardInput in;
  in.sku = "TR-42";
  in.language = "it";
  in.url = "https://shop.example/p/trail-runner";
  in.intro = "Ecco la scarpa";
  auto c = card("cnv_whatsapp", in);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->text, "Ecco la scarpa\n\nScarpa da trail - EU 42\n129,00 € · Disponibile\nSuola aderente");
  const auto& p = c->content.at("product").as_object();
  EXPECT_EQ(p.at("sku").as_string(), "TR-42");
  EXPECT_EQ(p.at("price").at("amount").as_int64(), 12900);
  EXPECT_EQ(p.at("price").at("formatted").as_string(), "129,00 €");
  EXPECT_EQ(p.at("stock").as_int64(), 5);
  EXPECT_TRUE(p.at("available").as_bool());
  EXPECT_EQ(p.at("image_url").as_string(), "https://img.example/runner.jpg");
  EXPECT_EQ(c->content.at("link").at("title").as_string(), "Vedi prodotto");
  const auto& choices = c->content.at("choices").as_array();
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices[0].at("id").as_string(), "buy:TR-42");
  EXPECT_EQ(choices[0].at("title").as_string(), "Aggiungi al carrello");
}

TEST_P(CardsTest, OutOfStockIsHonestAndOffersNoButton) {
  ProductCardInput in;
  in.sku = "TR-43";
  auto c = card("cnv_whatsapp", in);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_NE(c->text.find("€139.00 · Out of stock"), std::string::npos) << c->text;
  EXPECT_FALSE(c->content.at("product").at("available").as_bool());
  EXPECT_EQ(c->content.at("product").at("availability").as_string(), "out_of_stock");
  EXPECT_FALSE(c->content.contains("choices"));
  // Low stock says how many are left, and the variant's own image wins.
  in.sku = "TR-44";
  in.language = "de";
  c = card("cnv_whatsapp", in);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->text.find("129,00 € · Nur noch 2 verfügbar"), std::string::npos) << c->text;
  EXPECT_EQ(c->content.at("product").at("image_url").as_string(), "https://img.example/44.jpg");
}

TEST_P(CardsTest, ReservedUnitsAreNotPromised) {
  // Another customer's payment link holds 4 of the 5 units: the card says 1 left.
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    NewCart n;
    n.contact_id = "ct_bob_ten_A";
    BOTTEGA_TRY(cart, create_cart(tx, ids_, "ten_A", n, clock_.now_ms()));
    BOTTEGA_TRY(x, add_item(tx, "ten_A", cart.id, "TR-42", 4, clock_.now_ms()));
    (void)x;
    return reserve_stock(tx, "ten_A", cart.id, clock_.now_ms() + 60'000, clock_.now_ms());
  }).ok());
  ProductCardInput in;
  in.sku = "TR-42";
  auto c = card("cnv_whatsapp", in);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->content.at("product").at("stock").as_int64(), 1);
  EXPECT_NE(c->text.find("Only 1 left"), std::string::npos) << c->text;
}

TEST_P(CardsTest, ProductWithVariantsShowsFromPriceAndNoSku) {
  ProductCardInput in;
  in.product_id = shoe_id_;
  in.language = "nl";
  auto c = card("cnv_whatsapp", in);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->content.at("product").at("price").at("formatted").as_string(), "vanaf € 129,00");
  EXPECT_EQ(c->content.at("product").at("stock").as_int64(), 7);
  EXPECT_FALSE(c->content.at("product").as_object().contains("sku"));
  EXPECT_FALSE(c->content.contains("choices"));  // which size? the agent picks a variant
}

TEST_P(CardsTest, SmsGetsNoButtonsAndCurrencyFallsBackToTheCatalogs) {
  ProductCardInput in;
  in.sku = "SOCK";  // priced in USD only; the shop's currency is EUR
  auto c = card("cnv_twilio", in);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->content.at("product").at("price").at("formatted").as_string(), "$9.00");
  EXPECT_TRUE(c->content.at("product").at("stock").is_null());  // not tracked: always available
  EXPECT_FALSE(c->content.contains("choices"));  // SMS has nothing to tap
  in.currency = "EUR";  // asked explicitly: an error, not a silent switch
  auto e = card("cnv_twilio", in);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "no_price_in_currency");
  EXPECT_EQ(e.error().field, "currency");
}

TEST_P(CardsTest, BadInputIsNamed) {
  ProductCardInput in;
  EXPECT_EQ(card("cnv_whatsapp", in).error().field, "sku");
  in.sku = "NOPE";
  EXPECT_EQ(card("cnv_whatsapp", in).error().code, "unknown_sku");
  in.sku = "TR-42";
  in.url = "javascript:alert(1)";
  EXPECT_EQ(card("cnv_whatsapp", in).error().field, "url");
  in.url.reset();
  in.product_id = socks_id_;
  EXPECT_EQ(card("cnv_whatsapp", in).error().code, "sku_mismatch");
  // Another tenant's SKU is unknown.
  ProductCardInput other;
  other.sku = "TR-42";
  EXPECT_EQ(card("cnv_whatsapp", other, "ten_B").error().code, "unknown_sku");
}

// Several products in one message: each as its own card (price, stock, language), with its own
// link and "add to cart" choice; the text is the whole numbered list with the pages.
TEST_P(CardsTest, SeveralProductsInOneMessage) {
  auto list = [&](const std::string& conv_id, const ProductListInput& in) {
    std::optional<Result<CardMessage>> out;
    Conversation c = conv(conv_id);
    store::read_sync(*store_, [&](store::Tx& tx) { out.emplace(product_list(tx, "ten_A", c, in, clock_.now_ms())); });
    return std::move(*out);
  };
  ProductListInput in;
  in.language = "it";
  in.intro = "Ecco due idee";
  ProductCardInput a, b, gone;
  a.sku = "TR-42";
  a.url = "https://shop.example/p/trail";
  b.product_id = socks_id_;
  gone.sku = "TR-43";
  in.items = {a, b, gone};
  auto m = list("cnv_whatsapp", in);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->text,
            "Ecco due idee\n\n"
            "1. Scarpa da trail - EU 42\n129,00 € · Disponibile\nSuola aderente\nhttps://shop.example/p/trail\n\n"
            "2. Socks\n9,00 $ · Disponibile\n\n"
            "3. Scarpa da trail - EU 43\n139,00 € · Esaurito\nSuola aderente");
  const auto& ps = m->content.at("products").as_array();
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].at("sku").as_string(), "TR-42");
  EXPECT_EQ(ps[0].at("link").at("url").as_string(), "https://shop.example/p/trail");
  EXPECT_EQ(ps[0].at("link").at("title").as_string(), "Vedi prodotto");
  EXPECT_EQ(ps[0].at("choice").at("id").as_string(), "buy:TR-42");
  EXPECT_EQ(ps[0].at("choice").at("title").as_string(), "Aggiungi al carrello");
  EXPECT_EQ(ps[1].at("choice").at("id").as_string(), "buy:SOCK");
  EXPECT_FALSE(ps[1].as_object().contains("link"));
  EXPECT_FALSE(ps[2].as_object().contains("choice"));  // out of stock: nothing to buy
  EXPECT_FALSE(ps[2].at("available").as_bool());
  EXPECT_EQ(m->content.at("heading").as_string(), "I nostri consigli per te");
  EXPECT_EQ(m->content.at("intro").as_string(), "Ecco due idee");
  EXPECT_FALSE(m->content.contains("choices"));  // each product has its own
  EXPECT_FALSE(m->content.contains("product"));

  // SMS: the same list, nothing to tap.
  in.items = {a, b};
  in.intro.reset();
  in.language = "en";
  m = list("cnv_twilio", in);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->text.substr(0, 20), "Our picks for you\n\n1");
  for (const auto& p : m->content.at("products").as_array()) EXPECT_FALSE(p.as_object().contains("choice"));

  // Bad input names the item; nothing is built.
  in.items = {a};
  EXPECT_EQ(list("cnv_whatsapp", in).error().field, "products");
  in.items = std::vector<ProductCardInput>(kMaxListProducts + 1, a);
  EXPECT_EQ(list("cnv_whatsapp", in).error().field, "products");
  ProductCardInput bad;
  bad.sku = "NOPE";
  in.items = {a, bad};
  auto e = list("cnv_whatsapp", in);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "unknown_sku");
  EXPECT_EQ(e.error().field, "products[1].sku");
  in.items = {a, b, a};
  e = list("cnv_whatsapp", in);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "duplicate");
  EXPECT_EQ(e.error().field, "products[2].sku");
  ProductCardInput bad_url = b;
  bad_url.url = "javascript:x";
  in.items = {a, bad_url};
  EXPECT_EQ(list("cnv_whatsapp", in).error().field, "products[1].url");
}

TEST_P(CardsTest, CartSummaryWithDiscountInTheCustomersLanguage) {
  std::string cart_id;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto d = parse_discount(bj::object{{"code", "TEN"}, {"kind", "percentage"}, {"percent", "10"}}, false);
    if (!d) return d.error();
    BOTTEGA_TRY(x, create_discount(tx, ids_, "ten_A", *d, clock_.now_ms()));
    (void)x;
    NewCart n;
    n.conversation_id = "cnv_whatsapp";
    BOTTEGA_TRY(cart, create_cart(tx, ids_, "ten_A", n, clock_.now_ms()));
    cart_id = cart.id;
    BOTTEGA_TRY(a, add_item(tx, "ten_A", cart.id, "TR-42", 2, clock_.now_ms()));
    (void)a;
    BOTTEGA_TRY(b, apply_discount_code(tx, "ten_A", cart.id, "TEN", clock_.now_ms()));
    (void)b;
    return {};
  }).ok());
  std::optional<Result<CardMessage>> out;
  Conversation c = conv("cnv_whatsapp");
  store::read_sync(*store_, [&](store::Tx& tx) {
    out.emplace(cart_summary(tx, "ten_A", c, cart_id, std::string("it"), clock_.now_ms()));
  });
  ASSERT_TRUE(out->ok()) << out->error().message;
  const auto& m = **out;
  EXPECT_NE(m.text.find("2 × Scarpa da trail - EU 42 — 258,00 €"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("Sconto (TEN): -25,80 €"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("Totale: 232,20 €"), std::string::npos) << m.text;
  const auto& cart = m.content.at("cart").as_object();
  EXPECT_EQ(cart.at("total").as_int64(), 23220);
  EXPECT_EQ(cart.at("discount_code").as_string(), "TEN");
  EXPECT_EQ(cart.at("formatted").at("total").as_string(), "232,20 €");

  // Another customer's conversation cannot show it.
  Conversation other = c;
  other.contact_id = "ct_bob_ten_A";
  store::read_sync(*store_, [&](store::Tx& tx) {
    out.emplace(cart_summary(tx, "ten_A", other, cart_id, std::nullopt, clock_.now_ms()));
  });
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, "cart_not_in_conversation");
}

}  // namespace
}  // namespace bottega::commerce
