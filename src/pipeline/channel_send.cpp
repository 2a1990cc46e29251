#include "pipeline/channel_send.hpp"
#include "pipeline/window.hpp"
#include "channels/window.hpp"

#include <boost/json/parse.hpp>

#include "channels/attachments.hpp"
#include "channels/capabilities.hpp"
#include "channels/cards.hpp"
#include "channels/rate_limits.hpp"
#include "channels/registry.hpp"
#include "pipeline/access_tokens.hpp"
#include "pipeline/media.hpp"
#include "pipeline/rate_bucket.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace bj = boost::json;

void ChannelSender::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  boost::system::error_code ec;
  auto payload = bj::parse(job.payload_json, ec);
  if (ec || !payload.is_object() || !payload.as_object().contains("message_id"))
    return done({false, "bad job payload", std::nullopt, true});
  std::string message_id(payload.as_object()["message_id"].as_string());
  std::string tenant = job.tenant_id;

  struct Plan {
    Result<HttpRequest> request = Error::internal("unset");
    const channels::ChannelAdapter* adapter = nullptr;
    std::string channel_type;
    std::string channel_id;
    std::string recipient;
    channels::SendRate rate;
    bool own_per_second = false;  // the channel's settings.send_rate names per_second
    std::shared_ptr<const bj::object> settings;  // for adapters with an access token
    std::string access_token;                    // the cached one, if still valid
    std::vector<HttpRequest> follow_ups;         // the rest of a message with files
  };
  Plan plan;
  store::read_sync(store_, [&](store::Tx& tx) {
    auto m = repo::get_message(tx, tenant, message_id);
    if (!m) return void(plan.request = Error::not_found("message"));
    auto conv = repo::get_conversation(tx, tenant, m->conversation_id);
    if (!conv) return void(plan.request = Error::not_found("conversation"));
    auto ch = repo::get_channel(tx, tenant, conv->channel_id);
    if (!ch) return void(plan.request = Error::not_found("channel"));
    plan.channel_type = ch->type;
    plan.channel_id = ch->id;
    plan.adapter = channels::find_adapter(ch->type);
    if (!plan.adapter || !plan.adapter->build_send)
      return void(plan.request = Error{Errc::unprocessable, "channel_cannot_send", "this channel type cannot send yet", {}});
    auto to = repo::external_id_of(tx, tenant, ch->id, conv->contact_id);
    if (!to) return void(plan.request = Error{Errc::unprocessable, "no_recipient", "the customer has no id on this channel", {}});
    boost::system::error_code pec;
    auto sv = bj::parse(ch->settings_json, pec);
    if (pec || !sv.is_object()) return void(plan.request = Error::internal("channel settings unreadable"));
    auto settings = plan.adapter->parse_settings(sv.as_object());
    if (!settings) return void(plan.request = settings.error());
    auto rate = channels::send_rate(ch->type, sv.as_object());
    if (!rate) return void(plan.request = rate.error());
    plan.rate = *rate;
    if (auto* sr = sv.as_object().if_contains("send_rate"); sr && sr->is_object())
      plan.own_per_second = sr->as_object().contains("per_second");
    plan.recipient = *to;
    // A provider that accepts only so many replies to one customer message (WeChat: 5): past
    // them the message fails here, visibly, instead of being refused by the provider. Template
    // messages are not replies: they have no such quota.
    if (int limit = channels::replies_per_inbound(ch->type);
        limit > 0 && m->kind != "template" && window::replies_since_customer_message(tx, tenant, conv->id, message_id) >= limit)
        return void(plan.request = Error{Errc::unprocessable, "reply_limit",
                                         ch->type + " accepts at most " + std::to_string(limit) +
                                             " replies to one customer message; this one was not sent (it can go "
                                             "out after the customer writes again)",
                                         {}});
    if (plan.adapter->build_token_request) {
      plan.settings = std::make_shared<const bj::object>(sv.as_object());
      plan.access_token = access_tokens::get(tx, tenant, ch->id, env_.clock.now_ms()).value_or("");
    }
    OutboundMessage out;
    out.text = m->text;
    out.status_callback_url = public_url_ + "/webhooks/" + ch->id;
    auto content = bj::parse(m->content_json, pec);
    if (!pec && content.is_object()) {
      if (auto* link = content.as_object().if_contains("link"); link && link->is_object()) {
        const auto& lo = link->as_object();
        auto* title = lo.if_contains("title");
        auto* url = lo.if_contains("url");
        if (title && url && title->is_string() && url->is_string())
          out.link = LinkButton{std::string(title->as_string()), std::string(url->as_string())};
      }
      if (auto* h = content.as_object().if_contains("human_agent"); h && h->is_bool()) out.human_agent = h->as_bool();
      if (m->kind == "product") {
        out.card = channels::card_from_content(content.as_object());
        out.products = channels::products_from_content(content.as_object());
      }
      // An approved template (WhatsApp): checked against the channel's templates when queued.
      if (auto* t = content.as_object().if_contains("template"); m->kind == "template" && t && t->is_object()) {
        if (!plan.adapter->build_template_send)
          return void(plan.request = Error{Errc::unprocessable, "templates_unsupported", "this channel type has no templates", {}});
        channels::TemplateSend ts;
        const auto& to_obj = t->as_object();
        if (auto* n = to_obj.if_contains("name"); n && n->is_string()) ts.name = std::string(n->as_string());
        if (auto* l = to_obj.if_contains("language"); l && l->is_string()) ts.language = std::string(l->as_string());
        if (auto* ps = to_obj.if_contains("parameters"); ps && ps->is_array())
          for (const auto& p : ps->as_array())
            if (p.is_string()) ts.parameters.emplace_back(p.as_string());
        return void(plan.request = plan.adapter->build_template_send(*settings, *to, ts));
      }
      // Files (kind attachment): their bytes and signed public URLs. Each adapter sends what its
      // provider takes and a "name: url" line for the rest (channels/attachments.hpp).
      if (m->kind == "attachment") {
        auto files = media::load_outbound(tx, tenant, content.as_object(), {public_url_, media_url_key_},
                                          env_.clock.now_ms());
        if (!files) return void(plan.request = files.error());
        out.attachments = std::move(*files);
      }
      if (auto* choices = content.as_object().if_contains("choices"); choices && choices->is_array())
        for (const auto& c : choices->as_array())
          if (c.is_object())
            out.choices.push_back({std::string(c.as_object().at("id").as_string()),
                                   std::string(c.as_object().at("title").as_string()), ""});
    }
    plan.request = plan.adapter->build_send(*settings, *to, out);
    if (plan.request && plan.adapter->build_follow_ups && !out.attachments.empty()) {
      auto rest = plan.adapter->build_follow_ups(*settings, *to, out);
      if (!rest) return void(plan.request = rest.error());
      plan.follow_ups = std::move(*rest);
    }
  });

  std::function<void(const std::string&, bool)> fail_message = [this, tenant, message_id, done](
                                                                  const std::string& why, bool permanent) {
    if (!permanent) return done({false, why, std::nullopt, false});
    Env env = env_;
    store_.write([env, tenant, message_id, why](store::Tx& tx) mutable -> Status {
      return apply_send_result(tx, env, tenant, message_id, std::nullopt, why);
    }, [done, why](Status) { done({false, why, std::nullopt, true}); });
  };
  if (!plan.request) return fail_message(plan.request.error().code + ": " + plan.request.error().message, true);

  // Pacing cells: the channel's throughput and, where the provider limits it, this recipient's
  // pair rate. A channel's settings.send_rate wins over the configured default
  // (outbound.channel_sends_per_second), which wins over the provider's documented one
  // (channels/rate_limits.cpp).
  auto sj = std::make_shared<SendJob>();
  sj->adapter = plan.adapter;
  sj->type = plan.channel_type;
  sj->tenant = tenant;
  sj->message_id = message_id;
  sj->channel_id = plan.channel_id;
  sj->settings = plan.settings;
  sj->access_token = plan.access_token;
  sj->attempts = job.attempts;
  sj->follow_ups = std::move(plan.follow_ups);
  sj->parts = 1 + sj->follow_ups.size();
  sj->done = done;
  sj->fail_message = fail_message;
  channels::SendRate rate = plan.rate;
  if (sends_per_second_ > 0 && !plan.own_per_second) rate.per_second = sends_per_second_;
  // Sends leave at 90% of each figure: a send reaches the provider some time after its slot (a
  // commit, the network), and that delay varies, so two sends paced exactly at the limit can
  // arrive closer together than the limit allows. The 10% absorbs that jitter.
  if (rate.per_second > 0)
    // Evenly spaced, no burst: a provider counting over any one-second window never sees more.
    sj->channel_cell = PaceCell{"send:" + plan.channel_id, std::max<int64_t>(1, 1'000'000 * 10 / (rate.per_second * 9)), 1};
  if (rate.per_recipient_interval_ms > 0)
    sj->recipient_cell = PaceCell{"send:" + plan.channel_id + ":" + plan.recipient,
                                  rate.per_recipient_interval_ms * 1000 * 10 / 9, rate.per_recipient_burst};
  auto request = std::make_shared<HttpRequest>(std::move(plan.request).value());
  std::vector<PaceCell> cells;
  if (sj->channel_cell) cells.push_back(*sj->channel_cell);
  if (sj->recipient_cell) cells.push_back(*sj->recipient_cell);
  if (cells.empty()) return send(std::move(*request), sj);
  // The shared cells first: a send that must wait books its slot and goes back to the queue until
  // then (deferred, not failed), on whichever node claims it then. The job's order key keeps the
  // conversation's later messages behind it.
  auto wait = std::make_shared<int64_t>(0);
  int64_t now = env_.clock.now_ms();
  store_.write([wait, tenant, cells, now, message_id](store::Tx& tx) -> Status {
    *wait = pace(tx, tenant, cells, now, message_id);
    return {};
  }, [this, wait, request, sj](Status st) {
    if (!st.ok()) return sj->done({false, "send pacing: " + st.error().message, std::nullopt, false});
    if (*wait > 0) {
      metrics_.inc("bottega_channel_sends_deferred_total", "channel=\"" + sj->type + "\"");
      JobOutcome o;
      o.defer = true;
      o.retry_after_ms = *wait;
      return sj->done(o);
    }
    send(std::move(*request), sj);
  });
}

