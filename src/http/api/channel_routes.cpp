// Channels (their settings validated by the channel's adapter; secrets write-only) and merchant
// webhook endpoints with their delivery log.
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "channels/rate_limits.hpp"
#include "channels/registry.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "http/api/common.hpp"
#include "pipeline/contacts.hpp"
#include "pipeline/email.hpp"
#include "pipeline/webhooks.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

constexpr const char* kChannelSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"type":{"type":"string"},"name":{"type":"string"},"webhook_url":{"type":"string"},"settings":{"type":"object"},"created_at":{"type":"string"}}})";
constexpr const char* kEndpointSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},"secret":{"type":"string","description":"returned only when the endpoint is created"},"created_at":{"type":"string"}}})";

bj::object endpoint_json(const repo::WebhookEndpoint& e, bool with_secret) {
  bj::array events;
  for (const auto& t : e.events) events.emplace_back(t);
  bj::object o{{"id", e.id}, {"url", e.url}, {"events", std::move(events)}, {"created_at", rfc3339(e.created_at)}};
  if (with_secret) o["secret"] = e.secret;
  return o;
}

// Web chat settings: a greeting, and where a visitor may continue the conversation
// (continue_whatsapp: the shop's number in international format, continue_messenger: the page's
// m.me username, continue_email: an address). The widget offers those as links.
Result<std::string> check_webchat_settings(const bj::object& s) {
  for (const auto& kv : s) {
    if (kv.key() != "greeting" && kv.key() != "api_base_url" && kv.key() != "continue_whatsapp" &&
        kv.key() != "continue_messenger" && kv.key() != "continue_email")
      return Error::invalid("settings." + std::string(kv.key()), "unknown setting for a webchat channel", "unknown_field");
  }
  BOTTEGA_TRY(greeting, json::optional_string(s, "greeting", "settings.greeting", 500));
  (void)greeting;
  BOTTEGA_TRY(wa, json::optional_string(s, "continue_whatsapp", "settings.continue_whatsapp", 32));
  if (wa && !webchat_continue_whatsapp(*wa))
    return Error::invalid("settings.continue_whatsapp", "a phone number in international format, e.g. +31612345678");
  BOTTEGA_TRY(ms, json::optional_string(s, "continue_messenger", "settings.continue_messenger", 64));
  if (ms && !webchat_continue_messenger(*ms))
    return Error::invalid("settings.continue_messenger", "the page's m.me username (letters, digits and dots)");
  BOTTEGA_TRY(em, json::optional_string(s, "continue_email", "settings.continue_email", 254));
  if (em && !webchat_continue_email(*em))
    return Error::invalid("settings.continue_email", "an email address");
  return bj::serialize(s);
}

constexpr const char* kContactSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"email":{"type":["string","null"]},"phone":{"type":["string","null"]},"identities":{"type":"array","items":{"type":"object","properties":{"channel_id":{"type":"string"},"channel_type":{"type":"string"},"external_id":{"type":"string"},"created_at":{"type":"integer"}}}},"created_at":{"type":"integer"},"updated_at":{"type":"integer"}}})";

// Contacts with their channel identities, and an agent's merge of two contacts
// (pipeline/contacts.hpp).
void register_contact_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/contacts/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work = [tenant, id](store::Tx& tx) -> Result<pipeline::ContactView> {
      return pipeline::get_contact(tx, tenant, id);
    };
    auto c = co_await db_read<pipeline::ContactView>(d.store, work);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, pipeline::to_json(*c));
  }, {"One contact with its channel identities (channel id and type, the provider's id: wa_id, PSID, chat id, phone, email address, or the web chat visitor id). A contact merged into another answers 404 contact_merged",
      Auth::agent, "contacts", "", kContactSchema});

  r.add("POST", "/api/v1/contacts/{id}/merge", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    if (auto st = json::only_keys(*body, {"from_contact_id"}); !st) co_return error(ctx, st.error());
    auto from = json::required_string(*body, "from_contact_id", {}, 64);
    if (!from) co_return error(ctx, from.error());
    std::string tenant = who->tenant_id, id = ctx.param("id"), from_id = *from;
    if (from_id == id)
      co_return error(ctx, Error::invalid("from_contact_id", "a contact cannot be merged into itself"));
    auto env = d.env();
    auto work = [&env, tenant, id, from_id](store::Tx& tx) -> Result<Rendered> {
      BOTTEGA_TRY(m, pipeline::merge_contacts(tx, env, tenant, id, from_id));
      bj::object o = pipeline::to_json(m.contact);
      o["merged_contact_id"] = m.merged_contact_id;
      o["identities_moved"] = m.identities_moved;
      o["conversations_moved"] = m.conversations_moved;
      return Rendered{200, bj::serialize(o)};
    };
    co_return co_await idempotent_write(d, ctx, tenant, work);
  }, {"Merge another contact of the shop into this one: its channel identities, conversations (each keeps its channel, so replies still go out where the customer wrote), carts, orders, payments, payouts and store credit move here; this contact keeps its name (or takes the other's when it has none) and takes the other's email and phone where it has none. The other contact then answers 404 contact_merged. Emits contact.updated, contact.merged and conversation.updated. 409 identity_conflict when both have an identity on the same channel",
      Auth::agent, "contacts",
      R"({"type":"object","required":["from_contact_id"],"additionalProperties":false,"properties":{"from_contact_id":{"type":"string"}}})",
      std::string(R"({"type":"object","properties":{"id":{"type":"string"},"merged_contact_id":{"type":"string"},"identities_moved":{"type":"integer"},"conversations_moved":{"type":"integer"},"identities":{"type":"array"}}})"),
      200, true});
}

}  // namespace

