// Commerce through the real server: import a catalog (CSV and Shopify JSON, idempotent by SKU),
// search it, build a cart in a conversation, see bad input refused with nothing changed, a
// discount code refused with its reason and then applied, an order placed, paid and fulfilled with
// tracking, and the order.* merchant webhooks attempted; another shop sees none of it.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr const char* kCsv =
    "handle,sku,title,title_it,title_de,title_nl,variant_title,price_EUR,stock,image_url,collections\n"
    "linen-shirt,SHIRT-S,Linen shirt,Camicia di lino,Leinenhemd,Linnen overhemd,S,49.90,5,https://img.example/shirt.jpg,summer\n"
    "linen-shirt,SHIRT-M,,,,,M,49.90,1,,\n"
    "merino-socks,SOCK-1,Merino socks,Calze in merino,,,,12.00,,,winter\n";

constexpr const char* kShopify =
    R"({"products":[{"id":1,"title":"Chelsea boot","handle":"chelsea-boot","body_html":"<p>Suede</p>","vendor":"Acme",
        "status":"active","tags":"boots","variants":[{"id":2,"title":"40","sku":"BOOT-40","price":"189.00",
        "inventory_quantity":2,"inventory_management":"shopify"}],"images":[{"src":"https://img.example/boot.jpg"}]}]})";

class Commerce : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Shop");
    other = srv.create_tenant("Other");
    srv.start();
    channel = create_webchat_channel(srv, shop.token);
    auto v = create_visitor(srv, channel, "Ann");
    auto m = visitor_send(srv, channel, v.token, "do you have linen shirts?");
    ASSERT_EQ(m.status, 201) << m.describe();
    conversation = str(m.json(), "conversation_id");
    auto c = srv.get("/api/v1/conversations/" + conversation, bearer(shop.token));
    contact = str(c.json(), "contact.id");
    ASSERT_FALSE(contact.empty());
  }

  HttpResponse import(const std::string& body, const std::string& type, const std::string& token) {
    return srv.request("POST", "/api/v1/catalog/import", body, bearer(token) + Headers{{"Content-Type", type}});
  }

  BottegaProcess srv;
  Tenant shop, other;
  std::string channel, conversation, contact;
};

