// Compiling rules into decision trees and records, and the limits, with the
// rule that breaks them named.
#include "rule_compiler.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "errors.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "synthetic_rules.hpp"

namespace xb {
namespace {

TEST(RuleCompiler, FamilylessRuleGoesToBothFamilies) {
  const auto t = compile_rules(parse_rules("[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ndport = 22\n", "r"));
  EXPECT_EQ(t.meta(Family::V4).n_trees, 1u);
  EXPECT_EQ(t.meta(Family::V6).n_trees, 1u);
  EXPECT_EQ(t.stats.records, 2u);
  // one record per family, so a one-record tree is a leaf of one record
  EXPECT_EQ(t.meta(Family::V4).trees[0].root.word, XB_NODE_LEAF);
  EXPECT_EQ(t.meta(Family::V4).trees[0].root.arg, 1u);
}

// A small set whose partition trees merge cheaply is searched as one tree.
TEST(RuleCompiler, SmallSetMergesItsTrees) {
  const auto t = compile_rules(parse_rules(R"(
[[rule]]
action = "drop"
dst = "198.18.0.0/16"
[[rule]]
action = "drop"
src = "198.18.1.1"
dst = "198.19.0.1"
[[rule]]
action = "drop"
src = "198.18.0.0/16"
)",
                                           "r"));
  EXPECT_EQ(t.meta(Family::V4).n_trees, 1u);
  EXPECT_EQ(t.meta(Family::V4).trees[0].min_rule, 0u);
}

// Rules one source /16 and one destination /16 with TCP flags (which no
// tree cuts) overlap, past one leaf's worth, where the two prefixes meet: they
// stay in two trees, sorted by their lowest rule.
TEST(RuleCompiler, TreesSortedByLowestRule) {
  std::string text;
  const int per_tree = XB_LEAF_MAX / 2 + 1;
  for (int i = 0; i < 2 * per_tree; ++i)
    text += fmt::format("[[rule]]\naction = \"drop\"\n{} = \"198.18.0.0/16\"\nproto = \"tcp\"\ntcp-flags = \"{}\"\n",
                        i % 2 ? "src" : "dst", i % 4 < 2 ? "syn" : "ack");
  const auto t = compile_rules(parse_rules(text, "r"));
  const xb_meta& m = t.meta(Family::V4);
  ASSERT_EQ(m.n_trees, 2u);
  EXPECT_EQ(m.trees[0].min_rule, 0u);
  EXPECT_EQ(m.trees[1].min_rule, 1u);
  EXPECT_EQ(m.rule_count, static_cast<std::uint32_t>(2 * per_tree));
}

TEST(RuleCompiler, MetadataPerFamily) {
  const auto t = compile_rules(parse_rules("[defaults]\naction = \"drop\"\n[[rule]]\naction = \"pass\"\n", "r"));
  for (Family f : {Family::V4, Family::V6}) {
    EXPECT_EQ(t.meta(f).default_action, XB_DROP);
    EXPECT_EQ(t.meta(f).rule_count, 1u);
  }
  EXPECT_EQ(t.blocks.size() * XB_BLOCK_SIZE, t.bytes());
}

// Rules that differ only in what no tree cuts (TCP flags) cannot be told
// apart: past one leaf's worth, the compiler names the rule.
TEST(RuleCompiler, OverfullLeafNamesTheRule) {
  std::string text;
  for (int i = 0; i <= XB_LEAF_MAX; ++i)
    text += fmt::format("[[rule]]\naction = \"drop\"\ndst = \"198.18.0.1\"\nproto = \"tcp\"\ntcp-flags = \"{}\"\n",
                        i % 2 ? "syn" : "ack");
  try {
    compile_rules(parse_rules(text, "leaf.toml"));
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("leaf.toml:{}:1: rule {} (IPv4): {} rules overlap in one region that no cut on addresses, "
                          "ports or protocol separates, more than the {} one leaf holds (see bpf/README.md)",
                          1 + 5 * XB_LEAF_MAX, XB_LEAF_MAX, XB_LEAF_MAX + 1, XB_LEAF_MAX));
  }
}

// Many rules on one address, one port each: the trees cut the ports apart.
TEST(RuleCompiler, ManyRulesOnOneAddressSeparateByPort) {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += fmt::format("[[rule]]\naction = \"drop\"\ndst = \"198.18.0.1\"\nproto = \"udp\"\nsport = {}\n", i);
  const auto t = compile_rules(parse_rules(text, "ports.toml"));
  EXPECT_LE(t.stats.max_leaf, static_cast<std::uint32_t>(XB_LEAF_MAX));
}

// A host firewall's shape (ufw6's before-input): rules on connection states
// first, which span every field, then many ICMP types. No bits are common to
// all records, so no cut of the type's top bits separates any, yet the types
// lie in its low byte: the tree cuts down to it (CutTreeBuilder::best_cut)
// and then the types apart, each packet still judged by its first rule.
TEST(RuleCompiler, ManyTypesBehindStatefulRulesSeparate) {
  std::string text =
      "[[rule]]\naction = \"pass\"\nct-state = [\"established\", \"related\"]\n"
      "[[rule]]\naction = \"drop\"\nct-state = \"invalid\"\n";
  for (int type = 1; type <= 2 * XB_LEAF_MAX; ++type)
    text += fmt::format("[[rule]]\naction = \"pass\"\nproto = \"icmpv6\"\nicmp-type = {}\nttl = 255\n", type * 7);
  const RuleSet set = parse_rules(text, "ufw6.toml");
  const auto t = compile_rules(set);
  EXPECT_LE(t.stats.max_leaf, static_cast<std::uint32_t>(XB_LEAF_MAX));
  for (int type = 1; type <= 2 * XB_LEAF_MAX; ++type) {
    auto spec = fixtures::icmp("2001:db8::1", "2001:db8::2", static_cast<std::uint8_t>(type * 7));
    spec.ttl = 255;
    EXPECT_EQ(classify(t, fixtures::build_frame(spec)).rule, static_cast<std::uint32_t>(type + 1));
  }
}

// A catch-all rule ends every leaf it reaches: the rules after it never win.
TEST(RuleCompiler, RulesBehindACatchAllArePruned) {
  std::string text = "[[rule]]\naction = \"drop\"\nsrc = \"10.0.0.0/8\"\n";
  for (int i = 0; i < 100; ++i) text += fmt::format("[[rule]]\naction = \"pass\"\nsrc = \"10.0.{}.0/24\"\n", i);
  const auto t = compile_rules(parse_rules(text, "prune.toml"));
  EXPECT_EQ(t.stats.max_leaf, 1u);
}

TEST(RuleCompiler, TenThousandSyntheticRulesFit) {
  const auto t = compile_rules(synthetic_rules({.count = 10000, .seed = 3}));
  EXPECT_EQ(t.rule_count(), 10000u);
  EXPECT_LE(t.meta(Family::V4).n_trees, XB_MAX_TREES);
  EXPECT_LE(t.blocks.size(), XB_MAX_BLOCKS);
  EXPECT_LE(t.stats.max_depth, static_cast<std::uint32_t>(XB_MAX_DEPTH));
}

}  // namespace
}  // namespace xb
