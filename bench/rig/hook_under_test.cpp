#include "hook_under_test.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "netns.hpp"

namespace xb::bench {

std::uint64_t ip_packets_delivered(const std::string& ns) {
  NetnsScope in(ns);
  std::uint64_t total = 0;
  // the ways out of IP input that come after its netfilter hooks: local
  // delivery (after LOCAL_IN), forwarding, and no route to a foreign address;
  // not InReceives, which counts before PRE_ROUTING can drop
  std::ifstream snmp("/proc/thread-self/net/snmp");
  std::string header, values;
  while (std::getline(snmp, header) && std::getline(snmp, values)) {
    if (header.rfind("Ip:", 0) != 0) continue;
    std::istringstream hs(header), vs(values);
    std::string name, value;
    while (hs >> name && vs >> value)
      if (name == "InDelivers" || name == "ForwDatagrams" || name == "InAddrErrors" || name == "InNoRoutes")
        total += std::stoull(value);
    break;
  }
  // the same for IPv6, one "name value" per line
  std::ifstream snmp6("/proc/thread-self/net/snmp6");
  std::string name;
  std::uint64_t value = 0;
  while (snmp6 >> name >> value)
    if (name == "Ip6InDelivers" || name == "Ip6OutForwDatagrams" || name == "Ip6InAddrErrors" ||
        name == "Ip6InNoRoutes")
      total += value;
  return total;
}

std::uint64_t interface_rx_packets(const std::string& ns, const std::string& dev) {
  NetnsScope in(ns);
  // "  dev: rx_bytes rx_packets ..." after two header lines
  std::ifstream net_dev("/proc/thread-self/net/dev");
  for (std::string line; std::getline(net_dev, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != dev) continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t bytes = 0, packets = 0;
    fields >> bytes >> packets;
    return packets;
  }
  return 0;
}

}  // namespace xb::bench
