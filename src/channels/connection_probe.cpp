#include "channels/connection_probe.hpp"

#include "channels/form.hpp"
#include "channels/payload.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels {

namespace bj = boost::json;

namespace {

const json::ParseLimits kLimits{1 << 20, 32};

HttpRequest get(std::string url) {
  HttpRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.timeout = std::chrono::milliseconds(10000);
  req.max_response_bytes = 1 << 20;
  return req;
}

// A number or a string id as text.
std::string id_text(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

Error bad_answer(std::string_view type) {
  return Error{Errc::unprocessable, "provider_bad_response",
               "the " + std::string(type) + " answer does not name the account", {}};
}

// The provider's error for an answer that is not a success, as the send path maps it.
Error provider_error(const ChannelAdapter& a, int http_status, std::string_view body) {
  if (a.parse_send_response) {
    auto r = a.parse_send_response(http_status, body);
    if (!r) return r.error();
  }
  return Error{Errc::unavailable, "provider_error", "the provider answered HTTP " + std::to_string(http_status), {}};
}

}  // namespace

std::optional<Result<HttpRequest>> connection_test_request(const ChannelAdapter& a, const AnySettings& settings) {
  if (const auto* s = std::get_if<whatsapp::Settings>(&settings)) {
    auto req = get(s->api_base_url + "/" + s->phone_number_id + "?fields=display_phone_number,verified_name");
    req.headers = {{"Authorization", "Bearer " + s->access_token}};
    return Result<HttpRequest>(std::move(req));
  }
  if (const auto* s = std::get_if<messenger::Settings>(&settings))
    return Result<HttpRequest>(get(s->api_base_url + "/me?fields=id,name&access_token=" + form::encode_component(s->page_access_token)));
  if (const auto* s = std::get_if<instagram::Settings>(&settings))
    return Result<HttpRequest>(get(s->api_base_url + "/me?fields=id,name&access_token=" + form::encode_component(s->page_access_token)));
  if (const auto* s = std::get_if<telegram::Settings>(&settings))
    return Result<HttpRequest>(get(s->api_base_url + "/bot" + s->bot_token + "/getMe"));
  if (const auto* s = std::get_if<twilio::Settings>(&settings)) {
    auto req = get(s->api_base_url + "/2010-04-01/Accounts/" + form::encode_component(s->account_sid) + ".json");
    req.headers = {{"Authorization", "Basic " + crypto::base64(s->account_sid + ":" + s->auth_token)}};
    return Result<HttpRequest>(std::move(req));
  }
  if (const auto* s = std::get_if<viber::Settings>(&settings)) {
    HttpRequest req = get(s->api_base_url + "/get_account_info");
    req.method = "POST";
    req.headers = {{"Content-Type", "application/json"}, {"X-Viber-Auth-Token", s->auth_token}};
    req.body = "{}";
    return Result<HttpRequest>(std::move(req));
  }
  if (std::holds_alternative<wechat::Settings>(settings) && a.build_token_request) return a.build_token_request(settings);
  return std::nullopt;
}

Result<ConnectionIdentity> parse_connection_test(const ChannelAdapter& a, int http_status, std::string_view body) {
  const bool ok_status = http_status >= 200 && http_status <= 299;
  if (a.type == "wechat") {
    if (!a.parse_token_response) return bad_answer(a.type);
    auto t = a.parse_token_response(http_status, body);
    if (!t) return t.error();
    return ConnectionIdentity{{}, {}, "access token issued, valid " + std::to_string(t->expires_in_s) + " s"};
  }
  auto root = json::parse_object(body, kLimits);
  if (a.type == "telegram") {
    if (ok_status && root.ok()) {
      auto* ok = root->if_contains("ok");
      auto* result = root->if_contains("result");
      if (ok && ok->is_bool() && ok->get_bool() && result && result->is_object()) {
        const auto& r = result->get_object();
        std::string user = payload::string_or_empty(r, "username");
        return ConnectionIdentity{id_text(r, "id"), user.empty() ? payload::string_or_empty(r, "first_name") : "@" + user,
                                  payload::string_or_empty(r, "first_name")};
      }
    }
    return provider_error(a, http_status, body);
  }
  if (a.type == "viber") {
    // Viber answers HTTP 200 with "status": 0 for success, another number for an error.
    if (ok_status && root.ok()) {
      auto* st = root->if_contains("status");
      if (st && st->is_int64() && st->get_int64() == 0)
        return ConnectionIdentity{id_text(*root, "id"), payload::string_or_empty(*root, "name"), payload::string_or_empty(*root, "uri")};
    }
    return provider_error(a, http_status, body);
  }
  if (!ok_status || !root.ok()) return provider_error(a, http_status, body);
  if (a.type == "whatsapp") {
    std::string number = payload::string_or_empty(*root, "display_phone_number");
    if (number.empty()) return bad_answer(a.type);
    return ConnectionIdentity{id_text(*root, "id"), payload::string_or_empty(*root, "verified_name"), number};
  }
  if (a.type == "messenger" || a.type == "instagram") {
    std::string id = id_text(*root, "id");
    if (id.empty()) return bad_answer(a.type);
    return ConnectionIdentity{id, payload::string_or_empty(*root, "name"), {}};
  }
  if (a.type == "twilio") {
    std::string sid = payload::string_or_empty(*root, "sid");
    if (sid.empty()) return bad_answer(a.type);
    return ConnectionIdentity{sid, payload::string_or_empty(*root, "friendly_name"), payload::string_or_empty(*root, "status")};
  }
  return bad_answer(a.type);
}

}  // namespace bottega::channels
