// The packet-filter hooks the filter attaches at, and their names on the
// command line.
#pragma once

#include <string>
#include <vector>

namespace xb {

enum class Hook { XdpNative, XdpGeneric, TcCls };
enum class Direction { Ingress, Egress };

std::string hook_name(Hook h);
Hook parse_hook(const std::string& name);  // throws Error listing the hooks
std::vector<std::string> hook_names();
bool is_xdp(Hook h);

std::string direction_name(Direction d);
Direction parse_direction(const std::string& name);

}  // namespace xb
