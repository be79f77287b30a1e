// ClassBench traces (../shared/classbench/*_trace, tests/data/classbench/):
// one header tuple a line, `SRC DST SPORT DPORT PROTO FLAGS RULE`, addresses
// as 32-bit unsigned integers, RULE the 0-based index of the filter the tuple
// was generated from (not necessarily its first match). Read by the oracle
// tests and replayed by the rig (`xdpbench run --traffic`), as the same
// frames.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet_builder.hpp"

namespace xb::packets {

struct ClassBenchTuple {
  std::uint32_t src = 0, dst = 0;  // host byte order
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t proto = 0;
  std::uint32_t rule = 0;
};

// Every tuple of the file; blank lines are skipped. Throws xb::Error naming
// path:line for a line that is not a tuple, and path when it cannot be read.
std::vector<ClassBenchTuple> read_classbench_trace(const std::string& path);

// The packet of a tuple: IPv4 with its L4 header (TCP with ACK: the trace's
// FLAGS is not used, ClassBench rules are read without flags; ICMP an echo
// request: ClassBench rules never name ICMP fields), `payload` bytes after it.
PacketSpec classbench_packet(const ClassBenchTuple& t, std::size_t payload = 18);

}  // namespace xb::packets
