#include "bot/shop_text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "bot/text.hpp"
#include "commerce/cards.hpp"
#include "core/crypto.hpp"

namespace bottega::bot::shop_text {

namespace {

struct Line {
  std::string_view key, en, it, de, nl;
};
// clang-format off
constexpr Line kLines[] = {
    {"sizes", "Sizes", "Taglie", "Größen", "Maten"},
    {"from", "from", "da", "ab", "vanaf"},
    {"no_size", "Not available in size {size}.", "Non disponibile nella taglia {size}.", "In Größe {size} nicht erhältlich.", "Niet verkrijgbaar in maat {size}."},
    {"size_is", "Size {size}", "Taglia {size}", "Größe {size}", "Maat {size}"},
    {"no_price", "no price in {currency}", "nessun prezzo in {currency}", "kein Preis in {currency}", "geen prijs in {currency}"},
    {"card_follows", "Here is the product:", "Ecco il prodotto:", "Hier ist das Produkt:", "Hier is het product:"},
    {"order", "Order #{n} (placed {date}): {status}.", "Ordine n. {n} (del {date}): {status}.", "Bestellung Nr. {n} (vom {date}): {status}.", "Bestelling #{n} (geplaatst op {date}): {status}."},
    {"st_pending_payment", "waiting for payment", "in attesa di pagamento", "wartet auf Zahlung", "wacht op betaling"},
    {"st_paid", "paid, being prepared for shipping", "pagato, in preparazione per la spedizione", "bezahlt, wird für den Versand vorbereitet", "betaald, wordt klaargemaakt voor verzending"},
    {"st_fulfilled", "shipped on {date}", "spedito il {date}", "versandt am {date}", "verzonden op {date}"},
    {"st_cancelled", "cancelled", "annullato", "storniert", "geannuleerd"},
    {"st_partially_refunded", "partially refunded", "rimborsato in parte", "teilweise erstattet", "gedeeltelijk terugbetaald"},
    {"st_refunded", "refunded", "rimborsato", "erstattet", "terugbetaald"},
    {"tracking", "Tracking: {tracking}", "Tracciamento: {tracking}", "Sendungsverfolgung: {tracking}", "Track & trace: {tracking}"},
    {"items", "Items: {items}.", "Articoli: {items}.", "Artikel: {items}.", "Artikelen: {items}."},
    {"total", "Total: {total}.", "Totale: {total}.", "Gesamt: {total}.", "Totaal: {total}."},
    {"code_ok_cart", "The code {code} is valid and applies to your cart: {benefit}.", "Il codice {code} è valido e si applica al tuo carrello: {benefit}.", "Der Code {code} ist gültig und gilt für Ihren Warenkorb: {benefit}.", "De code {code} is geldig en geldt voor je winkelwagen: {benefit}."},
    {"code_ok", "The code {code} is valid: {benefit}{conditions}.", "Il codice {code} è valido: {benefit}{conditions}.", "Der Code {code} ist gültig: {benefit}{conditions}.", "De code {code} is geldig: {benefit}{conditions}."},
    {"cond_min", ", for a subtotal of at least {amount}", ", con un subtotale di almeno {amount}", ", ab einer Zwischensumme von {amount}", ", vanaf een subtotaal van {amount}"},
    {"cond_scope", ", only for: {scope}", ", solo per: {scope}", ", nur für: {scope}", ", alleen voor: {scope}"},
    {"cond_until", ", until {date}", ", fino al {date}", ", bis {date}", ", tot {date}"},
    {"pct_off", "{pct}% off", "{pct}% di sconto", "{pct} % Rabatt", "{pct}% korting"},
    {"amount_off", "{amount} off", "{amount} di sconto", "{amount} Rabatt", "{amount} korting"},
    {"free_shipping", "free shipping", "spedizione gratuita", "kostenloser Versand", "gratis verzending"},
    {"code_not_started", "The code {code} is not valid yet: it starts on {date}.", "Il codice {code} non è ancora valido: vale dal {date}.", "Der Code {code} ist noch nicht gültig: er gilt ab {date}.", "De code {code} is nog niet geldig: hij geldt vanaf {date}."},
    {"code_expired", "The code {code} expired on {date}.", "Il codice {code} è scaduto il {date}.", "Der Code {code} ist am {date} abgelaufen.", "De code {code} is verlopen op {date}."},
    {"code_usage_limit_reached", "The code {code} has been used up: it could be redeemed only a limited number of times.", "Il codice {code} è esaurito: si poteva usare solo un numero limitato di volte.", "Der Code {code} ist aufgebraucht: er konnte nur begrenzt oft eingelöst werden.", "De code {code} is op: hij kon maar een beperkt aantal keer gebruikt worden."},
    {"code_already_used_by_customer", "You have already used the code {code}, and it can be used only once per customer.", "Hai già usato il codice {code}, che vale una sola volta per cliente.", "Sie haben den Code {code} bereits eingelöst; er gilt nur einmal pro Kunde.", "Je hebt de code {code} al gebruikt, en hij geldt maar één keer per klant."},
    {"code_not_applicable_to_products", "The code {code} is not valid for the products in your cart: it is only for {scope}.", "Il codice {code} non vale per i prodotti nel tuo carrello: vale solo per {scope}.", "Der Code {code} gilt nicht für die Produkte in Ihrem Warenkorb, nur für {scope}.", "De code {code} geldt niet voor de producten in je winkelwagen: alleen voor {scope}."},
    {"code_minimum_not_reached", "The code {code} needs a subtotal of at least {amount}; your cart is at {subtotal}.", "Il codice {code} richiede un subtotale di almeno {amount}; il tuo carrello è a {subtotal}.", "Der Code {code} gilt ab einer Zwischensumme von {amount}; Ihr Warenkorb liegt bei {subtotal}.", "De code {code} geldt vanaf een subtotaal van {amount}; je winkelwagen staat op {subtotal}."},
    {"code_currency_mismatch", "The code {code} is for orders in {currency} only.", "Il codice {code} vale solo per ordini in {currency}.", "Der Code {code} gilt nur für Bestellungen in {currency}.", "De code {code} geldt alleen voor bestellingen in {currency}."},
    {"code_unknown", "I can't find the code {code} in our shop. Please check how it is written (letters and digits).", "Non trovo il codice {code} nel nostro negozio. Controlla come è scritto (lettere e numeri).", "Den Code {code} finde ich in unserem Shop nicht. Bitte prüfen Sie die Schreibweise (Buchstaben und Ziffern).", "Ik kan de code {code} niet vinden in onze winkel. Controleer hoe hij geschreven is (letters en cijfers)."},
    {"offer_person", "Would you like to talk to a person about it?", "Vuoi parlarne con una persona?", "Möchten Sie mit einer Person darüber sprechen?", "Wil je hierover met een medewerker praten?"},
    {"person", "Talk to a person", "Parla con una persona", "Mit einer Person sprechen", "Praat met een medewerker"},
    {"ask_code", "Which discount code did you try? Please write it here.", "Quale codice sconto hai provato? Scrivilo qui.", "Welchen Rabattcode haben Sie versucht? Bitte schreiben Sie ihn hier.", "Welke kortingscode heb je geprobeerd? Schrijf hem hier."},
    {"code_sent", "Thank you. If these details match an order, I have just sent a 6-digit code to that email address. Please type the code here (it is valid for 15 minutes).", "Grazie. Se i dati corrispondono a un ordine, ho appena inviato un codice di 6 cifre a quell'indirizzo email. Scrivi qui il codice (vale 15 minuti).", "Danke. Wenn die Angaben zu einer Bestellung passen, habe ich gerade einen 6-stelligen Code an diese E-Mail-Adresse geschickt. Bitte geben Sie den Code hier ein (15 Minuten gültig).", "Bedankt. Als deze gegevens bij een bestelling horen, heb ik net een code van 6 cijfers naar dat e-mailadres gestuurd. Typ de code hier (15 minuten geldig)."},
    {"order_details_again", "To find your order I need both the order number and the email address used for it, for example: 1001 ann@example.com", "Per trovare l'ordine mi servono sia il numero d'ordine sia l'email usata, per esempio: 1001 anna@example.com", "Um Ihre Bestellung zu finden, brauche ich die Bestellnummer und die E-Mail-Adresse der Bestellung, zum Beispiel: 1001 anna@example.com", "Om je bestelling te vinden heb ik het bestelnummer en het e-mailadres van de bestelling nodig, bijvoorbeeld: 1001 anna@example.com"},
    {"code_wrong", "That code is not right. Please check the email and try again ({n} attempts left).", "Il codice non è corretto. Controlla l'email e riprova (ancora {n} tentativi).", "Der Code stimmt nicht. Bitte prüfen Sie die E-Mail und versuchen Sie es erneut (noch {n} Versuche).", "Die code klopt niet. Kijk in de e-mail en probeer het opnieuw (nog {n} pogingen)."},
    {"code_expired_otp", "That code has expired, so I can't use it to verify you.", "Il codice è scaduto, quindi non posso usarlo per verificarti.", "Der Code ist abgelaufen, damit kann ich Sie nicht verifizieren.", "Die code is verlopen, dus ik kan je er niet mee verifiëren."},
    {"code_failed", "I could not verify you with that code.", "Non sono riuscito a verificarti con quel codice.", "Ich konnte Sie mit diesem Code nicht verifizieren.", "Ik kon je niet verifiëren met die code."},
    {"refund_which_order", "Which order is it about?", "Di quale ordine si tratta?", "Um welche Bestellung geht es?", "Over welke bestelling gaat het?"},
    {"refund_choose", "I'm sorry about that. What would you like for order #{n}?", "Mi dispiace. Cosa preferisci per l'ordine n. {n}?", "Das tut mir leid. Was möchten Sie für die Bestellung Nr. {n}?", "Sorry daarvoor. Wat wil je voor bestelling #{n}?"},
    {"refund_opt_refund", "A refund", "Un rimborso", "Eine Erstattung", "Geld terug"},
    {"refund_opt_replacement", "A replacement", "Una sostituzione", "Einen Ersatz", "Een vervanging"},
    {"refund_started", "Done: I have started a refund of {amount} for order #{n}. It goes back to the payment method you used; banks usually show it within 5-10 working days.", "Fatto: ho avviato un rimborso di {amount} per l'ordine n. {n}. Torna sul metodo di pagamento usato; di solito la banca lo mostra entro 5-10 giorni lavorativi.", "Erledigt: Ich habe eine Erstattung von {amount} für die Bestellung Nr. {n} veranlasst. Sie geht auf Ihr Zahlungsmittel zurück; Banken zeigen sie meist innerhalb von 5-10 Werktagen.", "Klaar: ik heb een terugbetaling van {amount} gestart voor bestelling #{n}. Die gaat terug naar je betaalmethode; banken tonen het meestal binnen 5-10 werkdagen."},
    {"refund_to_agent", "I have passed your refund request for order #{n} to our team: a person will check it and confirm.", "Ho passato la richiesta di rimborso per l'ordine n. {n} al nostro team: una persona la verificherà e ti confermerà.", "Ich habe Ihre Erstattungsanfrage für die Bestellung Nr. {n} an unser Team gegeben: eine Person prüft sie und bestätigt.", "Ik heb je verzoek om terugbetaling voor bestelling #{n} doorgegeven aan ons team: een medewerker bekijkt het en bevestigt."},
    {"replacement_to_agent", "I have passed your replacement request for order #{n} to our team: a person will arrange it with you.", "Ho passato la richiesta di sostituzione per l'ordine n. {n} al nostro team: una persona la organizzerà con te.", "Ich habe Ihre Ersatzanfrage für die Bestellung Nr. {n} an unser Team gegeben: eine Person klärt das mit Ihnen.", "Ik heb je verzoek om vervanging voor bestelling #{n} doorgegeven aan ons team: een medewerker regelt het met je."},
    {"cart_handover", "Your cart is ready for a closer look: I'm passing you to a person from our team who can help you complete the order.", "Il tuo carrello merita un'attenzione in più: ti passo a una persona del nostro team che ti aiuterà a completare l'ordine.", "Ihr Warenkorb verdient eine persönliche Beratung: Ich verbinde Sie mit einer Person aus unserem Team, die Ihnen beim Abschluss hilft.", "Je winkelwagen verdient persoonlijke aandacht: ik verbind je door met een medewerker die je helpt de bestelling af te ronden."},
    {"no_refundable", "I can't find a paid order to refund or replace here, so a person from our team will look at it.", "Non trovo un ordine pagato da rimborsare o sostituire, quindi se ne occuperà una persona del nostro team.", "Ich finde keine bezahlte Bestellung zum Erstatten oder Ersetzen, deshalb kümmert sich eine Person aus unserem Team darum.", "Ik vind geen betaalde bestelling om terug te betalen of te vervangen, dus een medewerker kijkt ernaar."},
    {"mail_subject", "Your verification code", "Il tuo codice di verifica", "Ihr Bestätigungscode", "Je verificatiecode"},
    {"mail_text", "Your code to see order #{n} in our chat is {code}. It is valid for 15 minutes.\n\nIf you did not ask for it, you can ignore this email.", "Il codice per vedere l'ordine n. {n} nella nostra chat è {code}. Vale 15 minuti.\n\nSe non l'hai richiesto, ignora questa email.", "Ihr Code für die Bestellung Nr. {n} in unserem Chat lautet {code}. Er ist 15 Minuten gültig.\n\nWenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.", "Je code om bestelling #{n} in onze chat te zien is {code}. Hij is 15 minuten geldig.\n\nHeb je hem niet aangevraagd? Dan kun je deze e-mail negeren."},
};
// clang-format on

std::string_view pick(const Line& l, const std::string& lang) {
  if (lang == "it") return l.it;
  if (lang == "de") return l.de;
  if (lang == "nl") return l.nl;
  return l.en;
}

std::string fill(std::string s, std::string_view name, const std::string& value) {
  std::string key = "{" + std::string(name) + "}";
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size()))
    s.replace(at, key.size(), value);
  return s;
}

