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

namespace {

bool key_ok(std::string_view s, size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos))
      return false;
  return true;
}

// WeChat's extra fields of one template: template_id, keys, url.
Status parse_wechat_template(const bj::object& o, const std::string& path, MessageTemplate& t) {
  auto* id = o.if_contains("template_id");
  if (!id || !id->is_string() || !key_ok(id->as_string(), 128, "_-"))
    return Error::invalid(path + ".template_id", "the template's id in the account's template library (letters, digits, _ and -)");
  t.template_id = std::string(id->as_string());
  auto* keys = o.if_contains("keys");
  if (!keys || !keys->is_array() || keys->as_array().empty() || keys->as_array().size() > 20)
    return Error::invalid(path + ".keys", "the template's data keys in order, 1..20 (\"first\", \"keyword1\", ...)");
  for (size_t k = 0; k < keys->as_array().size(); ++k) {
    const auto& v = keys->as_array()[k];
    std::string kp = path + ".keys[" + std::to_string(k) + "]";
    if (!v.is_string() || !key_ok(v.as_string(), 32, "_")) return Error::invalid(kp, "a data key of letters, digits and _");
    for (const auto& prev : t.keys)
      if (prev == v.as_string()) return Error::invalid(kp, "key " + prev + " is listed twice");
    t.keys.emplace_back(v.as_string());
  }
  t.parameters = t.keys.size();
  if (auto* u = o.if_contains("url"); u && !u->is_null()) {
    std::string_view url = u->is_string() ? std::string_view(u->as_string()) : std::string_view();
    if (url.size() > 1024 || !(url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) ||
        url.find_first_of(" \t\r\n\"") != std::string_view::npos)
      return Error::invalid(path + ".url", "an absolute http(s) URL the message opens");
    t.url = std::string(url);
  }
  return {};
}

}  // namespace

Result<std::vector<MessageTemplate>> parse_templates(const bj::object& settings, std::string_view channel_type) {
  std::vector<MessageTemplate> out;
  auto it = settings.find("templates");
  if (it == settings.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) return Error::invalid("settings.templates", "an array of templates", "invalid_type");
  const bool wechat = channel_type == "wechat";
  const auto& a = it->value().as_array();
  if (a.size() > 100) return Error::invalid("settings.templates", "at most 100 templates");
  for (size_t i = 0; i < a.size(); ++i) {
    std::string path = "settings.templates[" + std::to_string(i) + "]";
    if (!a[i].is_object()) return Error::invalid(path, "a template {name, language, parameters}", "invalid_type");
    const auto& o = a[i].as_object();
    for (const auto& kv : o) {
      std::string_view k = kv.key();
      bool known = k == "name" || k == "language" ||
                   (wechat ? (k == "template_id" || k == "keys" || k == "url") : k == "parameters");
      if (!known) return Error::invalid(path + "." + std::string(k), "unknown template field", "unknown_field");
    }
    MessageTemplate t;
    auto* name = o.if_contains("name");
    if (!name || !name->is_string() || !template_name_ok(name->as_string()))
      return Error::invalid(path + ".name", "a template name of lowercase letters, digits and _");
    t.name = std::string(name->as_string());
    auto* lang = o.if_contains("language");
    if (wechat && (!lang || lang->is_null())) {
      t.language = "zh_CN";
    } else {
      if (!lang || !lang->is_string() || !language_ok(lang->as_string()))
        return Error::invalid(path + ".language", "a language code such as en_US");
      t.language = std::string(lang->as_string());
    }
    if (wechat) {
      BOTTEGA_TRY_STATUS(parse_wechat_template(o, path, t));
    } else if (auto* p = o.if_contains("parameters"); p && !p->is_null()) {
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

const MessageTemplate* find_template(const std::vector<MessageTemplate>& templates, const TemplateSend& t) {
  for (const auto& m : templates)
    if (m.name == t.name && m.language == t.language) return &m;
  return nullptr;
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
    if (w.policy != WindowPolicy::whatsapp && w.policy != WindowPolicy::wechat) {
      v.allowed = false;
      v.message = "templates can only be sent on WhatsApp and WeChat channels";
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
                      "messages only within 48 hours; only a template message can be sent until they write again"
                    : "the customer has not written yet: WeChat accepts customer-service messages only within 48 hours of "
                      "the customer's message; only a template message can be sent";
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
  if (w.policy == WindowPolicy::whatsapp || w.policy == WindowPolicy::wechat)
    for (const auto& t : templates)
    {
      bj::object o{{"name", t.name}, {"language", t.language}, {"parameters", t.parameters}};
      if (!t.keys.empty()) o["keys"] = bj::array(t.keys.begin(), t.keys.end());
      list.push_back(std::move(o));
    }
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
  if (const MessageTemplate* found = find_template(templates, t)) {
    const MessageTemplate& m = *found;
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
