// Agent sessions: login (argon2id on the CPU pool, a new session id every time), logout, the
// current session, password change (revokes every session of the agent).
#include <boost/beast/http/field.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {


std::string session_cookie(const Deps& d, const std::string& value, int64_t max_age_s) {
  std::string c = "bottega_session=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                  std::to_string(max_age_s);
  if (d.opts.public_url.rfind("https://", 0) == 0) c += "; Secure";
  return c;
}

// A fixed hash to verify against when the email is unknown, so timing does not reveal accounts.
const std::string& dummy_hash() {
  static const std::string h = crypto::password_hash("not a real password");
  return h;
}

}  // namespace

void register_auth_routes(Router& r, Deps& d) {
  r.add("POST", "/api/v1/auth/login", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto email = json::required_string(*body, "email", {}, 320);
    if (!email) co_return error(ctx, email.error());
    auto password = json::required_string(*body, "password", {}, 1024);
    if (!password) co_return error(ctx, password.error());
    int64_t now = d.clock.now_ms();
    if (auto wait = d.limiter.take("login:" + ctx.remote_ip, 20, 60'000, now); wait > 0) {
      auto res = error(ctx, Error{Errc::rate_limited, "rate_limited", "too many login attempts", {}});
      res.set(beast::http::field::retry_after, std::to_string((wait + 999) / 1000));
      co_return res;
    }
    std::string e = *email;
    auto work17_ = [e](store::Tx& tx) -> Result<std::optional<repo::AgentWithHash>> {
          return repo::find_agent_by_email(tx, e);
        };
    auto found = co_await db_read<std::optional<repo::AgentWithHash>>(
        d.store, work17_);
    if (!found) co_return error(ctx, found.error());
    std::string hash = found->has_value() ? (*found)->password_hash : dummy_hash();
    std::string pw = *password;
    auto work18_ = [hash, pw] { return crypto::password_verify(hash, pw); };
    bool ok = co_await on_cpu<bool>(d.cpu, work18_);
    if (!ok || !found->has_value())
      co_return error(ctx, Error{Errc::unauthenticated, "invalid_credentials", "wrong email or password", {}});
    Agent agent = (*found)->agent;
    std::string sid = crypto::random_token(32);
    std::string csrf = crypto::random_token(24);
    std::string sid_hash = crypto::hex(crypto::sha256(sid));
    int64_t expires = now + d.opts.session_ttl_ms;
    auto work19_ = [=](store::Tx& tx) -> Result<bool> {
      repo::create_session(tx, sid_hash, agent.tenant_id, agent.id, csrf, now, expires);
      return true;
    };
    auto created = co_await db_write<bool>(d.store, work19_);
    if (!created) co_return error(ctx, created.error());
    auto res = json(ctx, 200, bj::object{{"agent", to_json(agent)}, {"csrf_token", csrf}});
    res.set(beast::http::field::set_cookie, session_cookie(d, sid, d.opts.session_ttl_ms / 1000));
    co_return res;
  }, {"Log an agent in; sets the session cookie and returns the CSRF token", Auth::none, "auth",
      R"({"type":"object","required":["email","password"],"properties":{"email":{"type":"string"},"password":{"type":"string"}}})",
      std::string(R"({"type":"object","properties":{"agent":)") + kAgentSchema + R"(,"csrf_token":{"type":"string"}}})"});

  r.add("POST", "/api/v1/auth/logout", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string sid = cookie_value(ctx.header("Cookie"), "bottega_session");
    if (!sid.empty()) {
      std::string h = crypto::hex(crypto::sha256(sid));
      auto env = d.env();
      Principal who_p = *who;
      auto work20_ = [h, &env, who_p](store::Tx& tx) -> Result<bool> {
        repo::delete_session(tx, h);
        pipeline::emit(tx, env, who_p.tenant_id, event_type::kSessionRevoked, {}, {}, true,
                       bj::object{{"agent_id", who_p.agent_id}, {"session_hash", h}});
        return true;
      };
      auto r = co_await db_write<bool>(d.store, work20_);
      if (!r) co_return error(ctx, r.error());
    }
    auto res = text_response(ctx.req, 204, "", "text/plain");
    res.set(beast::http::field::set_cookie, session_cookie(d, "", 0));
    co_return res;
  }, {"End the current agent session", Auth::agent, "auth", "", "", 204});

  r.add("GET", "/api/v1/auth/session", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (who->agent_id.empty())
      co_return error(ctx, Error::forbidden("not_a_session", "API tokens have no agent session"));
    auto p = *who;
    auto work21_ = [p](store::Tx& tx) -> Result<Agent> {
      auto a = repo::get_agent(tx, p.tenant_id, p.agent_id);
      if (!a) return Error::not_found("agent");
      return a->agent;
    };
    auto agent = co_await db_read<Agent>(d.store, work21_);
    if (!agent) co_return error(ctx, agent.error());
    co_return json(ctx, 200, bj::object{{"agent", to_json(*agent)}, {"csrf_token", who->csrf_token}});
  }, {"The logged-in agent and the session's CSRF token", Auth::agent, "auth", "",
      std::string(R"({"type":"object","properties":{"agent":)") + kAgentSchema + R"(,"csrf_token":{"type":"string"}}})"});

  r.add("POST", "/api/v1/auth/password", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (who->agent_id.empty())
      co_return error(ctx, Error::forbidden("not_a_session", "log in as the agent to change its password"));
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto current = json::required_string(*body, "current_password", {}, 1024);
    if (!current) co_return error(ctx, current.error());
    auto next = json::required_string(*body, "new_password", {}, 1024);
    if (!next) co_return error(ctx, next.error());
    if (next->size() < 10)
      co_return error(ctx, Error::invalid("new_password", "use at least 10 characters", "weak_password"));
    auto p = *who;
    auto work22_ = [p](store::Tx& tx) -> Result<repo::AgentWithHash> {
      auto a = repo::get_agent(tx, p.tenant_id, p.agent_id);
      if (!a) return Error::not_found("agent");
      return std::move(*a);
    };
    auto agent = co_await db_read<repo::AgentWithHash>(d.store, work22_);
    if (!agent) co_return error(ctx, agent.error());
    std::string old_hash = agent->password_hash, cur = *current, nxt = *next;
    auto work23_ = [old_hash, cur] { return crypto::password_verify(old_hash, cur); };
    bool ok = co_await on_cpu<bool>(d.cpu, work23_);
    if (!ok) co_return error(ctx, Error{Errc::forbidden, "invalid_credentials", "current password is wrong", "current_password"});
    auto work24_ = [nxt] { return crypto::password_hash(nxt); };
    std::string new_hash = co_await on_cpu<std::string>(d.cpu, work24_);
    int64_t now = d.clock.now_ms();
    auto env = d.env();
    auto work25_ = [p, new_hash, now, &env](store::Tx& tx) -> Result<bool> {
      repo::set_agent_password(tx, p.tenant_id, p.agent_id, new_hash, now);
      repo::delete_agent_sessions(tx, p.tenant_id, p.agent_id);
      pipeline::emit(tx, env, p.tenant_id, event_type::kSessionRevoked, {}, {}, true,
                     bj::object{{"agent_id", p.agent_id}});
      return true;
    };
    auto w = co_await db_write<bool>(d.store, work25_);
    if (!w) co_return error(ctx, w.error());
    auto res = text_response(ctx.req, 204, "", "text/plain");
    res.set(beast::http::field::set_cookie, session_cookie(d, "", 0));
    co_return res;
  }, {"Change the logged-in agent's password; every session of the agent is revoked", Auth::agent, "auth",
      R"({"type":"object","required":["current_password","new_password"],"properties":{"current_password":{"type":"string"},"new_password":{"type":"string","minLength":10}}})",
      "", 204});
}

}  // namespace bottega::http::api
