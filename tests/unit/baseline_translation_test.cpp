// The translators for nftables and iptables, without a kernel: the group
// plan keeps first-match order (checked packet by packet against the
// reference model), and the scripts say what nft and iptables users write.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "differential_corpus.hpp"
#include "iptables_ruleset.hpp"
#include "nft_ruleset.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "rule_groups.hpp"
#include "synthetic_rules.hpp"
#include "verdict_table.hpp"

namespace xb::bench::baselines {
namespace {

// Walks the plan as nft or iptables would: the first group with a rule that
// matches the packet decides. That must be the group of the reference
// model's first matching rule, and no group at all when no rule matches.
void expect_first_match_order(const RuleSet& rules, std::size_t packets) {
  const GroupPlan plan = plan_groups(rules);
  std::set<std::uint32_t> planned;
  for (const auto& g : plan.groups) planned.insert(g.rules.begin(), g.rules.end());
  ASSERT_EQ(planned.size(), rules.rules.size()) << "every rule in exactly one group";

  const CompiledTable table = compile_rules(rules);
  std::vector<CompiledTable> single;  // one table per rule: "does rule i match?"
  for (const auto& r : rules.rules) {
    RuleSet one;
    one.rules = {r};
    single.push_back(compile_rules(one));
  }
  std::size_t decided = 0;
  for (const auto& frame : fixtures::differential_corpus(rules, packets, 11)) {
    const Classification want = classify(table, frame);
    if (want.rule == XB_RULE_MALFORMED || want.rule == XB_RULE_NON_IP) continue;
    const RuleGroup* first = nullptr;
    for (const auto& g : plan.groups) {
      for (const auto i : g.rules)
        if (classify(single[i], frame).rule == 0) first = &g;
      if (first) break;
    }
    if (want.rule == XB_RULE_DEFAULT) {
      EXPECT_EQ(first, nullptr);
      continue;
    }
    ++decided;
    ASSERT_NE(first, nullptr) << "rule " << want.rule << " matched, no group did";
    EXPECT_NE(std::find(first->rules.begin(), first->rules.end(), want.rule), first->rules.end())
        << "rule " << want.rule << " decides, the plan's first matching group does not hold it";
  }
  EXPECT_GT(decided, packets / 10);
}

TEST(RuleGroups, KeepFirstMatchOrderOnTheVerdictTable) {
  expect_first_match_order(parse_rules(fixtures::verdict_table_rules(), "verdict-table"), 3000);
}

TEST(RuleGroups, KeepFirstMatchOrderOnRealisticRules) {
  expect_first_match_order(synthetic_rules({.count = 300, .seed = 5}), 2000);
}

TEST(RuleGroups, KeepFirstMatchOrderOnOverlappingRandomShapes) {
  // few rules: random shapes soon reach the filter's shape limit
  expect_first_match_order(synthetic_rules({.count = 24, .seed = 9, .random_shapes = true}), 2000);
}

TEST(RuleGroups, OverlapIsDecidedByEveryField) {
  const RuleSet r = parse_rules(R"(
[[rule]]
action = "drop"
dst = "198.18.0.0/16"
proto = "tcp"
dport = "1000-2000"
[[rule]]
action = "pass"
dst = "198.18.5.5"
proto = "tcp"
dport = 2000
[[rule]]
action = "pass"
dst = "198.18.5.5"
proto = "tcp"
dport = 2001
[[rule]]
action = "pass"
dst = "198.18.5.5"
proto = "udp"
dport = 1500
[[rule]]
action = "pass"
src = "2001:2::/48"
)",
                                "t");
  EXPECT_TRUE(may_overlap(r.rules[0], r.rules[1]));
  EXPECT_FALSE(may_overlap(r.rules[0], r.rules[2]));  // ports apart
  EXPECT_FALSE(may_overlap(r.rules[0], r.rules[3]));  // protocols apart
  EXPECT_FALSE(may_overlap(r.rules[0], r.rules[4]));  // families apart
  // rule 1 overlaps rule 0: it starts a second block
  EXPECT_EQ(plan_groups(r).blocks, 2u);
}

TEST(NftRuleset, WritesSetsFlagsAndTheDefaults) {
  const RuleSet rules = parse_rules(fixtures::verdict_table_rules(), "verdict-table");
  const NftRuleset nft = translate_to_nft(rules, NftHookPoint::NetdevIngress, "dut0", "xdpbench");
  EXPECT_EQ(nft.table, "netdev xdpbench");
  EXPECT_NE(nft.script.find("type filter hook ingress device \"dut0\""), std::string::npos);
  EXPECT_NE(nft.script.find("tcp flags & 0x12 == 0x2"), std::string::npos) << nft.script;
  EXPECT_NE(nft.script.find("icmp type 8"), std::string::npos);
  EXPECT_NE(nft.script.find("icmpv6 type 128"), std::string::npos);
  // web: dport [80, 443] is one rule with two set elements
  EXPECT_NE(nft.script.find("198.18.0.0/16 . 6 . 80"), std::string::npos) << nft.script;
  EXPECT_NE(nft.script.find("meta protocol != { ip, ip6 } counter accept"), std::string::npos);
  EXPECT_EQ(nft.counted.back().rules, std::vector<std::uint32_t>{XB_RULE_DEFAULT});

  const NftRuleset inet = translate_to_nft(rules, NftHookPoint::InetPrerouting, "dut0", "xdpbench");
  EXPECT_NE(inet.script.find("hook prerouting"), std::string::npos);
  EXPECT_EQ(inet.script.find("meta protocol !="), std::string::npos);  // no non-IP at inet
}

TEST(NftRuleset, GroupsManyRulesOfOneShapeIntoOneSet) {
  // a block list: 500 hosts' services, none overlapping another
  std::string text;
  for (int i = 0; i < 500; ++i)
    text += fmt::format("[[rule]]\naction = \"drop\"\ndst = \"10.{}.{}.1\"\nproto = \"tcp\"\ndport = {}\n", i / 256,
                        i % 256, 1000 + i);
  const RuleSet rules = parse_rules(text, "blocklist.toml");
  const NftRuleset nft = translate_to_nft(rules, NftHookPoint::InetPrerouting, "dut0", "xdpbench");
  ASSERT_EQ(nft.counted.size(), 2u);  // one set lookup and the default
  EXPECT_EQ(nft.counted[0].rules.size(), 500u);
  EXPECT_NE(nft.script.find("type ipv4_addr . inet_proto . inet_service;"), std::string::npos) << "no ranges: a hash";
  EXPECT_NE(nft.script.find("ip daddr . meta l4proto . th dport @g0 counter drop"), std::string::npos);
}

TEST(IptablesRuleset, WritesMultiportFlagsIcmpAndBothFamilies) {
  const RuleSet rules = parse_rules(fixtures::verdict_table_rules(), "verdict-table");
  const IptablesRuleset ipt = translate_to_iptables(rules, {.set_prefix = "xb", .ipset_types = {}});
  EXPECT_NE(ipt.v4.find("-d 198.18.0.0/16 -p tcp -m tcp -m multiport --dports 80,443 -j ACCEPT"), std::string::npos)
      << ipt.v4;
  EXPECT_NE(ipt.v4.find("--tcp-flags SYN,ACK SYN -j DROP"), std::string::npos);
  EXPECT_NE(ipt.v4.find("-p icmp -m icmp --icmp-type 8 -j DROP"), std::string::npos);
  EXPECT_NE(ipt.v6.find("-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP"), std::string::npos);
  // no-ssh names no address: in both tables
  EXPECT_NE(ipt.v4.find("-p tcp -m tcp --dport 22 -j DROP"), std::string::npos);
  EXPECT_NE(ipt.v6.find("-p tcp -m tcp --dport 22 -j DROP"), std::string::npos);
  EXPECT_TRUE(ipt.ipset.empty());
}

TEST(IptablesRuleset, UsesOnlyTheIpsetTypesTheKernelHas) {
  const RuleSet rules = synthetic_rules({.count = 1000, .seed = 1});
  const IptablesRuleset with = translate_to_iptables(rules, {.set_prefix = "xb", .ipset_types = {"hash:net"}});
  EXPECT_NE(with.ipset.find("hash:net family"), std::string::npos);
  EXPECT_EQ(with.ipset.find("hash:net,"), std::string::npos);
  const IptablesRuleset without = translate_to_iptables(rules, {.set_prefix = "xb", .ipset_types = {}});
  EXPECT_GT(without.v4_lines.size(), with.v4_lines.size());
}

TEST(IptablesRuleset, RefusesWhatIptablesCannotSay) {
  const RuleSet rules = parse_rules(R"(
[[rule]]
name = "code-only"
action = "drop"
proto = "icmp"
icmp-code = 3
)",
                                    "t.toml");
  EXPECT_THROW(translate_to_iptables(rules, {}), std::invalid_argument);
}

}  // namespace
}  // namespace xb::bench::baselines
