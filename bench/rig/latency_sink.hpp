// The sink program (bpf/xb_sink.bpf.c) on a topology's sink interface: what
// arrived there, and its one-way latency from the generator's stamp.
#pragma once

#include <memory>

#include "latency_histogram.hpp"
#include "topology.hpp"

namespace xb::bench {

class LatencySink {
 public:
  explicit LatencySink(const Endpoint& sink);
  ~LatencySink();  // detaches
  void reset();
  LatencyHistogram read() const;  // its count() is the packets delivered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::bench
