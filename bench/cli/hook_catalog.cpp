#include "hook_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "baseline_hooks.hpp"
#include "errors.hpp"
#include "filter_hook.hpp"
#include "hook_ops.hpp"
#include "hooks.hpp"
#include "lwt_attachment.hpp"
#include "tc_act_attachment.hpp"

namespace xb::bench {

const std::vector<std::string>& benchmark_hooks() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> hooks = hook_names();
    for (const auto& b : baselines::baseline_names()) hooks.push_back(b);
    return hooks;
  }();
  return all;
}

bool is_baseline(const std::string& hook) {
  const auto& names = baselines::baseline_names();
  return std::find(names.begin(), names.end(), hook) != names.end();
}

std::vector<std::string> expand_hook_name(const std::string& name) {
  if (name == "all") return benchmark_hooks();
  if (name == "iptables") return {"iptables-legacy", "iptables-nft"};
  return {name};
}

std::unique_ptr<HookUnderTest> make_hook_under_test(const std::string& hook, const Topology& topo,
                                                    const CompiledRuleSet& rules, const StatePaths& state,
                                                    std::optional<int> dut_cpu, std::uint32_t latency_sample_shift) {
  if (is_baseline(hook)) return baselines::make_baseline_hook(hook, topo, rules.rules(), dut_cpu);
  return make_filter_hook(hook, topo, rules, state, latency_sample_shift);
}

std::unique_ptr<HookUnderTest> make_hook_or_skip(const std::string& hook, const Topology& topo,
                                                 const CompiledRuleSet& rules, const StatePaths& state,
                                                 std::string& why_skipped, std::optional<int> dut_cpu,
                                                 std::uint32_t latency_sample_shift) {
  if (!is_baseline(hook)) {
    why_skipped = filter_hook_unavailable_on(hook, topo);
    if (!why_skipped.empty()) return nullptr;
    // a rule set this hook refuses is a fact of the hook, not a failure of the run
    const auto filter_hook = find_hook(hook);  // not xdp-noop, xdp-drop
    if (filter_hook && rules.needs_conntrack() && hook_ops(*filter_hook).connection_state == ConnectionState::Unknown) {
      why_skipped = "its rules name connection states, which the kernel gives this hook no way to learn";
      return nullptr;
    }
  }
  try {
    return make_hook_under_test(hook, topo, rules, state, dut_cpu, latency_sample_shift);
  } catch (const Error& e) {
    if (!is_baseline(hook)) throw;
    why_skipped = e.what();
    return nullptr;
  }
}

std::unique_ptr<HookUnderTest> make_rig_hook(const std::string& hook, const Rig& rig, const CompiledRuleSet& rules,
                                             std::string* why_skipped, std::uint32_t latency_sample_shift) {
  if (rig.lab()) {
    std::string why;
    auto made = rig.lab()->hook(hook, rules, why, latency_sample_shift);
    if (!made && !why_skipped) throw Error(fmt::format("{}: {}", hook, why));
    if (why_skipped) *why_skipped = why;
    return made;
  }
  if (!why_skipped)
    return make_hook_under_test(hook, rig.topology(), rules, rig.state_paths(), rig.dut_cpu(), latency_sample_shift);
  return make_hook_or_skip(hook, rig.topology(), rules, rig.state_paths(), *why_skipped, rig.dut_cpu(),
                           latency_sample_shift);
}

std::string rig_hook_unavailable(const std::string& hook, const Rig& rig) {
  return rig.lab() ? rig.lab()->hook_unavailable(hook) : hook_unavailable(hook);
}

std::string hook_unavailable(const std::string& hook) {
  if (is_baseline(hook)) return baselines::baseline_unavailable(hook);
  if (hook == "tc-act") return TcActAttachment::missing_kernel_support();
  if (hook == "lwt-in" || hook == "lwt-out" || hook == "lwt-xmit") return LwtAttachment::missing_kernel_support();
  if (hook == "cgroup-skb") return "needs receiving sockets in a cgroup; the rig's traffic has none (see README)";
  return "";
}

}  // namespace xb::bench
