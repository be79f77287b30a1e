// nft-netdev and nft-inet: the rule set as an nftables table in the DUT's
// namespace, at the netdev ingress hook of the DUT interface or at inet
// prerouting.
#include <fmt/format.h>

#include "baseline_hooks.hpp"
#include "errors.hpp"
#include "kernel_config.hpp"
#include "netns_command.hpp"
#include "nft_ruleset.hpp"

namespace xb::bench::baselines {
namespace {

constexpr const char* kTable = "xdpbench";

class NftHook final : public HookUnderTest {
 public:
  NftHook(const std::string& hook, const Topology& topo, const RuleSet& rules)
      : HookUnderTest(hook),
        ns_(topo.dut().ns),
        dev_(topo.dut().dev),
        family_(hook == "nft-netdev" ? "netdev" : "inet"),
        ruleset_(translate_to_nft(
            rules, hook == "nft-netdev" ? NftHookPoint::NetdevIngress : NftHookPoint::InetPrerouting, dev_, kTable)) {
    const TempFile script(ruleset_.script, ".nft");
    // one transaction: all of it or nothing
    checked_run_in_netns(ns_, {"nft", "-f", script.path()});
  }

  ~NftHook() override { run_in_netns(ns_, {"nft", "delete", "table", family_, kTable}); }

  void reset() override {
    base_ = counters();
    rx_base_ = interface_rx_packets(ns_, dev_);
  }

  HookCounts read() const override {
    const auto now = counters();
    HookCounts c;
    c.seen = interface_rx_packets(ns_, dev_) - rx_base_;
    for (std::size_t i = 0; i < now.size(); ++i)
      if (ruleset_.counted[i].action == Action::Drop) c.dropped += now[i] - base_[i];
    c.passed = c.seen > c.dropped ? c.seen - c.dropped : 0;
    return c;
  }

  std::vector<RuleTally> rule_tallies() const override {
    const auto now = counters();
    std::vector<RuleTally> tallies;
    for (std::size_t i = 0; i < now.size(); ++i) tallies.push_back({ruleset_.counted[i].rules, now[i] - base_[i]});
    return tallies;
  }

 private:
  std::vector<std::uint64_t> counters() const {
    // the chain alone: a listing of the sets' elements would be as long as the rule set
    return nft_counters(ruleset_, checked_run_in_netns(ns_, {"nft", "-j", "list", "chain", family_, kTable, "filter"}));
  }

  std::string ns_, dev_, family_;
  NftRuleset ruleset_;
  std::vector<std::uint64_t> base_;
  std::uint64_t rx_base_ = 0;
};

}  // namespace

std::unique_ptr<HookUnderTest> make_nft_hook(const std::string& hook, const Topology& topo, const RuleSet& rules) {
  return std::make_unique<NftHook>(hook, topo, rules);
}

std::string nft_unavailable(const std::string& hook) {
  if (!have_program("nft")) return "nft is not installed (Debian package nftables)";
  const char* option = hook == "nft-netdev" ? "CONFIG_NF_TABLES_NETDEV" : "CONFIG_NF_TABLES_INET";
  if (const auto o = kernel_option(option); o && o->value.empty())
    return fmt::format("the kernel lacks {} ({})", option, o->source);
  return "";
}

}  // namespace xb::bench::baselines
