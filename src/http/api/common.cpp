#include "http/api/common.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "pipeline/dispatcher.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

void register_service_routes(Router& r, Deps& d);  // service_routes.cpp
void register_proactive_routes(Router& r, Deps& d);  // proactive_routes.cpp
void register_team_routes(Router& r, Deps& d);       // team_routes.cpp
void register_agent_tools_routes(Router& r, Deps& d);  // agent_tools_routes.cpp
void register_macro_routes(Router& r, Deps& d);      // macro_routes.cpp

namespace bj = boost::json;

pipeline::Env Deps::env() {
  return pipeline::Env{clock, ids, [this] { dispatcher.notify(); }, wake_jobs,
                       [this](Event e) { dispatcher.offer(std::move(e)); }};
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

namespace {
bool unsafe_method(const Request& req) {
  auto m = req.method();
  return !(m == beast::http::verb::get || m == beast::http::verb::head || m == beast::http::verb::options);
}
}  // namespace

asio::awaitable<Result<Principal>> authenticate(Deps& d, Context& ctx) {
  std::string_view authz = ctx.header("Authorization");
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    std::string hash = crypto::hex(crypto::sha256(authz.substr(7)));
    auto work13_ = [hash](store::Tx& tx) -> Result<Principal> {
      auto p = repo::find_api_token(tx, hash);
      if (!p) return Error::unauthenticated("invalid API token");
      return std::move(*p);
    };
    // Not waiting for the disk: the result only admits or refuses (Store::read_undurable).
    auto r = co_await db_read<Principal>(d.store, work13_, false);
    co_return r;
  }
  std::string sid = cookie_value(ctx.header("Cookie"), "bottega_session");
  if (sid.empty()) co_return Error::unauthenticated();
  std::string hash = crypto::hex(crypto::sha256(sid));
  int64_t now = d.clock.now_ms();
  auto work14_ = [hash, now](store::Tx& tx) -> Result<Principal> {
    auto p = repo::find_session(tx, hash, now);
    if (!p) return Error::unauthenticated("session expired or revoked");
    return std::move(*p);
  };
  auto r = co_await db_read<Principal>(d.store, work14_, false);
  if (!r.ok()) co_return r;
  r->session_hash = hash;
  if (unsafe_method(ctx.req)) {
    std::string_view sent = ctx.header("X-CSRF-Token");
    if (sent.empty() || !crypto::equal_ct(sent, r->csrf_token))
      co_return Error::forbidden("csrf_failed", "missing or wrong X-CSRF-Token header");
  }
  co_return r;
}

Authorizer agent_body_authorizer(Deps& d) {
  return [&d](Context& ctx) -> asio::awaitable<std::optional<Response>> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    co_return std::nullopt;
  };
}

Response json(Context& ctx, int status, const bj::value& v) {
  return json_response(ctx.req, status, bj::serialize(v));
}

Response error(Context& ctx, const Error& e) {
  auto res = error_response(ctx.req, e);
  if (e.errc == Errc::unauthenticated && ctx.header("Authorization").empty())
    res.set(beast::http::field::www_authenticate, "Bearer");
  return res;
}

Response list(Context& ctx, bj::array data, const std::optional<std::string>& next_cursor) {
  bj::object o{{"data", std::move(data)}};
  if (next_cursor) o["next_cursor"] = *next_cursor;
  else o["next_cursor"] = nullptr;
  return json(ctx, 200, o);
}

Result<bj::object> body_object(Context& ctx) {
  std::string_view ct = ctx.header("Content-Type");
  if (!ct.empty() && ct.find("application/json") == std::string_view::npos)
    return Error{Errc::invalid_argument, "unsupported_media_type", "send Content-Type: application/json", {}};
  return json::parse_object(ctx.req.body());
}

