#include "channels/email/email.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cctype>
#include <ctime>

#include "channels/email/text.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::email {

namespace bj = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string field(std::string_view key) { return "settings." + std::string(key); }

std::string domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string("localhost") : std::string(address.substr(at + 1));
}

bool ascii_printable(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x7f || (u < 0x20 && c != '\t')) return false;
  }
  return true;
}

// Quoted-printable body encoding, lines at most 76 characters, CRLF line ends.
std::string encode_qp(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto put = [&](std::string_view piece) {
    if (col + piece.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') continue;
    if (c == '\n') {
      // Trailing whitespace before a line break must be encoded.
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        char w = out.back();
        out.pop_back();
        --col;
        char enc[4] = {'=', hex[(static_cast<unsigned char>(w) >> 4) & 15], hex[static_cast<unsigned char>(w) & 15], 0};
        put(enc);
      }
      out += "\r\n";
      col = 0;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    if ((u >= 33 && u <= 126 && c != '=') || c == ' ' || c == '\t') {
      // A line starting with "." or "From " is safe through any relay when encoded.
      if (col == 0 && c == '.') {
        put("=2E");
        continue;
      }
      char s[2] = {c, 0};
      put(s);
    } else {
      char enc[4] = {'=', hex[u >> 4], hex[u & 15], 0};
      put(enc);
    }
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    char w = out.back();
    out.pop_back();
    char enc[4] = {'=', hex[(static_cast<unsigned char>(w) >> 4) & 15], hex[static_cast<unsigned char>(w) & 15], 0};
    out += enc;
  }
  return out;
}

std::string rfc5322_date(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string angle(std::string_view id) { return "<" + std::string(id) + ">"; }

// Header values we write must not carry line breaks (header injection).
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

std::string mailbox(std::string_view name, std::string_view address) {
  if (name.empty()) return std::string(address);
  std::string n = one_line(name);
  if (ascii_printable(n)) {
    std::string q = "\"";
    for (char c : n) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\" <" + std::string(address) + ">";
  }
  return encode_header_value(n) + " <" + std::string(address) + ">";
}

}  // namespace

std::optional<std::string> normalize_address(std::string_view a) {
  if (a.empty() || a.size() > 254) return std::nullopt;
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return std::nullopt;
  for (char c : a) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '(' ||
        c == ')' || c == '\\')
      return std::nullopt;
  }
  std::string_view domain = a.substr(at + 1);
  if (domain.find('@') != std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos)
    return std::nullopt;
  return std::string(a.substr(0, at + 1)) + lower(domain);
}

RoutedAddress split_plus(std::string_view address) {
  RoutedAddress r;
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    r.base = lower(address);
    return r;
  }
  std::string_view local = address.substr(0, at);
  size_t plus = local.find('+');
  if (plus != std::string_view::npos) {
    r.token = std::string(local.substr(plus + 1));
    local = local.substr(0, plus);
  }
  r.base = lower(local) + "@" + lower(address.substr(at + 1));
  return r;
}

