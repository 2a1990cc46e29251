// Closing the sale inside the conversation, through the real server and the built-in sandbox PSP:
// a product card and a cart summary sent to a web chat visitor, a payment link made from the cart
// (its stock held: nobody else can take the units; cancelling gives them back), paid on the
// sandbox page, and the paid cart becoming a paid order with the stock taken out once, "Paid"
// and the order number in the thread, whatever the webhook retries.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "sandbox_whsec_sell_0123456789";

class Sell : public ::testing::Test {
 protected:
  void SetUp() override {
    shop = srv.create_tenant("Bottega Shoes");
    srv.start();
    channel = create_webchat_channel(srv, shop.token, "Shop");
    visitor = create_visitor(srv, channel, "Carla");
    auto sent = visitor_send(srv, channel, visitor.token, "Do you have boots in 40?");
    ASSERT_EQ(sent.status, 201) << sent.describe();
    conversation = str(sent.json(), "conversation_id");
    auto p = srv.post("/api/v1/payment_providers",
                      bj::object{{"type", "sandbox"}, {"name", "Test"},
                                 {"settings", bj::object{{"webhook_secret", kSecret}, {"async_delay_ms", 300}}}},
                      bearer(shop.token));
    ASSERT_EQ(p.status, 201) << p.describe();
    provider = str(p.json(), "id");
    auto prod = srv.post("/api/v1/products",
                         parse_json(R"({"handle":"boots","title":{"en":"Chelsea boots","it":"Stivaletti"},
                           "images":[{"url":"https://img.example/boots.jpg","alt":"boots"}],
                           "variants":[{"sku":"BOOT-40","title":"40","prices":{"EUR":10000},"stock":3}]})"),
                         bearer(shop.token));
    ASSERT_EQ(prod.status, 201) << prod.describe();
    product = str(prod.json(), "id");
  }

  HttpResponse api_post(const std::string& path, const bj::value& body) {
    return srv.post(path, body, bearer(shop.token));
  }
  int64_t stock() {
    auto variants = arr(srv.get("/api/v1/products/" + product, bearer(shop.token)).json(), "variants");
    return variants.empty() ? -1 : num(variants[0], "stock");
  }
  std::string new_cart(const std::string& conv, int64_t qty) {
    auto c = api_post("/api/v1/carts", bj::object{{"conversation_id", conv},
                                                  {"items", bj::array{bj::object{{"sku", "BOOT-40"}, {"quantity", qty}}}}});
    EXPECT_EQ(c.status, 201) << c.describe();
    return str(c.json(), "id");
  }
  HttpResponse form(const std::string& path, const std::string& body) const {
    return srv.request("POST", path, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
  static std::string path_of(const std::string& url) { return url.substr(url.find("/pay/")); }

  BottegaProcess srv;
  Tenant shop;
  Visitor visitor;
  std::string channel, conversation, provider, product;
};

TEST_F(Sell, CardCartLinkSandboxPayPaidOrder) {
  // The product card and the cart summary reach the visitor.
  auto card = api_post("/api/v1/conversations/" + conversation + "/messages",
                       bj::object{{"kind", "product"}, {"sku", "BOOT-40"}, {"language", "it"}});
  ASSERT_EQ(card.status, 201) << card.describe();
  EXPECT_EQ(str(card.json(), "kind"), "product");
  EXPECT_EQ(str(card.json(), "content.product.subtitle"), "100,00 € · Solo 3 disponibili");  // 3 on hand: low stock

  std::string cart = new_cart(conversation, 2);
  auto summary = api_post("/api/v1/conversations/" + conversation + "/messages",
                          bj::object{{"kind", "cart"}, {"cart_id", cart}, {"language", "en"}});
  ASSERT_EQ(summary.status, 201) << summary.describe();
  EXPECT_NE(str(summary.json(), "text").find("Total: €200.00"), std::string::npos) << summary.describe();

  // The link from the cart: the cart's total, the units held.
  auto link = api_post("/api/v1/payment_links", bj::object{{"conversation_id", conversation}, {"cart_id", cart}});
  ASSERT_EQ(link.status, 201) << link.describe();
  EXPECT_EQ(num(link.json(), "amount"), 20000);
  EXPECT_EQ(str(link.json(), "cart_id"), cart);
  std::string id = str(link.json(), "id"), url = str(link.json(), "url");

  // Another customer can take only the one unit left.
  auto v2 = create_visitor(srv, channel, "Dora");
  auto s2 = visitor_send(srv, channel, v2.token, "boots?");
  ASSERT_EQ(s2.status, 201);
  std::string other_conv = str(s2.json(), "conversation_id");
  auto too_many = api_post("/api/v1/carts", bj::object{{"conversation_id", other_conv},
                                                       {"items", bj::array{bj::object{{"sku", "BOOT-40"}, {"quantity", 2}}}}});
  EXPECT_EQ(too_many.status, 409) << too_many.describe();
  EXPECT_EQ(str(too_many.json(), "error.code"), "insufficient_stock");
  // The held cart cannot change, and a second link for it is refused.
  auto locked = api_post("/api/v1/carts/" + cart + "/items", bj::object{{"sku", "BOOT-40"}, {"quantity", 1}});
  EXPECT_EQ(locked.status, 409) << locked.describe();
  auto twice = api_post("/api/v1/payment_links", bj::object{{"conversation_id", conversation}, {"cart_id", cart}});
  EXPECT_EQ(twice.status, 409) << twice.describe();
  EXPECT_EQ(str(twice.json(), "error.code"), "cart_has_open_link");

  // Cancel gives the units back; a new link holds them again.
  auto cancel = api_post("/api/v1/payment_links/" + id + "/cancel", bj::object{});
  ASSERT_EQ(cancel.status, 200) << cancel.describe();
  EXPECT_EQ(str(cancel.json(), "status"), "cancelled");
  std::string other_cart = new_cart(other_conv, 2);  // now possible: nothing is held
  auto del = srv.request("DELETE", "/api/v1/carts/" + other_cart + "/items/BOOT-40", "", bearer(shop.token));
  EXPECT_EQ(del.status, 200) << del.describe();
  auto gone = srv.get(path_of(url));
  EXPECT_NE(gone.body.find("ancel"), std::string::npos) << "the checkout page says the link was cancelled";
  link = api_post("/api/v1/payment_links", bj::object{{"conversation_id", conversation}, {"cart_id", cart}});
  ASSERT_EQ(link.status, 201) << link.describe();
  id = str(link.json(), "id");
  url = str(link.json(), "url");
  std::string code = str(link.json(), "verification_code");

  // The visitor sees the link with its code, then pays on the sandbox's page.
  auto seen = srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", visitor.token}});
  bool link_seen = false;
  for (const auto& m : arr(seen.json(), "data"))
    if (str(m, "kind") == "payment_link" && str(m, "content.payment.verification_code") == code &&
        str(m, "content.payment.cart_id") == cart)
      link_seen = true;
  EXPECT_TRUE(link_seen) << seen.body;
  auto page = srv.get(path_of(url));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(code), std::string::npos);
  auto start = form(path_of(url), "lang=en");
  ASSERT_EQ(start.status, 303) << start.describe();
  std::string session = start.header("Location").substr(srv.public_url().size());
  auto done = form(session, "method=card_success");
  ASSERT_EQ(done.status, 303) << done.describe();

  // Paid: the order exists, paid, the stock taken out once; the thread names the order.
  ASSERT_TRUE(eventually([&] {
    return str(srv.get("/api/v1/payment_links/" + id, bearer(shop.token)).json(), "status") == "paid";
  }, 10s));
  auto paid = srv.get("/api/v1/payment_links/" + id, bearer(shop.token)).json();
  std::string order_id = str(paid, "order_id");
  ASSERT_FALSE(order_id.empty()) << dump(paid);
  auto order = srv.get("/api/v1/orders/" + order_id, bearer(shop.token));
  ASSERT_EQ(order.status, 200) << order.describe();
  EXPECT_EQ(str(order.json(), "status"), "paid");
  EXPECT_EQ(num(order.json(), "total"), 20000);
  EXPECT_EQ(stock(), 1);
  int64_t number = num(order.json(), "number");
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", visitor.token}}).json(), "data"))
      if (str(m, "kind") == "payment_status" && str(m, "text").find("Order #" + std::to_string(number)) != std::string::npos)
        return true;
    return false;
  }, 5s));

  // The provider retries (a new event id for the same capture): no second order, no stock change.
  int64_t t = std::time(nullptr);
  std::string ref = str(paid, "id");
  std::string body = R"({"id":"sbe_retry_1","type":"payment.succeeded","data":{"session":")" +
                     session.substr(session.rfind('/') + 1) + R"(","reference":")" + ref +
                     R"(","amount":20000,"currency":"EUR"}})";
  std::string sig = "t=" + std::to_string(t) + ",v1=" +
                    bottega::crypto::hex(bottega::crypto::hmac_sha256(kSecret, std::to_string(t) + "." + body));
  for (int i = 0; i < 2; ++i) {
    auto w = srv.request("POST", "/webhooks/psp/" + provider, body, {{"Sandbox-Signature", sig}});
    EXPECT_EQ(w.status, 200) << w.describe();
  }
  auto orders = srv.get("/api/v1/orders", bearer(shop.token));
  EXPECT_EQ(arr(orders.json(), "data").size(), 1u) << orders.body;
  EXPECT_EQ(stock(), 1);
}

