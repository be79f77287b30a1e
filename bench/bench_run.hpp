// `xdpbench run`: each hook side by side with xdp-noop on the same topology
// and traffic, trials interleaved (noop, hook, noop, hook, ...) so drift hits
// both alike; median and spread over the repeats.
#pragma once

#include <string>
#include <vector>

#include "live_frame_generator.hpp"
#include "rule_set.hpp"

namespace xb::bench {

// Every namespace of a run is named kRunPrefix<pid>-<name>.
inline constexpr const char* kRunPrefix = "xbr";

struct RunOptions {
  std::vector<std::string> hooks;  // "xdp-noop" is always added
  std::string topology = "veth-pair";  // embedded name or file
  RuleSet rules;
  TrafficProfile traffic;
  double duration_s = 2;
  double warmup_s = 0.5;
  int repeat = 5;
  std::uint64_t max_packets = 50'000'000;  // per trial
  std::string json_path;
};

// Prints the table; returns the process exit code.
int run_benchmark(const RunOptions& options);

}  // namespace xb::bench
