// One hook's trials of `xdpbench run`, summarised: median and min-max of
// every figure, as the table prints them and the result file keeps them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "generator_bound.hpp"
#include "hook_starved.hpp"
#include "trial.hpp"

namespace xb::bench {

struct HookSummary {
  std::string hook;
  Spread offered, rx, drop, pass, delivered, loss, prog_ns, dut_cpu_ns, sirq;
  Spread sink_p50, sink_p99, sink_p999, hook_p50, hook_p99, hook_p999;  // us
  bool has_run_time = false, has_dut_cpu = false, has_verdicts = false, has_latency = false, has_hook_latency = false;
  double ratio_to_noop = 0, ratio_to_native = 0;  // 0: no such hook in the run
  GeneratorBound generator;
  HookStarved input;  // from the trials, by summarize()
};

// noop_rx, native_rx: those hooks' median rx Mpps in the run (0: absent).
HookSummary summarize(const std::string& hook, const std::vector<Trial>& trials, double noop_rx, double native_rx);
// What generator_bound() reads of a hook's trials.
RateSamples rate_samples(const std::vector<Trial>& trials);
// What hook_starved() reads of a hook's trials.
std::vector<InputSample> input_samples(const std::vector<Trial>& trials);

// The table of `run`: its header and one row per hook; a generator-bound
// hook's name carries a '*', a starved one's a '!', each explained in one
// line under the table.
std::string summary_table_header();
std::string summary_table_row(const HookSummary& s);

nlohmann::json spread_json(const Spread& s);
nlohmann::json trial_json(const Trial& t);
// The "summary" object of a hook in the result file.
nlohmann::json summary_json(const HookSummary& s, const std::vector<Trial>& trials, bool baseline);

}  // namespace xb::bench
