// The rig one command measures with: its own attachment store and pins, the
// kernel's BPF run-time statistics switched on while it lives, a topology, a
// generator and (where the topology has one) a latency sink. Trials run here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attachment_store.hpp"
#include "flow_table.hpp"
#include "hook_under_test.hpp"
#include "lab_hosts.hpp"
#include "latency_histogram.hpp"
#include "latency_sink.hpp"
#include "live_frame_generator.hpp"
#include "topology.hpp"
#include "trial.hpp"
#include "unique_fd.hpp"

namespace xb::bench {

// Every namespace of a run is named kRunPrefix<pid>-<name>.
inline constexpr const char* kRunPrefix = "xbr";

struct TrialSpec {
  double seconds = 2, warmup_s = 0.5;
  std::uint64_t max_packets = 50'000'000;
};

// What runs killed before they could clean up left (SIGKILL, a crash): their
// namespaces (the veths and every program attached in them go too), state
// directories and pins. Only runs whose process is gone: a live run sharing
// the machine keeps its own.
struct LeftoverCount {
  int namespaces = 0, state_dirs = 0, pin_dirs = 0;
};
LeftoverCount remove_dead_runs_leftovers();

class Rig {
 public:
  // cpus: {generator, DUT receive processing} to pin, or empty. gen_cpus:
  // one generator thread on each (--gen-cpus), the generator's veth made
  // with as many queues; empty: one thread, on cpus[0] when given. Where
  // both are given, cpus[0] must be one of gen_cpus and cpus[1] none of them.
  // connect_lab: how to reach a lab's hosts, for a topology of [[host]]s.
  Rig(const std::string& topology, const TrafficProfile& traffic, const std::vector<int>& cpus = {},
      const std::vector<int>& gen_cpus = {}, const LabConnector& connect_lab = {});
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
  void use_rules(const CompiledRuleSet& rules);
  // Where this run's filter records and pins go: its own, never xdpfilter's.
  const StatePaths& state_paths() const { return state_paths_; }
  // The share of offered packets the reference model says the filter drops.
  double expected_drop_share() const;
  Trial trial(HookUnderTest& hook, const TrialSpec& spec);
  // A lab's hosts, when the topology is one (else null).
  LabHosts* lab() const { return lab_.get(); }
  // How many of a hook's stamps to time in trials of `spec` (one in
  // 2^shift, RigProbe): from the packets such a trial sends, at --rate
  // or at the rate this rig's first trial measured. Fixed by the first trial
  // (a run's first is the generator's ceiling), so every hook of a run times
  // alike; 0 before any trial when the rate is not given.
  std::uint32_t latency_sample_shift(const TrialSpec& spec) const;

 private:
  StatePaths state_paths_;
  UniqueFd stats_;
  std::unique_ptr<Topology> topology_;
  TrafficProfile traffic_;
  std::vector<Flow> flows4_, flows6_;
  std::optional<double> replay_drop_share_;  // of a file's frames, by the reference model
  void make_generator();
  std::uint64_t delivered() const;

  std::unique_ptr<LabHosts> lab_;
  std::unique_ptr<TrafficSource> generator_;
  std::unique_ptr<PacketSink> sink_;
  std::optional<int> dut_cpu_;
  std::vector<int> gen_cpus_;
  std::vector<int> dut_tasks_;             // the DUT's NAPI threads and its core's ksoftirqd
  std::optional<double> first_trial_pps_;  // offered by the first trial
};

// Set by SIGINT/SIGTERM (install_stop_signals): commands stop between trials.
bool stop_requested();
void install_stop_signals();

}  // namespace xb::bench
