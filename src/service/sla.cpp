#include "service/sla.hpp"

#include <boost/json/parse.hpp>

#include "channels/capabilities.hpp"
#include "core/json.hpp"
#include "hours/shop_hours.hpp"

namespace bottega::service {

namespace bj = boost::json;

const char* to_string(Target t) {
  switch (t) {
    case Target::first_response: return "first_response";
    case Target::next_response: return "next_response";
    case Target::resolution: return "resolution";
  }
  return "first_response";
}

std::optional<int64_t> Targets::get(Target t) const {
  switch (t) {
    case Target::first_response: return first_response_s;
    case Target::next_response: return next_response_s;
    case Target::resolution: return resolution_s;
  }
  return std::nullopt;
}

std::optional<int64_t> Dues::get(Target t) const {
  switch (t) {
    case Target::first_response: return first_response;
    case Target::next_response: return next_response;
    case Target::resolution: return resolution;
  }
  return std::nullopt;
}

const char* to_string(PolicyScope s) {
  switch (s) {
    case PolicyScope::none: return "none";
    case PolicyScope::fallback: return "default";
    case PolicyScope::level: return "priority";
    case PolicyScope::channel: return "channel";
  }
  return "none";
}

bool SlaPolicy::any() const {
  if (fallback.set()) return true;
  for (const auto& l : levels)
    if (l.set()) return true;
  for (const auto& [type, per_level] : channels)
    for (const auto& l : per_level)
      if (l.set()) return true;
  return false;
}

const Targets& SlaPolicy::targets_for(Level level, std::string_view channel_type, PolicyScope* scope) const {
  auto li = static_cast<size_t>(level);
  auto say = [&](PolicyScope s) {
    if (scope) *scope = s;
  };
  if (auto it = channels.find(std::string(channel_type)); it != channels.end() && it->second[li].set()) {
    say(PolicyScope::channel);
    return it->second[li];
  }
  if (levels[li].set()) {
    say(PolicyScope::level);
    return levels[li];
  }
  say(fallback.set() ? PolicyScope::fallback : PolicyScope::none);
  return fallback;
}

namespace {

constexpr int64_t kMaxTarget = 366LL * 86400;

// One policy: {first_response_seconds, next_response_seconds, resolution_seconds}, each optional.
Result<Targets> parse_targets(const bj::value& v, const std::string& path) {
  Targets t;
  if (v.is_null()) return t;
  if (!v.is_object()) return Error::invalid(path, "a policy is an object", "invalid_type");
  for (const auto& f : v.as_object()) {
    std::string fp = path + "." + std::string(f.key());
    std::optional<int64_t>* slot = nullptr;
    if (f.key() == "first_response_seconds") slot = &t.first_response_s;
    else if (f.key() == "next_response_seconds") slot = &t.next_response_s;
    else if (f.key() == "resolution_seconds") slot = &t.resolution_s;
    else return Error::invalid(fp, "targets are first_response_seconds, next_response_seconds, resolution_seconds", "unknown_field");
    if (f.value().is_null()) continue;
    if (!f.value().is_int64() && !f.value().is_uint64()) return Error::invalid(fp, "a target is a whole number of seconds", "invalid_type");
    int64_t n = f.value().is_int64() ? f.value().as_int64() : static_cast<int64_t>(std::min<uint64_t>(f.value().as_uint64(), kMaxTarget + 1));
    if (n < 1 || n > kMaxTarget) return Error::invalid(fp, "a target is 1 second to 366 days");
    *slot = n;
  }
  return t;
}

Result<SlaPolicy> parse_sla(const bj::object& o, const std::string& path) {
  SlaPolicy p;
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"business_hours", "policies", "channels"}, path));
  BOTTEGA_TRY(bh, json::optional_bool(o, "business_hours", path + ".business_hours"));
  if (bh) p.business_hours = *bh;
  BOTTEGA_TRY(pol, json::optional_object(o, "policies", path + ".policies"));
  if (pol) {
    for (const auto& kv : *pol) {
      std::string lp = path + ".policies." + std::string(kv.key());
      if (kv.key() == "default") {
        BOTTEGA_TRY(t, parse_targets(kv.value(), lp));
        p.fallback = t;
        continue;
      }
      Level level;
      if (!level_from(std::string(kv.key()), level))
        return Error::invalid(lp, "policies are urgent, high, normal, low and default", "unknown_field");
      BOTTEGA_TRY(t, parse_targets(kv.value(), lp));
      p.levels[static_cast<size_t>(level)] = t;
    }
  }
  BOTTEGA_TRY(chans, json::optional_object(o, "channels", path + ".channels"));
  if (chans) {
    for (const auto& kv : *chans) {
      std::string type(kv.key());
      std::string cp = path + ".channels." + type;
      if (!channels::known_type(type))
        return Error::invalid(cp, "a channel type: webchat, whatsapp, messenger, instagram, telegram, twilio, viber, wechat, email",
                              "unknown_field");
      if (kv.value().is_null()) continue;
      if (!kv.value().is_object()) return Error::invalid(cp, "a channel's policies are an object", "invalid_type");
      std::array<Targets, 4> per_level;
      for (const auto& lv : kv.value().as_object()) {
        std::string lp = cp + "." + std::string(lv.key());
        Level level;
        if (!level_from(std::string(lv.key()), level))
          return Error::invalid(lp, "a channel's policies are per level: urgent, high, normal, low", "unknown_field");
        BOTTEGA_TRY(t, parse_targets(lv.value(), lp));
        per_level[static_cast<size_t>(level)] = t;
      }
      bool any = false;
      for (const auto& t : per_level) any = any || t.set();
      if (any) p.channels[type] = per_level;
    }
  }
  return p;
}

