#include "cpu_usage.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "errors.hpp"
#include "run_command.hpp"

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

namespace {

// Kernel threads and processes whose name (comm) starts with `prefix`.
std::vector<int> pids_named(const std::string& prefix) {
  std::vector<int> pids;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      int pid = 0;
      const std::string_view entry(e->d_name);
      if (std::from_chars(entry.data(), entry.data() + entry.size(), pid).ec != std::errc() || pid <= 0) continue;
      std::ifstream comm(fmt::format("/proc/{}/comm", pid));
      std::string name;
      std::getline(comm, name);
      if (name.rfind(prefix, 0) == 0) pids.push_back(pid);
    }
    ::closedir(proc);
  }
  return pids;
}

}  // namespace

std::vector<int> pin_receive_processing(const std::string& ns, const std::string& dev, int cpu) {
  // the threads are named napi/<dev>-<id>, and the device name is only unique
  // in its namespace: ours are those that appear when we switch it on
  const std::string prefix = "napi/" + dev + "-";
  const std::vector<int> before = pids_named(prefix);
  // inside the namespace: only there does /sys/class/net show its devices
  if (run_command({"tee", "/sys/class/net/" + dev + "/threaded"}, {.netns = ns, .input = "1\n"}).status != 0)
    throw Error("--cpu: cannot make " + dev + "'s NAPI threaded");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<int> ours;
  for (const int pid : pids_named(prefix))
    if (std::find(before.begin(), before.end(), pid) == before.end()) ours.push_back(pid);
  std::vector<int> pinned;
  for (const int pid : ours) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(pid, sizeof(set), &set) == 0) pinned.push_back(pid);
  }
  if (pinned.empty()) throw Error("--cpu: found no NAPI thread of " + dev + " to pin");
  return pinned;
}

std::optional<int> ksoftirqd_of(int cpu) {
  const std::string name = fmt::format("ksoftirqd/{}", cpu);
  for (const int pid : pids_named(name)) {
    std::ifstream comm(fmt::format("/proc/{}/comm", pid));
    std::string exact;
    std::getline(comm, exact);
    if (exact == name) return pid;  // not ksoftirqd/10 for 1
  }
  return std::nullopt;
}

}  // namespace xb::bench
