// The shop's team: list agents (any agent, so the console can show who a conversation is assigned
// to), invite an agent with a first password (admins), change an agent's name or role (admins;
// the last admin cannot be demoted, so a shop can never lock itself out).
#include <algorithm>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr store::Stmt kUpdateAgent{
    "agents.update", "UPDATE agents SET name = $3, role = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2"};

// A plausible address: one @, something on both sides, a dot in the domain, no spaces or controls.
bool plausible_email(std::string_view e) {
  auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= e.size() || e.find('@', at + 1) != std::string_view::npos)
    return false;
  auto domain = e.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.') return false;
  return std::none_of(e.begin(), e.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

std::string lower_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Result<std::string> agent_name(const bj::object& body) {
  BOTTEGA_TRY(name, json::required_string(body, "name", {}, 200));
  std::string n = name;
  if (n.find_first_not_of(" \t") == std::string::npos) return Error::invalid("name", "name must not be blank");
  return n;
}

}  // namespace

void register_agent_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/agents", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto list_work = [tenant](store::Tx& tx) -> Result<std::vector<Agent>> { return repo::list_agents(tx, tenant); };
    auto rows = co_await db_read<std::vector<Agent>>(d.store, list_work);
    if (!rows) co_return error(ctx, rows.error());
    bj::array data;
    for (const auto& a : *rows) data.push_back(to_json(a));
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"The shop's agents (by email)", Auth::agent, "agents", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kAgentSchema + "}}}"});

  r.add("POST", "/api/v1/agents", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto s = require_admin(*who); !s) co_return error(ctx, s.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"email", "name", "role", "password"}); !st) co_return error(ctx, st.error());
    auto email = json::required_string(*body, "email", {}, 320);
    if (!email) co_return error(ctx, email.error());
    if (!plausible_email(*email)) co_return error(ctx, Error::invalid("email", "not an email address"));
    auto name = agent_name(*body);
    if (!name) co_return error(ctx, name.error());
    auto role_s = json::required_string(*body, "role", {}, 16);
    if (!role_s) co_return error(ctx, role_s.error());
    auto role = role_from(*role_s);
    if (!role) co_return error(ctx, Error::invalid("role", "role is admin or agent"));
    auto password = json::required_string(*body, "password", {}, 1024);
    if (!password) co_return error(ctx, password.error());
    if (password->size() < 10)
      co_return error(ctx, Error::invalid("password", "use at least 10 characters", "weak_password"));
    std::string pw = *password;
    auto hash_work = [pw] { return crypto::password_hash(pw); };
    std::string hash = co_await on_cpu<std::string>(d.cpu, hash_work);
    Agent a;
    a.tenant_id = who->tenant_id;
    a.email = lower_ascii(*email);
    a.name = *name;
    a.role = *role;
    int64_t now = d.clock.now_ms();
    auto& ids = d.ids;
    auto create_work = [a, hash, now, &ids](store::Tx& tx) mutable -> Result<Rendered> {
      if (repo::find_agent_by_email(tx, a.email))
        return Error{Errc::conflict, "email_taken", "an account with this email exists", "email"};
      a.id = ids.next("ag");
      repo::create_agent(tx, a, hash, now);
      return Rendered{201, bj::serialize(to_json(a))};
    };
    co_return co_await idempotent_write(d, ctx, who->tenant_id, create_work);
  }, {"Add an agent with a first password (admins only); the email is unique", Auth::agent, "agents",
      R"({"type":"object","required":["email","name","role","password"],"additionalProperties":false,"properties":{"email":{"type":"string"},"name":{"type":"string"},"role":{"type":"string","enum":["admin","agent"]},"password":{"type":"string","minLength":10}}})",
      kAgentSchema, 201, true});

  r.add("PATCH", "/api/v1/agents/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto s = require_admin(*who); !s) co_return error(ctx, s.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    std::optional<std::string> name;
    std::optional<Role> role;
    for (const auto& kv : *body) {
      if (kv.key() == "name") {
        auto n = agent_name(*body);
        if (!n) co_return error(ctx, n.error());
        name = *n;
      } else if (kv.key() == "role") {
        auto rs = json::required_string(*body, "role", {}, 16);
        if (!rs) co_return error(ctx, rs.error());
        role = role_from(*rs);
        if (!role) co_return error(ctx, Error::invalid("role", "role is admin or agent"));
      } else {
        co_return error(ctx, Error::invalid(std::string(kv.key()), "unknown field", "unknown_field"));
      }
    }
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t now = d.clock.now_ms();
    auto update_work = [tenant, id, name, role, now](store::Tx& tx) -> Result<Agent> {
      auto found = repo::get_agent(tx, tenant, id);
      if (!found) return Error::not_found("agent");
      Agent a = found->agent;
      if (role && *role == Role::agent && a.role == Role::admin) {
        auto all = repo::list_agents(tx, tenant);
        auto admins = std::count_if(all.begin(), all.end(), [](const Agent& x) { return x.role == Role::admin; });
        if (admins <= 1)
          return Error{Errc::conflict, "last_admin", "the shop needs at least one admin", "role"};
      }
      if (name) a.name = *name;
      if (role) a.role = *role;
      tx.exec(kUpdateAgent, {tenant, id, a.name, std::string(to_string(a.role)), now});
      return a;
    };
    auto updated = co_await db_write<Agent>(d.store, update_work);
    if (!updated) co_return error(ctx, updated.error());
    co_return json(ctx, 200, to_json(*updated));
  }, {"Change an agent's name or role (admins only); the last admin cannot be demoted", Auth::agent, "agents",
      R"({"type":"object","additionalProperties":false,"properties":{"name":{"type":"string"},"role":{"type":"string","enum":["admin","agent"]}}})",
      kAgentSchema});
}

}  // namespace bottega::http::api
