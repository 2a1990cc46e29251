#include "bot/intents.hpp"

#include <array>
#include <vector>

#include "bot/text.hpp"

namespace bottega::bot {

std::string_view to_string(Intent i) {
  switch (i) {
    case Intent::presale: return "presale";
    case Intent::order_status: return "order_status";
    case Intent::policy: return "policy";
    case Intent::discount: return "discount";
    case Intent::refund: return "refund";
    case Intent::human: return "human";
    case Intent::greeting: return "greeting";
    case Intent::other: break;
  }
  return "other";
}

std::string_view intent_tag(Intent i) {
  switch (i) {
    case Intent::presale: return "presale";
    case Intent::order_status: return "order-status";
    case Intent::policy: return "policy";
    case Intent::discount: return "discount-issue";
    case Intent::refund: return "refund";
    case Intent::human: return "human-request";
    default: return "";
  }
}

namespace {

// A pattern is matched against " w1 w2 ... wn " (folded words joined by single spaces): "word"
// matches a whole word or phrase, "word*" any word starting with it.
struct Pattern {
  std::string_view text;
  double weight;
};

bool matches(const std::string& padded, std::string_view p) {
  bool prefix = !p.empty() && p.back() == '*';
  if (prefix) p.remove_suffix(1);
  std::string needle = " " + std::string(p) + (prefix ? "" : " ");
  return padded.find(needle) != std::string::npos;
}

double score(const std::string& padded, const std::vector<Pattern>& ps) {
  double s = 0;
  for (const auto& p : ps)
    if (matches(padded, p.text)) s += p.weight;
  return s;
}

const std::vector<Pattern> kHuman = {
    // en
    {"talk to a person", 3}, {"speak to a person", 3}, {"real person", 3}, {"human", 3}, {"agent", 2},
    {"speak to someone", 3}, {"talk to someone", 3}, {"customer service", 2}, {"representative", 3},
    {"operator", 3}, {"a person", 2}, {"live person", 3}, {"speak with", 1.5}, {"talk with", 1.5},
    {"talk to", 1}, {"speak to", 1},
    // it
    {"operatore", 3}, {"una persona", 3}, {"parlare con", 2}, {"umano", 3}, {"essere umano", 3},
    {"persona vera", 3}, {"persona reale", 3}, {"qualcuno", 2}, {"servizio clienti", 2},
    // de
    {"mitarbeiter*", 3}, {"mensch*", 3}, {"echte person", 3}, {"einer person", 3}, {"person sprechen", 3},
    {"jemand*", 2}, {"kundendienst", 2}, {"kundenservice", 2}, {"berater*", 2}, {"sprechen", 1},
    // nl
    {"medewerker*", 3}, {"mens", 3}, {"echt persoon", 3}, {"echte persoon", 3}, {"persoon", 2},
    {"iemand", 2}, {"klantenservice", 2}, {"spreken", 1},
};
const std::vector<Pattern> kOrderStatus = {
    // "my order" alone is weak (it is also "can I cancel my order?"); where/status/tracking is strong
    {"where is my order", 4}, {"my order", 1}, {"order status", 3}, {"status", 2}, {"tracking", 3}, {"track*", 2},
    {"my package", 2}, {"my parcel", 2}, {"not arrived", 3}, {"hasnt arrived", 3}, {"not received", 2},
    {"still waiting", 2}, {"order number", 1}, {"shipped yet", 3}, {"delivery status", 3},
    {"when will my order", 2}, {"where is it", 2}, {"where is my", 3},
    {"ordine", 1}, {"mio ordine", 1}, {"il mio pacco", 2}, {"pacco", 1}, {"spedito", 1}, {"non e arrivato", 3},
    {"non e ancora arrivato", 3}, {"non ho ricevuto", 3}, {"stato del", 2}, {"stato dell", 2}, {"arrivera", 2},
    {"tracciamento", 3}, {"dov e", 3}, {"dove il mio", 3},
    {"bestellung", 1}, {"meine bestellung", 1}, {"paket", 1}, {"sendungsverfolgung", 3}, {"sendungsnummer", 3},
    {"nicht angekommen", 3}, {"nicht erhalten", 2}, {"wo ist", 3}, {"wo bleibt", 3},
    {"bestelling", 1}, {"mijn bestelling", 1}, {"pakket", 1}, {"niet aangekomen", 3}, {"niet ontvangen", 2},
    {"waar is", 3}, {"waar blijft", 3}, {"track and trace", 3}, {"zending", 1},
};
const std::vector<Pattern> kPresale = {
    {"in stock", 3}, {"available", 2}, {"price", 2}, {"how much", 2}, {"size", 2}, {"sizes", 2},
    {"fit*", 1}, {"colour*", 2}, {"color*", 2}, {"do you have", 2}, {"do you sell", 2}, {"difference", 2},
    {"compare", 2}, {"which one", 2}, {"material", 2}, {"leather", 1}, {"sneaker*", 2}, {"boot*", 2},
    {"sock*", 2}, {"buy", 2}, {"purchase", 2}, {"recommend", 2}, {"wide feet", 2}, {"waterproof", 2},
    {"disponibil*", 2}, {"prezzo", 2}, {"quanto costa", 2}, {"quanto costano", 2}, {"taglia*", 2},
    {"colore", 2}, {"colori", 2}, {"avete", 1}, {"vendete", 2}, {"differenza", 2}, {"comprare", 2},
    {"acquist*", 2}, {"pelle", 1}, {"scarpe", 2}, {"stivali", 2}, {"calzini", 2}, {"consigli*", 2},
    {"impermeabil*", 2},
    {"verfugbar", 2}, {"lieferbar", 2}, {"preis", 2}, {"kostet", 1}, {"grosse*", 2}, {"farbe*", 2},
    {"habt ihr", 2}, {"unterschied", 2}, {"kaufen", 2}, {"leder", 1}, {"schuh*", 2}, {"stiefel", 2},
    {"socken", 2}, {"empfehl*", 2}, {"wasserdicht", 2},
    {"beschikbaar", 2}, {"op voorraad", 3}, {"prijs", 2}, {"maat", 2}, {"maten", 2}, {"kleur*", 2},
    {"hebben jullie", 2}, {"verkopen jullie", 2}, {"verschil", 2}, {"kopen", 2}, {"leer", 1}, {"leren", 1},
    {"schoen*", 2}, {"laars*", 2}, {"laarzen", 2}, {"sokken", 2}, {"aanrad*", 2}, {"waterdicht", 2},
};
const std::vector<Pattern> kPolicy = {
    {"ship*", 2}, {"deliver*", 2}, {"return*", 2}, {"exchange*", 2}, {"payment*", 2}, {"pay with", 2},
    {"pay by", 2}, {"gift wrap*", 2}, {"warranty", 2}, {"guarantee", 2}, {"opening hours", 2}, {"store", 1},
    {"spedi*", 2}, {"consegn*", 2}, {"reso", 2}, {"resi", 2}, {"restitu*", 2}, {"cambi*", 2},
    {"pagamento", 2}, {"pagare", 2}, {"garanzia", 2}, {"negozio", 1}, {"orari", 2}, {"regalo", 2},
    {"versand*", 2}, {"versend*", 2}, {"liefer*", 2}, {"rucksend*", 2}, {"zurucksend*", 2}, {"umtausch*", 2},
    {"zahl*", 2}, {"bezahl*", 2}, {"garantie", 2}, {"geschaft", 1}, {"offnungszeiten", 2}, {"geschenk*", 2},
    {"verzend*", 2}, {"verstuur*", 2}, {"lever*", 2}, {"bezorg*", 2}, {"retour*", 2}, {"ruil*", 2},
    {"betal*", 2}, {"winkel", 1}, {"openingstijden", 2}, {"cadeau*", 2},
};
const std::vector<Pattern> kDiscount = {
    {"discount*", 3}, {"coupon*", 3}, {"promo*", 3}, {"voucher*", 3}, {"code", 2},
    {"sconto", 3}, {"codice", 2}, {"buono", 2},
    {"rabatt*", 3}, {"gutschein*", 3}, {"aktionscode", 3},
    {"korting*", 3}, {"waardebon", 3}, {"actiecode", 3},
};
const std::vector<Pattern> kRefund = {
    {"refund", 3}, {"money back", 3}, {"replacement", 3}, {"replace", 2}, {"damaged", 3}, {"broken", 3},
    {"defective", 3}, {"faulty", 3}, {"wrong item", 3}, {"wrong size", 2}, {"want my money", 3},
    {"rimborso", 3}, {"rimborsare", 3}, {"soldi indietro", 3}, {"sostituzione", 3}, {"rott*", 3},
    {"danneggiat*", 3}, {"difettos*", 3}, {"sbagliat*", 2},
    {"erstattung", 3}, {"ruckerstattung", 3}, {"erstatt*", 3}, {"geld zuruck", 3}, {"ersatz*", 3}, {"kaputt", 3},
    {"beschadigt", 3}, {"defekt*", 3}, {"falsch*", 2},
    {"terugbetaling", 3}, {"geld terug", 3}, {"vervang*", 3}, {"kapot", 3}, {"beschadigd", 3},
    {"defect", 3}, {"verkeerd*", 2},
};
// A refund or replacement about this customer's own purchase (not "how long do refunds take?").
const std::vector<Pattern> kRefundProblem = {
    {"damaged", 1}, {"broken", 1}, {"defective", 1}, {"faulty", 1}, {"wrong item", 1}, {"wrong size", 1},
    {"i want a refund", 1}, {"i want my money", 1}, {"i need a replacement", 1}, {"want a replacement", 1},
    {"rott*", 1}, {"rovinat*", 1}, {"danneggiat*", 1}, {"difettos*", 1}, {"sbagliat*", 1}, {"voglio il rimborso", 1},
    {"voglio una sostituzione", 1}, {"voglio i soldi", 1},
    {"kaputt", 1}, {"beschadigt", 1}, {"defekt*", 1}, {"falsch*", 1}, {"will eine erstattung", 1},
    {"will mein geld", 1}, {"brauche ersatz", 1}, {"mochte eine erstattung", 1},
    {"kapot", 1}, {"beschadigd", 1}, {"verkeerd*", 1}, {"ik wil mijn geld", 1}, {"wil een vervanging", 1},
    {"wil een terugbetaling", 1},
};
const std::vector<Pattern> kAnger = {
    {"ridiculous", 1}, {"unacceptable", 1}, {"terrible", 1}, {"worst", 1}, {"scam", 1}, {"angry", 1},
    {"furious", 1}, {"disgusting", 1}, {"useless", 1}, {"wtf", 1}, {"rubbish", 1}, {"fed up", 1},
    {"pathetic", 1}, {"shameful", 1}, {"disgrace", 1},
    {"vergogna*", 1}, {"ridicol*", 1}, {"inaccettabile", 1}, {"schifo", 1}, {"truffa*", 1}, {"arrabbiat*", 1},
    {"pessim*", 1}, {"inutile", 1}, {"assurd*", 1}, {"incompetent*", 1}, {"vergognoso", 1},
    {"unverschamt", 1}, {"lacherlich", 1}, {"inakzeptabel", 1}, {"betrug*", 1}, {"wutend", 1},
    {"frechheit", 1}, {"katastrophe", 1}, {"nutzlos", 1}, {"sauer", 1}, {"zumutung", 1}, {"skandal*", 1},
    {"belachelijk", 1}, {"onacceptabel", 1}, {"schandalig", 1}, {"oplichting", 1}, {"oplichters", 1},
    {"boos", 1}, {"woedend", 1}, {"waardeloos", 1}, {"bizar", 1}, {"schande", 1},
};
const std::vector<std::string_view> kGreetings = {
    "hi", "hello", "hey", "good morning", "good evening", "ciao", "salve", "buongiorno", "buonasera",
    "hallo", "guten tag", "guten morgen", "moin", "servus", "hoi", "goedemorgen", "goedemiddag",
    "goedenavond", "dag", "there", "good afternoon", "buon pomeriggio", "grusse"};

std::string padded_words(std::string_view text, size_t* count = nullptr) {
  auto ws = words(fold(text));
  if (count) *count = ws.size();
  std::string s = " ";
  for (const auto& w : ws) s += w + " ";
  return s;
}

}  // namespace

IntentScores classify(std::string_view text) {
  size_t n = 0;
  std::string p = padded_words(text, &n);
  IntentScores r;
  struct Cand {
    Intent i;
    const std::vector<Pattern>* ps;
  };
  // In tie-break order: the first of equal scores wins.
  const Cand cands[] = {{Intent::human, &kHuman},       {Intent::refund, &kRefund},
                        {Intent::discount, &kDiscount}, {Intent::order_status, &kOrderStatus},
                        {Intent::presale, &kPresale},   {Intent::policy, &kPolicy}};
  for (const auto& c : cands) {
    double s = score(p, *c.ps);
    if (s > r.score) {
      r.score = s;
      r.intent = c.i;
    }
  }
  // A human request needs a strong signal: "talk to", "sprechen" alone are not enough.
  if (r.intent == Intent::human && r.score < 2) {
    r.intent = Intent::other;
    r.score = 0;
  }
  r.refund_problem = score(p, kRefundProblem) > 0;
  double anger = score(p, kAnger);
  size_t bangs = 0, letters = 0, upper = 0;
  for (char c : text) {
    if (c == '!') ++bangs;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      ++letters;
      if (c >= 'A' && c <= 'Z') ++upper;
    }
  }
  bool shouting = letters >= 12 && upper * 10 >= letters * 8;
  r.angry = anger >= 1 || bangs >= 3 || shouting;
  if (r.intent == Intent::other && n > 0 && n <= 5) {
    std::string rest = p;
    for (auto g : kGreetings) {
      std::string needle = " " + std::string(g) + " ";
      for (size_t at = rest.find(needle); at != std::string::npos; at = rest.find(needle))
        rest.replace(at, needle.size(), " ");
    }
    bool content = false;
    for (const auto& w : words(rest))
      content = content || !(is_stop_word("en", w) || is_stop_word("it", w) || is_stop_word("de", w) ||
                             is_stop_word("nl", w));
    if (!content && rest != p) {  // "hi", "ciao!", "hallo zusammen": a greeting, not a question
      r.intent = Intent::greeting;
      r.greeting_only = true;
    }
  }
  return r;
}

int yes_no(std::string_view text) {
  size_t n = 0;
  std::string p = padded_words(text, &n);
  if (n == 0 || n > 5) return 0;
  static const std::vector<std::string_view> kNo = {
      "no", "nope", "not really", "didnt help", "doesnt help", "did not help", "not helpful", "non", "no grazie",
      "per niente", "non mi ha aiutato", "nein", "nicht wirklich", "hat nicht geholfen", "nee", "niet echt",
      "heeft niet geholpen", "neen", "nicht", "niet"};
  static const std::vector<std::string_view> kYes = {
      "yes", "yeah", "yep", "thanks", "thank you", "great", "perfect", "helped", "that helps", "si", "grazie",
      "perfetto", "ottimo", "ja", "danke", "super", "prima", "perfekt", "bedankt", "top", "fijn", "dank je",
      "dank u", "ok", "okay", "yes thanks", "helpful"};
  for (auto w : kNo)
    if (p.find(" " + std::string(w) + " ") != std::string::npos) return -1;
  for (auto w : kYes)
    if (p.find(" " + std::string(w) + " ") != std::string::npos) return 1;
  return 0;
}

}  // namespace bottega::bot
