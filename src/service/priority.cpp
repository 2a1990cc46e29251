#include "service/priority.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/model.hpp"

namespace bottega::service {

namespace bj = boost::json;

const char* to_string(Level l) {
  switch (l) {
    case Level::low: return "low";
    case Level::normal: return "normal";
    case Level::high: return "high";
    case Level::urgent: return "urgent";
  }
  return "normal";
}

bool level_from(const std::string& s, Level& out) {
  for (Level l : {Level::low, Level::normal, Level::high, Level::urgent})
    if (s == to_string(l)) {
      out = l;
      return true;
    }
  return false;
}

PriorityBase base_score(const PriorityInput& in) {
  PriorityBase b;
  auto has = [&](const char* t) {
    for (const auto& tag : in.tags) {
      if (tag.size() != std::char_traits<char>::length(t)) continue;
      bool same = true;
      for (size_t i = 0; i < tag.size() && same; ++i)
        same = std::tolower(static_cast<unsigned char>(tag[i])) == t[i];
      if (same) return true;
    }
    return false;
  };
  if (has("presale")) {
    b.intent = "presale";
    b.components.push_back({"intent", 400, "pre-sale question"});
  } else if (has("order-status") || has("refund") || has("discount-issue") || has("policy") || has("human-request")) {
    b.intent = "postsale";
    std::string which;
    for (const char* t : {"order-status", "refund", "discount-issue", "policy", "human-request"})
      if (has(t)) which += (which.empty() ? "" : ", ") + std::string(t);
    b.components.push_back({"intent", 100, "post-sale: " + which});
  } else {
    b.intent = "none";
  }
  if (in.explicit_priority > 0)
    b.components.push_back({"explicit", in.explicit_priority, "priority set on the conversation"});
  if (in.cart_value_minor > 0) {
    int64_t pts = std::min<int64_t>(150, in.cart_value_minor / 1000);
    if (pts > 0) b.components.push_back({"cart_value", pts, "open cart worth " + std::to_string(in.cart_value_minor / 100) + " (major units)"});
  }
  if (in.returning) b.components.push_back({"returning", 30, "returning customer (has paid orders)"});
  if (!in.channel_type.empty() && in.channel_type != "email")
    b.components.push_back({"channel", 20, "live channel (" + in.channel_type + ")"});
  for (const auto& c : b.components) {
    b.points += c.points;
    if (c.factor == "cart_value" || c.factor == "returning") b.stored_points += c.points;
  }

  if (in.explicit_priority >= 750) b.level = Level::urgent;
  else if (in.explicit_priority >= 500) b.level = Level::high;
  else if (in.explicit_priority >= 250) b.level = Level::normal;
  else if (in.explicit_priority > 0) b.level = Level::low;
  else b.level = b.intent == "presale" ? Level::high : Level::normal;
  return b;
}

int64_t waiting_points(int64_t waiting_since_ms, int64_t now_ms) {
  if (waiting_since_ms < 0 || now_ms <= waiting_since_ms) return 0;
  if (now_ms - waiting_since_ms >= kWaitCapPoints / kWaitPointsPerMinute * 60'000) return kWaitCapPoints;
  return (now_ms - waiting_since_ms) / 60'000 * kWaitPointsPerMinute;
}

bj::object explain(const PriorityBase& base, int64_t waiting_since_ms, int64_t now_ms) {
  bj::array comps;
  for (const auto& c : base.components)
    comps.push_back(bj::object{{"factor", c.factor}, {"points", c.points}, {"detail", c.detail}});
  int64_t w = waiting_points(waiting_since_ms, now_ms);
  if (waiting_since_ms >= 0)
    comps.push_back(bj::object{{"factor", "waiting"}, {"points", w},
                               {"detail", "waiting " + std::to_string(std::max<int64_t>(0, now_ms - waiting_since_ms) / 60'000) +
                                              " min for an answer (2 points a minute, at most 240)"}});
  bj::object o{{"score", base.points + w}, {"level", to_string(base.level)}, {"intent", base.intent},
               {"components", std::move(comps)}};
  o["waiting_since"] = waiting_since_ms >= 0 ? bj::value(rfc3339(waiting_since_ms)) : bj::value(nullptr);
  return o;
}

}  // namespace bottega::service
