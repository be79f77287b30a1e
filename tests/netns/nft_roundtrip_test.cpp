// Item 3 of the import for nftables: a realistic host firewall
// (tests/data/import/host-firewall.nft: named and anonymous sets, intervals,
// concatenations, user chains with return and goto, TCP flag forms, ICMP and
// ICMPv6 types, reject) loaded into the kernel's own nftables in a private
// namespace, dumped back with `nft -j list ruleset`, imported, and every
// packet of a corpus aimed at the rules' edges judged by both: the filter's
// rule must be the one whose kernel counter counted the packet (the policy:
// what a counter of every packet at the hook counted beyond the rules).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "nft_import.hpp"
#include "round_trip.hpp"
#include "rule_compiler.hpp"
#include "run_command.hpp"

namespace xb::testing {
namespace {

using nlohmann::json;

// Per rule that decides (accept, drop, reject): its counter, keyed as the
// importer names the rule's origin.
std::map<std::string, std::uint64_t> deciding_counters(const std::string& listing, std::uint64_t* sum) {
  std::map<std::string, std::uint64_t> counts;
  *sum = 0;
  const json parsed = json::parse(listing);  // kept: a range over a temporary's member would dangle
  for (const auto& item : parsed["nftables"]) {
    if (!item.contains("rule")) continue;
    const auto& r = item["rule"];
    std::optional<std::uint64_t> packets;
    bool decides = false;
    for (const auto& stmt : r["expr"]) {
      if (stmt.contains("counter")) packets = stmt["counter"]["packets"].get<std::uint64_t>();
      decides = decides || stmt.contains("accept") || stmt.contains("drop") || stmt.contains("reject");
    }
    if (!decides || !packets) continue;
    counts[fmt::format("{} {} {} handle {}", r["family"].get<std::string>(), r["table"].get<std::string>(),
                       r["chain"].get<std::string>(), r["handle"].get<std::uint64_t>())] = *packets;
    *sum += *packets;
  }
  return counts;
}

std::uint64_t counted_at_hook(const std::string& listing) {
  std::uint64_t n = 0;
  const json parsed = json::parse(listing);
  for (const auto& item : parsed["nftables"])
    if (item.contains("rule"))
      for (const auto& stmt : item["rule"]["expr"])
        if (stmt.contains("counter")) n += stmt["counter"]["packets"].get<std::uint64_t>();
  return n;
}

TEST(NftRoundTrip, SameVerdictAndSameRuleAsTheKernel) {
  if (!have_program("nft")) GTEST_SKIP() << "nft is not installed";
  VethTopology t;
  deliver_everything_locally(t);
  checked_run({"nft", "-f", std::string(XB_TEST_DATA) + "/import/host-firewall.nft"}, {.netns = t.dut_ns});
  // what the kernel holds, as a user would dump it, is what is imported
  const std::string dump = checked_run({"nft", "-j", "list", "ruleset"}, {.netns = t.dut_ns});
  const ImportedRules imported = import_nft(dump, "kernel-dump");
  ASSERT_TRUE(imported.skipped.empty());
  quiet_local_output(t);
  // every packet the input hook sees, counted before any other chain
  checked_run({"nft",
               "add table inet xb_seen; add chain inet xb_seen in { type filter hook input "
               "priority -1000; policy accept; }; add rule inet xb_seen in counter"},
              {.netns = t.dut_ns});

  const RuleSet& rules = imported.rules;
  const CompiledTable table = compile_rules(rules);
  const std::string policy = "inet filter input policy";
  auto expected_key = [&](const Classification& c, const std::vector<std::uint8_t>&) {
    return c.rule == XB_RULE_DEFAULT ? policy : imported.origins.at(c.rule);
  };
  auto counters = [&] {
    std::uint64_t decided = 0;
    auto counts =
        deciding_counters(checked_run({"nft", "-j", "list", "table", "inet", "filter"}, {.netns = t.dut_ns}), &decided);
    counts[policy] =
        counted_at_hook(checked_run({"nft", "-j", "list", "table", "inet", "xb_seen"}, {.netns = t.dut_ns})) - decided;
    return counts;
  };

  // ICMP carried in the other family's packets (IPv6 next header 1, IPv4
  // protocol 58): nftables' meta l4proto matches it, the filter's rules
  // cannot (the import notes it) -- left out, as docs/rules.md says
  auto frames = input_hook_corpus(rules, 6000, 17);
  const auto before = frames.size();
  std::erase_if(frames, [](const std::vector<std::uint8_t>& f) {
    return (f[12] == 0x86 && f[20] == XB_IPPROTO_ICMP) || (f[12] == 0x08 && f[23] == XB_IPPROTO_ICMPV6);
  });
  const auto left_out = before - frames.size();
  ASSERT_GT(frames.size(), 3000u);
  const RoundTripResult r = round_trip(t, frames, table, expected_key, counters);
  std::set<std::string> keys;
  for (const auto& f : frames) keys.insert(expected_key(classify(table, f), f));
  std::size_t nft_rules = 0;
  const json dumped = json::parse(dump);
  for (const auto& item : dumped["nftables"]) nft_rules += item.contains("rule");
  std::cout << fmt::format(
      "nftables round trip: {} rules imported from {} nft rules; {} packets in {} batches ({} "
      "retried), {} kernel rules and the policy hit, {} mismatches; {} packets of ICMP in the other family left "
      "out\n",
      rules.rules.size(), nft_rules, r.packets, r.batches, r.retried, keys.size(), r.mismatches.size(), left_out);
  for (const auto& m : r.mismatches) ADD_FAILURE() << m;
  EXPECT_TRUE(r.mismatches.empty());
}

// A round trip of packets the test builds through a prerouting chain of its
// own (FAMILY TABLE, chain pre, priority -300, policy accept) holding
// `rules`: dumped with nft -j, imported, decided (`decide`, where the rules
// need the DUT), judged packet by packet. The policy's count is what a
// counter of every TCP, UDP, UDP-Lite, SCTP and DCCP packet at the hook
// counted beyond the rules': the peer's own MLD reports and neighbour
// solicitations come in while a test runs, and are left out so.
void expect_same_as_nftables(const std::string& what, const VethTopology& t, const std::string& family,
                             const std::string& table_name, const std::vector<std::string>& rules,
                             const std::vector<std::vector<std::uint8_t>>& frames, std::size_t keys,
                             const std::function<RuleSet(const RuleSet&)>& decide = {}) {
  const std::string chain = family + " " + table_name + " pre";
  std::string script = fmt::format(
      "add table {0} {1}; add chain {0} {1} pre {{ type filter hook prerouting priority -300; policy accept; }}",
      family, table_name);
  for (const auto& rule : rules) script += fmt::format("; add rule {} {} pre {}", family, table_name, rule);
  checked_run({"nft", script}, {.netns = t.dut_ns});
  const std::string dump = checked_run({"nft", "-j", "list", "ruleset"}, {.netns = t.dut_ns});
  const ImportedRules imported = import_nft(dump, "kernel-dump");
  ASSERT_TRUE(imported.skipped.empty());
  const RuleSet decided = decide ? decide(imported.rules) : imported.rules;
  const CompiledTable table = compile_rules(decided);
  quiet_local_output(t);
  checked_run({"nft",
               "add table inet xb_seen; add chain inet xb_seen pre { type filter hook prerouting "
               "priority -1000; policy accept; }; add rule inet xb_seen pre meta l4proto { tcp, udp, udplite, sctp, "
               "dccp } counter"},
              {.netns = t.dut_ns});
  const std::string policy = chain + " policy";
  auto expected_key = [&](const Classification& c, const std::vector<std::uint8_t>&) {
    return c.rule == XB_RULE_DEFAULT ? policy : imported.origins.at(c.rule);
  };
  auto counters = [&] {
    std::uint64_t decided_count = 0;
    auto counts = deciding_counters(
        checked_run({"nft", "-j", "list", "table", family, table_name}, {.netns = t.dut_ns}), &decided_count);
    counts[policy] =
        counted_at_hook(checked_run({"nft", "-j", "list", "table", "inet", "xb_seen"}, {.netns = t.dut_ns})) -
        decided_count;
    return counts;
  };
  expect_round_trip_equal(what, decided.rules.size(), keys, t, frames, table, expected_key, counters);
}

// fib saddr/daddr type, decided from the DUT's local routing table when
// the rules are compiled for it: every packet's verdict and deciding rule
// the same as nftables' at prerouting, for sources and destinations of
// every type (address_type_corpus), in an inet table (IPv6's types as the
// route lookup tells them). Multicast is asked of UDP only: the peer's own
// MLD reports come in while it runs.
TEST(NftFibType, SameVerdictAndSameRuleAsTheKernel) {
  if (!have_program("nft")) GTEST_SKIP() << "nft is not installed";
  VethTopology t;
  give_every_address_type(t);
  expect_same_as_nftables(
      "fib type", t, "inet", "types",
      {"fib daddr type broadcast counter accept", "meta l4proto udp fib saddr type local counter drop",
       "ip daddr 198.51.100.0/24 fib daddr type local counter drop",
       "meta l4proto udp fib daddr type { local, multicast } counter accept",
       "meta l4proto tcp fib daddr type != local counter drop",
       "ip saddr 0.0.0.0/0 fib saddr type != unicast counter accept",
       "ip6 saddr 2001:db8:7::/48 fib saddr type local counter accept"},
      address_type_corpus(), 8, [&](const RuleSet& rules) { return with_dut_address_types(t, rules); });
}

// sctp, dccp and udplite ports as nftables reads them (from any header
// that holds them: no drop on the spot): every packet's verdict and
// deciding rule the same as nftables' at prerouting (port_protocol_corpus),
// whole headers and headers cut short with their ports. Left out, the two
// differences docs/rules.md names: nftables reads a source port from a
// header of 2 or 3 bytes, and (before defragmentation) a later fragment's
// first bytes as the transport header.
TEST(NftPortProtocols, SameVerdictAndSameRuleAsTheKernel) {
  if (!have_program("nft")) GTEST_SKIP() << "nft is not installed";
  VethTopology t;
  auto frames = port_protocol_corpus();
  std::erase_if(frames, [](const std::vector<std::uint8_t>& f) {
    const bool v4 = f[12] == 0x08;
    const unsigned l4_bytes = v4 ? (f[16] << 8 | f[17]) - 20u : f[18] << 8 | f[19];
    const bool later_fragment = v4 && ((f[20] & 0x1f) || f[21]);
    return later_fragment || l4_bytes < 4;
  });
  expect_same_as_nftables(
      "nft SCTP/DCCP/UDP-Lite", t, "inet", "ports",
      {"sctp dport 80 counter drop", "dccp sport 1000-2000 counter accept", "sctp dport { 5000, 6000 } counter drop",
       "udplite sport 53 counter accept", "dccp dport != 53 counter drop"},
      frames, 6);
}

// rt type 0 / != 0: the first routing header's type, as nft_exthdr finds
// it; every packet's verdict and deciding rule the same as nftables'.
TEST(NftRoutingHeader, SameVerdictAndSameRuleAsTheKernel) {
  if (!have_program("nft")) GTEST_SKIP() << "nft is not installed";
  VethTopology t;
  expect_same_as_nftables("nft rt", t, "ip6", "routing",
                          {"meta l4proto udp rt type 0 counter drop", "rt type != 0 counter accept",
                           "meta l4proto tcp rt type 0 counter accept"},
                          routing_header_corpus(), 4);
}

}  // namespace
}  // namespace xb::testing
