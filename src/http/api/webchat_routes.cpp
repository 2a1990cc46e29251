// The web chat channel's public visitor API (no agent auth): create a visitor, send and list the
// visitor's messages. Rate-limited per visitor and per IP; CORS open to the shop's sites.
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "pipeline/media.hpp"
#include "pipeline/email_verification.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

void cors(const Deps& d, Context& ctx, Response& res) {
  std::string_view origin = ctx.header("Origin");
  if (origin.empty()) return;
  bool allowed = d.opts.allowed_origins.empty() || origin == d.opts.public_url;
  for (const auto& o : d.opts.allowed_origins) allowed = allowed || origin == o;
  if (!allowed) return;
  res.set(beast::http::field::access_control_allow_origin, d.opts.allowed_origins.empty() ? "*" : std::string(origin));
  res.set(beast::http::field::vary, "Origin");
  res.set(beast::http::field::access_control_allow_headers, "Content-Type, X-Visitor-Token, Idempotency-Key");
  res.set(beast::http::field::access_control_allow_methods, "GET, POST, OPTIONS");
  res.set(beast::http::field::access_control_max_age, "600");
}

Response limited(Context& ctx, int64_t wait_ms) {
  auto res = error_response(ctx.req, Error{Errc::rate_limited, "rate_limited", "too many requests, slow down", {}});
  res.set(beast::http::field::retry_after, std::to_string((wait_ms + 999) / 1000));
  return res;
}

struct VisitorChannel {
  repo::Visitor visitor;
  Channel channel;
};

// Resolves X-Visitor-Token to a visitor of this channel (404 for another channel's visitor).
Result<VisitorChannel> find_visitor_channel(store::Tx& tx, const std::string& token_hash,
                                            const std::string& channel_id) {
  auto v = repo::find_visitor(tx, token_hash);
  if (!v || v->channel_id != channel_id) return Error::unauthenticated("unknown visitor token");
  auto c = repo::get_channel(tx, v->tenant_id, channel_id);
  if (!c) return Error::not_found("channel");
  return VisitorChannel{std::move(*v), std::move(*c)};
}

// Remembers, per token hash, the visitor and channel find_visitor_channel found, for kTtlMs. A
// visitor's tenant and channel are fixed at creation; its contact changes only when an email
// verification merges it (then this node drops the entry, and another node's entry may name the
// merged contact for kTtlMs, which ingest_contact_message follows to the kept one). The channel's
// identity (id, tenant, type) never changes either, and its name and settings may be kTtlMs old. Only successful lookups are kept, so an
// unknown token is looked up every time. Saves two queries per message on the writer thread
// (~5% of its instructions per web chat message, measured with callgrind).
class VisitorCache {
 public:
  static constexpr int64_t kTtlMs = 10'000;
  static constexpr size_t kMaxEntries = 100'000;

  std::optional<VisitorChannel> get(const std::string& token_hash, int64_t now_ms) {
    std::lock_guard lk(mu_);
    auto it = map_.find(token_hash);
    if (it == map_.end() || now_ms - it->second.at_ms > kTtlMs || now_ms < it->second.at_ms) return std::nullopt;
    return it->second.vc;
  }
  void drop(const std::string& token_hash) {
    std::lock_guard lk(mu_);
    map_.erase(token_hash);
  }
  void put(const std::string& token_hash, const VisitorChannel& vc, int64_t now_ms) {
    std::lock_guard lk(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.insert_or_assign(token_hash, Entry{vc, now_ms});
  }

 private:
  struct Entry {
    VisitorChannel vc;
    int64_t at_ms;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

// Runs inside a write fn, which the store may run twice and whose transaction may roll back: the
// cache learns a lookup only once the transaction that made it has committed (tx hook), so it
// never holds what a rolled-back transaction saw.
Result<VisitorChannel> cached_visitor_channel(const std::shared_ptr<VisitorCache>& cache, int64_t now_ms,
                                              store::Tx& tx, const std::string& token_hash,
                                              const std::string& channel_id) {
  if (auto hit = cache->get(token_hash, now_ms)) {
    if (hit->visitor.channel_id != channel_id) return Error::unauthenticated("unknown visitor token");
    return std::move(*hit);
  }
  auto vc = find_visitor_channel(tx, token_hash, channel_id);
  if (vc) tx.after_commit([cache, token_hash, found = *vc, now_ms] { cache->put(token_hash, found, now_ms); });
  return vc;
}

const char* kMessageSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"direction":{"type":"string"},"author":{"type":"object"},"kind":{"type":"string"},"text":{"type":"string"},"created_at":{"type":"string"}}})";

