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

namespace {

// A message sent as several provider messages: each part the provider accepted (1-based), recorded
// as it is accepted, so a retried job goes on at the next part instead of sending the first again.
constexpr store::Stmt kRecordPart{
    "message_send_parts.insert",
    "INSERT INTO message_send_parts(tenant_id, message_id, part, provider_message_id, accepted_at) "
    "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (tenant_id, message_id, part) DO NOTHING"};
constexpr store::Stmt kAcceptedParts{
    "message_send_parts.list",
    "SELECT part, provider_message_id FROM message_send_parts WHERE tenant_id = $1 AND message_id = $2 "
    "ORDER BY part"};

}  // namespace

void ChannelSender::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  boost::system::error_code ec;
  auto payload = bj::parse(job.payload_json, ec);
  if (ec || !payload.is_object() || !payload.as_object().contains("message_id"))
    return done({false, "bad job payload", std::nullopt, true});
  std::string message_id(payload.as_object()["message_id"].as_string());
  std::string tenant = job.tenant_id;

  struct Plan {
    Status request = Error::internal("unset");
    const channels::ChannelAdapter* adapter = nullptr;
    std::string channel_type;
    std::string channel_id;
    std::string recipient;
    channels::SendRate rate;
    bool own_per_second = false;  // the channel's settings.send_rate names per_second
    std::shared_ptr<const bj::object> settings;  // for adapters with an access token
    std::string access_token;                    // the cached one, if still valid
    std::vector<channels::SendPart> parts;       // every provider message of the message
    size_t accepted = 0;                         // parts a run before this one had sent
    std::string first_id;                        // the first part's provider id, when accepted
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
        auto request = plan.adapter->build_template_send(*settings, *to, ts);
        if (!request) return void(plan.request = request.error());
        plan.parts.push_back({std::move(*request)});
        return void(plan.request = Status{});
      }
      // Files (kind attachment): their bytes and signed public URLs. Each adapter sends what its
      // provider takes and a "name: url" line for the rest (channels/attachments.hpp).
      if (m->kind == "attachment") {
        auto wants_bytes = [needs = plan.adapter->needs_bytes](const OutboundAttachment& f) {
          return needs != nullptr && needs(f);
        };
        auto files = media::load_outbound(tx, tenant, content.as_object(), {public_url_, media_url_key_},
                                          env_.clock.now_ms(), wants_bytes);
        if (!files) return void(plan.request = files.error());
        out.attachments = std::move(*files);
      }
      if (auto* choices = content.as_object().if_contains("choices"); choices && choices->is_array())
        for (const auto& c : choices->as_array())
          if (c.is_object())
            out.choices.push_back({std::string(c.as_object().at("id").as_string()),
                                   std::string(c.as_object().at("title").as_string()), ""});
    }
    if (plan.adapter->build_parts && !out.attachments.empty()) {
      auto parts = plan.adapter->build_parts(*settings, *to, out);
      if (!parts) return void(plan.request = parts.error());
      if (parts->empty()) return void(plan.request = Error::internal("no provider message to send"));
      plan.parts = std::move(*parts);
    } else {
      auto request = plan.adapter->build_send(*settings, *to, out);
      if (!request) return void(plan.request = request.error());
      plan.parts.push_back({std::move(*request)});
    }
    // A provider that accepts only so many replies to one customer message (WeChat: 5, one per
    // part: a text and each image): a message that would pass them fails here, visibly, before
    // any part is sent, instead of being refused by the provider part way. Template messages are
    // not replies: they have no such quota (and returned above).
    if (int limit = channels::replies_per_inbound(ch->type); limit > 0) {
      const int64_t sent = window::replies_since_customer_message(tx, tenant, conv->id, message_id);
      const int64_t parts = static_cast<int64_t>(plan.parts.size());
      if (sent + parts > limit)
        return void(plan.request = Error{
                        Errc::unprocessable, "reply_limit",
                        ch->type + " accepts at most " + std::to_string(limit) +
                            " replies to one customer message; " + std::to_string(sent) + " sent already" +
                            (parts > 1 ? " and this one takes " + std::to_string(parts) + " (one per part)" : "") +
                            ", so it was not sent (it can go out after the customer writes again)",
                        {}});
    }
    plan.request = Status{};
    // A message of several parts goes on after the last part an earlier run had sent.
    if (plan.parts.size() > 1)
      for (const auto& row : tx.query(kAcceptedParts, {tenant, message_id})) {
        if (row.i64(0) != static_cast<int64_t>(plan.accepted) + 1) break;
        if (plan.accepted++ == 0) plan.first_id = row.str(1);
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
  if (!plan.request.ok()) return fail_message(plan.request.error().code + ": " + plan.request.error().message, true);

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
  sj->parts = std::move(plan.parts);
  sj->next = plan.accepted;
  sj->first_id = plan.first_id;
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
  // Every part was sent by an earlier run that stopped before its result was recorded.
  if (sj->next >= sj->parts.size()) return finish(sj, std::nullopt);
  std::vector<PaceCell> cells;
  if (sj->channel_cell) cells.push_back(*sj->channel_cell);
  if (sj->recipient_cell) cells.push_back(*sj->recipient_cell);
  if (cells.empty()) return send_part(sj);
  // The shared cells first: a send that must wait books its slot and goes back to the queue until
  // then (deferred, not failed), on whichever node claims it then. The job's order key keeps the
  // conversation's later messages behind it.
  auto wait = std::make_shared<int64_t>(0);
  int64_t now = env_.clock.now_ms();
  store_.write([wait, tenant, cells, now, message_id](store::Tx& tx) -> Status {
    *wait = pace(tx, tenant, cells, now, message_id);
    return {};
  }, [this, wait, sj](Status st) {
    if (!st.ok()) return sj->done({false, "send pacing: " + st.error().message, std::nullopt, false});
    if (*wait > 0) {
      metrics_.inc("bottega_channel_sends_deferred_total", "channel=\"" + sj->type + "\"");
      JobOutcome o;
      o.defer = true;
      o.retry_after_ms = *wait;
      return sj->done(o);
    }
    send_part(sj);
  });
}

