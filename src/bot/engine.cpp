#include "bot/engine.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>
#include <cstdio>

#include "bot/language.hpp"
#include "bot/shop_text.hpp"
#include "commerce/cards.hpp"
#include "core/crypto.hpp"
#include "bot/text.hpp"
#include "pipeline/one_time_code.hpp"

namespace bottega::bot {

namespace bj = boost::json;

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::answered: return "answered";
    case Outcome::asked: return "asked";
    case Outcome::handed_over: return "handed_over";
    case Outcome::helpful: return "helpful";
    case Outcome::not_helpful: return "not_helpful";
  }
  return "asked";
}

bj::object to_json(const BotState& s) {
  auto arr = [](const std::vector<std::string>& v) {
    bj::array a;
    for (const auto& x : v) a.emplace_back(x);
    return a;
  };
  return bj::object{{"handed_over", s.handed_over}, {"awaiting", s.awaiting}, {"choices", arr(s.choices)},
                    {"last_entry_id", s.last_entry_id}, {"failed", s.failed}, {"language", s.language},
                    {"intent", s.intent}, {"answered", arr(s.answered)}, {"products", arr(s.products)},
                    {"order_reference", s.order_reference}, {"goal", s.goal}, {"verified", arr(s.verified)},
                    {"otp_order", s.otp_order}, {"otp_nonce", s.otp_nonce}, {"otp_hash", s.otp_hash},
                    {"otp_expires_at", s.otp_expires_at}, {"otp_attempts", s.otp_attempts},
                    {"details_tries", s.details_tries}, {"code_requests", s.code_requests},
                    {"refund_order", s.refund_order}};
}

BotState bot_state_from_json(std::string_view text) {
  BotState s;
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec || !v.is_object()) return s;
  const auto& o = v.as_object();
  auto str = [&](const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
  };
  auto arr = [&](const char* k) {
    std::vector<std::string> out;
    auto it = o.find(k);
    if (it != o.end() && it->value().is_array())
      for (const auto& x : it->value().as_array())
        if (x.is_string()) out.emplace_back(x.as_string());
    return out;
  };
  if (auto it = o.find("handed_over"); it != o.end() && it->value().is_bool()) s.handed_over = it->value().as_bool();
  if (auto it = o.find("failed"); it != o.end() && it->value().is_int64()) s.failed = static_cast<int>(it->value().as_int64());
  s.awaiting = str("awaiting");
  s.choices = arr("choices");
  s.last_entry_id = str("last_entry_id");
  s.language = str("language");
  s.intent = str("intent");
  s.answered = arr("answered");
  s.products = arr("products");
  s.order_reference = str("order_reference");
  s.goal = str("goal");
  s.verified = arr("verified");
  s.otp_order = str("otp_order");
  s.otp_nonce = str("otp_nonce");
  s.otp_hash = str("otp_hash");
  s.refund_order = str("refund_order");
  auto num = [&](const char* k) -> int64_t {
    auto it = o.find(k);
    return it != o.end() && it->value().is_int64() ? it->value().as_int64() : 0;
  };
  s.otp_expires_at = num("otp_expires_at");
  s.otp_attempts = static_cast<int>(num("otp_attempts"));
  s.details_tries = static_cast<int>(num("details_tries"));
  s.code_requests = static_cast<int>(num("code_requests"));
  return s;
}

Intent entry_intent(const KbEntry& e) {
  for (const auto& t : e.tags) {
    std::string f = fold(t);
    if (f == "presale" || f == "product" || f == "products" || f == "sizing") return Intent::presale;
    if (f == "discount" || f == "discount-issue") return Intent::discount;
    if (f == "refund") return Intent::refund;
    if (f == "order-status") return Intent::order_status;
  }
  return Intent::policy;
}

