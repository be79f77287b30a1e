// What users would pick instead of the filter, as hooks under test: the
// same rules translated for nftables and iptables, and a DPDK application
// classifying with the filter core compiled natively.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hook_under_test.hpp"

namespace xb::bench::baselines {

const std::vector<std::string>& baseline_names();
// dut_cpu: where the DUT's receive work is pinned (--cpu); a DPDK
// application polls there too, so that core's time is all the DUT's work.
std::unique_ptr<HookUnderTest> make_baseline_hook(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                                  std::optional<int> dut_cpu = std::nullopt);
// Why the baseline cannot run here (a missing tool or kernel option); empty if it can.
std::string baseline_unavailable(const std::string& hook);

// Each kind's own (baseline_hooks.cpp dispatches to them).
std::unique_ptr<HookUnderTest> make_nft_hook(const std::string& hook, const Topology& topo, const RuleSet& rules);
std::unique_ptr<HookUnderTest> make_iptables_hook(const std::string& hook, const Topology& topo, const RuleSet& rules);
std::unique_ptr<HookUnderTest> make_dpdk_hook(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                              std::optional<int> dut_cpu);
std::string nft_unavailable(const std::string& hook);
std::string iptables_unavailable(const std::string& hook);
std::string dpdk_unavailable(const std::string& hook);

}  // namespace xb::bench::baselines
