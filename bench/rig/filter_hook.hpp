// The filter at a kernel hook, xdp-noop and the generator's ceiling
// (generator_bound.hpp), as hooks under test.
#pragma once

#include <memory>
#include <string>

#include "attachment_store.hpp"
#include "hook_under_test.hpp"

namespace xb::bench {

// Why the filter cannot be measured at this hook on this topology (the LWT
// hooks need a route of the DUT's); empty if it can.
std::string filter_hook_unavailable_on(const std::string& hook, const Topology& topo);

// The filter at native XDP with no rules, dropping every packet: it parses
// each packet, counts it and drops it. Its program time is the least a
// filter that reads the packet pays, which xdp-noop and xdp-drop (they never
// touch the packet) do not show: on a rig whose generator writes each frame
// on another core, the first read of the header is a cache miss that a
// program reading no packet byte never has (bpf/README.md, "Where the
// rig's time goes"). It drops, as xdp-drop does, so that its rate and
// DUT CPU compare with a rule set's that drops everything (a ClassBench set
// under --classbench-action=drop).
inline constexpr const char* kParseHook = "xdp-parse";

// hook: a kernel hook name (hooks.hpp), "xdp-noop", kParseHook, or
// kCeilingHook (xdp-drop).
// state: where the filter's records and pins go (the rig's, Rig::state_paths).
// latency_sample_shift: the filter times one stamp in 2^shift
// (Rig::latency_sample_shift).
std::unique_ptr<HookUnderTest> make_filter_hook(const std::string& hook, const Topology& topo,
                                                const CompiledRuleSet& rules, const StatePaths& state,
                                                std::uint32_t latency_sample_shift = 0);

}  // namespace xb::bench
