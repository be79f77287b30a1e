// nftables rulesets imported from `nft -j list ruleset`: the shipped host
// firewall (its JSON as the kernel dumped it), each expression form judged
// by classifying packets with the reference model, and refusals naming
// file:line:column.
#include "nft_import.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "address_type.hpp"
#include "errors.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "rule_files.hpp"
#include "synthetic_rules.hpp"

namespace xb {
namespace {

using namespace fixtures;

std::string matched_in(const RuleSet& set, const CompiledTable& table, const PacketSpec& p) {
  const auto c = classify(table, build_frame(p));
  if (c.rule == XB_RULE_DEFAULT) return "default:" + action_name(set.default_action);
  return set.rules.at(c.rule).name + ":" + action_name(c.action);
}

std::string matched(const RuleSet& set, const PacketSpec& p) {
  return matched_in(set, compile_rules(set), p);
}

// A ruleset of one table with an input chain (policy drop) of these rules
// (each a JSON statement list), as nft -j writes it: on one line.
std::string ruleset(const std::vector<std::string>& rules, const std::string& family = "inet",
                    const std::string& extra = "") {
  std::string s = R"({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, )";
  s += R"({"table": {"family": ")" + family + R"(", "name": "t", "handle": 1}}, )";
  s +=
      R"({"chain": {"family": ")" + family +
      R"(", "table": "t", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}, )";
  s += extra;
  for (std::size_t i = 0; i < rules.size(); ++i)
    s += R"({"rule": {"family": ")" + family + R"(", "table": "t", "chain": "input", "handle": )" +
         std::to_string(10 + i) + R"(, "expr": )" + rules[i] + "}}" + (i + 1 < rules.size() ? ", " : "");
  if (rules.empty()) s.resize(s.size() - 2);  // no ", " before the end
  return s + "]}";
}

