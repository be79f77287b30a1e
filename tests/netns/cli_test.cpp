// Bad input to xdpfilter: one clear line naming the place, exit code 2, and
// nothing attached, pinned or recorded afterwards.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "classbench_rules.hpp"
#include "cli_runner.hpp"
#include "rule_compiler.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

class CliBadInput : public ::testing::Test {
 protected:
  IsolatedStore store_;
  VethTopology topo_;

  ~CliBadInput() override { run_xdpfilter("detach --all"); }

  std::string where() const { return " --iface=" + topo_.dut_if + " --netns=" + topo_.dut_ns; }

  // Nothing of ours anywhere: no record, no pin, no XDP program, no clsact.
  void expect_nothing_changed() {
    EXPECT_EQ(run_xdpfilter("status").out, "");
    EXPECT_FALSE(std::filesystem::exists(store_.pin_root) && !std::filesystem::is_empty(store_.pin_root));
    for (const auto& dev : {topo_.dut_if, std::string("lo")}) {
      EXPECT_EQ(run_command("ip -n " + topo_.dut_ns + " link show dev " + dev).find("xdp"), std::string::npos);
      EXPECT_EQ(run_command("tc -n " + topo_.dut_ns + " qdisc show dev " + dev).find("clsact"), std::string::npos);
    }
  }

  void expect_error(const std::string& args, const std::string& message, const std::string& prefix = "") {
    const CliResult r = run_xdpfilter(args, prefix);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err, "xdpfilter: " + message + "\n") << args;
    EXPECT_EQ(r.out, "") << args;
    expect_nothing_changed();
  }
};

TEST_F(CliBadInput, UnknownHook) {
  expect_error("attach --hook=xdp-turbo" + where(),
               "--hook: unknown hook 'xdp-turbo': expected one of xdp-native, xdp-generic, tc-cls, tc-act, tcx, "
               "socket-filter, cgroup-skb, netfilter, lwt-in, lwt-out, lwt-xmit");
}

TEST_F(CliBadInput, MissingInterface) {
  expect_error("attach --hook=xdp-native --iface=nope0 --netns=" + topo_.dut_ns,
               "interface 'nope0' not found in netns " + topo_.dut_ns);
}

TEST_F(CliBadInput, MissingNetns) {
  expect_error("attach --hook=tc-cls --iface=" + topo_.dut_if + " --netns=xb-no-such-ns",
               "netns 'xb-no-such-ns' (/run/netns/xb-no-such-ns): No such file or directory");
}

TEST_F(CliBadInput, NoNativeXdpOnLoopback) {
  expect_error("attach --hook=xdp-native --iface=lo --netns=" + topo_.dut_ns,
               "attach xdp-native on lo: Operation not supported (the driver has no native XDP: try "
               "--hook=xdp-generic)");
}

TEST_F(CliBadInput, XdpHasNoEgress) {
  expect_error("attach --hook=xdp-generic --direction=egress" + where(),
               "--direction=egress: xdp-generic sees received packets only (use --hook=tc-cls)");
}

TEST_F(CliBadInput, BadRuleFileNamesLineAndColumn) {
  const std::string path = "/tmp/" + unique_name("xbbad") + ".toml";
  std::ofstream(path) << "[[rule]]\naction = \"drop\"\nproto = \"tcp\"\ndport = \"22-\"\n";
  expect_error("attach --hook=tc-cls" + where() + " --rules=" + path,
               path + ":4:9: 'dport' = \"22-\": expected a port or a range such as \"1024-65535\"");
  std::remove(path.c_str());
}

TEST_F(CliBadInput, NotRoot) {
  expect_error("attach --hook=tc-cls" + where(),
               "xdpfilter needs root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces): run it with sudo",
               "setpriv --reuid=65534 --regid=65534 --clear-groups");
}

TEST_F(CliBadInput, MissingRequiredOption) {
  const CliResult r = run_xdpfilter("attach --hook=tc-cls");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--iface is required"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(CliBadInput, AlreadyAttachedLeavesTheFirstInPlace) {
  ASSERT_EQ(run_xdpfilter("attach --hook=tc-cls" + where()).exit_code, 0);
  const CliResult again = run_xdpfilter("attach --hook=tc-cls" + where());
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("tc-cls ingress on " + topo_.dut_if + " (netns " + topo_.dut_ns + ") is already attached"),
            std::string::npos)
      << again.err;
  EXPECT_NE(run_xdpfilter("status").out.find("tc-cls"), std::string::npos);
  EXPECT_EQ(run_xdpfilter("detach --hook=tc-cls" + where()).exit_code, 0);
  expect_nothing_changed();
}

// A filter's tables all have the size fixed at attach (the verifier checks
// the program against it): a reload that needs more is refused and the old
// table stays; --table-capacity makes room up front.
TEST_F(CliBadInput, ReloadBeyondTheTableCapacityIsRefused) {
  const std::string big = std::string(XB_TEST_DATA) + "/classbench/ipc1_10k";
  ASSERT_EQ(run_xdpfilter("attach --hook=tc-cls" + where()).exit_code, 0);
  const std::string before = run_xdpfilter("status").out;
  const CliResult reload = run_xdpfilter("reload --hook=tc-cls" + where() + " --rules=" + big);
  EXPECT_EQ(reload.exit_code, 2);
  const std::size_t kib = compile_rules(load_classbench_file(big, Action::Drop)).bytes() / 1024;
  EXPECT_NE(reload.err.find(fmt::format("the rules compile to a {} KiB table, more than the 512 KiB", kib)),
            std::string::npos)
      << reload.err;
  EXPECT_NE(reload.err.find("--table-capacity"), std::string::npos) << reload.err;
  EXPECT_EQ(run_xdpfilter("status").out, before);
  EXPECT_EQ(run_xdpfilter("detach --hook=tc-cls" + where()).exit_code, 0);

  ASSERT_EQ(run_xdpfilter("attach --hook=tc-cls --table-capacity=2M" + where()).exit_code, 0);
  const CliResult roomy = run_xdpfilter("reload --hook=tc-cls" + where() + " --rules=" + big);
  EXPECT_EQ(roomy.exit_code, 0) << roomy.err;
  EXPECT_NE(run_xdpfilter("status").out.find("ipc1_10k"), std::string::npos);
  EXPECT_EQ(run_xdpfilter("detach --hook=tc-cls" + where()).exit_code, 0);
  expect_nothing_changed();
}

TEST_F(CliBadInput, TableCapacityOverTheLimit) {
  const CliResult r = run_xdpfilter("attach --hook=tc-cls --table-capacity=1G" + where());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--table-capacity"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(CliBadInput, DetachWhatIsNotThere) {
  expect_error("detach --hook=xdp-native" + where(),
               "no xdpbench filter attached matches the given --hook/--iface/--netns/--cgroup");
}

}  // namespace
}  // namespace xb::testing
