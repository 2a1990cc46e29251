#include "bot/service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "bot/shop_text.hpp"
#include "commerce/orders.hpp"
#include "commerce/cards.hpp"
#include "core/crypto.hpp"
#include "hours/shop_hours.hpp"
#include "pipeline/listener.hpp"
#include "payments/service.hpp"
#include "pipeline/one_time_code.hpp"
#include "store/repo/repo.hpp"

namespace bottega::bot {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;

BotService::BotService(store::Store& store, pipeline::Env env, Metrics& metrics,
                       std::function<int64_t(const std::string&)> agents_online, MailClient* mail,
                       std::string helo_name)
    : store_(store), env_(std::move(env)), metrics_(metrics), agents_online_(std::move(agents_online)), mail_(mail),
      helo_(std::move(helo_name)) {
  metrics_.describe("bottega_bot_turns_total", "counter", "Bot turns by outcome");
}

void BotService::on_event(const Event& e) {
  auto m = pipeline::created_message(e);
  if (!m || m->author_kind != "contact") return;
  // Auto-replies, bulk mail and mailing lists (email channel) are stored but never answered.
  if (m->no_auto_reply) return;
  pending_.push_back({m->tenant_id, m->message_id});
}

void BotService::on_batch_end() {
  if (pending_.empty()) return;
  auto batch = std::move(pending_);
  pending_.clear();
  int64_t now = env_.clock.now_ms();
  bool queued = false;
  // The dispatcher advances its cursor after this returns, so the jobs must be durable first.
  std::string what = "enqueueing " + std::to_string(batch.size()) + " turns";
  pipeline::write_retrying(store_, "bot", what, [&](store::Tx& tx) -> Status {
    queued = false;  // this fn may run twice
    std::map<std::string, bool> has_kb;
    for (const auto& p : batch) {
      auto it = has_kb.find(p.tenant);
      if (it == has_kb.end()) it = has_kb.emplace(p.tenant, repo::count_entries(tx, p.tenant) > 0).first;
      if (!it->second) continue;
      core_repo::Job j;
      j.id = env_.ids.next("job");
      j.tenant_id = p.tenant;
      j.kind = kTurnJob;
      j.idempotency_key = p.message_id;
      j.payload_json = bj::serialize(bj::object{{"message_id", p.message_id}});
      j.run_at = now;
      j.deadline_at = now + 3600'000;  // an answer later than an hour is no answer
      if (core_repo::enqueue_job(tx, j, now)) queued = true;
    }
    return {};
  });
  if (queued && env_.on_job) env_.on_job();
}

std::shared_ptr<const KbIndex> BotService::index(store::Tx& tx, const std::string& tenant, int64_t kb_version) {
  {
    std::lock_guard lk(mu_);
    auto it = cache_.find(tenant);
    if (it != cache_.end() && it->second.version == kb_version) return it->second.index;
  }
  auto idx = std::make_shared<const KbIndex>(repo::load_entries(tx, tenant));
  // Called inside a write fn (which may run twice, in a transaction that may roll back): the index
  // is cached only once what it was built from has committed.
  tx.after_commit([this, tenant, kb_version, idx] {
    std::lock_guard lk(mu_);
    cache_[tenant] = Cached{kb_version, idx};
  });
  return idx;
}

namespace {

// A message from the bot into the conversation, sent like an agent's reply: web chat delivers it
// through the visitor's realtime stream; provider channels through a channel.send job.
Message bot_message(store::Tx& tx, pipeline::Env& env, Conversation& conv, const std::string& text,
                    const std::vector<ReplyChoice>& choices, bool note, const std::string& kind = "",
                    bj::object content = {}) {
  int64_t now = env.clock.now_ms();
  Message m;
  m.id = env.ids.next("msg");
  m.tenant_id = conv.tenant_id;
  m.conversation_id = conv.id;
  m.direction = "out";
  m.author_kind = "bot";
  m.kind = note ? "note" : !kind.empty() ? kind : (choices.empty() ? "text" : "choices");
  m.text = text;
  if (!choices.empty() && !note) {
    bj::array a;
    for (const auto& c : choices) a.push_back(bj::object{{"id", c.id}, {"title", c.title}});
    content["choices"] = std::move(a);
  }
  if (!content.empty()) m.content_json = bj::serialize(content);
  bool provider = !note && conv.channel_type != "webchat";
  m.delivery_state = provider ? "pending" : "sent";
  m.created_at = now;
  core_repo::insert_message(tx, m);
  if (provider) pipeline::queue_provider_send(tx, env, conv.tenant_id, conv.id, conv.channel_type, m.id, now);
  if (!note) {
    std::string preview = text.size() > 140 ? text.substr(0, 140) : text;
    while (!preview.empty() && (static_cast<unsigned char>(preview.back()) & 0xC0) == 0x80) preview.pop_back();
    conv.last_message_at = now;
    conv.last_message_text = preview;
    conv.last_message_direction = "out";
    conv.last_message_author = "bot";
  }
  pipeline::emit(tx, env, conv.tenant_id, event_type::kMessageCreated, conv.id, conv.contact_id, note, to_json(m));
  return m;
}

void add_tag(Conversation& c, std::string_view tag, bool& changed) {
  if (tag.empty()) return;
  for (const auto& t : c.tags)
    if (t == tag) return;
  c.tags.emplace_back(tag);
  changed = true;
}

}  // namespace

Result<std::optional<repo::Turn>> BotService::take_turn(store::Tx& tx, const std::string& tenant,
                                                        const std::string& message_id) {
  std::optional<repo::Turn> none;
  if (repo::turn_exists(tx, tenant, message_id)) return none;
  auto msg = core_repo::get_message(tx, tenant, message_id);
  if (!msg || msg->author_kind != "contact") return none;
  auto conv = core_repo::get_conversation(tx, tenant, msg->conversation_id);
  if (!conv) return none;
  if (conv->status == ConversationStatus::resolved || conv->assignee_id) return none;
  auto on = repo::channel_enabled(tx, tenant, conv->channel_id);
  if (on && !*on) return none;
  auto settings = repo::get_settings(tx, tenant);
  auto idx = index(tx, tenant, settings.kb_version);
  if (idx->empty()) return none;
  BotState state = repo::get_state(tx, tenant, conv->id);
  if (state.handed_over) return none;

  int64_t now = env_.clock.now_ms();
  DecideInput in;
  in.text = msg->text;
  // A tapped choice answers with its id (the title is the customer's language's word for it).
  if (msg->kind == "interactive_reply") {
    boost::system::error_code ec;
    auto c = bj::parse(msg->content_json, ec);
    if (!ec && c.is_object())
      if (auto* id = c.as_object().if_contains("id"); id && id->is_string()) {
        std::string_view v = id->as_string();
        if (v.rfind("buy:", 0) == 0) return none;  // "Add to cart" on a card: the cart's own listener
        if (v.rfind("csat:", 0) != 0) in.text = std::string(v);
      }
  }
  in.index = idx.get();
  in.threshold = settings.threshold;
  in.default_language = settings.default_language;
  in.state = state;
  int64_t online = agents_online_ ? agents_online_(tenant) : 0;
  in.wait = expected_wait(hours::shop_hours(tx, tenant).hours, now, repo::queue_length(tx, tenant), online, settings.handle_minutes);
  StoreShop shop(tx, tenant, conv->contact_id, conv->id, now);
  in.shop = &shop;
  in.now_ms = now;
  in.nonce = crypto::random_token(16);
  in.cart_handoff_over = settings.cart_handoff_over;
  in.auto_refund_up_to = settings.auto_refund_up_to;
  Decision d = decide(in);
  // What the bot wants done in the shop, in this transaction. A refund the payments area refuses
  // (not refundable, over what can still be refunded) becomes a handover saying why.
  std::vector<ShopAction> cards;
  for (const auto& a : d.actions) {
    if (a.kind == "refund") {
      Principal bot_principal{tenant, "", "bot", Role::agent, "", false, ""};
      auto r = payments::request_refund(tx, env_, bot_principal, a.payment_id, a.amount, a.reason);
      if (!r) {
        std::string lead = shop_text::say(d.language, "refund_to_agent");
        auto o = shop.order(a.order_id);
        if (auto at = lead.find("{n}"); at != std::string::npos) lead.replace(at, 3, o ? std::to_string(o->number) : "");
        d.next.refund_order = a.order_id;
        d = hand_over_instead(in, std::move(d), "refund_request", lead,
                              "The automatic refund was refused: " + r.error().code + " (" + r.error().message + ").");
        break;
      }
      d.extra_note = "Refund " + r->id + " requested by the bot (" + r->status + ").";
    } else if (a.kind == "send_code") {
      core_repo::Job j;
      j.id = env_.ids.next("job");
      j.tenant_id = tenant;
      j.kind = kSendCodeJob;
      j.idempotency_key = "code:" + a.nonce;
      j.payload_json = bj::serialize(bj::object{{"conversation_id", conv->id}, {"order_id", a.order_id},
                                                {"email", a.email}, {"nonce", a.nonce}});
      j.run_at = now;
      j.deadline_at = now + 15 * 60'000;  // the code expires then anyway
      core_repo::enqueue_job(tx, j, now);
      tx.after_commit([this] {
        if (env_.on_job) env_.on_job();
      });
    } else if (a.kind == "product_card") {
      cards.push_back(a);
    }
  }

  repo::Turn t;
  t.id = env_.ids.next("bturn");
  t.tenant_id = tenant;
  t.conversation_id = conv->id;
  t.message_id = message_id;
  t.language = d.language;
  t.intent = std::string(to_string(d.intent));
  t.entry_id = d.entry_id;
  t.score_milli = static_cast<int64_t>(d.confidence * 1000 + 0.5);
  t.outcome = std::string(to_string(d.outcome));
  t.reason = d.reason;
  t.created_at = now;
  if (!d.reply.empty()) t.reply_message_id = bot_message(tx, env_, *conv, d.reply, d.choices, false).id;
  // The products the answer is about: one card, or several products in one message. A product
  // that cannot be shown (e.g. no price in the cart's currency: the answer said so) is left out.
  std::vector<commerce::ProductCardInput> shown;
  for (const auto& a : cards) {
    commerce::ProductCardInput ci;
    if (!a.sku.empty()) ci.sku = a.sku;
    else ci.product_id = a.product_id;
    ci.language = commerce::card_language(d.language);
    if (commerce::product_card(tx, tenant, *conv, ci, now) && shown.size() < commerce::kMaxListProducts)
      shown.push_back(std::move(ci));
  }
  std::optional<Result<commerce::CardMessage>> card;
  if (shown.size() == 1) {
    card = commerce::product_card(tx, tenant, *conv, shown.front(), now);
  } else if (shown.size() > 1) {
    commerce::ProductListInput li;
    li.items = shown;
    li.language = commerce::card_language(d.language);
    card = commerce::product_list(tx, tenant, *conv, li, now);
  }
  if (card && card->ok()) {
    std::vector<ReplyChoice> choices;
    if (auto* ch = (*card)->content.if_contains("choices"); ch && ch->is_array()) {
      for (const auto& c : ch->as_array())
        choices.push_back({std::string(c.as_object().at("id").as_string()), std::string(c.as_object().at("title").as_string())});
      (*card)->content.erase("choices");
    }
    bot_message(tx, env_, *conv, (*card)->text, choices, false, "product", (*card)->content);
  }
  bool changed = !d.reply.empty();
  add_tag(*conv, intent_tag(d.intent), changed);
  if (!d.next.intent.empty() && d.outcome == Outcome::handed_over) {
    // the conversation's business intent (e.g. presale) also tags a handover
    if (d.next.intent == "presale") add_tag(*conv, "presale", changed);
    else if (d.next.intent == "order_status") add_tag(*conv, "order-status", changed);
    else if (d.next.intent == "refund") add_tag(*conv, "refund", changed);
    else if (d.next.intent == "discount") add_tag(*conv, "discount-issue", changed);
  }
  if (d.outcome == Outcome::handed_over) {
    add_tag(*conv, "bot-handover", changed);
    bot_message(tx, env_, *conv, d.summary, {}, true);
    if (conv->status != ConversationStatus::open) conv->status = ConversationStatus::open;
  }
  if (changed) {
    conv->updated_at = now;
    core_repo::update_conversation(tx, *conv);
    pipeline::emit(tx, env_, tenant, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  }
  repo::put_state(tx, tenant, conv->id, d.next, now);
  repo::insert_turn(tx, t);
  // The turn log as an event (the reports count answers, helpful and false answers from it).
  pipeline::emit(tx, env_, tenant, event_type::kBotTurn, conv->id, conv->contact_id, true, repo::to_json(t));
  // Counted once the turn is committed (this runs inside a write fn the store may run twice).
  tx.after_commit([this, outcome = t.outcome] { metrics_.inc("bottega_bot_turns_total", "outcome=\"" + outcome + "\""); });
  return std::optional<repo::Turn>(std::move(t));
}

void BotService::run(const core_repo::Job& job, std::function<void(pipeline::JobOutcome)> done) {
  boost::system::error_code ec;
  auto v = bj::parse(job.payload_json, ec);
  if (ec || !v.is_object() || !v.as_object().contains("message_id") || !v.as_object().at("message_id").is_string())
    return done(pipeline::JobOutcome{false, "bad bot.turn payload", std::nullopt, true});
  std::string tenant = job.tenant_id, message_id(v.as_object().at("message_id").as_string());
  store_.write(
      [this, tenant, message_id](store::Tx& tx) -> Status {
        auto r = take_turn(tx, tenant, message_id);
        if (!r) return std::move(r).error();
        return {};
      },
      [done](Status st) {
        if (st.ok()) return done(pipeline::JobOutcome{true, {}, std::nullopt, false});
        done(pipeline::JobOutcome{false, st.error().message, std::nullopt, false});
      });
}

void BotService::run_send_code(const core_repo::Job& job, std::function<void(pipeline::JobOutcome)> done) {
  const pipeline::otp::PayloadFields field(job.payload_json);
  std::string tenant = job.tenant_id, conversation = field("conversation_id"), order_id = field("order_id"),
              email = field("email"), nonce = field("nonce");
  if (conversation.empty() || order_id.empty() || email.empty() || nonce.empty())
    return done(pipeline::JobOutcome{false, "bad bot.send_code payload", std::nullopt, true});
  pipeline::otp::run_code_job(
      store_, mail_,
      [this, tenant, conversation, order_id, email, nonce](store::Tx& tx, const std::string& code,
                                                           std::string& why) -> std::optional<MailRequest> {
        BotState s = repo::get_state(tx, tenant, conversation);
        if (s.awaiting != "otp" || s.otp_nonce != nonce || s.otp_order != order_id) {
          why = "stale: the conversation no longer waits for this code";
          return std::nullopt;
        }
        auto o = commerce::get_order(tx, tenant, order_id);
        if (!o) {
          why = "order not found";
          return std::nullopt;
        }
        std::string lang = s.language.empty() ? "en" : s.language;
        pipeline::otp::CodeMail m{email, shop_text::say(lang, "mail_subject"), shop_text::say(lang, "mail_text"),
                                  "code" + nonce.substr(0, 12), conversation};
        for (auto [k, val] : {std::pair{"{n}", std::to_string(o->number)}, std::pair{"{code}", code}})
          if (auto at = m.text.find(k); at != std::string::npos) m.text.replace(at, std::string_view(k).size(), val);
        auto req = pipeline::otp::compose(tx, tenant, m, helo_, env_.clock.now_ms());
        if (!req) {
          why = "no email channel with an outgoing relay";
          return std::nullopt;
        }
        s.otp_hash = pipeline::otp::code_hash(nonce, code);
        repo::put_state(tx, tenant, conversation, s, env_.clock.now_ms());
        return req;
      },
      std::move(done));
}

}  // namespace bottega::bot
