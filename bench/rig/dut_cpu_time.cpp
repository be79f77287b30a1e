#include "dut_cpu_time.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernel_config.hpp"

namespace xb::bench {
namespace {

bool irq_time_accounted_apart() {
  const auto o = kernel_option("CONFIG_IRQ_TIME_ACCOUNTING");
  return o && o->value == "y";
}

// irq + softirq of one CPU's line in /proc/stat, ns
double irq_ns(int cpu) {
  static const double ns_per_tick = 1e9 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream stat("/proc/stat");
  const std::string want = fmt::format("cpu{}", cpu);
  for (std::string line; std::getline(stat, line);) {
    std::istringstream in(line);
    std::string name;
    in >> name;
    if (name != want) continue;
    double v[7] = {};  // user nice system idle iowait irq softirq
    for (auto& x : v) in >> x;
    return (v[5] + v[6]) * ns_per_tick;
  }
  return 0;
}

}  // namespace

DutCpuTime::DutCpuTime(std::vector<int> pids, int cpu)
    : pids_(std::move(pids)), cpu_(cpu), irq_time_apart_(irq_time_accounted_apart()), start_(sample()) {}

DutCpuTime::Sample DutCpuTime::sample() const {
  Sample s;
  std::error_code ec;
  for (const int pid : pids_) {
    const auto dir = std::filesystem::path("/proc") / std::to_string(pid) / "task";
    for (const auto& task : std::filesystem::directory_iterator(dir, ec)) {
      std::ifstream in(task.path() / "schedstat");
      double ns = 0;  // time on a CPU, time waiting for one, time slices
      if (in >> ns) s.task_ns[task.path().string()] = ns;
    }
  }
  if (irq_time_apart_) s.irq_ns = irq_ns(cpu_);
  return s;
}

double DutCpuTime::ns() const {
  const Sample now = sample();
  double total = now.irq_ns - start_.irq_ns;
  for (const auto& [task, ns] : now.task_ns) {
    // a thread that started since (a DPDK lcore) counts from zero
    const auto then = start_.task_ns.find(task);
    total += ns - (then == start_.task_ns.end() ? 0 : then->second);
  }
  return total;
}

}  // namespace xb::bench
