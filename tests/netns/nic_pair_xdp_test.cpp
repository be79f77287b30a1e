// The filter at native XDP on two interfaces cabled to each other, as a lab
// has them: XB_TEST_GEN_IF and XB_TEST_DUT_IF name them (in Debian's own
// kernel under qemu, two virtio-net NICs qemu joins:
// tests/vm/virtio-xdp-in-vm.sh); without them a veth pair of the test's own
// stands in, so the test runs in the netns tier too. Each NIC goes into a
// namespace of the test's (generator, DUT) and back when the test ends.
// Neither end has an address or IPv6, so neither answers nor chatters:
// every frame the DUT's hook counts is one the generator sent, and the
// per-rule counts must equal the reference model's exactly. The generators:
// raw frames from a packet socket, and kernel pktgen where the kernel has
// it (Debian's, as a module; not this project's host kernel).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_runner.hpp"
#include "packet_builder.hpp"
#include "pktgen_engine.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "temp_file.hpp"
#include "test_namespaces.hpp"
#include "traffic.hpp"
#include "xdpfilter_stats.hpp"

namespace xb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Frames = std::vector<std::vector<std::uint8_t>>;
using Counts = std::map<std::string, std::uint64_t>;  // what counted a packet -> packets

const char* kRules = R"([defaults]
action = "pass"

[[rule]]
name = "drop-udp-9999"
action = "drop"
proto = "udp"
dport = 9999

[[rule]]
name = "pass-udp-9997-9998"
action = "pass"
proto = "udp"
dport = "9997-9998"

[[rule]]
name = "drop-doc-net"
action = "drop"
src = "203.0.113.128/25"

[[rule]]
name = "drop-tcp-80"
action = "drop"
proto = "tcp"
dport = 80

[[rule]]
name = "drop-v6-dns"
action = "drop"
src = "2001:db8::/32"
proto = "udp"
dport = 53
)";

const char* kReloadedRules = R"([[rule]]
name = "pass-udp-9999"
action = "pass"
proto = "udp"
dport = 9999

[[rule]]
name = "drop-udp-9996-9998"
action = "drop"
proto = "udp"
dport = "9996-9998"

[[rule]]
name = "drop-icmp"
action = "drop"
proto = "icmp"
)";

constexpr const char* kDutAddr = "198.18.0.2";  // in the frames only: the DUT has no address

