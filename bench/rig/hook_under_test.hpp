// One hook of the DUT with the filter (or, for xdp-noop, the do-nothing
// reference program, or a baseline: nftables, iptables, a DPDK application)
// set up for a benchmark run, and what it counted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latency_histogram.hpp"
#include "rule_set.hpp"
#include "topology.hpp"

namespace xb::bench {

struct HookCounts {
  std::uint64_t seen = 0;     // packets the hook's code ran on
  std::uint64_t dropped = 0;  // by a rule or a default
  std::uint64_t passed = 0;
  std::uint64_t run_time_ns = 0;  // time in the hook's code: the kernel's bpf_stats, a DPDK loop's TSC
  bool has_run_time = false;      // nft and iptables have no such figure
  bool has_verdicts = true;       // false: a user's program, whose drops are its own
  // The passed packets end in the hook's own process (a DPDK application),
  // not in the DUT's IP stack: they count as delivered.
  bool delivers_passed = false;
  // The hook reads a queue of its own (an AF_XDP or AF_PACKET ring): what
  // the ring had no room for is its overload, not the stack's discarding
  // (analysis/hook_starved.hpp does not judge it).
  bool own_input_queue = false;
  LatencyHistogram latency;  // generator to this hook (empty where it cannot be read)
};

// Packets one counter of a hook counted: one rule's, or a group's where a
// set lookup stands for several rules; XB_RULE_* for the defaults.
struct RuleTally {
  std::vector<std::uint32_t> rules;
  std::uint64_t packets = 0;
};

class HookUnderTest {
 public:
  virtual ~HookUnderTest() = default;
  const std::string& name() const { return name_; }
  // Counting starts anew from here.
  virtual void reset() = 0;
  virtual HookCounts read() const = 0;
  // Since reset(), where the hook counts per rule (or per group of rules).
  virtual std::vector<RuleTally> rule_tallies() const { return {}; }
  // Processes of the hook's own doing the DUT's work (a DPDK application):
  // their CPU time counts as the DUT's.
  virtual std::vector<int> own_processes() const { return {}; }

 protected:
  explicit HookUnderTest(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// IPv4 and IPv6 packets that made it through a namespace's IP input path,
// netfilter hooks included (from its /proc/net/snmp and snmp6): where the
// filter's passed traffic ends on a veth pair.
std::uint64_t ip_packets_delivered(const std::string& ns);
// An interface's received packets, as its driver counts them (/proc/net/dev).
std::uint64_t interface_rx_packets(const std::string& ns, const std::string& dev);

}  // namespace xb::bench