// Adapters with an access token: a cached one, else a new one first (then stored for every node).
void ChannelSender::fetch_token(HttpRequest request, std::shared_ptr<SendJob> sj) {
  auto req = std::make_shared<HttpRequest>(std::move(request));
  access_tokens::fetch(store_, http_, env_.clock, *sj->adapter, *sj->settings, sj->tenant, sj->channel_id,
                       [this, sj, req](Result<std::string> token, bool network) {
    if (!token) {
      // Wrong AppID / AppSecret or an IP not on the account's allow-list are the shop's to fix, but
      // the message is kept retrying until its deadline so fixing the settings delivers it.
      const Error& e = token.error();
      bool transient = network || e.errc == Errc::unavailable || e.errc == Errc::rate_limited ||
                       e.errc == Errc::unauthenticated;
      metrics_.inc("bottega_channel_sends_total",
                   "channel=\"" + sj->type + "\",outcome=\"" + (network ? "network_error" : "token_error") + "\"");
      return sj->fail_message("access token: " + e.code + ": " + e.message, !transient);
    }
    sj->access_token = *token;
    send(std::move(*req), sj);
  });
}

void ChannelSender::send(HttpRequest request, std::shared_ptr<SendJob> sj) {
  std::shared_ptr<HttpRequest> without_token;  // to send again with a new token
  if (sj->adapter->authorize) {
    if (sj->access_token.empty()) return fetch_token(std::move(request), sj);
    without_token = std::make_shared<HttpRequest>(request);
    sj->adapter->authorize(request, sj->access_token);
  }
  http_.send(std::move(request), [this, sj, without_token](Result<HttpResponse> r) {
    if (!r) {
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"network_error\"");
      return sj->fail_message(r.error().code + ": " + r.error().message, r.error().errc == Errc::forbidden);
    }
    auto id = sj->adapter->parse_send_response(r->status, r->body);
    if (!id && id.error().errc == Errc::rate_limited) return throttled(*r, sj, id.error().code + ": " + id.error().message);
    if (!id && id.error().code == "access_token_invalid" && without_token && !sj->token_refreshed) {
      // The provider no longer accepts the cached token: forget it (unless another node already
      // replaced it), get a new one and send again, once.
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"token_expired\"");
      sj->token_refreshed = true;
      std::string tenant = sj->tenant, channel = sj->channel_id, token = sj->access_token;
      return store_.write([tenant, channel, token](store::Tx& tx) -> Status {
        access_tokens::drop(tx, tenant, channel, token);
        return {};
      }, [this, sj, without_token](Status) {
        sj->access_token.clear();
        send(std::move(*without_token), sj);
      });
    }
    if (!id) {
      bool transient = id.error().errc == Errc::unavailable;
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"rejected\"");
      return sj->fail_message(id.error().code + ": " + id.error().message, !transient);
    }
    metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"sent\"");
    Env env = env_;
    // A provider that returns no message id (WeChat's customer-service API): our own id stands in.
    std::string pid = id->empty() ? "bottega:" + sj->message_id : *id, tenant = sj->tenant, message_id = sj->message_id;
    if (!sj->follow_ups.empty()) {
      // The message goes on as more provider messages (its files): the first one's id stands for
      // it, recorded with the outcome of the last.
      sj->first_id = pid;
      return send_follow_up(sj);
    }
    store_.write([env, tenant, message_id, pid](store::Tx& tx) mutable -> Status {
      return apply_send_result(tx, env, tenant, message_id, pid, std::nullopt);
    }, [sj](Status s) { sj->done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
  });
}