void register_channel_routes(Router& r, Deps& d) {
  r.add("POST", "/api/v1/channels", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto s = require_admin(*who); !s) co_return error(ctx, s.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto type = json::required_string(*body, "type", {}, 32);
    if (!type) co_return error(ctx, type.error());
    auto name = json::required_string(*body, "name", {}, 200);
    if (!name) co_return error(ctx, name.error());
    auto settings = json::optional_object(*body, "settings");
    if (!settings) co_return error(ctx, settings.error());
    bj::object s = *settings ? **settings : bj::object{};
    std::string settings_json;
    std::vector<std::string> email_addresses;
    if (*type == "webchat") {
      auto checked = check_webchat_settings(s);
      if (!checked) co_return error(ctx, checked.error());
      settings_json = *checked;
    } else {
      const auto* adapter = channels::find_adapter(*type);
      if (!adapter)
        co_return error(ctx, Error::invalid("type", "unknown channel type (webchat, whatsapp, messenger, instagram, telegram, twilio, email, viber, wechat)"));
      if (adapter->parse_settings) {
        auto parsed = adapter->parse_settings(s);
        if (!parsed) co_return error(ctx, parsed.error());
        if (*type == "email" && s.contains("send_rate"))
          co_return error(ctx, Error::invalid("settings.send_rate", "settings.send_rate is not a setting of an email channel", "unknown_field"));
        if (auto rate = channels::send_rate(*type, s); !rate) co_return error(ctx, rate.error());
        if (const auto* e = std::get_if<channels::email::Settings>(&*parsed)) {
          email_addresses.push_back(e->address);
          for (const auto& a : e->aliases) email_addresses.push_back(a);
        }
      }
      settings_json = bj::serialize(s);
    }
    Channel c{"", who->tenant_id, *type, *name, settings_json, d.clock.now_ms()};
    std::string public_url = d.opts.public_url;
    auto& ids = d.ids;
    auto work1_ = [c, public_url, &ids, email_addresses](store::Tx& tx) mutable -> Result<Rendered> {
      c.id = ids.next("ch");
      repo::create_channel(tx, c);
      // Email: the listener routes mail by address, so an address belongs to one channel.
      if (!email_addresses.empty())
        BOTTEGA_TRY_STATUS(pipeline::email::add_routes(tx, c.tenant_id, c.id, email_addresses, c.created_at));
      return Rendered{201, bj::serialize(to_json(c, public_url))};
    };
    co_return co_await idempotent_write(d, ctx, who->tenant_id, work1_);
  }, {"Connect a channel. Secrets in settings are write-only. An email channel's address (and aliases) must not belong to another channel (409 address_taken); see docs/channels.md for each type's settings", Auth::agent, "channels",
      R"({"type":"object","required":["type","name"],"properties":{"type":{"type":"string","enum":["webchat","whatsapp","messenger","instagram","telegram","twilio","email","viber","wechat"]},"name":{"type":"string"},"settings":{"type":"object","properties":{"api_base_url":{"type":"string"}}}}})",
      kChannelSchema, 201, true});

  r.add("GET", "/api/v1/channels", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work2_ = [tenant](store::Tx& tx) -> Result<std::vector<Channel>> {
      return repo::list_channels(tx, tenant);
    };
    auto rows = co_await db_read<std::vector<Channel>>(d.store, work2_);
    if (!rows) co_return error(ctx, rows.error());
    bj::array data;
    for (const auto& c : *rows) data.push_back(to_json(c, d.opts.public_url));
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"List the shop's channels", Auth::agent, "channels", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kChannelSchema + R"(},"next_cursor":{"type":"null"}}})"});

  r.add("GET", "/api/v1/channels/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work3_ = [tenant, id](store::Tx& tx) -> Result<Channel> {
      auto c = repo::get_channel(tx, tenant, id);
      if (!c) return Error::not_found("channel");
      return std::move(*c);
    };
    auto c = co_await db_read<Channel>(d.store, work3_);
    if (!c) co_return error(ctx, c.error());
    co_return json(ctx, 200, to_json(*c, d.opts.public_url));
  }, {"One channel (secrets masked)", Auth::agent, "channels", "", kChannelSchema});

  r.add("POST", "/api/v1/webhook_endpoints", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    if (auto s = require_admin(*who); !s) co_return error(ctx, s.error());
    auto body = body_object(ctx);
    if (!body) co_return error(ctx, body.error());
    auto url = json::required_string(*body, "url", {}, 2048);
    if (!url) co_return error(ctx, url.error());
    auto parsed = boost::urls::parse_absolute_uri(*url);
    if (!parsed || (parsed->scheme() != "https" && parsed->scheme() != "http") || parsed->host().empty())
      co_return error(ctx, Error::invalid("url", "url must be an absolute http(s) URL"));
    auto events = json::optional_array(*body, "events");
    if (!events) co_return error(ctx, events.error());
    repo::WebhookEndpoint ep;
    if (*events) {
      for (size_t i = 0; i < (*events)->size(); ++i) {
        const auto& v = (**events)[i];
        if (!v.is_string() || v.as_string().empty() || v.as_string().size() > 64)
          co_return error(ctx, Error::invalid("events[" + std::to_string(i) + "]", "an event type such as \"message.created\"", "invalid_type"));
        ep.events.emplace_back(v.as_string());
      }
    }
    ep.tenant_id = who->tenant_id;
    ep.url = *url;
    ep.secret = "whsec_" + crypto::random_token(24);
    ep.created_at = d.clock.now_ms();
    auto& ids = d.ids;
    auto work4_ = [ep, &ids](store::Tx& tx) mutable -> Result<Rendered> {
      ep.id = ids.next("we");
      repo::create_endpoint(tx, ep);
      return Rendered{201, bj::serialize(endpoint_json(ep, true))};
    };
    auto resp = co_await idempotent_write(d, ctx, who->tenant_id, work4_);
    d.webhooks.invalidate();
    co_return resp;
  }, {"Register a merchant webhook endpoint; the signing secret is returned once", Auth::agent, "webhooks",
      R"({"type":"object","required":["url"],"properties":{"url":{"type":"string","format":"uri"},"events":{"type":"array","items":{"type":"string"}}}})",
      kEndpointSchema, 201, true});

  r.add("GET", "/api/v1/webhook_endpoints", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id;
    auto work5_ = [tenant](store::Tx& tx) -> Result<std::vector<repo::WebhookEndpoint>> {
      return repo::list_endpoints(tx, tenant);
    };
    auto rows = co_await db_read<std::vector<repo::WebhookEndpoint>>(d.store, work5_);
    if (!rows) co_return error(ctx, rows.error());
    bj::array data;
    for (const auto& e : *rows) data.push_back(endpoint_json(e, false));
    co_return list(ctx, std::move(data), std::nullopt);
  }, {"List merchant webhook endpoints (without secrets)", Auth::agent, "webhooks", "",
      std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") + kEndpointSchema + "}}}"});

  r.add("GET", "/api/v1/webhook_endpoints/{id}/deliveries", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    auto limit = limit_param(ctx);
    if (!limit) co_return error(ctx, limit.error());
    int64_t after = 0;
    if (auto c = ctx.query_param("cursor")) {
      try {
        after = std::stoll(*c);
      } catch (...) {
        co_return error(ctx, Error::invalid("cursor", "bad cursor"));
      }
    }
    std::string tenant = who->tenant_id, id = ctx.param("id");
    int64_t lim = *limit;
    auto work6_ = [=](store::Tx& tx) -> Result<std::vector<repo::WebhookDelivery>> {
      if (!repo::get_endpoint(tx, tenant, id)) return Error::not_found("webhook endpoint");
      return repo::list_deliveries(tx, tenant, id, after, lim + 1);
    };
    auto rows = co_await db_read<std::vector<repo::WebhookDelivery>>(d.store, work6_);
    if (!rows) co_return error(ctx, rows.error());
    std::optional<std::string> next;
    if (static_cast<int64_t>(rows->size()) > lim) {
      rows->pop_back();
      next = std::to_string(rows->back().seq);
    }
    bj::array data;
    for (const auto& x : *rows)
      data.push_back(bj::object{{"id", x.id},
                                {"event_id", x.event_id},
                                {"event_type", x.event_type},
                                {"attempt", x.attempt},
                                {"status_code", x.status_code ? bj::value(*x.status_code) : bj::value(nullptr)},
                                {"error", x.error ? bj::value(*x.error) : bj::value(nullptr)},
                                {"duration_ms", x.duration_ms},
                                {"created_at", rfc3339(x.created_at)}});
    co_return list(ctx, std::move(data), next);
  }, {"Delivery log of a webhook endpoint: every attempt with its status, error and duration", Auth::agent,
      "webhooks", "",
      R"({"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"event_id":{"type":"string"},"event_type":{"type":"string"},"attempt":{"type":"integer"},"status_code":{"type":["integer","null"]},"error":{"type":["string","null"]},"duration_ms":{"type":"integer"},"created_at":{"type":"string"}}}},"next_cursor":{"type":["string","null"]}}})"});

  register_contact_routes(r, d);
}

}  // namespace bottega::http::api