TEST_F(Commerce, CatalogCartDiscountOrder) {
  Headers auth = bearer(shop.token);
  // Import: CSV then Shopify; the same CSV again changes nothing.
  auto imp = import(kCsv, "text/csv", shop.token);
  ASSERT_EQ(imp.status, 200) << imp.describe();
  EXPECT_EQ(num(imp.json(), "created"), 2);
  imp = import(kCsv, "text/csv", shop.token);
  ASSERT_EQ(imp.status, 200) << imp.describe();
  EXPECT_EQ(num(imp.json(), "created"), 0);
  EXPECT_EQ(num(imp.json(), "unchanged"), 2);
  imp = import(kShopify, "application/json", shop.token);
  ASSERT_EQ(imp.status, 200) << imp.describe();
  EXPECT_EQ(num(imp.json(), "created"), 1);
  // A bad row: 400 naming it, nothing imported.
  imp = import("sku,title,price_EUR\nNEW-1,New,1\nNEW-2,Newer,1.999\n", "text/csv", shop.token);
  EXPECT_EQ(imp.status, 400) << imp.describe();
  EXPECT_EQ(imp.error_field(), "rows[2].price_EUR");
  EXPECT_EQ(arr(srv.get("/api/v1/products?q=newer", auth).json(), "data").size(), 0u);
  EXPECT_EQ(arr(srv.get("/api/v1/products?q=new", auth).json(), "data").size(), 0u);

  // Search: Italian title, SKU, prefix; the other shop finds nothing.
  auto found = srv.get("/api/v1/products?q=camicia", auth);
  ASSERT_EQ(found.status, 200) << found.describe();
  ASSERT_EQ(arr(found.json(), "data").size(), 1u);
  std::string shirt = str(arr(found.json(), "data")[0], "id");
  EXPECT_EQ(arr(srv.get("/api/v1/products?q=BOOT-40", auth).json(), "data").size(), 1u);
  EXPECT_EQ(arr(srv.get("/api/v1/products?q=chel", auth).json(), "data").size(), 1u);
  EXPECT_EQ(arr(srv.get("/api/v1/products?q=camicia", bearer(other.token)).json(), "data").size(), 0u);
  EXPECT_EQ(srv.get("/api/v1/products/" + shirt, bearer(other.token)).status, 404);
  auto one = srv.get("/api/v1/products/" + shirt, auth);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(str(one.json(), "title.de"), "Leinenhemd");
  EXPECT_EQ(arr(one.json(), "variants").size(), 2u);

  // Settings: German tax, standard shipping.
  auto st = srv.patch("/api/v1/commerce/settings",
                      bj::object{{"tax_rates", bj::object{{"IT", "22"}, {"DE", "19"}}}, {"default_country", "IT"},
                                 {"shipping_options", bj::array{bj::object{{"id", "std"}, {"name", "Standard"},
                                                                           {"prices", bj::object{{"EUR", 500}}}}}}},
                      auth);
  ASSERT_EQ(st.status, 200) << st.describe();

  // A cart in the conversation.
  auto cart = srv.post("/api/v1/carts", bj::object{{"conversation_id", conversation},
                                                  {"items", bj::array{bj::object{{"sku", "SHIRT-S"}, {"quantity", 2}}}}},
                       auth);
  ASSERT_EQ(cart.status, 201) << cart.describe();
  std::string cart_id = str(cart.json(), "id");
  EXPECT_EQ(str(cart.json(), "contact_id"), contact);
  EXPECT_EQ(num(cart.json(), "totals.total"), 9980);
  EXPECT_EQ(num(cart.json(), "totals.tax_total"), 1800);  // 99.80 incl. 22 % = 17.9967 -> 18.00
  std::string items = "/api/v1/carts/" + cart_id + "/items";
  auto bad = srv.post(items, bj::object{{"sku", "NOPE"}, {"quantity", 1}}, auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_code(), "unknown_sku");
  EXPECT_EQ(bad.error_field(), "sku");
  bad = srv.post(items, bj::object{{"sku", "SOCK-1"}, {"quantity", 0}}, auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "quantity");
  bad = srv.post(items, bj::object{{"sku", "SHIRT-M"}, {"quantity", 2}}, auth);
  EXPECT_EQ(bad.status, 409);
  EXPECT_EQ(bad.error_code(), "insufficient_stock");
  EXPECT_EQ(srv.post(items, bj::object{{"sku", "SOCK-1"}, {"quantity", 1}}, bearer(other.token)).status, 404);
  auto ok = srv.post(items, bj::object{{"sku", "SOCK-1"}, {"quantity", 1}}, auth);
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(num(ok.json(), "totals.subtotal"), 9980 + 1200);
  ASSERT_EQ(srv.patch("/api/v1/carts/" + cart_id, bj::object{{"shipping_option", "std"}, {"country", "DE"}}, auth).status, 200);

  // Discount codes: refused with the reason, another shop's code unknown, then applied.
  ASSERT_EQ(srv.post("/api/v1/discounts",
                     bj::object{{"code", "BIG20"}, {"kind", "percentage"}, {"percent", "20"}, {"currency", "EUR"},
                                {"minimum_subtotal", 100000}},
                     auth).status, 201);
  ASSERT_EQ(srv.post("/api/v1/discounts", bj::object{{"code", "OTHER10"}, {"kind", "percentage"}, {"percent", "10"}},
                     bearer(other.token)).status, 201);
  ASSERT_EQ(srv.post("/api/v1/discounts", bj::object{{"code", "SUMMER10"}, {"kind", "percentage"}, {"percent", "10"},
                                                     {"collections", bj::array{"summer"}}},
                     auth).status, 201);
  std::string disc = "/api/v1/carts/" + cart_id + "/discount";
  auto refused = srv.post(disc, bj::object{{"code", "big20"}}, auth);
  EXPECT_EQ(refused.status, 422) << refused.describe();
  EXPECT_EQ(refused.error_code(), "minimum_not_reached");
  EXPECT_EQ(refused.error_field(), "code");
  refused = srv.post(disc, bj::object{{"code", "OTHER10"}}, auth);
  EXPECT_EQ(refused.error_code(), "unknown_code");
  auto applied = srv.post(disc, bj::object{{"code", "summer10"}}, auth);
  ASSERT_EQ(applied.status, 200) << applied.describe();
  auto t = applied.json();
  EXPECT_EQ(num(t, "totals.discount_total"), 998);  // 10 % of the shirts only
  EXPECT_EQ(num(t, "totals.shipping_total"), 500);
  EXPECT_EQ(str(t, "totals.tax_rate"), "19.00");
  EXPECT_EQ(num(t, "totals.total"), 9980 - 998 + 1200 + 500);

  // Webhooks for orders (the endpoint need not answer: the attempts are logged).
  auto ep = srv.post("/api/v1/webhook_endpoints", bj::object{{"url", "http://127.0.0.1:9/hook"}}, auth);
  ASSERT_EQ(ep.status, 201) << ep.describe();
  std::string endpoint = str(ep.json(), "id");

  // The order: pending an offline payment, paid, fulfilled with tracking.
  auto order = srv.post("/api/v1/orders", bj::object{{"cart_id", cart_id}}, auth);
  ASSERT_EQ(order.status, 201) << order.describe();
  std::string order_id = str(order.json(), "id");
  EXPECT_EQ(num(order.json(), "number"), 1001);
  EXPECT_EQ(str(order.json(), "status"), "pending_payment");
  EXPECT_EQ(num(order.json(), "total"), 9980 - 998 + 1200 + 500);
  EXPECT_EQ(srv.post(items, bj::object{{"sku", "SOCK-1"}, {"quantity", 1}}, auth).error_code(), "cart_closed");
  EXPECT_EQ(srv.get("/api/v1/orders/" + order_id, bearer(other.token)).status, 404);
  auto early = srv.patch("/api/v1/orders/" + order_id, bj::object{{"status", "fulfilled"}}, auth);
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(early.error_code(), "invalid_status_transition");
  auto paid = srv.patch("/api/v1/orders/" + order_id, bj::object{{"status", "paid"}, {"payment_ref", "bank-42"}}, auth);
  ASSERT_EQ(paid.status, 200) << paid.describe();
  auto shipped = srv.patch("/api/v1/orders/" + order_id,
                           bj::object{{"status", "fulfilled"}, {"tracking_number", "1Z999"},
                                      {"tracking_url", "https://track.example/1Z999"}, {"carrier", "UPS"}},
                           auth);
  ASSERT_EQ(shipped.status, 200) << shipped.describe();
  EXPECT_EQ(str(shipped.json(), "status"), "fulfilled");
  EXPECT_EQ(str(shipped.json(), "fulfillment.tracking_url"), "https://track.example/1Z999");
  auto orders = srv.get("/api/v1/orders?contact_id=" + contact, auth);
  ASSERT_EQ(arr(orders.json(), "data").size(), 1u);
  EXPECT_EQ(arr(srv.get("/api/v1/orders", bearer(other.token)).json(), "data").size(), 0u);
  // Stock left the shelf: 5 - 2 shirts.
  auto after = srv.get("/api/v1/products/" + shirt, auth);
  EXPECT_EQ(num(arr(after.json(), "variants")[0], "stock"), 3);

  std::set<std::string> types;
  for (int i = 0; i < 100 && types.size() < 3; ++i) {
    auto log = srv.get("/api/v1/webhook_endpoints/" + endpoint + "/deliveries", auth);
    for (const auto& d : arr(log.json(), "data")) {
      std::string ty = str(d, "event_type");
      if (ty == "order.created" || ty == "order.paid" || ty == "order.fulfilled") types.insert(ty);
    }
    if (types.size() < 3) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(types, (std::set<std::string>{"order.created", "order.paid", "order.fulfilled"}));
}

}  // namespace
}  // namespace e2e