std::string date_of(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string price(int64_t minor, const std::string& currency, const std::string& lang) {
  return commerce::format_price(minor, currency, lang);
}

// Words that say what is asked, not what about (folded, unstemmed).
const std::set<std::string>& price_words() {
  static const std::set<std::string> s = {"price", "prices", "cost", "costs", "expensive", "cheap", "prezzo", "prezzi",
                                          "costa", "costano", "preis", "preise", "kostet", "kosten", "teuer", "prijs",
                                          "prijzen", "kost", "duur"};
  return s;
}
const std::set<std::string>& availability_words() {
  static const std::set<std::string> s = {
      "stock", "available", "availability", "left", "sell", "sold", "disponibile", "disponibili", "disponibilita",
      "magazzino", "vendete", "esaurito", "esauriti", "lager", "verfugbar", "lieferbar", "vorratig", "ausverkauft",
      "voorraad", "beschikbaar", "verkopen", "uitverkocht", "have", "avete", "habt", "hebben", "hebt"};
  return s;
}
const std::set<std::string>& size_words() {
  static const std::set<std::string> s = {"size", "sizes", "taglia", "taglie", "numero", "grosse", "grossen",
                                          "maat", "maten", "eu"};
  return s;
}
const std::set<std::string>& compare_words() {
  static const std::set<std::string> s = {"difference", "differences", "compare", "comparison", "versus", "vs",
                                          "between", "differenza", "differenze", "confronto", "confrontare", "tra",
                                          "fra", "unterschied", "unterschiede", "vergleich", "vergleichen", "zwischen",
                                          "verschil", "verschillen", "vergelijk", "vergelijken", "tussen"};
  return s;
}
// Words of a question that name no product (any of the four languages).
const std::set<std::string>& filler_words() {
  static const std::set<std::string> s = {
      "how", "much", "many", "what", "which", "whats", "is", "are", "the", "a", "an", "do", "does", "you", "your", "i",
      "me", "my", "please", "tell", "want", "would", "like", "know", "to", "of", "in", "for", "and", "or", "it", "this",
      "that", "these", "those", "there", "any", "can", "could", "still", "pair", "one", "ones", "them", "they", "get",
      "buy", "in", "on", "with", "at", "hi", "hello", "hey", "thanks", "thank", "we", "us", "need", "looking", "model",
      "better", "also", "some", "yet",
      "quanto", "quanti", "quanta", "qual", "quante", "quale", "quali", "per", "favore", "vorrei", "sapere", "mi", "dite",
      "potete", "ce", "c", "e", "sono", "il", "lo", "la", "le", "gli", "un", "una", "uno", "di", "del", "della", "delle",
      "dei", "degli", "ancora", "paio", "modello", "ciao", "grazie", "voi", "avete", "posso", "comprare", "cosa", "che",
      "meglio", "anche", "nella", "nel", "con", "ho", "bisogno",
      "wie", "viel", "was", "welche", "welcher", "welches", "bitte", "ich", "mochte", "wissen", "gibt", "es", "den",
      "die", "das", "der", "dem", "ein", "eine", "einen", "im", "von", "paar", "noch", "modell", "hallo", "danke", "ihr",
      "sie", "kann", "kaufen", "besser", "auch", "mit", "und", "oder", "ist", "sind", "gross", "hat",
      "hoeveel", "wat", "welke", "graag", "ik", "wil", "weten", "zijn", "de", "het", "een", "van", "nog", "er",
      "jullie", "je", "kan", "op", "kopen", "beter", "ook", "met", "en", "of", "heeft", "hebt", "dag", "bedankt", "mag"};
  return s;
}

bool all_digits(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string pct_text(int64_t bp) {
  std::string s = std::to_string(bp / 100);
  if (bp % 100) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%02lld", static_cast<long long>(bp % 100));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    s += frac;
  }
  return s;
}

// Tokens of the raw text: runs of ASCII letters, digits, '-' and '_' (trimmed of '-'/'_').
std::vector<std::string> raw_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && (cur.back() == '-' || cur.back() == '_')) cur.pop_back();
    size_t i = 0;
    while (i < cur.size() && (cur[i] == '-' || cur[i] == '_')) ++i;
    if (i < cur.size()) out.push_back(cur.substr(i));
    cur.clear();
  };
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (ok) cur += c;
    else flush();
  }
  flush();
  return out;
}

}  // namespace

