// The generator's flows, drawn from the rule set: UDP packets aimed at the
// rules (addresses inside their prefixes, ports inside their ranges), each
// classified by the reference model, so the run knows in advance which share
// of its traffic the filter must drop.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reference_model.hpp"
#include "rule_compiler.hpp"

namespace xb::bench {

struct Flow {
  Family family = Family::V4;
  std::array<std::uint8_t, 16> saddr{}, daddr{};  // IPv4: the first 4 bytes
  std::uint16_t sport = 0, dport = 0;             // host byte order
  Classification expected{Action::Pass, XB_RULE_DEFAULT};
};

// `count` flows of one family. drop_share < 0: as the rule set falls (every
// UDP-matchable rule of the family equally likely to be aimed at); else that
// share of dropped flows, as near as the rule set allows. Deterministic.
// Where the flows go from and to: the topology's generator and target
// addresses (rig/topology.hpp), named by the topology for errors.
struct FlowEndpoints {
  std::string topology;
  std::string source4, target4, source6, target6;
  // the topology's own addresses with their prefix lengths ("198.18.0.2/24"):
  // flows keep out of these subnets but for source and target themselves
  std::vector<std::string> subnets;
};

std::vector<Flow> flows_for_rules(const CompiledRuleSet& rules, const FlowEndpoints& ends, Family family,
                                  std::uint32_t count, double drop_share, std::uint64_t seed = 1);

// `count` flows of one family that no rule matches (checked with the
// reference model): random unicast addresses and ports, so that every shape
// is searched and none hits. Throws xb::Error when the rules leave no room.
std::vector<Flow> flows_missing_rules(const CompiledRuleSet& rules, Family family, std::uint32_t count,
                                      std::uint64_t seed = 1);

// The share of the flows' packets the reference model says are dropped
// (every flow sent equally often).
double expected_drop_share(const std::vector<Flow>& flows);

}  // namespace xb::bench
