// One provider message of an outbound message, as the send job sends it (ChannelAdapter::build_parts).
// Pure data plus, for a chained part, the function that reads the provider's answer; no I/O here.
#pragma once

#include <functional>
#include <string_view>

#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels {

// Most parts are one request whose answer parse_send_response reads. A part whose message names
// something the provider hands out first (WeChat: an image message names the media_id that its
// cgi-bin/media/upload answered) is a chain of two: `request` obtains it, and `then` builds the
// request that sends the part from the answer to it (HTTP status, body). `then`'s errors are read
// like parse_send_response's: Errc::unauthenticated "access_token_invalid" (get a new token and send
// `request` again), Errc::rate_limited and Errc::unavailable (transient), anything else refuses the
// part. A chain is redone from `request` when its part is sent again (after a crash or a transient
// error), so `request` must be harmless to repeat (an upload; never a message the customer sees).
struct SendPart {
  HttpRequest request;
  std::function<Result<HttpRequest>(int http_status, std::string_view body)> then{};
};

}  // namespace bottega::channels