std::string error_of(const std::string& text) {
  try {
    import_nft(text, "r.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(NftImport, TheShippedHostFirewall) {
  std::ifstream in(std::string(XB_TEST_DATA) + "/import/host-firewall.nft.json");
  std::stringstream text;
  text << in.rdbuf();
  const ImportedRules r = import_nft(text.str(), "host-firewall.nft.json");
  EXPECT_TRUE(r.skipped.empty());
  const RuleSet& s = r.rules;
  EXPECT_EQ(s.default_action, Action::Drop);
  EXPECT_EQ(r.origins.size(), s.rules.size());
  const CompiledTable table = compile_rules(s);  // once: a compile is most of this test's time
  const auto matched = [&](const RuleSet& set, const PacketSpec& p) { return matched_in(set, table, p); };
  // a named interval set, with a range that becomes prefixes
  EXPECT_EQ(matched(s, udp("198.20.69.75", "192.0.2.1", 1, 53)), "input:h14:drop");
  EXPECT_EQ(matched(s, udp("198.20.69.81", "192.0.2.1", 1, 443)), "http3:pass");
  // a concatenation address . protocol . port
  EXPECT_EQ(matched(s, tcp("1.1.1.1", "192.0.2.13", 2000, 5432, kAck)), "published services:pass");
  EXPECT_EQ(matched(s, udp("1.1.1.1", "192.0.2.13", 2000, 5432)), "input:h58:drop");  // reject, read as drop
  // a user chain, and a goto whose chain ends where the jump to web would
  // have gone on (the input chain's rules after it)
  EXPECT_EQ(matched(s, tcp("10.66.1.1", "192.0.2.1", 2000, 80, kSyn)), "web:h95:drop");
  EXPECT_EQ(matched(s, tcp("11.0.0.1", "192.0.2.85", 2000, 80, kSyn)), "web_new:h101:pass");
  EXPECT_EQ(matched(s, tcp("11.0.0.1", "192.0.2.1", 2000, 80, kSyn)), "input:h57:drop");
  EXPECT_EQ(matched(s, tcp("2001:db8:1::1", "2001:db8::2", 2000, 80, kSyn)), "web_new:h103:pass");
  // TCP flag forms: null and xmas scans, flags & mask == value
  EXPECT_EQ(matched(s, tcp("11.0.0.1", "192.0.2.1", 2000, 80, 0)), "null scan:drop");
  EXPECT_EQ(matched(s, tcp("11.0.0.1", "192.0.2.1", 2000, 80, 0x3f)), "xmas scan:drop");
  EXPECT_EQ(matched(s, tcp("11.0.0.1", "192.0.2.1", 2000, 3000, kAck | kPsh)), "input:h53:pass");
  // ICMP types, and a code by name
  PacketSpec frag_needed = icmp("11.0.0.1", "192.0.2.1", 3);
  frag_needed.icmp_code = 4;
  EXPECT_EQ(matched(s, frag_needed), "path MTU:pass");
  EXPECT_EQ(matched(s, icmp("2001:db8:1::1", "2001:db8::2", 135)), "icmp6_in:h88:pass");
  EXPECT_EQ(matched(s, icmp("2001:db8:1::1", "2001:db8::2", 200)), "icmp6_in:h89:drop");
  // what the import writes reads back the same
  EXPECT_EQ(to_toml(parse_rules(to_toml(s), "back.toml")), to_toml(s));
}

struct Form {
  const char* expr;
  std::uint8_t flags;
  bool matches;
};

class NftTcpFlags : public ::testing::TestWithParam<Form> {};

// Every form nft 1.0.6 writes for tcp flags, checked on one packet each.
TEST_P(NftTcpFlags, MeanWhatNftablesMeans) {
  const auto r = import_nft(ruleset({GetParam().expr}), "r.json");
  const auto got = matched(r.rules, tcp("1.1.1.1", "2.2.2.2", 1000, 80, GetParam().flags));
  EXPECT_EQ(got, GetParam().matches ? "input:h10:pass" : "default:drop") << GetParam().expr;
}

#define FLAGS_LEFT R"({"payload": {"protocol": "tcp", "field": "flags"}})"
#define RULE(OP, LEFT, RIGHT) \
  R"([{"match": {"op": ")" OP R"(", "left": )" LEFT R"(, "right": )" RIGHT R"(}}, {"accept": null}])"
#define MASKED R"({"&": [)" FLAGS_LEFT R"(, ["fin", "syn", "rst", "ack"]]})"

INSTANTIATE_TEST_SUITE_P(
    Forms, NftTcpFlags,
    ::testing::Values(Form{RULE("in", FLAGS_LEFT, R"("syn")"), kSyn | kAck, true},          // tcp flags syn
                      Form{RULE("in", FLAGS_LEFT, R"("syn")"), kAck, false},                //
                      Form{RULE("==", FLAGS_LEFT, R"("syn")"), kSyn | kAck, false},         // tcp flags == syn
                      Form{RULE("==", FLAGS_LEFT, R"("syn")"), kSyn, true},                 //
                      Form{RULE("!=", FLAGS_LEFT, R"("syn")"), kSyn | kAck, true},          // tcp flags != syn
                      Form{RULE("!=", FLAGS_LEFT, R"("syn")"), kSyn, false},                //
                      Form{RULE("!", FLAGS_LEFT, R"(["syn", "ack"])"), kFin | kPsh, true},  // & (syn|ack) == 0
                      Form{RULE("!", FLAGS_LEFT, R"(["syn", "ack"])"), kAck, false},        //
                      Form{RULE("==", MASKED, R"("syn")"), kSyn | kPsh, true},              // & (...) == syn
                      Form{RULE("==", MASKED, R"("syn")"), kSyn | kAck, false},             //
                      Form{RULE("!=", MASKED, R"("syn")"), kSyn | kAck, true},              // & (...) != syn
                      Form{RULE("!=", MASKED, R"("syn")"), kSyn | kPsh, false},             //
                      Form{RULE("==", FLAGS_LEFT, R"({"set": ["syn", {"|": ["fin", "psh"]}]})"), kFin | kPsh, true},
                      Form{RULE("==", FLAGS_LEFT, R"({"set": ["syn", {"|": ["fin", "psh"]}]})"), kFin, false}));

TEST(NftImport, PortComparisonsAndNegations) {
  const auto r = import_nft(ruleset({RULE("<", R"({"payload": {"protocol": "tcp", "field": "dport"}})", "1024"),
                                     RULE("!=", R"({"payload": {"protocol": "ip", "field": "saddr"}})",
                                          R"({"prefix": {"addr": "10.0.0.0", "len": 8}})")}),
                            "r.json");
  EXPECT_EQ(matched(r.rules, tcp("10.0.0.1", "2.2.2.2", 1000, 1023, kAck)), "input:h10:pass");
  EXPECT_EQ(matched(r.rules, tcp("10.0.0.1", "2.2.2.2", 1000, 1024, kAck)), "default:drop");
  EXPECT_EQ(matched(r.rules, udp("11.0.0.1", "2.2.2.2", 1000, 1024)), "input:h11:pass");
  EXPECT_EQ(matched(r.rules, udp("2001:db8::1", "2001:db8::2", 1000, 1024)), "default:drop");
}

TEST(NftImport, OneFamilyTablePassesTheOther) {
  const auto r = import_nft(ruleset({RULE("==", R"({"meta": {"key": "l4proto"}})", R"("gre")")}, "ip"), "r.json");
  EXPECT_EQ(matched(r.rules, udp("2001:db8::1", "2001:db8::2", 1, 2)), "IPv6:not-in-table:pass");
  EXPECT_EQ(matched(r.rules, udp("10.0.0.1", "10.0.0.2", 1, 2)), "default:drop");
}

// nft adds `meta nfproto ipv4` to `reject with icmp ...` in an inet table
// (netdev: `meta protocol ip`) and IPv6 to icmpv6, and does not write the
// dependency back: the rule rejects that family only. icmpx and tcp reset
// take both.
TEST(NftImport, OneFamilyRejectKeepsToItsFamily) {
  for (const std::string family : {"inet", "netdev"}) {
    const auto r = import_nft(
        ruleset(
            {R"([{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 53}},
                   {"reject": {"type": "icmp", "expr": "port-unreachable"}}])",
             R"([{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 53}},
                   {"reject": {"type": "icmpv6", "expr": "admin-prohibited"}}])",
             R"([{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 54}},
                   {"reject": {"type": "icmpx", "expr": "port-unreachable"}}])",
             R"([{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "udp"}}, {"accept": null}])"},
            family),
        "r.json");
    SCOPED_TRACE(family);
    EXPECT_EQ(matched(r.rules, udp("10.0.0.1", "10.0.0.2", 1, 53)), "input:h10:drop");
    EXPECT_EQ(matched(r.rules, udp("2001:db8::1", "2001:db8::2", 1, 53)), "input:h11:drop");
    EXPECT_EQ(matched(r.rules, udp("10.0.0.1", "10.0.0.2", 1, 54)), "input:h12:drop");
    EXPECT_EQ(matched(r.rules, udp("2001:db8::1", "2001:db8::2", 1, 54)), "input:h12:drop");
    EXPECT_EQ(r.rules.rules.size(), 6u);  // one family each for the first two, both for the rest
  }
  // a reject of one family alone: the other family goes on to the next rule
  const auto r = import_nft(
      ruleset({R"([{"reject": {"type": "icmp", "expr": "host-unreachable"}}])",
               R"([{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "udp"}}, {"accept": null}])"}),
      "r.json");
  EXPECT_EQ(matched(r.rules, udp("10.0.0.1", "10.0.0.2", 1, 53)), "input:h10:drop");
  EXPECT_EQ(matched(r.rules, udp("2001:db8::1", "2001:db8::2", 1, 53)), "input:h11:pass");
}

