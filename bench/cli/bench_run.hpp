// The xdpbench commands: run (every hook next to xdp-noop), search (RFC 2544
// throughput), sweep (rate and cost against rule count).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "live_frame_generator.hpp"
#include "result_file.hpp"
#include "rig.hpp"
#include "rule_set.hpp"
#include "user_program_hook.hpp"

namespace xb::bench {

struct RunOptions {
  std::vector<std::string> hooks;      // "xdp-noop" is always added
  std::string topology = "veth-pair";  // embedded name or file
  std::string ssh_config;              // --ssh-config: how a lab's hosts are reached (else ssh's own)
  RuleSet rules;
  TrafficProfile traffic;
  TrialSpec trial;
  int repeat = 5;
  std::vector<int> cpus;      // {generator, DUT}: pinned when given
  std::vector<int> gen_cpus;  // a generator thread on each (--gen-cpus); empty: one
  std::string json_path;
  std::string gbench_json_path;                   // Google Benchmark's format, for compare.py and CI actions
  std::string program_label = "xdpbench filter";  // or the user's --prog FILE[:SECTION]
  std::optional<UserProgram> user_program;        // --prog: measured instead of the filter
};

struct SearchOptions {
  RunOptions run;
  double loss_tolerance_pct = 0;  // 0: NDR
  std::vector<std::uint32_t> sizes = {64};
  double search_trial_s = 0.5;
};

struct SweepOptions {
  RunOptions run;
  std::vector<std::uint32_t> rule_counts = {10, 1000, 100000};
};

// How the rig reaches a lab's hosts with these options (their --ssh-config).
LabConnector lab_connector(const RunOptions& options);

// Each prints its table (and writes JSON where asked); returns the exit code.
int run_benchmark(const RunOptions& options);
int run_search(const SearchOptions& options);
int run_sweep(const SweepOptions& options);

}  // namespace xb::bench
