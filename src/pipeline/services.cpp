#include "pipeline/services.hpp"
#include "pipeline/optout.hpp"
#include "pipeline/survey.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/window.hpp"
#include "core/crypto.hpp"
#include "core/model_json.hpp"
#include "pipeline/contacts.hpp"
#include "pipeline/window.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace bj = boost::json;

namespace {

// The contact a merged contact was merged into (NULL when it was not).
constexpr store::Stmt kMergedInto{"contacts.merged_into",
                                  "SELECT merged_into FROM contacts WHERE tenant_id = $1 AND id = $2"};
}  // namespace

Event emit_json(Tx& tx, Env& env, const std::string& tenant, std::string_view type,
                const std::string& conversation_id, const std::string& contact_id, bool internal,
                std::string_view data_json) {
  Event e;
  e.id = env.ids.next("evt");
  e.tenant_id = tenant;
  e.type = std::string(type);
  e.conversation_id = conversation_id;
  e.contact_id = contact_id;
  e.internal = internal;
  e.created_at_ms = env.clock.now_ms();
  // The same bytes as serializing {"id","type","created_at","data"}, without building (and
  // deep-copying data into) a wrapper object first (measured with bench/profile.sh).
  e.payload_json.reserve(64 + e.id.size() + e.type.size() + data_json.size());
  e.payload_json.append("{\"id\":");
  append_json_string(e.payload_json, e.id);
  e.payload_json.append(",\"type\":");
  append_json_string(e.payload_json, e.type);
  e.payload_json.append(",\"created_at\":");
  append_json_string(e.payload_json, rfc3339(e.created_at_ms));
  e.payload_json.append(",\"data\":").append(data_json).append("}");
  repo::append_event(tx, e);
  if (env.on_event) tx.after_commit([f = env.on_event, e]() mutable { f(std::move(e)); });
  else if (env.on_commit) tx.after_commit(env.on_commit);
  return e;
}

Event emit(Tx& tx, Env& env, const std::string& tenant, std::string_view type,
           const std::string& conversation_id, const std::string& contact_id, bool internal,
           const bj::object& data) {
  return emit_json(tx, env, tenant, type, conversation_id, contact_id, internal, bj::serialize(data));
}

void queue_provider_send(Tx& tx, Env& env, const std::string& tenant, const std::string& conversation_id,
                         const std::string& channel_type, const std::string& message_id, int64_t now) {
  repo::Job j;
  j.id = env.ids.next("job");
  j.tenant_id = tenant;
  j.kind = channel_type == "email" ? "email.send" : "channel.send";
  j.idempotency_key = message_id;
  j.payload_json = bj::serialize(bj::object{{"message_id", message_id}});
  j.run_at = now;
  j.deadline_at = now + 24LL * 3600 * 1000;
  j.order_key = "conversation:" + conversation_id;
  repo::enqueue_job(tx, j, now);
  if (env.on_job) tx.after_commit(env.on_job);
}

namespace {

std::string preview(const std::string& text) {
  constexpr size_t kMax = 140;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return text.substr(0, cut) + "…";
}

// The contact's active conversation on the channel (repo::find_active_conversation), read
// narrowly: seq, id and status of the newest unresolved one, without joining the channel and the
// contact for their display fields (measured with bench/profile.sh: the joined read was ~40k
// instructions of the ~150k an inbound web chat message costs the writer). The fields the message
// path uses are filled in from what the caller knows; a snoozed one, which the message reopens
// (rewriting the whole row and announcing it), is read whole.
std::optional<Conversation> active_conversation(Tx& tx, const std::string& tenant, const Channel& channel,
                                                const std::string& contact_id) {
  static constexpr store::Stmt kActiveBrief{
      "conversations.active_brief",
      "SELECT c.seq, c.id, c.status FROM conversations c WHERE c.tenant_id = $1 AND c.seq = "
      "(SELECT MAX(x.seq) FROM conversations x WHERE x.tenant_id = $1 AND x.contact_id = $2 "
      "AND x.channel_id = $3 AND x.status <> 'resolved')"};
  auto r = tx.query_one(kActiveBrief, {tenant, contact_id, channel.id});
  if (!r) return std::nullopt;
  auto status = conversation_status_from(r->str(2));
  if (!status || *status == ConversationStatus::snoozed) return repo::get_conversation(tx, tenant, r->str(1));
  Conversation c;
  c.seq = r->i64(0);
  c.id = r->str(1);
  c.tenant_id = tenant;
  c.channel_id = channel.id;
  c.channel_type = channel.type;
  c.contact_id = contact_id;
  c.status = *status;
  return c;
}

}  // namespace

