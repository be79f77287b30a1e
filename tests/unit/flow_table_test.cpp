// The flows aimed at the rules keep off the topology's own links (issue
// #24): an address in a subnet the DUT is attached to is its own, a
// broadcast, or a neighbour it cannot resolve, and is not forwarded.
#include "flow_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "rule_compiler.hpp"
#include "rule_set.hpp"

namespace xb::bench {
namespace {

bool in_24(const std::array<std::uint8_t, 16>& a, const char* net) {
  std::array<std::uint8_t, 4> n{};
  inet_pton(AF_INET, net, n.data());
  return a[0] == n[0] && a[1] == n[1] && a[2] == n[2];
}

TEST(FlowsForRules, KeepOffTheTopologysSubnetsButForSourceAndTarget) {
  // prefixes that cover the router topology's links (198.18.0.0/24, 198.19.0.0/24)
  const CompiledRuleSet rules(parse_rules(R"(
[[rule]]
name = "to-sink-side"
action = "drop"
dst = "198.19.0.0/22"
proto = "udp"

[[rule]]
name = "from-gen-side"
action = "pass"
src = "198.18.0.0/22"
dst = "198.18.0.0/22"
proto = "udp"
)",
                                          "test"));
  const FlowEndpoints ends{"router",     "198.18.0.1",
                           "198.19.0.2", "",
                           "",           {"198.18.0.1/24", "198.18.0.2/24", "198.19.0.1/24", "198.19.0.2/24"}};
  const auto flows = flows_for_rules(rules, ends, Family::V4, 512, -1, 7);
  ASSERT_EQ(flows.size(), 512u);
  std::array<std::uint8_t, 16> gen{}, target{};
  inet_pton(AF_INET, "198.18.0.1", gen.data());
  inet_pton(AF_INET, "198.19.0.2", target.data());
  int aimed = 0;
  for (const auto& f : flows) {
    for (const char* link : {"198.18.0.0", "198.19.0.0"}) {
      EXPECT_TRUE(!in_24(f.saddr, link) || f.saddr == gen) << "source on a link of the DUT";
      EXPECT_TRUE(!in_24(f.daddr, link) || f.daddr == target) << "destination on a link of the DUT";
    }
    aimed += f.daddr != target;
  }
  // the rules are still aimed at, from their addresses off the links
  EXPECT_GT(aimed, 256);
  // without the subnets, a /22 puts about a quarter of them on the links
  const auto unguarded =
      flows_for_rules(rules, {"router", "198.18.0.1", "198.19.0.2", "", "", {}}, Family::V4, 512, -1, 7);
  int on_links = 0;
  for (const auto& f : unguarded)
    on_links += (in_24(f.daddr, "198.19.0.0") && f.daddr != target) || in_24(f.daddr, "198.18.0.0");
  EXPECT_GT(on_links, 0);
}

}  // namespace
}  // namespace xb::bench
