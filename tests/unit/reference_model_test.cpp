// The reference model against the verdict table: the expectations written
// by hand, before any BPF is involved.
#include "reference_model.hpp"

#include <gtest/gtest.h>

#include "packet_builder.hpp"
#include "verdict_table.hpp"

namespace xb {
namespace {

TEST(ReferenceModel, VerdictTable) {
  const auto table = compile_rules(parse_rules(fixtures::verdict_table_rules(), "verdict-table.toml"));
  for (const auto& c : fixtures::verdict_cases()) {
    const Classification got = classify(table, c.frame);
    EXPECT_EQ(got, (Classification{c.action, c.rule}))
        << c.description << ": got " << action_name(got.action) << " rule " << got.rule;
  }
}

TEST(ReferenceModel, EmptyRuleSetUsesTheDefaults) {
  const auto table = compile_rules(parse_rules("[defaults]\naction = \"drop\"\n", "r"));
  for (const auto& c : fixtures::verdict_cases()) {
    const Classification got = classify(table, c.frame);
    if (c.rule == XB_RULE_NON_IP || c.rule == XB_RULE_MALFORMED)
      EXPECT_EQ(got.rule, c.rule) << c.description;
    else
      EXPECT_EQ(got, (Classification{Action::Drop, XB_RULE_DEFAULT})) << c.description;
  }
}

TEST(ReferenceModel, NeverReadsPastTheFrame) {
  // every prefix of every fixture, down to zero bytes: ASan/valgrind would
  // flag a read past the span; the verdict must be a defined one
  const auto table = compile_rules(parse_rules(fixtures::verdict_table_rules(), "r"));
  for (const auto& c : fixtures::verdict_cases())
    for (std::size_t n = 0; n <= c.frame.size(); ++n) {
      const std::vector<std::uint8_t> cut(c.frame.begin(), c.frame.begin() + static_cast<long>(n));
      const Classification got = classify(table, cut);
      EXPECT_TRUE(got.action == Action::Pass || got.action == Action::Drop);
    }
}

// A rule that names states matches a packet in one of them and no other;
// a packet whose state is not known (0) matches none of them.
TEST(ReferenceModel, ConnectionStates) {
  const auto table =
      compile_rules(parse_rules("[defaults]\naction = \"drop\"\n"
                                "[[rule]]\naction = \"pass\"\nct-state = [\"established\", \"related\"]\n"
                                "[[rule]]\naction = \"pass\"\nproto = \"tcp\"\ndport = 22\nct-state = \"new\"\n",
                                "r"));
  EXPECT_EQ(table.meta().ct_lookup, 1);
  const auto ssh = fixtures::build_frame(fixtures::tcp("192.0.2.1", "198.51.100.1", 40000, 22, fixtures::kSyn));
  const auto web = fixtures::build_frame(fixtures::tcp("192.0.2.1", "198.51.100.1", 40000, 80, fixtures::kSyn));
  EXPECT_EQ(classify(table, ssh, XB_CT_NEW), (Classification{Action::Pass, 1}));
  EXPECT_EQ(classify(table, web, XB_CT_NEW), (Classification{Action::Drop, XB_RULE_DEFAULT}));
  EXPECT_EQ(classify(table, web, XB_CT_ESTABLISHED), (Classification{Action::Pass, 0}));
  EXPECT_EQ(classify(table, web, XB_CT_RELATED), (Classification{Action::Pass, 0}));
  EXPECT_EQ(classify(table, ssh, XB_CT_INVALID), (Classification{Action::Drop, XB_RULE_DEFAULT}));
  EXPECT_EQ(classify(table, ssh, 0), (Classification{Action::Drop, XB_RULE_DEFAULT}));
}

// ttl: the IPv4 TTL or IPv6 hop limit in a range, read by the parser.
TEST(ReferenceModel, TtlAndHopLimit) {
  const auto table =
      compile_rules(parse_rules("[[rule]]\naction = \"drop\"\nproto = \"udp\"\nttl = \"0-1\"\n"
                                "[[rule]]\naction = \"pass\"\nproto = \"icmpv6\"\nttl = 255\n",
                                "r"));
  auto udp = fixtures::udp("192.0.2.1", "198.51.100.1", 1, 2);
  EXPECT_EQ(classify(table, fixtures::build_frame(udp)).rule, XB_RULE_DEFAULT);  // TTL 64
  udp.ttl = 1;
  EXPECT_EQ(classify(table, fixtures::build_frame(udp)).rule, 0u);
  udp.ttl = 2;
  EXPECT_EQ(classify(table, fixtures::build_frame(udp)).rule, XB_RULE_DEFAULT);
  auto ns = fixtures::icmp("fe80::1", "ff02::1:ff00:1", 135);
  ns.ttl = 255;
  EXPECT_EQ(classify(table, fixtures::build_frame(ns)).rule, 1u);
  ns.ttl = 254;
  EXPECT_EQ(classify(table, fixtures::build_frame(ns)).rule, XB_RULE_DEFAULT);
}

}  // namespace
}  // namespace xb
