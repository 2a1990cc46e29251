#include "http/api/channel_test_routes.hpp"

#include <algorithm>
#include <cctype>

#include "channels/connection_probe.hpp"
#include "channels/registry.hpp"
#include "core/json.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

void register_channel_test_route(Router& r, Deps& d, HttpClient& http) {
  r.add("POST", "/api/v1/channels/{id}/test", [&d, &http](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto s = require_admin(*who); !s) co_return error(ctx, s.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto load = [tenant, id](store::Tx& tx) -> Result<Channel> {
      auto c = repo::get_channel(tx, tenant, id);
      if (!c) return Error::not_found("channel");
      return std::move(*c);
    };
    auto c = co_await db_read<Channel>(d.store, load);
    if (!c) co_return error(ctx, c.error());
    const channels::ChannelAdapter* a = channels::find_adapter(c->type);
    std::optional<Result<HttpRequest>> req;
    if (a && a->parse_settings) {
      auto sv = json::parse_object(c->settings_json);
      if (!sv) co_return error(ctx, sv.error());
      auto settings = a->parse_settings(*sv);
      if (!settings) co_return error(ctx, settings.error());
      req = channels::connection_test_request(*a, *settings);
    }
    if (!req)
      co_return error(ctx, Error{Errc::unprocessable, "test_unsupported",
                                 "a " + c->type + " channel has no provider account to test", {}});
    if (!*req) co_return error(ctx, req->error());
    // Sent like every provider call: the outbound client refuses private and loopback destinations
    // unless [outbound] allow_private_networks is set.
    HttpClient* client = &http;
    auto call = [client, r = std::move(**req)](auto cb) mutable { client->send(std::move(r), std::move(cb)); };
    auto resp = co_await bridge<Result<HttpResponse>>(std::move(call));
    bj::object out{{"channel_id", c->id}, {"type", c->type}, {"tested_at", rfc3339(d.clock.now_ms())}};
    auto fail = [&out](const Error& e, std::optional<int> status) {
      out["ok"] = false;
      bj::object err{{"code", e.code}, {"message", e.message}};
      if (status) err["http_status"] = *status;
      out["error"] = std::move(err);
    };
    if (!resp) {
      fail(resp.error(), std::nullopt);
    } else if (resp->status >= 300 && resp->status <= 399) {
      // Provider calls never follow redirects (one could lead to a private address, and the
      // credentials must stay with the provider): say where it pointed instead.
      std::string to;
      for (const auto& [k, v] : resp->headers)
        if (k.size() == 8 && std::equal(k.begin(), k.end(), "location", [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) == b;
            }))
          to = v;
      fail(Error{Errc::unprocessable, "redirect_not_followed",
                 "the provider answered HTTP " + std::to_string(resp->status) + " with a redirect" +
                     (to.empty() ? std::string() : " to " + to.substr(0, 300)) +
                     ", which is not followed: check the channel's api_base_url",
                 {}},
           resp->status);
    } else if (auto who_is = channels::parse_connection_test(*a, resp->status, resp->body); !who_is) {
      fail(who_is.error(), resp->status);
    } else {
      out["ok"] = true;
      out["account"] = bj::object{{"id", who_is->id}, {"name", who_is->name}, {"detail", who_is->detail}};
    }
    d.metrics.inc("bottega_channel_tests_total",
                  "type=\"" + c->type + "\",result=\"" + (out["ok"].as_bool() ? "ok" : "error") + "\"");
    co_return json(ctx, 200, out);
  }, {"Connection test (admins): calls the provider's identity endpoint with the channel's credentials (WhatsApp phone number, Messenger/Instagram /me, Telegram getMe, Twilio account, Viber get_account_info, WeChat access token) and reports the account or the provider's error; nothing is sent to a customer. 422 test_unsupported for webchat and email",
      Auth::agent, "channels", "",
      R"({"type":"object","properties":{"channel_id":{"type":"string"},"type":{"type":"string"},"ok":{"type":"boolean"},"account":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"detail":{"type":"string"}}},"error":{"type":"object","properties":{"code":{"type":"string"},"message":{"type":"string"},"http_status":{"type":"integer"}}},"tested_at":{"type":"string"}}})"});

}

}  // namespace bottega::http::api