Result<Settings> parse_settings(const bj::object& o) {
  static const char* kKnown[] = {"address",       "aliases",       "from_name", "smtp_host", "smtp_port",
                                 "smtp_username", "smtp_password", "smtp_tls",  "api_base_url",
                                 "trusted_authserv_id"};
  for (const auto& kv : o) {
    bool known = false;
    for (const char* k : kKnown) known = known || kv.key() == k;
    if (!known) return Error::invalid(field(kv.key()), "unknown setting for an email channel", "unknown_field");
  }
  Settings s;
  BOTTEGA_TRY(address, json::required_string(o, "address", field("address"), 254));
  auto norm = normalize_address(address);
  if (!norm) return Error::invalid(field("address"), "an email address such as support@shop.example");
  if (split_plus(*norm).token.size() > 0)
    return Error::invalid(field("address"), "the address must not contain '+' (reply addresses use it)");
  s.address = split_plus(*norm).base;
  BOTTEGA_TRY(aliases, json::optional_array(o, "aliases", field("aliases")));
  if (aliases) {
    if (aliases->size() > 20) return Error::invalid(field("aliases"), "at most 20 aliases");
    for (size_t i = 0; i < aliases->size(); ++i) {
      const auto& v = (*aliases)[i];
      std::string f = field("aliases") + "[" + std::to_string(i) + "]";
      if (!v.is_string()) return Error::invalid(f, "an email address", "invalid_type");
      auto a = normalize_address(std::string_view(v.as_string()));
      if (!a || !split_plus(*a).token.empty()) return Error::invalid(f, "an email address without '+'");
      s.aliases.push_back(split_plus(*a).base);
    }
  }
  BOTTEGA_TRY(from_name, json::optional_string(o, "from_name", field("from_name"), 200));
  s.from_name = one_line(from_name.value_or(""));
  BOTTEGA_TRY(host, json::optional_string(o, "smtp_host", field("smtp_host"), 253));
  if (host) {
    for (char c : *host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':'))
        return Error::invalid(field("smtp_host"), "a host name or IP address");
    s.smtp_host = *host;
  }
  // smtp_port: an integer, or a string of digits (forms send strings).
  if (auto* p = o.if_contains("smtp_port"); p && !p->is_null()) {
    int64_t port = -1;
    if (p->is_int64()) port = p->as_int64();
    else if (p->is_uint64()) port = p->as_uint64() > 65535 ? -1 : static_cast<int64_t>(p->as_uint64());
    else if (p->is_string() && !p->as_string().empty() && p->as_string().size() <= 5 &&
             std::string_view(p->as_string()).find_first_not_of("0123456789") == std::string_view::npos)
      port = std::stoll(std::string(p->as_string()));
    if (port < 1 || port > 65535) return Error::invalid(field("smtp_port"), "a port between 1 and 65535");
    s.smtp_port = static_cast<uint16_t>(port);
  }
  BOTTEGA_TRY(user, json::optional_string(o, "smtp_username", field("smtp_username"), 256));
  s.smtp_username = user.value_or("");
  BOTTEGA_TRY(pass, json::optional_string(o, "smtp_password", field("smtp_password"), 1024));
  s.smtp_password = pass.value_or("");
  if (!s.smtp_username.empty() && s.smtp_password.empty())
    return Error::invalid(field("smtp_password"), "smtp_password is required with smtp_username", "missing_field");
  BOTTEGA_TRY(tls, json::optional_string(o, "smtp_tls", field("smtp_tls"), 16));
  if (tls) {
    if (*tls == "starttls") s.smtp_tls = RelayTls::starttls;
    else if (*tls == "required") s.smtp_tls = RelayTls::required;
    else if (*tls == "none") s.smtp_tls = RelayTls::none;
    else return Error::invalid(field("smtp_tls"), "smtp_tls must be starttls, required or none");
  }
  BOTTEGA_TRY(authserv, json::optional_string(o, "trusted_authserv_id", field("trusted_authserv_id"), 253));
  if (authserv) {
    for (char c : *authserv)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
        return Error::invalid(field("trusted_authserv_id"), "the MTA's authserv-id, a host name such as mx.shop.example");
    s.trusted_authserv_id = lower(*authserv);
  }
  BOTTEGA_TRY(api, json::optional_string(o, "api_base_url", field("api_base_url"), 2048));
  (void)api;
  return s;
}

std::string reply_address(const Settings& s, std::string_view conversation_id) {
  size_t at = s.address.rfind('@');
  return s.address.substr(0, at) + "+" + std::string(conversation_id) + s.address.substr(at);
}

std::string automated_reason(const ParsedMail& m) {
  std::string as = lower(m.header("auto-submitted"));
  if (!as.empty() && as.rfind("no", 0) != 0) return "auto-replied";
  if (!m.header("x-autoreply").empty() || !m.header("x-autorespond").empty()) return "auto-replied";
  std::string prec = lower(m.header("precedence"));
  if (prec.find("bulk") != std::string::npos || prec.find("junk") != std::string::npos ||
      prec.find("list") != std::string::npos)
    return "bulk";
  if (!m.header("list-id").empty() || !m.header("list-unsubscribe").empty()) return "list";
  return "";
}

