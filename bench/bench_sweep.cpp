// xdpbench sweep: packet rate and per-packet cost against the number of
// rules, every rule count measured next to xdp-noop in the same run.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench_run.hpp"
#include "hook_under_test.hpp"
#include "synthetic_rules.hpp"

namespace xb::bench {

int run_sweep(const SweepOptions& s) {
  install_stop_signals();
  const RunOptions& o = s.run;
  Rig rig(o.topology, o.traffic, o.cpus);
  fmt::print(
      "xdpbench sweep: topology {}, synthetic rule sets (seed 42), {}-byte frames, {} x {:.1f} s trials per "
      "point; {}\n",
      rig.topology().spec().name, o.traffic.frame_size, o.repeat, o.trial.seconds,
      o.traffic.mix == "rules" ? "flows aimed at each rule set" : "flows no rule matches (every shape searched)");
  fmt::print("{:>8} {:<14} {:>22} {:>18} {:>8}\n", "rules", "hook", "rx Mpps (min-max)", "ns/pkt (min-max)", "vs noop");
  nlohmann::json results = nlohmann::json::array();
  for (const std::uint32_t count : s.rule_counts) {
    const RuleSet rules = synthetic_rules({.count = count, .seed = 42});
    rig.use_rules(rules);
    std::vector<std::string> hooks = {"xdp-noop"};
    for (const auto& h : o.hooks)
      if (h != "xdp-noop" && hook_unavailable(h).empty()) hooks.push_back(h);
    std::map<std::string, std::vector<Trial>> trials;
    for (int rep = 0; rep < o.repeat; ++rep)
      for (const auto& h : hooks) {
        if (stop_requested()) return 130;
        std::string why;
        const auto hook = make_hook_or_skip(h, rig.topology(), rules, why);
        if (!hook) {
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
    for (const auto& h : hooks) {
      if (trials[h].empty()) continue;
      std::vector<double> ns;
      for (const auto& t : trials[h]) ns.push_back(t.ns_per_pkt());
      const Spread rx = rx_of(h), cost = spread(ns);
      fmt::print("{:>8} {:<14} {:>9.3f} ({:.3f}-{:.3f}) {:>7.1f} ({:.1f}-{:.1f}) {:>8.2f}\n", count, h, rx.median,
                 rx.min, rx.max, cost.median, cost.min, cost.max, noop > 0 ? rx.median / noop : 0);
      results.push_back({{"rules", count},
                         {"hook", h},
                         {"rx_mpps", {{"median", rx.median}, {"min", rx.min}, {"max", rx.max}}},
                         {"ns_per_pkt", {{"median", cost.median}, {"min", cost.min}, {"max", cost.max}}},
                         {"rx_ratio_to_noop", noop > 0 ? rx.median / noop : 0}});
    }
  }
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << nlohmann::json{{"schema", 1}, {"command", "sweep"}, {"results", results}}.dump(2)
                               << "\n";
    fmt::print("wrote {}\n", o.json_path);
  }
  return 0;
}

}  // namespace xb::bench
