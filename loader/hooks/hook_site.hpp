// Where a filter sits and how the kernel holds it: the part of an
// attachment that belongs to its hook. A request names the target; the
// record (attachment_store.hpp) keeps the target and the kernel's hold, so a
// later process can find the filter and take it off.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "hooks.hpp"
#include "link_attachment.hpp"
#include "lwt_attachment.hpp"
#include "tc_attachment.hpp"

namespace xb {

// One target type per hook family.
struct InterfaceTarget {  // xdp-*, tc-*, tcx
  std::string ifname;
  int ifindex = 0;  // resolved at attach, in the target's netns
};
struct CgroupTarget {  // cgroup-skb: a cgroup v2 directory
  std::string path;
};
struct NetfilterTarget {  // netfilter: the inet hook and the priority among its users
  NetfilterHook hook = NetfilterHook::PreRouting;
  int priority = 0;
};
struct RouteTarget {  // lwt-*: a route, by prefix (canonical) and table
  std::string prefix;
  std::uint32_t table = kMainRouteTable;
};
struct SocketTarget {  // socket-filter: a packet socket on ifname, or a UDP socket on udp_port
  std::string ifname;
  int ifindex = 0;
  std::uint16_t udp_port = 0;
};
using HookTarget =
    std::variant<std::monostate, InterfaceTarget, CgroupTarget, NetfilterTarget, RouteTarget, SocketTarget>;

// What the kernel holds once the filter is attached, beyond its program id:
// what a later process needs to take exactly our filter off again. The
// link hooks need nothing (their pinned links are the hold).
struct XdpHold {
  bool dispatched = false;  // through libxdp's dispatcher (false: the interface's only XDP program)
};
struct SocketHold {
  int owner_pid = 0;  // the process holding the socket
};
using KernelHold = std::variant<std::monostate, XdpHold, TcFilterId, LwtRouteId, SocketHold>;

struct HookSite {
  Hook hook = Hook::XdpNative;
  Direction direction = Direction::Ingress;
  std::string netns;  // empty: the host namespace
  HookTarget target;
  KernelHold hold;
  std::uint32_t prog_id = 0;

  // The interface the target names, where it names one ("" for cgroups,
  // netfilter hooks, routes and UDP sockets).
  std::string interface() const;
  // The cgroup, route (prefix, table), netfilter hook, where the target is one.
  const CgroupTarget* cgroup() const { return std::get_if<CgroupTarget>(&target); }
  const RouteTarget* route() const { return std::get_if<RouteTarget>(&target); }
  const NetfilterTarget* netfilter() const { return std::get_if<NetfilterTarget>(&target); }
};

}  // namespace xb
