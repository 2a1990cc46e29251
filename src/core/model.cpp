#include "core/model.hpp"
#include "core/model_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>

namespace bottega {

namespace bj = boost::json;

std::string rfc3339(int64_t ms) {
  // Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's civil_from_days), without
  // gmtime_r and snprintf: two calls per web chat message cost ~3,700 instructions each.
  int64_t secs = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {  // outside what four digits say: the general formatter
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
    return buf;
  }
  char out[25] = "0000-00-00T00:00:00.000Z";
  auto put = [&out](int pos, int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) out[pos + i] = static_cast<char>('0' + v % 10);
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  put(20, millis, 3);
  return std::string(out, 24);
}

std::string_view to_string(Role r) { return r == Role::admin ? "admin" : "agent"; }
std::optional<Role> role_from(std::string_view s) {
  if (s == "admin") return Role::admin;
  if (s == "agent") return Role::agent;
  return std::nullopt;
}

std::string_view to_string(ConversationStatus s) {
  switch (s) {
    case ConversationStatus::open: return "open";
    case ConversationStatus::pending: return "pending";
    case ConversationStatus::snoozed: return "snoozed";
    case ConversationStatus::resolved: return "resolved";
  }
  return "open";
}

std::optional<ConversationStatus> conversation_status_from(std::string_view s) {
  if (s == "open") return ConversationStatus::open;
  if (s == "pending") return ConversationStatus::pending;
  if (s == "snoozed") return ConversationStatus::snoozed;
  if (s == "resolved") return ConversationStatus::resolved;
  return std::nullopt;
}

namespace {
bj::value opt(const std::optional<std::string>& s) {
  if (s) return bj::value(*s);
  return nullptr;
}
bj::value parse_or_empty(const std::string& text) {
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec || !v.is_object()) return bj::object{};
  return v;
}
}  // namespace

bj::object to_json(const Agent& a) {
  return {{"id", a.id}, {"tenant_id", a.tenant_id}, {"email", a.email}, {"name", a.name},
          {"role", to_string(a.role)}};
}

bj::object to_json(const Conversation& c) {
  bj::array tags;
  for (const auto& t : c.tags) tags.emplace_back(t);
  bj::value last = nullptr;
  if (c.last_message_text)
    last = bj::object{{"text", *c.last_message_text},
                      {"direction", c.last_message_direction.value_or("in")},
                      {"author_kind", c.last_message_author.value_or("contact")},
                      {"created_at", rfc3339(c.last_message_at)}};
  return {{"id", c.id},
          {"channel_id", c.channel_id},
          {"channel_type", c.channel_type},
          {"contact", bj::object{{"id", c.contact_id}, {"name", c.contact_name}}},
          {"status", to_string(c.status)},
          {"priority", c.priority},
          {"assignee_id", opt(c.assignee_id)},
          {"tags", std::move(tags)},
          {"subject", opt(c.subject)},
          {"last_message", std::move(last)},
          {"first_response_at", c.first_response_at ? bj::value(rfc3339(*c.first_response_at)) : bj::value(nullptr)},
          {"snoozed_until", c.status == ConversationStatus::snoozed && c.snoozed_until ? bj::value(rfc3339(*c.snoozed_until))
                                                                                      : bj::value(nullptr)},
          {"created_at", rfc3339(c.created_at)},
          {"updated_at", rfc3339(c.updated_at)}};
}

bj::object to_json(const Message& m) {
  return {{"id", m.id},
          {"conversation_id", m.conversation_id},
          {"direction", m.direction},
          {"author", bj::object{{"kind", m.author_kind}, {"id", opt(m.author_id)}}},
          {"kind", m.kind},
          {"text", m.text},
          {"content", parse_or_empty(m.content_json)},
          {"delivery", bj::object{{"state", m.delivery_state}, {"error", opt(m.delivery_error)}}},
          {"created_at", rfc3339(m.created_at)}};
}

void append_json_string(std::string& out, std::string_view s) {
  // boost::json escapes '"', '\\' and the bytes below 0x20, nothing else (serializer.ipp).
  bool plain = true;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (!plain) {
    out += bj::serialize(bj::string_view(s.data(), s.size()));
    return;
  }
  out += '"';
  out.append(s);
  out += '"';
}

std::string message_json(const Message& m) {
  std::string out;
  out.reserve(256 + m.text.size() + m.content_json.size());
  auto field = [&](const char* key, std::string_view v) {
    out.append(key);
    append_json_string(out, v);
  };
  auto opt_field = [&](const char* key, const std::optional<std::string>& v) {
    if (v) return field(key, *v);
    out.append(key).append("null");
  };
  field("{\"id\":", m.id);
  field(",\"conversation_id\":", m.conversation_id);
  field(",\"direction\":", m.direction);
  field(",\"author\":{\"kind\":", m.author_kind);
  opt_field(",\"id\":", m.author_id);
  field("},\"kind\":", m.kind);
  field(",\"text\":", m.text);
  out.append(",\"content\":");
  if (m.content_json.empty() || m.content_json == "{}") out.append("{}");
  else out.append(bj::serialize(parse_or_empty(m.content_json)));
  field(",\"delivery\":{\"state\":", m.delivery_state);
  opt_field(",\"error\":", m.delivery_error);
  field("},\"created_at\":", rfc3339(m.created_at));
  out += '}';
  return out;
}

bj::object to_json(const Channel& c, std::string_view public_url) {
  static const char* kSecretKeys[] = {"access_token", "app_secret",  "verify_token", "page_access_token",
                                      "bot_token",    "secret_token", "auth_token",   "password",
                                      "api_key",      "secret_key",   "webhook_secret", "hmac_key",
                                      "smtp_password", "token"};  // token: WeChat's server Token
  bj::object settings = parse_or_empty(c.settings_json).as_object();
  for (const char* k : kSecretKeys) {
    if (settings.contains(k)) settings[k] = "********";
  }
  std::string webhook = std::string(public_url) + "/webhooks/" + c.id;
  return {{"id", c.id},           {"type", c.type},
          {"name", c.name},       {"settings", std::move(settings)},
          {"webhook_url", webhook}, {"created_at", rfc3339(c.created_at)}};
}

}  // namespace bottega
