#include "pipeline/listener.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstdio>

namespace bottega::pipeline {

namespace bj = boost::json;

namespace {

std::optional<CreatedMessage> parse_created(const Event& e) {
  // The parsed payload lives only for this call: its nodes come from a stack buffer (a heap
  // allocation per member and string otherwise; measured with bench/profile.sh).
  unsigned char buf[4096];
  bj::monotonic_resource mr(buf, sizeof buf);
  boost::system::error_code ec;
  auto v = bj::parse(e.payload_json, ec, &mr);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* data = v.as_object().if_contains("data");
  if (!data || !data->is_object()) return std::nullopt;
  const auto& d = data->get_object();
  const auto* id = d.if_contains("id");
  if (!id || !id->is_string()) return std::nullopt;
  auto str = [](const bj::object& o, const char* key) {
    const auto* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  CreatedMessage m;
  m.tenant_id = e.tenant_id;
  m.conversation_id = e.conversation_id;
  m.message_id = std::string(id->get_string());
  m.kind = str(d, "kind");
  m.direction = str(d, "direction");
  if (const auto* author = d.if_contains("author"); author && author->is_object()) m.author_kind = str(author->get_object(), "kind");
  if (const auto* content = d.if_contains("content"); content && content->is_object())
    if (const auto* nar = content->get_object().if_contains("no_auto_reply"); nar && nar->is_bool())
      m.no_auto_reply = nar->get_bool();
  return m;
}

}  // namespace

std::optional<CreatedMessage> created_message(const Event& e) {
  if (e.type != event_type::kMessageCreated || e.internal || e.conversation_id.empty()) return std::nullopt;
  // The dispatcher hands each event to its listeners one after another on its thread: the last
  // answer is kept (per thread), so the bot, media, buy-tap and order listeners parse it once. It
  // is reused only for the very same event: seq, id and payload bytes (comparing them is cheap
  // next to parsing).
  struct Last {
    int64_t seq = -1;
    std::string id, payload;
    std::optional<CreatedMessage> value;
  };
  thread_local Last last;
  if (last.seq != e.seq || last.id != e.id || last.payload != e.payload_json) {
    last.value = parse_created(e);
    last.seq = e.seq;
    last.id = e.id;
    last.payload = e.payload_json;
  }
  if (last.value) {  // the event's own tenant and conversation, whatever the payload repeats
    last.value->tenant_id = e.tenant_id;
    last.value->conversation_id = e.conversation_id;
  }
  return last.value;
}

bool write_retrying(store::Store& store, std::string_view who, std::string_view what,
                    const std::function<Status(store::Tx&)>& fn, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto st = store::write_sync(store, fn);
    if (st.ok()) return true;
    std::fprintf(stderr, "%.*s: %.*s failed (attempt %d): %s\n", static_cast<int>(who.size()), who.data(),
                 static_cast<int>(what.size()), what.data(), attempt + 1, st.error().message.c_str());
  }
  return false;
}

}  // namespace bottega::pipeline
