// Fan-out of committed events to connected WebSocket clients (agents and visitors). Knows nothing
// of Beast: a connection implements Subscriber and owns its bounded queue. The registry lock is
// held only to copy weak pointers; delivery happens outside it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bottega/events.hpp"

namespace bottega::realtime {

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the dispatcher thread, in event order; must not block (queue and return).
  virtual void deliver(std::shared_ptr<const Event> e) = 0;
};

struct Subscription {
  std::string tenant_id;
  std::string contact_id;       // empty: every customer of the tenant (agents)
  bool visitor = false;         // visitors get only public message events: no internal notes,
                                // no conversation metadata
  std::string agent_id;         // agents: session.revoked events for this agent reach the socket
  std::string session_hash;     // cookie sessions: the session the socket was opened with
};

// Whether a visitor may see this event of their own conversation.
bool visible_to_visitor(const Event& e);
// An event that closes a visitor's stream (its contact was merged by an email verification: the
// widget reconnects and follows the kept contact). Delivered to visitors' sockets, never sent.
bool ends_visitor_stream(const Event& e);

// An event for one agent only (agent.mentioned, service/mentions.hpp): that agent's id; empty for
// every other event.
std::string addressed_agent(const Event& e);

class Hub final : public EventListener {
 public:
  uint64_t subscribe(Subscription s, std::weak_ptr<Subscriber> sub);
  void unsubscribe(uint64_t id);
  void on_event(const Event& e) override;
  size_t size() const;
  // Distinct agents with an open realtime connection to this tenant's inbox (the bot's expected
  // wait counts them as online).
  size_t agents_online(const std::string& tenant_id) const;

 private:
  struct Entry {
    uint64_t id;
    Subscription sub;
    std::weak_ptr<Subscriber> target;
  };
  mutable std::mutex mu_;
  uint64_t next_ = 1;
  std::unordered_map<std::string, std::vector<Entry>> by_tenant_;
  std::unordered_map<uint64_t, std::string> tenant_of_;
};

}  // namespace bottega::realtime
