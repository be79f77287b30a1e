// Traffic from the generator namespace: BPF_PROG_TEST_RUN in live-frames
// mode runs the xb_gen program over a template frame in batches; each run
// redirects one real frame out of the generator's veth. Bounded by packet
// count and by time; "max" rate sends batches back to back, a target rate
// paces them. Flat-out calls are sized by a model of call time
// (call_size_model.hpp); the program is kept in the kernel's XDP dispatcher
// while the generator lives (loader/xdp_dispatcher_hold.hpp), so no call waits
// for RCU grace periods.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "flow_table.hpp"
#include "topology.hpp"

namespace xb::bench {

struct TrafficProfile {
  std::uint32_t frame_size = 64;  // on the wire, FCS included (60 bytes of frame data)
  bool imix = false;              // instead: simple IMIX, 7:4:1 of 64, 594 and 1518 bytes
  double ipv6_share = 0;          // share of IPv6 packets (0-1); the topology needs target6
  std::uint32_t flows = 256;      // distinct flows
  std::string mix = "rules";      // rules: flows aimed at the rule set; miss: flows no rule matches
  double drop_share = -1;         // rules mix: share of dropped flows; < 0: as the rule set falls
  std::uint16_t dport = 9;        // miss mix: discard
  double rate_pps = 0;            // 0: as fast as one core sends
};

class LiveFrameGenerator {
 public:
  // flows: the flow tables of each family (empty: the templates, source port
  // varied per flow)
  LiveFrameGenerator(const Topology& topo, const TrafficProfile& profile, const std::vector<Flow>& flows4 = {},
                     const std::vector<Flow>& flows6 = {});
  ~LiveFrameGenerator();

  // Sends until `max_packets` or `seconds`, whichever first; returns packets sent.
  std::uint64_t send(std::uint64_t max_packets, double seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::bench
