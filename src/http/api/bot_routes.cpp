// The bot API: knowledge base (import, list, export, try a question), the tenant's bot settings,
// the per-channel switch and the bot's turn log of a conversation. Thin: parse -> bot/ -> render.
#include <boost/json/serialize.hpp>
#include <cmath>

#include "bot/bot_repo.hpp"
#include "bot/engine.hpp"
#include "bot/kb.hpp"
#include "bot/text.hpp"
#include "commerce/money.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;
namespace brepo = bot::repo;

namespace {

constexpr const char* kEntrySchema =
    R"({"type":"object","required":["id","language","questions","answer"],"properties":{"id":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,100}$"},"language":{"type":"string","enum":["en","it","de","nl"]},"questions":{"type":"array","minItems":1,"maxItems":50,"items":{"type":"string"}},"answer":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"product_ids":{"type":"array","items":{"type":"string"}}}})";
constexpr const char* kSettingsSchema =
    R"({"type":"object","properties":{"threshold":{"type":"number","minimum":0,"maximum":1},"default_language":{"type":"string","enum":["en","it","de","nl"]},"handle_minutes":{"type":"integer","minimum":1,"maximum":1440},"cart_handoff_over":{"type":"object","description":"currency -> minor units: a cart at or above it goes to a person","additionalProperties":{"type":"integer","minimum":0}},"auto_refund_up_to":{"type":"object","description":"currency -> minor units: refunds up to it are started by the bot","additionalProperties":{"type":"integer","minimum":0}},"kb_version":{"type":"integer"}}})";
constexpr const char* kTurnSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"conversation_id":{"type":"string"},"message_id":{"type":"string"},"language":{"type":"string"},"intent":{"type":"string"},"entry_id":{"type":["string","null"]},"score":{"type":"number"},"outcome":{"type":"string","enum":["answered","asked","handed_over","helpful","not_helpful"]},"reason":{"type":["string","null"]},"reply_message_id":{"type":["string","null"]},"created_at":{"type":"string"}}})";

std::string list_of(const char* item) {
  return std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + item +
         R"(},"next_cursor":{"type":["string","null"]}}})";
}


// The import body: JSON ({"entries":[...]}) or, with Content-Type text/markdown, the Markdown form.
Result<bot::KbImport> parse_import(Context& ctx) {
  std::string_view ct = ctx.header("Content-Type");
  if (ct.rfind("text/markdown", 0) == 0) return bot::parse_kb_markdown(ctx.req.body());
  auto body = body_object(ctx);
  if (!body) return std::move(body).error();
  return bot::parse_kb_object(*body);
}

Result<brepo::Settings> parse_settings(const bj::object& o, brepo::Settings s) {
  for (const auto& kv : o) {
    auto k = kv.key();
    if (k == "business_hours")  // one set of hours for the shop, in its IANA zone (docs/service.md)
      return Error::invalid("business_hours", "business hours are set with PATCH /api/v1/service/settings", "moved");
    if (k != "threshold" && k != "default_language" && k != "handle_minutes" &&
        k != "cart_handoff_over" && k != "auto_refund_up_to")
      return Error::invalid(std::string(k), "unknown field", "unknown_field");
  }
  if (auto it = o.find("threshold"); it != o.end()) {
    const auto& v = it->value();
    double t = v.is_double() ? v.as_double() : v.is_int64() ? static_cast<double>(v.as_int64()) : -1;
    if (!(v.is_double() || v.is_int64()) || !(t >= 0 && t <= 1))
      return Error::invalid("threshold", "threshold is a number from 0 to 1");
    s.threshold = std::round(t * 1000) / 1000;
  }
  BOTTEGA_TRY(lang, json::optional_string(o, "default_language", {}, 8));
  if (lang) {
    if (!bot::supported_language(*lang)) return Error::invalid("default_language", "one of en, it, de, nl");
    s.default_language = *lang;
  }
  BOTTEGA_TRY(hm, json::optional_int(o, "handle_minutes"));
  if (hm) {
    if (*hm < 1 || *hm > 1440) return Error::invalid("handle_minutes", "handle_minutes is 1..1440");
    s.handle_minutes = *hm;
  }
  // {"EUR": 50000}: minor units per currency; {} switches it off.
  for (auto [key, field] : {std::pair{"cart_handoff_over", &s.cart_handoff_over}, std::pair{"auto_refund_up_to", &s.auto_refund_up_to}}) {
    BOTTEGA_TRY(m, json::optional_object(o, key));
    if (!m) continue;
    std::map<std::string, int64_t> out;
    for (const auto& kv : *m) {
      std::string f = std::string(key) + "." + std::string(kv.key());
      if (!commerce::is_currency(kv.key())) return Error::invalid(f, "not a known ISO 4217 currency code");
      if (!kv.value().is_int64() || kv.value().as_int64() < 0 || kv.value().as_int64() > commerce::kMaxAmount)
        return Error::invalid(f, "an amount in minor units (an integer >= 0)");
      out[std::string(kv.key())] = kv.value().as_int64();
    }
    *field = std::move(out);
  }
  return s;
}

}  // namespace

