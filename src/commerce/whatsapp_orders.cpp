#include "commerce/whatsapp_orders.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "commerce/money.hpp"
#include "pipeline/listener.hpp"
#include "store/repo/repo.hpp"

namespace bottega::commerce {

namespace bj = boost::json;

namespace {
constexpr const char* kDedupeScope = "commerce.order_cart";
}

Result<Cart> cart_from_order_message(Tx& tx, pipeline::Env& env, const std::string& tenant,
                                     const std::string& message_id) {
  auto m = repo::get_message(tx, tenant, message_id);
  if (!m) return Error::not_found("message");
  if (m->kind != "order" || m->direction != "in") return Error::invalid("message_id", "not an inbound order message");
  auto conv = repo::get_conversation(tx, tenant, m->conversation_id);
  if (!conv) return Error::not_found("conversation");
  int64_t now = env.clock.now_ms();
  std::string cart_id = env.ids.next("crt"), existing;
  if (!repo::insert_dedupe(tx, tenant, kDedupeScope, message_id, cart_id, now, &existing)) {
    auto c = get_cart(tx, tenant, existing);
    if (!c) return Error::internal("the cart of order message " + message_id + " is missing");
    return std::move(*c);
  }
  boost::system::error_code ec;
  auto content = bj::parse(m->content_json, ec);
  const bj::array* items = nullptr;
  if (!ec && content.is_object())
    if (auto* p = content.as_object().if_contains("product_items"); p && p->is_array()) items = &p->as_array();
  std::string currency;
  if (items)
    for (const auto& it : *items)
      if (it.is_object())
        if (auto* c = it.as_object().if_contains("currency"); c && c->is_string() && is_currency(c->as_string())) {
          currency = c->as_string();
          break;
        }
  NewCart nc;
  nc.conversation_id = conv->id;
  if (!currency.empty()) nc.currency = currency;
  nc.source = "whatsapp";
  // The cart id was reserved in the dedupe row: create the cart under that id.
  struct FixedId final : IdGenerator {
    std::string id;
    IdGenerator& fallback;
    FixedId(std::string i, IdGenerator& f) : id(std::move(i)), fallback(f) {}
    std::string next(const char* prefix) override {
      if (!id.empty() && std::string_view(prefix) == "crt") return std::exchange(id, std::string());
      return fallback.next(prefix);
    }
  } fixed(cart_id, env.ids);
  BOTTEGA_TRY(cart, create_cart(tx, fixed, tenant, nc, now));
  std::vector<std::string> added, refused;
  if (items)
    for (const auto& it : *items) {
      if (!it.is_object()) continue;
      const auto& o = it.as_object();
      const auto* sku = o.if_contains("product_retailer_id");
      const auto* qty = o.if_contains("quantity");
      if (!sku || !sku->is_string() || !qty || !qty->is_int64()) continue;
      std::string s(sku->as_string());
      auto r = add_item(tx, tenant, cart.id, s, qty->as_int64(), now);
      if (r) {
        cart = std::move(*r);
        added.push_back(std::to_string(qty->as_int64()) + " x " + s);
      } else {
        refused.push_back(s + " (" + r.error().code + ")");
      }
    }
  auto totals = price_cart(tx, tenant, cart.id, now);
  std::string text = "Cart " + cart.id + " created from the customer's WhatsApp order: ";
  for (size_t i = 0; i < added.size(); ++i) text += (i ? ", " : "") + added[i];
  if (added.empty()) text += "no items could be added";
  if (totals) text += "; total " + format_amount(totals->total, totals->currency) + " " + totals->currency;
  if (!refused.empty()) {
    text += ". Not added: ";
    for (size_t i = 0; i < refused.size(); ++i) text += (i ? ", " : "") + refused[i];
  }
  Message note;
  note.id = env.ids.next("msg");
  note.tenant_id = tenant;
  note.conversation_id = conv->id;
  note.direction = "out";
  note.author_kind = "system";
  note.kind = "note";
  note.text = text;
  note.content_json = bj::serialize(bj::object{{"cart_id", cart.id}, {"order_message_id", message_id}});
  note.delivery_state = "sent";
  note.created_at = now;
  repo::insert_message(tx, note);
  pipeline::emit(tx, env, tenant, event_type::kMessageCreated, conv->id, conv->contact_id, true, to_json(note));
  return cart;
}

void OrderMessageListener::on_event(const Event& e) {
  if (e.type != event_type::kMessageCreated || e.internal) return;
  // Cheap filter before parsing: only inbound order messages matter.
  if (e.payload_json.find("\"kind\":\"order\"") == std::string::npos) return;
  auto m = pipeline::created_message(e);
  if (m && m->kind == "order" && m->direction == "in") pending_.push_back({e.tenant_id, std::move(m->message_id)});
}

void OrderMessageListener::on_batch_end() {
  for (const auto& p : pending_) {
    auto st = store::write_sync(store_, [&](Tx& tx) -> Status {
      auto c = cart_from_order_message(tx, env_, p.tenant, p.message_id);
      if (!c) return std::move(c).error();
      return {};
    });
    if (!st.ok())
      std::fprintf(stderr, "bottega: WhatsApp order %s: no cart: %s\n", p.message_id.c_str(), st.error().message.c_str());
  }
  pending_.clear();
}

}  // namespace bottega::commerce
