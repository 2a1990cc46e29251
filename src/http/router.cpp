#include "http/router.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace bottega::http {

namespace {

// "/a/{id}/b" -> {"a", "{id}", "b"}; "/" -> {""}. A path without a leading '/' is split as is.
std::vector<std::string_view> split_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string_view> out;
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits "a=1&b=2" and calls f(raw_key, raw_value) until f returns true.
template <class F>
void for_each_query_pair(std::string_view query, F&& f) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (f(key, value)) return;
  }
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const std::string& Context::param(std::string_view name) const {
  static const std::string empty;
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return empty;
}

std::optional<std::string> Context::query_param(std::string_view name) const {
  std::optional<std::string> result;
  for_each_query_pair(query, [&](std::string_view raw_key, std::string_view raw_value) {
    auto key = percent_decode(raw_key, true);
    if (!key || *key != name) return false;
    result = percent_decode(raw_value, true);  // malformed escapes: treated as absent
    return true;
  });
  return result;
}

std::string_view Context::header(std::string_view name) const { return req[name]; }

void Router::add(std::string method, std::string pattern, Handler h, RouteDoc doc) {
  Route r;
  r.method = method;
  for (auto s : split_path(pattern)) r.segments.emplace_back(s);
  if (r.segments.size() > 64) throw std::logic_error("route pattern with more than 64 segments: " + pattern);
  r.handler = std::move(h);
  r.pattern = pattern;
  if (doc.max_body_bytes > 0 && !doc.body_authorize)
    throw std::logic_error("a route with its own body limit needs a body_authorize: " + pattern);
  r.max_body_bytes = doc.max_body_bytes;
  r.too_large_code = doc.too_large_code;
  r.body_authorize = doc.body_authorize;
  routes_.push_back(std::move(r));
  entries_.push_back(Entry{std::move(method), std::move(pattern), std::move(doc)});
}

void Router::add_ws(std::string pattern, WsAuthorizer authorize, WsHandler h, RouteDoc doc) {
  Route r;
  r.method = "WS";
  for (auto s : split_path(pattern)) r.segments.emplace_back(s);
  if (r.segments.size() > 64) throw std::logic_error("route pattern with more than 64 segments: " + pattern);
  r.ws_authorize = std::move(authorize);
  r.ws = std::move(h);
  r.pattern = pattern;
  routes_.push_back(std::move(r));
  entries_.push_back(Entry{"WS", std::move(pattern), std::move(doc)});
}

Router::Match Router::match(std::string_view method, std::string_view path, bool websocket) const {
  const auto segments = split_path(path);

  // Specificity of a route that matches the path: one bit per segment, left to right from the top
  // bit, set for a literal. A greater mask is more specific ("literal segments win", left to
  // right), the same order as comparing the flags lexicographically. No allocation per route:
  // this runs for every request (it was ~17k instructions per request with a vector<bool> each).
  struct Candidate {
    const Route* route;
    uint64_t literal;
  };
  std::vector<Candidate> candidates;
  if (segments.size() <= 64) {
    for (const auto& r : routes_) {
      if (r.segments.size() != segments.size()) continue;
      uint64_t literal = 0;
      bool ok = true;
      for (size_t i = 0; i < segments.size() && ok; ++i) {
        if (is_param(r.segments[i])) {
          ok = !segments[i].empty();
        } else {
          ok = r.segments[i] == segments[i];
          literal |= uint64_t{1} << (63 - i);
        }
      }
      if (ok) candidates.push_back({&r, literal});
    }
  }  // (no route has more than 64 segments)

  auto best_where = [&](auto&& accept) -> const Candidate* {
    const Candidate* best = nullptr;
    for (const auto& c : candidates) {
      if (!accept(*c.route)) continue;
      if (best == nullptr || c.literal > best->literal) best = &c;
    }
    return best;
  };

  Match m;
  const Candidate* found = nullptr;
  if (websocket) found = best_where([](const Route& r) { return r.method == "WS"; });
  if (found == nullptr) {
    found = best_where([&](const Route& r) {
      return r.method != "WS" && (r.method == method || (method == "HEAD" && r.method == "GET"));
    });
  }
  if (found == nullptr) {
    for (const auto& c : candidates) {
      if (c.route->method == "WS") {
        m.upgrade_required = true;
        continue;
      }
      m.allowed.push_back(c.route->method);
      if (c.route->method == "GET") m.allowed.emplace_back("HEAD");
    }
    std::sort(m.allowed.begin(), m.allowed.end());
    m.allowed.erase(std::unique(m.allowed.begin(), m.allowed.end()), m.allowed.end());
    m.method_not_allowed = !m.allowed.empty();
    if (m.method_not_allowed) m.upgrade_required = false;
    return m;
  }

  const Route& r = *found->route;
  m.pattern = r.pattern;
  if (r.method == "WS") {
    m.ws_authorize = &r.ws_authorize;
    m.ws = &r.ws;
  } else {
    m.handler = &r.handler;
    m.max_body_bytes = r.max_body_bytes;
    m.too_large_code = r.too_large_code;
    if (r.body_authorize) m.body_authorize = &r.body_authorize;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (is_param(r.segments[i])) {
      const std::string& s = r.segments[i];
      m.params.emplace_back(s.substr(1, s.size() - 2), std::string(segments[i]));
    }
  }
  return m;
}

}  // namespace bottega::http