// In an ip table an icmpv6 match can only meet IPv4 packets carrying
// protocol 58: noted as in an inet table.
TEST(NftImport, IcmpOfTheOtherFamilyIsNotedInOneFamilyTables) {
  const auto r = import_nft(
      ruleset({RULE("==", R"({"payload": {"protocol": "icmpv6", "field": "type"}})", R"("echo-request")")}, "ip"),
      "r.json");
  ASSERT_EQ(r.notes.size(), 3u);
  EXPECT_EQ(r.notes[0],
            "r.json:1:269: rule handle 10: in nftables its ICMP match also matches IPv6 packets carrying ICMP "
            "(protocol 1) and ICMPv6 match IPv4 packets carrying protocol 58; the filter reads ICMP in IPv4 and ICMPv6 "
            "in IPv6 only, so it judges such packets as if this rule did not match them");
}

struct Refusal {
  std::string expr;
  const char* message;
};

class NftRefusals : public ::testing::TestWithParam<Refusal> {};

// The rule's object starts at column 273 of the one-line JSON.
TEST_P(NftRefusals, NameTheConstructAndItsPlace) {
  EXPECT_EQ(error_of(ruleset({GetParam().expr})), GetParam().message);
  // --skip-unsupported leaves it out and lists it (as a drop: leaving out an
  // accept the policy would drop is refused, below)
  NftImportOptions skip;
  skip.skip_unsupported = true;
  std::string as_drop = GetParam().expr;
  if (const auto at = as_drop.find(R"({"accept": null})"); at != std::string::npos)
    as_drop.replace(at, 16, R"({"drop": null})");
  const auto r =
      import_nft(ruleset({as_drop, RULE("==", R"({"meta": {"key": "l4proto"}})", R"("tcp")")}), "r.json", skip);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0], GetParam().message);
  EXPECT_EQ(r.rules.rules.size(), 2u);  // the tcp rule, for each family
}

