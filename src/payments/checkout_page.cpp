#include "payments/checkout_page.hpp"

#include <boost/json/parse.hpp>
#include <cstring>

#include "core/model.hpp"

namespace bottega::payments::page {

namespace {

struct Text {
  const char* key;
  const char* en;
  const char* it;
  const char* de;
  const char* nl;
};

constexpr Text kTexts[] = {
    {"title", "Checkout", "Pagamento", "Bezahlen", "Afrekenen"},
    {"pay_to", "Payment to", "Pagamento a", "Zahlung an", "Betaling aan"},
    {"amount", "Amount", "Importo", "Betrag", "Bedrag"},
    {"code", "Verification code", "Codice di verifica", "Prüfcode", "Verificatiecode"},
    {"code_hint", "Check that this code matches the one in your chat before paying.",
     "Prima di pagare, verifica che questo codice corrisponda a quello nella chat.",
     "Prüfen Sie vor dem Bezahlen, ob dieser Code mit dem im Chat übereinstimmt.",
     "Controleer vóór het betalen of deze code overeenkomt met die in je chat."},
    {"summary", "Order summary", "Riepilogo ordine", "Bestellübersicht", "Besteloverzicht"},
    {"total", "Total", "Totale", "Gesamt", "Totaal"},
    {"credit", "Paid with your store credit", "Pagato con il tuo credito", "Mit Ihrem Guthaben bezahlt",
     "Betaald met je tegoed"},
    {"to_pay", "To pay", "Da pagare", "Zu zahlen", "Te betalen"},
    {"use_credit", "Use my store credit", "Usa il mio credito", "Mein Guthaben verwenden", "Mijn tegoed gebruiken"},
    {"pay", "Pay", "Paga", "Bezahlen", "Betalen"},
    {"expires", "This link expires on", "Questo link scade il", "Dieser Link läuft ab am", "Deze link verloopt op"},
    {"invalid_title", "This payment link is not valid", "Questo link di pagamento non è valido",
     "Dieser Zahlungslink ist ungültig", "Deze betaallink is niet geldig"},
    {"invalid_body", "Check the link in your chat, or ask the shop for a new one.",
     "Controlla il link nella chat o chiedi al negozio un nuovo link.",
     "Prüfen Sie den Link im Chat oder bitten Sie den Shop um einen neuen.",
     "Controleer de link in je chat of vraag de winkel om een nieuwe."},
    {"expired_title", "This payment link has expired", "Questo link di pagamento è scaduto",
     "Dieser Zahlungslink ist abgelaufen", "Deze betaallink is verlopen"},
    {"expired_body", "Nothing was charged. Ask the shop for a new link.",
     "Non è stato addebitato nulla. Chiedi al negozio un nuovo link.",
     "Es wurde nichts belastet. Bitten Sie den Shop um einen neuen Link.",
     "Er is niets afgeschreven. Vraag de winkel om een nieuwe link."},
    {"paid_title", "Paid", "Pagato", "Bezahlt", "Betaald"},
    {"paid_body", "This payment is complete. Thank you!", "Il pagamento è stato completato. Grazie!",
     "Diese Zahlung ist abgeschlossen. Vielen Dank!", "Deze betaling is voltooid. Bedankt!"},
    {"refunded_title", "Refunded", "Rimborsato", "Erstattet", "Terugbetaald"},
    {"refunded_body", "This payment was refunded.", "Questo pagamento è stato rimborsato.",
     "Diese Zahlung wurde erstattet.", "Deze betaling is terugbetaald."},
    {"processing_title", "Payment in progress", "Pagamento in corso", "Zahlung in Bearbeitung", "Betaling wordt verwerkt"},
    {"processing_body", "We are waiting for the payment provider's confirmation. This page refreshes by itself.",
     "Stiamo aspettando la conferma del fornitore di pagamento. La pagina si aggiorna da sola.",
     "Wir warten auf die Bestätigung des Zahlungsanbieters. Diese Seite aktualisiert sich selbst.",
     "We wachten op de bevestiging van de betaalprovider. Deze pagina ververst vanzelf."},
    {"cancelled_title", "This payment link was cancelled", "Questo link di pagamento è stato annullato",
     "Dieser Zahlungslink wurde storniert", "Deze betaallink is geannuleerd"},
    {"cancelled_body", "Ask the shop for a new link.", "Chiedi al negozio un nuovo link.",
     "Bitten Sie den Shop um einen neuen Link.", "Vraag de winkel om een nieuwe link."},
    {"error_title", "Something went wrong", "Qualcosa è andato storto", "Etwas ist schiefgelaufen", "Er ging iets mis"},
    {"error_body", "The payment provider could not be reached. Nothing was charged; please try again.",
     "Il fornitore di pagamento non è raggiungibile. Non è stato addebitato nulla; riprova.",
     "Der Zahlungsanbieter ist nicht erreichbar. Es wurde nichts belastet; bitte erneut versuchen.",
     "De betaalprovider is niet bereikbaar. Er is niets afgeschreven; probeer het opnieuw."},
    {"declined", "The payment did not go through. You can try again.", "Il pagamento non è andato a buon fine. Puoi riprovare.",
     "Die Zahlung ist nicht durchgegangen. Sie können es erneut versuchen.",
     "De betaling is niet gelukt. Je kunt het opnieuw proberen."},
    {"back", "Back to the payment", "Torna al pagamento", "Zurück zur Zahlung", "Terug naar de betaling"},
    {"quantity", "Qty", "Qtà", "Menge", "Aantal"},
};

const char* t(std::string_view lang, std::string_view key) {
  for (const auto& x : kTexts) {
    if (key != x.key) continue;
    if (lang == "it") return x.it;
    if (lang == "de") return x.de;
    if (lang == "nl") return x.nl;
    return x.en;
  }
  return "";
}

constexpr const char* kStyle =
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f5f4;color:#1c1917}"
    "main{max-width:28rem;margin:0 auto;padding:1.25rem}"
    ".card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}"
    "h1{font-size:1.35rem;margin:.2rem 0 1rem}.muted{color:#57534e;font-size:.9rem}"
    ".amount{font-size:2rem;font-weight:700;margin:.25rem 0}"
    ".code{font-family:ui-monospace,monospace;font-size:1.5rem;letter-spacing:.15em;background:#fef3c7;"
    "padding:.35rem .6rem;border-radius:6px;display:inline-block}"
    "table{width:100%;border-collapse:collapse}td{padding:.35rem 0;border-bottom:1px solid #e7e5e4}"
    "td.r{text-align:right;white-space:nowrap}"
    "button,.btn{display:block;width:100%;padding:.9rem;font-size:1.1rem;border:0;border-radius:10px;"
    "background:#166534;color:#fff;cursor:pointer;text-align:center;text-decoration:none;margin:.5rem 0}"
    "button.alt{background:#44403c}.notice{background:#fee2e2;color:#7f1d1d;padding:.75rem;border-radius:8px}"
    "nav a{margin-right:.6rem;color:#57534e}";

std::string head(std::string_view lang, std::string_view title, bool refresh) {
  std::string out = "<!doctype html><html lang=\"" + escape(lang) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
                    "initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">";
  if (refresh) out += "<meta http-equiv=\"refresh\" content=\"3\">";
  out += "<title>" + escape(title) + "</title><style>" + kStyle + "</style></head><body><main>";
  return out;
}

std::string foot() { return "</main></body></html>"; }

std::string lang_nav(std::string_view base) {
  std::string out = "<nav class=\"muted\">";
  for (const char* l : {"en", "it", "de", "nl"}) out += "<a href=\"" + escape(base) + "?lang=" + l + "\">" + l + "</a>";
  return out + "</nav>";
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string pick_language(std::string_view param, std::string_view accept) {
  for (std::string_view l : {"en", "it", "de", "nl"})
    if (param == l) return std::string(l);
  // Accept-Language: "it-IT,it;q=0.9,en;q=0.8": the first listed supported language wins (q
  // values in real headers are already in descending order).
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view part = accept.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    std::string two;
    for (size_t i = 0; i < part.size() && i < 2; ++i) two.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(part[i]))));
    bool boundary = part.size() == 2 || (part.size() > 2 && (part[2] == '-' || part[2] == ';' || part[2] == '_'));
    if (boundary)
      for (std::string_view l : {"en", "it", "de", "nl"})
        if (two == l) return two;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return "en";
}

