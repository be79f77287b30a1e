// The sink program (bpf/xb_sink.bpf.c) on a topology's sink interface: what
// arrived there, and its one-way latency from the generator's stamp.
#pragma once

#include <memory>

#include "latency_histogram.hpp"
#include "packet_sink.hpp"
#include "topology.hpp"

namespace xb::bench {

class LatencySink final : public PacketSink {
 public:
  explicit LatencySink(const Endpoint& sink);
  ~LatencySink() override;  // detaches
  void reset() override;
  LatencyHistogram read() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::bench
