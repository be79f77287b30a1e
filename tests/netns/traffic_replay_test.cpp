// Replayed traffic and generator threads in the rig, as root: a ClassBench
// trace and a pcap send exactly the frames asked for (--count), checked by
// the filter's per-rule counters at the DUT against the reference model;
// two generator threads send exactly the count between them; bad files and
// overlapping CPU sets are refused in one line and leave nothing behind.
// No timing is asserted.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "packet_builder.hpp"
#include "pcap_writer.hpp"
#include "reference_model.hpp"
#include "rig.hpp"
#include "rule_compiler.hpp"
#include "rule_files.hpp"
#include "test_namespaces.hpp"
#include "traffic_file.hpp"
#include "xb_gen.h"

namespace xb::bench {
namespace {

using testing::kStrayPackets;
using testing::run_command;
using testing::unique_name;

const std::string kData = XB_TEST_DATA "/classbench/";

// Per rule (XB_RULE_* for the defaults): the packets the reference model
// says the first `count` packets of the cycle through `frames` meet.
std::map<std::uint32_t, std::uint64_t> expected_tallies(const RuleSet& rules,
                                                        const std::vector<std::vector<std::uint8_t>>& frames,
                                                        std::uint64_t count) {
  const CompiledTable table = compile_rules(rules);
  std::vector<std::uint32_t> rule_of;
  rule_of.reserve(frames.size());
  for (const auto& f : frames) rule_of.push_back(classify(table, f).rule);
  std::map<std::uint32_t, std::uint64_t> out;
  for (std::uint64_t i = 0; i < count; ++i) ++out[rule_of[i % frames.size()]];
  return out;
}

// Every counter of the filter as the reference model says; the default may
// have a few stray packets more.
void expect_tallies(const HookUnderTest& hook, const std::map<std::uint32_t, std::uint64_t>& want) {
  for (const auto& tally : hook.rule_tallies()) {
    ASSERT_EQ(tally.rules.size(), 1u);
    const std::uint32_t rule = tally.rules[0];
    const std::uint64_t w = want.count(rule) ? want.at(rule) : 0;
    if (rule == XB_RULE_DEFAULT) {
      EXPECT_GE(tally.packets, w) << "the default";
      EXPECT_LE(tally.packets, w + kStrayPackets) << "the default";
    } else {
      EXPECT_EQ(tally.packets, w) << "rule " << rule;
    }
  }
}

std::vector<int> two_cpus_or_none(bool two) { return two ? std::vector<int>{0, 1} : std::vector<int>{}; }

// The trace aimed at its own rules, one generator thread and two: more
// packets than the trace has frames, so the cycle wraps.
class TraceReplay : public ::testing::TestWithParam<bool> {};

TEST_P(TraceReplay, SendsExactlyTheFramesAskedFor) {
  if (GetParam() && ::sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "two generator threads need two CPUs";
  const RuleSet rules = load_rules("classbench:" + kData + "acl1_1k", Action::Drop);
  TrafficProfile traffic;
  traffic.rate_pps = 50000;  // well within what the DUT takes: every frame reaches the hook
  traffic.file = std::make_shared<TrafficFile>(read_traffic_file(kData + "acl1_1k_trace", traffic));
  const std::uint64_t count = 10007;  // > 8,780 frames, and odd: the threads' shares differ
  Rig rig("veth-pair", traffic, {}, two_cpus_or_none(GetParam()));
  rig.use_rules(CompiledRuleSet(rules));
  const auto hook = make_hook_under_test("xdp-native", rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  const Trial t = rig.trial(*hook, {.seconds = 20, .warmup_s = 0.05, .max_packets = count});
  EXPECT_EQ(t.offered, count);
  EXPECT_GE(t.seen, count);
  EXPECT_LE(t.seen, count + kStrayPackets);
  expect_tallies(*hook, expected_tallies(rules, traffic.file->frames, count));
}

INSTANTIATE_TEST_SUITE_P(GeneratorThreads, TraceReplay, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "Two" : "One"; });

// A capture: rules hit, the default, a non-IP frame, and one frame that
// carries a (stale) generator stamp, which is stamped anew: the hook's
// latency counts exactly its packets, none of them an age of hours.
TEST(PcapReplay, SendsExactlyTheFramesAskedFor) {
  const RuleSet rules = parse_rules(
      "[[rule]]\nname = \"dns\"\naction = \"drop\"\nproto = \"udp\"\ndport = \"53\"\n"
      "[[rule]]\nname = \"web\"\naction = \"drop\"\nproto = \"tcp\"\ndport = \"80\"\n",
      "replay-rules");
  packets::PacketSpec stamped = packets::udp("198.18.0.1", "198.18.0.2", 4000, 9);
  stamped.payload = 18;
  auto stamped_frame = packets::build_frame(stamped);
  xb_gen_stamp stale{XB_GEN_MAGIC, 7, 1};  // sent at boot
  std::memcpy(stamped_frame.data() + XB_GEN_STAMP_L2_OFFSET, &stale, sizeof(stale));
  const std::vector<std::vector<std::uint8_t>> frames = {
      packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 53)),
      packets::build_frame(packets::tcp("2001:db8::1", "2001:db8::2", 1000, 80, packets::kSyn)),
      packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 123)), packets::arp_frame(), stamped_frame};
  const std::string path = "/tmp/" + unique_name("xbpcap") + ".pcap";
  fixtures::write_pcap(path, frames);
  TrafficProfile traffic;
  traffic.rate_pps = 20000;
  traffic.file = std::make_shared<TrafficFile>(read_traffic_file(path, traffic));
  std::filesystem::remove(path);
  const std::uint64_t count = 1000;
  Rig rig("veth-pair", traffic);
  rig.use_rules(CompiledRuleSet(rules));
  const auto hook = make_hook_under_test("xdp-native", rig.topology(), CompiledRuleSet(rules), rig.state_paths());
  const Trial t = rig.trial(*hook, {.seconds = 20, .warmup_s = 0, .max_packets = count});
  EXPECT_EQ(t.offered, count);
  expect_tallies(*hook, expected_tallies(rules, frames, count));
  EXPECT_EQ(t.hook_latency.count(), count / frames.size());
  EXPECT_LT(t.hook_max, 10'000'000'000u);  // a stale stamp would read as the time since boot
}

