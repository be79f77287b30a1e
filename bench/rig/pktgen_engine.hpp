// The kernel's own packet generator as the rig's traffic engine
// (--engine=pktgen), where the generator host's kernel has it (Debian's
// kernel does, as a module; CONFIG_NET_PKTGEN). pktgen walks ranges, not a
// list of flows: it sends the topology's template flow (the generator's
// address to the target, UDP to the profile's port), its source port walked
// over --flows values, so the rules are not aimed at; the rig judges the
// flows it sends with the reference model all the same. Each send is
// bounded by pktgen's count and by a timeout.
#pragma once

#include <string>
#include <vector>

#include "flow_table.hpp"
#include "topology.hpp"
#include "traffic_profile.hpp"
#include "traffic_source.hpp"

namespace xb::bench {

class PktgenEngine final : public TrafficSource {
 public:
  // flows: template_flows(topo, profile), what it sends (in order, cycled)
  PktgenEngine(const Topology& topo, const TrafficProfile& profile);
  ~PktgenEngine() override;  // the device off pktgen's thread
  std::uint64_t send(std::uint64_t max_packets, double seconds) override;

  // Why pktgen cannot generate this traffic here, or empty.
  static std::string unavailable(const TrafficProfile& profile, const std::string& netns = "");

 private:
  void write(const std::string& file, const std::string& command) const;
  std::string netns_, dev_;
};

// The flows an engine that walks ranges sends (pktgen; trafgen before the
// rules are known): the topology's template flow, the source port walked
// over 1024 .. 1024 + flows - 1.
std::vector<Flow> template_flows(const Topology& topo, const TrafficProfile& profile);

}  // namespace xb::bench
