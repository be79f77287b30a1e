#include "topology.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <string_view>

#include "errors.hpp"
#include "netns.hpp"
#include "run_command.hpp"
#include "text_input.hpp"

namespace xb {
const std::string& topology_veth_pair_text();
const std::string& topology_router_text();
}  // namespace xb

namespace xb::bench {
namespace {

// One step of making the topology (ip, sysctl, ethtool); its output.
std::string run(const std::vector<std::string>& argv, const std::string& netns = "") {
  const CommandResult r = run_command(argv, {.netns = netns, .merge_stderr = true});
  if (r.status != 0)
    throw Error(fmt::format("topology: `{}{}` failed: {}", netns.empty() ? "" : "ip netns exec " + netns + " ",
                            command_line(argv), r.out));
  return r.out;
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
    if (required && v->as_string()->get().empty()) fail(*v, fmt::format("'{}' must not be empty", key));
    return v->as_string()->get();
  }

  // A misspelt key ('adresses') would otherwise be read as the key left
  // out: refused at the key, with the keys this table takes.
  void only_keys(const toml::node& table, std::initializer_list<std::string_view> allowed,
                 const std::string& what) const {
    const auto* t = table.as_table();
    if (!t) return;
    for (const auto& [key, value] : *t) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      const auto& b = key.source().begin;
      throw Error(fmt::format("{}:{}:{}: unknown key '{}' in {}: expected {}", source_, b.line, b.column, key.str(),
                              what, fmt::join(allowed, ", ")));
    }
  }

