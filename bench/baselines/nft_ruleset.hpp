// The rule set as an nftables ruleset, written as nft users write one: a
// set lookup per rule shape (see rule_groups.hpp), a counter on each lookup,
// loaded in one transaction by `nft -f`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rule_groups.hpp"
#include "rule_set.hpp"

namespace xb::bench::baselines {

enum class NftHookPoint { NetdevIngress, InetPrerouting };

// A counted nft rule: which rules of the set its counter stands for.
struct CountedRule {
  std::string comment;  // how the rule is found again in the listing
  Action action = Action::Pass;
  std::vector<std::uint32_t> rules;  // rule indexes, or one XB_RULE_* for the defaults
};

struct NftRuleset {
  std::string table;   // "netdev xb" or "inet xb"
  std::string script;  // for nft -f
  std::vector<CountedRule> counted;
};

// device: the DUT interface (the netdev ingress hook is per device).
// device_only: inet prerouting sees every interface of the host; on a lab's
// DUT host the rules must not judge its other traffic (its management
// connection among it): that passes first, uncounted.
NftRuleset translate_to_nft(const RuleSet& rules, NftHookPoint hook, const std::string& device,
                            const std::string& table_name = "xdpbench", bool device_only = false);

// Each counted rule's packets, in the order of `counted`, from `nft -j list table`.
std::vector<std::uint64_t> nft_counters(const NftRuleset& ruleset, const std::string& json_listing);

}  // namespace xb::bench::baselines
