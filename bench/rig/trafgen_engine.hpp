// netsniff-ng's trafgen as the rig's traffic engine (--engine=trafgen): an
// existing generator labs use, not the system under test. Its packet
// configuration is written from the run's flows (one packet per flow,
// addressed to the DUT's MAC, sent in order and cycled), and each send runs
// it bounded by a packet count (--num) and by time (a timeout). What it
// sent is its own word; a lab's rig counts what the NICs saw beside it.
// IPv4 UDP flows of one frame size; IMIX, IPv6 and traffic files are refused.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "flow_table.hpp"
#include "topology.hpp"
#include "traffic_profile.hpp"
#include "traffic_source.hpp"

namespace xb::bench {

class TrafgenEngine final : public TrafficSource {
 public:
  // cpus: the CPUs trafgen's processes run on (one each); empty: one, unpinned.
  TrafgenEngine(const Topology& topo, const TrafficProfile& profile, const std::vector<Flow>& flows4,
                const std::vector<int>& cpus);
  ~TrafgenEngine() override;
  std::uint64_t send(std::uint64_t max_packets, double seconds) override;

  // Why trafgen cannot generate this traffic here, or empty.
  static std::string unavailable(const TrafficProfile& profile);

 private:
  std::string netns_, dev_, config_path_;
  double rate_pps_ = 0;
  std::vector<int> cpus_;
};

// The trafgen configuration of these flows: what the engine runs (for tests).
std::string trafgen_config(const std::string& dst_mac, const std::string& src_mac, const std::vector<Flow>& flows,
                           std::uint32_t frame_size);

}  // namespace xb::bench
