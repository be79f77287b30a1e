// End to end on a route, as a user would: the router topology (gen -> dut,
// forwarding -> sink) under names unique to the test, a route of the DUT's
// towards the sink, and xdpfilter putting the filter on it at lwt-in,
// lwt-out or lwt-xmit. Real UDP and TCP traffic, forwarded from gen and made
// on the DUT itself, is passed or dropped as the rules say; the counters
// agree with what was sent; reload under traffic; detach puts the route back
// exactly as it was. Then the bad input of the route hooks: one line, exit
// code 2, the routes as they were.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_runner.hpp"
#include "temp_file.hpp"
#include "test_namespaces.hpp"
#include "test_params.hpp"
#include "traffic.hpp"
#include "xdpfilter_stats.hpp"

namespace xb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::uint16_t kDroppedUdp = 9999, kCountedUdp = 8888, kDroppedTcp = 7777, kOpenTcp = 7070;
constexpr std::uint64_t kForwarded = 300, kLocal = 100;
constexpr const char* kRoute = "198.20.0.0/24";
constexpr const char* kTarget = "198.20.0.2";  // on the sink, reached through kRoute

const char* kRules = R"(
[defaults]
action = "pass"

[[rule]]
name = "drop-udp-9999"
action = "drop"
proto = "udp"
dport = 9999

[[rule]]
name = "drop-tcp-7777"
action = "drop"
dst = "198.20.0.2"
proto = "tcp"
dport = 7777

[[rule]]
name = "count-udp-8888"
action = "pass"
proto = "udp"
dport = 8888
)";

const char* kReloadedRules = R"(
[[rule]]
name = "pass-udp-9999"
action = "pass"
proto = "udp"
dport = 9999
)";

// The router topology plus a route of the DUT's that the test owns:
// 198.20.0.0/24 via the sink, with a metric and protocol of its own (so that
// "as before" covers more than the defaults), the sink holding 198.20.0.2.
class RouterTopology {
 public:
  RouterTopology()
      : topology_(bench::load_topology("router"), unique_name("xbl") + "-"),
        gen(topology_.ns("gen")),
        dut(topology_.ns("dut")),
        sink(topology_.ns("sink")) {
    run_command("ip -n " + sink + " addr add " + kTarget + "/32 dev lo");
    run_command("ip -n " + gen + " route add " + kRoute + " via 198.18.0.2");
    run_command("ip -n " + dut + " route add " + kRoute + " via 198.19.0.2 metric 7 proto static");
    // links coming up add and flag routes for a moment (IPv6 link-local,
    // linkdown): wait until two readings 200 ms apart agree (5 s at most)
    std::string last;
    for (int i = 0; i < 25 && dut_routes() != last; ++i) {
      last = dut_routes();
      std::this_thread::sleep_for(200ms);
    }
  }
  // Every IPv4 and IPv6 route of the DUT, of every table, in detail.
  std::string dut_routes() const {
    return run_command("ip -n " + dut + " -4 -d route show table all") +
           run_command("ip -n " + dut + " -6 -d route show table all");
  }

 private:
  bench::Topology topology_;

 public:
  const std::string gen, dut, sink;
};

// Datagrams made in ns itself; returns how many sendto refused with EPERM
// (a drop at lwt-out or lwt-xmit reaches the sender as that error).
std::uint64_t send_local_udp(const std::string& ns, const std::string& addr, std::uint16_t port, std::uint64_t count) {
  UniqueFd fd = socket_in(ns, SOCK_DGRAM);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, addr.c_str(), &to.sin_addr);
  const char payload[32] = "xdpbench local datagram";
  std::uint64_t refused = 0;
  for (std::uint64_t i = 0; i < count; ++i)
    if (::sendto(fd.get(), payload, sizeof(payload), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) < 0) {
      EXPECT_EQ(errno, EPERM);
      ++refused;
    }
  return refused;
}

class LwtEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  IsolatedStore store_;
  RouterTopology topo_;
  const TempFile rules_{kRules, ".toml"};
  const TempFile reloaded_{kReloadedRules, ".toml"};

  ~LwtEndToEnd() override {
    run_xdpfilter("detach --all");  // in case an assertion left early
  }
  const std::string& hook() const { return GetParam(); }
  std::string selector() const {
    return "--hook=" + hook() + " --netns=" + topo_.dut + " --route=" + std::string(kRoute);
  }
  // lwt-in runs on packets the route receives; lwt-out and lwt-xmit on
  // those it sends, the DUT's own included
  bool sees_local() const { return hook() != "lwt-in"; }

  // n datagrams from the DUT itself to each port, with the first rules
  void send_from_dut(std::uint64_t n) {
    EXPECT_EQ(send_local_udp(topo_.dut, kTarget, kDroppedUdp, n), n);  // every one refused: EPERM
    EXPECT_EQ(send_local_udp(topo_.dut, kTarget, kCountedUdp, n), 0u);
  }
};

