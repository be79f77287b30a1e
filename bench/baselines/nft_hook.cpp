// nft-netdev and nft-inet: the rule set as an nftables table in the DUT's
// namespace, at the netdev ingress hook of the DUT interface or at inet
// prerouting.
#include <fmt/format.h>

#include "baseline_hooks.hpp"
#include "counted_ruleset_hook.hpp"
#include "errors.hpp"
#include "kernel_config.hpp"
#include "nft_ruleset.hpp"
#include "run_command.hpp"
#include "temp_file.hpp"

namespace xb::bench::baselines {
namespace {

constexpr const char* kTable = "xdpbench";

class NftHook final : public CountedRulesetHook {
 public:
  NftHook(const std::string& hook, const Topology& topo, const RuleSet& rules)
      : CountedRulesetHook(hook, topo),
        family_(hook == "nft-netdev" ? "netdev" : "inet"),
        ruleset_(translate(hook, topo, rules, dev_)) {
    const TempFile script(ruleset_.script, ".nft");
    // one transaction: all of it or nothing
    checked_run({"nft", "-f", script.path()}, {.netns = ns_});
  }

  static NftRuleset translate(const std::string& hook, const Topology& topo, const RuleSet& rules,
                              const std::string& dev) {
    try {
      return translate_to_nft(rules, hook == "nft-netdev" ? NftHookPoint::NetdevIngress : NftHookPoint::InetPrerouting,
                              dev, kTable, /*device_only=*/topo.spec().is_lab());
    } catch (const std::invalid_argument& e) {
      throw Error(fmt::format("{}: {}", hook, e.what()));
    }
  }

  ~NftHook() override { run_command({"nft", "delete", "table", family_, kTable}, {.netns = ns_}); }

 private:
  const std::vector<CountedRule>& counted() const override { return ruleset_.counted; }

  std::vector<std::uint64_t> counters() const override {
    // the chain alone: a listing of the sets' elements would be as long as the rule set
    return nft_counters(ruleset_,
                        checked_run({"nft", "-j", "list", "chain", family_, kTable, "filter"}, {.netns = ns_}));
  }

  std::string family_;
  NftRuleset ruleset_;
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
