#include "bot/language.hpp"

#include <array>
#include <unordered_set>

#include "bot/text.hpp"

namespace bottega::bot {

namespace {

using WordSet = std::unordered_set<std::string_view>;

// Words that point strongly at one language (folded: no accents).
const std::array<WordSet, 4>& markers() {
  static const std::array<WordSet, 4> kMarkers = {
      WordSet{"the", "you", "your", "my", "is", "are", "do", "does", "can", "what", "where", "when",
              "how", "which", "ship", "shipping", "order", "return", "returns", "refund", "size",
              "price", "delivery", "cost", "available", "stock", "person", "human", "agent", "want",
              "tracking", "package", "parcel", "exchange", "payment", "pay", "shoes", "boots",
              "discount", "code", "work", "working", "doesnt", "dont", "help", "not", "why", "have",
              "with", "and", "of", "to", "it", "this", "that", "for", "there", "need", "would",
              "speak", "talk", "please", "thanks", "hi", "hello", "yet", "still", "much", "long",
              "take", "arrive", "wrong", "got", "received", "back", "money", "someone", "real"},
      WordSet{"il", "lo", "la", "gli", "di", "che", "non", "per", "con", "una", "sono", "spedite",
              "spedizione", "spedizioni", "ordine", "reso", "resi", "rimborso", "dove", "quando",
              "quanto", "costa", "taglia", "taglie", "prezzo", "consegna", "pagamento", "scarpe",
              "stivali", "codice", "sconto", "funziona", "persona", "operatore", "parlare", "avete",
              "fate", "posso", "mio", "mia", "perche", "disponibile", "numero", "pacco", "cambio",
              "restituire", "giorni", "ciao", "grazie", "vorrei", "come", "del", "della", "nel",
              "anche", "ancora", "arrivato", "arriva", "soldi", "qualcuno", "buongiorno", "salve",
              "mi", "ho", "hai", "ha", "un", "uno", "sapere", "quale", "quali", "sto", "ricevuto"},
      WordSet{"der", "die", "das", "und", "ist", "nicht", "ich", "mein", "meine", "meinen", "sie",
              "wir", "ihr", "versand", "versendet", "versenden", "liefert", "lieferung",
              "bestellung", "rucksendung", "erstattung", "wo", "wann", "wie", "viel", "kostet",
              "grosse", "preis", "zahlung", "schuhe", "stiefel", "gutschein", "rabatt",
              "funktioniert", "mensch", "mitarbeiter", "sprechen", "paket", "umtausch", "tage",
              "verfugbar", "hallo", "danke", "bitte", "ein", "eine", "einen", "mit", "auf", "fur",
              "habe", "hat", "kann", "konnen", "noch", "geld", "zuruck", "jemand", "welche", "gibt",
              "es", "bei", "nach", "auch", "schon", "immer", "lange", "dauert", "guten", "tag"},
      WordSet{"de", "het", "een", "en", "niet", "ik", "mijn", "jullie", "naar", "verzenden",
              "verzendt", "versturen", "levering", "leveren", "bestelling", "retour", "retourneren",
              "terugbetaling", "waar", "wanneer", "hoeveel", "kost", "kosten", "maat", "maten",
              "prijs", "betaling", "betalen", "schoenen", "laarzen", "kortingscode", "korting",
              "werkt", "mens", "medewerker", "spreken", "pakket", "ruilen", "terugsturen", "dagen",
              "beschikbaar", "bezorgen", "bezorging", "hallo", "bedankt", "graag", "hoe", "wat",
              "welke", "kan", "kunnen", "heb", "heeft", "nog", "geld", "terug", "iemand", "ook",
              "is", "er", "wel", "geen", "ontvangen", "duurt", "lang", "goedendag", "hoi", "zijn"},
  };
  return kMarkers;
}

// Character n-grams typical of one language (in folded text) and accented letters (raw text).
struct Ngram {
  std::string_view gram;
  double weight;
};
const std::array<std::vector<Ngram>, 4>& ngrams() {
  static const std::array<std::vector<Ngram>, 4> kNgrams = {
      std::vector<Ngram>{{"th", 0.4}, {"ing ", 0.6}, {"wh", 0.5}, {"ou", 0.2}, {"ght", 0.5}, {"'s", 0.3}},
      std::vector<Ngram>{{"zion", 0.6}, {"gli", 0.5}, {"cch", 0.5}, {"zz", 0.4}, {"tt", 0.2}, {"à", 0.8},
                         {"è", 0.8}, {"ò", 0.8}, {"ù", 0.8}, {"ì", 0.8}, {"qu", 0.2}},
      std::vector<Ngram>{{"sch", 0.3}, {"ich", 0.4}, {"ung", 0.5}, {"ei", 0.2}, {"tz", 0.4}, {"ß", 1.0},
                         {"ä", 1.0}, {"ö", 0.8}, {"ü", 0.8}, {"cht", 0.3}},
      std::vector<Ngram>{{"ij", 0.6}, {"oe", 0.3}, {"aa", 0.4}, {"uu", 0.4}, {"oo", 0.2}, {"ë", 0.8},
                         {"ui", 0.2}, {"sch", 0.1}, {"cht", 0.1}},
  };
  return kNgrams;
}

size_t count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

}  // namespace

DetectedLanguage detect_language(std::string_view text, std::string_view fallback) {
  std::string folded = fold(text);
  std::string lower;  // raw lower-case ASCII with accents kept, for the accented letters
  for (char c : text) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  std::array<double, 4> score{};
  auto ws = words(folded);
  for (size_t l = 0; l < 4; ++l) {
    for (const auto& w : ws) {
      if (markers()[l].count(w)) score[l] += 1.0;
      else if (is_stop_word(kLanguages[l], w)) score[l] += 0.5;
    }
    std::string padded = " " + folded + " ";
    for (const auto& g : ngrams()[l]) {
      bool raw = static_cast<unsigned char>(g.gram[0]) >= 0x80;
      score[l] += g.weight * static_cast<double>(count(raw ? std::string_view(lower) : std::string_view(padded), g.gram));
    }
  }
  // Italian words end in a vowel other than e far more often than the others' do.
  for (const auto& w : ws) {
    char last = w.back();
    if (w.size() > 2 && (last == 'a' || last == 'o' || last == 'i')) score[1] += 0.3;
  }
  size_t best = 0, second = 1;
  if (score[second] > score[best]) std::swap(best, second);
  for (size_t l = 2; l < 4; ++l) {
    if (score[l] > score[best]) {
      second = best;
      best = l;
    } else if (score[l] > score[second]) {
      second = l;
    }
  }
  if (score[best] <= 0) return {std::string(fallback), 0, 0};
  return {kLanguages[best], score[best], score[best] - score[second]};
}

}  // namespace bottega::bot