// The rest of a message sent as several provider messages, one after the other, once its first
// was accepted. The first cannot be taken back, so a part that fails is not retried (that would
// send the first again): the message is marked failed, naming the part, with the first's id.
void ChannelSender::send_follow_up(std::shared_ptr<SendJob> sj) {
  HttpRequest next = std::move(sj->follow_ups.front());
  sj->follow_ups.erase(sj->follow_ups.begin());
  if (sj->adapter->authorize && !sj->access_token.empty()) sj->adapter->authorize(next, sj->access_token);
  http_.send(std::move(next), [this, sj](Result<HttpResponse> r) { follow_up_sent(std::move(r), sj); });
}

void ChannelSender::follow_up_sent(Result<HttpResponse> r, std::shared_ptr<SendJob> sj) {
  size_t part = sj->parts - sj->follow_ups.size();
  std::optional<std::string> why;
  if (!r) why = r.error().code + ": " + r.error().message;
  else if (auto id = sj->adapter->parse_send_response(r->status, r->body); !id)
    why = id.error().code + ": " + id.error().message;
  metrics_.inc("bottega_channel_sends_total",
               "channel=\"" + sj->type + "\",outcome=\"" + (why ? "part_failed" : "sent") + "\"");
  if (!why && !sj->follow_ups.empty()) return send_follow_up(sj);
  if (why) why = "part " + std::to_string(part) + " of " + std::to_string(sj->parts) + " not sent: " + *why;
  Env env = env_;
  std::string tenant = sj->tenant, message_id = sj->message_id, pid = sj->first_id;
  store_.write([env, tenant, message_id, pid, why](store::Tx& tx) mutable -> Status {
    return apply_send_result(tx, env, tenant, message_id, pid, why);
  }, [sj, why](Status s) {
    if (!s.ok()) return sj->done({false, s.error().message, std::nullopt, false});
    sj->done({!why, why.value_or(""), std::nullopt, why.has_value()});
  });
}

// The provider said "slow down": the cell it limits (the channel's throughput, or this
// recipient's pair rate) is held until the provider's delay has passed, so every node's other
// sends through it wait too instead of drawing more errors. This send counts as a failed attempt
// and is retried no sooner than the provider's delay (later, by the job's back-off, when the
// provider keeps refusing: that is how WhatsApp's 4^n pair back-off grows).
void ChannelSender::throttled(const HttpResponse& response, std::shared_ptr<SendJob> sj, std::string why) {
  metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"rate_limited\"");
  int64_t now = env_.clock.now_ms();
  auto t = channels::read_throttle(sj->type, response, sj->attempts, now);
  std::optional<PaceCell> cell = t.scope == channels::Throttle::Scope::recipient ? sj->recipient_cell : sj->channel_cell;
  JobOutcome o;
  o.retry_after_ms = t.retry_after_ms;
  o.error = std::move(why);
  if (!cell) return sj->done(o);
  std::string tenant = sj->tenant;
  int64_t until = now + t.retry_after_ms;
  store_.write([tenant, cell, until, now](store::Tx& tx) -> Status {
    hold(tx, tenant, *cell, until, now);
    return {};
  }, [sj, o](Status) { sj->done(o); });
}

}  // namespace bottega::pipeline
