// What a figure was measured on: the machine (kernel, CPU, xdpbench's
// version and revision) and the DUT's NIC, as every result file records
// them and `gate` compares them. A lab's agent tells its host's the same way.
#pragma once

#include <nlohmann/json.hpp>

#include "topology.hpp"

namespace xb::bench {

// Kernel, machine, CPU model, CPUs online, git revision and version.
nlohmann::json result_environment();

// The NIC as `ethtool -i` and `-l` tell it, in the endpoint's namespace:
// interface, driver, firmware, queues. A field ethtool does not give is null.
nlohmann::json nic_description(const Endpoint& nic);

}  // namespace xb::bench
