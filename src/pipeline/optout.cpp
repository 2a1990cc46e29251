#include "pipeline/optout.hpp"

#include <array>
#include <cctype>

#include "store/repo/repo.hpp"

namespace bottega::pipeline {

using store::Stmt;

namespace {

const Stmt kGet{"optout.get",
    "SELECT opted_out, source, keyword, updated_at FROM contact_optouts WHERE tenant_id = $1 AND contact_id = $2"};
const Stmt kSet{"optout.set",
    "INSERT INTO contact_optouts (tenant_id, contact_id, opted_out, source, keyword, updated_at) VALUES ($1,$2,$3,$4,$5,$6) "
    "ON CONFLICT (tenant_id, contact_id) DO UPDATE SET opted_out = excluded.opted_out, source = excluded.source, "
    "keyword = excluded.keyword, updated_at = excluded.updated_at"};

struct Word {
  const char* word;
  bool out;
  const char* lang;
};
constexpr std::array<Word, 27> kWords{{
    {"stop", true, ""},          {"stopp", true, "de"},        {"stop all", true, "en"},
    {"stopall", true, "en"},     {"unsubscribe", true, "en"},  {"opt out", true, "en"},
    {"optout", true, "en"},      {"opt-out", true, "en"},      {"annulla", true, "it"},
    {"disiscrivi", true, "it"},  {"disiscriviti", true, "it"}, {"disiscrivimi", true, "it"},
    {"cancellami", true, "it"},  {"abmelden", true, "de"},     {"abbestellen", true, "de"},
    {"afmelden", true, "nl"},    {"uitschrijven", true, "nl"}, {"stoppen", true, "nl"},
    {"start", false, ""},        {"unstop", false, "en"},      {"subscribe", false, "en"},
    {"opt in", false, "en"},     {"iscrivimi", false, "it"},   {"riattiva", false, "it"},
    {"anmelden", false, "de"},   {"aanmelden", false, "nl"},   {"opt-in", false, "en"},
}};

}  // namespace

std::optional<OptKeyword> opt_keyword(std::string_view text) {
  if (text.size() > 40) return std::nullopt;
  std::string s;
  for (unsigned char ch : text) {
    if (ch >= 0x80) return std::nullopt;  // the words are ASCII
    if (std::isspace(ch)) {
      if (!s.empty() && s.back() != ' ') s += ' ';
    } else {
      s += static_cast<char>(std::tolower(ch));
    }
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '.' || s.back() == '!')) s.pop_back();
  if (!s.empty() && s.front() == '/') s.erase(0, 1);  // "/stop" (Telegram-style commands)
  for (const auto& w : kWords)
    if (s == w.word) return OptKeyword{w.out, w.lang, w.word};
  return std::nullopt;
}

std::optional<OptOut> get_opt_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id) {
  auto r = tx.query_one(kGet, {tenant, contact_id});
  if (!r) return std::nullopt;
  return OptOut{r->i64(0) != 0, r->str(1), r->opt_str(2), r->i64(3)};
}

bool opted_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id) {
  auto o = get_opt_out(tx, tenant, contact_id);
  return o && o->opted_out;
}

void set_opt_out(store::Tx& tx, const std::string& tenant, const std::string& contact_id, bool out,
                 const std::string& source, const std::optional<std::string>& keyword, int64_t now) {
  tx.exec(kSet, {tenant, contact_id, int64_t{out ? 1 : 0}, source,
                 keyword ? store::Value{*keyword} : store::Value{}, now});
}

const char* opt_confirmation(bool out, const std::string& lang) {
  if (out) {
    if (lang == "it")
      return "Non riceverai più promemoria né aggiornamenti da noi qui. Scrivi START per riceverli di nuovo; puoi "
             "sempre scriverci quando vuoi.";
    if (lang == "de")
      return "Sie erhalten hier keine Erinnerungen oder Updates mehr von uns. Schreiben Sie START, um sie wieder zu "
             "erhalten; Sie können uns jederzeit schreiben.";
    if (lang == "nl")
      return "Je ontvangt hier geen herinneringen of updates meer van ons. Stuur START om ze weer te ontvangen; je "
             "kunt ons altijd schrijven.";
    return "You won't get reminders or updates from us here any more. Write START to get them again; you can still "
           "write to us any time.";
  }
  if (lang == "it") return "Fatto: riceverai di nuovo promemoria e aggiornamenti sugli ordini. Scrivi STOP per fermarli.";
  if (lang == "de") return "Erledigt: Sie erhalten wieder Erinnerungen und Bestell-Updates. Schreiben Sie STOP, um sie zu beenden.";
  if (lang == "nl") return "Gedaan: je ontvangt weer herinneringen en orderupdates. Stuur STOP om ze te stoppen.";
  return "Done: you'll get reminders and order updates from us again. Write STOP to stop them.";
}

Message post_system_message(Tx& tx, Env& env, const Conversation& c, const std::string& kind, const std::string& text,
                            const std::string& content_json) {
  int64_t now = env.clock.now_ms();
  Message m;
  m.id = env.ids.next("msg");
  m.tenant_id = c.tenant_id;
  m.conversation_id = c.id;
  m.direction = "out";
  m.author_kind = "system";
  m.kind = kind;
  m.text = text;
  m.content_json = content_json;
  bool provider = c.channel_type != "webchat";
  m.delivery_state = provider ? "pending" : "sent";
  m.created_at = now;
  repo::insert_message(tx, m);
  if (provider) queue_provider_send(tx, env, c.tenant_id, c.id, c.channel_type, m.id, now);
  emit(tx, env, c.tenant_id, event_type::kMessageCreated, c.id, c.contact_id, false, to_json(m));
  return m;
}

}  // namespace bottega::pipeline