TEST_P(LwtEndToEnd, AttachFilterCountReloadDetach) {
  const std::string& gen = topo_.gen;
  const std::string& dut = topo_.dut;
  const std::string routes_before = topo_.dut_routes();

  UdpReceiver dropped(topo_.sink, kDroppedUdp), counted(topo_.sink, kCountedUdp);
  UniqueFd open_listener = tcp_listener(topo_.sink, kOpenTcp), dropped_listener = tcp_listener(topo_.sink, kDroppedTcp);

  auto r = run_xdpfilter("attach " + selector() + " --rules=" + rules_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("attached " + hook() + " on route " + kRoute + " (netns " + dut + ")"), 0u) << r.out;

  r = run_xdpfilter("status --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json status = json::parse(r.out);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["hook"], hook());
  EXPECT_EQ(status[0]["route"], kRoute);
  EXPECT_EQ(status[0]["live"], true);
  const auto prog_id = status[0]["prog_id"].get<std::uint32_t>();

  // the same one route, now with our program where the hook says
  const std::string place = hook().substr(4);  // in, out, xmit
  const std::string route = run_command("ip -n " + dut + " route show " + kRoute);
  EXPECT_EQ(std::count(route.begin(), route.end(), '\n'), 1) << route;
  EXPECT_NE(route.find("encap bpf " + place + " xdpfilter:" + hook() + ":" + std::to_string(prog_id)),
            std::string::npos)
      << route;
  EXPECT_NE(route.find("metric 7"), std::string::npos) << route;

  // forwarded UDP: one port dropped, one passed, every datagram counted once
  send_udp(gen, kTarget, kDroppedUdp, kForwarded);
  send_udp(gen, kTarget, kCountedUdp, kForwarded);
  EXPECT_EQ(counted.wait_for(kForwarded, 3s), kForwarded);
  EXPECT_EQ(dropped.wait_for(kForwarded, 200ms), 0u);

  // made on the DUT: lwt-out and lwt-xmit see it, and a drop there is EPERM
  // to the sender (lwt-in: at the end, see there)
  if (sees_local()) {
    send_from_dut(kLocal);
    EXPECT_EQ(counted.wait_for(kForwarded + kLocal, 3s), kForwarded + kLocal);
    EXPECT_EQ(dropped.wait_for(1, 200ms), 0u);
  }
  // TCP through the route: a SYN to the dropped port never gets an answer
  EXPECT_TRUE(tcp_connects(gen, kTarget, kOpenTcp, 2s));
  EXPECT_FALSE(tcp_connects(gen, kTarget, kDroppedTcp, 500ms));

  json stats = only_stats();
  const std::uint64_t local_seen = sees_local() ? kLocal : 0;  // lwt-in: none sent yet
  EXPECT_EQ(packets_of(stats, "drop-udp-9999"), kForwarded + local_seen);
  EXPECT_EQ(packets_of(stats, "count-udp-8888"), kForwarded + local_seen);
  EXPECT_GE(packets_of(stats, "drop-tcp-7777"), 1u);  // the SYN, and retransmits if any

  // Reload under traffic: every forwarded datagram the new table classified
  // is counted by it and delivered: the two numbers are equal.
  const std::uint64_t before_reload = dropped.drain();
  std::thread traffic([&] { send_udp(gen, kTarget, kDroppedUdp, 3000, 3000); });
  std::this_thread::sleep_for(300ms);
  r = run_xdpfilter("reload --rules=" + reloaded_.path() + " " + selector());
  traffic.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t delivered = dropped.wait_for(before_reload + 3000, 1s) - before_reload;
  const std::uint64_t counted_after = packets_of(only_stats(), "pass-udp-9999");
  EXPECT_GT(counted_after, 0u);
  EXPECT_LT(counted_after, 3000u);  // the first 300 ms were on the old table
  EXPECT_EQ(counted_after, delivered);
  EXPECT_EQ(json::parse(run_xdpfilter("status --json").out)[0]["prog_id"], prog_id);  // same program
  // the program's id as `ip route` names it (std::string::append, not `":" +`:
  // GCC 12 at -O3 reports a false -Wrestrict in that operator+)
  const std::string named_id = std::string(":").append(std::to_string(prog_id));
  EXPECT_NE(run_command("ip -n " + dut + " route show " + kRoute).find(named_id),
            std::string::npos);  // on the same route

  if (!sees_local()) {
    // lwt-in does not see what the DUT itself sends through the route. Only
    // now: once the DUT's own packets have made an output route from it,
    // this kernel discards the forwarded packets lwt-in passes (the route's
    // one lwtstate keeps one orig_input, and the output route overwrote it);
    // the note below shows what this kernel does.
    const std::uint64_t counted_before = packets_of(only_stats(), "pass-udp-9999");
    const std::uint64_t delivered_before = dropped.drain();
    EXPECT_EQ(send_local_udp(dut, kTarget, kDroppedUdp, kLocal), 0u);
    EXPECT_EQ(dropped.wait_for(delivered_before + kLocal, 3s), delivered_before + kLocal);
    EXPECT_EQ(packets_of(only_stats(), "pass-udp-9999"), counted_before);
    send_udp(gen, kTarget, kDroppedUdp, 10);
    const std::uint64_t forwarded_after =
        dropped.wait_for(delivered_before + kLocal + 10, 1s) - delivered_before - kLocal;
    std::printf(
        "[   NOTE   ] lwt-in: after the DUT sent through the route, %llu of 10 forwarded datagrams the filter "
        "passed (%llu counted) reached the sink\n",
        static_cast<unsigned long long>(forwarded_after),
        static_cast<unsigned long long>(packets_of(only_stats(), "pass-udp-9999") - counted_before));
  }

  // Detach: the route exactly as before, nothing of ours left, the port open
  r = run_xdpfilter("detach " + selector());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(topo_.dut_routes(), routes_before);
  EXPECT_EQ(json::parse(run_xdpfilter("status --json").out).size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(store_.pin_root));
  EXPECT_TRUE(prog_gone(prog_id));
  const std::uint64_t before = dropped.drain();
  send_udp(gen, kTarget, kDroppedUdp, 10);
  EXPECT_EQ(dropped.wait_for(before + 10, 2s), before + 10);
}

INSTANTIATE_TEST_SUITE_P(Hooks, LwtEndToEnd, ::testing::Values("lwt-in", "lwt-out", "lwt-xmit"), hook_param_name);

// Bad input of the route hooks: one line on stderr, exit code 2, the DUT's
// routes exactly as they were, nothing recorded or pinned.
class LwtBadInput : public ::testing::Test {
 protected:
  IsolatedStore store_;
  RouterTopology topo_;

  ~LwtBadInput() override { run_xdpfilter("detach --all"); }

  std::string on(const std::string& hook, const std::string& route) const {
    return "attach --hook=" + hook + " --netns=" + topo_.dut + " --route=" + route;
  }
  std::string where(const std::string& hook, const std::string& route) const {
    return "attach " + hook + " on route " + route + " (netns " + topo_.dut + "): ";
  }

  void expect_error(const std::string& args, const std::string& message) {
    const std::string before = topo_.dut_routes();
    const CliResult r = run_xdpfilter(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err, "xdpfilter: " + message + "\n") << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(topo_.dut_routes(), before) << args;
    EXPECT_EQ(run_xdpfilter("status").out, "");
    EXPECT_FALSE(std::filesystem::exists(store_.pin_root) && !std::filesystem::is_empty(store_.pin_root));
  }
};

TEST_F(LwtBadInput, NoSuchRoute) {
  expect_error(
      on("lwt-in", "10.65.0.0/16"),
      where("lwt-in", "10.65.0.0/16") + "there is no such route: xdpfilter puts the filter on an existing route");
  expect_error(on("lwt-in", kRoute) + " --table=100",
               "attach lwt-in on route 198.20.0.0/24 table 100 (netns " + topo_.dut +
                   "): there is no such route: xdpfilter puts the filter on an existing route");
}

TEST_F(LwtBadInput, RoutesOfAnotherKind) {
  run_command("ip -n " + topo_.dut + " route add blackhole 10.66.0.0/16");
  expect_error(
      on("lwt-xmit", "10.66.0.0/16"),
      where("lwt-xmit", "10.66.0.0/16") + "the route is a blackhole route: the LWT hooks run on unicast routes");
  expect_error(on("lwt-in", "198.19.0.1") + " --table=local",
               "attach lwt-in on route 198.19.0.1/32 table local (netns " + topo_.dut +
                   "): the route is a local route: the LWT hooks run on unicast routes");
  // an encap someone else put there
  run_command("ip -n " + topo_.dut + " route add 10.68.0.0/16 encap ip id 5 dst 192.0.2.1 dev dut1");
  expect_error(on("lwt-out", "10.68.0.0/16"),
               where("lwt-out", "10.68.0.0/16") +
                   "the route already has an encap (ip) that xdpfilter did not put there: it is left as it is");
  run_command("ip -n " + topo_.dut + " route add 10.67.0.0/16 via 198.19.0.2 metric 5");
  run_command("ip -n " + topo_.dut + " route add 10.67.0.0/16 via 198.19.0.2 metric 6");
  expect_error(on("lwt-in", "10.67.0.0/16"),
               where("lwt-in", "10.67.0.0/16") +
                   "2 routes to that prefix (metrics 5, 6): xdpfilter cannot tell which one is meant");
  run_command("ip -n " + topo_.dut + " route add 10.70.0.0/16 nexthop via 198.19.0.2 nexthop via 198.19.0.3");
  expect_error(on("lwt-in", "10.70.0.0/16"),
               where("lwt-in", "10.70.0.0/16") +
                   "the route has several nexthops (multipath): xdpfilter puts the filter on single-nexthop routes");
}

TEST_F(LwtBadInput, OneHookOfOursPerRoute) {
  ASSERT_EQ(run_xdpfilter(on("lwt-in", kRoute)).exit_code, 0);
  const auto id = json::parse(run_xdpfilter("status --json").out)[0]["prog_id"].get<std::uint32_t>();
  const std::string routes = topo_.dut_routes(), status = run_xdpfilter("status").out;
  const CliResult r = run_xdpfilter(on("lwt-xmit", kRoute));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "xdpfilter: " + where("lwt-xmit", kRoute) + "the route already carries xdpfilter:lwt-in:" +
                       std::to_string(id) + ": one xdpfilter LWT hook per route; detach it first\n");
  EXPECT_EQ(topo_.dut_routes(), routes);
  EXPECT_EQ(run_xdpfilter("status").out, status);  // the first still there, nothing else
  EXPECT_EQ(run_xdpfilter("detach --hook=lwt-in --route=" + std::string(kRoute)).exit_code, 0);
}