Result<NewVisitor> create_visitor(Tx& tx, Env& env, const Channel& channel, const std::string& name,
                                  const std::optional<std::string>& email) {
  int64_t now = env.clock.now_ms();
  std::string contact_id = env.ids.next("ct");
  repo::create_contact(tx, channel.tenant_id, contact_id, name.empty() ? "Visitor" : name, email, now);
  NewVisitor v;
  v.visitor_id = env.ids.next("vis");
  v.visitor_token = "vt_" + crypto::random_token(32);
  repo::create_visitor(tx, crypto::hex(crypto::sha256(v.visitor_token)),
                       repo::Visitor{v.visitor_id, channel.tenant_id, channel.id, contact_id}, now);
  emit(tx, env, channel.tenant_id, event_type::kContactCreated, {}, contact_id, false,
       bj::object{{"id", contact_id}, {"name", name.empty() ? "Visitor" : name}, {"channel_id", channel.id}});
  return v;
}

Result<IngestResult> ingest_contact_message(Tx& tx, Env& env, const std::string& tenant,
                                            const Channel& channel, const std::string& contact_id,
                                            const std::string& text,
                                            const std::optional<std::string>& client_id) {
  Incoming in;
  in.text = text;
  return ingest_contact_message(tx, env, tenant, channel, contact_id, in, client_id);
}