bj::object targets_json(const Targets& t) {
  auto v = [](const std::optional<int64_t>& x) { return x ? bj::value(*x) : bj::value(nullptr); };
  return bj::object{{"first_response_seconds", v(t.first_response_s)},
                    {"next_response_seconds", v(t.next_response_s)},
                    {"resolution_seconds", v(t.resolution_s)}};
}

bj::object sla_json(const SlaPolicy& p) {
  bj::object pol;
  for (Level l : {Level::urgent, Level::high, Level::normal, Level::low}) pol[to_string(l)] = targets_json(p.levels[static_cast<size_t>(l)]);
  pol["default"] = targets_json(p.fallback);
  bj::object chans;
  for (const auto& [type, per_level] : p.channels) {
    bj::object c;
    for (Level l : {Level::urgent, Level::high, Level::normal, Level::low})
      if (per_level[static_cast<size_t>(l)].set()) c[to_string(l)] = targets_json(per_level[static_cast<size_t>(l)]);
    chans[type] = std::move(c);
  }
  return bj::object{{"business_hours", p.business_hours}, {"policies", std::move(pol)}, {"channels", std::move(chans)}};
}

}  // namespace

Result<ServiceSettings> apply_settings_patch(const ServiceSettings& current, const bj::object& patch,
                                             const std::string& zoneinfo_dir) {
  ServiceSettings s = current;
  for (const auto& kv : patch) {
    std::string key(kv.key());
    if (key == "business_hours") {
      if (kv.value().is_null()) {
        s.hours = BusinessHours{};
        s.hours_configured = false;
        continue;
      }
      if (!kv.value().is_object()) return Error::invalid(key, "business_hours is an object", "invalid_type");
      BOTTEGA_TRY(h, parse_business_hours(kv.value().as_object(), key, zoneinfo_dir));
      s.hours = std::move(h);
      s.hours_configured = true;
    } else if (key == "sla") {
      if (kv.value().is_null()) {
        s.sla = SlaPolicy{};
        continue;
      }
      if (!kv.value().is_object()) return Error::invalid(key, "sla is an object", "invalid_type");
      BOTTEGA_TRY(p, parse_sla(kv.value().as_object(), key));
      s.sla = std::move(p);
    } else if (key == "assignment") {
      if (kv.value().is_null()) {
        s.assign_mode = AssignMode::off;
        s.default_capacity = 5;
        continue;
      }
      if (!kv.value().is_object()) return Error::invalid(key, "assignment is an object", "invalid_type");
      const auto& o = kv.value().as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(o, {"mode", "default_capacity"}, "assignment"));
      BOTTEGA_TRY(mode, json::optional_string(o, "mode", "assignment.mode", 32));
      if (mode && !assign_mode_from(*mode, s.assign_mode))
        return Error::invalid("assignment.mode", "mode is off, round_robin or least_loaded");
      BOTTEGA_TRY(cap, json::optional_int(o, "default_capacity", "assignment.default_capacity"));
      if (cap) {
        if (*cap < 1 || *cap > 1000) return Error::invalid("assignment.default_capacity", "a capacity is 1..1000");
        s.default_capacity = *cap;
      }
    } else if (key == "after_hours") {
      if (kv.value().is_null()) {
        s.after_hours = false;
        s.after_hours_message.clear();
        continue;
      }
      if (!kv.value().is_object()) return Error::invalid(key, "after_hours is an object", "invalid_type");
      const auto& o = kv.value().as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(o, {"enabled", "message"}, "after_hours"));
      BOTTEGA_TRY(on, json::optional_bool(o, "enabled", "after_hours.enabled"));
      if (on) s.after_hours = *on;
      BOTTEGA_TRY(msg, json::optional_string(o, "message", "after_hours.message", 2000));
      if (auto it = o.find("message"); it != o.end() && it->value().is_null()) s.after_hours_message.clear();
      if (msg) s.after_hours_message = *msg;
    } else if (key == "csat") {
      if (kv.value().is_null()) {
        s.csat = false;
        continue;
      }
      if (!kv.value().is_object()) return Error::invalid(key, "csat is an object", "invalid_type");
      const auto& o = kv.value().as_object();
      BOTTEGA_TRY_STATUS(json::only_keys(o, {"enabled"}, "csat"));
      BOTTEGA_TRY(on, json::optional_bool(o, "enabled", "csat.enabled"));
      if (on) s.csat = *on;
    } else {
      return Error::invalid(key, "unknown field", "unknown_field");
    }
  }
  return s;
}