// Adapters with an access token: a cached one, else a new one first (then stored for every node).
void ChannelSender::fetch_token(HttpRequest request, std::shared_ptr<SendJob> sj, bool preparing) {
  auto req = std::make_shared<HttpRequest>(std::move(request));
  access_tokens::fetch(store_, http_, env_.clock, *sj->adapter, *sj->settings, sj->tenant, sj->channel_id,
                       [this, sj, req, preparing](Result<std::string> token, bool network) {
    if (!token) {
      // Wrong AppID / AppSecret or an IP not on the account's allow-list are the shop's to fix, but
      // the message is kept retrying until its deadline so fixing the settings delivers it.
      const Error& e = token.error();
      bool transient = network || e.errc == Errc::unavailable || e.errc == Errc::rate_limited ||
                       e.errc == Errc::unauthenticated;
      metrics_.inc("bottega_channel_sends_total",
                   "channel=\"" + sj->type + "\",outcome=\"" + (network ? "network_error" : "token_error") + "\"");
      return part_failed(sj, "access token: " + e.code + ": " + e.message, !transient);
    }
    sj->access_token = *token;
    exchange(std::move(*req), sj, preparing);
  });
}

// The next part of the message: its request, or the first request of its chain.
void ChannelSender::send_part(std::shared_ptr<SendJob> sj) {
  channels::SendPart& part = sj->parts[sj->next];
  exchange(std::move(part.request), sj, static_cast<bool>(part.then));
}

