#include "topology.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "errors.hpp"
#include "text_input.hpp"
#include "netns.hpp"

namespace xb {
const std::string& topology_veth_pair_text();
const std::string& topology_router_text();
}  // namespace xb

namespace xb::bench {
namespace {

std::string sh(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw Error("cannot run: " + command);
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  if (::pclose(pipe) != 0) throw Error("topology: `" + command + "` failed: " + output);
  return output;
}

class SpecReader {
 public:
  explicit SpecReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    const auto& b = node.source().begin;
    throw Error(fmt::format("{}:{}:{}: {}", source_, b.line, b.column, message));
  }

  std::string string_at(const toml::node& table, const char* key, bool required = true) const {
    const auto* t = table.as_table();
    const toml::node* v = t ? t->get(key) : nullptr;
    if (!v) {
      if (required) fail(table, fmt::format("'{}' is missing", key));
      return "";
    }
    if (!v->is_string()) fail(*v, fmt::format("'{}' must be a string", key));
    return v->as_string()->get();
  }

  VethEnd end(const toml::node& node) const {
    if (!node.is_table()) fail(node, "a veth end must be a table: { ns = ..., dev = ..., addresses = [...] }");
    VethEnd e{string_at(node, "ns"), string_at(node, "dev"), {}, false};
    if (e.dev.size() > 15) fail(node, fmt::format("interface name '{}' is longer than 15 characters", e.dev));
    if (const auto* a = node.as_table()->get("addresses")) {
      if (!a->is_array()) fail(*a, "'addresses' must be a list of strings");
      for (const auto& x : *a->as_array()) {
        if (!x.is_string()) fail(x, "'addresses' must be a list of strings");
        e.addresses.push_back(x.as_string()->get());
      }
    }
    if (const auto* g = node.as_table()->get("gro")) {
      if (!g->is_boolean()) fail(*g, "'gro' must be true or false");
      e.gro = g->as_boolean()->get();
    }
    return e;
  }

  TopologySpec read(const toml::table& root) const {
    TopologySpec s;
    s.source = source_;
    s.name = root["name"].value_or(std::string("unnamed"));
    std::set<std::string> names;
    if (const auto* nss = root["namespace"].as_array())
      for (const auto& n : *nss) {
        TopologySpec::Namespace ns{string_at(n, "name"), false};
        if (const auto* f = n.as_table()->get("forwarding")) ns.forwarding = f->value_or(false);
        if (!std::regex_match(ns.name, std::regex("[a-z][a-z0-9]{0,7}")))
          fail(n, fmt::format("namespace name '{}': up to 8 lowercase letters and digits", ns.name));
        names.insert(ns.name);
        s.namespaces.push_back(ns);
      }
    auto known = [&](const toml::node& at, const std::string& ns) {
      if (!names.count(ns)) fail(at, fmt::format("no [[namespace]] named '{}'", ns));
    };
    if (const auto* vs = root["veth"].as_array())
      for (const auto& v : *vs) {
        const auto* t = v.as_table();
        if (!t || !t->get("a") || !t->get("b")) fail(v, "a [[veth]] needs ends 'a' and 'b'");
        s.veths.emplace_back(end(*t->get("a")), end(*t->get("b")));
        known(*t->get("a"), s.veths.back().first.ns);
        known(*t->get("b"), s.veths.back().second.ns);
      }
    if (const auto* rs = root["route"].as_array())
      for (const auto& r : *rs) {
        s.routes.push_back({string_at(r, "ns"), string_at(r, "to"), string_at(r, "via")});
        known(r, s.routes.back().ns);
      }
    const toml::node* roles = root.get("roles");
    if (!roles || !roles->is_table()) throw Error(source_ + ":1:1: [roles] is missing");
    s.generator = string_at(*roles, "generator");
    s.dut = string_at(*roles, "dut");
    s.sink = string_at(*roles, "sink", false);
    s.target = string_at(*roles, "target");
    s.target6 = string_at(*roles, "target6", false);
    for (const std::string* role : {&s.generator, &s.dut, &s.sink}) {
      if (role->empty()) continue;
      bool found = false;
      for (const auto& [a, b] : s.veths) found |= *role == a.ns + "/" + a.dev || *role == b.ns + "/" + b.dev;
      if (!found) fail(*roles, fmt::format("role '{}' names no veth end (write namespace/interface)", *role));
    }
    return s;
  }

 private:
  std::string source_;
};

}  // namespace

TopologySpec parse_topology(const std::string& text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column, e.description()));
  }
  return SpecReader(source).read(root);
}

TopologySpec load_topology(const std::string& name_or_path) {
  if (name_or_path == "veth-pair") return parse_topology(topology_veth_pair_text(), "<veth-pair>");
  if (name_or_path == "router") return parse_topology(topology_router_text(), "<router>");
  if (::access(name_or_path.c_str(), R_OK) != 0)
    throw Error(errno_message("--topology=" + name_or_path + ": not veth-pair, router or a readable file", errno));
  return parse_topology(read_text_input(name_or_path, "topology file", kMaxSpecFileBytes), name_or_path);
}

