// The baselines give the reference model's verdicts: the verdict table and a
// corpus of packets aimed at its rules, sent as real frames into a DUT with
// nftables or iptables holding the translated rule set, counted per rule (or
// per set lookup, as the sum of its rules). (Through the rig, every baseline
// dropping what the reference drops: tests/rig/baseline_in_the_rig_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "differential_corpus.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "test_namespaces.hpp"
#include "test_params.hpp"
#include "traffic.hpp"
#include "verdict_table.hpp"

namespace xb::testing {
namespace {

bool untagged_ip(const std::vector<std::uint8_t>& f) {
  return f.size() >= 14 && ((f[12] == 0x08 && f[13] == 0x00) || (f[12] == 0x86 && f[13] == 0xdd));
}

// The extension headers of an untagged IPv6 frame, in order.
std::vector<std::uint8_t> ipv6_extension_headers(const std::vector<std::uint8_t>& f) {
  std::vector<std::uint8_t> seen;
  if (f.size() < 54 || f[12] != 0x86) return seen;
  std::uint8_t next = f[20];
  std::size_t off = 54;
  while ((next == 0 || next == 43 || next == 44 || next == 51 || next == 60) && off + 8 <= f.size()) {
    seen.push_back(next);
    const std::size_t len = next == 51 ? (f[off + 1] + 2u) * 4 : next == 44 ? 8u : (f[off + 1] + 1u) * 8;
    next = f[off];
    off += len;
  }
  return seen;
}

// IPv6 input refuses a multicast source before PRE_ROUTING: what nft-inet
// and iptables never see.
bool multicast_source6(const std::vector<std::uint8_t>& f) { return f[12] == 0x86 && f[22] == 0xff; }

bool fragment(const std::vector<std::uint8_t>& f) {
  if (f[12] == 0x08) return f.size() >= 22 && ((f[20] & 0x3f) || f[21]);
  const auto ext = ipv6_extension_headers(f);
  return std::find(ext.begin(), ext.end(), 44) != ext.end();
}

class BaselineVerdicts : public ::testing::TestWithParam<std::string> {};

TEST_P(BaselineVerdicts, CountPerRuleAsTheReferenceModel) {
  const std::string hook_name = GetParam();
  ASSERT_EQ(bench::hook_unavailable(hook_name), "");
  const RuleSet rules = parse_rules(fixtures::verdict_table_rules(), "verdict-table");
  const CompiledTable table = compile_rules(rules);

  // What nftables and iptables judge as the filter core does: IP frames
  // without a VLAN tag that are not malformed. Where they see packets
  // differently they are left out, as docs/xdpbench.md ("Baselines") says:
  // nftables (and iptables-nft, built on it) takes an IPv6 AH header for
  // the transport and matches TCP/UDP fields on IPv4 fragments; IPv6 input
  // drops a multicast source before PRE_ROUTING.
  const bool nft_semantics = hook_name != "iptables-legacy";
  const bool after_ip_input = hook_name != "nft-netdev";
  std::vector<std::vector<std::uint8_t>> frames;
  for (const auto& c : fixtures::verdict_cases()) frames.push_back(c.frame);
  for (auto& f : fixtures::differential_corpus(rules, 3000, 7)) frames.push_back(std::move(f));
  std::erase_if(frames, [&](const std::vector<std::uint8_t>& f) {
    if (!untagged_ip(f) || classify(table, f).rule == XB_RULE_MALFORMED) return true;
    const auto ext = ipv6_extension_headers(f);
    const bool ah = std::find(ext.begin(), ext.end(), 51) != ext.end();
    return (nft_semantics && (ah || fragment(f))) || (after_ip_input && multicast_source6(f));
  });
  ASSERT_GT(frames.size(), 1000u);
  std::map<std::uint32_t, std::uint64_t> expected;  // rule -> packets
  for (const auto& f : frames) ++expected[classify(table, f).rule];

  VethTopology t;
  const auto hook = bench::make_hook_under_test(hook_name, t.topology(), CompiledRuleSet(rules),
                                                StatePaths{});  // a baseline: no records
  hook->reset();
  send_frames(t.gen_ns, t.gen_if, t.topology().generator().mac, t.topology().next_hop_mac(), frames);
  // the frames cross a veth and a backlog queue: poll until the hook has
  // counted them all (a deadline, not a guess at how long that takes)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto tallies = hook->rule_tallies();
  auto counted_so_far = [&] {
    std::uint64_t n = 0;
    for (const auto& tally : tallies) n += tally.packets;
    return n;
  };
  while (counted_so_far() < frames.size() && std::chrono::steady_clock::now() < deadline)
    tallies = hook->rule_tallies();

  ASSERT_FALSE(tallies.empty());
  std::uint64_t counted = 0;
  for (const auto& tally : tallies) {
    std::uint64_t want = 0;
    std::string names;
    for (const auto r : tally.rules) {
      want += expected.count(r) ? expected[r] : 0;
      names += (r < rules.rules.size() ? rules.rules[r].name : std::to_string(r)) + " ";
    }
    counted += tally.packets;
    if (tally.rules == std::vector<std::uint32_t>{XB_RULE_DEFAULT}) {
      EXPECT_GE(tally.packets, want) << "the default";
      EXPECT_LE(tally.packets, want + kStrayPackets) << "the default";
    } else {
      EXPECT_EQ(tally.packets, want) << "rules " << names;
    }
  }
  EXPECT_GE(counted, frames.size());
}

INSTANTIATE_TEST_SUITE_P(Baselines, BaselineVerdicts,
                         ::testing::Values("nft-netdev", "nft-inet", "iptables-legacy", "iptables-nft"),
                         hook_param_name);

}  // namespace
}  // namespace xb::testing
