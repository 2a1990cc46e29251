// How fast Bottega sends to each provider, as data (rate_limits.cpp), and how to read a provider's
// "slow down" answer. The pacing itself (cells in the store shared by every node) is in
// src/pipeline/rate_bucket.hpp; the channel.send job consults both.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels {

// A channel's send rate: per_second messages per second over the whole channel (a WhatsApp number,
// a page, a bot, a sender), with a burst of one second's worth; and, per recipient, one message
// every per_recipient_interval_ms with bursts of per_recipient_burst. 0 disables either limit.
struct SendRate {
  int64_t per_second = 0;
  int64_t per_recipient_interval_ms = 0;
  int64_t per_recipient_burst = 1;
};

// The provider's documented default for a channel type (see rate_limits.cpp for the sources); no
// limit for web chat, email and unknown types.
SendRate default_send_rate(std::string_view type);

// The rate for a channel: the type's default, overridden field by field by the channel's optional
// settings.send_rate {"per_second", "per_recipient_interval_ms", "per_recipient_burst"} (e.g. a
// WhatsApp number upgraded to 1000 messages/s, or a coexistence number fixed at 20). Errors name
// the field ("settings.send_rate.per_second").
Result<SendRate> send_rate(std::string_view type, const boost::json::object& settings);

// What a provider's rate-limit answer asks for. scope: whether the limit is on the whole channel
// (throughput) or on this one recipient (WhatsApp's pair rate limit 131056, a Telegram chat).
struct Throttle {
  enum class Scope { channel, recipient } scope = Scope::channel;
  int64_t retry_after_ms = 0;
};

// Reads a send answer the adapter judged rate-limited (Errc::rate_limited): the provider's own
// delay (HTTP Retry-After in seconds or an HTTP date; Telegram's parameters.retry_after) or, where
// it gives none, the provider's documented back-off for that code (WhatsApp 131056: 4^n seconds,
// n = attempts so far, capped). now_ms is for Retry-After dates. attempts >= 1.
Throttle read_throttle(std::string_view type, const HttpResponse& response, int64_t attempts, int64_t now_ms);

}  // namespace bottega::channels
