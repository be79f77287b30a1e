// Traffic from the generator namespace: BPF_PROG_TEST_RUN in live-frames
// mode runs the xb_gen program over a template frame in batches; each run
// redirects one real frame out of the generator's veth. Bounded by packet
// count and by time; "max" rate sends batches back to back, a target rate
// paces them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "topology.hpp"

namespace xb::bench {

struct TrafficProfile {
  std::uint32_t frame_size = 64;  // without FCS counted as on the wire: 60 bytes of data + 4
  std::uint32_t flows = 64;       // distinct UDP source ports
  std::uint16_t dport = 9;        // discard
  double rate_pps = 0;            // 0: as fast as one core sends
};

class LiveFrameGenerator {
 public:
  LiveFrameGenerator(const Topology& topo, const TrafficProfile& profile);
  ~LiveFrameGenerator();

  // Sends until `max_packets` or `seconds`, whichever first; returns packets sent.
  std::uint64_t send(std::uint64_t max_packets, double seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::bench
