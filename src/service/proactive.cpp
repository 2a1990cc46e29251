#include "service/proactive.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdio>

#include "bot/language.hpp"
#include "channels/window.hpp"
#include "commerce/carts.hpp"
#include "commerce/money.hpp"
#include "commerce/orders.hpp"
#include "pipeline/optout.hpp"
#include "pipeline/window.hpp"
#include "service/canned.hpp"
#include "store/repo/repo.hpp"
#include "core/json.hpp"

namespace bottega::service {

namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Stmt;
using store::Value;

namespace {

constexpr const char* kReminderVars[] = {"contact.name", "contact.first_name", "cart.items", "cart.total", "shop.name",
                                         nullptr};
constexpr const char* kOrderVars[] = {"contact.name",         "contact.first_name", "order.number",
                                      "order.total",          "order.tracking_number", "order.tracking_url",
                                      "order.carrier",        "shop.name",          nullptr};

const Stmt kGetSettings{"proactive.get_settings", "SELECT settings FROM proactive_settings WHERE tenant_id = $1"};
const Stmt kPutSettings{"proactive.put_settings",
    "INSERT INTO proactive_settings (tenant_id, settings, reminders_enabled, reminder_delay_ms, updated_at) "
    "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, "
    "reminders_enabled = excluded.reminders_enabled, reminder_delay_ms = excluded.reminder_delay_ms, "
    "updated_at = excluded.updated_at"};
// Open carts with items, idle for their tenant's delay (and not for more than a week), without a
// reminder. Walks every tenant that has reminders on (like the SLA breach scan); each row carries
// its tenant on.
const Stmt kDueCarts{"proactive.due_carts",
    "SELECT c.tenant_id, c.id, c.contact_id, c.updated_at FROM carts c "
    "JOIN proactive_settings s ON s.tenant_id = c.tenant_id "
    "WHERE c.status = 'open' AND s.reminders_enabled = 1 AND c.updated_at <= $1 - s.reminder_delay_ms "
    "AND c.updated_at >= $2 "
    "AND EXISTS (SELECT 1 FROM cart_items i WHERE i.tenant_id = c.tenant_id AND i.cart_id = c.id) "
    "AND NOT EXISTS (SELECT 1 FROM cart_reminders r WHERE r.tenant_id = c.tenant_id AND r.cart_id = c.id) "
    "ORDER BY c.updated_at LIMIT $3"};
const Stmt kQueueReminder{"proactive.queue_reminder",
    "INSERT INTO cart_reminders (tenant_id, cart_id, contact_id, status, cart_updated_at, queued_at) "
    "VALUES ($1,$2,$3,'queued',$4,$5) ON CONFLICT (tenant_id, cart_id) DO NOTHING"};
const Stmt kClaimReminder{"proactive.claim_reminder",
    "UPDATE cart_reminders SET status = 'running' WHERE tenant_id = $1 AND cart_id = $2 AND status = 'queued'"};
const Stmt kReminderRow{"proactive.reminder_row",
    "SELECT cart_updated_at FROM cart_reminders WHERE tenant_id = $1 AND cart_id = $2"};
const Stmt kFinishReminder{"proactive.finish_reminder",
    "UPDATE cart_reminders SET status = $3, reason = $4, conversation_id = $5, channel_type = $6, mode = $7, "
    "message_id = $8, currency = $9, amount = $10, done_at = $11 WHERE tenant_id = $1 AND cart_id = $2"};
const Stmt kDropReminder{"proactive.drop_reminder", "DELETE FROM cart_reminders WHERE tenant_id = $1 AND cart_id = $2"};
const Stmt kListReminders{"proactive.list_reminders",
    "SELECT cart_id, contact_id, status, reason, conversation_id, channel_type, mode, message_id, currency, amount, "
    "queued_at, done_at FROM cart_reminders WHERE tenant_id = $1 ORDER BY queued_at DESC, cart_id LIMIT $2"};
// A payment link for the cart the customer can still pay (or is paying).
const Stmt kLivePayment{"proactive.live_payment",
    "SELECT status FROM payments WHERE tenant_id = $1 AND cart_id = $2 AND "
    "(status = 'paid' OR (status IN ('created','sent','opened','processing','failed') AND expires_at > $3)) LIMIT 1"};
const Stmt kLatestConversation{"proactive.latest_conversation",
    "SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 ORDER BY last_message_at DESC, seq DESC LIMIT 1"};
const Stmt kLatestWhatsApp{"proactive.latest_whatsapp",
    "SELECT c.id FROM conversations c JOIN channels ch ON ch.id = c.channel_id AND ch.tenant_id = c.tenant_id "
    "WHERE c.tenant_id = $1 AND c.contact_id = $2 AND ch.type = 'whatsapp' "
    "ORDER BY c.last_message_at DESC, c.seq DESC LIMIT 1"};
const Stmt kContactName{"proactive.contact_name", "SELECT name FROM contacts WHERE tenant_id = $1 AND id = $2"};
const Stmt kShopName{"proactive.shop_name", "SELECT name FROM tenants WHERE id = $1"};
const Stmt kLastInboundText{"proactive.last_inbound_text",
    "SELECT text FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'in' ORDER BY seq DESC LIMIT 1"};
const Stmt kInsertNotification{"proactive.insert_notification",
    "INSERT INTO order_notifications (tenant_id, order_id, kind, status, created_at) VALUES ($1,$2,$3,'pending',$4) "
    "ON CONFLICT (tenant_id, order_id, kind) DO NOTHING"};
const Stmt kFinishNotification{"proactive.finish_notification",
    "UPDATE order_notifications SET status = $4, reason = $5, conversation_id = $6, message_id = $7 "
    "WHERE tenant_id = $1 AND order_id = $2 AND kind = $3"};
const Stmt kListNotifications{"proactive.list_notifications",
    "SELECT kind, status, reason, conversation_id, message_id, created_at FROM order_notifications "
    "WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at, kind"};

// ---- settings --------------------------------------------------------------------------------


Result<std::optional<TemplateChoice>> parse_choice(const bj::value& v, const std::string& field, const char* const* vars) {
  if (v.is_null()) return std::optional<TemplateChoice>{};
  if (!v.is_object()) return Error::invalid(field, field + " is an object {name, language, parameters} or null", "invalid_type");
  const auto& o = v.as_object();
  if (auto st = json::only_keys(o, {"name", "language", "parameters"}, field); !st) return st.error();
  TemplateChoice t;
  auto* n = o.if_contains("name");
  if (!n || !n->is_string()) return Error::invalid(field + ".name", "a template name is required", "missing_field");
  t.name = std::string(n->as_string());
  if (t.name.empty() || t.name.size() > 512) return Error::invalid(field + ".name", "a template name is 1-512 of a-z, 0-9 and _");
  for (unsigned char ch : t.name)
    if (!(std::islower(ch) || std::isdigit(ch) || ch == '_'))
      return Error::invalid(field + ".name", "a template name is 1-512 of a-z, 0-9 and _");
  auto* l = o.if_contains("language");
  if (!l || !l->is_string()) return Error::invalid(field + ".language", "a template language is required (en_US, it)", "missing_field");
  t.language = std::string(l->as_string());
  if (t.language.size() < 2 || t.language.size() > 15) return Error::invalid(field + ".language", "a language code like en_US or it");
  for (unsigned char ch : t.language)
    if (!(std::isalpha(ch) || ch == '_')) return Error::invalid(field + ".language", "a language code like en_US or it");
  if (auto* ps = o.if_contains("parameters"); ps && !ps->is_null()) {
    if (!ps->is_array()) return Error::invalid(field + ".parameters", "parameters is a list of variable names", "invalid_type");
    if (ps->as_array().size() > 10) return Error::invalid(field + ".parameters", "at most 10 parameters");
    size_t i = 0;
    for (const auto& p : ps->as_array()) {
      std::string pf = field + ".parameters[" + std::to_string(i++) + "]";
      if (!p.is_string()) return Error::invalid(pf, "a variable name", "invalid_type");
      std::string name(p.as_string());
      bool known = false;
      std::string list;
      for (const char* const* x = vars; *x; ++x) {
        known = known || name == *x;
        list += (list.empty() ? "" : ", ") + std::string(*x);
      }
      if (!known) return Error::invalid(pf, "unknown variable " + name.substr(0, 64) + "; known: " + list, "unknown_variable");
      t.parameters.push_back(std::move(name));
    }
  }
  return std::optional<TemplateChoice>{std::move(t)};
}

bj::value choice_json(const std::optional<TemplateChoice>& t) {
  if (!t) return nullptr;
  bj::array ps;
  for (const auto& p : t->parameters) ps.emplace_back(p);
  return bj::object{{"name", t->name}, {"language", t->language}, {"parameters", std::move(ps)}};
}

Result<bool> boolean(const bj::object& o, const char* key, const std::string& prefix, bool current) {
  auto* v = o.if_contains(key);
  if (!v) return current;
  if (!v->is_bool()) return Error::invalid(prefix + key, std::string(key) + " is true or false", "invalid_type");
  return v->as_bool();
}

// ---- sending ----------------------------------------------------------------------------------

std::string first_word(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  auto e = s.find(' ', b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string amount_text(int64_t minor, const std::string& currency) {
  try {
    return commerce::format_amount(minor, currency) + " " + currency;
  } catch (...) {
    return std::to_string(minor) + " " + currency;
  }
}

std::vector<std::string> fill(const TemplateChoice& t, const std::map<std::string, std::string>& vars) {
  std::vector<std::string> out;
  for (const auto& p : t.parameters) {
    auto it = vars.find(p);
    // WhatsApp refuses an empty body parameter.
    out.push_back(it == vars.end() || it->second.empty() ? std::string("-") : it->second);
  }
  return out;
}

std::string template_text(const TemplateChoice& t, const std::vector<std::string>& params) {
  std::string text = "[template " + t.name + "]";
  for (size_t i = 0; i < params.size(); ++i) text += (i ? ", " : " ") + params[i];
  return text;
}

std::string template_content(const TemplateChoice& t, const std::vector<std::string>& params, bj::object extra) {
  bj::array ps;
  for (const auto& p : params) ps.emplace_back(p);
  extra["template"] = bj::object{{"name", t.name}, {"language", t.language}, {"parameters", std::move(ps)}};
  return bj::serialize(extra);
}

void base_vars(store::Tx& tx, const std::string& tenant, const std::string& contact_id,
               std::map<std::string, std::string>& vars) {
  if (auto r = tx.query_one(kContactName, {tenant, contact_id})) {
    vars["contact.name"] = r->str(0);
    vars["contact.first_name"] = first_word(r->str(0));
  }
  if (auto r = tx.query_one(kShopName, {tenant})) vars["shop.name"] = r->str(0);
}

}  // namespace

const char* const* reminder_variables() { return kReminderVars; }
const char* const* order_variables() { return kOrderVars; }

const char* reminder_default(const std::string& lang) {
  if (lang == "it")
    return "Hai lasciato {{cart.items}} nel carrello ({{cart.total}}). Se vuoi completare l'ordine o hai una domanda, "
           "rispondi qui. Scrivi STOP per non ricevere altri promemoria.";
  if (lang == "de")
    return "In Ihrem Warenkorb liegt noch {{cart.items}} ({{cart.total}}). Wenn Sie die Bestellung abschließen möchten "
           "oder eine Frage haben, antworten Sie einfach hier. Schreiben Sie STOP, um keine Erinnerungen mehr zu erhalten.";
  if (lang == "nl")
    return "Je hebt {{cart.items}} in je winkelwagen laten liggen ({{cart.total}}). Wil je je bestelling afronden of "
           "heb je een vraag? Antwoord dan hier. Stuur STOP om geen herinneringen meer te krijgen.";
  return "You left {{cart.items}} in your cart ({{cart.total}}). If you'd like to complete your order or have a "
         "question, just reply here. Write STOP to get no more reminders.";
}

Result<ProactiveSettings> apply_proactive_patch(ProactiveSettings s, const bj::object& patch) {
  if (auto st = json::only_keys(patch, {"cart_reminder", "order_updates"}); !st) return st.error();
  if (auto* v = patch.if_contains("cart_reminder")) {
    if (v->is_null()) {
      ProactiveSettings d;
      s.reminders = d.reminders;
      s.delay_seconds = d.delay_seconds;
      s.reminder_message.clear();
      s.reminder_template.reset();
    } else {
      if (!v->is_object()) return Error::invalid("cart_reminder", "cart_reminder is an object", "invalid_type");
      const auto& o = v->as_object();
      const std::string p = "cart_reminder.";
      if (auto st = json::only_keys(o, {"enabled", "delay_seconds", "message", "template"}, "cart_reminder"); !st) return st.error();
      auto en = boolean(o, "enabled", p, s.reminders);
      if (!en) return en.error();
      s.reminders = *en;
      if (auto* d = o.if_contains("delay_seconds")) {
        if (!d->is_int64() || d->as_int64() < 1 || d->as_int64() > 7 * 24 * 3600)
          return Error::invalid(p + "delay_seconds", "delay_seconds is a whole number of seconds, 1..604800 (7 days)");
        s.delay_seconds = d->as_int64();
      }
      if (auto* m = o.if_contains("message")) {
        if (m->is_null()) {
          s.reminder_message.clear();
        } else {
          if (!m->is_string()) return Error::invalid(p + "message", "message is a string or null", "invalid_type");
          std::string text(m->as_string());
          if (text.empty() || text.size() > 1000) return Error::invalid(p + "message", "a message is 1-1000 bytes");
          if (auto st = validate_template(text, p + "message", kReminderVars); !st) return st.error();
          s.reminder_message = std::move(text);
        }
      }
      if (auto* t = o.if_contains("template")) {
        auto c = parse_choice(*t, p + "template", kReminderVars);
        if (!c) return c.error();
        s.reminder_template = std::move(c).value();
      }
    }
  }
  if (auto* v = patch.if_contains("order_updates")) {
    if (v->is_null()) {
      s.order_updates = false;
      s.order_paid.reset();
      s.order_fulfilled.reset();
    } else {
      if (!v->is_object()) return Error::invalid("order_updates", "order_updates is an object", "invalid_type");
      const auto& o = v->as_object();
      const std::string p = "order_updates.";
      if (auto st = json::only_keys(o, {"enabled", "paid", "fulfilled"}, "order_updates"); !st) return st.error();
      auto en = boolean(o, "enabled", p, s.order_updates);
      if (!en) return en.error();
      s.order_updates = *en;
      for (const char* k : {"paid", "fulfilled"})
        if (auto* t = o.if_contains(k)) {
          auto c = parse_choice(*t, p + k, kOrderVars);
          if (!c) return c.error();
          (std::string_view(k) == "paid" ? s.order_paid : s.order_fulfilled) = std::move(c).value();
        }
      if (s.order_updates && !s.order_paid && !s.order_fulfilled)
        return Error::invalid(p + "enabled", "order updates need a template for paid or fulfilled orders");
    }
  }
  return s;
}

bj::object to_json(const ProactiveSettings& s) {
  return bj::object{
      {"cart_reminder", bj::object{{"enabled", s.reminders},
                                   {"delay_seconds", s.delay_seconds},
                                   {"message", s.reminder_message.empty() ? bj::value(nullptr) : bj::value(s.reminder_message)},
                                   {"template", choice_json(s.reminder_template)}}},
      {"order_updates", bj::object{{"enabled", s.order_updates},
                                   {"paid", choice_json(s.order_paid)},
                                   {"fulfilled", choice_json(s.order_fulfilled)}}}};
}

ProactiveSettings load_proactive(store::Tx& tx, const std::string& tenant) {
  auto r = tx.query_one(kGetSettings, {tenant});
  if (!r) return {};
  boost::system::error_code ec;
  auto v = bj::parse(r->str(0), ec);
  if (ec || !v.is_object()) return {};
  auto s = apply_proactive_patch(ProactiveSettings{}, v.as_object());
  return s ? *s : ProactiveSettings{};
}

Result<ProactiveSettings> update_proactive(store::Tx& tx, const std::string& tenant, const bj::object& patch, int64_t now) {
  auto s = apply_proactive_patch(load_proactive(tx, tenant), patch);
  if (!s) return s.error();
  tx.exec(kPutSettings, {tenant, bj::serialize(to_json(*s)), int64_t{s->reminders ? 1 : 0}, s->delay_seconds * 1000, now});
  return s;
}

// ---- cart reminders ----------------------------------------------------------------------------

int64_t scan_carts(store::Tx& tx, pipeline::Env& env, int64_t now, int64_t limit) {
  int64_t queued = 0;
  for (const auto& r : tx.query(kDueCarts, {now, now - kMaxCartAgeMs, limit})) {
    std::string tenant = r.str(0), cart = r.str(1);
    int64_t updated = r.i64(3);
    if (tx.exec(kQueueReminder, {tenant, cart, r.str(2), updated, now}) != 1) continue;  // another scan took it
    ::bottega::repo::Job j;
    j.id = env.ids.next("job");
    j.tenant_id = tenant;
    j.kind = kReminderJob;
    j.idempotency_key = cart + ":" + std::to_string(updated);
    j.payload_json = bj::serialize(bj::object{{"cart_id", cart}});
    j.run_at = now;
    j.deadline_at = now + 24LL * 3600 * 1000;
    if (core_repo::enqueue_job(tx, j, now)) ++queued;
  }
  if (queued > 0 && env.on_job) tx.after_commit(env.on_job);
  return queued;
}

std::optional<ReminderResult> run_reminder(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                           const std::string& cart_id) {
  // The claim: a second run of this job (another node after a lease expired) waits here for the
  // first one's transaction and then updates nothing.
  if (tx.exec(kClaimReminder, {tenant, cart_id}) != 1) return std::nullopt;
  int64_t now = env.clock.now_ms();
  auto row = tx.query_one(kReminderRow, {tenant, cart_id});
  int64_t queued_for = row ? row->i64(0) : 0;
  struct Sent {
    std::optional<std::string> conversation, channel, mode, message, currency;
    std::optional<int64_t> amount;
  } sent;
  auto opt = [](const std::optional<std::string>& v) { return v ? Value{*v} : Value{}; };
  auto finish = [&](const std::string& status, const std::string& reason) {
    tx.exec(kFinishReminder, {tenant, cart_id, status, reason.empty() ? Value{} : Value{reason}, opt(sent.conversation),
                              opt(sent.channel), opt(sent.mode), opt(sent.message), opt(sent.currency),
                              sent.amount ? Value{*sent.amount} : Value{}, now});
    return ReminderResult{status, reason, sent.message};
  };
  auto requeue = [&](const std::string& reason) {
    tx.exec(kDropReminder, {tenant, cart_id});  // the scan queues it again once it is due
    return ReminderResult{"requeued", reason, std::nullopt};
  };

  auto s = load_proactive(tx, tenant);
  if (!s.reminders) return finish("skipped", "disabled");
  auto cart = commerce::get_cart(tx, tenant, cart_id);
  if (!cart) return finish("skipped", "cart_deleted");
  if (cart->status == "ordered") return finish("skipped", "ordered");
  if (cart->status != "open") return finish("skipped", "closed");
  if (cart->items.empty()) return finish("skipped", "emptied");
  if (cart->updated_at != queued_for) return requeue("cart_changed");
  if (now < cart->updated_at + s.delay_seconds * 1000) return requeue("not_due");
  if (auto p = tx.query_one(kLivePayment, {tenant, cart_id, now}))
    return finish("skipped", p->str(0) == "paid" ? "paid" : "payment_open");
  if (pipeline::opted_out(tx, tenant, cart->contact_id)) return finish("skipped", "opted_out");

  std::optional<Conversation> conv;
  if (cart->conversation_id) conv = core_repo::get_conversation(tx, tenant, *cart->conversation_id);
  if (!conv)
    if (auto r = tx.query_one(kLatestConversation, {tenant, cart->contact_id}))
      conv = core_repo::get_conversation(tx, tenant, r->str(0));
  if (!conv) return finish("skipped", "no_conversation");
  sent.conversation = conv->id;
  sent.channel = conv->channel_type;

  auto totals = commerce::price_cart(tx, tenant, cart_id, now);
  if (!totals) return finish("skipped", "unpriceable");
  sent.currency = totals->currency;
  sent.amount = totals->total;

  std::map<std::string, std::string> vars;
  base_vars(tx, tenant, cart->contact_id, vars);
  std::string items;
  size_t shown = 0;
  for (const auto& l : totals->lines) {
    if (shown == 3) {
      items += " +" + std::to_string(totals->lines.size() - 3);
      break;
    }
    items += (shown++ ? ", " : "") + std::to_string(l.quantity) + " x " + l.title;
  }
  vars["cart.items"] = items;
  vars["cart.total"] = amount_text(totals->total, totals->currency);

  auto w = pipeline::window::for_conversation(tx, *conv, now);
  bj::object marker{{"proactive", "cart_reminder"}, {"cart_id", cart_id}};
  Message m;
  if (w.state.open) {
    std::string text;
    if (!s.reminder_message.empty()) {
      text = render_template(s.reminder_message, vars);
    } else {
      std::string lang = "en";
      if (auto r = tx.query_one(kLastInboundText, {tenant, conv->id})) lang = bot::detect_language(r->str(0), "en").lang;
      const std::string& first = vars["contact.first_name"];
      const char* hi = lang == "it" ? "Ciao" : lang == "de" ? "Hallo" : lang == "nl" ? "Hoi" : "Hi";
      text = std::string(hi) + (first.empty() ? "" : " " + first) + "! " + render_template(reminder_default(lang), vars);
    }
    sent.mode = "text";
    m = pipeline::post_system_message(tx, env, *conv, "text", text, bj::serialize(marker));
  } else if (w.state.policy == channels::WindowPolicy::whatsapp && s.reminder_template) {
    auto params = fill(*s.reminder_template, vars);
    channels::TemplateSend ts{s.reminder_template->name, s.reminder_template->language, params};
    if (!channels::check_template(ts, w.templates).ok()) return finish("skipped", "template_not_approved");
    sent.mode = "template";
    m = pipeline::post_system_message(tx, env, *conv, "template", template_text(*s.reminder_template, params),
                                      template_content(*s.reminder_template, params, marker));
  } else {
    return finish("skipped", "window_closed");
  }
  sent.message = m.id;
  pipeline::emit(tx, env, tenant, event_type::kCartReminderSent, conv->id, conv->contact_id, true,
                 bj::object{{"cart_id", cart_id},
                            {"conversation_id", conv->id},
                            {"contact_id", conv->contact_id},
                            {"channel", conv->channel_type},
                            {"channel_id", conv->channel_id},
                            {"message_id", m.id},
                            {"mode", *sent.mode},
                            {"currency", totals->currency},
                            {"total", totals->total},
                            {"sent_at", rfc3339(now)}});
  return finish("sent", "");
}

void run_reminder_job(store::Store& store, pipeline::Env env, const ::bottega::repo::Job& job,
                      std::function<void(pipeline::JobOutcome)> done) {
  boost::system::error_code ec;
  auto v = bj::parse(job.payload_json, ec);
  const bj::value* cart = !ec && v.is_object() ? v.as_object().if_contains("cart_id") : nullptr;
  if (!cart || !cart->is_string()) return done(pipeline::JobOutcome{false, "bad cart.reminder payload", std::nullopt, true});
  std::string tenant = job.tenant_id, cart_id(cart->as_string());
  store.write(
      [env, tenant, cart_id](store::Tx& tx) mutable -> Status {
        run_reminder(tx, env, tenant, cart_id);
        return {};
      },
      [done](Status st) {
        if (st.ok()) return done(pipeline::JobOutcome{true, {}, std::nullopt, false});
        done(pipeline::JobOutcome{false, st.error().message, std::nullopt, false});
      });
}

bj::array list_reminders(store::Tx& tx, const std::string& tenant, int64_t limit) {
  bj::array out;
  auto opt = [](const store::Row& r, size_t i) { return r.is_null(i) ? bj::value(nullptr) : bj::value(r.str(i)); };
  for (const auto& r : tx.query(kListReminders, {tenant, limit}))
    out.push_back(bj::object{{"cart_id", r.str(0)},
                             {"contact_id", r.str(1)},
                             {"status", r.str(2)},
                             {"reason", opt(r, 3)},
                             {"conversation_id", opt(r, 4)},
                             {"channel", opt(r, 5)},
                             {"mode", opt(r, 6)},
                             {"message_id", opt(r, 7)},
                             {"currency", opt(r, 8)},
                             {"total", r.is_null(9) ? bj::value(nullptr) : bj::value(r.i64(9))},
                             {"queued_at", rfc3339(r.i64(10))},
                             {"done_at", r.is_null(11) ? bj::value(nullptr) : bj::value(rfc3339(r.i64(11)))}});
  return out;
}

// ---- order updates -------------------------------------------------------------------------------

std::optional<std::string> notify_order(store::Tx& tx, pipeline::Env& env, const std::string& tenant,
                                        const std::string& order_id, const std::string& kind) {
  auto s = load_proactive(tx, tenant);
  if (!s.order_updates) return std::nullopt;
  const auto& tmpl = kind == "paid" ? s.order_paid : s.order_fulfilled;
  if (!tmpl) return std::nullopt;
  int64_t now = env.clock.now_ms();
  if (tx.exec(kInsertNotification, {tenant, order_id, kind, now}) != 1) return std::nullopt;  // sent (or skipped) before
  std::optional<std::string> conv_id, message_id;
  auto finish = [&](const std::string& status, const std::string& reason) {
    tx.exec(kFinishNotification, {tenant, order_id, kind, status, reason.empty() ? Value{} : Value{reason},
                                  conv_id ? Value{*conv_id} : Value{}, message_id ? Value{*message_id} : Value{}});
    return std::optional<std::string>(status);
  };
  auto order = commerce::get_order(tx, tenant, order_id);
  if (!order) return finish("skipped", "order_missing");
  if (pipeline::opted_out(tx, tenant, order->contact_id)) return finish("skipped", "opted_out");
  std::optional<Conversation> conv;
  if (order->conversation_id) {
    conv = core_repo::get_conversation(tx, tenant, *order->conversation_id);
    if (conv && conv->channel_type != "whatsapp") conv.reset();
  }
  if (!conv)
    if (auto r = tx.query_one(kLatestWhatsApp, {tenant, order->contact_id}))
      conv = core_repo::get_conversation(tx, tenant, r->str(0));
  if (!conv) return finish("skipped", "no_whatsapp");
  conv_id = conv->id;
  std::map<std::string, std::string> vars;
  base_vars(tx, tenant, order->contact_id, vars);
  vars["order.number"] = std::to_string(order->number);
  vars["order.total"] = amount_text(order->total, order->currency);
  vars["order.tracking_number"] = order->tracking_number.value_or("");
  vars["order.tracking_url"] = order->tracking_url.value_or("");
  vars["order.carrier"] = order->carrier.value_or("");
  auto params = fill(*tmpl, vars);
  auto w = pipeline::window::for_conversation(tx, *conv, now);
  channels::TemplateSend ts{tmpl->name, tmpl->language, params};
  if (!channels::check_template(ts, w.templates).ok()) return finish("skipped", "template_not_approved");
  auto m = pipeline::post_system_message(
      tx, env, *conv, "template", template_text(*tmpl, params),
      template_content(*tmpl, params, bj::object{{"proactive", "order_" + kind}, {"order_id", order_id}}));
  message_id = m.id;
  return finish("sent", "");
}

bj::array order_notifications(store::Tx& tx, const std::string& tenant, const std::string& order_id) {
  bj::array out;
  auto opt = [](const store::Row& r, size_t i) { return r.is_null(i) ? bj::value(nullptr) : bj::value(r.str(i)); };
  for (const auto& r : tx.query(kListNotifications, {tenant, order_id}))
    out.push_back(bj::object{{"kind", r.str(0)},
                             {"status", r.str(1)},
                             {"reason", opt(r, 2)},
                             {"conversation_id", opt(r, 3)},
                             {"message_id", opt(r, 4)},
                             {"created_at", rfc3339(r.i64(5))}});
  return out;
}

}  // namespace bottega::service
