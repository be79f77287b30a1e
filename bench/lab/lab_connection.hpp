// A lab's hosts driven from here: an agent on each host of the topology's
// roles (agent_channel.hpp), the generator and the hooks as the rig's
// TrafficSource and HookUnderTest, and `cleanup --topology` for each host.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab_hosts.hpp"
#include "topology.hpp"

namespace xb::bench {

// Connects to every host that has a role; throws Error naming the host and
// what failed. ssh_config: --ssh-config (empty: ssh's own).
std::unique_ptr<LabHosts> connect_lab(const TopologySpec& spec, const std::string& ssh_config);

// On every host of the topology: undoes what agents that are gone left there
// (host_journal.hpp). Returns a line per thing undone, each naming its host.
std::vector<std::string> clean_lab(const TopologySpec& spec, const std::string& ssh_config);

}  // namespace xb::bench
