#include "bot/engine.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>
#include <cstdio>

#include "bot/language.hpp"
#include "bot/text.hpp"

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
                    {"order_reference", s.order_reference}};
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
  if (d.confidence > 0 && !d.entry_id.empty()) {
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
  auto hand_over = [&](const std::string& reason, const char* lead) {
    d.outcome = Outcome::handed_over;
    d.reason = reason;
    note_intent(d.next, d.intent);
    d.reply = std::string(lead) + " " + wait_sentence(p, in.wait);
    d.next.handed_over = true;
    d.next.awaiting.clear();
    d.next.choices.clear();
    d.summary = summary(in, d);
  };
  auto ask = [&](const char* text, const std::string& awaiting) {
    d.outcome = Outcome::asked;
    note_intent(d.next, d.intent);
    d.reply = text;
    d.next.awaiting = awaiting;
  };

  // 1. A reply to "did this help?"
  if (in.state.awaiting == "feedback") {
    int yn = yes_no(in.text);
    if (yn != 0) {
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
  // 3. Order details after the bot asked for them: nothing is disclosed by the bot; a person
  // verifies and answers.
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
  // 5. Order status: ask for verification details first (a clear "where is my order"; a weaker
  // signal such as "my order" lets the knowledge base try first, e.g. "can I cancel my order?").
  if (is.intent == Intent::order_status && is.score >= 3) {
    ask(p.ask_order, "order_details");
    return d;
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
  bool personal_case = is.intent == Intent::discount || (is.intent == Intent::refund && is.refund_problem) ||
                       (is.refund_problem && is.score >= 3);
  if (best && best->confidence >= in.threshold && !personal_case) {
    answer(in.index->entries()[best->entry], best->confidence);
    return d;
  }
  if (personal_case) {
    if (d.intent != Intent::discount) d.intent = Intent::refund;
    hand_over("needs_agent", p.handover_topic);
    return d;
  }
  if (is.intent == Intent::order_status) {
    ask(p.ask_order, "order_details");
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
