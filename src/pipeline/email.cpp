#include "pipeline/email.hpp"
#include "pipeline/media.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/cards.hpp"
#include "pipeline/contacts.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::email {

namespace bj = boost::json;
namespace em = channels::email;
using store::Stmt;

namespace {

constexpr Stmt kInsertRoute{"email_routes.insert",
                            "INSERT INTO email_routes(address, tenant_id, channel_id, created_at) VALUES ($1,$2,$3,$4)"};
constexpr Stmt kFindRoute{"email_routes.find", "SELECT tenant_id, channel_id FROM email_routes WHERE address = $1"};
constexpr Stmt kLastInbound{
    "email.last_inbound",
    "SELECT provider_message_id, content FROM messages WHERE tenant_id = $1 AND conversation_id = $2 "
    "AND direction = 'in' AND provider_message_id IS NOT NULL ORDER BY seq DESC LIMIT 1"};

std::optional<Conversation> thread_of(Tx& tx, const Channel& ch, const em::InboundMail& in,
                                      const std::string& recipient) {
  for (const auto& id : in.thread_ids) {
    auto m = repo::find_message_by_provider_id(tx, ch.tenant_id, id);
    if (!m) continue;
    auto c = repo::get_conversation(tx, ch.tenant_id, m->conversation_id);
    if (c && c->channel_id == ch.id) return c;
  }
  auto token = em::split_plus(recipient).token;
  if (!token.empty()) {
    auto c = repo::get_conversation(tx, ch.tenant_id, token);
    if (c && c->channel_id == ch.id) return c;
  }
  return std::nullopt;
}

}  // namespace

Status add_routes(Tx& tx, const std::string& tenant, const std::string& channel_id,
                  const std::vector<std::string>& addresses, int64_t now) {
  for (const auto& a : addresses) {
    if (tx.query_one(kFindRoute, {a}))
      return Error::conflict("address_taken", "another email channel already receives mail for " + a);
    tx.exec(kInsertRoute, {a, tenant, channel_id, now});
  }
  return {};
}

std::optional<Route> find_route(Tx& tx, const std::string& recipient) {
  auto base = em::split_plus(recipient).base;
  auto r = tx.query_one(kFindRoute, {base});
  if (!r) return std::nullopt;
  return Route{r->str(0), r->str(1)};
}

Result<MailOutcome> ingest_mail(Tx& tx, Env& env, const std::vector<std::string>& recipients,
                                const em::ParsedMail& mail, std::string_view raw) {
  if (!mail.from || mail.from->address.empty())
    return Error::invalid("from", "the mail has no sender address", "no_sender");
  em::InboundMail in = em::to_inbound(mail, raw);
  MailOutcome out;
  std::vector<std::string> seen_channels;
  int64_t now = env.clock.now_ms();
  for (const auto& rcpt : recipients) {
    auto route = find_route(tx, rcpt);
    if (!route) {
      ++out.unrouted;
      continue;
    }
    bool again = false;
    for (const auto& c : seen_channels) again = again || c == route->channel_id;
    if (again) continue;  // two addresses of one channel: one message
    seen_channels.push_back(route->channel_id);
    auto ch = repo::get_channel(tx, route->tenant_id, route->channel_id);
    if (!ch) {
      ++out.unrouted;
      continue;
    }
    const std::string& tenant = ch->tenant_id;
    std::string msg_id = env.ids.next("msg");
    if (!repo::insert_dedupe(tx, tenant, "ch:" + ch->id, in.message_id, msg_id, now)) {
      ++out.duplicates;
      continue;
    }
    std::string external = em::split_plus(in.from_address).base;  // one contact per address
    if (external.empty()) external = in.from_address;
    // A sender the trusted MTA proved (DMARC / aligned DKIM) has a verified address: a new
    // identity joins the one contact that verified it elsewhere (a web chat visitor's code).
    std::optional<std::string> verified;
    {
      boost::system::error_code pec;
      auto sv = bj::parse(ch->settings_json, pec);
      auto st = !pec && sv.is_object() ? em::parse_settings(sv.as_object()) : Result<em::Settings>(Error::internal("settings"));
      if (st && em::sender_verified(mail, st->trusted_authserv_id)) verified = normalize_email(in.from_address);
    }
    auto contact = repo::find_identity(tx, tenant, ch->id, external);
    if (!contact && verified)
      if (auto existing = contact_by_verified_email(tx, tenant, *verified, "", ch->id)) {
        join_identity(tx, env, tenant, ch->id, external, *existing, "verified_email");
        contact = *existing;
      }
    if (!contact) {
      std::string cid = env.ids.next("ct");
      std::string name = in.from_name.empty() ? in.from_address : in.from_name;
      repo::create_contact(tx, tenant, cid, name, in.from_address, now);
      repo::create_identity(tx, tenant, ch->id, external, cid, now);
      emit(tx, env, tenant, event_type::kContactCreated, {}, cid, false,
           bj::object{{"id", cid}, {"name", name}, {"channel_id", ch->id}});
      contact = cid;
    }
    Incoming m;
    m.text = in.text;
    m.kind = "text";
    m.content_json = in.content_json;
    if (verified) {
      record_verified_email(tx, tenant, *contact, *verified, "email_channel", now);
      auto cv = bj::parse(in.content_json);
      cv.as_object()["email"].as_object()["from_verified"] = true;
      m.content_json = bj::serialize(cv);
    }
    m.provider_message_id = in.message_id;
    auto conv = thread_of(tx, *ch, in, rcpt);
    if (conv) m.conversation_id = conv->id;
    else m.new_conversation = true;
    m.subject = in.subject.empty() ? std::optional<std::string>() : std::optional<std::string>(in.subject);
    auto r = ingest_contact_message(tx, env, tenant, *ch, *contact, m, std::nullopt);
    if (!r) return std::move(r).error();
    ++out.stored;
  }
  return out;
}

