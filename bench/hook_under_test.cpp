#include "hook_under_test.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "baselines/baseline_hooks.hpp"
#include "errors.hpp"
#include "filter_hook.hpp"
#include "hooks.hpp"
#include "lwt_attachment.hpp"
#include "netns.hpp"
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

std::unique_ptr<HookUnderTest> make_hook_under_test(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                                    std::optional<int> dut_cpu) {
  if (is_baseline(hook)) return baselines::make_baseline_hook(hook, topo, rules, dut_cpu);
  return make_filter_hook(hook, topo, rules);
}

std::unique_ptr<HookUnderTest> make_hook_or_skip(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                                 std::string& why_skipped, std::optional<int> dut_cpu) {
  if (!is_baseline(hook)) {
    why_skipped = filter_hook_unavailable_on(hook, topo);
    if (!why_skipped.empty()) return nullptr;
  }
  try {
    return make_hook_under_test(hook, topo, rules, dut_cpu);
  } catch (const Error& e) {
    if (!is_baseline(hook)) throw;
    why_skipped = e.what();
    return nullptr;
  }
}

std::string hook_unavailable(const std::string& hook) {
  if (is_baseline(hook)) return baselines::baseline_unavailable(hook);
  if (hook == "tc-act") return TcActAttachment::missing_kernel_support();
  if (hook == "lwt-in" || hook == "lwt-out" || hook == "lwt-xmit") return LwtAttachment::missing_kernel_support();
  if (hook == "cgroup-skb") return "needs receiving sockets in a cgroup; the rig's traffic has none (see README)";
  return "";
}

std::uint64_t ip_packets_delivered(const std::string& ns) {
  NetnsScope in(ns);
  std::uint64_t total = 0;
  // the ways out of IP input that come after its netfilter hooks: local
  // delivery (after LOCAL_IN), forwarding, and no route to a foreign address;
  // not InReceives, which counts before PRE_ROUTING can drop
  std::ifstream snmp("/proc/thread-self/net/snmp");
  std::string header, values;
  while (std::getline(snmp, header) && std::getline(snmp, values)) {
    if (header.rfind("Ip:", 0) != 0) continue;
    std::istringstream hs(header), vs(values);
    std::string name, value;
    while (hs >> name && vs >> value)
      if (name == "InDelivers" || name == "ForwDatagrams" || name == "InAddrErrors" || name == "InNoRoutes")
        total += std::stoull(value);
    break;
  }
  // the same for IPv6, one "name value" per line
  std::ifstream snmp6("/proc/thread-self/net/snmp6");
  std::string name;
  std::uint64_t value = 0;
  while (snmp6 >> name >> value)
    if (name == "Ip6InDelivers" || name == "Ip6OutForwDatagrams" || name == "Ip6InAddrErrors" ||
        name == "Ip6InNoRoutes")
      total += value;
  return total;
}

std::uint64_t interface_rx_packets(const std::string& ns, const std::string& dev) {
  NetnsScope in(ns);
  // "  dev: rx_bytes rx_packets ..." after two header lines
  std::ifstream net_dev("/proc/thread-self/net/dev");
  for (std::string line; std::getline(net_dev, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != dev) continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t bytes = 0, packets = 0;
    fields >> bytes >> packets;
    return packets;
  }
  return 0;
}

}  // namespace xb::bench
