#include "channels/window.hpp"

#include "core/model.hpp"

namespace bottega::channels {

namespace bj = boost::json;

namespace {

bool template_name_ok(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool language_ok(std::string_view s) {
  if (s.size() < 2 || s.size() > 16) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

Result<std::vector<MessageTemplate>> parse_templates(const bj::object& settings) {
  std::vector<MessageTemplate> out;
  auto it = settings.find("templates");
  if (it == settings.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) return Error::invalid("settings.templates", "an array of templates", "invalid_type");
  const auto& a = it->value().as_array();
  if (a.size() > 100) return Error::invalid("settings.templates", "at most 100 templates");
  for (size_t i = 0; i < a.size(); ++i) {
    std::string path = "settings.templates[" + std::to_string(i) + "]";
    if (!a[i].is_object()) return Error::invalid(path, "a template {name, language, parameters}", "invalid_type");
    const auto& o = a[i].as_object();
    for (const auto& kv : o)
      if (kv.key() != "name" && kv.key() != "language" && kv.key() != "parameters")
        return Error::invalid(path + "." + std::string(kv.key()), "unknown template field", "unknown_field");
    MessageTemplate t;
    auto* name = o.if_contains("name");
    if (!name || !name->is_string() || !template_name_ok(name->as_string()))
      return Error::invalid(path + ".name", "a template name of lowercase letters, digits and _");
    t.name = std::string(name->as_string());
    auto* lang = o.if_contains("language");
    if (!lang || !lang->is_string() || !language_ok(lang->as_string()))
      return Error::invalid(path + ".language", "a language code such as en_US");
    t.language = std::string(lang->as_string());
    if (auto* p = o.if_contains("parameters"); p && !p->is_null()) {
      if (!p->is_int64() || p->as_int64() < 0 || p->as_int64() > 20)
        return Error::invalid(path + ".parameters", "the number of body parameters, 0..20");
      t.parameters = static_cast<size_t>(p->as_int64());
    }
    for (const auto& prev : out)
      if (prev.name == t.name && prev.language == t.language)
        return Error::invalid(path + ".name", "template " + t.name + " (" + t.language + ") is listed twice");
    out.push_back(std::move(t));
  }
  return out;
}

WindowPolicy window_policy(std::string_view type) {
  if (type == "whatsapp") return WindowPolicy::whatsapp;
  if (type == "messenger" || type == "instagram") return WindowPolicy::meta;
  if (type == "wechat") return WindowPolicy::wechat;
  return WindowPolicy::none;
}

int replies_per_inbound(std::string_view type) { return type == "wechat" ? 5 : 0; }

WindowState window_state(std::string_view type, std::optional<int64_t> last, int64_t now) {
  WindowState w;
  w.policy = window_policy(type);
  w.last_inbound_ms = last;
  if (w.policy == WindowPolicy::none) return w;
  if (!last) {
    w.open = false;
    return w;
  }
  w.closes_at_ms = *last + (w.policy == WindowPolicy::wechat ? kWeChatWindowMs : kServiceWindowMs);
  w.open = now < *w.closes_at_ms;
  if (w.policy == WindowPolicy::meta) {
    w.human_agent_until_ms = *last + kHumanAgentWindowMs;
    w.human_agent_open = now < *w.human_agent_until_ms;
  }
  return w;
}

SendVerdict check_send(const WindowState& w, bool template_message, bool by_person) {
  SendVerdict v;
  if (template_message) {
    if (w.policy != WindowPolicy::whatsapp) {
      v.allowed = false;
      v.message = "templates can only be sent on WhatsApp channels";
    }
    return v;
  }
  if (w.policy == WindowPolicy::none || w.open) return v;
  if (w.policy == WindowPolicy::whatsapp) {
    v.allowed = false;
    v.message = w.last_inbound_ms
                    ? "more than 24 hours have passed since the customer's last message: only an approved template can be sent"
                    : "the customer has not written yet: only an approved template can be sent";
    return v;
  }
  if (w.policy == WindowPolicy::wechat) {
    v.allowed = false;
    v.message = w.last_inbound_ms
                    ? "more than 48 hours have passed since the customer's last message: WeChat accepts customer-service "
                      "messages only within 48 hours, nothing can be sent until they write again"
                    : "the customer has not written yet: WeChat accepts customer-service messages only within 48 hours of "
                      "the customer's message";
    return v;
  }
  // Meta: a person may still answer within 7 days, tagged HUMAN_AGENT.
  if (w.human_agent_open && by_person) {
    v.human_agent_tag = true;
    return v;
  }
  v.allowed = false;
  v.message = w.human_agent_open
                  ? "more than 24 hours have passed since the customer's last message: only a reply written by a person "
                    "(HUMAN_AGENT, within 7 days) can be sent"
                  : "more than 7 days have passed since the customer's last message: nothing can be sent until they write again";
  return v;
}

bj::object window_json(const WindowState& w, const std::vector<MessageTemplate>& templates) {
  auto ts = [](const std::optional<int64_t>& ms) -> bj::value {
    if (!ms) return nullptr;
    return bj::value(rfc3339(*ms));
  };
  bj::array list;
  if (w.policy == WindowPolicy::whatsapp)
    for (const auto& t : templates)
      list.push_back(bj::object{{"name", t.name}, {"language", t.language}, {"parameters", t.parameters}});
  return bj::object{{"policy", w.policy == WindowPolicy::none       ? "none"
                               : w.policy == WindowPolicy::whatsapp ? "whatsapp"
                               : w.policy == WindowPolicy::wechat   ? "wechat"
                                                                    : "meta"},
                    {"open", w.open},
                    {"last_inbound_at", ts(w.last_inbound_ms)},
                    {"closes_at", ts(w.closes_at_ms)},
                    {"human_agent_open", w.human_agent_open},
                    {"human_agent_until", ts(w.human_agent_until_ms)},
                    {"templates", std::move(list)}};
}

Status check_template(const TemplateSend& t, const std::vector<MessageTemplate>& templates) {
  for (const auto& m : templates) {
    if (m.name != t.name || m.language != t.language) continue;
    if (t.parameters.size() != m.parameters)
      return Error::invalid("template.parameters", "template " + m.name + " takes " + std::to_string(m.parameters) +
                                                       " parameters, got " + std::to_string(t.parameters.size()));
    return {};
  }
  std::string names;
  for (const auto& m : templates) names += (names.empty() ? "" : ", ") + m.name + " (" + m.language + ")";
  return Error::invalid("template.name", "no approved template " + t.name + " (" + t.language + ") on this channel" +
                                             (names.empty() ? std::string(" (none configured)") : "; configured: " + names));
}

}  // namespace bottega::channels