std::string say(const std::string& lang, std::string_view key) {
  for (const auto& l : kLines)
    if (l.key == key) return std::string(pick(l, lang));
  return std::string(key);
}

CatalogQuestion catalog_question(std::string_view text, const std::string& lang) {
  CatalogQuestion q;
  (void)lang;
  auto ws = words(fold(text));
  std::string padded = " ";
  for (const auto& w : ws) padded += w + " ";
  // Phrases that ask for a price or availability without a telling single word.
  for (const char* ph : {" how much ", " quanto costa", " quanto costano", " wie viel kostet", " wieviel kostet",
                         " hoeveel kost", " wat kost"})
    if (padded.find(ph) != std::string::npos) q.price = true;
  for (const char* ph : {" do you have ", " have you got ", " in stock ", " avete ", " ce l avete", " habt ihr ",
                         " haben sie ", " gibt es ", " hebben jullie ", " op voorraad ", " is er "})
    if (padded.find(ph) != std::string::npos) q.availability = true;
  for (size_t i = 0; i < ws.size(); ++i) {
    const auto& w = ws[i];
    if (price_words().count(w)) q.price = true;
    else if (availability_words().count(w)) q.availability = true;
    else if (size_words().count(w)) q.size = true;
    else if (compare_words().count(w)) q.compare = true;
    else if (all_digits(w) && w.size() == 2 && std::stoi(w) >= 16 && std::stoi(w) <= 60) {
      q.size_value = w;
      continue;
    } else if (w == "big" || w == "much") {
      continue;
    } else if (filler_words().count(w) || is_stop_word(lang, w) || w.size() < 2) {
      continue;
    } else {
      q.words.push_back(w);
      continue;
    }
  }
  if (q.size_value && !q.size) q.size = q.availability;  // "do you have it in 42"
  return q;
}