std::string_view content_security_policy() {
  return "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https: http:; "
         "frame-ancestors 'none'; base-uri 'none'";
}

std::string checkout(const Payment& p, std::string_view shop, std::string_view lang, std::string_view notice,
                     int64_t credit_offer) {
  std::string base = "/pay/" + p.token;
  std::string out = head(lang, std::string(t(lang, "title")) + " - " + std::string(shop), false);
  out += lang_nav(base);
  if (!notice.empty()) out += "<p class=\"notice\">" + escape(t(lang, notice)) + "</p>";
  out += "<div class=\"card\"><div class=\"muted\">" + escape(t(lang, "pay_to")) + "</div><h1>" + escape(shop) + "</h1>";
  int64_t due = due_at_provider(p);
  if (p.credit_applied > 0) {
    out += "<div class=\"muted\">" + escape(t(lang, "total")) + " " + escape(format_amount(p.amount, p.currency)) +
           "<br>" + escape(t(lang, "credit")) + " -" + escape(format_amount(p.credit_applied, p.currency)) + "</div>";
    out += "<div class=\"muted\">" + escape(t(lang, "to_pay")) + "</div>";
  } else {
    out += "<div class=\"muted\">" + escape(t(lang, "amount")) + "</div>";
  }
  out += "<div class=\"amount\">" + escape(format_amount(due, p.currency)) + "</div>";
  out += "<p><span class=\"muted\">" + escape(t(lang, "code")) + "</span><br><span class=\"code\">" +
         escape(p.verification_code) + "</span></p><p class=\"muted\">" + escape(t(lang, "code_hint")) + "</p></div>";
  boost::system::error_code ec;
  auto items = boost::json::parse(p.items_json, ec);
  if (!ec && items.is_array() && !items.as_array().empty()) {
    out += "<div class=\"card\"><h2 class=\"muted\">" + escape(t(lang, "summary")) + "</h2><table>";
    for (const auto& it : items.as_array()) {
      const auto& o = it.as_object();
      int64_t q = o.at("quantity").to_number<int64_t>(), u = o.at("unit_amount").to_number<int64_t>();
      out += "<tr><td>" + escape(std::string(o.at("name").as_string())) + " <span class=\"muted\">" +
             escape(t(lang, "quantity")) + " " + std::to_string(q) + "</span></td><td class=\"r\">" +
             escape(format_amount(u * q, p.currency)) + "</td></tr>";
    }
    out += "<tr><td><b>" + escape(t(lang, "total")) + "</b></td><td class=\"r\"><b>" +
           escape(format_amount(p.amount, p.currency)) + "</b></td></tr></table></div>";
  } else if (!p.description.empty()) {
    out += "<div class=\"card\">" + escape(p.description) + "</div>";
  }
  out += "<form method=\"post\" action=\"" + escape(base) + "\"><input type=\"hidden\" name=\"lang\" value=\"" +
         escape(lang) + "\">" +
         (credit_offer > 0 ? "<p><label><input type=\"checkbox\" name=\"use_credit\" value=\"1\"> " +
                                 escape(t(lang, "use_credit")) + " (" + escape(format_amount(credit_offer, p.currency)) +
                                 ")</label></p>"
                           : std::string()) +
         "<button type=\"submit\">" + escape(t(lang, "pay")) + " " +
         escape(format_amount(due, p.currency)) + "</button></form>";
  out += "<p class=\"muted\">" + escape(t(lang, "expires")) + " " + escape(rfc3339(p.expires_at).substr(0, 16)) +
         " UTC</p>";
  return out + foot();
}

