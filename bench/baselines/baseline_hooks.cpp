#include "baseline_hooks.hpp"

#include "errors.hpp"

namespace xb::bench::baselines {

const std::vector<std::string>& baseline_names() {
  static const std::vector<std::string> names = {"nft-netdev", "nft-inet",      "iptables-legacy", "iptables-nft",
                                                 "dpdk-afxdp", "dpdk-afpacket", "dpdk-afxdp-acl"};
  return names;
}

std::unique_ptr<HookUnderTest> make_baseline_hook(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                                  std::optional<int> dut_cpu) {
  if (hook.rfind("nft-", 0) == 0) return make_nft_hook(hook, topo, rules);
  if (hook.rfind("iptables-", 0) == 0) return make_iptables_hook(hook, topo, rules);
  if (hook.rfind("dpdk-", 0) == 0) return make_dpdk_hook(hook, topo, rules, dut_cpu);
  throw Error("unknown baseline " + hook);
}

std::string baseline_unavailable(const std::string& hook) {
  if (hook.rfind("nft-", 0) == 0) return nft_unavailable(hook);
  if (hook.rfind("iptables-", 0) == 0) return iptables_unavailable(hook);
  if (hook.rfind("dpdk-", 0) == 0) return dpdk_unavailable(hook);
  return "unknown baseline " + hook;
}

}  // namespace xb::bench::baselines
