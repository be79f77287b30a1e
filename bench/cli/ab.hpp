// xdpbench ab: two builds measured interleaved, A B A B ..., on the same
// topology and traffic, then judged by the gate: the way to gate a change on
// a shared, noisy machine, where drift hits both builds alike.
#pragma once

#include <string>
#include <vector>

#include "gate.hpp"

namespace xb::bench {

struct AbOptions {
  std::string build_a, build_b;       // build directories (their bench/xdpbench runs)
  int pairs = 10;                     // A and B trials each
  std::vector<std::string> run_args;  // given to every `xdpbench run` (--hook, --duration, ...)
  std::string json_a, json_b;         // the merged results, if wanted
  GateOptions gate;
};

// Exit code as the gate's (0 pass, 1 regression, 2 cannot judge).
int run_ab(const AbOptions& options);

}  // namespace xb::bench
