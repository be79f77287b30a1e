// The independent oracle on hand-written rule sets, where the right answer
// is plain, and its header generators: the trace reader and the boundary
// tuples. The oracle is only worth comparing classifiers with if it is
// itself right.
#include "oracle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <set>

#include "classbench_rules.hpp"
#include "oracle_headers.hpp"
#include "rule_set.hpp"

namespace xb::fixtures {
namespace {

const std::string kData = XB_TEST_DATA "/classbench/";

OracleHeaders headers(const std::string& src, const std::string& dst, std::uint8_t proto, std::uint16_t sport = 0,
                      std::uint16_t dport = 0) {
  OracleHeaders h;
  h.family = src.find(':') == std::string::npos ? Family::V4 : Family::V6;
  h.src = address(src);
  h.dst = address(dst);
  h.proto = proto;
  h.has_ports = carries_ports(proto);
  h.has_icmp = carries_icmp(h.family, proto);
  h.sport = sport;
  h.dport = dport;
  return h;
}

std::uint32_t rule_of(const RuleSet& rules, const OracleHeaders& h) { return oracle_classify(rules, h).rule; }

TEST(Oracle, FirstMatchWins) {
  const RuleSet rules = parse_rules(R"(
[defaults]
action = "drop"
[[rule]]
action = "pass"
dst = "10.1.0.0/16"
[[rule]]
action = "drop"
dst = "10.0.0.0/8"
[[rule]]
action = "pass"
dst = "10.1.2.3"
)",
                                    "r.toml");
  EXPECT_EQ(oracle_classify(rules, headers("1.1.1.1", "10.1.2.3", XB_IPPROTO_UDP)), (OracleVerdict{0, Action::Pass}));
  EXPECT_EQ(oracle_classify(rules, headers("1.1.1.1", "10.2.0.0", XB_IPPROTO_UDP)), (OracleVerdict{1, Action::Drop}));
  EXPECT_EQ(oracle_classify(rules, headers("1.1.1.1", "11.0.0.0", XB_IPPROTO_UDP)),
            (OracleVerdict{XB_RULE_DEFAULT, Action::Drop}));
  // prefix edges
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "10.1.255.255", XB_IPPROTO_TCP)), 0u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "10.2.0.0", XB_IPPROTO_TCP)), 1u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "9.255.255.255", XB_IPPROTO_TCP)), XB_RULE_DEFAULT);
}

TEST(Oracle, PortsMatchOnlyPacketsWithPorts) {
  // ClassBench can put ports on any protocol; to the filter they need a TCP
  // or UDP header, so an ICMP rule with ports never matches
  const RuleSet rules = parse_classbench(
      "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 0\t0x01/0xFF\t0x0000/0x0000\n"
      "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x00/0x00\t0x0000/0x0000\n"
      "@0.0.0.0/0\t0.0.0.0/0\t1000 : 2000\t0 : 65535\t0x11/0xFF\t0x0000/0x0000\n",
      "cb.txt", Action::Drop);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_ICMP, 0, 0)), XB_RULE_DEFAULT);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 5, 80)), 1u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_UDP, 5, 80)), 1u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", 47, 5, 80)), XB_RULE_DEFAULT);  // GRE
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_UDP, 999, 81)), XB_RULE_DEFAULT);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_UDP, 1000, 81)), 2u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_UDP, 2000, 81)), 2u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_UDP, 2001, 81)), XB_RULE_DEFAULT);
  // a later fragment has no ports
  OracleHeaders frag = headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 5, 80);
  frag.has_ports = false;
  EXPECT_EQ(rule_of(rules, frag), XB_RULE_DEFAULT);
}

TEST(Oracle, PortListsAreAnyOfTheirRanges) {
  const RuleSet rules = parse_rules("[[rule]]\naction = \"drop\"\ndport = [22, \"8000-8080\"]\n", "r.toml");
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 1, 22)), 0u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 1, 8080)), 0u);
  EXPECT_EQ(rule_of(rules, headers("2001:db8::1", "2001:db8::2", XB_IPPROTO_UDP, 1, 8000)), 0u);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 1, 23)), XB_RULE_DEFAULT);
  EXPECT_EQ(rule_of(rules, headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 1, 7999)), XB_RULE_DEFAULT);
}

