// What sends a trial's packets: the live-frames generator in this process
// (live_frame_generator.hpp), or one on a lab's generator host driven by
// its agent (bench/lab/).
#pragma once

#include <cstdint>

namespace xb::bench {

class TrafficSource {
 public:
  virtual ~TrafficSource() = default;
  // Sends until `max_packets` or `seconds`, whichever first; returns packets
  // sent. Every call starts at the first flow (or frame of the file).
  virtual std::uint64_t send(std::uint64_t max_packets, double seconds) = 0;
};

}  // namespace xb::bench