Topology::Topology(const TopologySpec& spec, const std::string& prefix, unsigned queues)
    : spec_(spec), prefix_(prefix) {
  // veth picks the peer's receive queue by the sending CPU (veth_select_rxq)
  const std::string queue_args = queues > 1 ? fmt::format(" numtxqueues {0} numrxqueues {0}", queues) : "";
  try {
    for (const auto& n : spec_.namespaces) {
      sh("ip netns add " + ns(n.name));
      made_.push_back(ns(n.name));
      sh(fmt::format("ip -n {} link set lo up", ns(n.name)));
      // no IPv6 address here: no IPv6 at all, so no stray ND or MLD packets
      // in counted traffic
      bool has_ipv6 = false;
      for (const auto& [a, b] : spec_.veths)
        for (const VethEnd* e : {&a, &b})
          for (const auto& addr : e->addresses) has_ipv6 |= e->ns == n.name && addr.find(':') != std::string::npos;
      if (!has_ipv6) {
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.all.disable_ipv6=1", ns(n.name)));
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.default.disable_ipv6=1", ns(n.name)));
      } else {
        // nor router solicitations, nor duplicate address detection for the
        // link-local addresses: both send packets when a link comes up
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.default.router_solicitations=0", ns(n.name)));
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.default.accept_dad=0", ns(n.name)));
      }
      if (n.forwarding) {
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv4.ip_forward=1", ns(n.name)));
        sh(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.all.forwarding=1", ns(n.name)));
      }
    }
    for (const auto& [a, b] : spec_.veths) {
      sh(fmt::format("ip link add {} netns {}{} type veth peer name {} netns {}{}", a.dev, ns(a.ns), queue_args, b.dev,
                     ns(b.ns), queue_args));
      for (const VethEnd* e : {&a, &b}) {
        for (const auto& addr : e->addresses)
          sh(fmt::format("ip -n {} addr add {} dev {}{}", ns(e->ns), addr, e->dev,
                         addr.find(':') != std::string::npos ? " nodad" : ""));
        // no multicast: neighbours are static, and MLD reports would be
        // stray packets in counted traffic
        sh(fmt::format("ip -n {} link set {} multicast off up", ns(e->ns), e->dev));
        if (e->gro) sh(fmt::format("ip netns exec {} ethtool -K {} gro on", ns(e->ns), e->dev));
      }
      // each end knows the other's addresses without asking
      auto mac = [&](const VethEnd& e) {
        return sh(fmt::format("ip netns exec {} cat /sys/class/net/{}/address", ns(e.ns), e.dev)).substr(0, 17);
      };
      for (const auto& [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}})
        for (const auto& addr : to->addresses)
          sh(fmt::format("ip -n {} neigh replace {} lladdr {} dev {} nud permanent", ns(from->ns),
                         addr.substr(0, addr.find('/')), mac(*to), from->dev));
    }
    for (const auto& r : spec_.routes)
      sh(fmt::format("ip -n {} {}route add {} via {}", ns(r.ns), r.via.find(':') != std::string::npos ? "-6 " : "",
                     r.to, r.via));
    generator_ = endpoint(spec_.generator);
    dut_ = endpoint(spec_.dut);
    if (!spec_.sink.empty()) sink_ = endpoint(spec_.sink);
    for (const auto& [a, b] : spec_.veths) {
      if (spec_.generator == a.ns + "/" + a.dev) next_hop_mac_ = endpoint(b.ns + "/" + b.dev).mac;
      if (spec_.generator == b.ns + "/" + b.dev) next_hop_mac_ = endpoint(a.ns + "/" + a.dev).mac;
    }
  } catch (...) {
    teardown();
    throw;
  }
}

Topology::~Topology() { teardown(); }

void Topology::teardown() {
  // a namespace takes its veth ends, and so their peers, with it
  for (auto it = made_.rbegin(); it != made_.rend(); ++it)
    if (std::system(("ip netns del " + *it + " 2>/dev/null").c_str()) != 0) {
      // already gone
    }
  made_.clear();
}

Endpoint Topology::endpoint(const std::string& role) const {
  const auto slash = role.find('/');
  Endpoint e;
  e.ns = ns(role.substr(0, slash));
  e.dev = role.substr(slash + 1);
  e.mac = sh(fmt::format("ip netns exec {} cat /sys/class/net/{}/address", e.ns, e.dev)).substr(0, 17);
  for (const auto& [a, b] : spec_.veths)
    for (const VethEnd* end : {&a, &b})
      if (ns(end->ns) == e.ns && end->dev == e.dev)
        for (const auto& addr : end->addresses) {
          std::string& slot = addr.find(':') == std::string::npos ? e.ip4 : e.ip6;
          if (slot.empty()) slot = addr.substr(0, addr.find('/'));
        }
  NetnsScope in(e.ns);
  e.ifindex = interface_index(e.dev, e.ns);
  return e;
}

int Topology::cleanup_leftovers(const std::string& prefix_pattern) {
  int removed = 0;
  const std::regex ours(prefix_pattern + ".*");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename();
    if (std::regex_match(name, ours) && std::system(("ip netns del " + name).c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace xb::bench
