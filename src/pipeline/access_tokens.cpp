#include "pipeline/access_tokens.hpp"

#include "channels/registry.hpp"

namespace bottega::pipeline::access_tokens {

using store::Stmt;

namespace {

constexpr Stmt kGet{"access_tokens.get",
                    "SELECT token FROM channel_access_tokens WHERE tenant_id = $1 AND channel_id = $2 AND expires_at > $3"};
constexpr Stmt kPut{"access_tokens.put",
                    "INSERT INTO channel_access_tokens(tenant_id, channel_id, token, expires_at, updated_at) "
                    "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (tenant_id, channel_id) DO UPDATE SET "
                    "token = excluded.token, expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                    "INSERT INTO channel_access_tokens(tenant_id, channel_id, token, expires_at, updated_at) "
                    "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (tenant_id, channel_id) DO UPDATE SET "
                    "token = EXCLUDED.token, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at"};
constexpr Stmt kDrop{"access_tokens.drop",
                     "DELETE FROM channel_access_tokens WHERE tenant_id = $1 AND channel_id = $2 AND token = $3"};

}  // namespace

std::optional<std::string> get(Tx& tx, const std::string& tenant, const std::string& channel_id, int64_t now_ms) {
  if (auto r = tx.query_one(kGet, {tenant, channel_id, now_ms + kRefreshMarginMs})) return r->str(0);
  return std::nullopt;
}

void put(Tx& tx, const std::string& tenant, const std::string& channel_id, const std::string& token,
         int64_t expires_in_s, int64_t now_ms) {
  tx.exec(kPut, {tenant, channel_id, token, now_ms + expires_in_s * 1000, now_ms});
}

void drop(Tx& tx, const std::string& tenant, const std::string& channel_id, const std::string& token) {
  tx.exec(kDrop, {tenant, channel_id, token});
}

void fetch(store::Store& store, HttpClient& http, const Clock& clock, const channels::ChannelAdapter& adapter,
           const boost::json::object& settings, std::string tenant, std::string channel_id,
           std::function<void(Result<std::string>, bool)> done) {
  if (!adapter.build_token_request || !adapter.parse_token_response)
    return done(Error::internal("this channel type has no access tokens"), false);
  auto parsed = adapter.parse_settings(settings);
  if (!parsed) return done(parsed.error(), false);
  auto request = adapter.build_token_request(*parsed);
  if (!request) return done(request.error(), false);
  const channels::ChannelAdapter* a = &adapter;
  http.send(std::move(*request), [&store, &clock, a, tenant = std::move(tenant), channel_id = std::move(channel_id),
                                   done = std::move(done)](Result<HttpResponse> r) {
    if (!r) return done(r.error(), true);
    auto token = a->parse_token_response(r->status, r->body);
    if (!token) return done(token.error(), false);
    std::string value = token->token;
    int64_t expires_in = token->expires_in_s, now = clock.now_ms();
    store.write([tenant, channel_id, value, expires_in, now](Tx& tx) -> Status {
      put(tx, tenant, channel_id, value, expires_in, now);
      return {};
    }, [value, done](Status st) {
      if (!st.ok()) return done(st.error(), true);
      done(value, false);
    });
  });
}

}  // namespace bottega::pipeline::access_tokens