Result<std::optional<std::string>> cursor_param(Context& ctx, int parts) {
  auto c = ctx.query_param("cursor");
  if (!c) return std::optional<std::string>{};
  int seen = 1;
  size_t digits = 0;
  bool ok = !c->empty() && c->size() <= 64;
  for (char ch : *c) {
    if (ch == '.') {
      ok = ok && digits > 0;
      digits = 0;
      ++seen;
    } else if (ch >= '0' && ch <= '9') {
      ++digits;
    } else {
      ok = false;
    }
  }
  ok = ok && digits > 0 && digits <= 18 && seen == parts;
  if (!ok) return Error::invalid("cursor", "not a cursor this list handed out");
  return c;
}

Result<int64_t> limit_param(Context& ctx) {
  auto v = ctx.query_param("limit");
  if (!v) return int64_t{50};
  int64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9' || n > 100000) return Error::invalid("limit", "limit must be an integer from 1 to 200");
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 200) return Error::invalid("limit", "limit must be an integer from 1 to 200");
  return n;
}

Result<PageParams> page_params(Context& ctx, int cursor_parts) {
  BOTTEGA_TRY(limit, limit_param(ctx));
  BOTTEGA_TRY(cursor, cursor_param(ctx, cursor_parts));
  return PageParams{limit, std::move(cursor)};
}

asio::awaitable<Response> idempotent_write_impl(Deps& d, Context& ctx, std::shared_ptr<const std::string> scope_p,
                                                std::shared_ptr<WriteWork> work_p) {
  const std::string& scope = *scope_p;
  WriteWork& work = *work_p;
  std::string key(ctx.header("Idempotency-Key"));
  if (key.size() > 255) co_return error(ctx, Error::invalid("Idempotency-Key", "at most 255 characters"));
  for (char c : key)
    if (c < 0x21 || c > 0x7e)
      co_return error(ctx, Error::invalid("Idempotency-Key", "printable ASCII without spaces only"));
  std::string hash;
  if (!key.empty()) {
    std::string material = std::string(ctx.req.method_string()) + " " + ctx.path + "\n" + ctx.req.body();
    hash = crypto::hex(crypto::sha256(material));
  }
  int64_t now = d.clock.now_ms();
  struct Out {
    Rendered r;
    bool replay = false;
  };
  auto work15_ = [&, key, hash, now](store::Tx& tx) -> Result<Out> {
    if (!key.empty()) {
      if (auto prior = repo::find_idempotency(tx, scope, key)) {
        if (prior->request_hash != hash)
          return Error{Errc::unprocessable, "idempotency_key_reused",
                       "this Idempotency-Key was used with a different request", "Idempotency-Key"};
        return Out{Rendered{static_cast<int>(prior->status), prior->body}, true};
      }
    }
    auto rendered = work(tx);
    if (!rendered.ok()) return std::move(rendered).error();
    if (!key.empty())
      repo::insert_idempotency(tx, scope, key, {hash, rendered->status, rendered->body}, now);
    return Out{std::move(rendered).value(), false};
  };
  auto r = co_await db_write<Out>(d.store, work15_);
  if (!r.ok()) co_return error(ctx, r.error());
  auto res = json_response(ctx.req, r->r.status, std::move(r->r.body));
  if (r->replay) res.set("Idempotent-Replayed", "true");
  co_return res;
}

Status require_admin(const Principal& p) {
  if (p.role != Role::admin) return Error::forbidden("forbidden", "this needs an admin");
  return {};
}

void register_routes(Router& r, Deps& d) {
  register_system_routes(r, d);
  register_auth_routes(r, d);
  register_agent_routes(r, d);
  register_conversation_routes(r, d);
  register_channel_routes(r, d);
  register_webchat_routes(r, d);
  register_realtime_routes(r, d);
  register_provider_webhook_routes(r, d);
  register_commerce_routes(r, d);
  register_payment_routes(r, d);
  register_bot_routes(r, d);
  register_service_routes(r, d);
  register_proactive_routes(r, d);
  register_team_routes(r, d);
  register_agent_tools_routes(r, d);
  register_macro_routes(r, d);
  register_report_routes(r, d);
  register_media_routes(r, d);
}

}  // namespace bottega::http::api