std::string product_answer(const std::vector<ProductFacts>& products, const CatalogQuestion& q,
                           const std::string& lang) {
  std::string out;
  for (const auto& p : products) {
    if (!out.empty()) out += "\n";
    // The price: one for all variants, else "from" the lowest.
    std::optional<int64_t> lo, hi;
    for (const auto& v : p.variants)
      if (v.price) {
        lo = lo ? std::min(*lo, *v.price) : *v.price;
        hi = hi ? std::max(*hi, *v.price) : *v.price;
      }
    std::string line = p.title + ": ";
    if (!lo) line += fill(say(lang, "no_price"), "currency", p.currency);
    else if (*lo == *hi) line += price(*lo, p.currency, lang);
    else line += say(lang, "from") + " " + price(*lo, p.currency, lang);
    line += ".";
    bool sized = p.variants.size() > 1 || (p.variants.size() == 1 && !p.variants[0].title.empty());
    if (q.size_value && sized) {
      const VariantFacts* match = nullptr;
      for (const auto& v : p.variants)
        for (const auto& w : words(fold(v.title)))
          if (w == *q.size_value) match = &v;
      if (match) {
        line += " " + fill(say(lang, "size_is"), "size", match->title) + ": " +
                commerce::availability_label(lang, match->available) + ".";
      } else {
        std::vector<std::string> titles;
        for (const auto& v : p.variants) titles.push_back(v.title);
        line += " " + fill(say(lang, "no_size"), "size", *q.size_value) + " " + say(lang, "sizes") + ": " +
                join(titles, ", ") + ".";
      }
    } else if (sized) {
      std::vector<std::string> parts;
      for (const auto& v : p.variants)
        parts.push_back(v.title + " (" + commerce::availability_label(lang, v.available) + ")");
      line += " " + say(lang, "sizes") + ": " + join(parts, ", ") + ".";
    } else {
      line += " " + commerce::availability_label(lang, p.variants.empty() ? std::nullopt : p.variants[0].available) + ".";
    }
    if ((q.compare || products.size() > 1) && !p.description.empty()) line += " " + p.description + ".";
    out += line;
  }
  return out;
}

