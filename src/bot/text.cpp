#include "bot/text.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_set>

namespace bottega::bot {

bool supported_language(std::string_view lang) {
  for (const char* l : kLanguages)
    if (lang == l) return true;
  return false;
}

namespace {

// Folding of U+00C0..U+017F to lower-case ASCII ("" keeps the character as is). Generated from
// the Unicode decompositions (NFKD, marks dropped) plus the letters that have none (ß, æ, ø, ł...).
const char* fold_latin(uint32_t cp) {
  static const char* kTable[0x180 - 0xC0] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // 00C0
      "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",  // 00D0
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // 00E0
      "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",  // 00F0
      "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",  // 0100
      "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",  // 0110
      "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",  // 0120
      "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",  // 0130
      "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // 0140
      "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",  // 0150
      "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",  // 0160
      "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",  // 0170
  };
  if (cp >= 0xC0 && cp < 0x180) return kTable[cp - 0xC0];
  return "";
}

}  // namespace

std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
      ++i;
      continue;
    }
    // Two-byte sequences cover U+0080..U+07FF, which holds every letter we fold.
    if ((c & 0xE0) == 0xC0 && i + 1 < text.size() &&
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      const char* f = fold_latin(cp);
      if (cp < 0xC0) out.push_back(' ');  // Latin-1 punctuation: ¿ ¡ « » no-break space...
      else if (*f) out += f;
      else out.append(text.substr(i, 2));
      i += 2;
      continue;
    }
    // General punctuation U+2000..U+206F (curly quotes, dashes, ellipsis) separates words.
    if (c == 0xE2 && i + 2 < text.size() && (static_cast<unsigned char>(text[i + 1]) == 0x80 ||
                                             static_cast<unsigned char>(text[i + 1]) == 0x81)) {
      out.push_back(' ');
      i += 3;
      continue;
    }
    out.push_back(static_cast<char>(c));
    ++i;
  }
  return out;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      cur.push_back(ch);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

using WordSet = std::unordered_set<std::string_view>;

