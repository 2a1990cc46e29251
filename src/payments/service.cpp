#include "payments/service.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/capabilities.hpp"
#include "commerce/carts.hpp"
#include "commerce/orders.hpp"
#include "core/crypto.hpp"
#include "payments/ledger.hpp"
#include "payments/payments_repo.hpp"
#include "payments/psp/registry.hpp"
#include "store/repo/repo.hpp"

namespace bottega::payments {

namespace bj = boost::json;

namespace {

constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // no 0/O, 1/I

std::string verification_code() {
  std::string bytes = crypto::random_bytes(6);
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 3) out.push_back('-');
    out.push_back(kCodeAlphabet[static_cast<unsigned char>(bytes[i]) & 31]);
  }
  return out;
}

bool in(const std::string& s, std::initializer_list<const char*> set) {
  for (const char* x : set)
    if (s == x) return true;
  return false;
}

std::string psp_account(const std::string& provider_id) { return "psp:" + provider_id; }
std::string sales_account(const std::string& payment_id) { return "sales:" + payment_id; }
std::string credit_account(const std::string& contact_id) { return "credit:" + contact_id; }
std::string held_account(const std::string& payment_id) { return "credit_held:" + payment_id; }
std::string sales_credit_account(const std::string& payment_id) { return "sales_credit:" + payment_id; }
constexpr const char* kCreditRefundsPending = "refunds_pending:credit";

void emit_payment(Tx& tx, Env& env, const Payment& p, std::string_view type, const std::string& public_url = {}) {
  pipeline::emit(tx, env, p.tenant_id, type, p.conversation_id.value_or(""), p.contact_id.value_or(""), false,
                 to_json(p, public_url));
}

void enqueue(Tx& tx, Env& env, const std::string& tenant, const std::string& kind, const std::string& key,
             const bj::object& payload, int64_t run_at) {
  repo::Job j;
  j.id = env.ids.next("job");
  j.tenant_id = tenant;
  j.kind = kind;
  j.idempotency_key = key;
  j.payload_json = bj::serialize(payload);
  int64_t now = env.clock.now_ms();
  j.run_at = run_at;
  j.deadline_at = now + 3LL * 24 * 3600 * 1000;
  repo::enqueue_job(tx, j, now);
  if (env.on_job) tx.after_commit(env.on_job);
}

void audit(Tx& tx, Env& env, const std::string& tenant, const std::optional<std::string>& payment_id,
           const std::string& subject, const std::string& action, const std::string& actor,
           std::optional<int64_t> amount, std::optional<std::string> currency, std::optional<std::string> reason) {
  db::audit(tx, {tenant, payment_id, subject, action, actor, amount, std::move(currency), std::move(reason),
                 env.clock.now_ms()});
}

// Expires a link whose time is up and that nobody is paying right now; a cart's held units go
// back to stock.
// Gives the store credit an unpaid link held back to the customer (cancel, expiry).
Status release_credit(Tx& tx, Env& env, const Payment& p) {
  if (p.credit_applied <= 0 || !p.contact_id) return {};
  auto t = ledger::post(tx, env.ids, p.tenant_id, "credit.released", p.id,
                        {{held_account(p.id), p.currency, p.credit_applied},
                         {credit_account(*p.contact_id), p.currency, -p.credit_applied}},
                        env.clock.now_ms());
  if (!t) return std::move(t).error();
  return {};
}

Result<bool> expire_if_due(Tx& tx, Env& env, Payment& p) {
  if (env.clock.now_ms() < p.expires_at || !in(p.status, {"created", "sent", "opened", "failed"})) return false;
  p.status = "expired";
  p.updated_at = env.clock.now_ms();
  db::update_payment(tx, p);
  if (p.cart_id) commerce::release_stock(tx, p.tenant_id, *p.cart_id, env.clock.now_ms());
  BOTTEGA_TRY_STATUS(release_credit(tx, env, p));
  audit(tx, env, p.tenant_id, p.id, p.id, "payment.expired", "system", std::nullopt, std::nullopt, std::nullopt);
  emit_payment(tx, env, p, event_type::kPaymentExpired);
  return true;
}

// The sandbox provider's event, delivered (signed) by the psp.sandbox_event job.
void sandbox_event(Tx& tx, Env& env, const std::string& tenant, const std::string& provider_id,
                   const std::string& type, bj::object data, int64_t delay_ms) {
  std::string event_id = "sbe_" + crypto::random_token(12);
  enqueue(tx, env, tenant, "psp.sandbox_event", event_id,
          bj::object{{"provider_id", provider_id}, {"event_id", event_id}, {"type", type}, {"data", std::move(data)}},
          env.clock.now_ms() + delay_ms);
}

Result<psp::AnyPspSettings> settings_of(const Provider& p) {
  const auto* a = psp::find_adapter(p.type);
  if (!a) return Error::internal("unknown provider type " + p.type);
  boost::system::error_code ec;
  auto v = bj::parse(p.settings_json, ec);
  if (ec || !v.is_object()) return Error::internal("provider settings unreadable");
  return a->parse_settings(v.as_object());
}

}  // namespace

std::string actor_of(const Principal& who) {
  if (!who.agent_id.empty()) return "agent:" + who.agent_id;
  return "token:" + who.token_id;
}

