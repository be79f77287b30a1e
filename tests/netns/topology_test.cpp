// The rig's topologies come and go without trace and name the place of an
// error in their files; `xdpbench cleanup` removes what dead runs left.
// Namespaces only, no traffic. (The rig with traffic:
// tests/rig/xdpbench_run_test.cpp.)
#include "topology.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "errors.hpp"
#include "test_namespaces.hpp"

namespace xb::bench {
namespace {

std::string namespaces_with(const std::string& prefix) {
  return testing::run_command("ip netns list | grep '^" + prefix + "' || true");
}

TEST(Topology, EveryTopologyComesAndGoesWithoutTrace) {
  for (const char* name : {"veth-pair", "router"}) {
    const std::string prefix = testing::unique_name("xbtopo") + "-";
    {
      Topology topo(load_topology(name), prefix);
      EXPECT_NE(namespaces_with(prefix), "") << name;
      EXPECT_GT(topo.generator().ifindex, 0);
      EXPECT_EQ(topo.sink().has_value(), std::string(name) == "router");
    }
    EXPECT_EQ(namespaces_with(prefix), "") << name;
  }
}

// `xdpbench cleanup` removes what a run that is gone left (its namespaces,
// state and pins) and nothing of a run still going.
TEST(XdpbenchCleanup, RemovesWhatDeadRunsLeftOnly) {
  const pid_t dead = ::fork();  // a pid that was a process and is no more
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  const std::string alive = std::to_string(::getpid()), gone = std::to_string(dead);
  const std::vector<std::string> namespaces = {"xbr" + gone + "-t", "xbr" + alive + "-t"};
  const std::vector<std::filesystem::path> dirs = {"/run/xdpbench/run" + gone, "/sys/fs/bpf/xdpbench_run" + gone,
                                                   "/run/xdpbench/run" + alive};
  struct Made {  // removed however the test ends
    const std::vector<std::string>& ns;
    const std::vector<std::filesystem::path>& dirs;
    ~Made() {
      std::error_code ec;
      for (const auto& n : ns) testing::run_command("ip netns del " + n + " 2>/dev/null || true");
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  } made{namespaces, dirs};
  for (const auto& n : namespaces) ASSERT_EQ(testing::run_command("ip netns add " + n + " && echo ok"), "ok\n");
  for (const auto& d : dirs) std::filesystem::create_directories(d);

  const std::string out = testing::run_command(XDPBENCH_PATH " cleanup");
  // (other dead runs' leftovers on the machine may be counted too)
  EXPECT_NE(out.find(" of runs no longer running"), std::string::npos) << out;
  EXPECT_EQ(namespaces_with("xbr" + gone + "-"), "");
  EXPECT_FALSE(std::filesystem::exists(dirs[0]));
  EXPECT_FALSE(std::filesystem::exists(dirs[1]));
  EXPECT_NE(namespaces_with("xbr" + alive + "-"), "") << "a live run's namespace is left alone";
  EXPECT_TRUE(std::filesystem::exists(dirs[2])) << "a live run's state is left alone";
}

TEST(Topology, BadFilesNameTheLineAndColumn) {
  const std::string text =
      "[[namespace]]\nname = \"gen\"\n\n[[veth]]\na = { ns = \"gen\", dev = \"g0\" }\n"
      "b = { ns = \"dux\", dev = \"d0\" }\n";
  try {
    parse_topology(text, "bad.toml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bad.toml:6:5: no [[namespace]] named 'dux'");
  }
}

}  // namespace
}  // namespace xb::bench
