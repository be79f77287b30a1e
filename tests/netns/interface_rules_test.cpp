// Rules that name interfaces (iif/oif), decided where the filter sits: at
// ingress the packet's input interface is the one the filter is attached to,
// at egress its output interface; with real traffic through a veth pair.
// The other interface, and any at hooks tied to none, is refused at attach.
// So are address types (src-type/dst-type): from the local routing table
// of the namespace the filter sits in (the packet-level proof against the
// kernel's addrtype match is iptables_roundtrip_test's).
#include <gtest/gtest.h>
#include <unistd.h>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "rule_set.hpp"
#include "test_namespaces.hpp"
#include "traffic.hpp"

namespace xb {
namespace {

using namespace std::chrono_literals;
using testing::VethTopology;

class InterfaceRules : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }

  AttachRequest request(Hook hook, Direction direction = Direction::Ingress) const {
    AttachRequest req;
    req.hook = hook;
    req.direction = direction;
    req.netns = topo_.dut_ns;
    TargetFlags flags;
    if (hook == Hook::Netfilter)
      flags.nf_hook = "input";
    else
      flags.iface = topo_.dut_if;
    req.target = hook_target(hook, flags);
    return req;
  }

  // The DUT interface's name as a prefix ("dut123+"), so a test's unique
  // name is matched by the rule iptables users write for a family of them.
  std::string dut_prefix() const { return topo_.dut_if.substr(0, 3) + "+"; }

  VethTopology topo_;
  testing::ScratchAttachments scratch_{"xbif"};
  const StatePaths& state_ = scratch_.paths();
};

TEST_F(InterfaceRules, DecidedByTheInterfaceTheFilterSitsOn) {
  const std::string rules =
      "[[rule]]\nname = \"from-lo\"\naction = \"drop\"\nproto = \"udp\"\ndport = 9\niif = \"lo\"\n"
      "[[rule]]\nname = \"from-dut\"\naction = \"drop\"\nproto = \"udp\"\ndport = 10\niif = \"" +
      dut_prefix() + "\"\n";
  const AttachmentRecord in =
      attach_filter(state_, request(Hook::XdpGeneric), CompiledRuleSet(parse_rules(rules, "if.toml")));
  testing::UdpReceiver nine(topo_.dut_ns, 9), ten(topo_.dut_ns, 10);
  testing::send_udp(topo_.gen_ns, VethTopology::kDutAddr, 9, 3);
  testing::send_udp(topo_.gen_ns, VethTopology::kDutAddr, 10, 3);
  EXPECT_EQ(nine.wait_for(3, 2s), 3u) << "iif lo: never the input interface here";
  EXPECT_EQ(ten.wait_for(1, 300ms), 0u) << "iif " << dut_prefix() << ": every packet here";
  const CounterSnapshot c = read_filter_counters(state_, in);
  EXPECT_EQ(c.rules.at(0).packets, 0u);
  EXPECT_EQ(c.rules.at(1).packets, 3u);

  // at egress the interface is the output one
  const AttachmentRecord out =
      attach_filter(state_, request(Hook::TcCls, Direction::Egress),
                    CompiledRuleSet(parse_rules("[[rule]]\nname = \"to-dut\"\naction = \"drop\"\nproto = \"udp\"\n"
                                                "dport = 11\noif = \"" +
                                                    topo_.dut_if + "\"\n",
                                                "out.toml")));
  testing::UdpReceiver eleven(topo_.gen_ns, 11);
  testing::send_udp(topo_.dut_ns, VethTopology::kGenAddr, 11, 3);
  EXPECT_EQ(eleven.wait_for(1, 300ms), 0u);
  EXPECT_EQ(read_filter_counters(state_, out).rules.at(0).packets, 3u);
}

TEST_F(InterfaceRules, AddressTypesDecidedByTheNamespacesOwnAddresses) {
  // the DUT's address is local in its namespace only: decided from the
  // host's table, "to-me" would match nothing and "not-to-me" everything
  const std::string rules =
      "[[rule]]\nname = \"to-me\"\naction = \"drop\"\nproto = \"udp\"\ndport = 12\ndst-type = \"local\"\n"
      "[[rule]]\nname = \"not-to-me\"\naction = \"drop\"\nproto = \"udp\"\ndport = 13\ndst-type = \"!local\"\n";
  const AttachmentRecord in =
      attach_filter(state_, request(Hook::XdpNative), CompiledRuleSet(parse_rules(rules, "types.toml")));
  testing::UdpReceiver twelve(topo_.dut_ns, 12), thirteen(topo_.dut_ns, 13);
  testing::send_udp(topo_.gen_ns, VethTopology::kDutAddr, 12, 3);
  testing::send_udp(topo_.gen_ns, VethTopology::kDutAddr, 13, 3);
  EXPECT_EQ(thirteen.wait_for(3, 2s), 3u);
  EXPECT_EQ(twelve.wait_for(1, 300ms), 0u);
  const CounterSnapshot c = read_filter_counters(state_, in);
  EXPECT_EQ(c.rules.at(0).packets, 3u);
  EXPECT_EQ(c.rules.at(1).packets, 0u);

  // a cgroup's sockets may sit in any namespace
  AttachRequest cgroup;
  cgroup.hook = Hook::CgroupSkb;
  cgroup.netns = topo_.dut_ns;
  TargetFlags flags;
  flags.cgroup = "/sys/fs/cgroup";
  cgroup.target = hook_target(Hook::CgroupSkb, flags);
  try {
    attach_filter(state_, cgroup, CompiledRuleSet(parse_rules(rules, "types.toml")));
    ADD_FAILURE() << "cgroup-skb took address types";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot know whose addresses are local (a cgroup's sockets may live in any "
                                         "network namespace): rule 'to-me' at types.toml:1:1 names dst-type local"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(InterfaceRules, RefusedWhereTheHookDoesNotKnowTheInterface) {
  const auto refusal = [&](const AttachRequest& req, const std::string& rule) {
    try {
      attach_filter(state_, req, CompiledRuleSet(parse_rules("[[rule]]\naction = \"drop\"\n" + rule, "r.toml")));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(attached)");
  };
  const std::string where = "ingress on " + topo_.dut_if + " (netns " + topo_.dut_ns + ")";
  EXPECT_EQ(refusal(request(Hook::XdpNative), "oif = \"eth0\"\n"),
            "xdp-native " + where +
                " does not know a packet's output interface (routing picks it after the hook): rule '#0' at r.toml:1:1 "
                "names oif = \"eth0\"");
  EXPECT_EQ(refusal(request(Hook::TcCls, Direction::Egress), "iif = \"!lo\"\n"),
            "tc-cls egress on " + topo_.dut_if + " (netns " + topo_.dut_ns +
                ") does not know a packet's input interface (it sees packets leaving one interface): rule '#0' at "
                "r.toml:1:1 names iif = \"!lo\"");
  const std::string nf = refusal(request(Hook::Netfilter), "iif = \"lo\"\n");
  EXPECT_NE(nf.find("does not know a packet's input interface (it is tied to no interface): rule '#0' at r.toml:1:1 "
                    "names iif = \"lo\""),
            std::string::npos)
      << nf;
  EXPECT_TRUE(AttachmentStore(state_).list().empty());
}

}  // namespace
}  // namespace xb
