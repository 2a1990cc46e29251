#include "service/assignment.hpp"

#include <algorithm>

namespace bottega::service {

const char* to_string(AssignMode m) {
  switch (m) {
    case AssignMode::off: return "off";
    case AssignMode::round_robin: return "round_robin";
    case AssignMode::least_loaded: return "least_loaded";
  }
  return "off";
}

bool assign_mode_from(const std::string& s, AssignMode& out) {
  for (AssignMode m : {AssignMode::off, AssignMode::round_robin, AssignMode::least_loaded})
    if (s == to_string(m)) {
      out = m;
      return true;
    }
  return false;
}

std::optional<std::string> choose_agent(std::vector<AgentSlot> agents, AssignMode mode, const std::string& last) {
  if (mode == AssignMode::off) return std::nullopt;
  std::sort(agents.begin(), agents.end(), [](const AgentSlot& a, const AgentSlot& b) { return a.agent_id < b.agent_id; });
  // Round robin order: the agents after `last` first, then the rest.
  std::vector<const AgentSlot*> order;
  for (const auto& a : agents)
    if (a.agent_id > last) order.push_back(&a);
  for (const auto& a : agents)
    if (a.agent_id <= last) order.push_back(&a);
  const AgentSlot* best = nullptr;
  for (const AgentSlot* a : order) {
    if (!a->online || a->load >= a->capacity) continue;
    if (mode == AssignMode::round_robin) return a->agent_id;
    if (!best || a->load < best->load) best = a;
  }
  if (!best) return std::nullopt;
  return best->agent_id;
}

}  // namespace bottega::service
