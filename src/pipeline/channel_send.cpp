#include "pipeline/channel_send.hpp"

#include <boost/json/parse.hpp>

#include "channels/cards.hpp"
#include "channels/registry.hpp"
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
      if (m->kind == "product") out.card = channels::card_from_content(content.as_object());
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
      if (auto* choices = content.as_object().if_contains("choices"); choices && choices->is_array())
        for (const auto& c : choices->as_array())
          if (c.is_object())
            out.choices.push_back({std::string(c.as_object().at("id").as_string()),
                                   std::string(c.as_object().at("title").as_string()), ""});
    }
    plan.request = plan.adapter->build_send(*settings, *to, out);
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

  const auto* adapter = plan.adapter;
  std::string type = plan.channel_type;
  auto request = std::make_shared<HttpRequest>(std::move(plan.request).value());
  if (sends_per_second_ > 0) {
    // The channel's shared bucket first: a send that must wait goes back to the queue (deferred,
    // not failed) and runs again when a token is due, on whichever node claims it then.
    auto wait = std::make_shared<int64_t>(0);
    int64_t per_second = sends_per_second_, now = env_.clock.now_ms();
    std::string bucket = "channel.send:" + plan.channel_id;
    store_.write([wait, tenant, bucket, per_second, now](store::Tx& tx) -> Status {
      *wait = take_token(tx, tenant, bucket, per_second, now);
      return {};
    }, [this, wait, request, adapter, type, tenant, message_id, done, fail_message](Status st) {
      if (!st.ok()) return done({false, "rate bucket: " + st.error().message, std::nullopt, false});
      if (*wait > 0) {
        metrics_.inc("bottega_channel_sends_deferred_total", "channel=\"" + type + "\"");
        JobOutcome o;
        o.defer = true;
        o.retry_after_ms = *wait;
        return done(o);
      }
      send(std::move(*request), adapter, type, tenant, message_id, done, fail_message);
    });
    return;
  }
  send(std::move(*request), adapter, type, tenant, message_id, done, fail_message);
}

void ChannelSender::send(HttpRequest request, const channels::ChannelAdapter* adapter, std::string type,
                         std::string tenant, std::string message_id, std::function<void(JobOutcome)> done,
                         std::function<void(const std::string&, bool)> fail_message) {
  http_.send(std::move(request), [this, adapter, type, tenant, message_id, done, fail_message](
                                                   Result<HttpResponse> r) {
    if (!r) {
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + type + "\",outcome=\"network_error\"");
      return fail_message(r.error().code + ": " + r.error().message, r.error().errc == Errc::forbidden);
    }
    auto id = adapter->parse_send_response(r->status, r->body);
    if (!id) {
      bool transient = id.error().errc == Errc::unavailable || id.error().errc == Errc::rate_limited;
      metrics_.inc("bottega_channel_sends_total", "channel=\"" + type + "\",outcome=\"rejected\"");
      return fail_message(id.error().code + ": " + id.error().message, !transient);
    }
    metrics_.inc("bottega_channel_sends_total", "channel=\"" + type + "\",outcome=\"sent\"");
    Env env = env_;
    std::string pid = *id;
    store_.write([env, tenant, message_id, pid](store::Tx& tx) mutable -> Status {
      return apply_send_result(tx, env, tenant, message_id, pid, std::nullopt);
    }, [done](Status s) { done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
  });
}

}  // namespace bottega::pipeline
