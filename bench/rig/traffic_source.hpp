// What sends a trial's packets: the live-frames generator in this process
// (live_frame_generator.hpp), or one on a lab's generator host driven by
// its agent (bench/lab/).
#pragma once

#include <cstdint>
#include <string>

namespace xb::bench {

class TrafficSource {
 public:
  virtual ~TrafficSource() = default;
  // Sends until `max_packets` or `seconds`, whichever first; returns packets
  // sent. Every call starts at the first flow (or frame of the file).
  virtual std::uint64_t send(std::uint64_t max_packets, double seconds) = 0;
};

// An engine (--engine) as a result names it.
inline std::string engine_label(const std::string& engine) {
  if (engine == "trafgen") return "netsniff-ng trafgen (PF_PACKET TX ring)";
  if (engine == "pktgen") return "kernel pktgen";
  return "xdpbench live frames (BPF_PROG_TEST_RUN)";
}

}  // namespace xb::bench