std::string code_answer(const CodeFacts& c, const std::string& lang) {
  auto money = [&](int64_t v) { return price(v, c.currency.empty() ? c.cart_currency : c.currency, lang); };
  std::string scope = join(c.scope_titles, ", ");
  if (c.refusal.empty()) {
    std::string benefit = c.kind == "percentage"     ? fill(say(lang, "pct_off"), "pct", pct_text(c.value))
                          : c.kind == "fixed_amount" ? fill(say(lang, "amount_off"), "amount", money(c.value))
                                                     : say(lang, "free_shipping");
    if (c.checked_against_cart) return fill(fill(say(lang, "code_ok_cart"), "code", c.code), "benefit", benefit);
    std::string cond;
    if (c.minimum_subtotal && !c.currency.empty()) cond += fill(say(lang, "cond_min"), "amount", money(*c.minimum_subtotal));
    if (!scope.empty()) cond += fill(say(lang, "cond_scope"), "scope", scope);
    if (c.ends_at) cond += fill(say(lang, "cond_until"), "date", date_of(*c.ends_at - 1));
    return fill(fill(fill(say(lang, "code_ok"), "code", c.code), "benefit", benefit), "conditions", cond);
  }
  std::string s = say(lang, "code_" + c.refusal);
  s = fill(s, "code", c.code);
  if (c.refusal == "expired" && c.ends_at) s = fill(s, "date", date_of(*c.ends_at - 1));
  if (c.refusal == "not_started" && c.starts_at) s = fill(s, "date", date_of(*c.starts_at));
  if (c.minimum_subtotal) s = fill(s, "amount", money(*c.minimum_subtotal));
  s = fill(s, "subtotal", price(c.cart_subtotal, c.cart_currency.empty() ? c.currency : c.cart_currency, lang));
  s = fill(s, "scope", scope);
  s = fill(s, "currency", c.currency);
  return s;
}

