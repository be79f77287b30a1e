// Compiling rules into tuples and buckets, and the limits, with the rule
// that breaks them named.
#include "rule_compiler.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "errors.hpp"
#include "synthetic_rules.hpp"

namespace xb {
namespace {

TEST(RuleCompiler, FamilylessRuleGoesToBothFamilies) {
  const auto t = compile_rules(parse_rules("[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ndport = 22\n", "r"));
  EXPECT_EQ(t.meta.n_tuples[XB_FAMILY_V4], 1u);
  EXPECT_EQ(t.meta.n_tuples[XB_FAMILY_V6], 1u);
  EXPECT_EQ(t.buckets.size(), 2u);
  EXPECT_EQ(t.meta.tuples[0][0].flags, XB_TUPLE_PROTO | XB_TUPLE_DPORT);
}

TEST(RuleCompiler, TuplesSortedByLowestRule) {
  const auto t = compile_rules(parse_rules(R"(
[[rule]]
action = "drop"
dst = "198.18.0.0/16"
[[rule]]
action = "drop"
dst = "198.18.1.1"
[[rule]]
action = "drop"
dst = "198.19.0.0/16"
)",
                                           "r"));
  ASSERT_EQ(t.meta.n_tuples[XB_FAMILY_V4], 2u);
  EXPECT_EQ(t.meta.tuples[0][0].min_rule, 0u);
  EXPECT_EQ(t.meta.tuples[0][0].dst_len, 16);
  EXPECT_EQ(t.meta.tuples[0][1].min_rule, 1u);
}

TEST(RuleCompiler, SharedBucketKeepsRuleOrder) {
  const auto t = compile_rules(parse_rules(R"(
[[rule]]
action = "pass"
dst = "198.18.0.1"
proto = "tcp"
sport = 1
[[rule]]
action = "drop"
dst = "198.18.0.1"
proto = "tcp"
)",
                                           "r"));
  ASSERT_EQ(t.buckets.size(), 1u);
  const xb_bucket& b = t.buckets.begin()->second;
  ASSERT_EQ(b.count, 2u);
  EXPECT_EQ(b.chain[0].rule, 0u);
  EXPECT_EQ(b.chain[0].match, XB_MATCH_SPORT);
  EXPECT_EQ(b.chain[1].rule, 1u);
}

TEST(RuleCompiler, TooManyShapesNamesTheRule) {
  std::string text;
  for (int len = 0; len <= XB_MAX_TUPLES; ++len)
    text += fmt::format("[[rule]]\naction = \"drop\"\ndst = \"0.0.0.0/{}\"\n", len);
  try {
    compile_rules(parse_rules(text, "shapes.toml"));
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("shapes.toml:{}:1: rule {} needs a 33th distinct rule shape for IPv4 (IPv4 /0 -> /{}); the "
                          "filter searches at most 32 shapes per family (see bpf/README.md)",
                          1 + 3 * XB_MAX_TUPLES, XB_MAX_TUPLES, XB_MAX_TUPLES));
  }
}

TEST(RuleCompiler, FullBucketNamesTheRule) {
  std::string text;
  for (int i = 0; i <= XB_CHAIN_LEN; ++i)
    text += fmt::format("[[rule]]\naction = \"drop\"\ndst = \"198.18.0.1\"\nproto = \"udp\"\nsport = {}\n", i);
  try {
    compile_rules(parse_rules(text, "bucket.toml"));
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("bucket.toml:{}:1: rule 16 is the 17th rule (after port-list expansion) with the same "
                          "addresses, protocol and destination port as rule 0; one bucket holds 16 (see bpf/README.md)",
                          1 + 5 * XB_CHAIN_LEN));
  }
}

TEST(RuleCompiler, HundredThousandRulesFit) {
  const auto t = compile_rules(synthetic_rules({.count = 100000, .seed = 3}));
  EXPECT_EQ(t.meta.rule_count, 100000u);
  EXPECT_LE(t.meta.n_tuples[0], XB_MAX_TUPLES);
  EXPECT_LE(t.meta.n_tuples[1], XB_MAX_TUPLES);
  EXPECT_LE(t.buckets.size(), XB_MAX_BUCKETS - 1u);
}

}  // namespace
}  // namespace xb
