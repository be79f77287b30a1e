#include "gbench_json.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>

#include "stats.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

std::string local_time() {
  const std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%FT%T%z", std::localtime(&now));
  return buf;
}

}  // namespace

json google_benchmark_json(const std::map<std::string, std::vector<Trial>>& trials,
                           const std::vector<std::string>& hooks, const json& environment) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  json context = {{"date", local_time()},
                  {"host_name", host},
                  {"executable", "xdpbench"},
                  {"num_cpus", environment.value("cpus_online", 0)},
                  {"mhz_per_cpu", 0},
                  {"cpu_scaling_enabled", false},
                  {"caches", json::array()},
                  {"load_avg", json::array()},
                  {"library_build_type", "release"},
                  {"xdpbench", environment}};
  json benchmarks = json::array();
  int family = 0;
  for (const auto& hook : hooks) {
    const auto it = trials.find(hook);
    if (it == trials.end() || it->second.empty()) continue;
    const auto& ts = it->second;
    const std::string name = hook + "/rx";
    std::vector<double> real, cpu, rate;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const Trial& t = ts[i];
      const double pps = t.mpps(t.seen) * 1e6;
      real.push_back(pps > 0 ? 1e9 / pps : 0);
      cpu.push_back(t.has_run_time ? t.ns_per_pkt() : real.back());
      rate.push_back(pps);
      benchmarks.push_back({{"name", name},
                            {"family_index", family},
                            {"per_family_instance_index", 0},
                            {"run_name", name},
                            {"run_type", "iteration"},
                            {"repetitions", ts.size()},
                            {"repetition_index", i},
                            {"threads", 1},
                            {"iterations", t.seen},
                            {"real_time", real.back()},
                            {"cpu_time", cpu.back()},
                            {"time_unit", "ns"},
                            {"items_per_second", pps}});
    }
    const auto mean = [](const std::vector<double>& v) {
      double s = 0;
      for (const double x : v) s += x;
      return v.empty() ? 0 : s / static_cast<double>(v.size());
    };
    const auto stddev = [&](const std::vector<double>& v) {
      if (v.size() < 2) return 0.0;
      const double m = mean(v);
      double s = 0;
      for (const double x : v) s += (x - m) * (x - m);
      return std::sqrt(s / static_cast<double>(v.size() - 1));
    };
    for (const char* agg : {"mean", "median", "stddev"}) {
      const auto f = [&](const std::vector<double>& v) {
        return std::string(agg) == "mean" ? mean(v) : std::string(agg) == "median" ? median(v) : stddev(v);
      };
      benchmarks.push_back({{"name", name + "_" + agg},
                            {"family_index", family},
                            {"per_family_instance_index", 0},
                            {"run_name", name},
                            {"run_type", "aggregate"},
                            {"repetitions", ts.size()},
                            {"threads", 1},
                            {"aggregate_name", agg},
                            {"aggregate_unit", "time"},
                            {"iterations", ts.size()},
                            {"real_time", f(real)},
                            {"cpu_time", f(cpu)},
                            {"time_unit", "ns"},
                            {"items_per_second", f(rate)}});
    }
    ++family;
  }
  return {{"context", context}, {"benchmarks", benchmarks}};
}

}  // namespace xb::bench