std::string status_page(std::string_view kind, const Payment* p, std::string_view shop, std::string_view lang,
                        bool refresh) {
  std::string k(kind);
  std::string out = head(lang, t(lang, (k + "_title").c_str()), refresh);
  out += "<div class=\"card\">";
  if (!shop.empty()) out += "<div class=\"muted\">" + escape(shop) + "</div>";
  out += "<h1>" + escape(t(lang, (k + "_title").c_str())) + "</h1>";
  if (p) {
    out += "<div class=\"amount\">" + escape(format_amount(p->amount, p->currency)) + "</div>";
    out += "<p><span class=\"muted\">" + escape(t(lang, "code")) + "</span> <span class=\"code\">" +
           escape(p->verification_code) + "</span></p>";
  }
  out += "<p>" + escape(t(lang, (k + "_body").c_str())) + "</p>";
  if (p && k == "error") out += "<a class=\"btn\" href=\"/pay/" + escape(p->token) + "?lang=" + escape(lang) + "\">" + escape(t(lang, "back")) + "</a>";
  out += "</div>";
  return out + foot();
}

std::string sandbox(std::string_view session_id, const Payment& p, std::string_view shop, std::string_view step) {
  std::string action = "/sandbox-psp/" + std::string(session_id);
  std::string out = head("en", "Sandbox payment", false);
  out += "<div class=\"card\"><div class=\"muted\">Bottega sandbox PSP (test mode: no real money)</div><h1>" +
         escape(shop) + "</h1><div class=\"amount\">" + escape(format_amount(due_at_provider(p), p.currency)) + "</div></div>";
  auto button = [&](const char* method, const char* label, bool alt) {
    return "<form method=\"post\" action=\"" + escape(action) + "\"><input type=\"hidden\" name=\"method\" value=\"" +
           method + "\"><button type=\"submit\"" + (alt ? " class=\"alt\"" : "") + ">" + label + "</button></form>";
  };
  if (step == "3ds") {
    out += "<div class=\"card\"><h1>Extra authentication</h1><p>Your bank asks you to confirm this payment.</p>" +
           button("3ds_approve", "Confirm", false) + button("3ds_fail", "Fail authentication", true) + "</div>";
  } else if (step == "bank") {
    out += "<div class=\"card\"><div class=\"muted\">Sandbox Bank</div><h1>Authorize the transfer</h1>" +
           button("bank_authorize", "Authorize payment", false) + button("3ds_fail", "Cancel at the bank", true) + "</div>";
  } else {
    out += "<div class=\"card\"><h1>Choose a test method</h1>" + button("card_success", "Card 4242: succeeds", false) +
           button("card_decline", "Card 0002: declined", true) + button("card_3ds", "Card 3155: extra authentication", true) +
           button("bank_redirect", "Bank redirect", true) + button("async", "Delayed confirmation", true) + "</div>";
  }
  return out + foot();
}

}  // namespace bottega::payments::page