asio::awaitable<Response> visitor_create(Deps& d, Context& ctx) {
    if (auto wait = d.limiter.take("visitors:" + ctx.remote_ip, d.opts.ip_visitors_per_hour, 3'600'000, d.clock.now_ms()); wait > 0)
      co_return limited(ctx, wait);
    bj::object body;
    if (!ctx.req.body().empty()) {
      auto b = body_object(ctx);
      if (!b) co_return error(ctx, b.error());
      body = std::move(*b);
    }
    auto name = json::optional_string(body, "name", {}, 200);
    if (!name) co_return error(ctx, name.error());
    auto email = json::optional_string(body, "email", {}, 320);
    if (!email) co_return error(ctx, email.error());
    if (*email && (*email)->find('@') == std::string::npos)
      co_return error(ctx, Error::invalid("email", "not an email address"));
    std::string id = ctx.param("channel_id");
    auto env = d.env();
    std::string n = name->value_or("");
    auto em = *email;
    auto work7_ = [&env, id, n, em](store::Tx& tx) -> Result<pipeline::NewVisitor> {
      auto c = repo::find_channel(tx, id);
      if (!c || c->type != "webchat") return Error::not_found("web chat channel");
      return pipeline::create_visitor(tx, env, *c, n, em);
    };
    auto v = co_await db_write<pipeline::NewVisitor>(d.store, work7_);
    if (!v) co_return error(ctx, v.error());
    co_return json(ctx, 201, bj::object{{"visitor_token", v->visitor_token}, {"visitor_id", v->visitor_id}});
}

// A visitor's message: {"text"} typed, or {"reply":{"id","title"}} a choice the shop offered and the
// visitor tapped (the bot's Yes/No, a product card's "Add to cart" = "buy:<SKU>"), stored as an
// interactive_reply like a tapped button on the other channels (its title is the message text).
Result<pipeline::Incoming> parse_visitor_message(const bj::object& body) {
  pipeline::Incoming in;
  if (const auto* r = body.if_contains("reply")) {
    if (body.contains("text")) return Error::invalid("text", "send text or reply, not both");
    if (!r->is_object()) return Error::invalid("reply", "reply is {\"id\",\"title\"}", "invalid_type");
    BOTTEGA_TRY(id, json::required_string(r->as_object(), "id", "reply.id", 200));
    BOTTEGA_TRY(title, json::required_string(r->as_object(), "title", "reply.title", 200));
    if (id.empty()) return Error::invalid("reply.id", "reply.id must not be empty");
    if (title.find_first_not_of(" \t\r\n") == std::string::npos)
      return Error::invalid("reply.title", "reply.title must not be empty");
    in.kind = "interactive_reply";
    in.text = title;
    in.content_json = bj::serialize(bj::object{{"id", id}, {"title", title}});
    return in;
  }
  BOTTEGA_TRY(text, json::required_string(body, "text", {}, 10000));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Error::invalid("text", "text must not be empty");
  in.text = std::move(text);
  return in;
}