INSTANTIATE_TEST_SUITE_P(
    Unsupported, NftRefusals,
    ::testing::Values(
        Refusal{
            RULE("==", R"({"ct": {"key": "mark"}})", R"(1)"),
            "r.json:1:273: rule handle 10 of chain inet t input: ct mark (the filter reads a connection's state only) "
            "cannot be "
            "expressed by this filter"},
        Refusal{RULE("==", R"({"meta": {"key": "mark"}})", R"(1)"),
                "r.json:1:273: rule handle 10 of chain inet t input: meta mark cannot be expressed by this filter"},
        Refusal{R"([{"limit": {"rate": 10, "per": "second"}}, {"accept": null}])",
                "r.json:1:273: rule handle 10 of chain inet t input: the statement 'limit' cannot be expressed by "
                "this filter"},
        Refusal{R"([{"log": {"prefix": "in "}}, {"accept": null}])",
                "r.json:1:273: rule handle 10 of chain inet t input: the statement 'log' cannot be expressed by this "
                "filter"},
        Refusal{RULE("==", R"({"payload": {"protocol": "ip6", "field": "nexthdr"}})", R"("tcp")"),
                "r.json:1:273: rule handle 10 of chain inet t input: ip6 nexthdr (the first next-header field, not "
                "the transport after extension headers: write meta l4proto) cannot be expressed by this filter"},
        Refusal{
            RULE("==", R"({"payload": {"protocol": "th", "field": "dport"}})", "53"),
            "r.json:1:273: rule handle 10 of chain inet t input: ports ('th' or a set's) of packets that need not "
            "be TCP, UDP, UDP-Lite, SCTP or DCCP (add meta l4proto { tcp, udp }) cannot be expressed by this filter"},
        Refusal{RULE("==", R"({"payload": {"protocol": "ip", "field": "length"}})", "1"),
                "r.json:1:273: rule handle 10 of chain inet t input: the header field ip length cannot be expressed by "
                "this filter"},
        // nft 1.0.7's inner-header matches (tests/py/inet/{gre,vxlan,geneve,gretap}.t.json): the tunnel
        // is no part of the outer header's field
        Refusal{RULE("==", R"({"payload": {"tunnel": "gre", "protocol": "ip", "field": "protocol"}})", "1"),
                "r.json:1:273: rule handle 10 of chain inet t input: gre ip protocol (a header inside a gre tunnel: "
                "the filter reads the outer headers only) cannot be expressed by this filter"},
        Refusal{R"([{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 4789}},
                    {"match": {"op": "==", "left": {"payload": {"tunnel": "vxlan", "protocol": "ip", "field": "saddr"}},
                     "right": "10.141.11.2"}}, {"drop": null}])",
                "r.json:1:273: rule handle 10 of chain inet t input: vxlan ip saddr (a header inside a vxlan tunnel: "
                "the filter reads the outer headers only) cannot be expressed by this filter"},
        Refusal{RULE("==", R"({"payload": {"tunnel": "geneve", "protocol": "geneve", "field": "vni"}})", "10"),
                "r.json:1:273: rule handle 10 of chain inet t input: geneve vni (a header inside a geneve tunnel: "
                "the filter reads the outer headers only) cannot be expressed by this filter"},
        Refusal{RULE("==",
                     R"({"concat": [{"payload": {"tunnel": "gretap", "protocol": "ip", "field": "saddr"}},
                                    {"payload": {"tunnel": "gretap", "protocol": "ip", "field": "daddr"}}]})",
                     R"({"set": [{"concat": ["1.2.3.4", "4.3.2.1"]}]})"),
                "r.json:1:273: rule handle 10 of chain inet t input: gretap ip saddr (a header inside a gretap tunnel: "
                "the filter reads the outer headers only) cannot be expressed by this filter"},
        Refusal{RULE("==", R"({"payload": {"base": "ih", "offset": 0, "len": 8}})", "1"),
                "r.json:1:273: rule handle 10 of chain inet t input: a raw payload @ih,0,8 (the inner header, after "
                "a tunnel's) cannot be expressed by this filter"},
        Refusal{R"([{"mangle": {"key": {"meta": {"key": "mark"}}, "value": 1}}, {"accept": null}])",
                "r.json:1:273: rule handle 10 of chain inet t input: the statement 'mangle' cannot be expressed by "
                "this filter"}));

