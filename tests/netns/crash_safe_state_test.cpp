// Crash-safe state: xdpfilter killed (SIGKILL, injected with
// XDPBENCH_DEBUG_KILL_AT=<step>) at each step of attach, reload and detach
// leaves the old state or the new one, never half of each: `status` tells
// the truth afterwards (checked against the kernel and the pins), and
// `detach --all` cleans up. Two xdpfilters on one target are serialised.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_runner.hpp"
#include "temp_file.hpp"
#include "test_namespaces.hpp"
#include "test_params.hpp"

namespace xb::testing {
namespace {

using nlohmann::json;

const char* kThreeRules = R"(
[[rule]]
name = "a"
action = "drop"
proto = "udp"
dport = 9999
[[rule]]
name = "b"
action = "drop"
proto = "tcp"
dport = 7777
[[rule]]
name = "c"
action = "pass"
proto = "udp"
dport = 8888
)";

const char* kOneRule = R"(
[[rule]]
name = "only"
action = "pass"
proto = "udp"
dport = 9999
)";

bool killed(const CliResult& r) { return r.exit_code == -1 || r.exit_code == 128 + 9; }

struct Step {
  const char* command;  // attach, reload, detach
  const char* name;     // the knob's value
  bool new_state;       // what must be there afterwards: the change done
};

// ctest names a case by what gtest prints: the step, not its bytes
void PrintTo(const Step& s, std::ostream* os) { *os << s.name; }

// Every step the knob names, and the state each must leave.
const Step kSteps[] = {
    {"attach", "attach-journaled", false}, {"attach", "attach-attached", false},  {"attach", "attach-pinned", false},
    {"attach", "attach-recorded", true},   {"reload", "reload-journaled", false}, {"reload", "reload-installed", true},
    {"reload", "reload-recorded", true},   {"detach", "detach-journaled", true},  {"detach", "detach-detached", true},
    {"detach", "detach-unpinned", true},
};

class KillMatrix : public ::testing::TestWithParam<std::tuple<std::string, Step>> {
 protected:
  IsolatedStore store_;
  VethTopology topo_;
  const TempFile three_{kThreeRules, ".toml"};
  const TempFile one_{kOneRule, ".toml"};

  // a route of the DUT's own for the route hooks
  static constexpr const char* kRoute = "198.51.100.0/24";

  void SetUp() override {
    if (hook().starts_with("lwt")) {
      ASSERT_EQ(run_command("ip -n " + topo_.dut_ns + " route add " + kRoute + " dev " + topo_.dut_if + " && echo ok"),
                "ok\n");
    }
  }
  ~KillMatrix() override { run_xdpfilter("detach --all"); }
  const std::string& hook() const { return std::get<0>(GetParam()); }
  const Step& step() const { return std::get<1>(GetParam()); }
  std::string selector() const {
    if (hook().starts_with("lwt")) return "--hook=" + hook() + " --route=" + kRoute + " --netns=" + topo_.dut_ns;
    return "--hook=" + hook() + " --iface=" + topo_.dut_if + " --netns=" + topo_.dut_ns;
  }

