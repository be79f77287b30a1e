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

// hook: a kernel hook name (hooks.hpp), "xdp-noop", or kCeilingHook (xdp-drop).
// state: where the filter's records and pins go (the rig's, Rig::state_paths).
// latency_sample_shift: the filter times one stamp in 2^shift
// (Rig::latency_sample_shift).
std::unique_ptr<HookUnderTest> make_filter_hook(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                                const StatePaths& state, std::uint32_t latency_sample_shift = 0);

}  // namespace xb::bench
