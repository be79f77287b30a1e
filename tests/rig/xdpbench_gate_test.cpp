// The CI side of xdpbench, end to end as root: `ab` on two identical builds
// passes and on a build with an injected slowdown fails; `run
// --gbench-json` writes what Google Benchmark's tools read, and `gate` on
// three repeats says it cannot claim significance. (`run --prog` and `gate`
// on what is not a result: tests/netns/xdpbench_cli_test.cpp.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "scratch_dir.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A "build" whose xdpbench is this build's with the filter slowed down by a
// known amount of work per packet (the debug knob of bpf/xb_filter_entry.bpf.h).
fs::path slowed_build(const fs::path& root, int extra_work) {
  fs::create_directories(root / "bench");
  const fs::path script = root / "bench" / "xdpbench";
  std::ofstream(script) << "#!/bin/sh\nXDPBENCH_DEBUG_EXTRA_WORK=" << extra_work << " exec " << XDPBENCH_PATH
                        << " \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  return root;
}

const std::string kBuild = fs::path(XDPBENCH_PATH).parent_path().parent_path().string();
// short trials: the gate's statistics need repeats more than long trials
const std::string kRunArgs = "-- --hook=xdp-native --duration=0.5 --warmup=0.2";

TEST(XdpbenchAb, IdenticalBuildsPass) {
  ScratchDir dir;
  const auto md = (dir.path / "gate.md").string();
  const CliResult r = run_cli(XDPBENCH_PATH, "ab --a=" + kBuild + " --b=" + kBuild +
                                                 " --pairs=9 --threshold=10% --markdown=" + md + " " + kRunArgs);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("gate: pass"), std::string::npos) << r.out;
  std::ifstream in(md);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("| xdp-native | rx_mpps (Mpps) | 9/9 |"), std::string::npos) << text;
}

TEST(XdpbenchAb, InjectedSlowdownFails) {
  ScratchDir dir;
  const fs::path slow = slowed_build(dir.path / "slow", 500);
  const CliResult r =
      run_cli(XDPBENCH_PATH, "ab --a=" + kBuild + " --b=" + slow.string() + " --pairs=9 --threshold=10% " + kRunArgs);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("gate: REGRESSION"), std::string::npos) << r.out;
}

TEST(XdpbenchRun, WritesGoogleBenchmarkJsonAndTheGateReadsTheResult) {
  ScratchDir dir;
  const auto result = (dir.path / "r.json").string(), gb = (dir.path / "gb.json").string();
  const CliResult r =
      run_cli(XDPBENCH_PATH,
              "run --hook=xdp-native --repeat=3 --duration=0.3 --warmup=0.1 --json=" + result + " --gbench-json=" + gb);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(gb);
  const json doc = json::parse(in);
  int iterations = 0, medians = 0;
  for (const auto& b : doc.at("benchmarks")) {
    if (b.at("name") == "xdp-native/rx" && b.at("run_type") == "iteration") {
      ++iterations;
      EXPECT_EQ(b.at("time_unit"), "ns");
      EXPECT_GT(b.at("real_time").get<double>(), 0);
      EXPECT_GT(b.at("items_per_second").get<double>(), 0);
    }
    if (b.at("name") == "xdp-native/rx_median") ++medians;
  }
  EXPECT_EQ(iterations, 3);
  EXPECT_EQ(medians, 1);
  EXPECT_TRUE(doc.at("context").contains("num_cpus"));
  // three repeats: the gate compares, then says it cannot claim significance
  const CliResult g = run_cli(XDPBENCH_PATH, "gate --baseline=" + result + " --current=" + result);
  EXPECT_EQ(g.exit_code, 2) << g.out << g.err;
  EXPECT_NE(g.out.find("too few repeats"), std::string::npos) << g.out;
}

}  // namespace
}  // namespace xb::testing