// One request of the current part. `preparing`: the part's `then` reads the answer and gives the
// request that sends the part; else parse_send_response reads the part's provider id.
void ChannelSender::exchange(HttpRequest request, std::shared_ptr<SendJob> sj, bool preparing) {
  std::shared_ptr<HttpRequest> without_token;  // to send again with a new token
  if (sj->adapter->authorize) {
    if (sj->access_token.empty()) return fetch_token(std::move(request), sj, preparing);
    without_token = std::make_shared<HttpRequest>(request);
    sj->adapter->authorize(request, sj->access_token);
  }
  http_.send(std::move(request), [this, sj, without_token, preparing](Result<HttpResponse> r) {
    std::string outcome = sj->next == 0 ? "rejected" : "part_failed";
    if (!r) {
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"network_error\"");
      return part_failed(sj, r.error().code + ": " + r.error().message, r.error().errc == Errc::forbidden);
    }
    std::optional<Error> error;
    std::optional<HttpRequest> then;
    std::string id;
    if (preparing) {
      auto next = sj->parts[sj->next].then(r->status, r->body);
      if (next) then = std::move(*next);
      else error = next.error();
    } else {
      auto parsed = sj->adapter->parse_send_response(r->status, r->body);
      if (parsed) id = std::move(*parsed);
      else error = parsed.error();
    }
    if (error && error->errc == Errc::rate_limited) return throttled(*r, sj, error->code + ": " + error->message);
    if (error && error->code == "access_token_invalid" && without_token && !sj->token_refreshed) {
      // The provider no longer accepts the cached token: forget it (unless another node already
      // replaced it), get a new one and send again, once.
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"token_expired\"");
      sj->token_refreshed = true;
      std::string tenant = sj->tenant, channel = sj->channel_id, token = sj->access_token;
      return store_.write([tenant, channel, token](store::Tx& tx) -> Status {
        access_tokens::drop(tx, tenant, channel, token);
        return {};
      }, [this, sj, without_token, preparing](Status) {
        sj->access_token.clear();
        exchange(std::move(*without_token), sj, preparing);
      });
    }
    if (error) {
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"" + outcome + "\"");
      return part_failed(sj, error->code + ": " + error->message, error->errc != Errc::unavailable);
    }
    if (then) return exchange(std::move(*then), sj, false);
    metrics_.inc("bottega_channel_sends_total", "channel=\"" + sj->type + "\",outcome=\"sent\"");
    part_accepted(sj, id);
  });
}

// A part was accepted. A provider that returns no message id (WeChat's customer-service API): our
// own id stands in. The message keeps the first part's id. Every part but the last is recorded
// before the next is sent; the last is recorded with the message's result, in one write.
void ChannelSender::part_accepted(std::shared_ptr<SendJob> sj, const std::string& id) {
  std::string pid = id.empty() ? "bottega:" + sj->message_id : id;
  if (sj->next == 0) sj->first_id = pid;
  ++sj->next;
  if (sj->next == sj->parts.size()) return finish(sj, pid);
  std::string tenant = sj->tenant, message_id = sj->message_id;
  int64_t part = static_cast<int64_t>(sj->next), now = env_.clock.now_ms();
  store_.write([tenant, message_id, part, pid, now](store::Tx& tx) -> Status {
    tx.exec(kRecordPart, {tenant, message_id, part, pid, now});
    return {};
  }, [this, sj](Status s) {
    if (!s.ok()) return sj->done({false, "recording a sent part: " + s.error().message, std::nullopt, false});
    send_part(sj);
  });
}

// Every part was sent: the message is sent, with its first part's id. `last_id`: the last part's id
// when this run sent it (recorded with the result, for a message of several parts).
void ChannelSender::finish(std::shared_ptr<SendJob> sj, std::optional<std::string> last_id) {
  Env env = env_;
  std::string tenant = sj->tenant, message_id = sj->message_id, pid = sj->first_id;
  int64_t part = static_cast<int64_t>(sj->parts.size()), now = env_.clock.now_ms();
  if (sj->parts.size() == 1) last_id.reset();
  store_.write([env, tenant, message_id, pid, part, last_id, now](store::Tx& tx) mutable -> Status {
    if (last_id) tx.exec(kRecordPart, {tenant, message_id, part, *last_id, now});
    return apply_send_result(tx, env, tenant, message_id, pid, std::nullopt);
  }, [sj](Status s) { sj->done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
}

// A request of the current part failed. Before any part was accepted the message simply was not
// sent (failed when permanent, else retried). After: the parts already sent cannot be taken back
// but are recorded, so a transient failure retries the job from this part; a refusal marks the
// message failed, naming the part, with the first part's id.
void ChannelSender::part_failed(std::shared_ptr<SendJob> sj, const std::string& why, bool permanent) {
  if (sj->next == 0) return sj->fail_message(why, permanent);
  std::string part = "part " + std::to_string(sj->next + 1) + " of " + std::to_string(sj->parts.size());
  if (!permanent) return sj->done({false, part + ": " + why, std::nullopt, false});
  std::string reason = part + " not sent: " + why;
  Env env = env_;
  std::string tenant = sj->tenant, message_id = sj->message_id, pid = sj->first_id;
  store_.write([env, tenant, message_id, pid, reason](store::Tx& tx) mutable -> Status {
    return apply_send_result(tx, env, tenant, message_id, pid, reason);
  }, [sj, reason](Status s) {
    if (!s.ok()) return sj->done({false, s.error().message, std::nullopt, false});
    sj->done({false, reason, std::nullopt, true});
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
