// Automatic assignment: which available agent gets a conversation that needs a person. Pure.
//
// Candidates are the agents marked online (PUT /api/v1/agents/{id}/availability) whose load (open
// or pending conversations assigned to them) is under their capacity (their own, or the tenant's
// default). Round robin: the first candidate after the last one chosen, in agent id order.
// Least loaded: the candidate with the fewest conversations (ties: round robin order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bottega::service {

struct AgentSlot {
  std::string agent_id;
  bool online = false;
  int64_t capacity = 0;  // effective capacity
  int64_t load = 0;
};

enum class AssignMode { off, round_robin, least_loaded };
const char* to_string(AssignMode m);
bool assign_mode_from(const std::string& s, AssignMode& out);

// The agent to assign, or nullopt when nobody is available (all away or full). `agents` in any
// order; `last` is the agent chosen last time (round robin cursor), empty at first.
std::optional<std::string> choose_agent(std::vector<AgentSlot> agents, AssignMode mode, const std::string& last);

}  // namespace bottega::service