std::string unknown_code_answer(const std::string& code, const std::string& lang) {
  return fill(say(lang, "code_unknown"), "code", code);
}

std::string order_status_answer(const OrderFacts& o, const std::string& lang) {
  std::string status = say(lang, "st_" + o.status);
  if (o.status == "fulfilled") status = fill(status, "date", date_of(o.fulfilled_at.value_or(o.created_at)));
  std::string s = fill(fill(fill(say(lang, "order"), "n", std::to_string(o.number)), "date", date_of(o.created_at)),
                       "status", status);
  if (o.tracking_number || o.tracking_url) {
    std::string t;
    if (o.carrier) t += *o.carrier + " ";
    if (o.tracking_number) t += *o.tracking_number;
    if (o.tracking_url) t += (t.empty() ? "" : " ") + *o.tracking_url;
    s += " " + fill(say(lang, "tracking"), "tracking", t);
  }
  if (!o.lines.empty()) s += " " + fill(say(lang, "items"), "items", join(o.lines, ", "));
  s += " " + fill(say(lang, "total"), "total", price(o.total, o.currency, lang));
  return s;
}

std::vector<std::string> code_candidates(std::string_view text) {
  std::vector<std::string> strong, weak;
  auto toks = raw_tokens(text);
  static const std::set<std::string> kAfter = {"code", "codice", "coupon", "voucher", "gutschein", "rabattcode",
                                               "kortingscode", "couponcode", "promo", "promocode", "buono", "actiecode"};
  for (size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    if (t.size() < 4 || t.size() > 64) continue;
    bool digit = std::any_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    bool letter = std::any_of(t.begin(), t.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
    bool upper = letter && std::none_of(t.begin(), t.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    // A code has letters and digits ("WELCOME10") or is written in capitals ("FREESHIP"); a
    // capitalized word right after "code" counts too ("code Summer").
    std::string prev = i ? fold(toks[i - 1]) : "";
    bool capital = t[0] >= 'A' && t[0] <= 'Z';
    if ((digit && letter) || (upper && t.size() >= 5)) strong.push_back(t);
    else if (kAfter.count(prev) && letter && capital && t.size() >= 5) weak.push_back(t);
  }
  strong.insert(strong.end(), weak.begin(), weak.end());
  return strong;
}

std::optional<int64_t> order_number_in(std::string_view text) {
  for (const auto& t : raw_tokens(text)) {
    if (all_digits(t) && t.size() >= 3 && t.size() <= 9 && t.size() != 6) return std::stoll(t);
  }
  // "#1001" arrives as the token "1001" above; a 6-digit number is taken only when nothing else is.
  for (const auto& t : raw_tokens(text))
    if (all_digits(t) && t.size() == 6) return std::stoll(t);
  return std::nullopt;
}

std::optional<std::string> email_in(std::string_view text) {
  std::string s(text);
  size_t at = s.find('@');
  while (at != std::string::npos) {
    size_t b = at, e = at + 1;
    auto ok = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-' || c == '+';
    };
    while (b > 0 && ok(s[b - 1])) --b;
    while (e < s.size() && ok(s[e])) ++e;
    std::string local = s.substr(b, at - b), domain = s.substr(at + 1, e - at - 1);
    while (!domain.empty() && domain.back() == '.') domain.pop_back();
    if (!local.empty() && domain.find('.') != std::string::npos && domain.front() != '.') return local + "@" + domain;
    at = s.find('@', at + 1);
  }
  return std::nullopt;
}

std::optional<std::string> otp_in(std::string_view text) {
  std::optional<std::string> found;
  for (const auto& t : raw_tokens(text)) {
    if (all_digits(t) && t.size() == 6) {
      if (found) return std::nullopt;  // two candidates: ambiguous
      found = t;
    }
  }
  return found;
}

}  // namespace bottega::bot::shop_text
