// The rig end to end: a short `xdpbench run --hook=all` builds its topology,
// measures every hook it can next to xdp-noop, writes a JSON result whose
// counts add up, and leaves nothing behind. No timing is asserted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

TEST(XdpbenchRun, AllHooksShortRunWritesConsistentJson) {
  const std::string json_path = "/tmp/" + unique_name("xbrun") + ".json";
  const std::string out = run_command(XDPBENCH_PATH " run --hook=all --repeat=1 --duration=0.3 --warmup=0.1 "
                                      "--count=200000 --json=" + json_path);
  std::printf("%s", out.c_str());
  std::ifstream in(json_path);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::filesystem::remove(json_path);
  EXPECT_EQ(doc["schema"], 1);
  EXPECT_FALSE(doc["environment"]["kernel"].get<std::string>().empty());
  std::set<std::string> measured;
  for (const auto& r : doc["results"]) {
    measured.insert(r["hook"]);
    ASSERT_EQ(r["trials"].size(), 1u);
    const auto& t = r["trials"][0];
    const auto offered = t["offered"].get<std::uint64_t>();
    EXPECT_GT(offered, 0u) << r["hook"];
    EXPECT_LE(offered, 200000u);
    // every packet the program saw it either dropped or passed
    EXPECT_EQ(t["rx"].get<std::uint64_t>(), t["dropped"].get<std::uint64_t>() + t["passed"].get<std::uint64_t>())
        << r["hook"];
  }
  for (const char* hook : {"xdp-noop", "xdp-native", "xdp-generic", "tc-cls", "tcx", "netfilter", "socket-filter"})
    EXPECT_TRUE(measured.count(hook)) << hook;
  EXPECT_TRUE(doc["skipped"].contains("cgroup-skb"));
  EXPECT_EQ(run_command("ip netns list | grep -c '^xbr' || true"), "0\n");
}

}  // namespace
}  // namespace xb::testing