TEST(Oracle, TcpFlagsAndIcmpFields) {
  const RuleSet rules = parse_rules(R"(
[[rule]]
action = "drop"
proto = "tcp"
tcp-flags = "syn,!ack"
[[rule]]
action = "drop"
proto = "icmp"
icmp-type = 8
icmp-code = 0
[[rule]]
action = "drop"
proto = "icmpv6"
icmp-type = 128
)",
                                    "r.toml");
  OracleHeaders syn = headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 1, 2);
  syn.tcp_flags = kSyn;
  EXPECT_EQ(rule_of(rules, syn), 0u);
  syn.tcp_flags = kSyn | kAck;
  EXPECT_EQ(rule_of(rules, syn), XB_RULE_DEFAULT);
  syn.tcp_flags = kSyn;
  syn.has_ports = false;  // a later fragment: no TCP header, no flags
  EXPECT_EQ(rule_of(rules, syn), XB_RULE_DEFAULT);

  OracleHeaders ping = headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_ICMP);
  ping.icmp_type = 8;
  EXPECT_EQ(rule_of(rules, ping), 1u);
  ping.icmp_code = 1;
  EXPECT_EQ(rule_of(rules, ping), XB_RULE_DEFAULT);
  ping.icmp_code = 0;
  ping.has_icmp = false;
  EXPECT_EQ(rule_of(rules, ping), XB_RULE_DEFAULT);

  OracleHeaders ping6 = headers("2001:db8::1", "2001:db8::2", XB_IPPROTO_ICMPV6);
  ping6.icmp_type = 128;
  EXPECT_EQ(rule_of(rules, ping6), 2u);
  // ICMP (v4) in IPv6 has no ICMP header to the filter
  OracleHeaders v4_icmp_in_v6 = headers("2001:db8::1", "2001:db8::2", XB_IPPROTO_ICMP);
  EXPECT_FALSE(v4_icmp_in_v6.has_icmp);
  v4_icmp_in_v6.icmp_type = 8;
  EXPECT_EQ(rule_of(rules, v4_icmp_in_v6), XB_RULE_DEFAULT);
}

TEST(Oracle, Families) {
  const RuleSet rules = parse_rules(R"(
[[rule]]
action = "drop"
src = "10.0.0.0/8"
[[rule]]
action = "drop"
src = "2001:db8::/32"
[[rule]]
action = "pass"
proto = "udp"
)",
                                    "r.toml");
  EXPECT_EQ(rule_of(rules, headers("10.9.9.9", "1.1.1.1", XB_IPPROTO_UDP)), 0u);
  EXPECT_EQ(rule_of(rules, headers("2001:db8::9", "::1", XB_IPPROTO_UDP)), 1u);
  // an IPv6 address whose first bytes look like 10/8 is not in an IPv4 prefix
  EXPECT_EQ(rule_of(rules, headers("a00::1", "::1", XB_IPPROTO_UDP)), 2u);
  EXPECT_EQ(rule_of(rules, headers("a00::1", "::1", XB_IPPROTO_TCP)), XB_RULE_DEFAULT);
  EXPECT_EQ(rule_of(rules, headers("11.0.0.0", "1.1.1.1", XB_IPPROTO_UDP)), 2u);
}

TEST(Oracle, PacketSpecRebuildsTheHeaders) {
  OracleHeaders h = headers("1.1.1.1", "2.2.2.2", XB_IPPROTO_TCP, 5, 80);
  h.tcp_flags = kSyn;
  PacketSpec s = packet_spec(h);
  EXPECT_EQ(s.family, Family::V4);
  EXPECT_EQ(s.proto, XB_IPPROTO_TCP);
  EXPECT_EQ(s.sport, 5);
  EXPECT_EQ(s.dport, 80);
  EXPECT_EQ(s.tcp_flags, kSyn);
  EXPECT_EQ(s.fragment, Fragment::None);
  h.has_ports = false;
  EXPECT_EQ(packet_spec(h).fragment, Fragment::Later);
  OracleHeaders bad = headers("1.1.1.1", "2.2.2.2", 47);
  bad.has_ports = true;
  EXPECT_THROW(packet_spec(bad), std::invalid_argument);
  EXPECT_FALSE(build_frame(packet_spec(headers("2001:db8::1", "::2", XB_IPPROTO_ICMPV6))).empty());
}

TEST(Oracle, ReadsClassBenchTraces) {
  std::vector<std::uint32_t> generated_from;
  const auto trace = read_classbench_trace(kData + "fw1_1k_trace", &generated_from);
  ASSERT_EQ(trace.size(), 7610u);
  ASSERT_EQ(generated_from.size(), trace.size());
  // 0	4114795065	0	123	6	33559040	238
  EXPECT_EQ(trace[0].src, address("0.0.0.0"));
  EXPECT_EQ(trace[0].dst, address("245.66.202.57"));
  EXPECT_EQ(trace[0].sport, 0);
  EXPECT_EQ(trace[0].dport, 123);
  EXPECT_EQ(trace[0].proto, XB_IPPROTO_TCP);
  EXPECT_TRUE(trace[0].has_ports);
  EXPECT_EQ(generated_from[0], 238u);  // fw1_1k:239, the first rule with dport 123
}