Result<IngestResult> ingest_contact_message(Tx& tx, Env& env, const std::string& tenant,
                                            const Channel& channel, const std::string& contact_in,
                                            const Incoming& in,
                                            const std::optional<std::string>& client_id) {
  std::string contact_id = contact_in;
  const std::string& text = in.text;
  int64_t now = env.clock.now_ms();
  Message m;
  m.id = env.ids.next("msg");
  if (client_id) {
    std::string first;
    if (!repo::insert_dedupe(tx, tenant, "client:" + contact_id, *client_id, m.id, now, &first)) {
      auto prior = repo::get_message(tx, tenant, first);
      if (!prior) return Error::internal("deduplicated message vanished");
      auto conv = repo::get_conversation(tx, tenant, prior->conversation_id);
      if (!conv) return Error::internal("conversation of a deduplicated message vanished");
      return IngestResult{std::move(*prior), std::move(*conv), true};
    }
  }
  std::optional<Conversation> conv;
  if (in.conversation_id) {
    conv = repo::get_conversation(tx, tenant, *in.conversation_id);
    if (!conv || conv->channel_id != channel.id) return Error::not_found("conversation");
  } else if (!in.new_conversation) {
    conv = active_conversation(tx, tenant, channel, contact_id);
    // An answer to a satisfaction survey stays in the surveyed (resolved) conversation.
    if (!conv && survey_score(in.kind, text, in.content_json)) {
      if (auto sid = survey_conversation(tx, tenant, contact_id, channel.id, now))
        conv = repo::get_conversation(tx, tenant, *sid);
    } else if (!conv && in.kind == "text") {
      // So does the comment the shop asked for after the score.
      if (auto sid = survey_comment_conversation(tx, tenant, contact_id, channel.id, now))
        conv = repo::get_conversation(tx, tenant, *sid);
    }
  }
  // A contact merged away owns no conversation any more: a caller that looked it up before the
  // merge committed (a web chat node's visitor cache) writes to the kept contact instead.
  if (!conv && !in.conversation_id)
    if (auto r = tx.query_one(kMergedInto, {tenant, contact_id}); r && !r->is_null(0)) {
      contact_id = r->str(0);
      if (!in.new_conversation) conv = repo::find_active_conversation(tx, tenant, contact_id, channel.id);
    }
  bool created = false;
  if (!conv) {
    Conversation c;
    c.id = env.ids.next("cnv");
    c.tenant_id = tenant;
    c.channel_id = channel.id;
    c.channel_type = channel.type;
    c.contact_id = contact_id;
    c.status = ConversationStatus::open;
    c.created_at = c.updated_at = c.last_message_at = now;
    c.subject = in.subject;
    repo::create_conversation(tx, c);
    conv = repo::get_conversation(tx, tenant, c.id);  // with joined channel and contact fields
    if (!conv) return Error::internal("new conversation not readable");
    created = true;
  }
  m.tenant_id = tenant;
  m.conversation_id = conv->id;
  m.direction = "in";
  m.author_kind = "contact";
  m.author_id = contact_id;
  m.kind = in.kind;
  m.text = text;
  m.content_json = in.content_json;
  m.provider_message_id = in.provider_message_id;
  m.delivery_state = "delivered";
  m.created_at = now;
  // A stop word opts the contact out of proactive messages (START back in, when opted out): the
  // message is marked so the bot leaves it alone, and confirmed below (pipeline/optout.hpp).
  std::optional<OptKeyword> opt;
  if (in.kind == "text")
    if ((opt = opt_keyword(text)) && !opt->opt_out && !opted_out(tx, tenant, contact_id)) opt.reset();
  if (opt) {
    boost::system::error_code ec;
    auto cv = bj::parse(m.content_json.empty() ? "{}" : m.content_json, ec);
    bj::object content = !ec && cv.is_object() ? cv.as_object() : bj::object{};
    content["opt_out"] = opt->opt_out ? "stop" : "start";
    content["no_auto_reply"] = true;
    m.content_json = bj::serialize(content);
  }
  repo::insert_message(tx, m);

  // A stop (or start) word needs no answer: it does not reopen a snoozed or resolved conversation
  // (and the service leaves it out of the SLA clock, src/service/service_repo.cpp).
  bool reopened = !opt && (conv->status == ConversationStatus::snoozed ||
                           (in.conversation_id && conv->status == ConversationStatus::resolved));
  if (reopened) conv->status = ConversationStatus::open;
  conv->last_message_at = now;
  conv->last_message_text = preview(text);
  conv->last_message_direction = "in";
  conv->last_message_author = "contact";
  conv->updated_at = now;
  // Only the last-message fields change unless the message reopens a snoozed conversation: the
  // narrow update rewrites one conversation index instead of all of them (measured: the full
  // update was ~13% of the writer thread's instructions per web chat message).
  if (reopened) repo::update_conversation(tx, *conv);
  else repo::touch_conversation_last_message(tx, *conv);

  if (created) emit(tx, env, tenant, event_type::kConversationCreated, conv->id, conv->contact_id, false, to_json(*conv));
  emit_json(tx, env, tenant, event_type::kMessageCreated, conv->id, conv->contact_id, false, message_json(m));
  // A new message is announced by message.created (it carries the conversation id; clients update
  // the conversation's last message from it). conversation.updated is for changed attributes.
  if (reopened) emit(tx, env, tenant, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  if (opt) {
    set_opt_out(tx, tenant, contact_id, opt->opt_out, "customer", opt->word, now);
    post_system_message(tx, env, *conv, "text", opt_confirmation(opt->opt_out, opt->lang),
                        bj::serialize(bj::object{{"auto_reply", opt->opt_out ? "opt_out" : "opt_in"}}));
  }
  return IngestResult{std::move(m), std::move(*conv), false};
}

Result<Message> agent_reply(Tx& tx, Env& env, const Principal& who,
                            const std::string& conversation_id, const ReplyInput& in) {
  auto conv = repo::get_conversation(tx, who.tenant_id, conversation_id);
  if (!conv) return Error::not_found("conversation");
  int64_t now = env.clock.now_ms();
  Message m;
  m.id = env.ids.next("msg");
  m.tenant_id = who.tenant_id;
  m.conversation_id = conv->id;
  m.direction = "out";
  m.author_kind = "agent";
  if (!who.agent_id.empty()) m.author_id = who.agent_id;
  if (in.kind == "note" || in.kind == "template" || in.kind == "product" || in.kind == "cart" ||
      in.kind == "attachment")
    m.kind = in.kind;
  else
    m.kind = in.choices.empty() ? "text" : "choices";
  m.text = in.text;
  bj::object content;
  if (!in.content_json.empty()) {
    boost::system::error_code ec;
    auto v = bj::parse(in.content_json, ec);
    if (ec || !v.is_object()) return Error::internal("reply content is not a JSON object");
    content = v.as_object();
  }
  if (!in.choices.empty()) {
    bj::array choices;
    for (const auto& c : in.choices) choices.push_back(bj::object{{"id", c.id}, {"title", c.title}});
    content["choices"] = std::move(choices);
  }
  if (in.human_agent) content["human_agent"] = true;  // Meta HUMAN_AGENT tag on the send
  if (!content.empty()) m.content_json = bj::serialize(content);
  // Web chat delivers through the visitor's realtime connection and history: it is sent once
  // committed. Provider channels start pending and are advanced by their delivery job.
  bool internal = m.kind == "note";
  bool provider = !internal && conv->channel_type != "webchat";
  m.delivery_state = provider ? "pending" : "sent";
  m.created_at = now;
  repo::insert_message(tx, m);
  if (provider) queue_provider_send(tx, env, who.tenant_id, conv->id, conv->channel_type, m.id, now);

  if (!internal) {
    if (!conv->first_response_at) conv->first_response_at = now;
    conv->last_message_at = now;
    std::string shown = m.text;
    if (auto* atts = content.if_contains("attachments"); shown.empty() && atts && atts->is_array())
      for (const auto& a : atts->as_array())  // files without a caption: their names
        if (auto* f = a.is_object() ? a.as_object().if_contains("filename") : nullptr; f && f->is_string())
          shown += (shown.empty() ? "" : ", ") + std::string(f->as_string());
    conv->last_message_text = preview(shown);
    conv->last_message_direction = "out";
    conv->last_message_author = "agent";
  }
  conv->updated_at = now;
  repo::update_conversation(tx, *conv);
  emit(tx, env, who.tenant_id, event_type::kMessageCreated, conv->id, conv->contact_id, internal, to_json(m));
  emit(tx, env, who.tenant_id, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  return m;
}

Result<Conversation> update_conversation(Tx& tx, Env& env, const Principal& who,
                                         const std::string& conversation_id,
                                         const ConversationPatch& patch) {
  auto conv = repo::get_conversation(tx, who.tenant_id, conversation_id);
  if (!conv) return Error::not_found("conversation");
  if (patch.assignee_id && *patch.assignee_id) {
    if (!repo::get_agent(tx, who.tenant_id, **patch.assignee_id))
      return Error::invalid("assignee_id", "no such agent in this shop", "unknown_agent");
  }
  if (patch.status) {
    conv->status = *patch.status;
    conv->snoozed_until = patch.snoozed_until;
  }
  if (patch.priority) conv->priority = *patch.priority;
  if (patch.assignee_id) conv->assignee_id = *patch.assignee_id;
  if (patch.tags) conv->tags = *patch.tags;
  conv->updated_at = env.clock.now_ms();
  repo::update_conversation(tx, *conv);
  emit(tx, env, who.tenant_id, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  return std::move(*conv);
}

namespace {

int rank(std::string_view state) {
  if (state == "sent") return 1;
  if (state == "delivered") return 2;
  if (state == "read") return 3;
  if (state == "failed") return 4;
  return 0;  // pending
}

// Whether a status may replace the current one: forward only along sent < delivered < read; a
// failure replaces anything but read; nothing replaces a failure.
bool advances(std::string_view current, std::string_view next) {
  if (current == "failed") return false;
  if (next == "failed") return current != "read";
  return rank(next) > rank(current);
}

void set_delivery(Tx& tx, Env& env, Message& m, std::string_view state, const std::string& error) {
  m.delivery_state = std::string(state);
  if (state == "failed") m.delivery_error = error.empty() ? std::string("failed") : error;
  repo::update_message_delivery(tx, m);
  emit(tx, env, m.tenant_id, event_type::kMessageUpdated, m.conversation_id, {}, false, to_json(m));
}

}  // namespace

Result<BatchOutcome> ingest_provider_batch(Tx& tx, Env& env, const Channel& channel,
                                           const InboundBatch& batch) {
  BatchOutcome out;
  int64_t now = env.clock.now_ms();
  const std::string& tenant = channel.tenant_id;
  for (const auto& in : batch.messages) {
    if (in.echo) {  // our own page's message coming back: not a customer message
      ++out.echoes;
      continue;
    }
    if (in.provider_message_id.empty() || in.contact_external_id.empty())
      return Error::invalid("messages", "a message without provider id or sender");
    std::string msg_id = env.ids.next("msg");
    if (!repo::insert_dedupe(tx, tenant, "ch:" + channel.id, in.provider_message_id, msg_id, now)) {
      ++out.duplicates;
      continue;
    }
    auto contact = repo::find_identity(tx, tenant, channel.id, in.contact_external_id);
    if (!contact) {
      // A provider-verified phone (WhatsApp wa_id, Twilio sender) that another channel's identity
      // of one contact already carries: the same person, so the identity joins that contact.
      if (auto phone = verified_phone(channel.type, in.contact_external_id))
        if (auto existing = contact_by_verified_phone(tx, tenant, channel.id, *phone)) {
          join_identity(tx, env, tenant, channel.id, in.contact_external_id, *existing, "verified_phone");
          contact = *existing;
        }
    }
    if (!contact) {
      std::string cid = env.ids.next("ct");
      std::string name = in.contact_name.empty() ? in.contact_external_id : in.contact_name;
      repo::create_contact(tx, tenant, cid, name, std::nullopt, now);
      repo::create_identity(tx, tenant, channel.id, in.contact_external_id, cid, now);
      emit(tx, env, tenant, event_type::kContactCreated, {}, cid, false,
           bj::object{{"id", cid}, {"name", name}, {"channel_id", channel.id}});
      contact = cid;
    }
    Incoming m;
    m.text = in.text;
    m.kind = std::string(to_string(in.kind));
    m.content_json = in.content_json.empty() ? "{}" : in.content_json;
    m.provider_message_id = in.provider_message_id;
    m.at_ms = in.timestamp_ms;
    auto r = ingest_contact_message(tx, env, tenant, channel, *contact, m, std::nullopt);
    if (!r) return std::move(r).error();
    // The messaging window runs from the customer's message (the provider's time, never later
    // than its receipt).
    if (in.opens_window && channels::window_policy(channel.type) != channels::WindowPolicy::none)
      window::note_inbound(tx, tenant, r->conversation.id,
                           in.timestamp_ms > 0 ? std::min(in.timestamp_ms, now) : now);
    ++out.messages;
  }
  for (const auto& st : batch.statuses) {
    ++out.statuses;
    std::string state(to_string(st.state));
    std::string error = st.error_code.empty() ? st.error_reason : st.error_code + ": " + st.error_reason;
    if (st.watermark) {
      auto contact = repo::find_identity(tx, tenant, channel.id, st.contact_external_id);
      if (!contact) {
        ++out.unmatched_statuses;
        continue;
      }
      auto conv = repo::find_active_conversation(tx, tenant, *contact, channel.id);
      if (!conv) {
        ++out.unmatched_statuses;
        continue;
      }
      for (auto& msg : repo::outbound_messages_before(tx, tenant, conv->id, st.timestamp_ms))
        if (advances(msg.delivery_state, state)) set_delivery(tx, env, msg, state, error);
      continue;
    }
    auto msg = repo::find_message_by_provider_id(tx, tenant, st.provider_message_id);
    if (!msg) {  // the send's result is not recorded yet (or the message was sent outside Bottega)
      repo::keep_early_status(tx, tenant, st.provider_message_id, state, error, now);
      ++out.unmatched_statuses;
      continue;
    }
    if (advances(msg->delivery_state, state)) set_delivery(tx, env, *msg, state, error);
  }
  return out;
}

Status apply_send_result(Tx& tx, Env& env, const std::string& tenant, const std::string& message_id,
                         const std::optional<std::string>& provider_message_id,
                         const std::optional<std::string>& error) {
  auto m = repo::get_message(tx, tenant, message_id);
  if (!m) return Error::not_found("message");
  if (provider_message_id) m->provider_message_id = provider_message_id;
  if (error) {
    if (!advances(m->delivery_state, "failed")) return {};
    set_delivery(tx, env, *m, "failed", *error);
  } else {
    // The best state among "sent" and any statuses that arrived before this result.
    std::string state = "sent", err;
    for (const auto& early : repo::take_early_statuses(tx, tenant, *provider_message_id))
      if (advances(state, early.state)) {
        state = early.state;
        err = early.error;
      }
    if (advances(m->delivery_state, state)) set_delivery(tx, env, *m, state, err);
    else repo::update_message_delivery(tx, *m);  // keep the provider id
  }
  return {};
}

}  // namespace bottega::pipeline