nlohmann::json run_json(const std::string& args, std::string* out = nullptr) {
  const std::string json_path = "/tmp/" + unique_name("xbreplay") + ".json";
  const std::string text = run_command(XDPBENCH_PATH " run " + args + " --json=" + json_path);
  std::printf("%s\n%s", args.c_str(), text.c_str());
  if (out) *out = text;
  std::ifstream in(json_path);
  nlohmann::json doc = nlohmann::json::parse(in);  // not const: returned by move
  std::filesystem::remove(json_path);
  return doc;
}

// Every trial of the run, the ceiling's too, sends exactly --count.
void expect_every_trial_sent(const nlohmann::json& doc, std::uint64_t count) {
  for (const auto& t : doc["generator_ceiling"]["trials"]) EXPECT_EQ(t["offered"].get<std::uint64_t>(), count);
  for (const auto& r : doc["results"]) {
    const auto& t = r["trials"][0];
    EXPECT_EQ(t["offered"].get<std::uint64_t>(), count) << r["hook"];
    EXPECT_GE(t["rx"].get<std::uint64_t>(), count) << r["hook"];
    EXPECT_LE(t["rx"].get<std::uint64_t>(), count + kStrayPackets) << r["hook"];
  }
}

TEST(XdpbenchReplay, TraceThroughTheCli) {
  std::string out;
  const auto doc = run_json("--hook=xdp-native --rules=classbench:" + kData + "acl1_1k --traffic=" + kData +
                                "acl1_1k_trace --repeat=1 --duration=5 --warmup=0 --count=3000 --rate=30000",
                            &out);
  EXPECT_EQ(doc["config"]["traffic_file"]["format"], "classbench-trace");
  EXPECT_EQ(doc["config"]["traffic_file"]["frames"], 8780);
  expect_every_trial_sent(doc, 3000);
  EXPECT_NE(out.find("traffic: the 8780 frames of " + kData + "acl1_1k_trace (classbench-trace)"), std::string::npos)
      << out;
}

