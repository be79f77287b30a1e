// Traffic from a file, for `xdpbench run --traffic=FILE`: a pcap (or pcapng)
// capture, read with libpcap, or a ClassBench trace, whose tuples become the
// frames the oracle tests classify (packets/classbench_trace.hpp). Told apart
// by the file's first bytes (a pcap magic number, else a trace), or named:
// pcap:FILE, classbench-trace:FILE. The whole file is checked before the rig
// makes anything, so a bad one changes nothing: its error is one line naming
// the file and the record (pcap, 1-based) or line (trace).
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "traffic_profile.hpp"
#include "xb_gen.h"

namespace xb::bench {

// Frames a replay cycles through at most: the first so many of the file.
inline constexpr std::size_t kMaxReplayFrames = XB_GEN_MAX_FRAMES;

struct TrafficFile {
  std::string path;
  std::string format;  // "pcap" or "classbench-trace"
  // Ethernet frames without FCS, in the file's order; the generator writes
  // its own and its peer's MAC addresses over theirs
  std::vector<std::vector<std::uint8_t>> frames;
  std::size_t records = 0;  // in the file; those past kMaxReplayFrames are not replayed
  bool fixes_size = false;  // pcap: the frames' sizes are the file's
};

// sizes: a trace's frames are built at its frame size or IMIX sizes in turn.
TrafficFile read_traffic_file(const std::string& spec, const TrafficProfile& sizes);

}  // namespace xb::bench
