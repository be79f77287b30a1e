// The rule set as iptables users write one: raw PREROUTING (before
// connection tracking; mangle PREROUTING, just after it, for a rule set that
// names connection states), one rule per line, ipset where a group of rules
// differs only in addresses and a destination port; iptables-restore files
// for IPv4 and IPv6 and an ipset restore file, each applied in one step.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "nft_ruleset.hpp"
#include "rule_set.hpp"

namespace xb::bench::baselines {

struct IptablesRuleset {
  std::string ipset;          // for `ipset restore` (may be empty)
  std::string table = "raw";  // raw, or mangle when rules name connection states
  std::string v4, v6;         // for iptables-restore / ip6tables-restore (that table)
  std::vector<CountedRule> counted;
  // Which counted rule each -A line of the raw table stands for, in order.
  std::vector<std::size_t> v4_lines, v6_lines;
  std::vector<std::string> set_names;  // to destroy after
};

struct IptablesOptions {
  std::string set_prefix = "xb";  // names of the ipsets (unique per namespace is enough)
  std::set<std::string>
      ipset_types;  // the kernel's (iptables_hook.cpp reads them); groups that need another type stay plain rules
};

// Throws std::invalid_argument naming the rule iptables cannot express.
IptablesRuleset translate_to_iptables(const RuleSet& rules, const IptablesOptions& options);

// Each counted rule's packets from `iptables-save -c -t TABLE` of each family.
std::vector<std::uint64_t> iptables_counters(const IptablesRuleset& ruleset, const std::string& v4_save,
                                             const std::string& v6_save);

}  // namespace xb::bench::baselines