MailRequest relay_request(const em::Settings& s, const std::string& helo, const std::string& to, std::string data) {
  MailRequest req;
  req.host = s.smtp_host;
  req.port = s.smtp_port;
  req.tls = s.smtp_tls == em::RelayTls::required ? MailRequest::Tls::required
            : s.smtp_tls == em::RelayTls::none   ? MailRequest::Tls::none
                                                 : MailRequest::Tls::starttls;
  req.username = s.smtp_username;
  req.password = s.smtp_password;
  req.helo_name = helo;
  req.from = s.address;
  req.to = {to};
  req.data = std::move(data);
  return req;
}

void EmailSender::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  boost::system::error_code ec;
  auto payload = bj::parse(job.payload_json, ec);
  if (ec || !payload.is_object() || !payload.as_object().contains("message_id") ||
      !payload.as_object().at("message_id").is_string())
    return done({false, "bad job payload", std::nullopt, true});
  std::string message_id(payload.as_object().at("message_id").as_string());
  std::string tenant = job.tenant_id;

  Result<MailRequest> plan = Error::internal("unset");
  std::string our_id;
  store::read_sync(store_, [&](Tx& tx) {
    auto m = repo::get_message(tx, tenant, message_id);
    if (!m) return void(plan = Error::not_found("message"));
    auto conv = repo::get_conversation(tx, tenant, m->conversation_id);
    if (!conv) return void(plan = Error::not_found("conversation"));
    auto ch = repo::get_channel(tx, tenant, conv->channel_id);
    if (!ch) return void(plan = Error::not_found("channel"));
    boost::system::error_code pec;
    auto sv = bj::parse(ch->settings_json, pec);
    if (pec || !sv.is_object()) return void(plan = Error::internal("channel settings unreadable"));
    auto settings = em::parse_settings(sv.as_object());
    if (!settings) return void(plan = settings.error());
    if (settings->smtp_host.empty())
      return void(plan = Error{Errc::unprocessable, "no_relay", "the email channel has no smtp_host to send through", {}});
    auto to = repo::external_id_of(tx, tenant, ch->id, conv->contact_id);
    if (!to) return void(plan = Error{Errc::unprocessable, "no_recipient", "the customer has no address on this channel", {}});
    em::Reply r;
    r.to_address = *to;
    r.to_name = conv->contact_name == *to ? std::string() : conv->contact_name;
    r.subject = conv->subject.value_or("");
    r.text = m->text;
    if (m->kind == "product" || m->kind == "cart" || m->kind == "payment_link") {
      auto content = bj::parse(m->content_json, pec);
      if (!pec && content.is_object()) r.html = channels::message_html(m->text, content.as_object());
    }
    if (m->kind == "attachment") {  // the files as MIME parts
      auto content = bj::parse(m->content_json, pec);
      if (pec || !content.is_object()) return void(plan = Error::internal("message content unreadable"));
      auto files = media::load_outbound(tx, tenant, content.as_object(), {}, env_.clock.now_ms());
      if (!files) return void(plan = files.error());
      r.attachments = std::move(*files);
    }
    r.conversation_id = conv->id;
    r.date_ms = m->created_at;
    r.message_id = em::outbound_message_id(*settings, m->id, conv->id);
    if (auto last = tx.query_one(kLastInbound, {tenant, conv->id})) {
      r.in_reply_to = last->str(0);
      if (r.in_reply_to.rfind("sha256:", 0) == 0) r.in_reply_to.clear();  // it had no Message-ID
      auto content = bj::parse(last->str(1), pec);
      if (!pec && content.is_object()) {
        if (auto* e = content.as_object().if_contains("email"); e && e->is_object())
          if (auto* refs = e->as_object().if_contains("references"); refs && refs->is_array())
            for (const auto& x : refs->as_array())
              if (x.is_string()) r.references.emplace_back(x.as_string());
      }
    }
    our_id = r.message_id;
    plan = relay_request(*settings, helo_, *to, em::compose_reply(*settings, r));
  });

  auto fail_message = [this, tenant, message_id, done](const std::string& why, bool permanent) {
    if (!permanent) return done({false, why, std::nullopt, false});
    Env env = env_;
    store_.write([env, tenant, message_id, why](Tx& tx) mutable -> Status {
      return apply_send_result(tx, env, tenant, message_id, std::nullopt, why);
    }, [done, why](Status) { done({false, why, std::nullopt, true}); });
  };
  if (!plan) return fail_message(plan.error().code + ": " + plan.error().message, true);

  mail_.send(std::move(plan).value(), [this, tenant, message_id, our_id, done, fail_message](Result<std::string> r) {
    if (!r) {
      bool transient = r.error().errc == Errc::unavailable;
      metrics_.inc("bottega_channel_sends_total", std::string("channel=\"email\",outcome=\"") +
                                                      (transient ? "network_error" : "rejected") + "\"");
      return fail_message(r.error().code + ": " + r.error().message, !transient);
    }
    metrics_.inc("bottega_channel_sends_total", "channel=\"email\",outcome=\"sent\"");
    Env env = env_;
    store_.write([env, tenant, message_id, our_id](Tx& tx) mutable -> Status {
      return apply_send_result(tx, env, tenant, message_id, our_id, std::nullopt);
    }, [done](Status s) { done({s.ok(), s.ok() ? "" : s.error().message, std::nullopt, false}); });
  });
}

}  // namespace bottega::pipeline::email
