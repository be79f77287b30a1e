// Where the CPUs' time went during a trial, from /proc/stat: the share spent
// in softirq (where the receive path, and with it every hook but the socket
// filter's, runs) — of all CPUs, or of one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xb::bench {

class CpuUsage {
 public:
  // cpu: one CPU's line, or all CPUs together
  explicit CpuUsage(std::optional<int> cpu = std::nullopt);
  // Softirq share of the time since construction (or the last call), 0-100.
  double softirq_pct();

 private:
  struct Sample {
    std::uint64_t softirq = 0, total = 0;
  };
  Sample sample() const;
  std::optional<int> cpu_;
  Sample last_;
};

// Pins the calling thread to one CPU; throws Error naming the flag on failure.
void pin_this_thread(int cpu);
// Runs the DUT interface's receive processing (NAPI) in a kernel thread of
// its own and pins that thread to `cpu` (veth: /sys/class/net/DEV/threaded);
// returns the threads' ids.
std::vector<int> pin_receive_processing(const std::string& ns, const std::string& dev, int cpu);
// The softirq thread of a CPU, where softirq work raised there and not done
// at once runs.
std::optional<int> ksoftirqd_of(int cpu);

}  // namespace xb::bench
