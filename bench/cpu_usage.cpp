#include "cpu_usage.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sched.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "errors.hpp"

namespace xb::bench {

CpuUsage::CpuUsage(std::optional<int> cpu) : cpu_(cpu), last_(sample()) {}

CpuUsage::Sample CpuUsage::sample() const {
  std::ifstream stat("/proc/stat");
  const std::string want = cpu_ ? fmt::format("cpu{}", *cpu_) : "cpu";
  for (std::string line; std::getline(stat, line);) {
    std::istringstream in(line);
    std::string name;
    in >> name;
    if (name != want) continue;
    // user nice system idle iowait irq softirq steal
    std::uint64_t v[8] = {};
    for (auto& x : v) in >> x;
    Sample s;
    s.softirq = v[6];
    for (auto x : v) s.total += x;
    return s;
  }
  return {};
}

double CpuUsage::softirq_pct() {
  const Sample now = sample();
  const double total = static_cast<double>(now.total - last_.total);
  const double pct = total > 0 ? 100.0 * static_cast<double>(now.softirq - last_.softirq) / total : 0;
  last_ = now;
  return pct;
}

void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set))
    throw Error(errno_message(fmt::format("--cpu: pin to CPU {}", cpu), errno));
}

void pin_receive_processing(const std::string& ns, const std::string& dev, int cpu) {
  const std::string enable = fmt::format("ip netns exec {} sh -c 'echo 1 > /sys/class/net/{}/threaded'", ns, dev);
  if (std::system(enable.c_str()) != 0) throw Error("--cpu: cannot make " + dev + "'s NAPI threaded");
  // the threads are named napi/<dev>-<id>; the device name is only unique in
  // its namespace, so pin every such thread (the run's namespaces are its own)
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int pinned = 0;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      const int pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::ifstream comm(fmt::format("/proc/{}/comm", pid));
      std::string name;
      std::getline(comm, name);
      if (name.rfind("napi/" + dev + "-", 0) != 0) continue;
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      if (sched_setaffinity(pid, sizeof(set), &set) == 0) ++pinned;
    }
    ::closedir(proc);
  }
  if (!pinned) throw Error("--cpu: found no NAPI thread of " + dev + " to pin");
}

}  // namespace xb::bench
