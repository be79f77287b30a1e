// The rig one command measures with: its own attachment store and pins, the
// kernel's BPF run-time statistics switched on while it lives, a topology, a
// generator and (where the topology has one) a latency sink. Trials run here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow_table.hpp"
#include "hook_under_test.hpp"
#include "latency_histogram.hpp"
#include "latency_sink.hpp"
#include "live_frame_generator.hpp"
#include "topology.hpp"
#include "unique_fd.hpp"

namespace xb::bench {

// Every namespace of a run is named kRunPrefix<pid>-<name>.
inline constexpr const char* kRunPrefix = "xbr";

struct Trial {
  double seconds = 0;
  std::uint64_t offered = 0, seen = 0, dropped = 0, passed = 0, delivered = 0, run_time_ns = 0;
  bool has_run_time = false;  // nft and iptables: no per-packet cost
  // CPU time of the tasks doing the DUT's work (dut_cpu_time.hpp) from the
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

struct TrialSpec {
  double seconds = 2, warmup_s = 0.5;
  std::uint64_t max_packets = 50'000'000;
};

class Rig {
 public:
  // cpus: {generator, DUT receive processing} to pin, or empty. gen_cpus:
  // one generator thread on each (--gen-cpus), the generator's veth made
  // with as many queues; empty: one thread, on cpus[0] when given. Where
  // both are given, cpus[0] must be one of gen_cpus and cpus[1] none of them.
  Rig(const std::string& topology, const TrafficProfile& traffic, const std::vector<int>& cpus = {},
      const std::vector<int>& gen_cpus = {});
  ~Rig();

  const Topology& topology() const { return *topology_; }
  const TrafficProfile& traffic() const { return traffic_; }
  // The CPU the DUT's receive work is pinned to (--cpu), if it is.
  std::optional<int> dut_cpu() const { return dut_cpu_; }
  // The CPUs the generator's threads run on (empty: one thread, not pinned).
  const std::vector<int>& gen_cpus() const { return gen_cpus_; }
  // A new traffic profile (frame size, rate) for the next trials.
  void set_traffic(const TrafficProfile& traffic);
  // Aims the traffic at this rule set (the "rules" mix); the next trials use it.
  void use_rules(const RuleSet& rules);
  // The share of offered packets the reference model says the filter drops.
  double expected_drop_share() const;
  Trial trial(HookUnderTest& hook, const TrialSpec& spec);

 private:
  std::string state_dir_, pin_root_;
  std::optional<std::string> saved_state_dir_, saved_pin_root_;  // the environment before us
  UniqueFd stats_;
  std::unique_ptr<Topology> topology_;
  TrafficProfile traffic_;
  std::vector<Flow> flows4_, flows6_;
  std::optional<double> replay_drop_share_;  // of a file's frames, by the reference model
  std::unique_ptr<LiveFrameGenerator> generator_;
  std::unique_ptr<LatencySink> sink_;
  std::optional<int> dut_cpu_;
  std::vector<int> gen_cpus_;
  std::vector<int> dut_tasks_;  // the DUT's NAPI threads and its core's ksoftirqd
};

// Set by SIGINT/SIGTERM (install_stop_signals): commands stop between trials.
bool stop_requested();
void install_stop_signals();

}  // namespace xb::bench