// A namespace of the test's; a NIC it was lent goes back to the first
// namespace (PID 1's) before it is deleted, so the next test finds it there
// at once rather than after the kernel's asynchronous namespace cleanup.
struct OwnedNetns {
  std::string name = unique_name("xbnic");
  std::string lent_nic;
  OwnedNetns() { run_command("ip netns add " + name); }
  ~OwnedNetns() {
    try {
      if (!lent_nic.empty()) run_command("ip -n " + name + " link set dev " + lent_nic + " netns 1");
      run_command("ip netns del " + name);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  OwnedNetns(const OwnedNetns&) = delete;
  OwnedNetns& operator=(const OwnedNetns&) = delete;
};

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class NicPairXdp : public ::testing::Test {
 protected:
  IsolatedStore store_;
  OwnedNetns gen_, dut_;
  std::string gen_if_ = env_or_empty("XB_TEST_GEN_IF"), dut_if_ = env_or_empty("XB_TEST_DUT_IF");
  std::string gen_mac_, dut_mac_;

  void SetUp() override {
    if (!gen_if_.empty() && !dut_if_.empty()) {
      for (auto [ns, nic] : {std::pair{&gen_, &gen_if_}, std::pair{&dut_, &dut_if_}}) {
        run_command("ip link set dev " + *nic + " netns " + ns->name);
        ns->lent_nic = *nic;
      }
    } else {
      gen_if_ = unique_name("xbng");
      dut_if_ = unique_name("xbnd");
      run_command("ip -n " + gen_.name + " link add " + gen_if_ + " type veth peer name " + dut_if_ + " netns " +
                  dut_.name);
    }
    for (auto [ns, nic] : {std::pair{&gen_, &gen_if_}, std::pair{&dut_, &dut_if_}}) {
      // no IPv6 before the link is up: no router solicitations, MLD or DAD
      run_command("ip netns exec " + ns->name + " sysctl -qw net.ipv6.conf." + *nic + ".disable_ipv6=1");
      run_command("ip -n " + ns->name + " link set dev " + *nic + " up");
    }
    gen_mac_ = mac_of(gen_.name, gen_if_);
    dut_mac_ = mac_of(dut_.name, dut_if_);
    std::printf("generator %s, DUT %s, %s", gen_if_.c_str(), dut_if_.c_str(),
                run_command("ip netns exec " + dut_.name + " ethtool -i " + dut_if_ + " | head -1").c_str());
  }

  void TearDown() override { run_xdpfilter("detach --all"); }

  static std::string mac_of(const std::string& ns, const std::string& nic) {
    return json::parse(run_command("ip -n " + ns + " -j link show dev " + nic)).at(0).at("address");
  }

  std::string dut_link() const { return run_command("ip -n " + dut_.name + " -d link show dev " + dut_if_); }

  // Attaches the filter at native XDP on the DUT's NIC; the program's id.
  std::uint32_t attach(const std::string& rules_path) {
    const auto r = run_xdpfilter("attach --hook=xdp-native --iface=" + dut_if_ + " --netns=" + dut_.name +
                                 " --rules=" + rules_path);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::printf("%s%s", r.out.c_str(), r.err.c_str());
    // driver mode: 'ip -d link' says xdp (generic would be xdpgeneric, offload xdpoffload)
    const std::string link = dut_link();
    EXPECT_NE(link.find("prog/xdp id"), std::string::npos) << link;
    EXPECT_EQ(link.find("xdpgeneric"), std::string::npos) << link;
    std::istringstream lines(link);
    for (std::string line; std::getline(lines, line);)
      if (line.find("xdp") != std::string::npos) std::printf("ip -d link: %s\n", line.c_str());
    const json status = json::parse(run_xdpfilter("status --json").out);
    EXPECT_EQ(status.size(), 1u);
    return status.at(0).at("prog_id").get<std::uint32_t>();
  }
};

// Every counter of the one attachment, by what it counts: a rule's name, or
// "(default)", "(non-IP)", "(malformed)".
Counts read_counts() {
  const json stats = only_stats();
  Counts c;
  for (const auto& r : stats.at("rules")) c[r.at("name").get<std::string>()] = r.at("packets").get<std::uint64_t>();
  c["(default)"] = stats.at("no_match").at("packets").get<std::uint64_t>();
  c["(non-IP)"] = stats.at("non_ip").at("packets").get<std::uint64_t>();
  c["(malformed)"] = stats.at("malformed").at("packets").get<std::uint64_t>();
  return c;
}

std::uint64_t total(const Counts& c) {
  std::uint64_t t = 0;
  for (const auto& [k, v] : c) t += v;
  return t;
}

// after - before, the counters that moved only
Counts moved(const Counts& before, const Counts& after) {
  Counts d;
  for (const auto& [k, v] : after) {
    const auto it = before.find(k);
    if (const std::uint64_t b = it == before.end() ? 0 : it->second; v != b) d[k] = v - b;
  }
  return d;
}

// What the reference model says the counters of `rules` count for `frames`,
// each sent `times` times.
Counts reference_counts(const RuleSet& rules, const Frames& frames, std::uint64_t times) {
  const CompiledTable table = compile_rules(rules);
  Counts c;
  for (const auto& f : frames) {
    const std::uint32_t rule = classify(table, f).rule;
    const std::string key = rule < rules.rules.size()   ? rules.rules[rule].name
                            : rule == XB_RULE_NON_IP    ? "(non-IP)"
                            : rule == XB_RULE_MALFORMED ? "(malformed)"
                                                        : "(default)";
    c[key] += times;
  }
  return c;
}

// Waits until the counters moved by `want` packets since `before` (or the
// deadline passed); what moved.
Counts wait_counted(const Counts& before, std::uint64_t want, std::chrono::seconds deadline_in) {
  const auto deadline = std::chrono::steady_clock::now() + deadline_in;
  Counts d = moved(before, read_counts());
  while (total(d) < want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    d = moved(before, read_counts());
  }
  return d;
}

void print_counts(const std::string& title, const Counts& counts) {
  std::printf("%s:", title.c_str());
  for (const auto& [name, packets] : counts)
    std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(packets));
  std::printf("\n");
}

// Frames aimed at each rule of both rule sets, the default, a non-IP and a
// malformed frame; each at least the 60 bytes of a minimal Ethernet frame,
// so that no driver's padding changes what the filter reads.
Frames test_frames() {
  using namespace packets;
  Frames f;
  for (const std::uint16_t port : std::initializer_list<std::uint16_t>{9996, 9997, 9998, 9999, 5000})
    f.push_back(build_frame(udp("203.0.113.7", kDutAddr, 40000, port)));
  f.push_back(build_frame(udp("203.0.113.200", kDutAddr, 40000, 123)));
  f.push_back(build_frame(tcp("203.0.113.7", kDutAddr, 40000, 80, kSyn)));
  f.push_back(build_frame(icmp("203.0.113.7", kDutAddr, 8)));
  f.push_back(build_frame(udp("2001:db8::1", "2001:db8::2", 40000, 53)));
  f.push_back(build_frame(udp("2001:db9::1", "2001:db8::2", 40000, 53)));
  auto bad_ihl = build_frame(udp("203.0.113.7", kDutAddr, 40000, 9999));
  bad_ihl[14] = 0x44;  // an IPv4 header of 16 bytes: malformed
  f.push_back(bad_ihl);
  auto arp = arp_frame();
  arp.resize(60);  // padded as a sender pads it
  f.push_back(arp);
  return f;
}

// Sends every frame `times` times, in rounds the receiving ring holds (a
// veth ring is 256 frames; a virtio ring as many), waiting for each round
// to be counted; what the counters counted.
Counts send_and_count(const std::string& ns, const std::string& nic, const std::string& src_mac,
                      const std::string& dst_mac, const Frames& frames, std::uint64_t times) {
  const Counts before = read_counts();
  std::uint64_t sent = 0;
  for (std::uint64_t round = 0; round < times; round += 10) {
    Frames batch;
    for (std::uint64_t i = round; i < std::min(times, round + 10); ++i)
      batch.insert(batch.end(), frames.begin(), frames.end());
    send_frames(ns, nic, src_mac, dst_mac, batch);
    sent += batch.size();
    wait_counted(before, sent, 10s);
  }
  return wait_counted(before, sent, 0s);
}

TEST_F(NicPairXdp, NativeXdpCountsAsTheReferenceModelReloadDetach) {
  const TempFile rules_file(kRules, ".toml"), reloaded_file(kReloadedRules, ".toml");
  const RuleSet rules = parse_rules(kRules, rules_file.path());
  const RuleSet reloaded = parse_rules(kReloadedRules, reloaded_file.path());
  const std::uint32_t prog_id = attach(rules_file.path());
  const Frames frames = test_frames();
  constexpr std::uint64_t kTimes = 50;

  Counts want = reference_counts(rules, frames, kTimes);
  Counts got = send_and_count(gen_.name, gen_if_, gen_mac_, dut_mac_, frames, kTimes);
  EXPECT_EQ(got, want) << "first rule set";
  print_counts("per rule, as the reference model says", got);
  EXPECT_EQ(got.size(), rules.rules.size() + 3) << "every rule and the default, non-IP and malformed counted";

  // reload: the same program, the other table, counted as the model says
  const auto r = run_xdpfilter("reload --rules=" + reloaded_file.path() + " --hook=xdp-native --iface=" + dut_if_ +
                               " --netns=" + dut_.name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(run_xdpfilter("status --json").out).at(0).at("prog_id"), prog_id);
  want = reference_counts(reloaded, frames, kTimes);
  got = send_and_count(gen_.name, gen_if_, gen_mac_, dut_mac_, frames, kTimes);
  EXPECT_EQ(got, want) << "after the reload";
  print_counts("after the reload, per rule, as the reference model says", got);

  // detach: nothing of ours left on the NIC, in the store, in bpffs or the kernel
  const auto d = run_xdpfilter("detach --hook=xdp-native --iface=" + dut_if_ + " --netns=" + dut_.name);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(json::parse(run_xdpfilter("status --json").out).size(), 0u);
  EXPECT_EQ(dut_link().find("prog/xdp"), std::string::npos) << dut_link();
  EXPECT_FALSE(std::filesystem::exists(store_.pin_root));
  EXPECT_TRUE(prog_gone(prog_id));
}

// Kernel pktgen on the generator's NIC, driven as the rig drives it
// (--engine=pktgen: bench/rig/pktgen_engine.hpp), sends a bounded count of
// the template flows: the DUT's counters account for every packet as the
// reference model says of those flows (each sent equally often: pktgen
// walks the source ports in turn).
TEST_F(NicPairXdp, PktgenEnginePacketsAllCountedAsTheReferenceModelSays) {
  bench::TrafficProfile profile;
  profile.engine = "pktgen";
  profile.flows = 4;
  profile.dport = 9998;  // pass-udp-9997-9998
  if (const std::string why = bench::PktgenEngine::unavailable(profile, gen_.name); !why.empty())
    GTEST_SKIP() << why << ": virtio_net_xdp_in_debian_kernel_vm runs it";
  const TempFile rules_file(kRules, ".toml");
  const RuleSet rules = parse_rules(kRules, rules_file.path());
  attach(rules_file.path());
  // neither end has an address: the template's source is one the rules judge
  bench::TopologySpec spec;
  spec.name = "nic-pair";
  spec.target = kDutAddr;
  bench::Endpoint gen{gen_.name, gen_if_, gen_mac_, "203.0.113.7", "", 0};
  bench::Endpoint dut{dut_.name, dut_if_, dut_mac_, kDutAddr, "", 0};
  const bench::Topology topo(spec, gen, dut, dut_mac_);
  constexpr std::uint64_t kCount = 4000;
  Frames one_of_each;
  for (const auto& f : bench::template_flows(topo, profile))
    one_of_each.push_back(packets::build_frame(packets::udp("203.0.113.7", kDutAddr, f.sport, f.dport)));
  const Counts want = reference_counts(rules, one_of_each, kCount / profile.flows);
  const Counts before = read_counts();
  std::uint64_t sent = 0;
  {
    bench::PktgenEngine engine(topo, profile);
    sent = engine.send(kCount, 60);
  }
  EXPECT_EQ(sent, kCount);
  const Counts got = wait_counted(before, kCount, 20s);
  EXPECT_EQ(got, want);
  print_counts("pktgen's " + std::to_string(kCount) + " packets, per rule", got);
  // the engine took its device off pktgen's thread
  EXPECT_EQ(run_command("ip netns exec " + gen_.name + " sh -c 'ls /proc/net/pktgen'").find(gen_if_),
            std::string::npos);
}

}  // namespace
}  // namespace xb::testing
