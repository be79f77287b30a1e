// xdpbench sweep: packet rate and per-packet cost against the number of
// rules, every rule count measured next to xdp-noop in the same run.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench_run.hpp"
#include "environment.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "synthetic_rules.hpp"

namespace xb::bench {

int run_sweep(const SweepOptions& s) {
  install_stop_signals();
  const RunOptions& o = s.run;
  Rig rig(o.topology, o.traffic, o.cpus, o.gen_cpus, lab_connector(o));
  fmt::print(
      "xdpbench sweep: topology {}, synthetic rule sets (seed 42), {}-byte frames, {} x {:.1f} s trials per "
      "point; {}\n",
      rig.topology().spec().name, o.traffic.frame_size, o.repeat, o.trial.seconds,
      o.traffic.mix == "rules" ? "flows aimed at each rule set" : "flows no rule matches (every shape searched)");
  fmt::print("{:>8} {:<15} {:>22} {:>20} {:>8} {:>9} {:>8}\n", "rules", "hook", "rx Mpps (min-max)", "ns/pkt (min-max)",
             "vs noop", "vs native", "drop%");
  nlohmann::json results = nlohmann::json::array();
  for (const std::uint32_t count : s.rule_counts) {
    const CompiledRuleSet rules(synthetic_rules({.count = count, .seed = 42}));
    rig.use_rules(rules);
    std::vector<std::string> hooks = {"xdp-noop"};
    for (const auto& h : o.hooks)
      if (h != "xdp-noop" && rig_hook_unavailable(h, rig).empty()) hooks.push_back(h);
    std::map<std::string, std::vector<Trial>> trials;
    std::map<std::string, std::string> skipped;
    for (int rep = 0; rep < o.repeat; ++rep)
      for (const auto& h : hooks) {
        if (stop_requested()) return 130;
        if (skipped.count(h)) continue;
        std::string why;
        const auto hook = make_rig_hook(h, rig, rules, &why, rig.latency_sample_shift(o.trial));
        if (!hook) {
          skipped[h] = why;
          fmt::print("{:>8} {:<15} skipped: {}\n", count, h, why);
          continue;
        }
        trials[h].push_back(rig.trial(*hook, o.trial));
      }
    auto rx_of = [&](const std::string& h) {
      std::vector<double> v;
      for (const auto& t : trials[h]) v.push_back(t.mpps(t.seen));
      return spread(v);
    };
    const double noop = rx_of("xdp-noop").median;
    const double native = trials.count("xdp-native") && !trials["xdp-native"].empty() ? rx_of("xdp-native").median : 0;
    for (const auto& h : hooks) {
      if (trials[h].empty()) continue;
      std::vector<double> ns, drop;
      for (const auto& t : trials[h]) {
        ns.push_back(t.ns_per_pkt());
        drop.push_back(t.seen ? 100.0 * static_cast<double>(t.dropped) / static_cast<double>(t.seen) : 0);
      }
      const Spread rx = rx_of(h), cost = spread(ns);
      const bool run_time = trials[h].front().has_run_time;
      fmt::print("{:>8} {:<15} {:>9.3f} ({:.3f}-{:.3f}) {:>20} {:>8.2f} {:>9} {:>8.1f}\n", count, h, rx.median, rx.min,
                 rx.max, run_time ? fmt::format("{:.1f} ({:.1f}-{:.1f})", cost.median, cost.min, cost.max) : "-",
                 noop > 0 ? rx.median / noop : 0, native > 0 ? fmt::format("{:.2f}", rx.median / native) : "-",
                 spread(drop).median);
      results.push_back(
          {{"rules", count},
           {"hook", h},
           {"rx_mpps", {{"median", rx.median}, {"min", rx.min}, {"max", rx.max}}},
           {"ns_per_pkt", run_time ? nlohmann::json{{"median", cost.median}, {"min", cost.min}, {"max", cost.max}}
                                   : nlohmann::json(nullptr)},
           {"rx_ratio_to_noop", noop > 0 ? rx.median / noop : 0},
           {"rx_ratio_to_native", native > 0 ? nlohmann::json(rx.median / native) : nlohmann::json(nullptr)}});
    }
    std::fflush(stdout);  // a long sweep shows each point as it ends
  }
  write_result_file(o.json_path, {{"schema", kResultSchema},
                                  {"command", "sweep"},
                                  {"environment", result_environment()},
                                  {"config",
                                   {{"topology", rig.topology().spec().name},
                                    {"frame_size", o.traffic.frame_size},
                                    {"mix", o.traffic.mix},
                                    {"flows", o.traffic.flows},
                                    {"ipv6_share", o.traffic.ipv6_share},
                                    {"repeat", o.repeat},
                                    {"duration_s", o.trial.seconds}}},
                                  {"results", results}});
  return 0;
}

}  // namespace xb::bench
