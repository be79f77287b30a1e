// A lab's hosts as the rig drives them: the generator on one host's
// interface, the hooks on the DUT host's, each through the agent there
// (bench/lab/ implements this over OpenSSH). The rig runs its trials the
// same way on a lab as on the namespaces it makes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flow_table.hpp"
#include "hook_under_test.hpp"
#include "packet_sink.hpp"
#include "rule_compiler.hpp"
#include "topology.hpp"
#include "traffic_profile.hpp"
#include "traffic_source.hpp"

namespace xb::bench {

class LabHosts {
 public:
  virtual ~LabHosts() = default;
  // The roles' interfaces as their hosts describe them.
  virtual std::unique_ptr<Topology> topology() = 0;
  // The DUT host and its NIC, and the generator's host and NIC under
  // "generator_host": what a result records (environment.hpp).
  virtual nlohmann::json dut_environment() = 0;
  // Where the generator runs: "host tg (root@tg.lab)".
  virtual std::string generator_place() const = 0;
  virtual std::unique_ptr<TrafficSource> generator(const TrafficProfile& traffic, const std::vector<Flow>& flows4,
                                                   const std::vector<Flow>& flows6,
                                                   const std::vector<int>& gen_cpus) = 0;
  // The hook set up on the DUT's interface; a baseline that cannot be gives
  // null and why_skipped (the filter's own hooks throw).
  virtual std::unique_ptr<HookUnderTest> hook(const std::string& name, const CompiledRuleSet& rules,
                                              std::string& why_skipped, std::uint32_t latency_sample_shift) = 0;
  // Why the DUT host cannot run a hook, naming the host; empty if it can.
  virtual std::string hook_unavailable(const std::string& name) = 0;
  // The roles' NICs' own counts: what the generator's sent, the DUT's received.
  struct NicCounts {
    std::uint64_t generator_tx = 0, generator_tx_dropped = 0, dut_rx = 0;
  };
  virtual NicCounts nic_counts() = 0;
  // The sink on the generator's host, where the topology names one (else null).
  virtual std::unique_ptr<PacketSink> sink() = 0;
  // Empty where one host's clock stamps and reads (generator and DUT on one
  // host); else why one-way latency is not measured, with what linuxptp
  // says of each host's clock.
  virtual std::string two_clocks() = 0;
  // --cpu on a lab: the DUT interface's receive processing in a thread of
  // its own pinned to `cpu` there (journalled: put back after the run).
  virtual void pin_dut(int cpu) = 0;
  // A trial on the DUT host: begin (the hook's own processes counted with the
  // DUT's receive work where pinned), the share of its CPUs' time in softirq
  // since, and the DUT core's busy time since (pinned only).
  virtual void begin_trial(const std::string& hook) = 0;
  virtual double softirq_pct() = 0;
  virtual std::optional<double> dut_cpu_ns() = 0;
  // IP packets the DUT host delivered (ip_packets_delivered there).
  virtual std::uint64_t delivered() = 0;
};

// Reaches a lab's hosts (bench/lab/connect_lab): given to the rig by the
// command, which knows how (the SSH config).
using LabConnector = std::function<std::unique_ptr<LabHosts>(const TopologySpec&)>;

}  // namespace xb::bench