// The web chat visitor taps the card's "Add to cart": the reply goes through the visitor API as an
// interactive_reply, one unit lands in the conversation's open cart (a web chat cart), and an
// internal note, which the visitor never sees, tells the agents. Bad replies change nothing.
TEST_F(Sell, WebchatVisitorTapsAddToCart) {
  auto card = api_post("/api/v1/conversations/" + conversation + "/messages",
                       bj::object{{"kind", "product"}, {"sku", "BOOT-40"}, {"language", "en"}});
  ASSERT_EQ(card.status, 201) << card.describe();
  auto choices = arr(card.json(), "content.choices");
  ASSERT_EQ(choices.size(), 1u) << card.describe();
  EXPECT_EQ(str(choices[0], "id"), "buy:BOOT-40");
  std::string title = str(choices[0], "title");

  auto reply = [&](const bj::value& body) {
    return srv.request("POST", "/api/v1/webchat/" + channel + "/messages", bj::serialize(body),
                       {{"X-Visitor-Token", visitor.token}});
  };
  for (const auto* bad : {R"({"reply":"buy:BOOT-40"})", R"({"reply":{"id":"buy:BOOT-40"}})",
                          R"({"reply":{"id":"","title":"Add"}})", R"({"reply":{"id":"buy:BOOT-40","title":"  "}})",
                          R"({"text":"hi","reply":{"id":"buy:BOOT-40","title":"Add"}})"}) {
    auto r = reply(parse_json(bad));
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.describe();
  }
  auto tapped = reply(bj::object{{"reply", bj::object{{"id", "buy:BOOT-40"}, {"title", title}}}});
  ASSERT_EQ(tapped.status, 201) << tapped.describe();
  EXPECT_EQ(str(tapped.json(), "conversation_id"), conversation);
  std::string tap_id = str(tapped.json(), "message_id");

  // One unit in a web chat cart of this conversation, and the note for the agents.
  std::string cart_id;
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : list_all(srv, "/api/v1/conversations/" + conversation + "/messages", bearer(shop.token)))
      if (str(m, "kind") == "note" && str(m, "content.tap_message_id") == tap_id) {
        cart_id = str(m, "content.cart_id");
        return true;
      }
    return false;
  }, 10s));
  auto cart = srv.get("/api/v1/carts/" + cart_id, bearer(shop.token));
  ASSERT_EQ(cart.status, 200) << cart.describe();
  EXPECT_EQ(str(cart.json(), "conversation_id"), conversation);
  EXPECT_EQ(str(cart.json(), "source"), "webchat");
  auto items = arr(cart.json(), "items");
  ASSERT_EQ(items.size(), 1u) << cart.describe();
  EXPECT_EQ(str(items[0], "sku"), "BOOT-40");
  EXPECT_EQ(num(items[0], "quantity"), 1);

  // The visitor sees their tap (the button's title) and never the internal note.
  bool saw_tap = false;
  for (const auto& m : arr(srv.get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", visitor.token}}).json(), "data")) {
    EXPECT_NE(str(m, "kind"), "note");
    if (str(m, "id") == tap_id) {
      saw_tap = true;
      EXPECT_EQ(str(m, "kind"), "interactive_reply");
      EXPECT_EQ(str(m, "text"), title);
      EXPECT_EQ(str(m, "content.id"), "buy:BOOT-40");
    }
  }
  EXPECT_TRUE(saw_tap);
}
}  // namespace
}  // namespace e2e
