// xdpbench's CLI where it runs no rig for long, as root: `gate` exits 2 on
// what is not a result; `run --prog` measures a user's object and refuses
// one that does not fit. (`ab` and `run --gbench-json`, which run the rig
// for seconds: tests/rig/xdpbench_gate_test.cpp.)
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_runner.hpp"
#include "scratch_dir.hpp"

namespace xb::testing {
namespace {

TEST(XdpbenchGate, RefusesWhatIsNotAResult) {
  ScratchDir dir;
  const auto bogus = (dir.path / "x.json").string();
  std::ofstream(bogus) << "{\"hello\": 1}";
  const CliResult r = run_cli(XDPBENCH_PATH, "gate --baseline=" + bogus + " --current=" + bogus);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bogus + ": not an xdpbench result file"), std::string::npos) << r.err;
  const CliResult t = run_cli(XDPBENCH_PATH, "gate --baseline=" + bogus + " --current=" + bogus + " --threshold=abc");
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--threshold: 'abc' is not a percentage"), std::string::npos) << t.err;
}

TEST(XdpbenchRunProg, MeasuresAUsersXdpProgram) {
  const CliResult r = run_cli(XDPBENCH_PATH, std::string("run --prog=") + USER_PROGRAMS_OBJ +
                                                 " --section=pass_ipv4 --hook=xdp-native --repeat=1 --duration=0.3");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("xdp-native"), std::string::npos);
  EXPECT_EQ(r.out.find("skipped"), std::string::npos) << r.out;
}

TEST(XdpbenchRunProg, RefusesWithTheVerifiersReason) {
  const CliResult r = run_cli(XDPBENCH_PATH, std::string("run --prog=") + USER_PROGRAMS_OBJ +
                                                 " --section=unchecked_read --hook=xdp-native --repeat=1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the kernel refused it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid access to packet"), std::string::npos) << r.err;
}

TEST(XdpbenchRunProg, RefusesAProgramOfTheWrongType) {
  const CliResult r = run_cli(XDPBENCH_PATH, std::string("run --prog=") + USER_PROGRAMS_OBJ +
                                                 " --section=tc_pass --hook=xdp-native --repeat=1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is a sched_cls program; --hook=xdp-native needs xdp"), std::string::npos) << r.err;
  const CliResult socket = run_cli(XDPBENCH_PATH, std::string("run --prog=") + USER_PROGRAMS_OBJ +
                                                      " --section=pass_ipv4 --hook=socket-filter --repeat=1");
  EXPECT_EQ(socket.exit_code, 2);
  EXPECT_NE(socket.err.find("--hook=socket-filter does not take a user program"), std::string::npos) << socket.err;
}

}  // namespace
}  // namespace xb::testing
