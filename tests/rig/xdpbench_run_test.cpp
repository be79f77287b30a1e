// The rig end to end: a short `xdpbench run --hook=all` builds its topology,
// measures every hook it can next to xdp-noop, writes a JSON result whose
// counts add up, and leaves nothing behind; the rig's own counts at a low
// rate. No timing is asserted. (Topologies and `xdpbench cleanup`, which
// send no traffic: tests/netns/topology_test.cpp.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

TEST(XdpbenchRun, AllHooksShortRunWritesConsistentJson) {
  const std::string json_path = "/tmp/" + unique_name("xbrun") + ".json";
  // the shell prints its pid, then becomes xdpbench: the rig names its
  // namespaces xbr<pid>-*, so this run's are told from other runs'
  const std::string printed = run_command("sh -c 'echo $$; exec " XDPBENCH_PATH
                                          " run --hook=all --repeat=1 --duration=0.3 --warmup=0.1 "
                                          "--count=200000 --json=" +
                                          json_path + "'");
  const std::string pid = printed.substr(0, printed.find('\n'));
  const std::string out = printed.substr(printed.find('\n') + 1);
  std::printf("%s", out.c_str());
  std::ifstream in(json_path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::filesystem::remove(json_path);
  EXPECT_EQ(doc["schema"], 2);
  EXPECT_FALSE(doc["environment"]["kernel"].get<std::string>().empty());
  std::set<std::string> measured;
  for (const auto& r : doc["results"]) {
    measured.insert(r["hook"]);
    ASSERT_EQ(r["trials"].size(), 1u);
    const auto& t = r["trials"][0];
    const auto offered = t["offered"].get<std::uint64_t>();
    EXPECT_GT(offered, 0u) << r["hook"];
    EXPECT_LE(offered, 200000u);
    // rx == dropped + passed holds by construction (most hooks compute one
    // from the others): check against what is measured apart from the hook's
    // counters instead. What reached the DUT's IP layer or the sink (counted
    // there, not by the hook) the hook let through: never more, but for
    // stray link-local chatter; and it never drops more than it saw.
    const auto rx = t["rx"].get<std::uint64_t>(), dropped = t["dropped"].get<std::uint64_t>(),
               passed = t["passed"].get<std::uint64_t>(), delivered = t["delivered"].get<std::uint64_t>();
    // (a socket filter drops for its own socket only: the IP layer gets all)
    const std::uint64_t reaches_ip = r["hook"] == "socket-filter" ? rx : passed;
    EXPECT_LE(delivered, reaches_ip + kStrayPackets) << r["hook"] << ": delivered more than the hook let through";
    EXPECT_LE(dropped, rx) << r["hook"];
  }
  for (const char* hook :
       {"xdp-noop", "xdp-native", "xdp-generic", "tc-cls", "tcx", "netfilter", "socket-filter", "nft-netdev",
        "nft-inet", "iptables-legacy", "iptables-nft", "dpdk-afxdp", "dpdk-afpacket", "dpdk-afxdp-acl"})
    EXPECT_TRUE(measured.count(hook)) << hook;
  EXPECT_TRUE(doc["skipped"].contains("cgroup-skb"));
  // the generator's ceiling, measured beside them
  ASSERT_TRUE(doc.contains("generator_ceiling"));
  EXPECT_EQ(doc["generator_ceiling"]["trials"].size(), 1u);
  EXPECT_GT(doc["generator_ceiling"]["trials"][0]["offered"].get<std::uint64_t>(), 0u);
  // not pinned: no core's time is the DUT's alone, and the table says so
  for (const auto& r : doc["results"]) {
    EXPECT_TRUE(r["summary"]["dut_cpu_ns_per_pkt"].is_null()) << r["hook"];
    EXPECT_TRUE(r["summary"]["generator_bound"].is_boolean()) << r["hook"];
  }
  EXPECT_NE(out.find("DUT CPU ns/pkt: needs --cpu=GEN,DUT"), std::string::npos) << out;
  for (const char* hook : {"lwt-in", "lwt-out", "lwt-xmit"})  // veth-pair gives the DUT no route
    EXPECT_TRUE(doc["skipped"].contains(hook)) << hook;
  // none of its own left (other runs may share the machine)
  EXPECT_EQ(run_command("ip netns list | grep -c '^xbr" + pid + "-' || true"), "0\n");
}

nlohmann::json run_json(const std::string& env, const std::string& args, std::string* out = nullptr) {
  const std::string json_path = "/tmp/" + unique_name("xbgen") + ".json";
  const std::string text = run_command(env + " " XDPBENCH_PATH " run " + args + " --json=" + json_path);
  std::printf("%s %s\n%s", env.c_str(), args.c_str(), text.c_str());
  if (out) *out = text;
  std::ifstream in(json_path);
  nlohmann::json doc = nlohmann::json::parse(in);  // not const: returned by move
  std::filesystem::remove(json_path);
  return doc;
}

const nlohmann::json& summary_of(const nlohmann::json& doc, const std::string& hook) {
  for (const auto& r : doc["results"])
    if (r["hook"] == hook) return r["summary"];
  throw std::runtime_error("no result for " + hook);
}

// A hook that does no work (a user's program dropping every frame at once,
// as the ceiling's program does) runs at the generator's ceiling: its rate is
// the generator's, and the run says so. The filter slowed by the extra-work
// knob (2,000 loop iterations a packet; measured here: a fiftieth of the ceiling's rate)
// is its own bottleneck: not flagged.
TEST(XdpbenchRun, FlagsGeneratorBoundHooksOnly) {
  const std::string trials = " --hook=xdp-native --repeat=3 --duration=0.5 --warmup=0.2 --count=2000000";
  std::string out;
  const auto noop = run_json("", std::string("--prog=") + USER_PROGRAMS_OBJ + " --section=drop_all" + trials, &out);
  const auto& s = summary_of(noop, "xdp-native");
  EXPECT_TRUE(s["generator_bound"].get<bool>()) << s.dump();
  EXPECT_FALSE(s["generator_bound_why"].get<std::string>().empty());
  EXPECT_NE(out.find("* generator-bound: xdp-native"), std::string::npos) << out;
  EXPECT_NE(out.find("xdp-native* "), std::string::npos) << out;

  const auto slow = run_json("XDPBENCH_DEBUG_EXTRA_WORK=2000", trials, &out);
  EXPECT_FALSE(summary_of(slow, "xdp-native")["generator_bound"].get<bool>()) << summary_of(slow, "xdp-native").dump();
  EXPECT_EQ(out.find("generator-bound: xdp-native"), std::string::npos) << out;
}

// With the DUT's receive work pinned to a core of its own, every hook and
// baseline gets the DUT CPU's busy time per packet, from the same counter.
TEST(XdpbenchRun, PinnedRunsGiveEveryHookADutCpuCost) {
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "--cpu=GEN,DUT needs two CPUs";
  std::string out;
  const auto doc = run_json("",
                            "--cpu=0,1 --hook=xdp-native,tc-cls,nft-inet,iptables-legacy,dpdk-afxdp --repeat=1 "
                            "--duration=0.5 --warmup=0.2 --count=1000000",
                            &out);
  EXPECT_EQ(doc["config"]["cpus"], nlohmann::json({0, 1}));
  std::set<std::string> measured;
  for (const auto& r : doc["results"]) {
    measured.insert(r["hook"]);
    const auto& t = r["trials"][0];
    EXPECT_GT(t["dut_cpu_busy_ns"].get<double>(), 0) << r["hook"];
    EXPECT_TRUE(r["summary"]["dut_cpu_ns_per_pkt"].is_object()) << r["hook"];
  }
  EXPECT_TRUE(doc["generator_ceiling"]["summary"]["dut_cpu_ns_per_pkt"].is_object());
  for (const char* hook : {"xdp-noop", "xdp-native", "tc-cls", "nft-inet", "iptables-legacy"})
    EXPECT_TRUE(measured.count(hook)) << hook;
  EXPECT_NE(out.find("DUT CPU ns/pkt: CPU time of the DUT's work on CPU 1"), std::string::npos) << out;
}

// The route hooks in the rig: on the router topology every route the DUT
// forwards the traffic by carries the filter (the default routes, the
// connected routes of the sink's link), so at a rate the DUT forwards
// without loss every packet, of either family, meets it once and what it
// passes reaches the sink. Flows no rule matches (--mix=miss): with flows
// aimed at the rules, a share of what lwt-in passed (about a fifth of the
// IPv4 packets in one run) has been seen not to reach the sink, a kernel
// matter not yet understood (see README.md, "Hooks").
TEST(XdpbenchRun, RouteHooksSeeEveryForwardedPacket) {
  const std::string json_path = "/tmp/" + unique_name("xblwt") + ".json";
  const std::string out = run_command(XDPBENCH_PATH
                                      " run --hook=lwt-in,lwt-out,lwt-xmit --topology=router --repeat=1 "
                                      "--duration=0.5 --warmup=0.1 --rate=2000 --ipv6-share=0.25 --mix=miss --json=" +
                                      json_path);
  std::printf("%s", out.c_str());
  std::ifstream in(json_path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::filesystem::remove(json_path);
  std::set<std::string> measured;
  for (const auto& r : doc["results"]) {
    measured.insert(r["hook"]);
    if (r["hook"] == "xdp-noop") continue;
    const auto& t = r["trials"][0];
    const auto offered = t["offered"].get<std::uint64_t>();
    EXPECT_GT(offered, 0u) << r["hook"];
    EXPECT_EQ(t["rx"].get<std::uint64_t>(), offered) << r["hook"];
    EXPECT_EQ(t["rx"].get<std::uint64_t>(), t["dropped"].get<std::uint64_t>() + t["passed"].get<std::uint64_t>())
        << r["hook"];
    EXPECT_EQ(t["delivered"].get<std::uint64_t>(), t["passed"].get<std::uint64_t>()) << r["hook"];
  }
  for (const char* hook : {"lwt-in", "lwt-out", "lwt-xmit"}) EXPECT_TRUE(measured.count(hook)) << hook;
}

// The router topology forwards what it receives (issue #24: the live-frames
// pool handed the generator pages the DUT had forwarded, addressed to the
// sink's MAC, and the DUT dropped them as another host's: xdp-noop delivered
// 0.5% of what it passed flat out, 64% at 0.1 Mpps). At a rate far below the
// DUT's forwarding limit, with the flows aimed at the rules (the default
// mix), xdp-noop delivers at least 90% of what the DUT's interface received,
// and every hook on the forwarding path sees at least 90% of it, none
// flagged starved. Counts only, no timing.
TEST(XdpbenchRun, RouterForwardsWhatTheDutReceives) {
  std::string out;
  const auto doc = run_json("",
                            "--topology=router --hook=xdp-noop,lwt-in,lwt-out,lwt-xmit,netfilter --rate=50000 "
                            "--repeat=1 --duration=1 --warmup=0.2",
                            &out);
  std::set<std::string> measured;
  for (const auto& r : doc["results"]) {
    const std::string hook = r["hook"];
    measured.insert(hook);
    const auto& t = r["trials"][0];
    ASSERT_TRUE(t["dut_nic_rx"].is_number()) << hook << ": the trial records what the DUT received";
    const auto offered = t["offered"].get<double>(), dut_rx = t["dut_nic_rx"].get<double>();
    EXPECT_GE(dut_rx, 0.9 * offered) << hook << ": the DUT's interface received what was offered";
    if (hook == "xdp-noop")
      EXPECT_GE(t["delivered"].get<double>(), 0.9 * dut_rx) << "xdp-noop: the sink got what the DUT received";
    else
      EXPECT_GE(t["rx"].get<double>(), 0.9 * dut_rx) << hook << ": the hook saw what the DUT received";
    EXPECT_FALSE(r["summary"]["starved"].get<bool>()) << hook << ": " << r["summary"].dump();
  }
  for (const char* hook : {"xdp-noop", "lwt-in", "lwt-out", "lwt-xmit", "netfilter"})
    EXPECT_TRUE(measured.count(hook)) << hook;
  EXPECT_EQ(out.find("! starved"), std::string::npos) << out;
}

// The rig checks itself: a hook the stack starves is flagged. A ClassBench
// trace is full of martians (acl1_1k_trace: 61% of the tuples have a source
// or destination in 0/8, 127/8 or 224/3), which the DUT's routing discards
// before lwt-in (on the route) sees them: it sees under half of what the
// DUT's interface received, and the table and the result say so.
TEST(XdpbenchRun, FlagsAHookTheStackStarves) {
  std::string out;
  const auto doc = run_json("",
                            "--topology=router --hook=lwt-in --traffic=" XDPBENCH_TEST_DATA
                            "/classbench/acl1_1k_trace --rules=classbench:" XDPBENCH_TEST_DATA
                            "/classbench/acl1_1k --rate=50000 --repeat=1 --duration=0.5 --warmup=0.1",
                            &out);
  const auto& s = summary_of(doc, "lwt-in");
  EXPECT_TRUE(s["starved"].get<bool>()) << s.dump();
  EXPECT_LT(s["input_share"].get<double>(), 0.5) << s.dump();
  EXPECT_TRUE(s["starved_why"].is_string());
  EXPECT_NE(out.find("lwt-in!"), std::string::npos) << out;
  EXPECT_NE(out.find("! starved: lwt-in"), std::string::npos) << out;
  // xdp-noop, before the stack, saw everything: not starved
  EXPECT_FALSE(summary_of(doc, "xdp-noop")["starved"].get<bool>());
}

// xdp-noop's median offered rate (Mpps) of a short flat-out run.
double noop_offered_mpps(const std::string& env) {
  const std::string json_path = "/tmp/" + unique_name("xbslow") + ".json";
  const std::string out = run_command(env +
                                      " " XDPBENCH_PATH
                                      " run --hook=xdp-noop --repeat=3 --duration=1 --warmup=0.5 "
                                      "--count=3000000 --json=" +
                                      json_path);
  std::printf("%s %s", env.c_str(), out.c_str());
  std::ifstream in(json_path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::filesystem::remove(json_path);
  for (const auto& r : doc["results"])
    if (r["hook"] == "xdp-noop") return r["summary"]["offered_mpps"]["median"].get<double>();
  ADD_FAILURE() << "no xdp-noop result";
  return 0;
}

// Every prog-run call made to cost 20 ms more (as slow RCU grace periods
// did on some VMs): the generator must grow its calls until that is a small
// share, not shrink them (it used to fall to 64 frames a call, ~3 kpps).
// With calls of at most 65,536 frames, 20 ms a call bounds the rate at
// 65536 t / (0.02 + 65536 t) of the undelayed one (t: its time per frame);
// half of that bound is asked, a ratio and not a time, for noisy machines.
TEST(XdpbenchRun, SlowProgRunCallsDoNotCollapseTheFlatOutRate) {
  const double plain = noop_offered_mpps("");
  const double delayed = noop_offered_mpps("XDPBENCH_DEBUG_CALL_DELAY_US=20000");
  ASSERT_GT(plain, 0);
  const double per_frame_s = 1e-6 / plain, call_s = 65536 * per_frame_s;
  const double bound = call_s / (0.02 + call_s);
  std::printf("undelayed %.3f Mpps, delayed %.3f Mpps: %.2f of it (at most %.2f)\n", plain, delayed, delayed / plain,
              bound);
  EXPECT_GE(delayed / plain, 0.5 * bound);
}

}  // namespace
}  // namespace xb::testing

#include "filter_hook.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "rig.hpp"

namespace xb::bench {
namespace {

using testing::kStrayPackets;

// The miss template's 64 flows (source ports 32768..32831 one after the
// other) at a rate low enough that no packet is lost.
TrafficProfile slow_miss_traffic() {
  TrafficProfile traffic;
  traffic.mix = "miss";
  traffic.flows = 64;
  traffic.rate_pps = 20000;
  return traffic;
}

// The generator sends exactly what it is asked to, and at a low rate every
// packet is accounted for: offered = dropped + delivered, nothing lost.
TEST(Rig, CountsAddUpAtALowRate) {
  const RuleSet rules = parse_rules(
      "[[rule]]\nname = \"half-the-flows\"\naction = \"drop\"\nproto = \"udp\"\nsport = \"32768-32799\"\n", "r");
  Rig rig("router", slow_miss_traffic());
  const auto hook = make_hook_under_test("tc-cls", rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  const Trial t = rig.trial(*hook, {.seconds = 10, .warmup_s = 0, .max_packets = 6400});
  EXPECT_EQ(t.offered, 6400u);
  EXPECT_EQ(t.dropped, 3200u);  // 32 of every 64 source ports
  EXPECT_LE(t.seen - 6400u, kStrayPackets);
  EXPECT_LE(t.passed - 3200u, kStrayPackets);
  EXPECT_EQ(t.delivered, 3200u);  // the sink counts only the generator's packets
  EXPECT_EQ(t.loss_pct(), 0.0);
  EXPECT_TRUE(t.has_latency);
  EXPECT_GE(t.p99, t.p50);
}

// xdp-parse, the reference that reads the packet: the filter at native XDP
// with none of the run's rules, every packet parsed, counted and dropped,
// whatever the rules say (here they would pass every packet).
TEST(Rig, ParseReferenceDropsEveryPacketItParsed) {
  const RuleSet rules = parse_rules("[[rule]]\nname = \"all-udp\"\naction = \"pass\"\nproto = \"udp\"\n", "r");
  Rig rig("veth-pair", slow_miss_traffic());
  const auto hook = make_hook_under_test(kParseHook, rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  EXPECT_EQ(hook->name(), "xdp-parse");
  const Trial t = rig.trial(*hook, {.seconds = 10, .warmup_s = 0, .max_packets = 4000});
  EXPECT_EQ(t.offered, 4000u);
  EXPECT_GE(t.dropped, 4000u);
  EXPECT_LE(t.dropped - 4000u, kStrayPackets);
  EXPECT_EQ(t.passed, 0u);
  EXPECT_EQ(t.delivered, 0u);
  EXPECT_TRUE(t.has_run_time);  // its program time is measured, as the filter's is
  EXPECT_GT(t.run_time_ns, 0u);
}

// The filter times one stamp in 2^shift at the hook, spread over the flows
// (hashed, not every 2^shift-th packet, which would meet only a few flows):
// the rest cost it only the stamp's check.
TEST(Rig, HookLatencyIsSampledOneIn2ToTheShift) {
  const RuleSet rules = parse_rules("[[rule]]\nname = \"none\"\naction = \"drop\"\nproto = \"tcp\"\n", "r");
  Rig rig("veth-pair", slow_miss_traffic());
  const std::uint64_t count = 16000;
  for (const std::uint32_t shift : {0u, 3u}) {
    const auto hook = make_hook_under_test("xdp-native", rig.topology(), CompiledRuleSet(rules), rig.state_paths(),
                                           std::nullopt, shift);
    const Trial t = rig.trial(*hook, {.seconds = 10, .warmup_s = 0, .max_packets = count});
    EXPECT_EQ(t.offered, count);
    const double expected = static_cast<double>(count >> shift);
    EXPECT_NEAR(static_cast<double>(t.hook_latency.count()), expected, expected * 0.1) << "shift " << shift;
  }
  // what a run picks: one in 2^shift at --rate for the trial's length
  EXPECT_EQ(rig.latency_sample_shift({.seconds = 1, .warmup_s = 0, .max_packets = 1000}), 0u);
  EXPECT_EQ(rig.latency_sample_shift({.seconds = 100, .warmup_s = 0, .max_packets = 50'000'000}),
            latency_sample_shift(2'000'000));
}

// Traffic aimed at the rule set, IPv4 alone and half IPv6: the filter drops
// exactly the flows the reference model says it drops, packet for packet.
class RuleAimedTraffic : public ::testing::TestWithParam<double> {};

TEST_P(RuleAimedTraffic, IsDroppedAsTheReferenceSays) {
  const RuleSet rules = default_rule_set();
  TrafficProfile traffic;
  traffic.flows = 256;
  traffic.drop_share = 0.25;
  traffic.rate_pps = 20000;  // 20 packets a call: 128 calls, alternating families at share 0.5
  traffic.ipv6_share = GetParam();
  Rig rig("veth-pair", traffic);
  rig.use_rules(CompiledRuleSet(rules));
  EXPECT_DOUBLE_EQ(rig.expected_drop_share(), 0.25);
  const auto hook = make_hook_under_test("xdp-generic", rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  const Trial t = rig.trial(*hook, {.seconds = 10, .warmup_s = 0, .max_packets = 2560});  // every flow 10 times
  EXPECT_EQ(t.offered, 2560u);
  EXPECT_EQ(t.dropped, 640u);
  // what passed reached the DUT's IP layer; IPv6 link-local chatter the
  // topology could not silence may add a packet or two to what the hook saw
  EXPECT_LE(t.seen - 2560u, kStrayPackets);
  EXPECT_LE(t.delivered - 1920u, kStrayPackets);
}

INSTANTIATE_TEST_SUITE_P(Ipv6Share, RuleAimedTraffic, ::testing::Values(0.0, 0.5), [](const auto& param_info) {
  return param_info.param == 0.0 ? std::string("ipv4_only") : "half_ipv6";
});

}  // namespace
}  // namespace xb::bench
