#include "channels/media.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "channels/settings_reader.hpp"
#include "channels/telegram/telegram.hpp"
#include "channels/twilio/twilio.hpp"
#include "channels/wechat/wechat.hpp"
#include "channels/whatsapp/whatsapp.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::media {

namespace bj = boost::json;

namespace {

constexpr std::chrono::milliseconds kTimeout{30000};

std::string str(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string api_base(std::string_view type, const bj::object& settings) {
  std::string base = str(settings, "api_base_url");
  if (base.empty()) {
    if (type == "whatsapp") base = whatsapp::kDefaultApiBaseUrl;
    else if (type == "telegram") base = telegram::kDefaultApiBaseUrl;
    else if (type == "twilio") base = twilio::kDefaultApiBaseUrl;
    else if (type == "wechat") base = wechat::kDefaultApiBaseUrl;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// Hosts each provider serves media from (a leading '.' matches any subdomain).
std::vector<std::string_view> allowed_hosts(std::string_view type) {
  if (type == "whatsapp") return {"graph.facebook.com", "lookaside.fbsbx.com", ".fbsbx.com", ".whatsapp.net"};
  if (type == "messenger") return {".fbcdn.net", ".fbsbx.com", "lookaside.fbsbx.com"};
  if (type == "instagram") return {".fbcdn.net", ".cdninstagram.com", ".fbsbx.com", "lookaside.fbsbx.com"};
  if (type == "telegram") return {"api.telegram.org"};
  if (type == "viber") return {"dl-media.viber.com", ".viber.com"};
  if (type == "twilio") return {"api.twilio.com", "media.twiliocdn.com", ".twiliocdn.com", ".twilio.com"};
  // WeChat: the API host (media/get) and, for a video's video_url, WeChat's own hosts only (its
  // documentation names no download host: anything else is refused, see docs/channels.md).
  if (type == "wechat") return {"api.weixin.qq.com", ".weixin.qq.com", ".qpic.cn"};
  return {};
}

bool host_matches(std::string_view host, std::string_view pattern) {
  if (pattern.front() == '.')
    return host.size() > pattern.size() && host.substr(host.size() - pattern.size()) == pattern;
  return host == pattern;
}

HttpRequest get(std::string url) {
  HttpRequest r;
  r.method = "GET";
  r.url = std::move(url);
  r.timeout = kTimeout;
  return r;
}

void authorize(std::string_view type, const bj::object& settings, HttpRequest& r) {
  if (type == "whatsapp") r.headers.emplace_back("Authorization", "Bearer " + str(settings, "access_token"));
  if (type == "twilio")
    r.headers.emplace_back("Authorization", "Basic " + crypto::base64(str(settings, "account_sid") + ":" + str(settings, "auth_token")));
}

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return {};
}

Error refused(const HttpResponse& r, std::string what) {
  std::string msg = what + " answered HTTP " + std::to_string(r.status);
  if (r.status >= 500 || r.status == 429) return Error{Errc::unavailable, "provider_unavailable", msg, {}};
  return Error{Errc::unprocessable, "media_unavailable", msg, {}};
}

}  // namespace

Status check_url(std::string_view type, const bj::object& settings, std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return Error::invalid("url", "not an absolute URL", "invalid_url");
  std::string scheme(u->scheme());
  std::string host(u->encoded_host());
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u->has_userinfo()) return Error::forbidden("media_host_not_allowed", "a media URL must not carry credentials");
  // The channel's own api_base_url host (a simulator, a proxy the shop configured) is trusted as
  // the provider; any other host must be one the provider serves media from, over https.
  std::string base = str(settings, "api_base_url");
  if (!base.empty()) {
    auto b = boost::urls::parse_absolute_uri(base);
    if (b && b->encoded_host() == u->encoded_host() && b->port() == u->port() && b->scheme() == u->scheme()) return {};
  }
  if (scheme != "https") return Error::forbidden("media_host_not_allowed", "media is fetched over https only");
  for (auto pattern : allowed_hosts(type))
    if (host_matches(host, pattern)) return {};
  return Error::forbidden("media_host_not_allowed", "the provider does not serve media from " + host);
}

bool needs_access_token(std::string_view type) { return type == "wechat"; }

Result<HttpRequest> first_request(std::string_view type, const bj::object& settings, const bj::object& att,
                                  std::string_view access_token) {
  std::string id = str(att, "id"), url = str(att, "url");
  HttpRequest r;
  if (type == "wechat" && !id.empty()) {
    // The MediaId of the callback, never the PicUrl (plain http, and not every type has one).
    if (id.size() > 128 || id.find_first_not_of(std::string(kAlnum) + "_-") != std::string::npos)
      return Error::invalid("id", "a WeChat MediaId is letters, digits, '_' and '-'");
    if (access_token.empty()) return Error{Errc::internal, "access_token_missing", "no WeChat access token", {}};
    r = get(api_base(type, settings) + "/cgi-bin/media/get?access_token=" +
            boost::urls::encode(access_token, boost::urls::unreserved_chars) + "&media_id=" + id);
    BOTTEGA_TRY_STATUS(check_url(type, settings, r.url));
    return r;  // the token in the query is the credential
  } else if (type == "whatsapp" && !id.empty()) {
    // Media ids are digits; anything else must not reach the URL path.
    if (id.find_first_not_of("0123456789") != std::string::npos || id.size() > 64)
      return Error::invalid("id", "a WhatsApp media id is digits");
    r = get(api_base(type, settings) + "/" + id);
  } else if (type == "telegram" && !id.empty()) {
    r = get(api_base(type, settings) + "/bot" + str(settings, "bot_token") + "/getFile?file_id=" +
            boost::urls::encode(id, boost::urls::unreserved_chars));
    return r;  // the bot token in the path is the credential
  } else if ((type == "messenger" || type == "instagram" || type == "twilio" || type == "viber") && !url.empty()) {
    r = get(url);
  } else {
    return Error{Errc::unprocessable, "unsupported_media_source", "nothing to download for this attachment", {}};
  }
  BOTTEGA_TRY_STATUS(check_url(type, settings, r.url));
  authorize(type, settings, r);
  return r;
}

Result<Next> next(std::string_view type, const bj::object& settings, int step, const HttpResponse& response) {
  if (step >= 3) return Error{Errc::unprocessable, "media_unavailable", "too many steps to the file", {}};
  Next n;
  if (response.status >= 300 && response.status < 400) {
    // Twilio (and CDNs) redirect to where the bytes are: re-checked like the first URL.
    std::string to = header(response, "Location");
    if (to.empty()) return Error{Errc::unprocessable, "media_unavailable", "a redirect without Location", {}};
    BOTTEGA_TRY_STATUS(check_url(type, settings, to));
    // Credentials never follow a redirect: it leads to the provider's media store (Twilio's CDN),
    // which needs none, even when a proxy or the simulator serves it on the API's own host. (An
    // earlier same-host rule compared against a view of a freed temporary; libFuzzer found it.)
    n.request = get(to);
    return n;
  }
  if (response.status < 200 || response.status > 299) return refused(response, std::string(type) + " media");
  if (type == "whatsapp" && step == 0) {
    auto o = json::parse_object(response.body, {1 << 20, 8});
    if (!o) return Error{Errc::unprocessable, "provider_bad_response", "WhatsApp media metadata is not JSON", {}};
    std::string url = str(*o, "url");
    if (url.empty()) return Error{Errc::unprocessable, "provider_bad_response", "WhatsApp media metadata has no url", {}};
    BOTTEGA_TRY_STATUS(check_url(type, settings, url));
    n.mime_type = str(*o, "mime_type");
    n.sha256 = str(*o, "sha256");
    n.request = get(url);
    authorize(type, settings, *n.request);
    return n;
  }
  if (type == "telegram" && step == 0) {
    auto o = json::parse_object(response.body, {1 << 20, 8});
    const bj::value* result = o ? o->if_contains("result") : nullptr;
    std::string path = result && result->is_object() ? str(result->get_object(), "file_path") : std::string();
    if (path.empty() || path.find("..") != std::string::npos || path.find_first_of("?#\\") != std::string::npos)
      return Error{Errc::unprocessable, "provider_bad_response", "Telegram getFile has no usable file_path", {}};
    n.request = get(api_base(type, settings) + "/file/bot" + str(settings, "bot_token") + "/" + path);
    return n;
  }
  if (type == "wechat" && step == 0) {
    // HTTP 200 either way: the file, or JSON (a video's {"video_url"}, or {"errcode","errmsg"}).
    // Customers cannot send JSON files to an Official Account, so a JSON type is the API talking.
    std::string ctype = header(response, "Content-Type");
    for (auto& c : ctype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool json_answer = ctype.find("json") != std::string::npos ||
                       ((ctype.empty() || ctype.rfind("text/", 0) == 0) && !response.body.empty() && response.body[0] == '{');
    if (json_answer) {
      auto o = json::parse_object(response.body, {1 << 20, 8});
      if (!o) return Error{Errc::unprocessable, "provider_bad_response", "WeChat media/get answered unreadable JSON", {}};
      std::string video = str(*o, "video_url");
      if (!video.empty()) {
        BOTTEGA_TRY_STATUS(check_url(type, settings, video));
        n.request = get(video);
        return n;
      }
      auto refused = wechat::parse_send_response(response.status, response.body);
      if (refused.ok())
        return Error{Errc::unprocessable, "provider_bad_response", "WeChat media/get answered neither a file nor a video_url", {}};
      const Error& e = refused.error();
      if (e.code == "access_token_invalid" || e.errc == Errc::unavailable) return e;
      if (e.errc == Errc::rate_limited) return Error{Errc::unavailable, "provider_unavailable", e.message, {}};
      return Error{Errc::unprocessable, "media_unavailable", e.message, {}};
    }
  }
  n.mime_type = header(response, "Content-Type");
  return n;
}

namespace {
std::string bare_type(std::string_view mime) {
  std::string m(mime.substr(0, mime.find(';')));
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!m.empty() && m.back() == ' ') m.pop_back();
  return m;
}
}  // namespace

bool runnable_type(std::string_view mime) {
  std::string m = bare_type(mime);
  for (std::string_view a : {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                             "text/javascript", "application/javascript", "application/x-javascript", "text/css"})
    if (m.rfind(a, 0) == 0) return true;
  return m.find("xml") != std::string::npos || m.find("script") != std::string::npos;
}

bool active_type(std::string_view mime) {
  std::string m = bare_type(mime);
  if (m.empty()) return true;  // unknown: never rendered inline
  for (std::string_view a : {"application/pdf", "application/octet-stream", "multipart/"})
    if (m.rfind(a, 0) == 0) return true;
  return runnable_type(m);
}

}  // namespace bottega::channels::media
