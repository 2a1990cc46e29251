#include "service/canned.hpp"

#include <cstring>

namespace bottega::service {

namespace {

constexpr const char* kVariables[] = {"contact.name",       "contact.first_name", "contact.email",  "customer.name",
                                      "customer.first_name", "customer.email",     "order.number",   "agent.name",
                                      "agent.first_name",    "shop.name",          "conversation.id", nullptr};

bool known(const std::string& name, const char* const* vars) {
  for (const char* const* v = vars; *v; ++v)
    if (name == *v) return true;
  return false;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string clean(const std::string& v) {
  std::string out;
  for (unsigned char ch : v)
    if (ch >= 0x20 || ch == '\n') out += static_cast<char>(ch);
  return out;
}

}  // namespace

const char* const* template_variables() { return kVariables; }

std::string trimmed(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Status validate_template(const std::string& body, const std::string& field, const char* const* vars) {
  if (!vars) vars = kVariables;
  for (size_t i = 0; i < body.size();) {
    if (body[i] == '\\' && body.compare(i + 1, 2, "{{") == 0) {
      i += 3;
      continue;
    }
    if (body.compare(i, 2, "{{") == 0) {
      size_t end = body.find("}}", i + 2);
      if (end == std::string::npos) return Error::invalid(field, "a {{ without its }}");
      std::string name = trim(body.substr(i + 2, end - i - 2));
      if (!known(name, vars)) {
        std::string list;
        for (const char* const* v = vars; *v; ++v) list += (list.empty() ? "" : ", ") + std::string(*v);
        return Error::invalid(field, "unknown variable {{" + name.substr(0, 64) + "}}; known: " + list, "unknown_variable");
      }
      i = end + 2;
      continue;
    }
    ++i;
  }
  return {};
}

std::string render_template(const std::string& body, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size();) {
    if (body[i] == '\\' && body.compare(i + 1, 2, "{{") == 0) {
      out += "{{";
      i += 3;
      continue;
    }
    if (body.compare(i, 2, "{{") == 0) {
      size_t end = body.find("}}", i + 2);
      if (end != std::string::npos) {
        auto it = vars.find(trim(body.substr(i + 2, end - i - 2)));
        if (it != vars.end()) out += clean(it->second);
        i = end + 2;
        continue;
      }
    }
    out += body[i++];
  }
  return out;
}

}  // namespace bottega::service
