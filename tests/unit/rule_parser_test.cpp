// Rule files: what parses, and that every error names file:line:column.
#include <gtest/gtest.h>

#include <cmath>

#include "address_type.hpp"
#include "errors.hpp"
#include "header_match.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "rule_set.hpp"
#include "synthetic_rules.hpp"

namespace xb {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_rules(text, "rules.toml");
  } catch (const RuleError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RuleParser, ReadsEveryField) {
  const RuleSet set = parse_rules(R"(
[defaults]
action = "drop"
non-ip = "drop"
malformed = "pass"

[[rule]]
name = "web"
action = "pass"
src = "198.18.0.0/15"
dst = "198.18.1.1"
proto = "tcp"
sport = "1024-65535"
dport = [80, "8000-8080"]
tcp-flags = "syn, !ack"
)",
                                  "r.toml");
  EXPECT_EQ(set.default_action, Action::Drop);
  EXPECT_EQ(set.non_ip_action, Action::Drop);
  EXPECT_EQ(set.malformed_action, Action::Pass);
  ASSERT_EQ(set.rules.size(), 1u);
  const Rule& r = set.rules[0];
  EXPECT_EQ(r.name, "web");
  EXPECT_EQ(r.action, Action::Pass);
  EXPECT_EQ(r.src->str(), "198.18.0.0/15");
  EXPECT_EQ(r.dst->str(), "198.18.1.1/32");
  EXPECT_EQ(*r.proto, XB_IPPROTO_TCP);
  ASSERT_EQ(r.dport.size(), 2u);
  EXPECT_EQ(r.dport[1].lo, 8000);
  EXPECT_EQ(r.dport[1].hi, 8080);
  EXPECT_EQ(r.tcp_flags->mask, 0x12);
  EXPECT_EQ(r.tcp_flags->value, 0x02);
  EXPECT_EQ(r.where.str(), "r.toml:7:1");
}

TEST(RuleParser, IcmpAndIpv6) {
  const RuleSet set = parse_rules(R"(
[[rule]]
action = "drop"
src = "2001:2::/48"
proto = "icmpv6"
icmp-type = 128
icmp-code = 0
)",
                                  "r.toml");
  EXPECT_EQ(set.rules[0].families(), std::vector<Family>{Family::V6});
  EXPECT_EQ(*set.rules[0].icmp_type, 128);
}

// Protocol names come from the system's database, as iptables takes them;
// the names rule files always took still work.
TEST(RuleParser, ProtocolNamesFromTheSystemDatabase) {
  const std::pair<const char*, int> cases[] = {
      {"\"tcp\"", 6},  {"\"UDP\"", 17}, {"\"icmp\"", 1}, {"\"icmpv6\"", 58}, {"\"ipv6-icmp\"", 58}, {"\"igmp\"", 2},
      {"\"gre\"", 47}, {"\"GRE\"", 47}, {"\"esp\"", 50}, {"\"sctp\"", 132},  {"\"47\"", 47},        {"132", 132}};
  for (const auto& [text, number] : cases) {
    const RuleSet set = parse_rules(std::string("[[rule]]\naction = \"drop\"\nproto = ") + text + "\n", "r.toml");
    ASSERT_EQ(set.rules.size(), 1u);
    EXPECT_EQ(set.rules[0].proto, number) << text;
  }
}

struct BadInput {
  const char* name;  // the case, as ctest names it
  const char* text;
  const char* message;  // the whole what(), location first
};

// gtest prints an unknown type as its bytes: ctest would name the cases by them
void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

class RuleParserErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(RuleParserErrors, NamesTheLocation) { EXPECT_EQ(error_of(GetParam().text), GetParam().message); }