  VethEnd end(const toml::node& node) const {
    if (!node.is_table()) fail(node, "a veth end must be a table: { ns = ..., dev = ..., addresses = [...] }");
    only_keys(node, {"ns", "dev", "addresses", "gro"}, "a veth end");
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

  // [[host]] tables: a lab of hosts and the interfaces they have.
  void read_hosts(const toml::table& root, TopologySpec& s) const {
    for (const char* made : {"namespace", "veth", "route"})
      if (const auto* n = root.get(made))
        fail(*n, fmt::format("[[{}]] in a topology of [[host]]s: a lab's interfaces exist already; the rig makes "
                             "none (write either hosts or namespaces)",
                             made));
    const auto* hosts = root["host"].as_array();
    if (!hosts) fail(*root.get("host"), "'host' must be a list of tables: [[host]]");
    std::set<std::string> names;
    for (const auto& h : *hosts) {
      if (!h.is_table()) fail(h, "'host' must be a list of tables: [[host]]");
      only_keys(h, {"name", "ssh", "xdpbench"}, "[[host]]");
      LabHost host{string_at(h, "name"), string_at(h, "ssh", false), string_at(h, "xdpbench", false)};
      if (!std::regex_match(host.name, std::regex("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")))
        fail(h, fmt::format("host name '{}': up to 32 letters, digits, '_', '.' and '-'", host.name));
      if (!names.insert(host.name).second) fail(h, fmt::format("a second [[host]] named '{}'", host.name));
      if (host.ssh == "local") host.ssh.clear();
      // ssh would read a destination starting with '-' as an option
      if (!host.ssh.empty() && (host.ssh[0] == '-' || host.ssh.find_first_of(" \t\n'\"") != std::string::npos))
        fail(h, fmt::format("ssh = '{}': a destination ([user@]host or a Host of the ssh config), "
                            "not options",
                            host.ssh));
      if (host.xdpbench.empty()) host.xdpbench = "xdpbench";
      s.hosts.push_back(host);
    }
  }

  // A lab's role names a host and one of its interfaces: "host/iface".
  void check_lab_role(const toml::node& roles, const std::string& role, const TopologySpec& s) const {
    const auto slash = role.find('/');
    const std::string host = role.substr(0, slash), dev = slash == std::string::npos ? "" : role.substr(slash + 1);
    if (std::none_of(s.hosts.begin(), s.hosts.end(), [&](const LabHost& h) { return h.name == host; }))
      fail(roles, fmt::format("role '{}' names no [[host]] (write host/interface)", role));
    if (dev.empty() || dev.size() > 15 || dev.find('/') != std::string::npos)
      fail(roles, fmt::format("role '{}': the interface after the host must be a name of 1-15 characters", role));
  }

  TopologySpec read(const toml::table& root) const {
    TopologySpec s;
    s.source = source_;
    only_keys(root, {"name", "namespace", "veth", "route", "host", "roles"}, "the topology");
    s.name = root["name"].value_or(std::string("unnamed"));
    if (root.get("host")) read_hosts(root, s);
    std::set<std::string> names;
    if (const auto* nss = root["namespace"].as_array())
      for (const auto& n : *nss) {
        only_keys(n, {"name", "forwarding"}, "[[namespace]]");
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
        only_keys(v, {"a", "b"}, "[[veth]]");
        s.veths.emplace_back(end(*t->get("a")), end(*t->get("b")));
        known(*t->get("a"), s.veths.back().first.ns);
        known(*t->get("b"), s.veths.back().second.ns);
      }
    if (const auto* rs = root["route"].as_array())
      for (const auto& r : *rs) {
        only_keys(r, {"ns", "to", "via"}, "[[route]]");
        s.routes.push_back({string_at(r, "ns"), string_at(r, "to"), string_at(r, "via")});
        known(r, s.routes.back().ns);
      }
    const toml::node* roles = root.get("roles");
    if (!roles || !roles->is_table()) throw Error(source_ + ":1:1: [roles] is missing");
    only_keys(*roles, {"generator", "dut", "sink", "target", "target6"}, "[roles]");
    s.generator = string_at(*roles, "generator");
    s.dut = string_at(*roles, "dut");
    s.sink = string_at(*roles, "sink", false);
    s.target = string_at(*roles, "target");
    s.target6 = string_at(*roles, "target6", false);
    for (const std::string* role : {&s.generator, &s.dut, &s.sink}) {
      if (role->empty()) continue;
      if (s.is_lab()) {
        check_lab_role(*roles, *role, s);
        continue;
      }
      bool found = false;
      for (const auto& [a, b] : s.veths) found |= *role == a.ns + "/" + a.dev || *role == b.ns + "/" + b.dev;
      if (!found) fail(*roles, fmt::format("role '{}' names no veth end (write namespace/interface)", *role));
    }
    if (s.is_lab() && !s.sink.empty() && split_role(s.sink).first != split_role(s.generator).first)
      fail(*roles, fmt::format("sink '{}': a lab's sink must be on the generator's host, so that one clock stamps and "
                               "reads (the DUT forwards what passes back to it)",
                               s.sink));
    if (s.is_lab() && !s.sink.empty() && (s.sink == s.generator || s.sink == s.dut))
      fail(*roles, fmt::format("sink '{}': an interface of its own, not the generator's or the DUT's", s.sink));
    if (s.is_lab() && s.generator == s.dut) fail(*roles, "generator and dut are the same interface");
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
  const std::vector<std::string> queue_args =
      queues > 1
          ? std::vector<std::string>{"numtxqueues", std::to_string(queues), "numrxqueues", std::to_string(queues)}
          : std::vector<std::string>{};
  try {
    for (const auto& n : spec_.namespaces) {
      run({"ip", "netns", "add", ns(n.name)});
      made_.push_back(ns(n.name));
      run({"ip", "-n", ns(n.name), "link", "set", "lo", "up"});
      // no IPv6 address here: no IPv6 at all, so no stray ND or MLD packets
      // in counted traffic
      bool has_ipv6 = false;
      for (const auto& [a, b] : spec_.veths)
        for (const VethEnd* e : {&a, &b})
          for (const auto& addr : e->addresses) has_ipv6 |= e->ns == n.name && addr.find(':') != std::string::npos;
      if (!has_ipv6) {
        run({"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}, ns(n.name));
        run({"sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"}, ns(n.name));
      } else {
        // nor router solicitations, nor duplicate address detection for the
        // link-local addresses: both send packets when a link comes up
        run({"sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0"}, ns(n.name));
        run({"sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"}, ns(n.name));
      }
      if (n.forwarding) {
        // the flows' sources are anywhere, and the DUT's route back to them
        // leads out of the sink's side: strict reverse-path filtering would
        // drop them all. A new namespace has it off unless it inherits the
        // host's (net.core.devconf_inherit_init_net), so say so; the
        // interface's own setting is made from "default", the larger wins
        for (const char* conf : {"all", "default"})
          run({"sysctl", "-qw", fmt::format("net.ipv4.conf.{}.rp_filter=0", conf)}, ns(n.name));
        run({"sysctl", "-qw", "net.ipv4.ip_forward=1"}, ns(n.name));
        run({"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"}, ns(n.name));
      }
    }
    for (const auto& [a, b] : spec_.veths) {
      std::vector<std::string> add = {"ip", "link", "add", a.dev, "netns", ns(a.ns)};
      add.insert(add.end(), queue_args.begin(), queue_args.end());
      for (const std::string arg : {"type", "veth", "peer", "name"}) add.push_back(arg);
      add.push_back(b.dev);
      add.push_back("netns");
      add.push_back(ns(b.ns));
      add.insert(add.end(), queue_args.begin(), queue_args.end());
      run(add);
      for (const VethEnd* e : {&a, &b}) {
        for (const auto& addr : e->addresses)
          if (addr.find(':') != std::string::npos)
            run({"ip", "-n", ns(e->ns), "addr", "add", addr, "dev", e->dev, "nodad"});
          else
            run({"ip", "-n", ns(e->ns), "addr", "add", addr, "dev", e->dev});
        // no multicast: neighbours are static, and MLD reports would be
        // stray packets in counted traffic
        run({"ip", "-n", ns(e->ns), "link", "set", e->dev, "multicast", "off", "up"});
        if (e->gro) run({"ethtool", "-K", e->dev, "gro", "on"}, ns(e->ns));
      }
      // each end knows the other's addresses without asking
      auto mac = [&](const VethEnd& e) {
        return run({"cat", "/sys/class/net/" + e.dev + "/address"}, ns(e.ns)).substr(0, 17);
      };
      for (const auto& [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}})
        for (const auto& addr : to->addresses)
          run({"ip", "-n", ns(from->ns), "neigh", "replace", addr.substr(0, addr.find('/')), "lladdr", mac(*to), "dev",
               from->dev, "nud", "permanent"});
    }
    for (const auto& r : spec_.routes)
      if (r.via.find(':') != std::string::npos)
        run({"ip", "-n", ns(r.ns), "-6", "route", "add", r.to, "via", r.via});
      else
        run({"ip", "-n", ns(r.ns), "route", "add", r.to, "via", r.via});
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

Topology::Topology(const TopologySpec& spec, Endpoint generator, Endpoint dut, std::string next_hop_mac,
                   std::optional<Endpoint> sink)
    : spec_(spec),
      generator_(std::move(generator)),
      dut_(std::move(dut)),
      sink_(std::move(sink)),
      next_hop_mac_(std::move(next_hop_mac)) {}

Topology::~Topology() { teardown(); }

std::pair<std::string, std::string> split_role(const std::string& role) {
  const auto slash = role.find('/');
  if (slash == std::string::npos) return {"", role};
  return {role.substr(0, slash), role.substr(slash + 1)};
}

void Topology::teardown() {
  // a namespace takes its veth ends, and so their peers, with it
  for (auto it = made_.rbegin(); it != made_.rend(); ++it)
    run_command({"ip", "netns", "del", *it}, {.capture = false});  // not there: already gone
  made_.clear();
}

Endpoint Topology::endpoint(const std::string& role) const {
  const auto slash = role.find('/');
  Endpoint e;
  e.ns = ns(role.substr(0, slash));
  e.dev = role.substr(slash + 1);
  e.mac = run({"cat", "/sys/class/net/" + e.dev + "/address"}, e.ns).substr(0, 17);
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

}  // namespace xb::bench
