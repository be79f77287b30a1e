// One hook of the DUT with the filter (or, for xdp-noop, the do-nothing
// reference program) attached for a benchmark run, and what it counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latency_histogram.hpp"
#include "rule_set.hpp"
#include "topology.hpp"

namespace xb::bench {

struct HookCounts {
  std::uint64_t seen = 0;     // packets the program ran on
  std::uint64_t dropped = 0;  // by a rule or a default
  std::uint64_t passed = 0;
  std::uint64_t run_time_ns = 0;  // the kernel's own accounting (bpf_stats)
  LatencyHistogram latency;       // generator to this hook (empty for xdp-noop)
};

class HookUnderTest {
 public:
  HookUnderTest(const std::string& hook, const Topology& topo, const RuleSet& rules);
  ~HookUnderTest();
  const std::string& name() const { return name_; }
  // Zero the counters (a reload of the same rules: a fresh counter generation).
  void reset();
  HookCounts read() const;

  // Why a hook cannot run in this rig on this machine; empty if it can.
  static std::string unavailable(const std::string& hook);

 private:
  struct Impl;
  std::string name_;
  std::unique_ptr<Impl> impl_;
};

// IPv4 and IPv6 packets that made it through a namespace's IP input path,
// netfilter hooks included (from its /proc/net/snmp and snmp6): where the
// filter's passed traffic ends on a veth pair.
std::uint64_t ip_packets_delivered(const std::string& ns);

}  // namespace xb::bench