TEST(XdpbenchReplay, TwoGeneratorThreadsSendExactlyTheCountBetweenThem) {
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "two generator threads need two CPUs";
  std::string out;
  const auto doc = run_json(
      "--hook=xdp-native --gen-cpus=0,1 --repeat=1 --duration=5 --warmup=0.1 --count=20001 --rate=40000", &out);
  EXPECT_EQ(doc["config"]["gen_cpus"], nlohmann::json({0, 1}));
  expect_every_trial_sent(doc, 20001);
  EXPECT_NE(out.find("2 generator threads on CPUs 0,1"), std::string::npos) << out;
}

// One line naming the file and the record or line, exit 2, no namespace.
TEST(XdpbenchReplay, BadFilesAreRefusedInOneLineLeavingNothing) {
  const std::string dir = "/tmp/" + unique_name("xbbad");
  std::filesystem::create_directory(dir);
  const auto frame = packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 53));
  fixtures::write_pcap(dir + "/truncated.pcap", {frame, frame, frame});
  std::filesystem::resize_file(dir + "/truncated.pcap", std::filesystem::file_size(dir + "/truncated.pcap") - 10);
  fixtures::write_pcap(dir + "/sll.pcap", {std::vector<std::uint8_t>(40, 0)}, DLT_LINUX_SLL);
  std::ofstream(dir + "/bad_trace") << "1 2 3 4 17 0 0\n1 2 3 4 17 0\n";
  const std::pair<std::string, std::string> cases[] = {
      {"--traffic=" + dir + "/truncated.pcap", "xdpbench: --traffic=" + dir + "/truncated.pcap: record 3: truncated"},
      {"--traffic=" + dir + "/sll.pcap", "xdpbench: --traffic=" + dir + "/sll.pcap: link type LINUX_SLL"},
      {"--traffic=" + dir + "/bad_trace", "xdpbench: --traffic=" + dir + "/bad_trace:2: expected SRC DST"},
      {"--traffic=" + dir + "/sll.pcap --size=128", "xdpbench: --traffic=" + dir + "/sll.pcap: link type"},
      {"--traffic=" + kData + "acl1_1k_trace --flows=8", "xdpbench: --flows: with --traffic the frames are the file's"},
      {"--cpu=0,1 --gen-cpus=0,1", "xdpbench: --cpu=0,1 and --gen-cpus: the DUT's CPU 1 must not be a generator CPU"},
      {"--gen-cpus=0,0", "xdpbench: --gen-cpus: CPU 0 is listed twice"},
  };
  for (const auto& [args, want] : cases) {
    // its pid, so that only its own namespaces (xbr<pid>-*) and pins are
    // looked for: other runs may share the machine
    const std::string pid_file = dir + "/pid";
    const auto r = testing::run_cli("sh -c 'echo $$ >" + pid_file + "; exec " XDPBENCH_PATH " \"$@\"' sh",
                                    "run --hook=xdp-native --repeat=1 --duration=0.2 " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind(want, 0), 0u) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    std::string pid;
    std::ifstream(pid_file) >> pid;
    ASSERT_FALSE(pid.empty());
    EXPECT_EQ(run_command("ip netns list | grep -c '^xbr" + pid + "-' || true"), "0\n") << args;
    EXPECT_FALSE(std::filesystem::exists("/sys/fs/bpf/xdpbench_run" + pid)) << args;
    EXPECT_FALSE(std::filesystem::exists("/run/xdpbench/run" + pid)) << args;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xb::bench