// Every trace tuple was generated from a rule it matches, so its first match
// can come no later than that rule: a check of parser and oracle together,
// against ClassBench's own generator.
TEST(Oracle, TraceTuplesMatchNoLaterThanTheirRule) {
  for (const char* set : {"acl1_1k", "fw1_1k", "ipc1_1k", "fw1_10k", "ipc1_10k"}) {
    SCOPED_TRACE(set);
    const RuleSet rules = load_classbench_file(kData + set, Action::Drop);
    const Oracle oracle(rules);
    std::vector<std::uint32_t> generated_from;
    const auto trace = read_classbench_trace(kData + set + "_trace", &generated_from);
    std::size_t later = 0, matched = 0, at_rule = 0;
    for (std::size_t i = 0; i < trace.size(); ++i) {
      const auto v = oracle.classify(trace[i]);
      matched += v.rule != XB_RULE_DEFAULT;
      at_rule += v.rule == generated_from[i];
      if (v.rule > generated_from[i] && later++ < 5)
        ADD_FAILURE() << "trace line " << i + 1 << ": first match " << v.rule << ", generated from rule index "
                      << generated_from[i];
    }
    EXPECT_EQ(later, 0u);
    EXPECT_EQ(matched, trace.size());
    // RULE is 0-based: most tuples first match the rule they came from
    EXPECT_GT(at_rule, trace.size() / 2);
  }
}

TEST(Oracle, BoundaryHeadersReachEveryEdge) {
  const RuleSet rules = parse_rules(R"(
[[rule]]
action = "drop"
src = "10.0.0.0/8"
proto = "udp"
dport = "1000-2000"
)",
                                    "r.toml");
  const auto hs = boundary_headers(rules, 20000, 7);
  ASSERT_EQ(hs.size(), 20000u);
  std::set<std::array<std::uint8_t, 16>> srcs;
  std::set<std::uint16_t> dports;
  std::set<std::uint8_t> protos;
  for (const auto& h : hs) {
    EXPECT_EQ(h.family, Family::V4);  // no IPv6 rule
    srcs.insert(h.src);
    if (h.proto == XB_IPPROTO_UDP) dports.insert(h.dport);
    protos.insert(h.proto);
    EXPECT_NO_THROW(packet_spec(h));
  }
  for (const char* a : {"10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"})
    EXPECT_TRUE(srcs.count(address(a))) << a;
  for (std::uint16_t p : std::initializer_list<std::uint16_t>{999, 1000, 2000, 2001}) EXPECT_TRUE(dports.count(p)) << p;
  for (std::uint8_t p : std::initializer_list<std::uint8_t>{XB_IPPROTO_TCP, XB_IPPROTO_UDP, XB_IPPROTO_ICMP})
    EXPECT_TRUE(protos.count(p)) << int(p);
  const Oracle oracle(rules);
  const auto hits = std::count_if(hs.begin(), hs.end(), [&](const auto& h) { return oracle.classify(h).rule == 0; });
  EXPECT_GT(hits, 2000);   // aimed: a fair share hits
  EXPECT_LT(hits, 18000);  // and a fair share just misses

  // reproducible from the seed
  const auto again = boundary_headers(rules, 100, 7);
  for (std::size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].src, hs[i].src);
}

TEST(Oracle, BoundaryHeadersUseBothFamiliesWhenRulesDo) {
  const RuleSet rules = parse_rules(
      "[[rule]]\naction = \"drop\"\ndst = \"2001:db8::/64\"\n[[rule]]\naction = "
      "\"drop\"\ndst = \"10.0.0.0/8\"\n",
      "r.toml");
  const auto hs = boundary_headers(rules, 2000, 1);
  const auto v6 = std::count_if(hs.begin(), hs.end(), [](const auto& h) { return h.family == Family::V6; });
  EXPECT_GT(v6, 500);
  EXPECT_LT(v6, 1500);
  std::set<std::array<std::uint8_t, 16>> dsts;
  for (const auto& h : hs) dsts.insert(h.dst);
  for (const char* a :
       {"2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:0:1::"})
    EXPECT_TRUE(dsts.count(address(a))) << a;
}

}  // namespace
}  // namespace xb::fixtures