  json status() {
    const auto r = run_xdpfilter("status --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // What the kernel holds, apart from our records: the filter where the hook
  // puts it (and for tc-cls the clsact qdisc it made). tcx's link is checked
  // through its pin.
  void expect_in_kernel(bool attached) {
    const std::string ns = " -n " + topo_.dut_ns;
    auto shows = [](const std::string& command, const std::string& what) {
      return run_command(command).find(what) != std::string::npos;
    };
    if (hook().starts_with("xdp")) {
      EXPECT_EQ(shows("ip" + ns + " link show dev " + topo_.dut_if, "xdp"), attached);
    }
    if (hook() == "tc-cls") {
      EXPECT_EQ(shows("tc" + ns + " filter show dev " + topo_.dut_if + " ingress", "bpf"), attached);
      EXPECT_EQ(shows("tc" + ns + " qdisc show dev " + topo_.dut_if, "clsact"), attached);
    }
    if (hook().starts_with("lwt")) {
      const std::string route = run_command("ip" + ns + " route show " + kRoute);
      EXPECT_EQ(route.find("encap bpf") != std::string::npos, attached) << route;
      EXPECT_NE(route.find(kRoute), std::string::npos) << "the route itself stays: " << route;
    }
  }
  bool anything_pinned() {
    std::error_code ec;
    return std::filesystem::exists(store_.pin_root, ec) && !std::filesystem::is_empty(store_.pin_root, ec);
  }
  // the rules in the table in use, as the counters see them
  std::size_t rules_in_use() {
    const auto r = run_xdpfilter("stats --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out).at(0).at("rules").size();
  }
};

TEST_P(KillMatrix, LeavesTheOldOrTheNewState) {
  const Step& s = step();
  const std::string kill = std::string("XDPBENCH_DEBUG_KILL_AT=") + s.name;
  if (std::string(s.command) != "attach") {
    const auto r = run_xdpfilter("attach " + selector() + " --rules=" + three_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  CliResult r;
  if (std::string(s.command) == "attach") r = run_xdpfilter("attach " + selector() + " --rules=" + three_.path(), kill);
  if (std::string(s.command) == "reload")
    r = run_xdpfilter("reload --hook=" + hook() + " --rules=" + one_.path(), kill);
  if (std::string(s.command) == "detach") r = run_xdpfilter("detach --hook=" + hook(), kill);
  ASSERT_TRUE(killed(r)) << "exit " << r.exit_code << ": " << r.err;

  // status first: it finishes or undoes what the killed process left
  const json st = status();
  const bool attached_after = std::string(s.command) == "attach"   ? s.new_state
                              : std::string(s.command) == "detach" ? !s.new_state
                                                                   : true;
  std::string state;
  if (!attached_after) {
    EXPECT_EQ(st.size(), 0u) << st.dump();
    EXPECT_FALSE(anything_pinned());
    expect_in_kernel(false);
    state = "nothing attached";
  } else {
    ASSERT_EQ(st.size(), 1u) << st.dump();
    EXPECT_EQ(st[0]["live"], true);
    EXPECT_TRUE(anything_pinned());
    expect_in_kernel(true);
    const std::size_t want_rules = std::string(s.command) == "reload" && s.new_state ? 1 : 3;
    EXPECT_EQ(st[0]["rules"], want_rules) << "the record";
    EXPECT_EQ(rules_in_use(), want_rules) << "the table in use";
    state = want_rules == 1 ? "attached, the reloaded rules in record and table"
                            : "attached, the first rules in record and table";
  }
  std::printf("[  MATRIX  ] %s %s killed at %s: %s (%s state)\n", hook().c_str(), s.command, s.name, state.c_str(),
              s.new_state ? "new" : "old");

  // and detach --all always cleans up
  const auto d = run_xdpfilter("detach --all");
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(status().size(), 0u);
  EXPECT_FALSE(anything_pinned());
  expect_in_kernel(false);
  // and the target takes a filter again
  const auto again = run_xdpfilter("attach " + selector() + " --rules=" + three_.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

std::string matrix_name(const ::testing::TestParamInfo<std::tuple<std::string, Step>>& info) {
  return gtest_name(std::get<0>(info.param) + "_" + std::get<1>(info.param).name);
}

INSTANTIATE_TEST_SUITE_P(StepsByCommand, KillMatrix,
                         ::testing::Combine(::testing::Values("xdp-generic", "tcx", "tc-cls", "lwt-xmit"),
                                            ::testing::ValuesIn(kSteps)),
                         matrix_name);

// Two xdpfilters attaching to one target at once: one attaches, the other
// is refused with a clear message, and one filter is left.
TEST(StateLock, SecondAttachOnATargetIsRefusedClearly) {
  IsolatedStore store;
  VethTopology topo;
  const TempFile rules(kThreeRules, ".toml");
  const std::string sel = "--hook=xdp-generic --iface=" + topo.dut_if + " --netns=" + topo.dut_ns;
  for (int round = 0; round < 5; ++round) {
    CliResult a, b;
    std::thread first([&] { a = run_xdpfilter("attach " + sel + " --rules=" + rules.path()); });
    std::thread second([&] { b = run_xdpfilter("attach " + sel + " --rules=" + rules.path()); });
    first.join();
    second.join();
    EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << b.err;
    const CliResult& refused = a.exit_code == 0 ? b : a;
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("is already attached"), std::string::npos) << refused.err;
    const auto st = json::parse(run_xdpfilter("status --json").out);
    EXPECT_EQ(st.size(), 1u);
    EXPECT_EQ(run_xdpfilter("detach --all").exit_code, 0);
  }
}

// State files and pins are root's alone: directories 0700, files 0600,
// whatever the umask, and a state directory made wider before is narrowed.
TEST(PrivateState, RecordsJournalLockAndPinsAreRootOnly) {
  IsolatedStore store;
  VethTopology topo;
  const TempFile rules(kThreeRules, ".toml");
  std::filesystem::create_directories(store.state_dir);
  std::filesystem::permissions(store.state_dir, std::filesystem::perms(0755));
  const std::string sel = "--hook=xdp-generic --iface=" + topo.dut_if + " --netns=" + topo.dut_ns;
  // umask 0 would leave every file as wide as it was asked for
  ASSERT_EQ(
      run_xdpfilter("attach " + sel + " --rules=" + rules.path(), "sh -c 'umask 0; exec \"$0\" \"$@\"'").exit_code, 0);
  // a reload killed after its journal entry leaves the journal behind to look at
  run_xdpfilter("reload " + sel + " --rules=" + rules.path(), "env XDPBENCH_DEBUG_KILL_AT=reload-journaled");
  auto mode_of = [](const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  int files = 0, dirs = 0;
  for (const std::string& root : {store.state_dir, store.pin_root}) {
    EXPECT_EQ(mode_of(root), 0700u) << root;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      const bool dir = e.is_directory();
      (dir ? dirs : files)++;
      EXPECT_EQ(mode_of(e.path()), dir ? 0700u : 0600u) << e.path();
    }
  }
  EXPECT_GE(files, 4) << "a record, the lock, a journal entry and pins";
  EXPECT_GE(dirs, 2) << "the journal and a pin directory";
  EXPECT_EQ(run_xdpfilter("detach --all").exit_code, 0);
}

}  // namespace
}  // namespace xb::testing