INSTANTIATE_TEST_SUITE_P(
    BadFiles, RuleParserErrors,
    ::testing::Values(
        BadInput{"host_bits", "[[rule]]\naction = \"drop\"\ndst = \"10.0.0.1/8\"\n",
                 "rules.toml:3:7: 'dst' = \"10.0.0.1/8\" has host bits set: did you mean 10.0.0.0/8?"},
        BadInput{"unknown_action", "[[rule]]\naction = \"reject\"\n",
                 "rules.toml:2:10: 'action' = \"reject\": expected \"pass\" or \"drop\""},
        BadInput{"no_action", "[[rule]]\nname = \"x\"\n",
                 "rules.toml:1:1: [[rule]] has no 'action': expected action = \"pass\" or \"drop\""},
        BadInput{"port_out_of_range", "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ndport = 70000\n",
                 "rules.toml:4:9: 'dport': port 70000 is not 0 to 65535"},
        BadInput{"empty_range", "[[rule]]\naction = \"drop\"\nproto = \"udp\"\ndport = \"9-3\"\n",
                 "rules.toml:4:9: 'dport' = \"9-3\": range is empty (low > high)"},
        BadInput{"ports_without_tcp_udp", "[[rule]]\naction = \"drop\"\nproto = \"icmp\"\ndport = 3\n",
                 "rules.toml:4:9: ports need proto = \"tcp\", \"udp\", \"udplite\", \"sctp\" or \"dccp\" (or no proto: "
                 "TCP and UDP)"},
        BadInput{
            "unknown_key", "[[rule]]\naction = \"drop\"\nprot = \"tcp\"\n",
            "rules.toml:3:1: unknown key 'prot' in [[rule]]: expected one of name, action, src, dst, proto, "
            "sport, dport, tcp-flags, icmp-type, icmp-code, l4-header, ct-state, iif, oif, ttl, src-type, dst-type, "
            "rt-type"},
        BadInput{"mixed_families", "[[rule]]\naction = \"drop\"\nsrc = \"198.18.0.0/16\"\ndst = \"2001:2::/48\"\n",
                 "rules.toml:4:7: 'src' and 'dst' are of different address families"},
        BadInput{"proto_contradicts_family", "[[rule]]\naction = \"drop\"\nsrc = \"2001:2::/48\"\nproto = \"icmp\"\n",
                 "rules.toml:4:9: 'proto' contradicts the address family: icmp is IPv4, icmpv6 is IPv6"},
        BadInput{"unknown_tcp_flag", "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ntcp-flags = \"syn,fyn\"\n",
                 "rules.toml:4:13: 'tcp-flags': unknown flag 'fyn': expected fin, syn, rst, psh, ack, urg, ece, cwr, "
                 "each optionally prefixed by '!'"},
        BadInput{"icmp_without_proto", "[[rule]]\naction = \"drop\"\nicmp-type = 8\n",
                 "rules.toml:3:13: 'icmp-type'/'icmp-code' need proto = \"icmp\" or \"icmpv6\""},
        BadInput{"prefix_too_long", "[[rule]]\naction = \"drop\"\ndst = \"198.18.0.0/33\"\n",
                 "rules.toml:3:7: 'dst' = \"198.18.0.0/33\": prefix length must be 0 to 32"},
        BadInput{"unknown_defaults_key", "[defaults]\naction = \"pass\"\nlog = true\n",
                 "rules.toml:3:1: unknown key 'log' in [defaults]: expected action, non-ip, malformed or short-header"},
        BadInput{"unknown_short_header", "[defaults]\nshort-header = \"drop\"\n",
                 "rules.toml:2:16: 'short-header' = \"drop\": expected \"malformed\" or \"rules\""},
        BadInput{"unknown_l4_header", "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\nl4-header = \"cut\"\n",
                 "rules.toml:4:13: 'l4-header' = \"cut\": expected \"whole\", \"ports\", \"short\" or \"tiny\""},
        BadInput{"short_header_without_protocol", "[[rule]]\naction = \"drop\"\nl4-header = \"short\"\n",
                 "rules.toml:3:13: 'l4-header' = \"short\" needs proto = \"tcp\", \"udp\", \"icmp\" or \"icmpv6\""},
        BadInput{"tiny_header_with_ports",
                 "[[rule]]\naction = \"drop\"\nproto = \"udp\"\ndport = 53\nl4-header = \"tiny\"\n",
                 "rules.toml:5:13: 'l4-header' = \"tiny\": a header under 4 bytes has no ports or flags to match"},
        BadInput{"ports_header_without_ports", "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\nl4-header = \"ports\"\n",
                 "rules.toml:4:13: 'l4-header' = \"ports\" needs 'sport' or 'dport'"},
        BadInput{"missing_value", "[[rule]]\naction = \"drop\"\ndst = \n",
                 "rules.toml:3:7: Error while parsing key-value pair: expected value, saw '\\n'"},
        BadInput{"unknown_protocol_name", "[[rule]]\naction = \"drop\"\nproto = \"tcpp\"\n",
                 "rules.toml:3:9: 'proto' = \"tcpp\": expected a protocol name from /etc/protocols (tcp, udp, icmp, "
                 "icmpv6, gre, esp, sctp, ...) or a number 0-255"},
        BadInput{"protocol_number_too_big", "[[rule]]\naction = \"drop\"\nproto = \"256\"\n",
                 "rules.toml:3:9: 'proto' = \"256\": expected a protocol name from /etc/protocols (tcp, udp, icmp, "
                 "icmpv6, gre, esp, sctp, ...) or a number 0-255"},
        BadInput{"unknown_table", "[rules]\n", "rules.toml:1:2: unknown key 'rules': expected [defaults] or [[rule]]"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(RuleParser, MissingFileNamesThePath) {
  try {
    load_rule_file("/nonexistent/rules.toml");
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/rules.toml: cannot open rule file: No such file or directory");
  }
}

TEST(RuleParser, DefaultRuleSetIsAboutAThousandRules) {
  const RuleSet set = default_rule_set();
  EXPECT_EQ(set.rules.size(), 1000u);
  EXPECT_EQ(set.source, "<default rules>");
}

TEST(RuleParser, WrittenRuleSetsReadBackTheSame) {
  const RuleSet a = synthetic_rules({.count = 300, .seed = 7});
  const RuleSet b = parse_rules(to_toml(a), "roundtrip.toml");
  EXPECT_EQ(to_toml(a), to_toml(b));
}

// What the iptables importer writes for its hotdrop rules reads back the same.
TEST(RuleParser, HeadersCutShort) {
  const RuleSet set = parse_rules(
      "[defaults]\nshort-header = \"rules\"\n"
      "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\nl4-header = \"short\"\n"
      "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ndport = 80\nl4-header = \"short\"\n"
      "[[rule]]\naction = \"drop\"\nproto = \"udp\"\nl4-header = \"tiny\"\n"
      "[[rule]]\naction = \"pass\"\nproto = \"udp\"\ndport = [161, 162]\nl4-header = \"ports\"\n"
      "[[rule]]\naction = \"pass\"\nproto = \"udp\"\ndport = 53\nl4-header = \"whole\"\n",
      "cut.toml");
  EXPECT_TRUE(set.short_header_rules);
  ASSERT_EQ(set.rules.size(), 5u);
  EXPECT_EQ(set.rules[0].l4_header, L4Header::Short);
  EXPECT_EQ(set.rules[1].l4_header, L4Header::Short);
  EXPECT_EQ(set.rules[2].l4_header, L4Header::Tiny);
  EXPECT_EQ(set.rules[3].l4_header, L4Header::Ports);
  EXPECT_EQ(set.rules[4].l4_header, L4Header::Whole);
  EXPECT_FALSE(parse_rules("[[rule]]\naction = \"drop\"\n", "plain.toml").short_header_rules);
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
}

// ct-state: one state or a list, any case; written back as read; what is
// not a state is refused at its place.
TEST(RuleParser, ConnectionStates) {
  const RuleSet set = parse_rules(
      "[[rule]]\naction = \"pass\"\nct-state = [\"established\", \"RELATED\"]\n"
      "[[rule]]\naction = \"drop\"\nct-state = \"invalid\"\n"
      "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\n",
      "ct.toml");
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.rules[0].ct_states, XB_CT_ESTABLISHED | XB_CT_RELATED);
  EXPECT_EQ(set.rules[1].ct_states, XB_CT_INVALID);
  EXPECT_EQ(set.rules[2].ct_states, 0);
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
  EXPECT_TRUE(CompiledRuleSet(set).needs_conntrack());
  EXPECT_FALSE(CompiledRuleSet(default_rule_set()).needs_conntrack());
  EXPECT_EQ(
      error_of("[[rule]]\naction = \"pass\"\nct-state = [\"established\", \"open\"]\n"),
      "rules.toml:3:28: 'ct-state': unknown state \"open\": expected new, established, related, invalid or untracked");
  EXPECT_EQ(error_of("[[rule]]\naction = \"pass\"\nct-state = []\n"),
            "rules.toml:3:12: 'ct-state' is an empty list: a rule on no state matches nothing");
}

// iif/oif: a name, a prefix (eth+), '!', or a list that must all hold;
// decided for where the filter sits: a rule whose match fails never
// matches, one naming an interface the hook does not know is refused.
TEST(RuleParser, Interfaces) {
  const RuleSet set = parse_rules(
      "[[rule]]\nname = \"lo\"\naction = \"pass\"\niif = \"lo\"\n"
      "[[rule]]\nname = \"eth\"\naction = \"drop\"\niif = [\"eth+\", \"!eth1\"]\nproto = \"udp\"\n"
      "[[rule]]\nname = \"out\"\naction = \"drop\"\noif = \"wan0\"\n",
      "if.toml");
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.rules[1].iif.size(), 2u);
  EXPECT_TRUE(set.rules[1].iif[0].prefix);
  EXPECT_TRUE(set.rules[1].iif[1].negated);
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
  EXPECT_EQ(error_of("[[rule]]\naction = \"pass\"\niif = \"a very long interface name\"\n"),
            "rules.toml:3:7: 'iif' = \"a very long interface name\": expected an interface name (up to 15 characters), "
            "a prefix such as \"eth+\", or either after '!'");

  RuleSet ingress_only = set;
  ingress_only.rules.pop_back();
  const RuleSet on_eth0 = decide_interfaces(ingress_only, {"eth0", std::nullopt}, "xdp-native ingress on eth0");
  EXPECT_TRUE(on_eth0.rules[0].never_matches);  // not lo
  EXPECT_FALSE(on_eth0.rules[1].never_matches);
  EXPECT_TRUE(on_eth0.rules[1].iif.empty());
  EXPECT_TRUE(decide_interfaces(ingress_only, {"eth1", std::nullopt}, "h").rules[1].never_matches);
  EXPECT_TRUE(decide_interfaces(ingress_only, {"lo", std::nullopt}, "h").rules[1].never_matches);
  // undecided, a rule naming an interface matches nothing; decided, its box
  const auto frame = fixtures::build_frame(fixtures::udp("192.0.2.1", "198.51.100.1", 1, 2));
  EXPECT_EQ(classify(compile_rules(ingress_only), frame).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(classify(compile_rules(on_eth0), frame).rule, 1u);
  try {
    decide_interfaces(set, {"eth0", std::nullopt}, "xdp-native ingress on eth0");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "xdp-native ingress on eth0 does not know a packet's output interface (routing picks it after the "
                 "hook): rule 'out' at if.toml:10:1 names oif = \"wan0\"");
  }
}

// src-type/dst-type: one type, a list (any of them) or "!TYPE"; decided
// from a local table into the prefixes of those types, the kernel's way:
// 0.0.0.0 and 255.255.255.255 broadcast, 224/4 multicast, else the longest
// local route's type, else unicast.
TEST(RuleParser, AddressTypes) {
  const RuleSet set = parse_rules(
      "[[rule]]\nname = \"mine\"\naction = \"pass\"\ndst-type = \"LOCAL\"\n"
      "[[rule]]\nname = \"bcast\"\naction = \"drop\"\ndst-type = [\"broadcast\", \"multicast\"]\n"
      "[[rule]]\nname = \"spoofed\"\naction = \"drop\"\nsrc-type = \"!unicast\"\nsrc = \"0.0.0.0/0\"\n",
      "types.toml");
  EXPECT_EQ(set.rules[0].dst_types, *address_type_bit("local"));
  EXPECT_EQ(address_types_text(set.rules[1].dst_types), "broadcast,multicast");
  EXPECT_EQ(set.rules[2].src_types, kAllAddressTypes & ~*address_type_bit("unicast"));
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
  EXPECT_NE(to_toml(set).find("src-type = \"!unicast\""), std::string::npos);
  EXPECT_EQ(error_of("[[rule]]\naction = \"pass\"\ndst-type = [\"local\", \"!broadcast\"]\n"),
            "rules.toml:3:22: 'dst-type': unknown address type \"!broadcast\": expected one of unspec,unicast,local,"
            "broadcast,anycast,multicast,blackhole,unreachable,prohibit,throw,nat,xresolve");

  const auto route = [](const char* prefix, std::uint8_t type) {
    return LocalRoute{
        *parse_prefix(std::string(prefix).find(':') == std::string::npos ? Family::V4 : Family::V6, prefix), type};
  };
  // a namespace with 198.18.0.2/24 and 2001:2::2/64, and an AnyIP /25
  const std::vector<LocalRoute> table = {route("127.0.0.0/8", 2), route("127.0.0.1", 2),    route("127.255.255.255", 3),
                                         route("198.18.0.2", 2),  route("198.18.0.255", 3), route("198.51.100.0/25", 2),
                                         route("::1", 2),         route("2001:2::2", 2),    route("ff00::/8", 5)};
  const auto texts = [](const std::vector<Prefix>& prefixes) {
    std::string s;
    for (const auto& p : prefixes) s += p.str() + " ";
    return s;
  };
  // 127.0.0.0/8 less its broadcast address: 24 prefixes
  const auto local = prefixes_of_types(Family::V4, table, *address_type_bit("local"));
  ASSERT_EQ(local.size(), 26u);
  EXPECT_EQ(local.front().str(), "127.0.0.0/9");
  EXPECT_EQ(texts({local.end() - 3, local.end()}), "127.255.255.254/32 198.18.0.2/32 198.51.100.0/25 ");
  EXPECT_EQ(texts(prefixes_of_types(Family::V4, table, *address_type_bit("broadcast"))),
            "0.0.0.0/32 127.255.255.255/32 198.18.0.255/32 255.255.255.255/32 ");
  EXPECT_EQ(texts(prefixes_of_types(Family::V4, table, *address_type_bit("multicast"))), "224.0.0.0/4 ");
  EXPECT_EQ(texts(prefixes_of_types(Family::V6, table, *address_type_bit("local"))), "::1/128 2001:2::2/128 ");
  EXPECT_EQ(texts(prefixes_of_types(Family::V6, table, *address_type_bit("multicast"))), "ff00::/8 ");
  // the types partition the space: unicast is all the rest
  const auto unicast = prefixes_of_types(Family::V4, table, *address_type_bit("unicast"));
  const auto others = prefixes_of_types(Family::V4, table, kAllAddressTypes & ~*address_type_bit("unicast"));
  long double covered = 0;
  for (const auto* list : {&unicast, &others})
    for (const auto& p : *list) covered += std::pow(2.0L, 32 - p.len);
  EXPECT_EQ(covered, std::pow(2.0L, 32));

  // undecided, a rule on address types matches nothing; decided, the prefixes
  const RuleSet decided = decide_address_types(set, table);
  const auto to = [](const char* dst) { return fixtures::build_frame(fixtures::udp("192.0.2.1", dst, 1, 2)); };
  EXPECT_EQ(classify(compile_rules(set), to("198.18.0.2")).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(classify(compile_rules(decided), to("198.18.0.2")).rule, 0u);
  EXPECT_EQ(classify(compile_rules(decided), to("198.51.100.77")).rule, 0u);
  EXPECT_EQ(classify(compile_rules(decided), to("198.18.0.255")).rule, 1u);
  EXPECT_EQ(classify(compile_rules(decided), to("239.1.1.1")).rule, 1u);
  EXPECT_EQ(classify(compile_rules(decided), to("198.18.0.3")).rule, XB_RULE_DEFAULT);
}

// Ports of UDP-Lite, SCTP and DCCP: read from a whole header (8, 12, 12
// bytes); one cut short is no malformed packet (rule sets that never named
// these protocols judged it by their rules, and still do), and matches a
// rule on ports only where it reads them from any header that holds them.
TEST(RuleParser, PortsOfSctpDccpAndUdpLite) {
  const RuleSet set = parse_rules(
      "[[rule]]\nname = \"sctp\"\naction = \"drop\"\nproto = \"sctp\"\ndport = 80\n"
      "[[rule]]\nname = \"dccp-any-header\"\naction = \"drop\"\nproto = \"dccp\"\ndport = 80\n"
      "l4-header = \"ports\"\n"
      "[[rule]]\nname = \"udplite\"\naction = \"drop\"\nproto = \"udplite\"\nsport = \"1-1023\"\n",
      "ports.toml");
  const CompiledTable t = compile_rules(set);
  const auto frame = [](std::uint8_t proto, std::uint16_t sport, std::uint16_t dport, int l4_bytes = -1) {
    fixtures::PacketSpec s = fixtures::udp("192.0.2.1", "198.51.100.1", sport, dport);
    s.proto = proto;
    s.l4_bytes = l4_bytes;
    return fixtures::build_frame(s);
  };
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_SCTP, 9, 80)).rule, 0u);
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_SCTP, 9, 81)).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_SCTP, 9, 80, 10)).rule, XB_RULE_DEFAULT);  // cut short: not whole
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_DCCP, 9, 80, 10)).rule, 1u);               // its ports are there
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_DCCP, 9, 80, 2)).rule, XB_RULE_DEFAULT);   // they are not
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_UDPLITE, 53, 9)).rule, 2u);
  EXPECT_EQ(classify(t, frame(XB_IPPROTO_UDPLITE, 2000, 9)).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\nproto = \"gre\"\ndport = 80\n"),
            "rules.toml:4:9: ports need proto = \"tcp\", \"udp\", \"udplite\", \"sctp\" or \"dccp\" (or no proto: "
            "TCP and UDP)");
}