void register_bot_routes(Router& r, Deps& d) {
  r.add("POST", "/api/v1/kb/import", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto in = parse_import(ctx);
    if (!in) co_return error(ctx, in.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work_import_ = [tenant, now, in = std::move(*in)](store::Tx& tx) -> Result<Rendered> {
      auto c = brepo::import_entries(tx, tenant, in, now);
      return Rendered{200, bj::serialize(bj::object{{"imported", static_cast<int64_t>(in.entries.size())},
                                                    {"created", c.created}, {"updated", c.updated},
                                                    {"deleted", c.deleted}, {"total", c.total}})};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work_import_);
  }, {"Import knowledge-base entries (upsert by id; \"replace\": true deletes the others). JSON, or the Markdown form with Content-Type text/markdown",
      Auth::agent, "bot",
      std::string(R"({"type":"object","required":["entries"],"additionalProperties":false,"properties":{"replace":{"type":"boolean"},"entries":{"type":"array","maxItems":5000,"items":)") + kEntrySchema + "}}}",
      R"({"type":"object","properties":{"imported":{"type":"integer"},"created":{"type":"integer"},"updated":{"type":"integer"},"deleted":{"type":"integer"},"total":{"type":"integer"}}})",
      200, true});

  r.add("DELETE", "/api/v1/kb/entries/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work_delete_ = [tenant, id, now](store::Tx& tx) -> Result<int64_t> {
      if (!brepo::delete_entry(tx, tenant, id, now)) return Error::not_found("knowledge-base entry");
      return brepo::count_entries(tx, tenant);
    };
    auto total = co_await db_write<int64_t>(d.store, work_delete_);
    if (!total) co_return error(ctx, total.error());
    co_return json(ctx, 200, bj::object{{"deleted", true}, {"id", id}, {"total", *total}});
  }, {"Delete one knowledge-base entry (admins); the bot stops using it at the next message. 404 for an unknown id",
      Auth::agent, "bot", "",
      R"({"type":"object","properties":{"deleted":{"type":"boolean"},"id":{"type":"string"},"total":{"type":"integer"}}})"});

  r.add("GET", "/api/v1/kb/entries", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    auto lang = ctx.query_param("language");
    if (lang && !bot::supported_language(*lang))
      co_return error(ctx, Error::invalid("language", "language must be one of en, it, de, nl"));
    std::string tenant = who->tenant_id;
    auto work_entries_ = [tenant](store::Tx& tx) -> Result<std::vector<bot::KbEntry>> {
      return brepo::load_entries(tx, tenant);
    };
    auto all = co_await db_read<std::vector<bot::KbEntry>>(d.store, work_entries_);
    if (!all) co_return error(ctx, all.error());
    size_t offset = pg->cursor ? static_cast<size_t>(std::stoll(*pg->cursor)) : 0;
    bj::array data;
    size_t i = offset;
    std::optional<std::string> next;
    for (; i < all->size(); ++i) {
      const auto& e = (*all)[i];
      if (lang && e.language != *lang) continue;
      if (static_cast<int64_t>(data.size()) == pg->limit) {
        next = std::to_string(i);
        break;
      }
      data.push_back(bot::to_json(e));
    }
    co_return list(ctx, std::move(data), next);
  }, {"Knowledge-base entries, ordered by id. Filter: language", Auth::agent, "bot", "", list_of(kEntrySchema)});

  r.add("GET", "/api/v1/kb/export", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto format = ctx.query_param("format").value_or("json");
    if (format != "json" && format != "markdown")
      co_return error(ctx, Error::invalid("format", "format must be json or markdown"));
    std::string tenant = who->tenant_id;
    auto work_export_ = [tenant](store::Tx& tx) -> Result<std::vector<bot::KbEntry>> {
      return brepo::load_entries(tx, tenant);
    };
    auto all = co_await db_read<std::vector<bot::KbEntry>>(d.store, work_export_);
    if (!all) co_return error(ctx, all.error());
    if (format == "markdown")
      co_return text_response(ctx.req, 200, bot::to_markdown(*all), "text/markdown; charset=utf-8");
    co_return text_response(ctx.req, 200, bot::to_json_document(*all), "application/json");
  }, {"The whole knowledge base in the import format (?format=json, the default, or markdown)", Auth::agent, "bot", "",
      std::string(R"({"type":"object","properties":{"entries":{"type":"array","items":)") + kEntrySchema + "}}}"});

  r.add("POST", "/api/v1/kb/search", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"text"}); !st) co_return error(ctx, st.error());
    auto text = json::required_string(*body, "text", {}, 4000);
    if (!text) co_return error(ctx, text.error());
    std::string tenant = who->tenant_id;
    struct Loaded {
      std::vector<bot::KbEntry> entries;
      brepo::Settings settings;
    };
    auto work_search_ = [tenant](store::Tx& tx) -> Result<Loaded> {
      return Loaded{brepo::load_entries(tx, tenant), brepo::get_settings(tx, tenant)};
    };
    auto loaded = co_await db_read<Loaded>(d.store, work_search_);
    if (!loaded) co_return error(ctx, loaded.error());
    // What the bot would do with this message as the first of a conversation (nothing is stored).
    bot::KbIndex idx(std::move(loaded->entries));
    bot::DecideInput in;
    in.text = *text;
    in.index = &idx;
    in.threshold = loaded->settings.threshold;
    in.default_language = loaded->settings.default_language;
    in.wait.open_now = true;
    in.wait.minutes = loaded->settings.handle_minutes;
    auto dec = bot::decide(in);
    auto sr = idx.search(*text, dec.language, 5);
    bj::array matches;
    for (const auto& m : sr.matches)
      matches.push_back(bj::object{{"entry_id", idx.entries()[m.entry].id},
                                   {"confidence", std::round(m.confidence * 1000) / 1000},
                                   {"question", idx.entries()[m.entry].questions[m.phrasing]}});
    co_return json(ctx, 200, bj::object{{"language", dec.language}, {"intent", bot::to_string(dec.intent)},
                                        {"outcome", bot::to_string(dec.outcome)},
                                        {"entry_id", dec.entry_id.empty() ? bj::value(nullptr) : bj::value(dec.entry_id)},
                                        {"confidence", std::round(dec.confidence * 1000) / 1000},
                                        {"reply", dec.reply}, {"matches", std::move(matches)}});
  }, {"Try the bot: what it would answer to a first message (nothing is stored)", Auth::agent, "bot",
      R"({"type":"object","required":["text"],"additionalProperties":false,"properties":{"text":{"type":"string"}}})",
      R"({"type":"object","properties":{"language":{"type":"string"},"intent":{"type":"string"},"outcome":{"type":"string"},"entry_id":{"type":["string","null"]},"confidence":{"type":"number"},"reply":{"type":"string"},"matches":{"type":"array","items":{"type":"object"}}}})"});

  r.add("GET", "/api/v1/bot/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work_get_settings_ = [tenant](store::Tx& tx) -> Result<brepo::Settings> { return brepo::get_settings(tx, tenant); };
    auto s = co_await db_read<brepo::Settings>(d.store, work_get_settings_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, brepo::to_json(*s));
  }, {"The bot's settings: confidence threshold, default language, business hours", Auth::agent, "bot", "", kSettingsSchema});

  r.add("PATCH", "/api/v1/bot/settings", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto check = parse_settings(*body, {});
    if (!check) co_return error(ctx, check.error());
    std::string tenant = who->tenant_id;
    int64_t now = d.clock.now_ms();
    auto work_put_settings_ = [tenant, now, o = *body](store::Tx& tx) -> Result<brepo::Settings> {
      auto s = parse_settings(o, brepo::get_settings(tx, tenant));
      if (!s) return std::move(s).error();
      brepo::put_settings(tx, tenant, *s, now);
      return brepo::get_settings(tx, tenant);
    };
    auto s = co_await db_write<brepo::Settings>(d.store, work_put_settings_);
    if (!s) co_return error(ctx, s.error());
    co_return json(ctx, 200, brepo::to_json(*s));
  }, {"Change the bot's settings (fields given are replaced)", Auth::agent, "bot", kSettingsSchema, kSettingsSchema});

  r.add("PUT", "/api/v1/channels/{id}/bot", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto a = require_admin(*who); !a) co_return error(ctx, a.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"enabled"}); !st) co_return error(ctx, st.error());
    auto it = body->find("enabled");
    if (it == body->end() || !it->value().is_bool())
      co_return error(ctx, Error::invalid("enabled", "enabled must be true or false", "invalid_type"));
    bool on = it->value().as_bool();
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto work_channel_bot_ = [tenant, id, on, now](store::Tx& tx) -> Result<bool> {
      if (!::bottega::repo::get_channel(tx, tenant, id)) return Error::not_found("channel");
      brepo::set_channel_enabled(tx, tenant, id, on, now);
      return on;
    };
    auto r2 = co_await db_write<bool>(d.store, work_channel_bot_);
    if (!r2) co_return error(ctx, r2.error());
    co_return json(ctx, 200, bj::object{{"channel_id", id}, {"enabled", *r2}});
  }, {"Switch the bot on or off for a channel (it is on by default once the knowledge base has entries)", Auth::agent,
      "bot", R"({"type":"object","required":["enabled"],"additionalProperties":false,"properties":{"enabled":{"type":"boolean"}}})",
      R"({"type":"object","properties":{"channel_id":{"type":"string"},"enabled":{"type":"boolean"}}})"});

  r.add("GET", "/api/v1/channels/{id}/bot", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work_channel_bot_get_ = [tenant, id](store::Tx& tx) -> Result<bool> {
      if (!::bottega::repo::get_channel(tx, tenant, id)) return Error::not_found("channel");
      auto on = brepo::channel_enabled(tx, tenant, id);
      return on.value_or(true) && brepo::count_entries(tx, tenant) > 0;
    };
    auto r2 = co_await db_read<bool>(d.store, work_channel_bot_get_);
    if (!r2) co_return error(ctx, r2.error());
    co_return json(ctx, 200, bj::object{{"channel_id", id}, {"enabled", *r2}});
  }, {"Whether the bot answers on this channel now", Auth::agent, "bot", "",
      R"({"type":"object","properties":{"channel_id":{"type":"string"},"enabled":{"type":"boolean"}}})"});

  r.add("GET", "/api/v1/conversations/{id}/bot_turns", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    int64_t after = pg->cursor ? std::stoll(*pg->cursor) : 0;
    int64_t lim = pg->limit;
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work_turns_ = [tenant, id, after, lim](store::Tx& tx) -> Result<std::vector<brepo::Turn>> {
      if (!::bottega::repo::get_conversation(tx, tenant, id)) return Error::not_found("conversation");
      return brepo::list_turns(tx, tenant, id, after, lim + 1);
    };
    auto turns = co_await db_read<std::vector<brepo::Turn>>(d.store, work_turns_);
    if (!turns) co_return error(ctx, turns.error());
    std::optional<std::string> next;
    if (static_cast<int64_t>(turns->size()) > lim) {
      turns->resize(static_cast<size_t>(lim));
      next = std::to_string(turns->back().seq);
    }
    bj::array data;
    for (const auto& t : *turns) data.push_back(brepo::to_json(t));
    co_return list(ctx, std::move(data), next);
  }, {"The bot's turns in a conversation, oldest first: entry used, score, outcome", Auth::agent, "conversations", "",
      list_of(kTurnSchema)});
}

}  // namespace bottega::http::api
