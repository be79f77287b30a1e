// Declarative topologies (topologies/*.toml): namespaces, veth pairs,
// addresses, routes, GRO, and which interfaces generate traffic, are under
// test, and sink it. Built with every namespace name unique to this run
// (prefix + short name) and torn down on destruction — on success, error and
// Ctrl-C alike. Static neighbour entries on every veth keep ARP and ND out of
// counted traffic.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xb::bench {

struct VethEnd {
  std::string ns;  // the spec's short name
  std::string dev;
  std::vector<std::string> addresses;  // "198.18.0.1/24"
  bool gro = false;
};

// A host of a lab (a hosts topology): reached with the system's OpenSSH
// client, where xdpbench runs as an agent (bench/lab/).
struct LabHost {
  std::string name;
  std::string ssh;       // ssh's destination ("root@tg.lab", a Host of ~/.ssh/config); empty: this machine
  std::string xdpbench;  // the xdpbench binary there (default: xdpbench on its PATH)
};

struct TopologySpec {
  std::string name, source;
  // A lab: hosts and the interfaces they already have, which the rig uses
  // and never makes, renames or re-addresses; roles are then "host/iface".
  // Empty: namespaces and veths this machine makes for the run.
  std::vector<LabHost> hosts;
  bool is_lab() const { return !hosts.empty(); }
  struct Namespace {
    std::string name;
    bool forwarding = false;
  };
  std::vector<Namespace> namespaces;
  std::vector<std::pair<VethEnd, VethEnd>> veths;
  struct Route {
    std::string ns, to, via;
  };
  std::vector<Route> routes;
  std::string generator, dut, sink;  // "ns/dev" ("host/dev" in a lab); sink may be empty
  std::string target;                // the traffic's destination address
  std::string target6;               // the same for IPv6 traffic; empty: the topology carries none
};

// A topology file, or an embedded one by name (veth-pair, router). Errors
// name file:line:column.
TopologySpec load_topology(const std::string& name_or_path);
TopologySpec parse_topology(const std::string& text, const std::string& source);

struct Endpoint {
  std::string ns, dev, mac, ip4, ip6;  // ns: the real namespace name
  int ifindex = 0;
};

// Role "a/b" split at its slash: {a, b}.
std::pair<std::string, std::string> split_role(const std::string& role);

class Topology {
 public:
  // prefix: makes every namespace name unique (e.g. "xbr1234-"). queues:
  // transmit and receive queues of every veth end (one per generator thread)
  Topology(const TopologySpec& spec, const std::string& prefix, unsigned queues = 1);
  // A lab's topology, of interfaces that exist already: nothing is made or
  // torn down. Endpoints as their hosts describe them (ns empty there: the
  // host's own namespace); next_hop_mac: the DUT interface's.
  Topology(const TopologySpec& spec, Endpoint generator, Endpoint dut, std::string next_hop_mac,
           std::optional<Endpoint> sink = std::nullopt);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const TopologySpec& spec() const { return spec_; }
  const Endpoint& generator() const { return generator_; }
  const Endpoint& dut() const { return dut_; }
  const std::optional<Endpoint>& sink() const { return sink_; }
  // The MAC the generator's frames are addressed to: its veth peer.
  const std::string& next_hop_mac() const { return next_hop_mac_; }
  std::string ns(const std::string& short_name) const { return prefix_ + short_name; }

 private:
  Endpoint endpoint(const std::string& role) const;
  void teardown();

  TopologySpec spec_;
  std::string prefix_;
  std::vector<std::string> made_;
  Endpoint generator_, dut_;
  std::optional<Endpoint> sink_;
  std::string next_hop_mac_;
};

}  // namespace xb::bench
