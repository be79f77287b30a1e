// Bad input, class by class: every case gets exit code 2, one line on stderr
// ("<tool>: " and the place: file:line:column, flag or file), nothing on
// stdout, and changes nothing (no record, pin, program, namespace). The
// "Bad input" table of docs/testing.md is checked against these cases, so
// the two cannot drift apart: a case missing there fails with the row to
// paste.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

struct BadInput {
  std::string name;         // the test's name
  std::string input_class;  // the docs table's first column
  std::string tool;         // xdpfilter or xdpbench
  std::string args;         // {FILE}: the case's input file, {WHERE}: the test's interface and namespace
  std::function<void(const std::string& path)> make_file;  // writes {FILE}
  std::string error;                                       // stderr after "<tool>: "; {FILE}: the file's path
};

// Writes `bytes` as they are (binary included).
std::function<void(const std::string&)> text(std::string bytes) {
  return [bytes = std::move(bytes)](const std::string& path) { std::ofstream(path, std::ios::binary) << bytes; };
}

std::string le32(std::uint32_t v) { return {char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string le16(std::uint16_t v) { return {char(v), char(v >> 8)}; }

// A classic pcap header (microseconds, snaplen 65535) and records.
std::string pcap_header(std::uint32_t link) {
  return le32(0xa1b2c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(link);
}
std::string pcap_record(std::uint32_t caplen, std::uint32_t written) {
  return le32(0) + le32(0) + le32(caplen) + le32(caplen) + std::string(written, '\0');
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

const std::string kRule = "[[rule]]\naction = \"drop\"\n";
// xdpfilter's rule-file cases go through `attach` at a veth of the test's own:
// parsing comes before any change, and the test checks that none was made
const std::string kAttach = "attach --hook=tc-cls {WHERE} --rules={FILE}";
const std::string kRun = "run --hook=xdp-native --repeat=1 --duration=0.1 --warmup=0 --count=1000";

std::vector<BadInput> cases() {
  std::vector<BadInput> c;
  auto add = [&c](std::string name, std::string cls, std::string tool, std::string args,
                  std::function<void(const std::string&)> make, std::string error) {
    c.push_back({std::move(name), std::move(cls), std::move(tool), std::move(args), std::move(make), std::move(error)});
  };
  // --- rule files (TOML)
  add("TomlSyntax", "rule file: TOML syntax", "xdpfilter", kAttach, text("[[rule]\naction = \"drop\"\n"),
      "{FILE}:1:8: Error while parsing table header: expected ']', saw '\\n'");
  add("TomlWrongType", "rule file: a value of the wrong type", "xdpfilter", kAttach, text(kRule + "dport = true\n"),
      "{FILE}:3:9: 'dport' must be a port, a range such as \"1024-65535\", or a list of them");
  add("TomlUnknownKey", "rule file: an unknown key", "xdpfilter", kAttach, text(kRule + "colour = \"red\"\n"),
      "{FILE}:3:1: unknown key 'colour' in [[rule]]: expected one of name, action, src, dst, proto, sport, dport, "
      "tcp-flags, icmp-type, icmp-code, l4-header, ct-state, iif, oif, ttl, src-type, dst-type, rt-type");
  add("TomlUnknownAction", "rule file: an unknown action", "xdpfilter", kAttach,
      text("[[rule]]\naction = \"explode\"\n"), "{FILE}:2:10: 'action' = \"explode\": expected \"pass\" or \"drop\"");
  add("TomlPortOutOfRange", "rule file: a port out of range", "xdpfilter", kAttach,
      text(kRule + "proto = \"tcp\"\ndport = 70000\n"), "{FILE}:4:9: 'dport': port 70000 is not 0 to 65535");
  add("TomlEmptyRange", "rule file: an empty port range", "xdpfilter", kAttach,
      text(kRule + "proto = \"udp\"\nsport = \"80-22\"\n"),
      "{FILE}:4:9: 'sport' = \"80-22\": range is empty (low > high)");
  add("TomlPrefixLength", "rule file: a prefix length out of range", "xdpfilter", kAttach,
      text(kRule + "src = \"10.0.0.0/33\"\n"), "{FILE}:3:7: 'src' = \"10.0.0.0/33\": prefix length must be 0 to 32");
  add("TomlHostBits", "rule file: host bits set", "xdpfilter", kAttach, text(kRule + "dst = \"10.1.2.3/8\"\n"),
      "{FILE}:3:7: 'dst' = \"10.1.2.3/8\" has host bits set: did you mean 10.0.0.0/8?");
  add("TomlBadAddress", "rule file: not an address", "xdpfilter", kAttach, text(kRule + "src = \"300.1.1.1\"\n"),
      "{FILE}:3:7: 'src' = \"300.1.1.1\": expected an IPv4 or IPv6 prefix such as 198.18.0.0/15 or 2001:2::/48");
  add("TomlUnknownProtocol", "rule file: an unknown protocol name", "xdpfilter", kAttach,
      text(kRule + "proto = \"tcpp\"\n"),
      "{FILE}:3:9: 'proto' = \"tcpp\": expected a protocol name from /etc/protocols (tcp, udp, icmp, icmpv6, gre, "
      "esp, sctp, ...) or a number 0-255");
  add("BinaryJunk", "rule file: binary junk", "xdpfilter", kAttach, text(std::string("\xff\xfe\x00\x01junk", 8)),
      "{FILE}:1:1: Encountered invalid utf-8 sequence");
  add(
      "MillionRules", "rule file: 1,000,000 rules", "xdpfilter", kAttach,
      [](const std::string& path) {
        std::ofstream out(path);
        for (int i = 0; i < 1'000'000; ++i) out << kRule;
      },
      "{FILE}:1:1: 1000000 rules, more than the 131072 a table holds");
  add(
      "HugeFile", "rule file: over 64 MiB", "xdpfilter", kAttach,
      [](const std::string& path) {  // sparse: no disk used
        std::ofstream(path).close();
        fs::resize_file(path, (std::uintmax_t{64} << 20) + 1);
      },
      "{FILE}: a rule file of more than 64 MiB is refused (a table holds at most 131072 rules)");
  add("Directory", "rule file: a directory", "xdpfilter", "attach --hook=tc-cls {WHERE} --rules=/", nullptr,
      "/: is a directory, not a rule file");
  add("MissingFile", "rule file: missing", "xdpfilter", "attach --hook=tc-cls {WHERE} --rules=/nonexistent/rules.toml",
      nullptr, "/nonexistent/rules.toml: cannot open rule file: No such file or directory");
  // --- rule files in the other formats
  add("ClassBenchLine", "ClassBench file: a bad line", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=classbench:{FILE}",
      text("@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0000/0x0000\n"
           "@1.2.3.4/40\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0000/0x0000\n"),
      "{FILE}:2:10: source: expected a prefix length 0 to 32, found '40'");
  add("IptablesUnsupported", "iptables-save: a match the filter cannot express", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=iptables:{FILE}",
      text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m connmark --mark 1 -j DROP\nCOMMIT\n"),
      "{FILE}:3:13: -m connmark: a connection mark (the filter reads connection states only) cannot be expressed by "
      "this filter");
  add("IptablesNetmask", "iptables-save: a netmask that is not a prefix", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=iptables:{FILE}",
      text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.12.0/255.0.255.0 -j DROP\nCOMMIT\n"),
      "{FILE}:3:13: '10.0.12.0/255.0.255.0': a netmask whose ones are not contiguous (the filter matches prefixes) "
      "cannot be expressed by this filter");
  add("IptablesTwoChains", "iptables-save: raw PREROUTING and filter INPUT both judge", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=iptables:{FILE}",
      text("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DROP\nCOMMIT\n"
           "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"),
      "{FILE}: several chains judge incoming packets: raw PREROUTING (1 rule), filter INPUT (0 rules, policy DROP): "
      "choose one with --table and --chain");
  add("NftTunnel", "nft -j ruleset: a header inside a tunnel", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=nft:{FILE}",
      text(R"({"nftables": [{"table": {"family": "inet", "name": "t"}}, )"
           R"({"chain": {"family": "inet", "table": "t", "name": "in", "type": "filter", "hook": "input", )"
           R"("prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "t", "chain": "in", "handle": 2, )"
           R"("expr": [{"match": {"op": "==", "left": {"payload": {"tunnel": "gre", "protocol": "ip", )"
           R"("field": "protocol"}}, "right": 1}}, {"drop": null}]}}]})"),
      "{FILE}:1:184: rule handle 2 of chain inet t in: gre ip protocol (a header inside a gre tunnel: the filter "
      "reads the outer headers only) cannot be expressed by this filter");
  add("NftTruncatedJson", "nft -j ruleset: truncated JSON", "xdpfilter",
      "attach --hook=tc-cls {WHERE} --rules=nft:{FILE}", text("{\"nftables\": [{\"metainfo\": {}}, {\"rule\": "),
      "{FILE}:1:42: not JSON as `nft -j list ruleset` writes it: [json.exception.parse_error.101] parse error at "
      "line 1, column 42: syntax error while parsing value - unexpected end of input; expected '[', '{', or a "
      "literal");
  // --- command-line flags
  add("XdpfilterUnknownHook", "flag: an unknown hook", "xdpfilter", "attach --hook=xdp-turbo {WHERE}", nullptr,
      "--hook: unknown hook 'xdp-turbo': expected one of xdp-native, xdp-generic, tc-cls, tc-act, tcx, "
      "socket-filter, cgroup-skb, netfilter, lwt-in, lwt-out, lwt-xmit");
  add("XdpfilterUnknownFlag", "flag: an unknown flag", "xdpfilter", "attach --hook=tc-cls {WHERE} --colour=red",
      nullptr, "The following argument was not expected: --colour=red (--help lists the options)");
  add("TableCapacity", "flag: a size that is not one", "xdpfilter", "attach --hook=tc-cls {WHERE} --table-capacity=big",
      nullptr,
      "--table-capacity: big unit not recognized. Allowed values: "
      "{b,e,eb,ei,eib,g,gb,gi,gib,k,kb,ki,kib,m,mb,mi,mib,p,pb,pi,pib,t,tb,ti,tib} (--help lists the options)");
  add("RunCount", "flag: a count of 0", "xdpbench", kRun + " --count=0", nullptr,
      "--count: Value 0 not in range 1 to 1000000000000 (--help lists the options)");
  add("RunRate", "flag: a negative rate", "xdpbench", kRun + " --rate=-1", nullptr,
      "--rate: Value -1 not in range 0.000000 to 1000000000.000000 (--help lists the options)");
  add("RunSize", "flag: a frame size out of range", "xdpbench", kRun + " --size=10", nullptr,
      "--size: '10': a frame size 64-1518, or imix (--help lists the options)");
  add("RunCpu", "flag: a CPU the machine does not have", "xdpbench", kRun + " --cpu=0,4096", nullptr,
      "--cpu: no CPU 4096 (this machine has 0-{LASTCPU})");
  // --- topology files
  add("TopologySyntax", "topology file: TOML syntax", "xdpbench", kRun + " --topology={FILE}",
      text("name = \"t\"\n[[namespace]\n"), "{FILE}:2:13: Error while parsing table header: expected ']', saw '\\n'");
  add("TopologyUnknownNamespace", "topology file: a veth end in no namespace", "xdpbench", kRun + " --topology={FILE}",
      text("name = \"t\"\n[[namespace]]\nname = \"gen\"\n[[veth]]\na = { ns = \"gen\", dev = \"g0\" }\n"
           "b = { ns = \"nope\", dev = \"d0\" }\n[roles]\ngenerator = \"gen/g0\"\ndut = \"nope/d0\"\n"
           "target = \"198.18.0.2\"\n"),
      "{FILE}:6:5: no [[namespace]] named 'nope'");
  add("TopologyUnknownKey", "topology file: a misspelt key", "xdpbench", kRun + " --topology={FILE}",
      text("name = \"t\"\n[[namespace]]\nname = \"gen\"\n[[veth]]\n"
           "a = { ns = \"gen\", dev = \"g0\", adresses = [\"198.18.0.1/24\"] }\nb = { ns = \"gen\", dev = \"g1\" }\n"),
      "{FILE}:5:31: unknown key 'adresses' in a veth end: expected ns, dev, addresses, gro");
  add("TopologyEmptyRole", "topology file: a role left empty", "xdpbench", kRun + " --topology={FILE}",
      text("name = \"t\"\n[roles]\ngenerator = \"gen/g0\"\ndut = \"dut/d0\"\ntarget = \"\"\n"),
      "{FILE}:5:10: 'target' must not be empty");
  add("TopologyNoRoles", "topology file: empty", "xdpbench", kRun + " --topology={FILE}", text(""),
      "{FILE}:1:1: [roles] is missing");
  add("TopologyDirectory", "topology file: a directory", "xdpbench", kRun + " --topology=/", nullptr,
      "/: is a directory, not a topology file");
  // --- traffic profiles
  add("ProfileSize", "profile file: a size out of range", "xdpbench", kRun + " --profile={FILE}",
      text("size = 40000\n"), "{FILE}:1:8: 'size' must be 64 to 1518, or \"imix\"");
  add("ProfileNan", "profile file: a NaN rate", "xdpbench", kRun + " --profile={FILE}", text("rate = nan\n"),
      "{FILE}:1:8: 'rate' must be packets per second (0: max)");
  add("ProfileUnknownKey", "profile file: an unknown key", "xdpbench", kRun + " --profile={FILE}", text("colour = 1\n"),
      "{FILE}:1:1: unknown key 'colour': expected size, flows, mix, drop-share, ipv6-share or rate");
  // --- traffic files
  add("PcapTruncated", "traffic file: a truncated pcap", "xdpbench", kRun + " --traffic={FILE}",
      text(pcap_header(1) + pcap_record(60, 60) + pcap_record(100, 10)),
      "--traffic={FILE}: record 2: truncated dump file; tried to read 100 captured bytes, only got 10");
  add("PcapLinkType", "traffic file: a pcap of another link type", "xdpbench", kRun + " --traffic={FILE}",
      text(pcap_header(147) + pcap_record(60, 60)),
      "--traffic={FILE}: link type unknown (147): the rig replays Ethernet frames (EN10MB) only");
  add("TraceLine", "traffic file: a bad ClassBench trace line", "xdpbench", kRun + " --traffic={FILE}",
      text("3232235777\t3232235778\t1\t2\t6\t0\t1\n4294967296\t1\t1\t1\t6\t0\t1\n"),
      "--traffic={FILE}:2: expected SRC DST SPORT DPORT PROTO FLAGS RULE (addresses as 32-bit integers)");
  // --- result files (gate, report)
  add("ResultOtherSchema", "result file: another tool's JSON", "xdpbench", "gate --baseline={FILE} --current={FILE}",
      text("{\"benchmarks\": []}\n"), "{FILE}: not an xdpbench result file (no \"schema\" or \"results\")");
  add("ResultFutureSchema", "result file: a newer schema", "xdpbench", "gate --baseline={FILE} --current={FILE}",
      text("{\"schema\": 999, \"results\": []}\n"),
      "{FILE}: result schema 999; this xdpbench reads schema 2 (rerun with this build)");
  add("ResultDirectory", "result file: a directory", "xdpbench", "gate --baseline=/ --current=/", nullptr,
      "/: is a directory, not a result file");
  add("ResultNotJson", "result file: not JSON", "xdpbench", "report {FILE} --out=/nonexistent/report", text("[1, 2\n"),
      "{FILE}: not JSON: [json.exception.parse_error.101] parse error at line 2, column 1: syntax error while "
      "parsing array - unexpected end of input; expected ']'");
  return c;
}

// gtest names the case rather than printing its bytes
void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<BadInput> {
 protected:
  static void SetUpTestSuite() { topo_ = new VethTopology(); }
  static void TearDownTestSuite() {
    delete topo_;
    topo_ = nullptr;
  }
  static VethTopology* topo_;
  IsolatedStore store_;
};

VethTopology* BadInputTest::topo_ = nullptr;

int records_in(const std::string& state_dir) {
  int found = 0;
  std::error_code ec;
  for (const auto& f : fs::recursive_directory_iterator(state_dir, ec)) found += f.path().extension() == ".json";
  return found;
}

std::string last_cpu() { return std::to_string(::sysconf(_SC_NPROCESSORS_ONLN) - 1); }

TEST_P(BadInputTest, OneLineNamingThePlaceAndNothingChanged) {
  const BadInput& c = GetParam();
  const std::string path = "/tmp/" + unique_name("xbbad") + "-" + c.name;
  if (c.make_file) c.make_file(path);
  std::string args = replace_all(c.args, "{FILE}", path);
  args = replace_all(args, "{WHERE}", "--iface=" + topo_->dut_if + " --netns=" + topo_->dut_ns);
  // the shell prints its pid, then becomes the tool: the rig's namespaces,
  // state and pins of that run are named by it
  const std::string binary = c.tool == "xdpfilter" ? XDPFILTER_PATH : XDPBENCH_PATH;
  const CliResult r = run_cli("sh -c 'echo $$; exec \"$0\" \"$@\"' " + binary, args);
  std::error_code ec;
  fs::remove(path, ec);
  const std::string pid = r.out.substr(0, r.out.find('\n'));
  const std::string expected = replace_all(replace_all(c.error, "{FILE}", path), "{LASTCPU}", last_cpu());
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.err, c.tool + ": " + expected + "\n") << args;
  EXPECT_EQ(r.out, pid + "\n") << "nothing on stdout";
  // nothing changed: xdpfilter recorded, pinned and attached nothing ...
  EXPECT_EQ(records_in(store_.state_dir), 0);
  EXPECT_TRUE(!fs::exists(store_.pin_root) || fs::is_empty(store_.pin_root));
  EXPECT_EQ(run_command("tc -n " + topo_->dut_ns + " qdisc show dev " + topo_->dut_if).find("clsact"),
            std::string::npos);
  // ... and xdpbench made no namespace, state or pin of its run
  EXPECT_EQ(run_command("ip netns list | grep -c '^xbr" + pid + "-' || true"), "0\n");
  EXPECT_FALSE(fs::exists("/run/xdpbench/run" + pid));
  EXPECT_FALSE(fs::exists("/sys/fs/bpf/xdpbench_run" + pid));
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInputTest, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param.name; });

// docs/testing.md's table (section "Bad input") shows each case's error,
// with FILE for the file's path.
TEST(BadInputReadme, TableShowsEveryCase) {
  std::ifstream in(XB_SOURCE_DIR "/docs/testing.md");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string doc = buf.str();
  const auto start = doc.find("\n## Bad input\n");
  ASSERT_NE(start, std::string::npos) << "docs/testing.md has no '## Bad input' section";
  const std::string section = doc.substr(start, doc.find("\n## ", start + 1) - start);
  std::string missing;
  for (const BadInput& c : cases()) {
    const std::string error = replace_all(replace_all(c.error, "{FILE}", "FILE"), "{LASTCPU}", "N");
    const std::string args =
        replace_all(replace_all(replace_all(c.args, kRun, "run --hook=xdp-native"), "{FILE}", "FILE"), " {WHERE}", "");
    if (section.find(error) == std::string::npos)
      missing += fmt::format("| {} | `{} {}` | `` {}: {} `` |\n", c.input_class, c.tool, args, c.tool, error);
  }
  EXPECT_EQ(missing, "") << "rows to add to docs/testing.md's Bad input table:\n" << missing;
}

}  // namespace
}  // namespace xb::testing
