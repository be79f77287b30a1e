// One nftables rule (its JSON statements, as `nft -j list ruleset` writes
// them) read into what it matches, as a disjunction of header matches,
// and its verdict. Whatever the filter cannot express is refused by name
// with UnsupportedRule.
#pragma once

#include <string>
#include <vector>

#include "chain_inliner.hpp"
#include "nft_ruleset_json.hpp"

namespace xb {

struct NftRuleRead {
  InlineRule rule;      // matches, kind, target (name, where, origin: the caller's)
  bool reject = false;  // a reject statement, read as drop
  // In a table of both families, `meta l4proto icmp` (or `icmp type`, which
  // depends on it) also matches IPv6 packets carrying protocol 1, and
  // ICMPv6 IPv4 packets carrying 58; the filter's rules cannot say that,
  // so those packets are judged as if the rule did not match them.
  bool icmp_of_other_family = false;
};

// families: those of the rule's table (ip: IPv4, ip6: IPv6, inet and
// netdev: both). Throws UnsupportedRule or RuleError naming the rule's place.
NftRuleRead read_nft_rule(const NftRule& rule, const NftRuleset& ruleset, const std::vector<Family>& families);

}  // namespace xb