Result<Message> post_thread_message(Tx& tx, Env& env, const std::string& tenant, const std::string& conversation_id,
                                    const std::string& author_kind, const std::optional<std::string>& author_id,
                                    const std::string& kind, const std::string& text, const bj::object& content) {
  auto conv = repo::get_conversation(tx, tenant, conversation_id);
  if (!conv) return Error::not_found("conversation");
  int64_t now = env.clock.now_ms();
  Message m;
  m.id = env.ids.next("msg");
  m.tenant_id = tenant;
  m.conversation_id = conv->id;
  m.direction = "out";
  m.author_kind = author_kind;
  m.author_id = author_id;
  m.kind = kind;
  m.text = text;
  m.content_json = bj::serialize(content);
  bool provider = conv->channel_type != "webchat";
  m.delivery_state = provider ? "pending" : "sent";
  m.created_at = now;
  repo::insert_message(tx, m);
  if (provider) pipeline::queue_provider_send(tx, env, tenant, conv->id, conv->channel_type, m.id, now);
  conv->last_message_at = now;
  conv->last_message_text = text.size() > 140 ? text.substr(0, 137) + "..." : text;
  conv->last_message_direction = "out";
  conv->last_message_author = author_kind;
  conv->updated_at = now;
  repo::update_conversation(tx, *conv);
  pipeline::emit(tx, env, tenant, event_type::kMessageCreated, conv->id, conv->contact_id, false, to_json(m));
  pipeline::emit(tx, env, tenant, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  return m;
}

namespace {

// Holds the customer's store credit for link p in this transaction (credit:<contact> ->
// credit_held:<payment>): exactly `exact`, or as much as there is up to the amount. The guarded
// balance is checked in the statement that moves it, so concurrent checkouts never spend the same
// credit; "as much as there is" reads the balance again when another checkout spent some
// meanwhile. Sets p.credit_applied (the caller stores p). 409 insufficient_credit.
Status hold_credit(Tx& tx, Env& env, Payment& p, std::optional<int64_t> exact) {
  for (int attempt = 0;; ++attempt) {
    int64_t available = -ledger::balance(tx, p.tenant_id, credit_account(*p.contact_id), p.currency);
    int64_t take = exact ? *exact : std::min(std::max<int64_t>(available, 0), p.amount);
    if (take <= 0) return {};
    auto t = ledger::post(tx, env.ids, p.tenant_id, "credit.held", p.id,
                          {{credit_account(*p.contact_id), p.currency, take}, {held_account(p.id), p.currency, -take}},
                          env.clock.now_ms());
    if (t) {
      p.credit_applied = take;
      return {};
    }
    if (t.error().code != "insufficient_balance") return std::move(t).error();
    if (exact || attempt >= 3)
      return Error{Errc::conflict, "insufficient_credit",
                   "the customer's store credit (" + format_amount(std::max<int64_t>(available, 0), p.currency) +
                       ") cannot cover " + format_amount(take, p.currency),
                   "apply_credit"};
  }
}

// The link is paid: the provider's part (amount - credit_applied) moves from the PSP into
// sales:<id>, the held store credit into sales_credit:<id>, in one ledger transaction; a cart
// becomes a paid order; the thread says "Paid". `ref`: the provider's reference (audit).
Status settle_paid(Tx& tx, Env& env, Payment& pay, const std::string& ref) {
  const std::string& tenant = pay.tenant_id;
  int64_t now = env.clock.now_ms();
  int64_t due = due_at_provider(pay);
  std::vector<ledger::Posting> postings;
  if (due > 0) {
    postings.push_back({psp_account(pay.provider_id), pay.currency, due});
    postings.push_back({sales_account(pay.id), pay.currency, -due});
  }
  if (pay.credit_applied > 0) {
    postings.push_back({held_account(pay.id), pay.currency, pay.credit_applied});
    postings.push_back({sales_credit_account(pay.id), pay.currency, -pay.credit_applied});
  }
  auto t = ledger::post(tx, env.ids, tenant, "payment", pay.id, postings, now);
  if (!t) return std::move(t).error();
  pay.status = "paid";
  pay.captured = due;
  pay.paid_at = now;
  pay.updated_at = now;
  db::update_payment(tx, pay);
  const char* actor = due > 0 ? "provider" : "customer";
  audit(tx, env, tenant, pay.id, pay.id, "payment.succeeded", actor, pay.amount, pay.currency,
        due > 0 ? ref : std::string("store credit"));
  // A cart's link: the paid cart becomes a paid order in the same transaction (idempotent
  // per cart; an order the agent made for it earlier is marked paid).
  std::optional<commerce::Order> order;
  if (pay.cart_id) {
    auto o = commerce::create_order_from_cart(tx, env, tenant, *pay.cart_id, {true, pay.id});
    if (o && o->status == "pending_payment") o = commerce::mark_order_paid(tx, env, tenant, o->id, pay.id);
    if (o) {
      order = std::move(*o);
      pay.order_id = order->id;
      db::update_payment(tx, pay);
      audit(tx, env, tenant, pay.id, order->id, "order.paid", actor, order->total, order->currency, std::nullopt);
    } else {
      // The money is in (and booked); the order could not be made (the cart was closed
      // meanwhile): flagged for a person, never a reason to refuse the provider's event.
      audit(tx, env, tenant, pay.id, *pay.cart_id, "order.not_created", "system", pay.amount, pay.currency,
            o.error().code + ": " + o.error().message);
    }
  }
  emit_payment(tx, env, pay, event_type::kPaymentSucceeded);
  if (pay.conversation_id) {
    std::string text = due == 0 ? "Paid with store credit: " + format_amount(pay.amount, pay.currency) + ". Thank you!"
                                : "Paid: " + format_amount(pay.amount, pay.currency) + " received" +
                                      (pay.credit_applied > 0
                                           ? " (" + format_amount(pay.credit_applied, pay.currency) + " from store credit)"
                                           : std::string()) +
                                      ". Thank you!";
    bj::object payment{{"id", pay.id}, {"status", "paid"}, {"amount", pay.amount}, {"currency", pay.currency},
                       {"credit_applied", pay.credit_applied}};
    if (order) {
      text += " Order #" + std::to_string(order->number) + ".";
      payment["order_id"] = order->id;
      payment["order_number"] = order->number;
    }
    auto m = post_thread_message(tx, env, tenant, *pay.conversation_id, "system", std::nullopt, "payment_status",
                                 text, bj::object{{"payment", std::move(payment)}});
    if (!m && m.error().errc != Errc::not_found) return std::move(m).error();
  }
  return {};
}

}  // namespace

Result<Provider> create_provider(Tx& tx, Env& env, const Principal& who, const std::string& type,
                                 const std::string& name, const bj::object& settings_in) {
  if (who.role != Role::admin) return Error::forbidden("admin_required", "only admins connect payment providers");
  const auto* a = psp::find_adapter(type);
  if (!a) return Error::invalid("type", "type must be one of sandbox, stripe, mollie, adyen", "invalid_type");
  bj::object settings = settings_in;
  if (type == "sandbox" && !settings.contains("webhook_secret"))
    settings["webhook_secret"] = "sbx_whsec_" + crypto::random_token(24);
  auto parsed = a->parse_settings(settings);
  if (!parsed) return std::move(parsed).error();
  Provider p{env.ids.next("psp"), who.tenant_id, type, name, bj::serialize(settings), env.clock.now_ms()};
  db::insert_provider(tx, p);
  return p;
}

Result<Payment> create_link(Tx& tx, Env& env, const Principal& who, const LinkInput& in, const std::string& public_url) {
  int64_t now = env.clock.now_ms();
  Payment p;
  p.id = env.ids.next("pay");
  p.tenant_id = who.tenant_id;
  p.created_by = actor_of(who);
  std::optional<Conversation> conv;
  if (in.conversation_id) {
    conv = repo::get_conversation(tx, who.tenant_id, *in.conversation_id);
    if (!conv) return Error::invalid("conversation_id", "no such conversation", "unknown_conversation");
    p.conversation_id = conv->id;
    p.contact_id = conv->contact_id;
  }
  if (in.contact_id) {
    if (!db::contact_exists(tx, who.tenant_id, *in.contact_id))
      return Error::invalid("contact_id", "no such contact", "unknown_contact");
    if (p.contact_id && *p.contact_id != *in.contact_id)
      return Error::invalid("contact_id", "the conversation belongs to another customer", "contact_mismatch");
    p.contact_id = *in.contact_id;
  }
  // Amount and items, frozen now.
  int sources = (in.amount ? 1 : 0) + (in.items.empty() ? 0 : 1) + (in.cart_id ? 1 : 0);
  if (sources != 1)
    return Error::invalid("amount", "give exactly one of \"amount\"+\"currency\", \"items\" or \"cart_id\"");
  bj::array items;
  std::optional<commerce::Cart> cart;
  if (in.cart_id) {
    // A cart: charged its priced total in its currency; its units are held until the link expires.
    cart = commerce::get_cart(tx, who.tenant_id, *in.cart_id);
    if (!cart) return Error::invalid("cart_id", "no such cart", "unknown_cart");
    if (cart->status != "open")
      return Error{Errc::conflict, "cart_closed", "the cart is " + cart->status, "cart_id"};
    if (cart->items.empty()) return Error{Errc::conflict, "cart_empty", "the cart has no items", "cart_id"};
    if (p.contact_id && *p.contact_id != cart->contact_id)
      return Error::invalid("cart_id", "the cart belongs to another customer than the conversation or contact_id",
                            "cart_not_in_conversation");
    if (in.currency && *in.currency != cart->currency)
      return Error::invalid("currency", "the cart is priced in " + cart->currency, "currency_mismatch");
    for (auto& other : db::payments_of_cart(tx, who.tenant_id, cart->id)) {
      BOTTEGA_TRY(expired, expire_if_due(tx, env, other));
      (void)expired;
      if (payments::in(other.status, {"created", "sent", "opened", "processing", "failed"}))
        return Error{Errc::conflict, "cart_has_open_link",
                     "the cart already has an open payment link (" + other.id + "); cancel it first", "cart_id"};
    }
    auto totals = commerce::price_cart(tx, who.tenant_id, cart->id, now);
    if (!totals) return std::move(totals).error();
    if (totals->total <= 0) return Error::invalid("cart_id", "the cart's total is zero");
    p.amount = totals->total;
    p.currency = totals->currency;
    p.contact_id = cart->contact_id;
    p.cart_id = cart->id;
    for (const auto& l : totals->lines)
      items.push_back(bj::object{{"sku", l.sku}, {"name", l.title}, {"quantity", l.quantity},
                                 {"unit_amount", l.unit_price}});
  } else if (in.amount) {
    if (!in.currency) return Error::invalid("currency", "currency is required with amount", "missing_field");
    if (*in.amount <= 0 || *in.amount > 100'000'000'000LL)
      return Error::invalid("amount", "amount must be a positive integer in minor units");
    if (!valid_currency(*in.currency)) return Error::invalid("currency", "currency must be an ISO 4217 code like EUR");
    p.amount = *in.amount;
    p.currency = *in.currency;
  } else {
    if (in.items.size() > 100) return Error::invalid("items", "at most 100 items");
    int64_t total = 0;
    for (size_t i = 0; i < in.items.size(); ++i) {
      const auto& it = in.items[i];
      std::string path = "items[" + std::to_string(i) + "]";
      if (it.quantity < 1 || it.quantity > 1000) return Error::invalid(path + ".quantity", "quantity must be 1..1000");
      auto prod = db::find_product_by_sku(tx, who.tenant_id, it.sku, in.currency ? *in.currency : p.currency);
      if (!prod) return Error::invalid(path + ".sku", "no product with this SKU", "unknown_sku");
      if (p.currency.empty()) p.currency = prod->currency;
      if (prod->currency != p.currency)
        return Error::invalid(path + ".sku", "all items must be priced in one currency", "currency_mismatch");
      if (in.currency && *in.currency != prod->currency)
        return Error::invalid("currency", "the items are priced in " + prod->currency, "currency_mismatch");
      total += prod->price_minor * it.quantity;
      items.push_back(bj::object{{"sku", prod->sku}, {"name", prod->title}, {"quantity", it.quantity},
                                 {"unit_amount", prod->price_minor}});
    }
    if (total <= 0) return Error::invalid("items", "the items add up to nothing");
    p.amount = total;
  }
  p.items_json = bj::serialize(items);
  p.description = in.description;
  // Provider.
  std::optional<Provider> prov;
  if (in.provider_id) {
    prov = db::get_provider(tx, who.tenant_id, *in.provider_id);
    if (!prov) return Error::invalid("provider_id", "no such payment provider", "unknown_provider");
  } else {
    prov = db::default_provider(tx, who.tenant_id);
    if (!prov)
      return Error{Errc::unprocessable, "no_payment_provider", "connect a payment provider first (POST /api/v1/payment_providers)", "provider_id"};
  }
  p.provider_id = prov->id;
  int64_t ttl = in.expires_in_s.value_or(kDefaultExpiryS);
  if (ttl < kMinExpiryS || ttl > kMaxExpiryS)
    return Error::invalid("expires_in", "expires_in must be 900..2592000 seconds (15 minutes to 30 days)");
  p.expires_at = now + ttl * 1000;
  if (cart) {  // every line's units, held for exactly as long as the link can be paid
    auto held = commerce::reserve_stock(tx, who.tenant_id, cart->id, p.expires_at, now);
    if (!held.ok()) return held.error();
  }
  if (in.apply_credit) {
    if (!p.contact_id)
      return Error::invalid("apply_credit", "store credit needs a customer: give conversation_id, cart_id or contact_id",
                            "no_contact");
    if (in.credit_amount && (*in.credit_amount <= 0 || *in.credit_amount > p.amount))
      return Error::invalid("apply_credit", "the credit to apply must be 1.." + std::to_string(p.amount), "invalid_credit");
    BOTTEGA_TRY_STATUS(hold_credit(tx, env, p, in.credit_amount));
  }
  p.token = crypto::random_token(32);
  p.verification_code = verification_code();
  p.status = "created";
  p.created_at = p.updated_at = now;
  db::insert_payment(tx, p);
  audit(tx, env, p.tenant_id, p.id, p.id, "payment.created", *p.created_by, p.amount, p.currency, std::nullopt);
  if (p.credit_applied > 0)
    audit(tx, env, p.tenant_id, p.id, *p.contact_id, "credit.held", *p.created_by, p.credit_applied, p.currency, std::nullopt);
  emit_payment(tx, env, p, event_type::kPaymentCreated, public_url);

  if (p.credit_applied == p.amount) {
    // Paid by credit alone: no provider is involved; the cart becomes an order now.
    BOTTEGA_TRY_STATUS(settle_paid(tx, env, p, "credit"));
    return p;
  }

  if (conv) {
    std::string shop = db::tenant_name(tx, who.tenant_id).value_or("the shop");
    std::string url = link_url(public_url, p.token);
    std::string text = "Payment request from " + shop + ": " + format_amount(p.amount, p.currency) +
                       (p.credit_applied > 0 ? " (" + format_amount(p.credit_applied, p.currency) +
                                                   " paid with your store credit, " +
                                                   format_amount(due_at_provider(p), p.currency) + " to pay)"
                                             : std::string()) +
                       ". Verification code: " + p.verification_code +
                       " (the payment page shows the same code).";
    if (!channels::capabilities(conv->channel_type).url_buttons) text += "\nPay here: " + url;
    bj::object content{{"link", bj::object{{"title", "Pay now"}, {"url", url}}},
                       {"payment", bj::object{{"id", p.id}, {"amount", p.amount}, {"currency", p.currency},
                                              {"credit_applied", p.credit_applied}, {"due", due_at_provider(p)},
                                              {"verification_code", p.verification_code}, {"shop", shop},
                                              {"url", url}, {"expires_at", rfc3339(p.expires_at)}}}};
    if (p.cart_id) content["payment"].as_object()["cart_id"] = *p.cart_id;
    std::optional<std::string> author;
    if (!who.agent_id.empty()) author = who.agent_id;
    auto m = post_thread_message(tx, env, who.tenant_id, conv->id, "agent", author, "payment_link", text, content);
    if (!m) return std::move(m).error();
    p.message_id = m->id;
    p.status = "sent";
    db::update_payment(tx, p);
    emit_payment(tx, env, p, event_type::kPaymentUpdated, public_url);
  }
  return p;
}

Result<Payment> cancel_link(Tx& tx, Env& env, const Principal& who, const std::string& payment_id) {
  auto p = db::get_payment(tx, who.tenant_id, payment_id);
  if (!p) return Error::not_found("payment link");
  if (p->status == "cancelled") return std::move(*p);  // idempotent
  BOTTEGA_TRY(expired, expire_if_due(tx, env, *p));
  if (expired || p->status == "expired") return Error::conflict("link_expired", "this payment link has already expired");
  if (p->status == "processing")
    return Error::conflict("link_processing", "a payment attempt is in progress at the provider; it cannot be cancelled now");
  if (!in(p->status, {"created", "sent", "opened", "failed"}))
    return Error::conflict("link_used", "this payment link has already been paid");
  int64_t now = env.clock.now_ms();
  p->status = "cancelled";
  p->updated_at = now;
  db::update_payment(tx, *p);
  if (p->cart_id) commerce::release_stock(tx, who.tenant_id, *p->cart_id, now);
  BOTTEGA_TRY_STATUS(release_credit(tx, env, *p));
  audit(tx, env, p->tenant_id, p->id, p->id, "payment.cancelled", actor_of(who), p->amount, p->currency, std::nullopt);
  emit_payment(tx, env, *p, event_type::kPaymentUpdated);
  return std::move(*p);
}

Result<Payment> open_link(Tx& tx, Env& env, const std::string& token) {
  auto p = db::find_payment_by_token(tx, token);
  if (!p) return Error::not_found("payment link");
  BOTTEGA_TRY(expired, expire_if_due(tx, env, *p));
  if (expired) return std::move(*p);
  if (in(p->status, {"created", "sent"})) {
    p->status = "opened";
    p->opened_at = env.clock.now_ms();
    p->updated_at = env.clock.now_ms();
    db::update_payment(tx, *p);
    emit_payment(tx, env, *p, event_type::kPaymentUpdated);
  }
  return std::move(*p);
}

int64_t credit_offer(Tx& tx, const Payment& p) {
  if (!p.contact_id || p.credit_applied > 0 || p.provider_ref) return 0;
  if (!in(p.status, {"created", "sent", "opened"})) return 0;
  int64_t available = -ledger::balance(tx, p.tenant_id, credit_account(*p.contact_id), p.currency);
  return std::clamp<int64_t>(available, 0, p.amount);
}

Result<Attempt> begin_attempt(Tx& tx, Env& env, const std::string& token, bool use_credit) {
  auto p = db::find_payment_by_token(tx, token);
  if (!p) return Error::not_found("payment link");
  if (in(p->status, {"paid", "partially_refunded", "refunded"}))
    return Error::conflict("link_used", "this payment link has already been paid");
  if (p->status == "cancelled") return Error::conflict("link_cancelled", "this payment link was cancelled");
  if (p->status == "expired" || env.clock.now_ms() >= p->expires_at) {
    return Error::conflict("link_expired", "this payment link has expired");
  }
  auto prov = db::get_provider(tx, p->tenant_id, p->provider_id);
  if (!prov) return Error::internal("the link's provider vanished");
  if (use_credit && credit_offer(tx, *p) > 0) {  // "use my store credit" on the checkout page
    BOTTEGA_TRY_STATUS(hold_credit(tx, env, *p, std::nullopt));
    p->updated_at = env.clock.now_ms();
    db::update_payment(tx, *p);
    audit(tx, env, p->tenant_id, p->id, *p->contact_id, "credit.held", "customer", p->credit_applied, p->currency,
          std::string("checkout page"));
    emit_payment(tx, env, *p, event_type::kPaymentUpdated);
    if (p->credit_applied == p->amount) {
      BOTTEGA_TRY_STATUS(settle_paid(tx, env, *p, "credit"));
      return Attempt{std::move(*p), std::move(*prov), "", true};
    }
  }
  std::string attempt = env.ids.next("att");
  p->attempt_id = attempt;
  p->updated_at = env.clock.now_ms();
  db::update_payment(tx, *p);
  return Attempt{std::move(*p), std::move(*prov), attempt};
}

Result<Payment> record_attempt(Tx& tx, Env& env, const std::string& tenant, const std::string& payment_id,
                               const std::string& attempt_id, const std::string& provider_ref) {
  auto p = db::get_payment(tx, tenant, payment_id);
  if (!p) return Error::not_found("payment");
  if (p->attempt_id != attempt_id) return Error::conflict("attempt_superseded", "a newer payment attempt started");
  if (!in(p->status, {"created", "sent", "opened", "failed", "processing"}))
    return Error::conflict("link_used", "this payment link cannot be paid now");
  p->provider_ref = provider_ref;
  p->status = "processing";
  p->updated_at = env.clock.now_ms();
  db::update_payment(tx, *p);
  audit(tx, env, p->tenant_id, p->id, p->id, "payment.attempt", "customer", p->amount, p->currency, provider_ref);
  emit_payment(tx, env, *p, event_type::kPaymentUpdated);
  return std::move(*p);
}

Result<std::string> sandbox_open_session(Tx& tx, Env& env, const Attempt& a) {
  db::SandboxPayment s;
  s.id = "sbx_" + crypto::random_token(16);
  s.tenant_id = a.payment.tenant_id;
  s.provider_id = a.provider.id;
  s.payment_id = a.payment.id;
  s.amount = due_at_provider(a.payment);
  s.currency = a.payment.currency;
  s.status = "open";
  s.created_at = s.updated_at = env.clock.now_ms();
  db::insert_sandbox_payment(tx, s);
  auto r = record_attempt(tx, env, a.payment.tenant_id, a.payment.id, a.attempt_id, s.id);
  if (!r) return std::move(r).error();
  return s.id;
}

Result<SandboxStep> sandbox_choose(Tx& tx, Env& env, const std::string& session_id, const std::string& method) {
  auto s = db::find_sandbox_payment(tx, session_id);
  if (!s) return Error::not_found("sandbox session");
  auto p = db::get_payment(tx, s->tenant_id, s->payment_id);
  auto prov = db::get_provider(tx, s->tenant_id, s->provider_id);
  if (!p || !prov) return Error::internal("sandbox session without its payment");
  auto settings = settings_of(*prov);
  if (!settings) return std::move(settings).error();
  const auto* ss = std::get_if<psp::sandbox::Settings>(&*settings);
  if (!ss) return Error::internal("not a sandbox provider");
  SandboxStep step{"done", p->token};
  if (s->status != "open" && s->status != "authenticating")
    return Error::conflict("session_closed", "this sandbox session is already complete");
  bj::object data{{"session", s->id}, {"reference", s->payment_id}, {"amount", s->amount}, {"currency", s->currency}};
  auto finish = [&](const char* status, const char* type, int64_t delay, const char* reason) {
    s->status = status;
    s->updated_at = env.clock.now_ms();
    db::update_sandbox_payment(tx, *s);
    bj::object d = data;
    if (reason) d["reason"] = reason;
    sandbox_event(tx, env, s->tenant_id, s->provider_id, type, std::move(d), delay);
  };
  if (method == "card_success" || method == "3ds_approve" || method == "bank_authorize") {
    if (!s->method) s->method = method;
    finish("succeeded", "payment.succeeded", 0, nullptr);
  } else if (method == "card_decline") {
    s->method = method;
    finish("failed", "payment.failed", 0, "card_declined");
  } else if (method == "3ds_fail") {
    finish("failed", "payment.failed", 0, "authentication_failed");
  } else if (method == "card_3ds" || method == "bank_redirect") {
    s->method = method;
    s->status = "authenticating";
    s->updated_at = env.clock.now_ms();
    db::update_sandbox_payment(tx, *s);
    step.next = method == "card_3ds" ? "3ds" : "bank";
  } else if (method == "async") {
    s->method = method;
    sandbox_event(tx, env, s->tenant_id, s->provider_id, "payment.processing", data, 0);
    finish("succeeded", "payment.succeeded", ss->async_delay_ms, nullptr);
  } else {
    return Error::invalid("method", "unknown sandbox method");
  }
  return step;
}

Result<std::string> apply_psp_event(Tx& tx, Env& env, const Provider& provider, const PspEvent& e) {
  int64_t now = env.clock.now_ms();
  const std::string& tenant = provider.tenant_id;
  if (!e.event_id.empty() && !db::insert_psp_event(tx, provider.id, e.event_id, tenant, e.raw_type, now))
    return std::string("duplicate");
  if (e.kind == PspEvent::Kind::ignored) return std::string("ignored");

  if (e.kind == PspEvent::Kind::refund_succeeded || e.kind == PspEvent::Kind::refund_failed) {
    std::optional<Refund> r;
    if (!e.refund_id.empty()) r = db::get_refund(tx, tenant, e.refund_id);
    if (!r && !e.refund_ref.empty()) r = db::find_refund_by_ref(tx, tenant, e.refund_ref);
    if (!r) return std::string("unknown_payment");
    auto p = db::get_payment(tx, tenant, r->payment_id);
    if (!p || p->provider_id != provider.id) return std::string("unknown_payment");
    if (r->status != "processing") return std::string("stale");
    RefundOutcome o;
    o.provider_ref = e.refund_ref;
    o.state = e.kind == PspEvent::Kind::refund_succeeded ? RefundOutcome::State::succeeded : RefundOutcome::State::failed;
    o.error = e.reason;
    BOTTEGA_TRY_STATUS(complete_refund(tx, env, tenant, r->id, o));
    return std::string("applied");
  }

  std::optional<Payment> p;
  if (!e.payment_id.empty()) {
    p = db::get_payment(tx, tenant, e.payment_id);
    if (p && p->provider_id != provider.id) p.reset();
  }
  if (!p && !e.provider_ref.empty()) p = db::find_payment_by_ref(tx, provider.id, e.provider_ref);
  if (!p || p->tenant_id != tenant) return std::string("unknown_payment");
  bool same_attempt = !p->provider_ref || e.provider_ref.empty() || *p->provider_ref == e.provider_ref;

  switch (e.kind) {
    case PspEvent::Kind::processing:
      if (!in(p->status, {"created", "sent", "opened", "failed"})) return std::string("stale");
      if (!e.provider_ref.empty()) p->provider_ref = e.provider_ref;
      p->status = "processing";
      p->updated_at = now;
      db::update_payment(tx, *p);
      emit_payment(tx, env, *p, event_type::kPaymentUpdated);
      return std::string("applied");
    case PspEvent::Kind::failed:
    case PspEvent::Kind::expired:
      if (!in(p->status, {"created", "sent", "opened", "processing"}) || !same_attempt) return std::string("stale");
      p->status = "failed";
      p->updated_at = now;
      db::update_payment(tx, *p);
      audit(tx, env, tenant, p->id, p->id, "payment.failed", "provider", p->amount, p->currency,
            e.reason.empty() ? e.raw_type : e.reason);
      emit_payment(tx, env, *p, event_type::kPaymentFailed);
      return std::string("applied");
    case PspEvent::Kind::paid: {
      bool already = in(p->status, {"paid", "partially_refunded", "refunded"});
      bool matches = e.amount == due_at_provider(*p) && e.currency == p->currency;
      if (already && same_attempt) return std::string("stale");
      if (already || !matches) {
        // Money moved that this link did not ask for (a second capture, or another amount):
        // recorded as unallocated so the ledger still matches the provider, and flagged.
        if (e.amount > 0 && valid_currency(e.currency)) {
          auto t = ledger::post(tx, env.ids, tenant, already ? "payment.duplicate_capture" : "payment.amount_mismatch",
                                p->id, {{psp_account(provider.id), e.currency, e.amount},
                                        {"unallocated:" + p->id, e.currency, -e.amount}}, now);
          if (!t) return std::move(t).error();
        }
        audit(tx, env, tenant, p->id, p->id, already ? "payment.duplicate_capture" : "payment.amount_mismatch",
              "provider", e.amount, e.currency, e.provider_ref);
        return std::string(already ? "duplicate_capture" : "amount_mismatch");
      }
      if (p->credit_applied > 0 && in(p->status, {"expired", "cancelled"})) {
        // The link's credit went back to the customer when it expired or was cancelled: take
        // it again; when it is gone meanwhile, the provider's money is flagged for a person.
        auto held = ledger::post(tx, env.ids, tenant, "credit.held", p->id,
                                 {{credit_account(p->contact_id.value_or("")), p->currency, p->credit_applied},
                                  {held_account(p->id), p->currency, -p->credit_applied}},
                                 now);
        if (!held) {
          if (held.error().code != "insufficient_balance") return std::move(held).error();
          auto t = ledger::post(tx, env.ids, tenant, "payment.credit_unavailable", p->id,
                                {{psp_account(provider.id), e.currency, e.amount}, {"unallocated:" + p->id, e.currency, -e.amount}},
                                now);
          if (!t) return std::move(t).error();
          audit(tx, env, tenant, p->id, p->id, "payment.credit_unavailable", "provider", e.amount, e.currency, e.provider_ref);
          return std::string("credit_unavailable");
        }
      }
      if (!e.provider_ref.empty()) p->provider_ref = e.provider_ref;
      if (!e.payment_ref.empty()) p->payment_ref = e.payment_ref;
      BOTTEGA_TRY_STATUS(settle_paid(tx, env, *p, e.provider_ref));
      return std::string("applied");
    }
    default:
      return std::string("ignored");
  }
}

namespace {

// A refund's ledger legs: the provider's part (sales:<payment> -> psp) and the store-credit part
// (sales_credit:<payment> -> refunds_pending:credit). sign +1 reserves them, -1 releases them.
std::vector<ledger::Posting> refund_legs(const Payment& p, const Refund& r, int sign) {
  std::vector<ledger::Posting> out;
  int64_t provider_leg = r.amount - r.credit_amount;
  if (provider_leg > 0) {
    out.push_back({sales_account(p.id), r.currency, sign * provider_leg});
    out.push_back({psp_account(p.provider_id), r.currency, -sign * provider_leg});
  }
  if (r.credit_amount > 0) {
    out.push_back({sales_credit_account(p.id), r.currency, sign * r.credit_amount});
    out.push_back({kCreditRefundsPending, r.currency, -sign * r.credit_amount});
  }
  return out;
}

// A refund that may go ahead: the provider is asked for its part by a psp.refund job; a refund
// wholly to store credit needs no provider and succeeds in this transaction.
Status start_refund(Tx& tx, Env& env, const Refund& r) {
  if (r.amount > r.credit_amount) {
    enqueue(tx, env, r.tenant_id, "psp.refund", r.id, bj::object{{"refund_id", r.id}}, env.clock.now_ms());
    return {};
  }
  RefundOutcome o;
  o.state = RefundOutcome::State::succeeded;
  return complete_refund(tx, env, r.tenant_id, r.id, o);
}

}  // namespace

Result<Refund> request_refund(Tx& tx, Env& env, const Principal& who, const std::string& payment_id, int64_t amount,
                              const std::string& reason) {
  auto p = db::get_payment(tx, who.tenant_id, payment_id);
  if (!p) return Error::not_found("payment");
  if (amount <= 0) return Error::invalid("amount", "amount must be a positive integer in minor units");
  if (reason.empty()) return Error::invalid("reason", "a reason is required", "missing_field");
  if (!in(p->status, {"paid", "partially_refunded"}))
    return Error::conflict("not_refundable", "only a paid payment can be refunded (status is " + p->status + ")");
  int64_t now = env.clock.now_ms();
  Refund r;
  r.id = env.ids.next("rfd");
  r.tenant_id = who.tenant_id;
  r.payment_id = p->id;
  r.amount = amount;
  r.currency = p->currency;
  r.reason = reason;
  r.requested_by = actor_of(who);
  r.created_at = r.updated_at = now;
  // Reserve: the refundable amount and the money held at the provider shrink now, in this
  // transaction, so two concurrent refunds can never together exceed what was captured. What
  // the provider captured is refunded there first; the rest goes back to the store credit the
  // payment spent (reserved in refunds_pending:credit until the refund succeeds).
  int64_t at_provider = -ledger::balance(tx, who.tenant_id, sales_account(p->id), p->currency);
  int64_t provider_leg = std::min(amount, std::max<int64_t>(at_provider, 0));
  r.credit_amount = amount - provider_leg;
  if (r.credit_amount > 0 && !p->contact_id)
    return Error{Errc::conflict, "amount_exceeds_refundable", "the refund exceeds what this payment can still refund", "amount"};
  auto t = ledger::post(tx, env.ids, who.tenant_id, "refund", r.id, refund_legs(*p, r, +1), now);
  if (!t) {
    if (t.error().code == "insufficient_balance")
      return Error{Errc::conflict, "amount_exceeds_refundable",
                   "the refund exceeds what this payment can still refund", "amount"};
    return std::move(t).error();
  }
  auto settings = db::get_settings(tx, who.tenant_id);
  bool needs_approval = settings.refund_approval_threshold && amount > *settings.refund_approval_threshold;
  r.status = needs_approval ? "pending_approval" : "processing";
  db::insert_refund(tx, r);
  audit(tx, env, who.tenant_id, p->id, r.id, "refund.requested", r.requested_by, amount, r.currency, reason);
  pipeline::emit(tx, env, who.tenant_id, event_type::kRefundCreated, p->conversation_id.value_or(""),
                 p->contact_id.value_or(""), false, to_json(r));
  if (needs_approval) {
    pipeline::emit(tx, env, who.tenant_id, event_type::kRefundApprovalRequired, p->conversation_id.value_or(""),
                   p->contact_id.value_or(""), false, to_json(r));
  } else {
    BOTTEGA_TRY_STATUS(start_refund(tx, env, r));
    if (auto again = db::get_refund(tx, who.tenant_id, r.id)) r = std::move(*again);
  }
  return r;
}

Result<Refund> decide_refund(Tx& tx, Env& env, const Principal& who, const std::string& refund_id, bool approve,
                             const std::string& note) {
  auto r = db::get_refund(tx, who.tenant_id, refund_id);
  if (!r) return Error::not_found("refund");
  if (who.role != Role::admin) return Error::forbidden("admin_required", "only an admin can approve or reject refunds");
  if (r->status != "pending_approval") return Error::conflict("not_pending", "this refund is not waiting for approval");
  std::string actor = actor_of(who);
  if (actor == r->requested_by)
    return Error::forbidden("four_eyes", "a refund must be approved by a different admin than the one who requested it");
  auto p = db::get_payment(tx, who.tenant_id, r->payment_id);
  if (!p) return Error::internal("refund without its payment");
  int64_t now = env.clock.now_ms();
  r->approved_by = actor;
  r->updated_at = now;
  if (approve) {
    r->status = "processing";
    db::update_refund(tx, *r);
    audit(tx, env, who.tenant_id, p->id, r->id, "refund.approved", actor, r->amount, r->currency, note);
    pipeline::emit(tx, env, who.tenant_id, event_type::kRefundCreated, p->conversation_id.value_or(""),
                   p->contact_id.value_or(""), false, to_json(*r));
    BOTTEGA_TRY_STATUS(start_refund(tx, env, *r));
    if (auto again = db::get_refund(tx, who.tenant_id, refund_id)) *r = std::move(*again);
  } else {
    auto t = ledger::post(tx, env.ids, who.tenant_id, "refund.released", r->id, refund_legs(*p, *r, -1), now);
    if (!t) return std::move(t).error();
    r->status = "rejected";
    db::update_refund(tx, *r);
    audit(tx, env, who.tenant_id, p->id, r->id, "refund.rejected", actor, r->amount, r->currency, note);
    pipeline::emit(tx, env, who.tenant_id, event_type::kRefundRejected, p->conversation_id.value_or(""),
                   p->contact_id.value_or(""), false, to_json(*r));
  }
  return std::move(*r);
}

Status complete_refund(Tx& tx, Env& env, const std::string& tenant, const std::string& refund_id,
                       const RefundOutcome& o) {
  auto r = db::get_refund(tx, tenant, refund_id);
  if (!r) return Error::not_found("refund");
  if (r->status != "processing") return {};  // already settled: a late or repeated answer
  if (o.state == RefundOutcome::State::pending) {
    if (!o.provider_ref.empty() && r->provider_ref != o.provider_ref) {
      r->provider_ref = o.provider_ref;
      r->updated_at = env.clock.now_ms();
      db::update_refund(tx, *r);
    }
    return {};
  }
  auto p = db::get_payment(tx, tenant, r->payment_id);
  if (!p) return Error::internal("refund without its payment");
  int64_t now = env.clock.now_ms();
  if (!o.provider_ref.empty()) r->provider_ref = o.provider_ref;
  r->updated_at = now;
  if (o.state == RefundOutcome::State::succeeded) {
    r->status = "succeeded";
    db::update_refund(tx, *r);
    if (r->credit_amount > 0) {  // the store-credit part reaches the customer's credit now
      auto t = ledger::post(tx, env.ids, tenant, "refund.credit", r->id,
                            {{kCreditRefundsPending, r->currency, r->credit_amount},
                             {credit_account(p->contact_id.value_or("")), r->currency, -r->credit_amount}},
                            now);
      if (!t) return std::move(t).error();
    }
    p->refunded += r->amount;
    p->status = p->refunded >= p->captured + p->credit_applied ? "refunded" : "partially_refunded";
    p->updated_at = now;
    db::update_payment(tx, *p);
    audit(tx, env, tenant, p->id, r->id, "refund.succeeded", "provider", r->amount, r->currency, r->provider_ref);
    if (p->order_id) {  // the order follows: partially_refunded / refunded
      auto o = commerce::record_refund(tx, env, tenant, *p->order_id, r->amount);
      if (!o)
        audit(tx, env, tenant, p->id, *p->order_id, "order.refund_not_recorded", "system", r->amount, r->currency,
              o.error().code + ": " + o.error().message);
    }
    pipeline::emit(tx, env, tenant, event_type::kRefundSucceeded, p->conversation_id.value_or(""),
                   p->contact_id.value_or(""), false, to_json(*r));
    emit_payment(tx, env, *p, event_type::kPaymentUpdated);
    if (p->conversation_id) {
      std::string text =
          r->credit_amount == r->amount
              ? "Refunded: " + format_amount(r->amount, r->currency) + " is back in your store credit."
              : "Refunded: " + format_amount(r->amount, r->currency) + " is on its way back to you" +
                    (r->credit_amount > 0 ? " (" + format_amount(r->credit_amount, r->currency) + " as store credit)."
                                          : std::string("."));
      auto m = post_thread_message(tx, env, tenant, *p->conversation_id, "system", std::nullopt, "payment_status", text,
                                   bj::object{{"refund", bj::object{{"id", r->id}, {"payment_id", p->id},
                                                                     {"amount", r->amount}, {"credit_amount", r->credit_amount},
                                                                     {"currency", r->currency}}}});
      if (!m && m.error().errc != Errc::not_found) return std::move(m).error();
    }
  } else {
    auto t = ledger::post(tx, env.ids, tenant, "refund.released", r->id, refund_legs(*p, *r, -1), now);
    if (!t) return std::move(t).error();
    r->status = "failed";
    r->error = o.error.empty() ? std::string("refused by the provider") : o.error;
    db::update_refund(tx, *r);
    audit(tx, env, tenant, p->id, r->id, "refund.failed", "provider", r->amount, r->currency, r->error);
    pipeline::emit(tx, env, tenant, event_type::kRefundFailed, p->conversation_id.value_or(""),
                   p->contact_id.value_or(""), false, to_json(*r));
  }
  return {};
}

Result<int64_t> grant_credit(Tx& tx, Env& env, const Principal& who, const std::string& contact_id, int64_t amount,
                             const std::string& currency, const std::string& reason) {
  if (who.role != Role::admin) return Error::forbidden("admin_required", "only admins grant store credit");
  if (amount <= 0) return Error::invalid("amount", "amount must be a positive integer in minor units");
  if (!valid_currency(currency)) return Error::invalid("currency", "currency must be an ISO 4217 code like EUR");
  if (reason.empty()) return Error::invalid("reason", "a reason is required", "missing_field");
  int64_t now = env.clock.now_ms();
  std::string id = env.ids.next("crd");
  auto t = ledger::post(tx, env.ids, who.tenant_id, "credit.granted", id,
                        {{"credit_granted", currency, amount}, {credit_account(contact_id), currency, -amount}}, now);
  if (!t) return std::move(t).error();
  audit(tx, env, who.tenant_id, std::nullopt, contact_id, "credit.granted", actor_of(who), amount, currency, reason);
  int64_t bal = -ledger::balance(tx, who.tenant_id, credit_account(contact_id), currency);
  pipeline::emit(tx, env, who.tenant_id, event_type::kCreditGranted, {}, contact_id, false,
                 bj::object{{"contact_id", contact_id}, {"amount", amount}, {"currency", currency}, {"balance", bal}});
  return bal;
}

Result<Payout> request_payout(Tx& tx, Env& env, const Principal& who, const std::string& contact_id,
                              const std::optional<std::string>& provider_id, int64_t amount, const std::string& currency,
                              const std::string& reason) {
  if (amount <= 0) return Error::invalid("amount", "amount must be a positive integer in minor units");
  if (!valid_currency(currency)) return Error::invalid("currency", "currency must be an ISO 4217 code like EUR");
  if (reason.empty()) return Error::invalid("reason", "a reason is required", "missing_field");
  auto prov = provider_id ? db::get_provider(tx, who.tenant_id, *provider_id) : db::default_provider(tx, who.tenant_id);
  if (!prov) return Error::invalid("provider_id", "no such payment provider", "unknown_provider");
  const auto* a = psp::find_adapter(prov->type);
  if (!a || !a->supports_payouts)
    return Error{Errc::unprocessable, "payouts_unsupported", "this provider does not support payouts", "provider_id"};
  int64_t now = env.clock.now_ms();
  Payout p;
  p.id = env.ids.next("po");
  p.tenant_id = who.tenant_id;
  p.contact_id = contact_id;
  p.provider_id = prov->id;
  p.amount = amount;
  p.currency = currency;
  p.reason = reason;
  p.requested_by = actor_of(who);
  p.created_at = p.updated_at = now;
  // A payout is paid from the customer's credit, with money held at the provider.
  auto t = ledger::post(tx, env.ids, who.tenant_id, "payout", p.id,
                        {{credit_account(contact_id), currency, amount}, {psp_account(prov->id), currency, -amount}}, now);
  if (!t) {
    if (t.error().code == "insufficient_balance")
      return Error{Errc::conflict, "insufficient_balance", t.error().message, "amount"};
    return std::move(t).error();
  }
  auto settings = db::get_settings(tx, who.tenant_id);
  bool needs_approval = settings.payout_approval_threshold && amount > *settings.payout_approval_threshold;
  p.status = needs_approval ? "pending_approval" : "processing";
  db::insert_payout(tx, p);
  audit(tx, env, who.tenant_id, std::nullopt, p.id, "payout.requested", p.requested_by, amount, currency, reason);
  pipeline::emit(tx, env, who.tenant_id, event_type::kPayoutCreated, {}, contact_id, false, to_json(p));
  if (!needs_approval) enqueue(tx, env, who.tenant_id, "psp.payout", p.id, bj::object{{"payout_id", p.id}}, now);
  return p;
}

Result<Payout> decide_payout(Tx& tx, Env& env, const Principal& who, const std::string& payout_id, bool approve) {
  auto p = db::get_payout(tx, who.tenant_id, payout_id);
  if (!p) return Error::not_found("payout");
  if (who.role != Role::admin) return Error::forbidden("admin_required", "only an admin can approve or reject payouts");
  if (p->status != "pending_approval") return Error::conflict("not_pending", "this payout is not waiting for approval");
  std::string actor = actor_of(who);
  if (actor == p->requested_by)
    return Error::forbidden("four_eyes", "a payout must be approved by a different admin than the one who requested it");
  int64_t now = env.clock.now_ms();
  p->approved_by = actor;
  p->updated_at = now;
  if (approve) {
    p->status = "processing";
    db::update_payout(tx, *p);
    audit(tx, env, who.tenant_id, std::nullopt, p->id, "payout.approved", actor, p->amount, p->currency, std::nullopt);
    enqueue(tx, env, who.tenant_id, "psp.payout", p->id, bj::object{{"payout_id", p->id}}, now);
  } else {
    BOTTEGA_TRY(t, ledger::post(tx, env.ids, who.tenant_id, "payout.released", p->id,
                                {{psp_account(p->provider_id), p->currency, p->amount},
                                 {credit_account(p->contact_id), p->currency, -p->amount}},
                                now));
    (void)t;
    p->status = "rejected";
    db::update_payout(tx, *p);
    audit(tx, env, who.tenant_id, std::nullopt, p->id, "payout.rejected", actor, p->amount, p->currency, std::nullopt);
  }
  return std::move(*p);
}

Status complete_payout(Tx& tx, Env& env, const std::string& tenant, const std::string& payout_id, bool ok,
                       const std::string& provider_ref) {
  auto p = db::get_payout(tx, tenant, payout_id);
  if (!p) return Error::not_found("payout");
  if (p->status != "processing") return {};
  int64_t now = env.clock.now_ms();
  p->provider_ref = provider_ref;
  p->updated_at = now;
  if (ok) {
    p->status = "succeeded";
    db::update_payout(tx, *p);
    audit(tx, env, tenant, std::nullopt, p->id, "payout.succeeded", "provider", p->amount, p->currency, provider_ref);
    pipeline::emit(tx, env, tenant, event_type::kPayoutSucceeded, {}, p->contact_id, false, to_json(*p));
  } else {
    BOTTEGA_TRY(t, ledger::post(tx, env.ids, tenant, "payout.released", p->id,
                                {{psp_account(p->provider_id), p->currency, p->amount},
                                 {credit_account(p->contact_id), p->currency, -p->amount}},
                                now));
    (void)t;
    p->status = "failed";
    db::update_payout(tx, *p);
    audit(tx, env, tenant, std::nullopt, p->id, "payout.failed", "provider", p->amount, p->currency, provider_ref);
    pipeline::emit(tx, env, tenant, event_type::kPayoutFailed, {}, p->contact_id, false, to_json(*p));
  }
  return {};
}

}  // namespace bottega::payments
