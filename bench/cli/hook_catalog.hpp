// The hooks xdpbench measures, by the names --hook takes: the filter at
// every kernel hook (rig/filter_hook.hpp), xdp-noop, and the baselines
// (baselines/baseline_hooks.hpp); what each sets up, and why one cannot run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attachment_store.hpp"
#include "hook_under_test.hpp"
#include "rig.hpp"

namespace xb::bench {

// Every hook `xdpbench run --hook=all` measures, kernel hooks then baselines.
const std::vector<std::string>& benchmark_hooks();
bool is_baseline(const std::string& hook);
// Hook names as given to --hook (one name may stand for several: iptables).
std::vector<std::string> expand_hook_name(const std::string& name);

// Sets the hook up on the topology's DUT; throws xb::Error when it cannot.
// state: where the filter's records and pins go (Rig::state_paths).
// dut_cpu: where the DUT's receive work is pinned (--cpu), if it is.
// latency_sample_shift: the filter times one stamp in 2^shift
// (Rig::latency_sample_shift; the baselines time none).
std::unique_ptr<HookUnderTest> make_hook_under_test(const std::string& hook, const Topology& topo,
                                                    const CompiledRuleSet& rules, const StatePaths& state,
                                                    std::optional<int> dut_cpu = std::nullopt,
                                                    std::uint32_t latency_sample_shift = 0);
// The same, except that a baseline which fails to set up (a rule its tool
// cannot express, a PMD that does not start) gives null and the reason:
// it is reported skipped. The filter's own hooks still throw.
std::unique_ptr<HookUnderTest> make_hook_or_skip(const std::string& hook, const Topology& topo,
                                                 const CompiledRuleSet& rules, const StatePaths& state,
                                                 std::string& why_skipped, std::optional<int> dut_cpu = std::nullopt,
                                                 std::uint32_t latency_sample_shift = 0);
// The hook on the rig's DUT: here, or on a lab's DUT host through its
// agent. why_skipped null: a hook that cannot be set up throws; else as
// make_hook_or_skip. The filter's pinned DUT CPU (--cpu) is the rig's.
std::unique_ptr<HookUnderTest> make_rig_hook(const std::string& hook, const Rig& rig, const CompiledRuleSet& rules,
                                             std::string* why_skipped, std::uint32_t latency_sample_shift = 0);
// Why a hook cannot run in this rig on this machine; empty if it can.
std::string hook_unavailable(const std::string& hook);
// The same of the rig's DUT: this machine, or a lab's DUT host (its agent
// asks its own kernel, and says what is not set up on a lab).
std::string rig_hook_unavailable(const std::string& hook, const Rig& rig);

}  // namespace xb::bench