asio::awaitable<Response> message_post(Deps& d, std::shared_ptr<VisitorCache> cache, Context& ctx) {
    std::string token(ctx.header("X-Visitor-Token"));
    if (token.empty()) co_return error(ctx, Error::unauthenticated("X-Visitor-Token header required"));
    std::string token_hash = crypto::hex(crypto::sha256(token));
    int64_t now = d.clock.now_ms();
    if (auto wait = d.limiter.take("msg-ip:" + ctx.remote_ip, d.opts.ip_messages_per_minute, 60'000, now); wait > 0)
      co_return limited(ctx, wait);
    if (auto wait = d.limiter.take("msg-vt:" + token_hash, d.opts.visitor_messages_per_minute, 60'000, now); wait > 0)
      co_return limited(ctx, wait);
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto incoming = parse_visitor_message(*body);
    if (!incoming) co_return error(ctx, incoming.error());
    std::string channel_id = ctx.param("channel_id");
    auto env = d.env();
    pipeline::Incoming t = std::move(*incoming);
    auto work8_ = [&env, cache, now, token_hash, channel_id, t](store::Tx& tx) -> Result<Rendered> {
          BOTTEGA_TRY(vc, cached_visitor_channel(cache, now, tx, token_hash, channel_id));
          BOTTEGA_TRY(in, pipeline::ingest_contact_message(tx, env, vc.channel.tenant_id, vc.channel,
                                                           vc.visitor.contact_id, t, std::nullopt));
          return Rendered{201, bj::serialize(bj::object{{"message_id", in.message.id},
                                                        {"conversation_id", in.conversation.id}})};
        };
    std::string scope = "visitor:" + token_hash;
    co_return co_await idempotent_write(d, ctx, scope, work8_);
}

asio::awaitable<Response> message_list(Deps& d, Context& ctx) {
    std::string token(ctx.header("X-Visitor-Token"));
    if (token.empty()) co_return error(ctx, Error::unauthenticated("X-Visitor-Token header required"));
    auto pg = page_params(ctx, 1);
    if (!pg) co_return error(ctx, pg.error());
    std::string token_hash = crypto::hex(crypto::sha256(token)), channel_id = ctx.param("channel_id");
    auto cursor = pg->cursor;
    int64_t lim = pg->limit;
    auto work9_ = [=](store::Tx& tx) -> Result<repo::MessagePage> {
      BOTTEGA_TRY(vc, find_visitor_channel(tx, token_hash, channel_id));
      return repo::list_contact_messages(tx, vc.channel.tenant_id, vc.visitor.contact_id, cursor, lim, channel_id);
    };
    auto page = co_await db_read<repo::MessagePage>(d.store, work9_);
    if (!page) co_return error(ctx, page.error());
    bj::array data;
    for (const auto& m : page->items) {
      auto j = to_json(m);
      j.erase("delivery");
      data.push_back(std::move(j));
    }
    co_return list(ctx, std::move(data), page->next_cursor);
}

// POST .../email-verification {"email"}: mails the visitor a one-time code for that address.
asio::awaitable<Response> verification_start(Deps& d, Context& ctx) {
  std::string token(ctx.header("X-Visitor-Token"));
  if (token.empty()) co_return error(ctx, Error::unauthenticated("X-Visitor-Token header required"));
  std::string token_hash = crypto::hex(crypto::sha256(token)), channel_id = ctx.param("channel_id");
  int64_t now = d.clock.now_ms();
  // Every code is a mail to an address the caller chose: few per visitor, and per IP.
  if (auto wait = d.limiter.take("verify-ip:" + ctx.remote_ip, 20, 3'600'000, now); wait > 0) co_return limited(ctx, wait);
  if (auto wait = d.limiter.take("verify-vt:" + token_hash, 5, 3'600'000, now); wait > 0) co_return limited(ctx, wait);
  auto body = body_object(ctx);
  if (!body) co_return error(ctx, body.error());
  auto email = json::required_string(*body, "email", {}, 320);
  if (!email) co_return error(ctx, email.error());
  auto env = d.env();
  std::string address = *email;
  auto work = [&env, token_hash, channel_id, address](store::Tx& tx) -> Result<pipeline::email_verification::Started> {
    BOTTEGA_TRY(vc, find_visitor_channel(tx, token_hash, channel_id));
    return pipeline::email_verification::start(tx, env, vc.visitor, address);
  };
  auto r = co_await db_write<pipeline::email_verification::Started>(d.store, work);
  if (!r) co_return error(ctx, r.error());
  co_return json(ctx, 202, bj::object{{"email", r->email}, {"expires_at", rfc3339(r->expires_at)}});
}

// POST .../email-verification/confirm {"code"}: the code from the mail.
asio::awaitable<Response> verification_confirm(Deps& d, std::shared_ptr<VisitorCache> cache, Context& ctx) {
  std::string token(ctx.header("X-Visitor-Token"));
  if (token.empty()) co_return error(ctx, Error::unauthenticated("X-Visitor-Token header required"));
  std::string token_hash = crypto::hex(crypto::sha256(token)), channel_id = ctx.param("channel_id");
  if (auto wait = d.limiter.take("verify-ip:" + ctx.remote_ip, 20, 3'600'000, d.clock.now_ms()); wait > 0)
    co_return limited(ctx, wait);
  auto body = body_object(ctx);
  if (!body) co_return error(ctx, body.error());
  auto code = json::required_string(*body, "code", {}, 20);
  if (!code) co_return error(ctx, code.error());
  std::string given;
  for (char c : *code)
    if (c != ' ' && c != '-') given.push_back(c);
  if (given.size() != 6 || given.find_first_not_of("0123456789") != std::string::npos)
    co_return error(ctx, Error::invalid("code", "the 6-digit code from the mail"));
  auto env = d.env();
  auto work = [&env, token_hash, channel_id, given](store::Tx& tx) -> Result<pipeline::email_verification::Confirmed> {
    BOTTEGA_TRY(vc, find_visitor_channel(tx, token_hash, channel_id));
    return pipeline::email_verification::confirm(tx, env, vc.visitor, given);
  };
  auto r = co_await db_write<pipeline::email_verification::Confirmed>(d.store, work);
  if (!r) co_return error(ctx, r.error());
  using pipeline::email_verification::Outcome;
  switch (r->outcome) {
    case Outcome::none_pending:
      co_return error(ctx, Error::conflict("no_pending_verification", "ask for a code first"));
    case Outcome::expired:
      co_return error(ctx, Error::conflict("code_expired", "the code has expired; ask for a new one"));
    case Outcome::exhausted:
      co_return error(ctx, Error::conflict("too_many_attempts", "too many wrong codes; ask for a new one"));
    case Outcome::wrong_code:
      co_return error(ctx, Error::invalid("code", "wrong code; " + std::to_string(r->attempts_left) +
                                                      (r->attempts_left == 1 ? " attempt" : " attempts") + " left",
                                          "wrong_code"));
    case Outcome::verified:
      break;
  }
  cache->drop(token_hash);  // its contact may have changed (other nodes: see ingest_contact_message)
  bj::object out{{"verified", true},
                 {"email", r->email},
                 {"contact_id", r->contact ? bj::value(r->contact->id) : bj::value(nullptr)},
                 {"merged", !r->merged_contact_id.empty()}};
  if (!r->not_merged.empty()) out["not_merged"] = r->not_merged;
  co_return json(ctx, 200, std::move(out));
}

}  // namespace

std::optional<std::string> webchat_continue_whatsapp(std::string_view number) {
  std::string digits;
  for (size_t i = 0; i < number.size(); ++i) {
    char c = number[i];
    if (c == '+' && i == 0) continue;
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() < 7 || digits.size() > 15 || digits[0] == '0') return std::nullopt;  // E.164
  return "https://wa.me/" + digits;
}

std::optional<std::string> webchat_continue_messenger(std::string_view username) {
  if (username.empty() || username.size() > 50) return std::nullopt;
  for (char c : username)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  return "https://m.me/" + std::string(username);
}

std::optional<std::string> webchat_continue_email(std::string_view address) {
  auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size() || address.size() > 254 ||
      address.find('@', at + 1) != std::string_view::npos || address.substr(at + 1).find('.') == std::string_view::npos)
    return std::nullopt;
  // Only characters that need no escaping in a mailto: URL (RFC 6068 addr-spec subset).
  for (char c : address)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == '_' || c == '+' || c == '@'))
      return std::nullopt;
  return "mailto:" + std::string(address);
}

