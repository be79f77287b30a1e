// The filter at a kernel hook, xdp-noop and the generator's ceiling
// (generator_bound.hpp), as hooks under test.
#pragma once

#include <memory>
#include <string>

#include "hook_under_test.hpp"

namespace xb::bench {

// hook: a kernel hook name (hooks.hpp), "xdp-noop", or kCeilingHook (xdp-drop)
std::unique_ptr<HookUnderTest> make_filter_hook(const std::string& hook, const Topology& topo, const RuleSet& rules);

}  // namespace xb::bench