namespace {

// An Authentication-Results value without its (nested) comments, split at ';' into trimmed parts.
std::vector<std::string> auth_results_parts(std::string_view v) {
  std::string flat;
  int depth = 0;
  bool quoted = false;
  for (char c : v) {
    if (quoted) {
      if (c == '"') quoted = false;
      flat.push_back(c);
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
      flat.push_back(' ');
    } else if (depth == 0) {
      if (c == '"') quoted = true;
      flat.push_back(c == '\t' || c == '\r' || c == '\n' ? ' ' : c);
    }
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= flat.size(); ++i) {
    if (i < flat.size() && flat[i] != ';') continue;
    std::string_view p = std::string_view(flat).substr(start, i - start);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    parts.emplace_back(p);
    start = i + 1;
  }
  return parts;
}

// "key=value" tokens of one result ("dkim=pass header.d=x.example header.s=s1"), keys lowercase,
// quotes removed.
std::vector<std::pair<std::string, std::string>> auth_tokens(std::string_view part) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < part.size()) {
    while (i < part.size() && part[i] == ' ') ++i;
    size_t eq = part.find('=', i);
    size_t sp = part.find(' ', i);
    if (eq == std::string_view::npos || (sp != std::string_view::npos && sp < eq)) {  // a lone word
      i = sp == std::string_view::npos ? part.size() : sp;
      continue;
    }
    std::string key = lower(part.substr(i, eq - i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    size_t j = eq + 1;
    while (j < part.size() && part[j] == ' ') ++j;
    std::string value;
    if (j < part.size() && part[j] == '"') {
      size_t end = part.find('"', j + 1);
      if (end == std::string_view::npos) end = part.size();
      value = std::string(part.substr(j + 1, end - j - 1));
      i = end + 1;
    } else {
      size_t end = part.find(' ', j);
      if (end == std::string_view::npos) end = part.size();
      value = std::string(part.substr(j, end - j));
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

// Whether `signer` is `domain` or a parent domain of it (relaxed alignment), both lowercase.
bool aligned(std::string_view signer, std::string_view domain) {
  if (signer.empty() || domain.empty()) return false;
  if (signer == domain) return true;
  return domain.size() > signer.size() && domain.substr(domain.size() - signer.size()) == signer &&
         domain[domain.size() - signer.size() - 1] == '.' && signer.find('.') != std::string_view::npos;
}

}  // namespace

bool sender_verified(const ParsedMail& m, std::string_view authserv_id) {
  if (authserv_id.empty() || !m.from || m.from->address.empty()) return false;
  auto at = m.from->address.rfind('@');
  if (at == std::string::npos || at + 1 == m.from->address.size()) return false;
  std::string from_domain = lower(std::string_view(m.from->address).substr(at + 1));
  std::string want = lower(authserv_id);
  for (const auto& [name, value] : m.headers) {
    if (name != "authentication-results") continue;
    auto parts = auth_results_parts(value);
    if (parts.empty()) continue;
    std::string_view id = parts[0];
    if (auto sp = id.find(' '); sp != std::string_view::npos) id = id.substr(0, sp);  // "id 1": a version
    if (lower(id) != want) continue;
    // The topmost header of the trusted MTA decides; any later one with its id is not looked at.
    for (size_t i = 1; i < parts.size(); ++i) {
      auto tokens = auth_tokens(parts[i]);
      if (tokens.empty()) continue;
      const auto& [method, result] = tokens[0];
      if (lower(result) != "pass") continue;
      for (size_t k = 1; k < tokens.size(); ++k) {
        std::string prop = tokens[k].first, val = lower(tokens[k].second);
        if (method == "dmarc" && prop == "header.from" && val == from_domain) return true;
        if (method == "dkim" && prop == "header.d" && aligned(val, from_domain)) return true;
        if (method == "dkim" && prop == "header.i") {
          auto at = val.rfind('@');
          if (aligned(at == std::string::npos ? val : val.substr(at + 1), from_domain)) return true;
        }
      }
    }
    return false;
  }
  return false;
}

InboundMail to_inbound(const ParsedMail& m, std::string_view raw) {
  InboundMail in;
  in.message_id = m.message_id.empty() ? "sha256:" + crypto::hex(crypto::sha256(raw)) : m.message_id;
  in.from_address = m.from ? m.from->address : std::string();
  in.from_name = m.from ? m.from->name : std::string();
  in.subject = m.subject;
  in.full_text = !m.text.empty() ? m.text : html_to_text(m.html);
  in.text = strip_reply(in.full_text);
  if (!m.html.empty()) in.html = sanitize_html(m.html);
  for (const auto& id : m.in_reply_to) in.thread_ids.push_back(id);
  for (auto it = m.references.rbegin(); it != m.references.rend(); ++it) in.thread_ids.push_back(*it);
  in.references = m.references;
  in.automated = automated_reason(m);
  if (in.text.empty() && !m.attachments.empty()) in.text = "(attachment)";
  if (in.text.empty()) in.text = in.subject.empty() ? "(empty message)" : in.subject;

  bj::array to, cc, refs, irt, atts;
  for (const auto& a : m.to) to.push_back(bj::object{{"address", a.address}, {"name", a.name}});
  for (const auto& a : m.cc) cc.push_back(bj::object{{"address", a.address}, {"name", a.name}});
  for (const auto& r : m.references) refs.emplace_back(r);
  for (const auto& r : m.in_reply_to) irt.emplace_back(r);
  for (const auto& a : m.attachments)
    atts.push_back(bj::object{{"filename", a.filename}, {"content_type", a.content_type}, {"size", a.size}});
  bj::object email{{"message_id", m.message_id},
                   {"subject", in.subject},
                   {"from", bj::object{{"address", in.from_address}, {"name", in.from_name}}},
                   {"to", std::move(to)},
                   {"cc", std::move(cc)},
                   {"in_reply_to", std::move(irt)},
                   {"references", std::move(refs)},
                   {"html", in.html},
                   {"full_text", in.full_text},
                   {"attachments", std::move(atts)}};
  bj::object content{{"email", std::move(email)}};
  if (!in.automated.empty()) {
    content["automated"] = in.automated;  // stored, shown, never answered automatically
    content["no_auto_reply"] = true;
  }
  in.content_json = bj::serialize(content);
  return in;
}

std::string outbound_message_id(const Settings& s, std::string_view message_id,
                                std::string_view conversation_id) {
  return std::string(message_id) + "." + std::string(conversation_id) + "@" + domain_of(s.address);
}

std::string encode_header_value(std::string_view value) {
  std::string v = one_line(value);
  if (ascii_printable(v)) return v;
  // Encoded words of at most ~45 bytes of UTF-8 each, never splitting a character.
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    size_t n = std::min<size_t>(45, v.size() - i);
    while (i + n < v.size() && (static_cast<unsigned char>(v[i + n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = 1;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::base64(v.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string compose_reply(const Settings& s, const Reply& r) {
  std::string subject = one_line(r.subject);
  if (subject.empty()) subject = "Your message";
  std::string lowered = lower(subject);
  // Only an answer to a mail is "Re:"; a first mail (a one-time code, a conversation started
  // elsewhere) keeps its subject as it is.
  if (!r.in_reply_to.empty() && lowered.rfind("re:", 0) != 0) subject = "Re: " + subject;
  std::string out;
  auto h = [&](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  h("From", mailbox(s.from_name, s.address));
  h("To", mailbox(r.to_name, r.to_address));
  h("Reply-To", reply_address(s, r.conversation_id));
  h("Subject", encode_header_value(subject));
  h("Date", rfc5322_date(r.date_ms));
  h("Message-ID", angle(r.message_id));
  if (!r.in_reply_to.empty()) h("In-Reply-To", angle(r.in_reply_to));
  // References: the parent's chain plus the parent, at most 20 ids, always keeping the first.
  std::vector<std::string> refs = r.references;
  if (!r.in_reply_to.empty() && (refs.empty() || refs.back() != r.in_reply_to)) refs.push_back(r.in_reply_to);
  if (refs.size() > 20) {
    std::vector<std::string> cut{refs.front()};
    cut.insert(cut.end(), refs.end() - 19, refs.end());
    refs = std::move(cut);
  }
  if (!refs.empty()) {
    std::string v;
    for (size_t i = 0; i < refs.size(); ++i) v += (i ? "\r\n " : "") + angle(one_line(refs[i]));
    h("References", v);
  }
  h("MIME-Version", "1.0");
  // The body: text/plain, or multipart/alternative with the HTML. Its headers and content.
  std::string body;
  auto crlf_end = [&body] {
    if (body.size() < 2 || body.substr(body.size() - 2) != "\r\n") body += "\r\n";
  };
  if (!r.html.empty()) {
    // The boundary is derived from our Message-ID (stable across retries); quoted-printable
    // lines never start with "--" followed by it, as QP escapes nothing into that shape and the
    // boundary carries a '=' that QP always encodes.
    std::string boundary = "=_bottega_" + crypto::hex(crypto::sha256(r.message_id)).substr(0, 24);
    body += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    for (int part = 0; part < 2; ++part) {
      body += "--" + boundary + "\r\n";
      body += part == 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : "Content-Type: text/html; charset=utf-8\r\n";
      body += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
      body += encode_qp(part == 0 ? r.text : r.html);
      crlf_end();
    }
    body += "--" + boundary + "--\r\n";
  } else {
    body += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    body += encode_qp(r.text);
    crlf_end();
  }
  if (r.attachments.empty()) return out + body;
  // Files: multipart/mixed, the body first, then each file base64 (76-column lines) with its name
  // as an ASCII fallback and, when it is not plain ASCII, RFC 2231's filename*=UTF-8''.
  // Base64 and the headers never produce a line starting with the boundary (it has a '=').
  std::string boundary = "=_bottega_mixed_" + crypto::hex(crypto::sha256(r.message_id)).substr(0, 24);
  h("Content-Type", "multipart/mixed;\r\n boundary=\"" + boundary + "\"");
  out += "\r\n--" + boundary + "\r\n" + body;
  for (const auto& f : r.attachments) {
    out += "--" + boundary + "\r\n";
    std::string type = f.mime_type.empty() ? "application/octet-stream" : f.mime_type;
    std::string params = attachment_name_params(f.filename);
    out += "Content-Type: " + type + "; name=\"" + ascii_filename(f.filename) + "\"\r\n";
    out += "Content-Disposition: attachment;" + params + "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    std::string b64 = crypto::base64(f.bytes ? std::string_view(*f.bytes) : std::string_view());
    for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string ascii_filename(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) out += '_';  // one '_' per non-ASCII character
    } else if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '/' && c != ';') {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? "file" : out.substr(0, 120);
}

std::string attachment_name_params(std::string_view name) {
  if (!name.empty() && ascii_filename(name) == name) return " filename=\"" + std::string(name) + "\"";
  // Only the RFC 2231 form: parsers that know both take the plain one first (Python's email),
  // and Content-Type's name= already carries the ASCII fallback for those that know neither.
  // RFC 2231 / 5987: charset''percent-encoded UTF-8, attr-chars kept.
  std::string enc = " filename*=UTF-8''";
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : name) {
    if (std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      enc += static_cast<char>(c);
    } else {
      enc += '%';
      enc += kHex[c >> 4];
      enc += kHex[c & 15];
    }
  }
  return enc;
}

}  // namespace bottega::channels::email