void register_webchat_routes(Router& r, Deps& d) {
  auto visitors = std::make_shared<VisitorCache>();
  auto preflight = [&d](Context& ctx) -> asio::awaitable<Response> {
    auto res = text_response(ctx.req, 204, "", "text/plain");
    cors(d, ctx, res);
    co_return res;
  };
  for (const char* p : {"/api/v1/webchat/{channel_id}/config", "/api/v1/webchat/{channel_id}/visitors",
                        "/api/v1/webchat/{channel_id}/messages", "/api/v1/webchat/{channel_id}/email-verification",
                        "/api/v1/webchat/{channel_id}/email-verification/confirm",
                        "/api/v1/webchat/{channel_id}/media/{id}"})
    r.add("OPTIONS", p, preflight, {"CORS preflight for the web chat visitor API", Auth::none, "webchat", "", "", 204});

  r.add("GET", "/api/v1/webchat/{channel_id}/config", [&d](Context& ctx) -> asio::awaitable<Response> {
    std::string id = ctx.param("channel_id");
    auto work10_ = [id](store::Tx& tx) -> Result<Channel> {
      auto c = repo::find_channel(tx, id);
      if (!c || c->type != "webchat") return Error::not_found("web chat channel");
      return std::move(*c);
    };
    auto c = co_await db_read<Channel>(d.store, work10_);
    if (!c) {
      auto res = error(ctx, c.error());
      cors(d, ctx, res);
      co_return res;
    }
    boost::system::error_code ec;
    auto settings = bj::parse(c->settings_json, ec);
    std::string greeting;  // empty: the widget shows its own greeting in the visitor's language
    if (!ec && settings.is_object()) {
      if (auto* g = settings.as_object().if_contains("greeting"); g && g->is_string()) greeting = g->as_string();
    }
    bj::array continue_on;
    if (!ec && settings.is_object()) {
      const auto& so = settings.as_object();
      auto offer = [&](const char* key, const char* channel, auto make) {
        if (auto* v = so.if_contains(key); v && v->is_string())
          if (auto url = make(std::string_view(v->as_string())))
            continue_on.push_back(bj::object{{"channel", channel}, {"url", *url}});
      };
      offer("continue_whatsapp", "whatsapp", webchat_continue_whatsapp);
      offer("continue_messenger", "messenger", webchat_continue_messenger);
      offer("continue_email", "email", webchat_continue_email);
    }
    auto res = json(ctx, 200, bj::object{{"name", c->name}, {"greeting", greeting}, {"continue_on", std::move(continue_on)}});
    cors(d, ctx, res);
    co_return res;
  }, {"Public settings of a web chat channel (name, greeting, where the visitor may continue)", Auth::none, "webchat", "",
      R"({"type":"object","properties":{"name":{"type":"string"},"greeting":{"type":"string"},"continue_on":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string","enum":["whatsapp","messenger","email"]},"url":{"type":"string"}}}}}})"});

  r.add("POST", "/api/v1/webchat/{channel_id}/visitors", [&d](Context& ctx) -> asio::awaitable<Response> {
    Response res = co_await visitor_create(d, ctx);
    cors(d, ctx, res);
    co_return res;
  }, {"Start a visitor: returns the token that authenticates the visitor's later calls", Auth::none, "webchat",
      R"({"type":"object","properties":{"name":{"type":"string"},"email":{"type":"string"}}})",
      R"({"type":"object","properties":{"visitor_token":{"type":"string"},"visitor_id":{"type":"string"}}})", 201});

  r.add("POST", "/api/v1/webchat/{channel_id}/messages", [&d, visitors](Context& ctx) -> asio::awaitable<Response> {
    Response res = co_await message_post(d, visitors, ctx);
    cors(d, ctx, res);
    co_return res;
  }, {"A visitor sends a message (header X-Visitor-Token): text, or a tapped choice (reply, e.g. a product card's Add to cart, id buy:<SKU>). 201 means it is stored durably", Auth::visitor, "webchat",
      R"({"type":"object","properties":{"text":{"type":"string","maxLength":10000},"reply":{"type":"object","required":["id","title"],"properties":{"id":{"type":"string","maxLength":200},"title":{"type":"string","maxLength":200}}}}})",
      R"({"type":"object","properties":{"message_id":{"type":"string"},"conversation_id":{"type":"string"}}})", 201, true});

  r.add("POST", "/api/v1/webchat/{channel_id}/email-verification", [&d](Context& ctx) -> asio::awaitable<Response> {
    Response res = co_await verification_start(d, ctx);
    cors(d, ctx, res);
    co_return res;
  }, {"A visitor asks to prove an email address (header X-Visitor-Token): a one-time code is mailed to it by a durable job "
      "(valid 15 minutes, 3 attempts; a new request replaces the code). 409 no_relay when the shop has no email channel "
      "with an outgoing relay. At most 5 per visitor and 20 per IP an hour",
      Auth::visitor, "webchat", R"({"type":"object","required":["email"],"properties":{"email":{"type":"string","maxLength":320}}})",
      R"({"type":"object","properties":{"email":{"type":"string"},"expires_at":{"type":"string"}}})", 202});

  r.add("POST", "/api/v1/webchat/{channel_id}/email-verification/confirm",
        [&d, visitors](Context& ctx) -> asio::awaitable<Response> {
    Response res = co_await verification_confirm(d, visitors, ctx);
    cors(d, ctx, res);
    co_return res;
  }, {"The visitor types the code from the mail. Verified: the address is recorded on the visitor's contact, which is "
      "merged into the one other contact that verified the same address (an email sender proven by the trusted MTA, or "
      "the same person's visitor on another browser): the visitor then sees that contact's earlier conversations on this "
      "channel. 400 wrong_code (field code, attempts left), 409 code_expired, too_many_attempts, no_pending_verification",
      Auth::visitor, "webchat", R"({"type":"object","required":["code"],"properties":{"code":{"type":"string","maxLength":20}}})",
      R"({"type":"object","properties":{"verified":{"type":"boolean"},"email":{"type":"string"},"contact_id":{"type":"string"},"merged":{"type":"boolean"},"not_merged":{"type":"string"}}})"});

  r.add("GET", "/api/v1/webchat/{channel_id}/media/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    std::string token(ctx.header("X-Visitor-Token"));
    if (token.empty()) {
      auto res = error(ctx, Error::unauthenticated("X-Visitor-Token header required"));
      cors(d, ctx, res);
      co_return res;
    }
    std::string token_hash = crypto::hex(crypto::sha256(token)), channel_id = ctx.param("channel_id"),
                id = ctx.param("id");
    // A file the shop sent into one of this visitor's conversations on this channel.
    auto work_ = [token_hash, channel_id, id](store::Tx& tx) -> Result<pipeline::media::StoredMedia> {
      BOTTEGA_TRY(vc, find_visitor_channel(tx, token_hash, channel_id));
      auto m = pipeline::media::get(tx, vc.channel.tenant_id, id);
      if (!m || m->message_id.empty()) return Error::not_found("media");
      auto msg = repo::get_message(tx, vc.channel.tenant_id, m->message_id);
      auto conv = msg ? repo::get_conversation(tx, vc.channel.tenant_id, msg->conversation_id) : std::nullopt;
      if (!conv || msg->direction != "out" || conv->channel_id != channel_id || conv->contact_id != vc.visitor.contact_id)
        return Error::not_found("media");
      return std::move(*m);
    };
    auto m = co_await db_read<pipeline::media::StoredMedia>(d.store, work_);
    auto res = m ? media_file_response(ctx, std::move(*m)) : error(ctx, m.error());
    cors(d, ctx, res);
    co_return res;
  }, {"A file the shop sent to the visitor (a message of kind attachment), for the widget (header X-Visitor-Token): "
      "the bytes with the same headers as GET /api/v1/media/{id}; 404 for any other file",
      Auth::visitor, "webchat", "", "", 200});

  r.add("GET", "/api/v1/webchat/{channel_id}/messages", [&d](Context& ctx) -> asio::awaitable<Response> {
    Response res = co_await message_list(d, ctx);
    cors(d, ctx, res);
    co_return res;
  }, {"The visitor's own messages, oldest first (no internal notes): its contact's conversations on this channel (after an email verification merged it, the earlier ones too)", Auth::visitor, "webchat", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kMessageSchema +
          R"(},"next_cursor":{"type":["string","null"]}}})"});
}

}  // namespace bottega::http::api
