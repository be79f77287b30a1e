// Where the traffic a hook passed is counted and timed: the sink program on
// a topology's sink interface here (latency_sink.hpp), or on a lab's
// generator host through its agent (bench/lab/).
#pragma once

#include "latency_histogram.hpp"

namespace xb::bench {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void reset() = 0;
  // Since reset(): its count() is the packets delivered, its buckets their
  // one-way latency from the generator's stamp.
  virtual LatencyHistogram read() const = 0;
};

}  // namespace xb::bench
