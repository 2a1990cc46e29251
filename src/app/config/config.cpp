#include "app/config/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <variant>

#include <toml++/toml.h>

extern char** environ;

namespace bottega {

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

using StrRef = std::string& (*)(Config&);
using IntRef = int& (*)(Config&);
using I64Ref = int64_t& (*)(Config&);
using BoolRef = bool& (*)(Config&);
using ListRef = std::vector<std::string>& (*)(Config&);
using Ref = std::variant<StrRef, IntRef, I64Ref, BoolRef, ListRef>;

struct Field {
  std::string_view section;
  std::string_view key;
  Ref ref;
  int64_t min = 0;  // integers only
  int64_t max = 0;
};

#define BOTTEGA_FIELD(T, member) static_cast<T>([](Config& c) -> auto& { return c.member; })

// The schema: every key a config file or environment variable may set.
constexpr std::array<Field, 30> kFields = {{
    {"server", "listen", BOTTEGA_FIELD(StrRef, server.listen)},
    {"server", "public_url", BOTTEGA_FIELD(StrRef, server.public_url)},
    {"server", "threads", BOTTEGA_FIELD(IntRef, server.threads), 1, 64},
    {"server", "web_root", BOTTEGA_FIELD(StrRef, server.web_root)},
    {"server", "max_body_bytes", BOTTEGA_FIELD(I64Ref, server.max_body_bytes), 1024, 64 << 20},
    {"store", "url", BOTTEGA_FIELD(StrRef, store.url)},
    {"store", "readers", BOTTEGA_FIELD(IntRef, store.readers), 1, 64},
    {"store", "max_batch", BOTTEGA_FIELD(IntRef, store.max_batch), 1, 10000},
    {"webchat", "visitor_messages_per_minute",
     BOTTEGA_FIELD(IntRef, webchat.visitor_messages_per_minute), 1, kIntMax},
    {"webchat", "ip_messages_per_minute", BOTTEGA_FIELD(IntRef, webchat.ip_messages_per_minute), 1,
     kIntMax},
    {"webchat", "ip_visitors_per_hour", BOTTEGA_FIELD(IntRef, webchat.ip_visitors_per_hour), 1,
     kIntMax},
    {"webchat", "allowed_origins", BOTTEGA_FIELD(ListRef, webchat.allowed_origins)},
    {"outbound", "allow_private_networks", BOTTEGA_FIELD(BoolRef, outbound.allow_private_networks)},
    {"outbound", "timeout_ms", BOTTEGA_FIELD(IntRef, outbound.timeout_ms), 1, 600'000},
    {"outbound", "channel_sends_per_second", BOTTEGA_FIELD(IntRef, outbound.channel_sends_per_second), 0,
     100'000},
    {"media", "max_bytes", BOTTEGA_FIELD(I64Ref, media.max_bytes), 1024, int64_t{100} << 20},
    {"media", "upload_max_bytes", BOTTEGA_FIELD(I64Ref, media.upload_max_bytes), 1024, int64_t{100} << 20},
    {"media", "url_secret", BOTTEGA_FIELD(StrRef, media.url_secret)},
    {"webhooks", "max_age_hours", BOTTEGA_FIELD(IntRef, webhooks.max_age_hours), 1, 8760},
    {"webhooks", "max_attempts", BOTTEGA_FIELD(IntRef, webhooks.max_attempts), 1, 100},
    {"email", "listen", BOTTEGA_FIELD(StrRef, email.listen)},
    {"email", "protocol", BOTTEGA_FIELD(StrRef, email.protocol)},
    {"email", "hostname", BOTTEGA_FIELD(StrRef, email.hostname)},
    {"email", "max_message_bytes", BOTTEGA_FIELD(I64Ref, email.max_message_bytes), 1024, 100 << 20},
    {"email", "max_recipients", BOTTEGA_FIELD(IntRef, email.max_recipients), 1, 1000},
    {"email", "idle_timeout_s", BOTTEGA_FIELD(IntRef, email.idle_timeout_s), 1, 3600},
    {"email", "relay_ca_file", BOTTEGA_FIELD(StrRef, email.relay_ca_file)},
    {"log", "level", BOTTEGA_FIELD(StrRef, log.level)},
    {"cluster", "job_lease_seconds", BOTTEGA_FIELD(IntRef, cluster.job_lease_seconds), 2, 86'400},
    {"cluster", "dispatcher_lease_seconds", BOTTEGA_FIELD(IntRef, cluster.dispatcher_lease_seconds), 2,
     3'600},
}};

#undef BOTTEGA_FIELD

constexpr std::array<std::string_view, 9> kSections = {"server",   "store", "webchat", "outbound", "media",
                                                       "webhooks", "email", "log", "cluster"};

bool is_section(std::string_view s) {
  return std::find(kSections.begin(), kSections.end(), s) != kSections.end();
}

const Field* find_field(std::string_view section, std::string_view key) {
  for (const Field& f : kFields) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

std::string dotted(const Field& f) { return std::string(f.section) + "." + std::string(f.key); }

Error config_error(std::string key, std::string message) {
  return Error::invalid(std::move(key), std::move(message), "invalid_config");
}

// "key: problem (where)" with `where` naming the file position or the environment variable.
Error field_error(const Field& f, std::string_view problem, std::string_view where) {
  std::string key = dotted(f);
  std::string msg = key + ": " + std::string(problem);
  if (!where.empty()) msg += " (" + std::string(where) + ")";
  return config_error(std::move(key), std::move(msg));
}

std::string int_expectation(const Field& f) {
  if (f.max == kIntMax) return "expected an integer >= " + std::to_string(f.min);
  return "expected an integer between " + std::to_string(f.min) + " and " + std::to_string(f.max);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// ---- assignment from a TOML node ----

std::string where_in_file(const std::string& path, const toml::source_region& src) {
  if (src.begin.line == 0) return path;
  return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

Status set_from_toml(Config& c, const Field& f, const toml::node& n, const std::string& where) {
  struct Visitor {
    Config& c;
    const Field& f;
    const toml::node& n;
    const std::string& where;

    Status operator()(StrRef r) const {
      const auto* s = n.as_string();
      if (s == nullptr) return field_error(f, "expected a string", where);
      r(c) = s->get();
      return {};
    }
    Status operator()(IntRef r) const {
      const auto* i = n.as_integer();
      if (i == nullptr || i->get() < f.min || i->get() > f.max) {
        return field_error(f, int_expectation(f), where);
      }
      r(c) = static_cast<int>(i->get());
      return {};
    }
    Status operator()(I64Ref r) const {
      const auto* i = n.as_integer();
      if (i == nullptr || i->get() < f.min || i->get() > f.max) {
        return field_error(f, int_expectation(f), where);
      }
      r(c) = i->get();
      return {};
    }
    Status operator()(BoolRef r) const {
      const auto* b = n.as_boolean();
      if (b == nullptr) return field_error(f, "expected true or false", where);
      r(c) = b->get();
      return {};
    }
    Status operator()(ListRef r) const {
      const auto* a = n.as_array();
      if (a == nullptr) return field_error(f, "expected an array of strings", where);
      std::vector<std::string> items;
      for (const toml::node& item : *a) {
        const auto* s = item.as_string();
        if (s == nullptr) return field_error(f, "expected an array of strings", where);
        items.push_back(s->get());
      }
      r(c) = std::move(items);
      return {};
    }
  };
  return std::visit(Visitor{c, f, n, where}, f.ref);
}

Status apply_file(Config& c, const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec == std::errc::no_such_file_or_directory || (!ec && !std::filesystem::exists(st))) {
    return config_error("", "config file " + path + ": file not found");
  }
  if (ec) return config_error("", "config file " + path + ": cannot read (" + ec.message() + ")");
  if (!std::filesystem::is_regular_file(st)) {
    return config_error("", "config file " + path + ": not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return config_error("", "config file " + path + ": cannot read (" + std::strerror(errno) + ")");
  }
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return config_error("", "config file " + path + ": read error");
  if (text.size() > kMaxFileBytes) {
    return config_error("", "config file " + path + ": larger than 1 MiB");
  }

  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return config_error("", "config file " + path + ":" + std::to_string(b.line) + ":" +
                                std::to_string(b.column) + ": " + std::string(e.description()));
  }

  for (const auto& [section_key, section_node] : root) {
    std::string section(section_key.str());
    if (!is_section(section)) {
      return config_error(section, "unknown section " + section + " (" +
                                       where_in_file(path, section_key.source()) + ")");
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      return config_error(section, section + ": expected a table [" + section + "] (" +
                                       where_in_file(path, section_key.source()) + ")");
    }
    for (const auto& [key, node] : *table) {
      const Field* f = find_field(section, key.str());
      if (f == nullptr) {
        std::string name = section + "." + std::string(key.str());
        return config_error(name,
                            "unknown key " + name + " (" + where_in_file(path, key.source()) + ")");
      }
      BOTTEGA_TRY_STATUS(set_from_toml(c, *f, node, where_in_file(path, node.source())));
    }
  }
  return {};
}

// ---- assignment from an environment variable ----

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

Status set_from_env(Config& c, const Field& f, std::string_view value, const std::string& var) {
  std::string where = "from " + var;
  struct Visitor {
    Config& c;
    const Field& f;
    std::string_view value;
    const std::string& where;

    Status operator()(StrRef r) const {
      r(c) = std::string(value);
      return {};
    }
    Status operator()(IntRef r) const {
      auto v = parse_int(value);
      if (!v || *v < f.min || *v > f.max) return field_error(f, int_expectation(f), where);
      r(c) = static_cast<int>(*v);
      return {};
    }
    Status operator()(I64Ref r) const {
      auto v = parse_int(value);
      if (!v || *v < f.min || *v > f.max) return field_error(f, int_expectation(f), where);
      r(c) = *v;
      return {};
    }
    Status operator()(BoolRef r) const {
      std::string v = lower(trim(value));
      if (v == "true" || v == "1") {
        r(c) = true;
      } else if (v == "false" || v == "0") {
        r(c) = false;
      } else {
        return field_error(f, "expected true or false", where);
      }
      return {};
    }
    Status operator()(ListRef r) const {
      std::vector<std::string> items;
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = trim(rest.substr(0, comma));
        if (!item.empty()) items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      r(c) = std::move(items);
      return {};
    }
  };
  return std::visit(Visitor{c, f, value, where}, f.ref);
}

Status apply_env(Config& c, const std::vector<std::pair<std::string, std::string>>& env) {
  constexpr std::string_view kPrefix = "BOTTEGA_";
  for (const auto& [name, value] : env) {
    if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::string rest = lower(std::string_view(name).substr(kPrefix.size()));
    size_t us = rest.find('_');
    std::string section = rest.substr(0, us);
    if (!is_section(section)) continue;  // BOTTEGA_BIN, BOTTEGA_SOURCE_DIR, ...: not ours
    std::string key = us == std::string::npos ? std::string() : rest.substr(us + 1);
    const Field* f = find_field(section, key);
    if (f == nullptr) {
      std::string dotted_name = section + "." + key;
      return config_error(
          dotted_name, "unknown key " + dotted_name + " (from environment variable " + name + ")");
    }
    BOTTEGA_TRY_STATUS(set_from_env(c, *f, value, name));
  }
  return {};
}

// ---- validation ----

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  auto v = parse_int(p);
  return v && p.find_first_not_of("0123456789") == std::string_view::npos && *v <= 65535;
}

bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    return h.substr(1, h.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") ==
           std::string_view::npos;
  }
  for (char ch : h) {
    auto u = static_cast<unsigned char>(ch);
    if (!std::isalnum(u) && ch != '.' && ch != '-' && ch != '_') return false;
  }
  return true;
}

// host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
bool valid_listen(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  return valid_host(s.substr(0, colon)) && valid_port(s.substr(colon + 1));
}

// Checks an http(s) URL and returns it normalized (lowercase scheme and host, no trailing
// slash), or nullopt. With origin_only, nothing may follow the authority but one "/".
std::optional<std::string> normalize_http_url(std::string_view url, bool origin_only) {
  std::string scheme;
  std::string lowered = lower(url.substr(0, 8));
  if (lowered.rfind("https://", 0) == 0) {
    scheme = "https://";
  } else if (lowered.rfind("http://", 0) == 0) {
    scheme = "http://";
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  for (char ch : rest) {
    auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) return std::nullopt;  // no spaces or control characters
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials
  std::string_view host = authority;
  std::string_view port;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (!valid_port(port)) return std::nullopt;
  }
  if (!valid_host(host)) return std::nullopt;
  if (tail.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  while (!tail.empty() && tail.back() == '/') tail.remove_suffix(1);
  if (origin_only && !tail.empty()) return std::nullopt;
  return scheme + lower(authority) + std::string(tail);
}

Status validate(Config& c) {
  if (!valid_listen(c.server.listen)) {
    return config_error("server.listen",
                        "server.listen: expected host:port with a port between 0 and 65535");
  }
  auto public_url = normalize_http_url(c.server.public_url, false);
  if (!public_url) {
    return config_error("server.public_url",
                        "server.public_url: must be an http(s) URL without query or fragment");
  }
  c.server.public_url = std::move(*public_url);

  const std::string& url = c.store.url;
  bool store_ok = false;
  for (std::string_view scheme : {"sqlite://", "postgresql://", "postgres://"}) {
    if (url.size() > scheme.size() && url.compare(0, scheme.size(), scheme) == 0) store_ok = true;
  }
  if (!store_ok) {
    return config_error("store.url",
                        "store.url: must start with sqlite://, postgresql:// or postgres:// "
                        "followed by a path or address");
  }

  for (size_t i = 0; i < c.webchat.allowed_origins.size(); ++i) {
    auto origin = normalize_http_url(c.webchat.allowed_origins[i], true);
    if (!origin) {
      std::string key = "webchat.allowed_origins[" + std::to_string(i) + "]";
      return config_error(key, key +
                                   ": must be an http(s) origin like https://shop.example "
                                   "(no path), got \"" +
                                   c.webchat.allowed_origins[i] + "\"");
    }
    c.webchat.allowed_origins[i] = std::move(*origin);
  }

  if (!c.email.listen.empty() && !valid_listen(c.email.listen)) {
    return config_error("email.listen",
                        "email.listen: expected host:port with a port between 0 and 65535 (or \"\" "
                        "for no listener)");
  }
  if (!c.media.url_secret.empty() && c.media.url_secret.size() < 32)
    return config_error("media.url_secret", "media.url_secret: at least 32 characters (or unset: a key kept in the database)");
  if (c.email.protocol != "smtp" && c.email.protocol != "lmtp") {
    return config_error("email.protocol", "email.protocol: expected smtp or lmtp");
  }
  if (!valid_host(c.email.hostname) || c.email.hostname.front() == '[') {
    return config_error("email.hostname", "email.hostname: expected a host name such as mail.shop.example");
  }

  const std::string& level = c.log.level;
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return config_error("log.level", "log.level: expected one of debug, info, warn, error");
  }
  return {};
}

}  // namespace

Result<Config> load_config(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& env) {
  Config c;
  if (!path.empty()) BOTTEGA_TRY_STATUS(apply_file(c, path));
  BOTTEGA_TRY_STATUS(apply_env(c, env));
  BOTTEGA_TRY_STATUS(validate(c));
  return c;
}

std::vector<std::pair<std::string, std::string>> process_env() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("BOTTEGA_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

}  // namespace bottega
