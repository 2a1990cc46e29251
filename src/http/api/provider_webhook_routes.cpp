// Provider webhooks at /webhooks/{channel_id}: Meta's GET subscription handshake, and POSTs that
// are verified on the raw bytes (before any parsing), parsed by the channel's adapter and stored
// in one transaction. The 200 is sent only after the commit, so a provider never gets an
// acknowledgement for something that could still be lost; a retried delivery is deduplicated.
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/registry.hpp"
#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

struct Resolved {
  Channel channel;
  const channels::ChannelAdapter* adapter = nullptr;
  channels::AnySettings settings;
};

Result<Resolved> resolve(store::Tx& tx, const std::string& channel_id) {
  auto ch = repo::find_channel(tx, channel_id);
  if (!ch) return Error::not_found("channel");
  const auto* adapter = channels::find_adapter(ch->type);
  if (!adapter || !adapter->parse) return Error::not_found("channel webhook");
  boost::system::error_code ec;
  auto sv = bj::parse(ch->settings_json, ec);
  if (ec || !sv.is_object()) return Error::internal("channel settings unreadable");
  auto settings = adapter->parse_settings(sv.as_object());
  if (!settings) return Error::internal("channel settings invalid: " + settings.error().message);
  return Resolved{std::move(*ch), adapter, std::move(settings).value()};
}

WebhookRequest raw_request(const Deps& d, Context& ctx) {
  WebhookRequest w;
  w.method = std::string(ctx.req.method_string());
  w.url = d.opts.public_url + std::string(ctx.req.target());
  w.query = ctx.query;
  for (const auto& f : ctx.req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    w.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  w.body = ctx.req.body();
  w.received_at_ms = d.clock.now_ms();
  return w;
}

asio::awaitable<Response> handshake(Deps& d, Context& ctx) {
  std::string id = ctx.param("channel_id");
  auto lookup = [id](store::Tx& tx) { return resolve(tx, id); };
  auto r = co_await db_read<Resolved>(d.store, lookup);
  if (!r) co_return error(ctx, r.error());
  if (!r->adapter->verify_subscription) co_return error(ctx, Error::not_found("subscription handshake"));
  auto challenge = r->adapter->verify_subscription(ctx.query, r->settings);
  if (!challenge) {
    d.metrics.inc("bottega_provider_webhooks_rejected_total", "channel=\"" + r->channel.type + "\",reason=\"handshake\"");
    co_return error(ctx, challenge.error());
  }
  co_return text_response(ctx.req, 200, *challenge, "text/plain; charset=utf-8");
}

asio::awaitable<Response> receive(Deps& d, Context& ctx) {
  std::string id = ctx.param("channel_id");
  auto lookup = [id](store::Tx& tx) { return resolve(tx, id); };
  auto r = co_await db_read<Resolved>(d.store, lookup);
  if (!r) co_return error(ctx, r.error());
  const std::string type = r->channel.type;
  WebhookRequest raw = raw_request(d, ctx);
  if (r->adapter->verify) {
    auto ok = r->adapter->verify(raw, r->settings);
    if (!ok) {
      d.metrics.inc("bottega_provider_webhooks_rejected_total", "channel=\"" + type + "\",reason=\"" + ok.error().code + "\"");
      co_return error(ctx, ok.error());
    }
  }
  auto batch = r->adapter->parse(raw.body);
  if (!batch) {
    d.metrics.inc("bottega_provider_webhooks_rejected_total", "channel=\"" + type + "\",reason=\"unparsable\"");
    co_return error(ctx, batch.error());
  }
  auto env = d.env();
  Channel channel = r->channel;
  InboundBatch b = std::move(batch).value();
  auto work = [&env, channel, b](store::Tx& tx) { return pipeline::ingest_provider_batch(tx, env, channel, b); };
  auto out = co_await db_write<pipeline::BatchOutcome>(d.store, work);
  if (!out) co_return error(ctx, out.error());
  std::string labels = "channel=\"" + type + "\"";
  d.metrics.inc("bottega_provider_messages_total", labels, out->messages);
  d.metrics.inc("bottega_provider_duplicates_total", labels, out->duplicates);
  d.metrics.inc("bottega_provider_statuses_total", labels, out->statuses);
  if (type == "telegram") {
    // Telegram shows a spinner on a tapped inline button until the bot answers the callback
    // query; the webhook's response may carry that one method call.
    for (const auto& m : b.messages) {
      if (m.provider_message_id.rfind("cbq:", 0) == 0) {
        bj::object answer{{"method", "answerCallbackQuery"}, {"callback_query_id", m.provider_message_id.substr(4)}};
        co_return json_response(ctx.req, 200, bj::serialize(answer));
      }
    }
  }
  if (r->adapter->callback_reply)  // Viber's welcome message
    if (auto body = r->adapter->callback_reply(raw.body, r->settings)) co_return json_response(ctx.req, 200, *body);
  if (!r->adapter->ack_body.empty())  // Twilio's empty TwiML, WeChat's "success"
    co_return text_response(ctx.req, 200, std::string(r->adapter->ack_body), std::string(r->adapter->ack_content_type));
  co_return json_response(ctx.req, 200, "{\"ok\":true}");
}

}  // namespace

void register_provider_webhook_routes(Router& r, Deps& d) {
  r.add("GET", "/webhooks/{channel_id}", [&d](Context& ctx) { return handshake(d, ctx); },
        {"Provider subscription handshake (Meta: hub.mode, hub.verify_token, hub.challenge; WeChat: signature, timestamp, nonce, echostr)", Auth::webhook,
         "provider webhooks", "", ""});
  r.add("POST", "/webhooks/{channel_id}", [&d](Context& ctx) { return receive(d, ctx); },
        {"Provider webhook: verified on the raw bytes (X-Hub-Signature-256, X-Telegram-Bot-Api-Secret-Token, "
         "X-Twilio-Signature, X-Viber-Content-Signature, WeChat's query signature), deduplicated, stored; 200 only after the commit",
         Auth::webhook, "provider webhooks", "", R"({"type":"object"})"});
}

}  // namespace bottega::http::api