bj::object to_json(const ServiceSettings& s) {
  bj::object o;
  o["business_hours"] = to_json(s.hours);
  o["business_hours_configured"] = s.hours_configured;
  o["sla"] = sla_json(s.sla);
  o["assignment"] = bj::object{{"mode", to_string(s.assign_mode)}, {"default_capacity", s.default_capacity}};
  o["csat"] = bj::object{{"enabled", s.csat}};
  o["after_hours"] = bj::object{{"enabled", s.after_hours},
                                {"message", s.after_hours_message.empty() ? bj::value(nullptr) : bj::value(s.after_hours_message)}};
  return o;
}

ServiceSettings settings_from_json(const std::string& stored, const std::string& zoneinfo_dir) {
  ServiceSettings s;
  boost::system::error_code ec;
  auto v = bj::parse(stored, ec);
  if (ec || !v.is_object()) return s;
  bj::object patch;
  const auto& o = v.as_object();
  for (const char* k : {"sla", "assignment", "after_hours", "csat"})
    if (auto* p = o.if_contains(k)) patch[k] = *p;
  auto r = apply_settings_patch(s, patch, zoneinfo_dir);
  if (r) s = std::move(*r);
  auto shop = hours::from_stored_settings(stored, zoneinfo_dir);  // the one reader the bot uses too
  s.hours = std::move(shop.hours);
  s.hours_configured = shop.configured;
  return s;
}

Dues compute_dues(const ServiceSettings& s, Level level, std::string_view channel_type, const SlaClock& c) {
  Dues d;
  if (!c.active) return d;
  const Targets& t = s.sla.targets_for(level, channel_type);
  auto add = [&](int64_t start, int64_t secs) -> std::optional<int64_t> {
    int64_t at = s.sla.business_hours ? s.hours.add_business_seconds(start, secs) : start + secs * 1000;
    if (at < 0) return std::nullopt;
    return at;
  };
  if (c.waiting_since) {
    if (!c.person_replied && t.first_response_s) d.first_response = add(*c.waiting_since, *t.first_response_s);
    if (c.person_replied && t.next_response_s) d.next_response = add(*c.waiting_since, *t.next_response_s);
  }
  if (t.resolution_s) d.resolution = add(c.opened_at, *t.resolution_s);
  return d;
}

}  // namespace bottega::service
