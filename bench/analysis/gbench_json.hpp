// A run's trials in Google Benchmark's JSON output format, so that tools made
// for it read xdpbench results: compare.py (with its U test over
// repetitions) and github-action-benchmark's "googlecpp" tool.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trial.hpp"

namespace xb::bench {

// One benchmark per hook, "<hook>/rx", each trial a repetition: real_time is
// the time per received packet at the hook's rate (1e9 / rx pps: lower is
// better, as those tools assume), cpu_time the hook's own ns/packet where it
// has one (else the same as real_time), items_per_second the rx rate; then
// mean, median and stddev aggregates, as --benchmark_repetitions writes them.
nlohmann::json google_benchmark_json(const std::map<std::string, std::vector<Trial>>& trials,
                                     const std::vector<std::string>& hooks, const nlohmann::json& environment);

}  // namespace xb::bench
