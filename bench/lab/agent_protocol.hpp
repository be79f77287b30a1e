// The controller and its agents (`xdpbench agent` on each host of a lab)
// speak one JSON object a line over the agent's stdin and stdout: a request
// {"op": ..., ...} and its reply {"ok": true, ...} or {"ok": false,
// "error": "..."}. The first request is "hello" with the controller's
// protocol number; an agent that speaks another refuses it, naming both.
// Bump kAgentProtocol whenever a request or a reply changes shape.
#pragma once

#include <nlohmann/json.hpp>

#include "flow_table.hpp"
#include "hook_under_test.hpp"
#include "topology.hpp"
#include "traffic_profile.hpp"

namespace xb::bench {

inline constexpr int kAgentProtocol = 1;

nlohmann::json flow_to_json(const Flow& flow);
Flow flow_from_json(const nlohmann::json& j);
nlohmann::json flows_to_json(const std::vector<Flow>& flows);
std::vector<Flow> flows_from_json(const nlohmann::json& j);

// A profile's own fields (a replayed file is not sent: refused in a lab).
nlohmann::json profile_to_json(const TrafficProfile& profile);
TrafficProfile profile_from_json(const nlohmann::json& j);

nlohmann::json counts_to_json(const HookCounts& counts);
HookCounts counts_from_json(const nlohmann::json& j);
nlohmann::json tallies_to_json(const std::vector<RuleTally>& tallies);
std::vector<RuleTally> tallies_from_json(const nlohmann::json& j);

nlohmann::json endpoint_to_json(const Endpoint& e);
Endpoint endpoint_from_json(const nlohmann::json& j);

}  // namespace xb::bench
