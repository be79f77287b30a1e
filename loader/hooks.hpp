// The packet-filter hooks the filter attaches at, their names on the command
// line, and which program each one runs.
#pragma once

#include <string>
#include <vector>

namespace xb {

enum class Hook { XdpNative, XdpGeneric, TcCls, TcAct, Tcx, SocketFilter, CgroupSkb, Netfilter };
enum class Direction { Ingress, Egress };

// The BPF program (and so the skeleton) a hook runs.
enum class ProgramKind { Xdp, Tc, TcAct, Socket, Cgroup, Netfilter };

std::string hook_name(Hook h);
Hook parse_hook(const std::string& name);  // throws Error listing the hooks
std::vector<std::string> hook_names();
std::vector<Hook> all_hooks();

ProgramKind program_kind(Hook h);
std::string program_kind_name(ProgramKind k);
bool is_xdp(Hook h);
bool sees_l2(ProgramKind k);  // packet data from the Ethernet header
bool has_egress(Hook h);      // can filter sent packets

std::string direction_name(Direction d);
Direction parse_direction(const std::string& name);

}  // namespace xb
