#include "channels/rate_limits.hpp"

#include <boost/json/parse.hpp>
#include <ctime>
#include <strings.h>

#include "core/json.hpp"

namespace bottega::channels {

namespace bj = boost::json;

namespace {

struct Row {
  std::string_view type;
  SendRate rate;
};

// Sources: providers.md. WhatsApp Cloud API: 80 messages/s per business number by default (1.5
// "Throughput"), and the pair rate limit of about one message every 6 s to one user with bursts up
// to 45 (131056). Telegram's bot FAQ: about 30 messages/s overall and no more than one a second in
// one chat. Twilio queues above a sender's throughput itself; 1/s is an SMS long code's rate, so
// sending faster only grows Twilio's queue (raise it for short codes, toll-free and WhatsApp
// senders through settings.send_rate). Messenger and Instagram publish no per-page number in the
// reference; 40/s is a conservative pace that keeps well under the app-level call limits (613).
// Viber's send_message (creators.viber.com, "Send a Message"): at most 100 messages to one user
// within an hour without a reply (status 12): one per 72 s with bursts of 50 never exceeds 100 in
// any hour; Viber publishes no per-bot throughput, 20/s is a conservative pace. WeChat publishes
// daily call quotas (45009) and a per-minute limit (45011), no per-second figure: 20/s.
// clang-format off
constexpr Row kTable[] = {
    //             per channel/s  per recipient: interval ms, burst
    {"whatsapp",  {80,            6000,  45}},
    {"telegram",  {30,            1000,  1}},
    {"twilio",    {1,             0,     1}},
    {"messenger", {40,            0,     1}},
    {"instagram", {40,            0,     1}},
    {"viber",     {20,            72000, 50}},
    {"wechat",    {20,            0,     1}},
};
// clang-format on

const bj::object* object_or_null(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3). Nothing usable: nullopt.
std::optional<int64_t> retry_after_header(const HttpResponse& r, int64_t now_ms) {
  for (const auto& [name, value] : r.headers) {
    if (strcasecmp(name.c_str(), "Retry-After") != 0) continue;
    if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos && value.size() <= 9)
      return std::stoll(value) * 1000;
    std::tm tm{};
    const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end && *end == '\0') {
      int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
      return at_ms > now_ms ? at_ms - now_ms : 0;
    }
  }
  return std::nullopt;
}

int64_t meta_code(std::string_view body) {
  auto root = json::parse_object(body, {1 << 20, 16});
  if (!root.ok()) return 0;
  const bj::object* e = object_or_null(*root, "error");
  if (!e) return 0;
  auto c = json::optional_int(*e, "code");
  return c.ok() && *c ? **c : 0;
}

}  // namespace

SendRate default_send_rate(std::string_view type) {
  for (const auto& row : kTable)
    if (row.type == type) return row.rate;
  return {};
}

Result<SendRate> send_rate(std::string_view type, const bj::object& settings) {
  SendRate r = default_send_rate(type);
  auto* v = settings.if_contains("send_rate");
  if (!v || v->is_null()) return r;
  if (!v->is_object()) return Error::invalid("settings.send_rate", "must be an object", "invalid_type");
  for (const auto& kv : v->get_object()) {
    std::string field = "settings.send_rate." + std::string(kv.key());
    int64_t lo = 0, hi = 0;
    int64_t* out = nullptr;
    if (kv.key() == "per_second") out = &r.per_second, lo = 0, hi = 100000;
    else if (kv.key() == "per_recipient_interval_ms") out = &r.per_recipient_interval_ms, lo = 0, hi = 86400000;
    else if (kv.key() == "per_recipient_burst") out = &r.per_recipient_burst, lo = 1, hi = 1000;
    else return Error::invalid(field, "unknown field (per_second, per_recipient_interval_ms, per_recipient_burst)", "unknown_field");
    if (!kv.value().is_int64() && !kv.value().is_uint64())
      return Error::invalid(field, "must be an integer", "invalid_type");
    int64_t n = kv.value().is_int64() ? kv.value().get_int64() : static_cast<int64_t>(kv.value().get_uint64());
    if (kv.value().is_uint64() && kv.value().get_uint64() > static_cast<uint64_t>(hi)) n = hi + 1;
    if (n < lo || n > hi)
      return Error::invalid(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi), "out_of_range");
    *out = n;
  }
  return r;
}

Throttle read_throttle(std::string_view type, const HttpResponse& response, int64_t attempts, int64_t now_ms) {
  Throttle t;
  if (attempts < 1) attempts = 1;
  std::optional<int64_t> asked = retry_after_header(response, now_ms);
  if (type == "telegram") {
    // A 429 names its own wait in parameters.retry_after; it is a flood limit on the chat.
    t.scope = Throttle::Scope::recipient;
    auto root = json::parse_object(response.body, {1 << 20, 16});
    if (root.ok())
      if (const bj::object* p = object_or_null(*root, "parameters"))
        if (auto ra = json::optional_int(*p, "retry_after"); ra.ok() && *ra && **ra > 0) asked = **ra * 1000;
  } else if (type == "wechat") {
    // 45011: the per-minute quota, try the next minute; 45009: the daily quota, try in an hour.
    auto root = json::parse_object(response.body, {1 << 20, 16});
    if (root.ok())
      if (auto c = json::optional_int(*root, "errcode"); c.ok() && *c && !asked)
        asked = **c == 45009 ? 3600 * 1000 : **c == 45011 ? 60 * 1000 : 2000;
  } else if (type == "viber") {
    // Status 12: the 100-messages-an-hour limit towards one user who has not replied. It clears
    // when the user writes or the hour passes; no delay is given: 1, 2, 4... minutes, at most 1 h.
    t.scope = Throttle::Scope::recipient;
    if (!asked) asked = std::min<int64_t>(60LL << std::min<int64_t>(attempts - 1, 6), 3600) * 1000;
  } else if (type == "whatsapp" || type == "messenger" || type == "instagram") {
    if (meta_code(response.body) == 131056) {
      // Pair rate limit: back off 4^n seconds (providers.md), n the attempts so far, at most 4^5.
      t.scope = Throttle::Scope::recipient;
      int64_t s = 1;
      for (int64_t i = 0; i < std::min<int64_t>(attempts, 5); ++i) s *= 4;
      if (!asked) asked = s * 1000;
    }
  }
  // Throughput limits without a stated delay: a short pause for the whole channel, long enough for
  // the provider's one-second window to pass.
  t.retry_after_ms = std::clamp<int64_t>(asked.value_or(2000), 1, 3600 * 1000);
  return t;
}

}  // namespace bottega::channels