namespace {

// Order details taken for a one-time code per conversation: a mistyped address can be corrected,
// but nobody can make the bot mail codes without end.
constexpr int kMaxCodeRequests = 3;

struct Phrases {
  const char* dont_know;        // low confidence
  const char* handover_human;   // asked for a person
  const char* handover_angry;
  const char* handover_failed;  // two answers did not help
  const char* handover_topic;   // refund, discount problem, order details received
  const char* wait_minutes;     // %lld minutes
  const char* wait_closed;      // %s weekday, %s time
  const char* wait_unknown;
  const char* ask_order;        // order status: order number and email first
  const char* clarify;          // did you mean
  const char* helpful_q;
  const char* yes;
  const char* no;
  const char* glad;
  const char* rephrase;
  const char* greeting;
  const char* days[7];
};

const Phrases& phrases(std::string_view lang) {
  static const Phrases en = {
      "I'm sorry, I don't know the answer to that, and I'd rather not guess. I'm passing your question to our team.",
      "Of course, I'm handing you over to a person from our team.",
      "I'm sorry about this. I'm handing you over to a person from our team right away.",
      "I'm sorry my answers didn't help. I'm handing you over to a person from our team.",
      "A person from our team needs to look at this, so I'm handing you over.",
      "A person will usually reply within about %lld minutes.",
      "Our team is offline now; a person will reply when we open again on %s at %s (shop time).",
      "A person will reply as soon as possible.",
      "I can help with your order. To protect your privacy, please send me your order number and the email address you used for the order.",
      "I'm not sure I understood. Did you mean one of these?",
      "Did this answer your question?",
      "Yes", "No",
      "Great, glad I could help!",
      "Sorry about that. Could you put your question in other words? You can also write \"person\" to talk to our team.",
      "Hello! How can I help you today?",
      {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}};
  static const Phrases it = {
      "Mi dispiace, non conosco la risposta e preferisco non tirare a indovinare. Passo la tua domanda al nostro team.",
      "Certo, ti passo a una persona del nostro team.",
      "Mi dispiace per l'inconveniente. Ti passo subito a una persona del nostro team.",
      "Mi dispiace che le mie risposte non ti abbiano aiutato. Ti passo a una persona del nostro team.",
      "Serve che una persona del nostro team se ne occupi, quindi ti passo a loro.",
      "Di solito una persona risponde entro circa %lld minuti.",
      "Il nostro team ora non è disponibile; una persona ti risponderà alla riapertura, %s alle %s (ora del negozio).",
      "Una persona ti risponderà il prima possibile.",
      "Posso aiutarti con il tuo ordine. Per proteggere la tua privacy, mandami il numero d'ordine e l'indirizzo email usato per l'ordine.",
      "Non sono sicuro di aver capito. Intendevi una di queste?",
      "Ho risposto alla tua domanda?",
      "Sì", "No",
      "Ottimo, felice di esserti stato utile!",
      "Mi dispiace. Puoi riformulare la domanda? Puoi anche scrivere \"operatore\" per parlare con il nostro team.",
      "Ciao! Come posso aiutarti?",
      {"lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"}};
  static const Phrases de = {
      "Das weiß ich leider nicht, und raten möchte ich nicht. Ich gebe Ihre Frage an unser Team weiter.",
      "Gern, ich verbinde Sie mit einer Person aus unserem Team.",
      "Das tut mir leid. Ich verbinde Sie sofort mit einer Person aus unserem Team.",
      "Schade, dass meine Antworten nicht geholfen haben. Ich verbinde Sie mit einer Person aus unserem Team.",
      "Darum muss sich eine Person aus unserem Team kümmern, ich verbinde Sie.",
      "Eine Person antwortet normalerweise in etwa %lld Minuten.",
      "Unser Team ist gerade nicht da; eine Person antwortet, sobald wir wieder geöffnet haben: %s um %s (Ortszeit des Shops).",
      "Eine Person antwortet so bald wie möglich.",
      "Ich helfe Ihnen gern mit Ihrer Bestellung. Zum Schutz Ihrer Daten senden Sie mir bitte Ihre Bestellnummer und die E-Mail-Adresse der Bestellung.",
      "Ich bin nicht sicher, ob ich Sie verstanden habe. Meinten Sie eines davon?",
      "Hat das Ihre Frage beantwortet?",
      "Ja", "Nein",
      "Schön, dass ich helfen konnte!",
      "Das tut mir leid. Können Sie die Frage anders formulieren? Sie können auch \"Mitarbeiter\" schreiben, um mit unserem Team zu sprechen.",
      "Hallo! Wie kann ich Ihnen helfen?",
      {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"}};
  static const Phrases nl = {
      "Sorry, het antwoord daarop weet ik niet, en ik ga liever niet gokken. Ik geef je vraag door aan ons team.",
      "Natuurlijk, ik verbind je door met een medewerker van ons team.",
      "Sorry daarvoor. Ik verbind je meteen door met een medewerker van ons team.",
      "Jammer dat mijn antwoorden niet hielpen. Ik verbind je door met een medewerker van ons team.",
      "Hier moet een medewerker van ons team naar kijken, dus ik verbind je door.",
      "Een medewerker antwoordt meestal binnen ongeveer %lld minuten.",
      "Ons team is nu offline; een medewerker antwoordt zodra we weer open zijn, %s om %s (winkeltijd).",
      "Een medewerker antwoordt zo snel mogelijk.",
      "Ik help je graag met je bestelling. Om je privacy te beschermen: stuur me je bestelnummer en het e-mailadres van de bestelling.",
      "Ik weet niet zeker of ik je begrijp. Bedoelde je een van deze?",
      "Heeft dit je vraag beantwoord?",
      "Ja", "Nee",
      "Fijn dat ik kon helpen!",
      "Sorry. Kun je je vraag anders formuleren? Je kunt ook \"medewerker\" typen om met ons team te praten.",
      "Hallo! Waarmee kan ik je helpen?",
      {"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"}};
  if (lang == "it") return it;
  if (lang == "de") return de;
  if (lang == "nl") return nl;
  return en;
}

std::string wait_sentence(const Phrases& p, const WaitEstimate& w) {
  char buf[512];
  if (w.open_now) {
    std::snprintf(buf, sizeof buf, p.wait_minutes, static_cast<long long>(w.minutes));
    return buf;
  }
  if (w.opens_at_ms < 0) return p.wait_unknown;
  std::snprintf(buf, sizeof buf, p.wait_closed, p.days[w.weekday % 7], w.local_time.c_str());
  return buf;
}

const KbEntry* entry_by_id(const KbIndex* index, const std::string& id) {
  if (!index) return nullptr;
  for (const auto& e : index->entries())
    if (e.id == id) return &e;
  return nullptr;
}

void remember_answer(BotState& s, const KbEntry& e) {
  s.last_entry_id = e.id;
  if (std::find(s.answered.begin(), s.answered.end(), e.id) == s.answered.end()) s.answered.push_back(e.id);
  for (const auto& p : e.product_ids)
    if (std::find(s.products.begin(), s.products.end(), p) == s.products.end()) s.products.push_back(p);
}

std::string first_line(const std::string& s, size_t max) {
  std::string out = s.substr(0, s.find('\n'));
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "…";
  }
  return out;
}

std::string summary(const DecideInput& in, const Decision& d) {
  std::string s = "Bot handover (" + d.reason + ").\n";
  s += "Intent: " + (d.next.intent.empty() ? std::string("other") : d.next.intent) + ". Language: " + d.language + ".\n";
  s += "Customer: \"" + first_line(in.text, 300) + "\"\n";
  if (!d.next.order_reference.empty()) s += "Order details given (not verified): \"" + first_line(d.next.order_reference, 200) + "\"\n";
  if (d.next.answered.empty()) {
    s += "Bot answered: nothing.";
  } else {
    s += "Bot answered:";
    for (const auto& id : d.next.answered) {
      const KbEntry* e = entry_by_id(in.index, id);
      s += "\n- " + id + (e ? " (\"" + first_line(e->questions.front(), 120) + "\")" : std::string());
    }
  }
  if (!d.next.products.empty()) {
    s += "\nProducts:";
    for (const auto& p : d.next.products) s += " " + p;
  }
  if (in.shop) {
    auto order_line = [&](const std::string& id, const char* how) {
      if (auto o = in.shop->order(id))
        s += "\nOrder: #" + std::to_string(o->number) + " (" + o->status + ", " +
             commerce::format_price(o->total, o->currency, "en") + "; " + how + ")";
    };
    if (!d.next.refund_order.empty()) order_line(d.next.refund_order, "the request is about it");
    for (const auto& id : d.next.verified)
      if (id != d.next.refund_order) order_line(id, "verified by a one-time code");
    if (auto cart = in.shop->open_cart()) {
      s += "\nCart: ";
      for (size_t i = 0; i < cart->lines.size(); ++i) s += (i ? ", " : "") + cart->lines[i];
      s += "; total " + commerce::format_price(cart->total, cart->currency, "en") + ".";
    }
  }
  if (!d.extra_note.empty()) s += "\n" + d.extra_note;
  if (d.confidence > 0 && !d.entry_id.empty() && d.entry_id.find(':') == std::string::npos) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", d.confidence);
    s += "\nBest knowledge-base match: " + d.entry_id + " (confidence " + buf + ", below the threshold).";
  }
  return s;
}

void note_intent(BotState& s, Intent i) {
  // The summary's intent: the first business intent seen; later ones do not overwrite it (a
  // customer who asked about a product and then for a person is still a pre-sale case).
  if (i == Intent::other || i == Intent::greeting || i == Intent::human) {
    if (s.intent.empty() && i == Intent::human) s.intent = std::string(to_string(i));
    return;
  }
  if (s.intent.empty() || s.intent == "human") s.intent = std::string(to_string(i));
}

}  // namespace

