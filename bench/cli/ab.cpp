#include "ab.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "errors.hpp"
#include "rig.hpp"
#include "run_command.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

std::string xdpbench_of(const std::string& build_dir) {
  std::string path = (std::filesystem::path(build_dir) / "bench" / "xdpbench").string();
  if (::access(path.c_str(), X_OK) != 0) throw Error(fmt::format("{}: no xdpbench built there ({})", build_dir, path));
  return path;
}

// One trial of every hook by one build: `xdpbench run --repeat=1`.
RunResult one_run(const std::string& xdpbench, const std::vector<std::string>& run_args, const std::string& json_path) {
  std::vector<std::string> argv = {xdpbench, "run"};
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  argv.insert(argv.end(), {"--repeat=1", "--json=" + json_path});
  const auto r = run_command(argv);
  if (r.status != 0) {
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    throw Error(fmt::format("{} failed (status {}): {}", fmt::join(argv, " "), r.status, err));
  }
  return load_result_file(json_path);
}

// Appends the trials of `next` to `merged`, hook by hook, and the
// generator's ceiling trials (which the gate reads) to its own.
void merge(std::optional<RunResult>& merged, const RunResult& next) {
  if (!merged) {
    merged = next;
    return;
  }
  for (auto& r : merged->results)
    for (const auto& n : next.results)
      if (n.hook == r.hook) r.trials.insert(r.trials.end(), n.trials.begin(), n.trials.end());
  if (merged->generator_ceiling && next.generator_ceiling)
    merged->generator_ceiling->trials.insert(merged->generator_ceiling->trials.end(),
                                             next.generator_ceiling->trials.begin(),
                                             next.generator_ceiling->trials.end());
}

}  // namespace

int run_ab(const AbOptions& o) {
  install_stop_signals();
  const std::string a = xdpbench_of(o.build_a), b = xdpbench_of(o.build_b);
  const std::string tmp = (std::filesystem::temp_directory_path() / fmt::format("xdpbench-ab-{}.json", ::getpid()));
  std::optional<RunResult> merged_a, merged_b;
  fmt::print("xdpbench ab: {} pairs of trials, A = {}, B = {}, interleaved A B A B ...\n", o.pairs, o.build_a,
             o.build_b);
  try {
    for (int i = 0; i < o.pairs; ++i) {
      if (stop_requested()) throw Error("interrupted");
      merge(merged_a, one_run(a, o.run_args, tmp));
      merge(merged_b, one_run(b, o.run_args, tmp));
      fmt::print(stderr, "\rpair {}/{}", i + 1, o.pairs);
    }
    fmt::print(stderr, "\n");
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  std::filesystem::remove(tmp);
  if (!merged_a || !merged_b) throw Error("ab: no pairs were run (--pairs)");
  merged_a->config["repeat"] = o.pairs;
  merged_b->config["repeat"] = o.pairs;
  if (!o.json_a.empty()) std::ofstream(o.json_a) << json(*merged_a).dump(2) << "\n";
  if (!o.json_b.empty()) std::ofstream(o.json_b) << json(*merged_b).dump(2) << "\n";
  GateOptions g = o.gate;
  g.baseline_label = "A (" + o.build_a + ")";
  g.current_label = "B (" + o.build_b + ")";
  const GateReport rep = compare_results(*merged_a, *merged_b, g);
  fmt::print("{}", gate_text(rep, g));
  if (!g.markdown_path.empty()) std::ofstream(g.markdown_path) << gate_markdown(rep, g);
  return rep.exit_code();
}

}  // namespace xb::bench
