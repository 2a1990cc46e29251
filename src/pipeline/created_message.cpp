#include "pipeline/created_message.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace bottega::pipeline {

namespace bj = boost::json;

namespace {

std::string str(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<CreatedMessage> parse(const Event& e) {
  // The parsed payload lives only for this call: its nodes come from a stack buffer (a heap
  // allocation per member and string otherwise).
  unsigned char buf[4096];
  bj::monotonic_resource mr(buf, sizeof buf);
  boost::system::error_code ec;
  auto v = bj::parse(e.payload_json, ec, &mr);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* data = v.get_object().if_contains("data");
  if (!data || !data->is_object()) return std::nullopt;
  const auto& d = data->get_object();
  CreatedMessage m;
  m.id = str(d, "id");
  if (m.id.empty()) return std::nullopt;
  m.kind = str(d, "kind");
  m.direction = str(d, "direction");
  if (const auto* a = d.if_contains("author"); a && a->is_object()) m.author_kind = str(a->get_object(), "kind");
  if (const auto* c = d.if_contains("content"); c && c->is_object())
    if (const auto* nar = c->get_object().if_contains("no_auto_reply"); nar && nar->is_bool())
      m.no_auto_reply = nar->get_bool();
  return m;
}

}  // namespace

std::optional<CreatedMessage> created_message(const Event& e) {
  if (e.type != event_type::kMessageCreated || e.internal || e.conversation_id.empty()) return std::nullopt;
  struct Last {
    int64_t seq = -1;
    std::string id;
    std::optional<CreatedMessage> value;
  };
  thread_local Last last;
  if (last.seq != e.seq || last.id != e.id) {
    last.value = parse(e);
    last.seq = e.seq;
    last.id = e.id;
  }
  return last.value;
}

}  // namespace bottega::pipeline
