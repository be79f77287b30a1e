// iptables-legacy and iptables-nft: the rule set in the raw table's (mangle's
// for connection states) PREROUTING chain of the DUT's namespace (IPv4 and IPv6), with ipsets where
// the kernel has the set types, applied with iptables-restore.
#include <fmt/format.h>

#include "baseline_hooks.hpp"
#include "counted_ruleset_hook.hpp"
#include "errors.hpp"
#include "iptables_ruleset.hpp"
#include "kernel_config.hpp"
#include "run_command.hpp"
#include "temp_file.hpp"

namespace xb::bench::baselines {
namespace {

// ipset types this kernel was built with (from its configuration).
std::set<std::string> kernel_ipset_types() {
  std::set<std::string> types;
  const auto built = [](const char* option) {
    const auto o = kernel_option(option);
    return o && !o->value.empty();
  };
  if (!built("CONFIG_IP_SET") || !built("CONFIG_NETFILTER_XT_SET")) return types;
  for (const auto& [option, type] :
       {std::pair{"CONFIG_IP_SET_HASH_NET", "hash:net"}, std::pair{"CONFIG_IP_SET_HASH_NETNET", "hash:net,net"},
        std::pair{"CONFIG_IP_SET_HASH_NETPORT", "hash:net,port"},
        std::pair{"CONFIG_IP_SET_HASH_NETPORTNET", "hash:net,port,net"}})
    if (built(option)) types.insert(type);
  return types;
}

struct Backend {
  std::string v4, v6;  // "iptables-legacy", "ip6tables-legacy"
};

Backend backend_of(const std::string& hook) {
  const std::string suffix = hook == "iptables-legacy" ? "-legacy" : "-nft";
  return {"iptables" + suffix, "ip6tables" + suffix};
}

class IptablesHook final : public CountedRulesetHook {
 public:
  IptablesHook(const std::string& hook, const Topology& topo, const RuleSet& rules)
      : CountedRulesetHook(hook, topo), tools_(backend_of(hook)) {
    IptablesOptions options;
    options.set_prefix = "xb";
    options.ipset_types = kernel_ipset_types();
    try {
      ruleset_ = translate_to_iptables(rules, options);
    } catch (const std::invalid_argument& e) {
      throw Error(fmt::format("{}: {}", hook, e.what()));
    }
    try {
      if (!ruleset_.ipset.empty()) {
        const TempFile sets(ruleset_.ipset);
        checked_run({"ipset", "restore", "-file", sets.path()}, {.netns = ns_});
      }
      const TempFile v4(ruleset_.v4), v6(ruleset_.v6);
      checked_run({tools_.v4 + "-restore", v4.path()}, {.netns = ns_});
      checked_run({tools_.v6 + "-restore", v6.path()}, {.netns = ns_});
    } catch (...) {
      remove();  // nothing half applied stays behind
      throw;
    }
  }

  ~IptablesHook() override { remove(); }

 private:
  const std::vector<CountedRule>& counted() const override { return ruleset_.counted; }

  std::vector<std::uint64_t> counters() const override {
    return iptables_counters(ruleset_, checked_run({tools_.v4 + "-save", "-c", "-t", ruleset_.table}, {.netns = ns_}),
                             checked_run({tools_.v6 + "-save", "-c", "-t", ruleset_.table}, {.netns = ns_}));
  }

  void remove() {
    // the rules first: a set in use cannot be destroyed
    run_command({tools_.v4, "-t", ruleset_.table, "-F", "PREROUTING"}, {.netns = ns_});
    run_command({tools_.v6, "-t", ruleset_.table, "-F", "PREROUTING"}, {.netns = ns_});
    // every set in one call: the namespace is the rig's own, and a 100k-rule
    // translation makes thousands of sets
    if (!ruleset_.set_names.empty()) run_command({"ipset", "destroy"}, {.netns = ns_});
  }

  Backend tools_;
  IptablesRuleset ruleset_;
};

}  // namespace

std::unique_ptr<HookUnderTest> make_iptables_hook(const std::string& hook, const Topology& topo, const RuleSet& rules) {
  return std::make_unique<IptablesHook>(hook, topo, rules);
}

std::string iptables_unavailable(const std::string& hook) {
  const Backend tools = backend_of(hook);
  for (const auto& tool : {tools.v4 + "-restore", tools.v6 + "-restore"})
    if (!have_program(tool)) return tool + " is not installed (Debian package iptables)";
  if (!have_program("ipset")) return "ipset is not installed (Debian package ipset)";
  const std::vector<const char*> options = hook == "iptables-legacy"
                                               ? std::vector<const char*>{"CONFIG_IP_NF_RAW", "CONFIG_IP6_NF_RAW"}
                                               : std::vector<const char*>{"CONFIG_NFT_COMPAT", "CONFIG_NF_TABLES_IPV4"};
  for (const char* option : options)
    if (const auto o = kernel_option(option); o && o->value.empty())
      return fmt::format("the kernel lacks {} ({})", option, o->source);
  return "";
}

}  // namespace xb::bench::baselines