// --skip-unsupported never drops what the kernel lets through: an accept
// left out before the drop policy is refused, naming what would drop.
TEST(NftImport, LeftOutAcceptBeforeADropIsRefused) {
  NftImportOptions skip;
  skip.skip_unsupported = true;
  try {
    import_nft(ruleset({RULE("==", R"({"ct": {"key": "mark"}})", R"(1)"),
                        RULE("==", R"({"meta": {"key": "l4proto"}})", R"("tcp")")}),
               "r.json", skip);
    FAIL();
  } catch (const UnsupportedRule& e) {
    EXPECT_STREQ(
        e.what(),
        "r.json:1:273: rule handle 10 of chain inet t input: ct mark (the filter reads a connection's state only) "
        "cannot be "
        "expressed by this filter; --skip-unsupported does not leave it out: without it, what its accept "
        "takes would meet input:policy, which drops");
  }
}

TEST(NftImport, ChainChoiceAndUnreadableInput) {
  EXPECT_EQ(error_of("{\"nftables\": [}"),
            "r.json:1:15: not JSON as `nft -j list ruleset` writes it: [json.exception.parse_error.101] parse error at "
            "line 1, column 15: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(error_of(R"({"nftables": []})"),
            "r.json: no base chain of type filter at prerouting, input or ingress; the base chains: none");
  NftImportOptions o;
  o.chain = "inet:t:forward";
  try {
    import_nft(ruleset({}), "r.json", o);
    FAIL();
  } catch (const RuleError& e) {
    EXPECT_STREQ(e.what(), "r.json: no base chain inet:t:forward; the base chains: inet:t:input (hook input)");
  }
}

TEST(NftImport, RulesOptionTakesNftJson) {
  const std::string path = ::testing::TempDir() + "/xb-nft-import-test.json";
  {
    std::ofstream out(path);
    out << ruleset({RULE("==", R"({"meta": {"key": "l4proto"}})", R"("tcp")")});
  }
  EXPECT_EQ(load_rules("nft:" + path, Action::Drop).rules.size(), 2u);
  EXPECT_EQ(load_rules(path, Action::Drop).rules.size(), 2u);  // told apart by its '{'
  std::remove(path.c_str());
}

// ct state as nft -j writes it: a list (a mask), one state, a set, and !=.
TEST(NftImport, ConnectionStates) {
  const auto r = import_nft(ruleset({RULE("in", R"({"ct": {"key": "state"}})", R"(["established", "related"])"),
                                     RULE("in", R"({"ct": {"key": "state"}})", R"("invalid")"),
                                     RULE("==", R"({"ct": {"key": "state"}})", R"({"set": ["new", "untracked"]})"),
                                     RULE("!=", R"({"ct": {"key": "state"}})", R"("new")")}),
                            "r.json");
  std::vector<std::uint8_t> v4;
  for (const Rule& rule : r.rules.rules)
    if (rule.src && rule.src->family == Family::V4) v4.push_back(rule.ct_states);
  const std::vector<std::uint8_t> want = {XB_CT_ESTABLISHED | XB_CT_RELATED, XB_CT_INVALID, XB_CT_NEW | XB_CT_UNTRACKED,
                                          XB_CT_ALL & ~XB_CT_NEW};
  EXPECT_EQ(v4, want);
  EXPECT_EQ(error_of(ruleset({RULE("==", R"({"ct": {"key": "state"}})", R"("open")")})),
            "r.json:1:273: rule handle 10 of chain inet t input: ct state \"open\": expected new, established, "
            "related, invalid or untracked");
}

