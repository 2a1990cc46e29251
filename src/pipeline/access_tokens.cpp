#include "pipeline/access_tokens.hpp"

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

}  // namespace bottega::pipeline::access_tokens
