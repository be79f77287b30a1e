// xdpbench gate: is the current result a performance regression against the
// baseline? Per hook and metric: the change as a ratio of medians with a
// bootstrap confidence interval, the Mann-Whitney U test over the repeats,
// and a verdict that says "regression" only when the change is both
// significant and beyond the threshold. A rate that is the generator's, not
// the hook's (generator_bound.hpp), is shown but not judged: the hook's
// per-packet costs are, and the report says which rows it left out and why.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "result_file.hpp"

namespace xb::bench {

struct GateOptions {
  double threshold = 0.05;      // a change beyond 5% counts
  double alpha = 0.05;          // significance level of the U test
  std::size_t min_repeats = 9;  // fewer cannot claim significance (as compare.py warns)
  std::string markdown_path;    // a summary for a PR comment
  std::string baseline_label = "baseline", current_label = "current";
  // Compare results measured on different hardware (CPU, kernel, the DUT's
  // NIC driver) instead of refusing them.
  bool allow_other_hardware = false;
};

struct GateRow {
  std::string hook, metric, unit;
  bool higher_is_better = true;
  std::size_t n_baseline = 0, n_current = 0;
  double baseline_median = 0, current_median = 0, ratio = 1, ci_lo = 1, ci_hi = 1, p_value = 1;
  std::string verdict;  // "regression", "improvement", "no change", "too few repeats", "not judged"
};

struct GateReport {
  std::vector<GateRow> rows;
  std::vector<std::string> problems;    // bad input: exit 2
  std::vector<std::string> not_judged;  // rows left out of the verdict, and why
  bool too_few_repeats = false;
  int exit_code() const;
};

GateReport compare_results(const RunResult& baseline, const RunResult& current, const GateOptions& options);
// The result file of `xdpbench run --json`, as the gate judges it: this
// schema, a run, a config and every hook's trials. Throws xb::Error naming
// the file (and the member) for input it cannot judge at all.
RunResult load_result_file(const std::string& path);
// The same for the file's text, or its JSON; path names it in errors.
RunResult parse_result_file(const std::string& text, const std::string& path);
RunResult check_result(const nlohmann::json& doc, const std::string& path);

std::string gate_text(const GateReport& report, const GateOptions& options);
std::string gate_markdown(const GateReport& report, const GateOptions& options);

// Prints the text table, writes Markdown where asked; returns the exit code
// (0 pass, 1 regression, 2 bad input).
int run_gate(const std::string& baseline_path, const std::string& current_path, const GateOptions& options);

// The per-trial samples of one metric of one hook in a result file.
std::vector<double> metric_samples(const HookResult& hook_result, const std::string& metric);

}  // namespace xb::bench