const WordSet& stop_words(std::string_view lang) {
  static const WordSet en = {
      "a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about", "to",
      "from", "in", "on", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did",
      "i", "me", "my", "we", "our", "you", "your", "it", "its", "this", "that", "these", "those",
      "there", "here", "can", "could", "would", "should", "will", "shall", "may", "might", "have",
      "has", "had", "hi", "hello", "hey", "please", "thanks", "thank", "so", "just", "also",
      "what", "which", "any", "some", "get", "im", "ive", "id", "dont", "doesnt", "s", "t",
      "as", "too", "very", "much", "many", "know", "like", "want", "wanted", "need", "us", "they",
      "them", "their", "he", "she", "his", "her", "than", "then", "into", "out", "up", "yes", "ok"};
  static const WordSet it = {
      "il", "lo", "la", "i", "gli", "le", "un", "uno", "una", "di", "a", "da", "in", "con", "su",
      "per", "tra", "fra", "e", "ed", "o", "ma", "se", "che", "chi", "non", "mi", "ti", "ci", "vi",
      "si", "del", "della", "dei", "delle", "degli", "dello", "al", "alla", "ai", "alle", "agli",
      "allo", "dal", "dalla", "dai", "nel", "nella", "nei", "sul", "sulla", "sui", "io", "tu",
      "voi", "noi", "mio", "mia", "miei", "mie", "vostro", "vostra", "vostri", "è", "e", "sono",
      "siete", "essere", "ho", "ha", "hai", "hanno", "avete", "abbiamo", "c", "l", "un", "po",
      "ciao", "salve", "buongiorno", "buonasera", "grazie", "per", "favore", "anche", "come",
      "quale", "quali", "questo", "questa", "quello", "quella", "posso", "potete", "può", "puo",
      "vorrei", "volevo", "sapere", "molto", "qualche", "lei", "lui", "loro", "gentilmente", "già",
      "gia", "ne", "ok", "fate", "fa", "fai", "avete", "hanno", "qual", "quanti", "quante"};
  static const WordSet de = {
      "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
      "und", "oder", "aber", "wenn", "in", "im", "an", "am", "auf", "aus", "bei", "mit", "nach",
      "von", "vom", "zu", "zum", "zur", "für", "fur", "ist", "sind", "war", "bin", "bist", "seid",
      "sein", "ich", "mich", "mir", "mein", "meine", "meinen", "meiner", "wir", "uns", "unser",
      "du", "dich", "dir", "ihr", "ihre", "ihren", "sie", "es", "er", "man", "kann", "konnen",
      "können", "kannst", "könnt", "konnt", "hallo", "guten", "tag", "bitte", "danke", "auch", "so",
      "noch", "schon", "nur", "habe", "hat", "haben", "hast", "wie", "was", "welche", "welcher",
      "welches", "gibt", "euch", "euer", "eure", "doch", "mal", "gern", "gerne", "möchte",
      "mochte", "wissen", "sehr", "dass", "da", "als", "ja", "ok", "habt", "darf", "soll", "muss", "etwas", "viele"};
  static const WordSet nl = {
      "de", "het", "een", "en", "of", "maar", "als", "in", "op", "aan", "bij", "met", "naar",
      "van", "voor", "tot", "uit", "om", "over", "is", "zijn", "was", "ben", "bent", "wordt",
      "ik", "mij", "me", "mijn", "we", "wij", "ons", "onze", "jij", "je", "jou", "jouw", "u",
      "uw", "jullie", "hij", "zij", "ze", "het", "dit", "dat", "deze", "die", "er", "hier", "daar",
      "kan", "kunnen", "kunt", "kun", "hallo", "hoi", "goedendag", "dag", "alstublieft", "aub",
      "graag", "bedankt", "dank", "ook", "nog", "al", "wel", "niet", "geen", "heb", "hebt",
      "heeft", "hebben", "hoe", "wat", "welke", "wil", "wilde", "zou", "zouden", "weten", "even",
      "toch", "dan", "zo", "heel", "veel", "ja", "ok", "eens", "hoeveel", "mag", "moet", "iets"};
  static const WordSet none;
  if (lang == "en") return en;
  if (lang == "it") return it;
  if (lang == "de") return de;
  if (lang == "nl") return nl;
  return none;
}

const char* algorithm(std::string_view lang) {
  if (lang == "en") return "english";
  if (lang == "it") return "italian";
  if (lang == "de") return "german";
  if (lang == "nl") return "dutch";
  return nullptr;
}

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};

// One stemmer per language per thread (a Snowball stemmer is not thread-safe).
sb_stemmer* stemmer_for(std::string_view lang) {
  thread_local std::array<std::unique_ptr<sb_stemmer, StemmerDeleter>, 4> cache;
  for (size_t i = 0; i < 4; ++i) {
    if (lang != kLanguages[i]) continue;
    if (!cache[i]) cache[i].reset(sb_stemmer_new(algorithm(lang), "UTF_8"));
    return cache[i].get();
  }
  return nullptr;
}

}  // namespace

bool is_stop_word(std::string_view lang, std::string_view w) { return stop_words(lang).count(w) > 0; }

std::string stem(std::string_view lang, std::string_view w) {
  sb_stemmer* s = stemmer_for(lang);
  if (!s || w.empty()) return std::string(w);
  const sb_symbol* out = sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
  if (!out) return std::string(w);  // out of memory: the word itself still matches itself
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(sb_stemmer_length(s)));
}

std::vector<std::string> analyze(std::string_view lang, std::string_view text) {
  std::vector<std::string> out;
  for (auto& w : words(fold(text))) {
    if (w.size() < 2 || is_stop_word(lang, w)) continue;
    if (w.size() > 64) w.resize(64);
    out.push_back(stem(lang, w));
  }
  return out;
}

}  // namespace bottega::bot