namespace {

// Each message word as a term the catalog's search knows: the word itself, its stem in the
// message's language, or its English stem (the catalog has texts in several languages), longest
// first. Empty when any word is unknown to the catalog: then the message is about something the
// catalog cannot answer for, and the bot must not pretend it can.
std::vector<std::string> catalog_terms(ShopPort& shop, const std::vector<std::string>& ws, const std::string& lang,
                                       bool* some_known = nullptr) {
  std::vector<std::string> terms;
  bool unknown = false;
  for (const auto& w : ws) {
    std::vector<std::string> cands = {w, stem(lang, w), stem("en", w)};
    std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    std::string found;
    for (const auto& c : cands)
      if (c.size() >= 3 && shop.catalog_knows(c)) {
        found = c;
        break;
      }
    if (found.empty()) {
      unknown = true;
      continue;
    }
    if (std::find(terms.begin(), terms.end(), found) == terms.end()) terms.push_back(found);
  }
  if (some_known) *some_known = !terms.empty();
  if (unknown) return {};
  return terms;
}

// The products a message names: one product with every term; else the fewest products that
// together cover every term (at most `max`). Empty when none or too many.
std::vector<ProductFacts> match_products(ShopPort& shop, const std::vector<std::string>& terms, const std::string& lang,
                                         size_t max) {
  if (terms.empty()) return {};
  auto all = shop.find_products(terms, lang, max + 1);
  if (!all.empty()) return all.size() <= max ? all : std::vector<ProductFacts>{};
  std::map<std::string, std::vector<std::string>> covers;  // product id -> terms
  std::map<std::string, ProductFacts> facts;
  std::vector<std::string> order;
  for (const auto& t : terms) {
    auto hits = shop.find_products({t}, lang, max + 1);
    if (hits.empty() || hits.size() > max) return {};
    for (auto& h : hits) {
      if (!facts.count(h.product_id)) order.push_back(h.product_id);
      covers[h.product_id].push_back(t);
      facts.emplace(h.product_id, std::move(h));
    }
  }
  std::vector<std::string> remaining = terms;
  std::vector<ProductFacts> chosen;
  while (!remaining.empty()) {
    std::string best;
    size_t best_n = 0;
    for (const auto& id : order) {
      size_t n = 0;
      for (const auto& t : covers[id]) n += std::count(remaining.begin(), remaining.end(), t);
      if (n > best_n) best_n = n, best = id;
    }
    if (best_n == 0 || chosen.size() >= max) return {};
    for (const auto& t : covers[best]) remaining.erase(std::remove(remaining.begin(), remaining.end(), t), remaining.end());
    chosen.push_back(facts[best]);
  }
  return chosen;
}

bool refundable(const OrderFacts& o) {
  return (o.status == "paid" || o.status == "fulfilled" || o.status == "partially_refunded") && o.total > o.refunded;
}

// The choice a reply picks among `ids` (by number "2", id, or title); -1 when none.
int picked(const std::string& text, const std::vector<std::string>& ids, const std::vector<std::string>& titles) {
  std::string f = fold(text);
  while (!f.empty() && (f.back() == ' ' || f.back() == '.' || f.back() == ')')) f.pop_back();
  while (!f.empty() && (f.front() == ' ' || f.front() == '#')) f.erase(0, 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (f == std::to_string(i + 1) || f == fold(ids[i]) || (i < titles.size() && f == fold(titles[i]))) return static_cast<int>(i);
  }
  return -1;
}

// A message that says a code fails ("doesn't work", "not accepted"), not a question about codes.
bool code_problem(std::string_view text) {
  auto ws = words(fold(text));
  static const char* kWords[] = {"work", "works", "working", "accepted", "accept", "invalid", "valid", "error", "apply",
                                 "applied", "funziona", "accettato", "accetta", "valido", "errore", "funktioniert",
                                 "akzeptiert", "gultig", "ungultig", "fehler", "geht", "werkt", "geaccepteerd",
                                 "geldig", "ongeldig", "fout"};
  for (const auto& w : ws)
    for (const char* k : kWords)
      if (w == k) return true;
  return false;
}

}  // namespace