// rt-type: IPv6's first routing header of type 0 ("!0": of another type);
// no routing header matches neither.
TEST(RuleParser, RoutingHeaderType) {
  const RuleSet set = parse_rules(
      "[[rule]]\nname = \"icmpv6\"\naction = \"pass\"\nproto = \"icmpv6\"\n"
      "[[rule]]\nname = \"rh0\"\naction = \"drop\"\nrt-type = 0\n"
      "[[rule]]\nname = \"other\"\naction = \"pass\"\nrt-type = \"!0\"\n",
      "rt.toml");
  EXPECT_EQ(set.rules[1].families(), std::vector<Family>{Family::V6});
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
  const CompiledTable t = compile_rules(set);
  const auto frame = [](std::vector<std::uint8_t> ext, std::uint8_t type) {
    fixtures::PacketSpec s = fixtures::udp("2001:db8::1", "2001:db8::2", 1, 2);
    s.ipv6_ext = std::move(ext);
    s.routing_type = type;
    return fixtures::build_frame(s);
  };
  EXPECT_EQ(classify(t, frame({XB_IPPROTO_ROUTING}, 0)).rule, 1u);
  EXPECT_EQ(classify(t, frame({XB_IPPROTO_HOPOPTS, XB_IPPROTO_ROUTING}, 0)).rule, 1u);
  EXPECT_EQ(classify(t, frame({XB_IPPROTO_ROUTING}, 4)).rule, 2u);
  EXPECT_EQ(classify(t, frame({}, 0)).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(classify(t, frame({XB_IPPROTO_DSTOPTS}, 0)).rule, XB_RULE_DEFAULT);
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\nrt-type = 2\n"),
            "rules.toml:3:11: 'rt-type' must be 0 (a routing header of type 0, the deprecated source route) or \"!0\" "
            "(one of another type); other types are not read");
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\nsrc = \"10.0.0.0/8\"\nrt-type = 0\n"),
            "rules.toml:4:11: 'rt-type' reads IPv6's routing header: the rule's addresses or protocol are IPv4");
}

TEST(RuleParser, Ttl) {
  const RuleSet set =
      parse_rules("[[rule]]\naction = \"drop\"\nttl = 1\n[[rule]]\naction = \"drop\"\nttl = \"2-63\"\n", "ttl.toml");
  EXPECT_EQ(set.rules[0].ttl, (TtlRange{1, 1}));
  EXPECT_EQ(set.rules[1].ttl, (TtlRange{2, 63}));
  EXPECT_EQ(to_toml(parse_rules(to_toml(set), "again.toml")), to_toml(set));
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\nttl = \"63-2\"\n"),
            "rules.toml:3:7: 'ttl' = \"63-2\": range is empty (low > high)");
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\nttl = 256\n"),
            "rules.toml:3:7: 'ttl' must be a TTL / hop limit 0-255 or a range such as \"1-63\"");
}

}  // namespace
}  // namespace xb
