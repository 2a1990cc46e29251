// Cached provider access tokens (WeChat's access_token), shared by every node through the store:
// WeChat invalidates a token 5 minutes after a new one is issued, so nodes must not each fetch
// their own. One row per channel. The send job reads it, fetches a new one when it is missing or
// about to expire, and drops it when the provider says it is no longer valid.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "bottega/clock.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"

namespace bottega::channels {
struct ChannelAdapter;
}

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

// Fetches a new token from the provider through the adapter (build_token_request,
// parse_token_response) and stores it for every node; `done` then gets it. On failure `done`
// gets the error and whether it was the network (no answer) or the store rather than the
// provider's refusal (worth a retry either way).
// Used by every job that calls a token-authenticated API (channel.send, media.download).
void fetch(store::Store& store, HttpClient& http, const Clock& clock, const channels::ChannelAdapter& adapter,
           const boost::json::object& settings, std::string tenant, std::string channel_id,
           std::function<void(Result<std::string> token, bool network_error)> done);

}  // namespace bottega::pipeline::access_tokens