// iifname/oifname (and iif/oif): a name, nft's "eth*" wildcard, a set (any
// of them), != (none of them).
TEST(NftImport, Interfaces) {
  const auto r = import_nft(ruleset({RULE("==", R"({"meta": {"key": "iifname"}})", R"("lo")"),
                                     RULE("==", R"({"meta": {"key": "iifname"}})", R"("eth*")"),
                                     RULE("==", R"({"meta": {"key": "iif"}})", R"({"set": ["eth0", "eth1"]})"),
                                     RULE("!=", R"({"meta": {"key": "oifname"}})", R"({"set": ["wan0", "wan1"]})")}),
                            "r.json");
  std::vector<std::string> got;
  for (const Rule& rule : r.rules.rules) {
    if (!rule.src || rule.src->family != Family::V4) continue;
    std::string s;
    for (const auto& m : rule.iif) s += " iif " + m.str();
    for (const auto& m : rule.oif) s += " oif " + m.str();
    got.push_back(s);
  }
  const std::vector<std::string> want = {" iif lo", " iif eth+", " iif eth0", " iif eth1", " oif !wan0 oif !wan1"};
  EXPECT_EQ(got, want);
}

// fib saddr/daddr type: a type, a set (any of them), != (the others),
// decided at attach; in IPv6 only what the route lookup tells apart (local,
// anycast, multicast, the rest), and no interface's routes, no route lookups.
TEST(NftImport, AddressTypes) {
#define FIB(FLAG) R"({"fib": {"result": "type", "flags": [")" FLAG R"("]}})"
  const auto r = import_nft(
      ruleset({RULE("==", FIB("daddr"), R"({"set": ["local", "broadcast"]})"), RULE("!=", FIB("saddr"), R"("local")")}),
      "r.json");
  std::vector<std::string> got;
  for (const Rule& rule : r.rules.rules)
    if (rule.src && rule.src->family == Family::V4)
      got.push_back(address_types_text(rule.src_types) + "/" + address_types_text(rule.dst_types));
  const std::vector<std::string> want = {"/local,broadcast",
                                         "unspec,unicast,broadcast,anycast,multicast,blackhole,"
                                         "unreachable,prohibit,throw,nat,xresolve/"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(
      error_of(ruleset({RULE("==", FIB("daddr"), R"("unicast")")})),
      R"(r.json:1:273: rule handle 10 of chain inet t input: fib ["daddr"] type == "unicast" in IPv6 (the route )"
      R"(lookup tells local, anycast and multicast apart from the rest, no more) cannot be expressed by this filter)");
  EXPECT_EQ(error_of(ruleset({RULE("==", FIB("daddr"), R"("unicast")")}, "ip")).find("(no error)"), 0u);
  EXPECT_NE(error_of(ruleset({RULE("==", R"({"fib": {"result": "type", "flags": ["daddr", "iif"]}})", R"("local")")}))
                .find("(an address type on one interface's routes) cannot be expressed"),
            std::string::npos);
  EXPECT_NE(error_of(ruleset({RULE("==", R"({"fib": {"result": "oif", "flags": ["daddr", "iif"]}})", R"("eth0")")}))
                .find("(a route lookup) cannot be expressed"),
            std::string::npos);
#undef FIB
}

// ip ttl and ip6 hoplimit: values, ranges, !=, comparisons; each its family.
TEST(NftImport, TtlAndHopLimit) {
  const auto r = import_nft(ruleset({RULE("<", R"({"payload": {"protocol": "ip", "field": "ttl"}})", "2"),
                                     RULE("!=", R"({"payload": {"protocol": "ip6", "field": "hoplimit"}})", "255")}),
                            "r.json");
  std::vector<std::string> got;
  for (const Rule& rule : r.rules.rules)
    if (!rule.ttl.any())
      got.push_back(fmt::format("{} {}-{}", rule.src->family == Family::V4 ? "v4" : "v6", rule.ttl.lo, rule.ttl.hi));
  const std::vector<std::string> want = {"v4 0-1", "v6 0-254"};
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace xb
