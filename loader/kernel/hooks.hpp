// The packet-filter hooks the filter attaches at, their names on the command
// line, and which program each one runs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace xb {

enum class Hook {
  XdpNative,
  XdpGeneric,
  TcCls,
  TcAct,
  Tcx,
  SocketFilter,
  CgroupSkb,
  Netfilter,
  LwtIn,
  LwtOut,
  LwtXmit
};
// How many hooks there are: the last enumerator's + 1 (hooks.cpp's names and
// hooks/hook_ops.cpp's entries are checked against it when they build).
inline constexpr std::size_t kHookCount = static_cast<std::size_t>(Hook::LwtXmit) + 1;
enum class Direction { Ingress, Egress };

// The BPF program (and so the skeleton) a hook runs.
enum class ProgramKind { Xdp, Tc, TcAct, Socket, Cgroup, Netfilter, LwtIn, LwtOut, LwtXmit };

std::string hook_name(Hook h);
Hook parse_hook(const std::string& name);                // throws Error listing the hooks
std::optional<Hook> find_hook(const std::string& name);  // nullopt: not a filter hook (xdp-noop, a baseline)
std::vector<std::string> hook_names();
std::vector<Hook> all_hooks();

ProgramKind program_kind(Hook h);
std::string program_kind_name(ProgramKind k);
bool is_xdp(Hook h);
bool sees_l2(ProgramKind k);  // packet data from the Ethernet header
bool has_egress(Hook h);      // can filter sent packets
bool has_ingress(Hook h);     // can filter received packets
bool is_lwt(Hook h);          // on a route (lightweight tunnel encap bpf)

std::string direction_name(Direction d);
Direction parse_direction(const std::string& name);
// What --direction means when it is not given: ingress where the hook has it.
Direction default_direction(Hook h);

}  // namespace xb
