// A WhatsApp `order` message (a cart sent from the shop's WhatsApp catalog, normalized by
// src/channels/whatsapp into content {"catalog_id","text","product_items":[{"product_retailer_id",
// "quantity","item_price_minor","currency"}]}) becomes a Bottega cart by itself: SKU =
// product_retailer_id, prices from our catalog (the price shown in WhatsApp is informational), the
// cart tied to the customer and the conversation. An internal note tells the agents what was
// added and what could not be (unknown SKU, out of stock, no price in the cart's currency).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "bottega/events.hpp"
#include "bottega/store.hpp"
#include "commerce/carts.hpp"
#include "pipeline/services.hpp"

namespace bottega::commerce {

// Builds the cart for one order message, once (deduplicated by the message id: a second call
// returns the same cart). Errors only for an impossible state (no such conversation) or a
// message that is not an order.
Result<Cart> cart_from_order_message(Tx& tx, pipeline::Env& env, const std::string& tenant,
                                     const std::string& message_id);

// Dispatcher listener: picks inbound `order` messages out of message.created events and builds
// their carts after the batch (store work on the dispatcher thread, as on_batch_end allows).
class OrderMessageListener final : public EventListener {
 public:
  OrderMessageListener(store::Store& store, pipeline::Env env) : store_(store), env_(std::move(env)) {}
  void on_event(const Event& e) override;
  void on_batch_end() override;

 private:
  store::Store& store_;
  pipeline::Env env_;
  struct Pending {
    std::string tenant, message_id;
  };
  std::vector<Pending> pending_;  // dispatcher thread only
};

}  // namespace bottega::commerce
