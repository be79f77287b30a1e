// xdpbench: the benchmark rig. `run` measures the filter at a hook (or all
// of them) next to xdp-noop on the embedded veth-pair topology; `cleanup`
// removes what a killed run left.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "bench_run.hpp"
#include "errors.hpp"
#include "hooks.hpp"
#include "libbpf_logging.hpp"
#include "topology.hpp"

namespace {

using namespace xb;

int run(int argc, char** argv) {
  CLI::App app{"xdpbench: packet rate at every kernel hook, side by side with xdp-noop"};
  app.require_subcommand(1);
  bench::RunOptions o;
  std::string hook = "xdp-native", rules_path;
  auto* run_cmd = app.add_subcommand("run", "measure the filter at a hook");
  run_cmd->add_option("--hook", hook, "a hook, or all")->capture_default_str();
  run_cmd->add_option("--rules", rules_path, "rule file (TOML); default: the embedded rule set");
  run_cmd->add_option("--topology", o.topology, "veth-pair, router, or a topology file")->capture_default_str();
  run_cmd->add_option("--duration", o.duration_s, "seconds per trial")->capture_default_str()->check(CLI::Range(0.1, 600.0));
  run_cmd->add_option("--warmup", o.warmup_s, "seconds of traffic before each trial")->capture_default_str();
  run_cmd->add_option("--repeat", o.repeat, "trials per hook")->capture_default_str()->check(CLI::Range(1, 1000));
  run_cmd->add_option("--rate", o.traffic.rate_pps, "offered packets per second (0: max)")->capture_default_str();
  run_cmd->add_option("--size", o.traffic.frame_size, "frame size in bytes, 64-1518")->capture_default_str()
      ->check(CLI::Range(64u, 1518u));
  run_cmd->add_option("--flows", o.traffic.flows, "UDP flows (source ports)")->capture_default_str();
  run_cmd->add_option("--count", o.max_packets, "at most this many packets per trial")->capture_default_str();
  run_cmd->add_option("--json", o.json_path, "write the result here");
  auto* cleanup = app.add_subcommand("cleanup", "remove namespaces a killed run left");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  route_libbpf_logging();
  if (::geteuid() != 0) throw Error("xdpbench needs root (it makes namespaces and loads BPF programs)");
  if (*cleanup) {
    fmt::print("removed {} namespaces\n", bench::Topology::cleanup_leftovers(std::string(bench::kRunPrefix) + "[0-9]+-"));
    return 0;
  }
  if (hook == "all") {
    o.hooks = hook_names();
  } else {
    if (hook != "xdp-noop") parse_hook(hook);
    o.hooks = {hook};
  }
  o.rules = rules_path.empty() ? default_rule_set() : load_rule_file(rules_path);
  return bench::run_benchmark(o);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const xb::Error& e) {
    std::cerr << "xdpbench: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "xdpbench: internal error: " << e.what() << "\n";
    return 1;
  }
}
