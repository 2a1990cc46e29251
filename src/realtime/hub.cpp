#include "realtime/hub.hpp"

#include <unordered_set>

#include <algorithm>
#include <boost/json/parse.hpp>

namespace bottega::realtime {

bool visible_to_visitor(const Event& e) {
  return !e.internal && e.type.rfind("message.", 0) == 0;
}

bool ends_visitor_stream(const Event& e) { return e.type == "contact.merged"; }

uint64_t Hub::subscribe(Subscription s, std::weak_ptr<Subscriber> sub) {
  std::lock_guard lk(mu_);
  uint64_t id = next_++;
  tenant_of_[id] = s.tenant_id;
  auto& v = by_tenant_[s.tenant_id];
  v.push_back(Entry{id, std::move(s), std::move(sub)});
  return id;
}

void Hub::unsubscribe(uint64_t id) {
  std::lock_guard lk(mu_);
  auto t = tenant_of_.find(id);
  if (t == tenant_of_.end()) return;
  auto it = by_tenant_.find(t->second);
  if (it != by_tenant_.end()) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Entry& e) { return e.id == id; }), v.end());
    if (v.empty()) by_tenant_.erase(it);
  }
  tenant_of_.erase(t);
}

std::string addressed_agent(const Event& e) {
  if (e.type != event_type::kAgentMentioned) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(e.payload_json, ec);
  const boost::json::value* a = nullptr;
  if (!ec && v.is_object())
    if (const auto* data = v.as_object().if_contains("data"); data && data->is_object())
      a = data->as_object().if_contains("agent_id");
  // Unreadable: addressed to nobody's id, so it reaches no socket.
  return a && a->is_string() ? std::string(a->as_string()) : std::string("?");
}

void Hub::on_event(const Event& e) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  std::string to_agent = addressed_agent(e);
  {
    std::lock_guard lk(mu_);
    auto it = by_tenant_.find(e.tenant_id);
    if (it == by_tenant_.end()) return;
    bool revoked = e.type == event_type::kSessionRevoked;
    std::string revoked_agent, revoked_session;
    if (revoked) {
      boost::system::error_code ec;
      auto v = boost::json::parse(e.payload_json, ec);
      if (ec || !v.is_object()) return;
      const auto* data = v.as_object().if_contains("data");
      if (!data || !data->is_object()) return;
      if (const auto* a = data->as_object().if_contains("agent_id"); a && a->is_string()) revoked_agent = a->as_string();
      if (const auto* s = data->as_object().if_contains("session_hash"); s && s->is_string()) revoked_session = s->as_string();
    }
    for (const auto& entry : it->second) {
      if (revoked) {  // only to the sockets it closes
        if (entry.sub.agent_id.empty() || entry.sub.agent_id != revoked_agent) continue;
        if (!revoked_session.empty() && entry.sub.session_hash != revoked_session) continue;
        if (auto p = entry.target.lock()) targets.push_back(std::move(p));
        continue;
      }
      if (!to_agent.empty() && entry.sub.agent_id != to_agent) continue;
      if (!entry.sub.contact_id.empty() && entry.sub.contact_id != e.contact_id) continue;
      if (entry.sub.visitor && !visible_to_visitor(e) && !ends_visitor_stream(e)) continue;
      if (auto p = entry.target.lock()) targets.push_back(std::move(p));
    }
  }
  if (targets.empty()) return;
  auto shared = std::make_shared<const Event>(e);
  for (auto& t : targets) t->deliver(shared);
}

size_t Hub::size() const {
  std::lock_guard lk(mu_);
  return tenant_of_.size();
}

size_t Hub::agents_online(const std::string& tenant_id) const {
  std::lock_guard lk(mu_);
  auto it = by_tenant_.find(tenant_id);
  if (it == by_tenant_.end()) return 0;
  std::unordered_set<std::string> agents;
  for (const auto& e : it->second)
    if (!e.sub.visitor && !e.sub.agent_id.empty() && !e.target.expired()) agents.insert(e.sub.agent_id);
  return agents.size();
}

}  // namespace bottega::realtime