TEST_F(LwtBadInput, DirectionsAndWords) {
  expect_error(on("lwt-in", kRoute) + " --direction=egress",
               "--direction=egress: lwt-in sees received packets only (use --hook=lwt-out or lwt-xmit)");
  expect_error(on("lwt-xmit", kRoute) + " --direction=ingress",
               "--direction=ingress: lwt-xmit sees packets the route sends only (use --hook=lwt-in)");
  expect_error("attach --hook=lwt-out --netns=" + topo_.dut, "--route is required for --hook=lwt-out");
  expect_error(on("lwt-in", "198.20.0.1/24"),
               "--route: '198.20.0.1/24' has host bits set: did you mean 198.20.0.0/24?");
  expect_error(on("lwt-in", "nowhere"),
               "--route: 'nowhere' is not an IPv4 or IPv6 prefix (such as 198.19.0.0/24, 2001:db8::/32, default or "
               "::/0)");
  expect_error(on("lwt-in", kRoute) + " --table=main2",
               "--table: 'main2': expected main, local, default or a table number 1 to 4294967295");
  expect_error("attach --hook=tc-cls --iface=dut0 --netns=" + topo_.dut + " --route=" + kRoute,
               "--route and --table are for the lwt hooks, not --hook=tc-cls");
}

// The IPv6 default route, as the rig uses it: attached and put back exactly.
TEST_F(LwtBadInput, Ipv6RouteComesBackAsItWas) {
  const std::string before = topo_.dut_routes();
  const CliResult r = run_xdpfilter(on("lwt-xmit", "::/0"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(run_command("ip -n " + topo_.dut + " -6 route show default").find("encap bpf xmit xdpfilter:lwt-xmit:"),
            std::string::npos);
  EXPECT_EQ(run_xdpfilter("detach --hook=lwt-xmit --route=::/0").exit_code, 0);
  EXPECT_EQ(topo_.dut_routes(), before);
}

// Someone replaced the route under us: detach leaves theirs alone and
// forgets ours (its program went with the route).
TEST_F(LwtBadInput, DetachLeavesARouteSomeoneElseChanged) {
  ASSERT_EQ(run_xdpfilter(on("lwt-in", kRoute)).exit_code, 0);
  run_command("ip -n " + topo_.dut + " route replace " + kRoute + " via 198.19.0.2 metric 7 proto static");
  const std::string theirs = topo_.dut_routes();
  const CliResult r = run_xdpfilter("detach --hook=lwt-in --route=" + std::string(kRoute));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(topo_.dut_routes(), theirs);
  EXPECT_EQ(run_xdpfilter("status").out, "");
}

}  // namespace
}  // namespace xb::testing
