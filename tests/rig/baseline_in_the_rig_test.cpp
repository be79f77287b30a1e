// Through the rig, the default 1,000 rules and traffic aimed at them: every
// baseline (DPDK included) drops exactly the flows the reference model
// drops. (Their per-rule counts on the verdict table:
// tests/netns/baseline_verdict_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "rig.hpp"
#include "rule_set.hpp"
#include "test_namespaces.hpp"
#include "test_params.hpp"

namespace xb::testing {
namespace {

// The rig, the default 1,000 rules and traffic aimed at them: exact drops.
class BaselineInTheRig : public ::testing::TestWithParam<std::string> {};

TEST_P(BaselineInTheRig, DropsWhatTheReferenceDrops) {
  const std::string hook_name = GetParam();
  ASSERT_EQ(bench::hook_unavailable(hook_name), "");
  const RuleSet rules = default_rule_set();
  bench::TrafficProfile traffic;
  traffic.flows = 256;
  traffic.drop_share = 0.25;
  traffic.rate_pps = 20000;
  traffic.ipv6_share = 0.5;
  bench::Rig rig("veth-pair", traffic);
  rig.use_rules(CompiledRuleSet(rules));
  const auto hook = bench::make_hook_under_test(hook_name, rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  const bench::Trial t = rig.trial(*hook, {.seconds = 10, .warmup_s = 0, .max_packets = 2560});
  EXPECT_EQ(t.offered, 2560u);
  if (hook_name == "dpdk-afpacket") {
    // AF_PACKET leaves the packets to the DUT's stack too, which answers
    // some (neighbour discovery): the generator's replies are strays that
    // a drop rule on the benchmark prefix may catch
    EXPECT_LE(t.dropped - 640u, kStrayPackets);
  } else {
    EXPECT_EQ(t.dropped, 640u);
  }
  EXPECT_LE(t.seen - 2560u, kStrayPackets);
  EXPECT_LE(t.delivered - 1920u, kStrayPackets);
}

INSTANTIATE_TEST_SUITE_P(Baselines, BaselineInTheRig,
                         ::testing::Values("nft-netdev", "nft-inet", "iptables-legacy", "iptables-nft", "dpdk-afxdp",
                                           "dpdk-afpacket", "dpdk-afxdp-acl"),
                         hook_param_name);

}  // namespace
}  // namespace xb::testing
