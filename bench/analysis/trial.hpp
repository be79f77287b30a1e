// What one trial of a hook measured, and the median with min-max of a figure
// over trials: the rig fills them in (rig/rig.hpp), the summaries, the
// result file and the gate read them. Plain data: no libbpf.
#pragma once

#include <cstdint>
#include <vector>

#include "latency_histogram.hpp"

namespace xb::bench {

struct Trial {
  double seconds = 0;
  std::uint64_t offered = 0, seen = 0, dropped = 0, passed = 0, delivered = 0, run_time_ns = 0;
  bool has_run_time = false;  // nft and iptables: no per-packet cost
  // CPU time of the tasks doing the DUT's work (rig/dut_cpu_time.hpp) from the
  // trial's start until the DUT had drained; --cpu only: without it the
  // generator's core does the DUT's work too
  double dut_cpu_busy_ns = 0;
  bool has_dut_cpu = false;
  bool has_verdicts = true;                                    // a user's program: dropped and passed unknown
  double softirq_pct = 0;                                      // of all CPUs' time during the trial
  bool has_latency = false;                                    // at the sink
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // one-way to the sink, ns
  bool has_hook_latency = false;
  std::uint64_t hook_p50 = 0, hook_p99 = 0, hook_p999 = 0, hook_max = 0;  // one-way to the hook, ns
  LatencyHistogram hook_latency, sink_latency;                            // whole, for CDFs
  // A lab's trials: offered is what the generator's NIC counted sent; what
  // the engine said it sent beside it
  bool has_nic_counts = false;
  std::uint64_t engine_sent = 0;
  std::uint64_t gen_nic_tx_dropped = 0;  // what the generator's NIC could not send (a veth: the peer's ring full)
  // What the DUT's interface counted received (rx_packets, drain included):
  // what a hook could have seen (analysis/hook_starved.hpp)
  bool has_dut_nic_rx = false;
  std::uint64_t dut_nic_rx = 0;
  // the hook reads a ring of its own (a DPDK application): its input is
  // what that ring took, not what the stack let through; never starved
  bool own_input_queue = false;

  double mpps(std::uint64_t n) const { return seconds > 0 ? static_cast<double>(n) / seconds / 1e6 : 0; }
  // offered - (dropped by a rule + delivered), as a share of offered
  double loss_pct() const;
  double ns_per_pkt() const {
    return has_run_time && seen ? static_cast<double>(run_time_ns) / static_cast<double>(seen) : 0;
  }
  // The DUT core's time per packet the hook handled: the stack around the
  // hook, the hook, and for a DPDK application its poll loop
  double dut_cpu_ns_per_pkt() const { return has_dut_cpu && seen ? dut_cpu_busy_ns / static_cast<double>(seen) : 0; }
};

struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread(std::vector<double> values);

}  // namespace xb::bench
