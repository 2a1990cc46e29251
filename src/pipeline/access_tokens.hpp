// Cached provider access tokens (WeChat's access_token), shared by every node through the store:
// WeChat invalidates a token 5 minutes after a new one is issued, so nodes must not each fetch
// their own. One row per channel. The send job reads it, fetches a new one when it is missing or
// about to expire, and drops it when the provider says it is no longer valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bottega/store.hpp"

namespace bottega::pipeline::access_tokens {

using store::Tx;

// Tokens are used only while more than this remains of their life.
inline constexpr int64_t kRefreshMarginMs = 5 * 60 * 1000;

// The channel's cached token when it is valid for more than kRefreshMarginMs after now_ms.
std::optional<std::string> get(Tx& tx, const std::string& tenant, const std::string& channel_id, int64_t now_ms);
// Stores a token issued at now_ms for expires_in_s seconds (replacing the channel's previous one).
void put(Tx& tx, const std::string& tenant, const std::string& channel_id, const std::string& token,
         int64_t expires_in_s, int64_t now_ms);
// Forgets the channel's token if it is still `token` (a newer one fetched meanwhile is kept).
void drop(Tx& tx, const std::string& tenant, const std::string& channel_id, const std::string& token);

}  // namespace bottega::pipeline::access_tokens