Decision hand_over_instead(const DecideInput& in, Decision d, const std::string& reason, const std::string& lead,
                           const std::string& why) {
  const Phrases& p = phrases(d.language);
  d.outcome = Outcome::handed_over;
  d.reason = reason;
  d.reply = lead + " " + wait_sentence(p, in.wait);
  d.choices.clear();
  d.actions.clear();
  d.next.handed_over = true;
  d.next.awaiting.clear();
  d.next.choices.clear();
  d.extra_note = why;
  d.summary = summary(in, d);
  return d;
}

Decision decide(const DecideInput& in) {
  Decision d;
  d.next = in.state;
  auto lang = detect_language(in.text, in.state.language.empty() ? in.default_language : in.state.language);
  // A short message with little evidence keeps the conversation's language.
  if (!in.state.language.empty() && lang.margin < 1.0) lang.lang = in.state.language;
  d.language = lang.lang;
  d.next.language = d.language;
  const Phrases& p = phrases(d.language);
  IntentScores is = classify(in.text);
  d.intent = is.intent;
  auto say = [&](std::string_view key) { return shop_text::say(d.language, key); };

  auto answer = [&](const KbEntry& e, double conf) {
    d.outcome = Outcome::answered;
    d.entry_id = e.id;
    d.confidence = conf;
    if (d.intent == Intent::other || d.intent == Intent::greeting || d.intent == Intent::policy ||
        d.intent == Intent::presale)
      d.intent = entry_intent(e);
    note_intent(d.next, d.intent);
    remember_answer(d.next, e);
    d.reply = e.answer + "\n\n" + p.helpful_q;
    d.choices = {{"yes", p.yes}, {"no", p.no}};
    d.next.awaiting = "feedback";
    d.next.choices.clear();
  };
  // An answer written from shop facts (catalog, order, code): logged with `id` as its entry.
  auto answer_facts = [&](const std::string& id, const std::string& text, bool ask_helpful) {
    d.outcome = Outcome::answered;
    d.entry_id = id;
    d.confidence = 1.0;
    note_intent(d.next, d.intent);
    d.next.last_entry_id = id;
    if (std::find(d.next.answered.begin(), d.next.answered.end(), id) == d.next.answered.end()) d.next.answered.push_back(id);
    d.reply = text;
    d.next.choices.clear();
    if (ask_helpful) {
      d.reply += "\n\n" + std::string(p.helpful_q);
      d.choices = {{"yes", p.yes}, {"no", p.no}};
      d.next.awaiting = "feedback";
    } else {
      d.next.awaiting.clear();
    }
  };
  auto hand_over = [&](const std::string& reason, const std::string& lead) {
    d.outcome = Outcome::handed_over;
    d.reason = reason;
    note_intent(d.next, d.intent);
    d.reply = lead + " " + wait_sentence(p, in.wait);
    d.next.handed_over = true;
    d.next.awaiting.clear();
    d.next.choices.clear();
    d.summary = summary(in, d);
  };
  auto ask = [&](const std::string& text, const std::string& awaiting) {
    d.outcome = Outcome::asked;
    note_intent(d.next, d.intent);
    d.reply = text;
    d.next.awaiting = awaiting;
  };
  auto offer_choices = [&](const std::string& text, const std::string& awaiting, std::vector<ReplyChoice> cs) {
    ask(text, awaiting);
    d.next.choices.clear();
    for (const auto& c : cs) d.next.choices.push_back(c.id);
    // Channels with buttons show them; the others get the choices numbered in the text (the
    // channel layer renders them either way, see channels/render.cpp).
    d.choices = std::move(cs);
  };
  // Order number and email given: a one-time code to that address when they match an order (the
  // email job writes the code's HMAC into the state), and the same words whether or not they do.
  auto request_code = [&](int64_t number, const std::string& email) {
    auto o = in.shop->order_for(number, email);
    d.next.otp_order = o ? o->id : "";
    d.next.otp_nonce = in.nonce;
    d.next.otp_hash.clear();
    d.next.otp_expires_at = in.now_ms + pipeline::otp::kTtlMs;
    d.next.otp_attempts = 0;
    d.next.code_requests = in.state.code_requests + 1;
    if (o && !in.nonce.empty()) d.actions.push_back(ShopAction{"send_code", "", "", o->id, email, in.nonce, "", "", 0});
    ask(say("code_sent"), "otp");
  };
  // The customer's orders: those their channel identity owns, and those verified by a code here.
  auto known_orders = [&]() {
    std::vector<OrderFacts> out = in.shop->customer_orders();
    for (const auto& id : in.state.verified) {
      if (std::any_of(out.begin(), out.end(), [&](const OrderFacts& o) { return o.id == id; })) continue;
      if (auto o = in.shop->order(id)) out.push_back(*o);
    }
    return out;
  };
  auto status_answer = [&](const std::vector<OrderFacts>& orders) {
    d.intent = Intent::order_status;
    const OrderFacts* o = &orders.front();
    if (auto n = shop_text::order_number_in(in.text))
      for (const auto& x : orders)
        if (x.number == *n) o = &x;
    answer_facts("order:status", shop_text::order_status_answer(*o, d.language), true);
  };
  // Refund or replacement: which order, then what the customer wants.
  // Order status: the customer's orders at once, else order number and email (then a code).
  auto order_status_turn = [&]() {
    if (in.shop) {
      auto orders = known_orders();
      if (!orders.empty()) return status_answer(orders);
      d.next.goal = "status";
      d.next.details_tries = 0;
    }
    ask(p.ask_order, "order_details");
  };
  auto refund_choice = [&](const OrderFacts& o) {
    d.intent = Intent::refund;
    d.next.refund_order = o.id;
    std::string n = std::to_string(o.number);
    std::string text = say("refund_choose");
    text.replace(text.find("{n}"), 3, n);
    offer_choices(text, "refund_choice",
                  {{"refund", say("refund_opt_refund")}, {"replacement", say("refund_opt_replacement")},
                   {"person", say("person")}});
  };
  auto refund_flow = [&]() {
    d.intent = Intent::refund;
    auto orders = known_orders();
    if (orders.empty()) {
      d.next.goal = "refund";
      d.next.details_tries = 0;
      ask(p.ask_order, "order_details");
      return;
    }
    std::vector<OrderFacts> ok;
    for (const auto& o : orders)
      if (refundable(o)) ok.push_back(o);
    if (ok.empty()) return hand_over("needs_agent", say("no_refundable"));
    if (auto n = shop_text::order_number_in(in.text))
      for (const auto& o : ok)
        if (o.number == *n) return refund_choice(o);
    if (ok.size() == 1) return refund_choice(ok.front());
    std::vector<ReplyChoice> cs;
    for (size_t i = 0; i < ok.size() && i < 3; ++i)
      cs.push_back({ok[i].id, "#" + std::to_string(ok[i].number) + " (" +
                                  commerce::format_price(ok[i].total, ok[i].currency, d.language) + ")"});
    offer_choices(say("refund_which_order"), "refund_order", std::move(cs));
  };
  auto after_verification = [&](const OrderFacts& o) {
    if (in.state.goal == "refund") {
      if (!refundable(o)) return hand_over("needs_agent", say("no_refundable"));
      return refund_choice(o);
    }
    d.next.goal.clear();
    status_answer({o});
  };
  // The code's facts (or "unknown"), exactly, with the offer of a person. `known_only`: only when
  // the message names a code the shop has (a bare "and BOOTS15?").
  auto explain_code = [&](const std::string& typed, bool known_only = false) -> bool {
    auto cands = shop_text::code_candidates(typed);
    if (cands.empty()) {
      std::string t = typed;
      while (!t.empty() && (t.back() == ' ' || t.back() == '.')) t.pop_back();
      while (!t.empty() && t.front() == ' ') t.erase(0, 1);
      if (!t.empty() && t.size() <= 64 && t.find(' ') == std::string::npos) cands.push_back(t);
    }
    if (cands.empty()) return false;
    d.intent = Intent::discount;
    std::string text, id;
    for (const auto& c : cands)
      if (auto f = in.shop->check_code(c)) {
        text = shop_text::code_answer(*f, d.language);
        id = "code:" + (f->refusal.empty() ? std::string("valid") : f->refusal);
        break;
      }
    if (text.empty()) {
      if (known_only) return false;
      std::string shown = cands.front();
      for (char& ch : shown)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      text = shop_text::unknown_code_answer(shown, d.language);
      id = "code:unknown_code";
    }
    answer_facts(id, text + "\n\n" + say("offer_person"), false);
    d.choices = {{"person", say("person")}};
    d.next.awaiting = "offer_person";
    d.next.choices = {"person"};
    return true;
  };

  // 1. A reply to "did this help?"
  if (in.state.awaiting == "feedback") {
    // A short yes/no; a message with a business intent ("the code WELCOME10 does not work") is a
    // new question even when it contains a "no".
    int yn = yes_no(in.text);
    bool plain = is.intent == Intent::other || is.intent == Intent::greeting || words(fold(in.text)).size() <= 2;
    if (yn != 0 && plain) {
      d.entry_id = in.state.last_entry_id;
      d.next.awaiting.clear();
      if (yn > 0) {
        d.outcome = Outcome::helpful;
        d.next.failed = 0;
        d.reply = p.glad;
        return d;
      }
      d.next.failed = in.state.failed + 1;
      if (d.next.failed >= 2) {
        hand_over("two_failed_answers", p.handover_failed);
        d.outcome = Outcome::handed_over;
        return d;
      }
      d.outcome = Outcome::not_helpful;
      d.reply = p.rephrase;
      return d;
    }
  }
  // 2. Explicit request for a person, or anger: hand over at once.
  if (is.intent == Intent::human) {
    hand_over("human_request", p.handover_human);
    return d;
  }
  if (is.angry) {
    hand_over("anger", p.handover_angry);
    return d;
  }
  if (in.shop) {
    // 2b. A cart worth more than the shop's threshold: a person helps close the sale.
    if (!in.cart_handoff_over.empty()) {
      if (auto cart = in.shop->open_cart()) {
        auto it = in.cart_handoff_over.find(cart->currency);
        if (it != in.cart_handoff_over.end() && cart->total >= it->second) {
          d.intent = Intent::presale;  // whatever was asked, a sale is at stake
          hand_over("cart_value", say("cart_handover"));
          return d;
        }
      }
    }
    // 2c. The shop flows waiting for the customer's answer.
    const auto& aw = in.state.awaiting;
    if (aw == "offer_person") {
      d.next.awaiting.clear();
      if (yes_no(in.text) > 0 || picked(in.text, {"person"}, {say("person")}) == 0) {
        d.intent = Intent::human;
        hand_over("human_request", p.handover_human);
        return d;
      }
    } else if (aw == "otp") {
      auto code = shop_text::otp_in(in.text);
      // New order details instead of the code (a mistyped email, another order): a new code for
      // them, the same words again; a few times per conversation, then a person takes over.
      if (!code) {
        auto number = shop_text::order_number_in(in.text);
        auto email = shop_text::email_in(in.text);
        if (number && email && in.shop->can_email_codes()) {
          d.intent = in.state.goal == "refund" ? Intent::refund : Intent::order_status;
          if (in.state.code_requests >= kMaxCodeRequests) {
            d.next.order_reference = in.text;
            d.next.otp_hash.clear();
            hand_over("verification_failed", say("code_failed") + " " + p.handover_topic);
            return d;
          }
          request_code(*number, *email);
          return d;
        }
      }
      if (code) {
        d.intent = Intent::order_status;
        if (in.now_ms >= in.state.otp_expires_at) {
          hand_over("verification_failed", say("code_expired_otp") + " " + p.handover_topic);
          return d;
        }
        pipeline::otp::Pending pending{in.state.otp_nonce, in.state.otp_hash, in.state.otp_expires_at,
                                       in.state.otp_attempts};
        // Details that matched no order: no code was sent, so no answer is right.
        auto verdict = in.state.otp_order.empty() ? pipeline::otp::Verdict::wrong
                                                  : pipeline::otp::check(pending, *code, in.now_ms);
        if (verdict == pipeline::otp::Verdict::ok) {
          auto o = in.shop->order(in.state.otp_order);
          d.next.verified.push_back(in.state.otp_order);
          d.next.otp_order.clear();
          d.next.otp_nonce.clear();
          d.next.otp_hash.clear();
          d.next.otp_expires_at = 0;
          d.next.otp_attempts = 0;
          if (o) {
            after_verification(*o);
            return d;
          }
        } else {
          d.next.otp_attempts = in.state.otp_attempts + 1;
          if (d.next.otp_attempts >= pipeline::otp::kMaxAttempts) {
            d.next.otp_hash.clear();
            hand_over("verification_failed", say("code_failed") + " " + p.handover_topic);
            return d;
          }
          std::string t = say("code_wrong");
          t.replace(t.find("{n}"), 3, std::to_string(pipeline::otp::kMaxAttempts - d.next.otp_attempts));
          ask(t, "otp");
          return d;
        }
      }
      d.next.awaiting.clear();  // something else: answered below like any message
    } else if (aw == "order_details") {
      auto number = shop_text::order_number_in(in.text);
      auto email = shop_text::email_in(in.text);
      d.intent = in.state.goal == "refund" ? Intent::refund : Intent::order_status;
      if ((!number || !email) && in.state.details_tries < 1) {
        d.next.details_tries = in.state.details_tries + 1;
        ask(say("order_details_again"), "order_details");
        return d;
      }
      if (number && email && in.shop->can_email_codes()) {
        request_code(*number, *email);
        return d;
      }
      d.next.order_reference = in.text;  // no way to verify here: a person does
      hand_over("needs_agent", p.handover_topic);
      return d;
    } else if (aw == "refund_order") {
      int i = picked(in.text, in.state.choices, {});
      if (i < 0)
        if (auto n = shop_text::order_number_in(in.text))
          for (size_t k = 0; k < in.state.choices.size(); ++k)
            if (auto o = in.shop->order(in.state.choices[k]); o && o->number == *n) i = static_cast<int>(k);
      if (i >= 0)
        if (auto o = in.shop->order(in.state.choices[i])) {
          refund_choice(*o);
          return d;
        }
      d.next.awaiting.clear();
      d.next.choices.clear();
    } else if (aw == "refund_choice") {
      int i = picked(in.text, {"refund", "replacement", "person"},
                     {say("refund_opt_refund"), say("refund_opt_replacement"), say("person")});
      auto o = in.shop->order(in.state.refund_order);
      if (i >= 0 && o) {
        d.intent = Intent::refund;
        std::string n = std::to_string(o->number);
        auto with_n = [&](std::string t) {
          if (auto at = t.find("{n}"); at != std::string::npos) t.replace(at, 3, n);
          return t;
        };
        if (i == 2) {
          hand_over("human_request", p.handover_human);
          return d;
        }
        if (i == 1) {
          d.extra_note = "The customer asks for a replacement of order #" + n + ".";
          hand_over("replacement_request", with_n(say("replacement_to_agent")));
          return d;
        }
        int64_t amount = o->total - o->refunded;
        auto limit = in.auto_refund_up_to.find(o->currency);
        bool owned = std::find(in.state.verified.begin(), in.state.verified.end(), o->id) != in.state.verified.end();
        if (!owned)
          for (const auto& x : in.shop->customer_orders()) owned = owned || x.id == o->id;
        if (owned && refundable(*o) && o->payment_id && limit != in.auto_refund_up_to.end() && amount <= limit->second) {
          std::string text = with_n(say("refund_started"));
          text.replace(text.find("{amount}"), 8, commerce::format_price(amount, o->currency, d.language));
          d.actions.push_back(ShopAction{"refund", "", "", o->id, "", "", *o->payment_id,
                                         "Customer request through the bot (order #" + n + ")", amount});
          d.next.refund_order.clear();
          answer_facts("refund:automatic", text, false);
          return d;
        }
        d.extra_note = "The customer asks for a refund of order #" + n + " (" +
                       commerce::format_price(amount, o->currency, "en") + ", above the automatic limit or not payable back automatically).";
        hand_over("refund_request", with_n(say("refund_to_agent")));
        return d;
      }
      d.next.awaiting.clear();
      d.next.choices.clear();
    } else if (aw == "discount_code") {
      d.next.awaiting.clear();
      if (explain_code(in.text)) return d;
    }
  }
  // 3. Order details after the bot asked for them (no shop to verify against): nothing is
  // disclosed by the bot; a person verifies and answers.
  if (in.state.awaiting == "order_details") {
    d.next.order_reference = in.text;
    d.intent = Intent::order_status;
    hand_over("needs_agent", p.handover_topic);
    return d;
  }
  // 4. A choice among the entries the bot offered.
  if (in.state.awaiting == "choice" && in.index) {
    std::string f = fold(in.text);
    while (!f.empty() && (f.back() == ' ' || f.back() == '.')) f.pop_back();
    for (size_t i = 0; i < in.state.choices.size(); ++i) {
      const KbEntry* e = entry_by_id(in.index, in.state.choices[i]);
      if (!e) continue;
      if (f == std::to_string(i + 1) || f == fold(e->questions.front()) || f == fold(first_line(e->questions.front(), 80)) || f == fold(e->id)) {
        answer(*e, 1.0);
        return d;
      }
    }
  }
  if (is.greeting_only) {
    ask(p.greeting, "");
    return d;
  }
  // 5. Order status: the customer's own orders (their channel identity, or verified here by a
  // code) are told at once; otherwise the order number and email first, then a one-time code (a
  // clear "where is my order"; a weaker signal such as "my order" lets the knowledge base try
  // first, e.g. "can I cancel my order?").
  if (is.intent == Intent::order_status && is.score >= 3) {
    order_status_turn();
    return d;
  }
  // 5b. A discount code that fails: checked against the shop's rules, the exact reason told.
  if (in.shop && is.intent != Intent::discount && is.intent != Intent::order_status && explain_code(in.text, true))
    return d;
  if (in.shop && is.intent == Intent::discount) {
    if (explain_code(in.text)) return d;
    if (code_problem(in.text)) {
      d.intent = Intent::discount;
      ask(say("ask_code"), "discount_code");
      return d;
    }
  }
  // 5c. A refund or replacement for something that went wrong: the guided flow.
  bool refund_case = (is.intent == Intent::refund && is.refund_problem) || (is.refund_problem && is.score >= 3);
  if (in.shop && refund_case && is.intent != Intent::discount) {
    refund_flow();
    return d;
  }
  // 5d. A product question the catalog answers: price, availability, size, comparison, for the
  // products the message names (every word of it must be known to the catalog).
  // A product question about something the catalog does not say ("the Chelsea boot in red"):
  // the knowledge base answers only when it is very sure (its entries about that product are
  // likely about another of its traits).
  double kb_floor = in.threshold;
  if (in.shop && (is.intent == Intent::presale || is.intent == Intent::other || is.intent == Intent::policy)) {
    auto q = shop_text::catalog_question(in.text, d.language);
    if (q.any() && !q.words.empty()) {
      bool some_known = false;
      auto terms = catalog_terms(*in.shop, q.words, d.language, &some_known);
      if (terms.empty() && some_known) kb_floor = std::max(in.threshold, 0.75);
      auto products = match_products(*in.shop, terms, d.language, 3);
      if (!products.empty()) {
        d.intent = Intent::presale;
        std::vector<std::string> handles;
        for (const auto& pr : products) handles.push_back(pr.handle);
        std::sort(handles.begin(), handles.end());
        std::string id = "product:";
        for (size_t i = 0; i < handles.size(); ++i) id += (i ? "+" : "") + handles[i];
        for (size_t i = 0; i < products.size(); ++i) {
          if (std::find(d.next.products.begin(), d.next.products.end(), products[i].product_id) == d.next.products.end())
            d.next.products.push_back(products[i].product_id);
        }
        answer_facts(id, shop_text::product_answer(products, q, d.language), true);
        // One card per product: the service sends one product as a card, several as one
        // multi-product message.
        for (const auto& pr : products) {
          ShopAction card{"product_card", "", pr.product_id, "", "", "", "", "", 0};
          if (q.size_value)
            for (const auto& v : pr.variants)
              for (const auto& w : words(fold(v.title)))
                if (w == *q.size_value) card.sku = v.sku;
          d.actions.push_back(std::move(card));
        }
        return d;
      }
    }
  }
  // 6. The knowledge base.
  SearchResult sr;
  if (in.index && !in.index->empty()) sr = in.index->search(in.text, d.language, 3);
  const Match* best = sr.matches.empty() ? nullptr : &sr.matches.front();
  if (best) {
    d.entry_id = in.index->entries()[best->entry].id;
    d.confidence = best->confidence;
  }
  // A code that fails, or a refund or replacement for something that went wrong, is about this
  // customer's own order: a person handles it. A general question ("how long do refunds take?")
  // is answered from the knowledge base like any other.
  bool personal_case = is.intent == Intent::discount || refund_case;
  if (best && best->confidence >= kb_floor && !personal_case) {
    answer(in.index->entries()[best->entry], best->confidence);
    return d;
  }
  if (personal_case) {
    if (d.intent != Intent::discount) d.intent = Intent::refund;
    hand_over("needs_agent", p.handover_topic);
    return d;
  }
  if (is.intent == Intent::order_status) {
    order_status_turn();
    return d;
  }
  // 7. Close to the threshold with more than one candidate: ask which one was meant.
  double floor = in.threshold * 0.7;
  if (best && best->confidence >= floor && sr.matches.size() >= 2 && sr.matches[1].confidence >= floor) {
    d.outcome = Outcome::asked;
    note_intent(d.next, d.intent);
    d.reply = p.clarify;
    d.next.awaiting = "choice";
    d.next.choices.clear();
    for (size_t i = 0; i < sr.matches.size() && i < 3; ++i) {
      if (sr.matches[i].confidence < floor) break;
      const auto& e = in.index->entries()[sr.matches[i].entry];
      d.next.choices.push_back(e.id);
      d.choices.push_back({e.id, first_line(e.questions.front(), 80)});
    }
    return d;
  }
  // 8. Not known: say so, and hand over with the expected wait.
  hand_over("low_confidence", p.dont_know);
  return d;
}

}  // namespace bottega::bot
