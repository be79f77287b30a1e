// Traffic from the generator namespace: BPF_PROG_TEST_RUN in live-frames
// mode runs the xb_gen program over a template frame in batches (or
// xb_gen_replay over the frames of a file); each run redirects one real
// frame out of the generator's veth. Bounded by packet count and by time;
// "max" rate sends batches back to back, a target rate paces them. With
// several CPUs (--gen-cpus) one thread a CPU sends, each its share of the
// count and rate. Flat-out calls are sized by a model of call time
// (call_size_model.hpp); the program is kept in the kernel's XDP dispatcher
// while the generator lives (bench/rig/xdp_dispatcher_hold.hpp), so no call waits
// for RCU grace periods.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "flow_table.hpp"
#include "topology.hpp"
#include "traffic_profile.hpp"
#include "traffic_source.hpp"

namespace xb::bench {

class LiveFrameGenerator final : public TrafficSource {
 public:
  // flows: the flow tables of each family (empty: the templates, source port
  // varied per flow; unused when the profile replays a file). cpus: one
  // sending thread pinned to each; empty or one: the caller's thread sends.
  LiveFrameGenerator(const Topology& topo, const TrafficProfile& profile, const std::vector<Flow>& flows4 = {},
                     const std::vector<Flow>& flows6 = {}, const std::vector<int>& cpus = {});
  ~LiveFrameGenerator() override;

  // Within the time, it sends packets 0 .. max_packets-1 of the cycle.
  std::uint64_t send(std::uint64_t max_packets, double seconds) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::bench
