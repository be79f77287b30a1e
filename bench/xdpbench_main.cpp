// xdpbench: the benchmark rig. This first version knows its commands and
// says what is not there yet; `run` comes with the rig (issue 4).
#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"xdpbench: packet rate and latency of one filter at every kernel hook"};
  std::string hook = "xdp-native";
  auto* run = app.add_subcommand("run", "measure the filter at a hook");
  run->add_option("--hook", hook, "hook to measure");
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  if (*run) {
    std::cerr << "xdpbench run: the traffic rig is not built yet; the per-packet cost of the filter is "
                 "measured by bench_prog_cost (see README)\n";
    return 2;
  }
  return 0;
}
