// xdpbench: the benchmark rig. `run` measures the filter at a hook (or all
// of them) next to xdp-noop on the embedded veth-pair topology; `cleanup`
// removes what a killed run left.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "ab.hpp"
#include "agent.hpp"
#include "bench_run.hpp"
#include "cli_parse_error.hpp"
#include "errors.hpp"
#include "filter_hook.hpp"
#include "gate.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "hooks.hpp"
#include "lab_connection.hpp"
#include "libbpf_logging.hpp"
#include "report.hpp"
#include "rig.hpp"
#include "rule_files.hpp"
#include "topology.hpp"
#include "traffic_file.hpp"
#include "traffic_profile.hpp"

namespace {

using namespace xb;

std::vector<std::uint32_t> parse_list(const std::string& flag, const std::string& text) {
  std::vector<std::uint32_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      out.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    } catch (const std::exception&) {
      throw Error(fmt::format("{}: '{}' is not a number", flag, item));
    }
  }
  if (out.empty()) throw Error(flag + ": empty list");
  return out;
}

// "0-3,8" -> 0 1 2 3 8
std::vector<int> parse_cpu_list(const std::string& flag, const std::string& text) {
  std::vector<int> cpus;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    // "N" or "N-M", digits only: from_chars reports what sscanf would not
    unsigned lo = 0, hi = 0;
    const char* end = item.data() + item.size();
    std::from_chars_result r = std::from_chars(item.data(), end, lo);
    hi = lo;
    if (r.ec == std::errc() && r.ptr != end && *r.ptr == '-') r = std::from_chars(r.ptr + 1, end, hi);
    if (r.ec != std::errc() || r.ptr != end || hi < lo || !std::isdigit(static_cast<unsigned char>(item.front())))
      throw CLI::ValidationError(flag, "'" + item + "' is not a CPU or a range of CPUs (e.g. 0,1 or 0-7)");
    for (unsigned c = lo; c <= hi; ++c) cpus.push_back(static_cast<int>(c));
  }
  if (cpus.empty()) throw CLI::ValidationError(flag, "an empty list");
  return cpus;
}

// "5%" or "5" -> 0.05
double parse_percentage(const char* flag, const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == '%') t.pop_back();
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != t.size() || v < 0 || v > 100)
    throw Error(fmt::format("{}: '{}' is not a percentage (e.g. 5%)", flag, text));
  return v / 100;
}

// --rules and --classbench-action
struct RulesOption {
  std::string spec;
  std::string classbench_action = "drop";
};

// The options every measuring command shares.
void add_run_options(CLI::App* cmd, bench::RunOptions& o, std::string& hook, RulesOption& rules, std::string& profile,
                     std::string& traffic) {
  cmd->add_option("--profile", profile,
                  "traffic profile: default, imix, worst-case, or a file; the traffic flags given override it");
  cmd->add_option("--hook", hook, "a hook, a comma-separated list, iptables (both backends) or all")
      ->capture_default_str();
  cmd->add_option("--rules", rules.spec,
                  "rule file: TOML, ClassBench, iptables-save or nft -j JSON (told apart by the first character), "
                  "or toml:FILE, classbench:FILE, iptables:FILE, nft:FILE; default: the embedded rule set");
  cmd->add_option("--classbench-action", rules.classbench_action,
                  "drop | pass: the action of every rule of a ClassBench file (the format has none)")
      ->capture_default_str()
      ->check(CLI::IsMember({"drop", "pass"}));
  cmd->add_option("--topology", o.topology, "veth-pair, router, or a topology file (namespaces, or a lab's hosts)")
      ->capture_default_str();
  cmd->add_option("--ssh-config", o.ssh_config,
                  "ssh's config file for a lab's hosts (ssh -F); default: ssh's own (~/.ssh/config)");
  cmd->add_option("--duration", o.trial.seconds, "seconds per trial")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--warmup", o.trial.warmup_s, "seconds of traffic before each trial")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_option("--repeat", o.repeat, "trials per hook")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--engine", o.traffic.engine,
                  "what generates: xdpbench (live frames, BPF_PROG_TEST_RUN), trafgen (netsniff-ng's) or pktgen "
                  "(the kernel's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"xdpbench", "trafgen", "pktgen"}));
  cmd->add_option("--rate", o.traffic.rate_pps, "offered packets per second (0: max)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option_function<std::string>(
         "--size",
         [&o](const std::string& v) {
           o.traffic.imix = v == "imix";
           if (o.traffic.imix) return;
           try {
             o.traffic.frame_size = static_cast<std::uint32_t>(std::stoul(v));
           } catch (const std::exception&) {
             throw CLI::ValidationError("--size", "'" + v + "': a frame size 64-1518, or imix");
           }
           if (o.traffic.frame_size < 64 || o.traffic.frame_size > 1518)
             throw CLI::ValidationError("--size", "'" + v + "': a frame size 64-1518, or imix");
         },
         "frame size in bytes (64-1518, FCS included), or imix (7:4:1 of 64, 594, 1518)")
      ->default_str("64");
  cmd->add_option("--flows", o.traffic.flows, "distinct flows")->capture_default_str()->check(CLI::Range(1u, 4096u));
  cmd->add_option("--mix", o.traffic.mix, "rules: flows aimed at the rule set; miss: flows no rule matches")
      ->capture_default_str()
      ->check(CLI::IsMember({"rules", "miss"}));
  cmd->add_option("--drop-share", o.traffic.drop_share,
                  "rules mix: share of flows the rules drop, 0-1 (default: as the rule set falls)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--ipv6-share", o.traffic.ipv6_share, "share of IPv6 packets, 0-1")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--count", o.trial.max_packets, "at most this many packets per trial")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000'000}));
  cmd->add_option("--json", o.json_path, "write the result here");
  cmd->add_option_function<std::string>(
      "--prog",
      [&o](const std::string& v) {
        o.user_program = bench::UserProgram{v, o.user_program ? o.user_program->section : ""};
      },
      "benchmark your own XDP or tc object (FILE.bpf.o) at --hook instead of the filter");
  cmd->add_option_function<std::string>(
      "--section",
      [&o](const std::string& v) {
        if (o.user_program)
          o.user_program->section = v;
        else
          o.user_program = bench::UserProgram{"", v};
      },
      "with --prog: the program's SEC() name or function name (default: the first)");
  cmd->add_option("--gbench-json", o.gbench_json_path,
                  "also write the trials in Google Benchmark's JSON format (compare.py, github-action-benchmark)");
  cmd->add_option("--cpu", o.cpus, "GEN,DUT: pin the generator and the DUT's receive processing")
      ->delimiter(',')
      ->expected(2);
  cmd->add_option_function<std::string>(
      "--gen-cpus", [&o](const std::string& v) { o.gen_cpus = parse_cpu_list("--gen-cpus", v); },
      "LIST (e.g. 0,1 or 0-7): one generator thread on each CPU, the veths with as many queues; with "
      "--cpu=GEN,DUT, GEN must be in LIST and DUT not");
  cmd->add_option("--traffic", traffic,
                  "replay a file's frames, in order and cycled: a pcap or a ClassBench trace (told apart by the "
                  "first bytes), or pcap:FILE, classbench-trace:FILE (run only)");
}

// --traffic: the file read and checked whole before the rig makes anything.
void resolve_traffic(const CLI::App* cmd, bench::RunOptions& o, const std::string& spec) {
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  // checked before the rig makes anything
  for (const int cpu : o.cpus)
    if (cpu < 0 || cpu >= online) throw Error(fmt::format("--cpu: no CPU {} (this machine has 0-{})", cpu, online - 1));
  for (const int cpu : o.gen_cpus)
    if (cpu >= online) throw Error(fmt::format("--gen-cpus: no CPU {} (this machine has 0-{})", cpu, online - 1));
  if (spec.empty()) return;
  if (cmd->get_name() != "run") throw Error("--traffic: only xdpbench run replays files");
  for (const char* flag : {"--flows", "--mix", "--drop-share", "--ipv6-share"})
    if (cmd->count(flag)) throw Error(fmt::format("{}: with --traffic the frames are the file's", flag));
  auto file = std::make_shared<bench::TrafficFile>(bench::read_traffic_file(spec, o.traffic));
  if (file->fixes_size && cmd->count("--size"))
    throw Error("--size: a pcap's frames keep the sizes they were captured with");
  o.traffic.file = std::move(file);
}

// The profile's traffic, with every traffic flag given on the command line over it.
void apply_profile(const CLI::App* cmd, bench::RunOptions& o, const std::string& profile) {
  if (profile.empty()) return;
  const bench::TrafficProfile given = o.traffic;
  bench::TrafficProfile p = bench::load_traffic_profile(profile, bench::TrafficProfile{});
  if (cmd->count("--size")) {
    p.frame_size = given.frame_size;
    p.imix = given.imix;
  }
  if (cmd->count("--flows")) p.flows = given.flows;
  if (cmd->count("--mix")) p.mix = given.mix;
  if (cmd->count("--drop-share")) p.drop_share = given.drop_share;
  if (cmd->count("--rate")) p.rate_pps = given.rate_pps;
  if (cmd->count("--ipv6-share")) p.ipv6_share = given.ipv6_share;
  p.engine = given.engine;
  o.traffic = p;
}

// --hook: a hook, a comma-separated list, "iptables" (both backends) or "all";
// the references xdp-noop (always measured) and xdp-parse (on request)
std::vector<std::string> hooks_of(const std::string& arg) {
  std::vector<std::string> hooks;
  std::size_t start = 0;
  while (start <= arg.size()) {
    const std::size_t end = std::min(arg.find(',', start), arg.size());
    for (const auto& h : bench::expand_hook_name(arg.substr(start, end - start))) {
      const auto& known = bench::benchmark_hooks();
      if (h != "xdp-noop" && h != bench::kParseHook && std::find(known.begin(), known.end(), h) == known.end())
        throw Error(
            fmt::format("--hook: unknown hook \"{}\"; expected all, iptables, xdp-noop, xdp-parse or one of: {}", h,
                        fmt::join(known, ", ")));
      if (std::find(hooks.begin(), hooks.end(), h) == hooks.end()) hooks.push_back(h);
    }
    start = end + 1;
  }
  return hooks;
}

void resolve(bench::RunOptions& o, const std::string& hook, const RulesOption& rules) {
  o.hooks = hooks_of(hook);
  if (o.user_program) {
    if (o.user_program->path.empty()) throw Error("--section needs --prog");
    // refused here, before any namespace exists: wrong type, or the verifier's no
    for (const auto& h : o.hooks)
      if (h != "xdp-noop") bench::check_user_program(*o.user_program, h);
    o.program_label = o.user_program->label();
  }
  o.rules = rules.spec.empty() ? default_rule_set() : load_rules(rules.spec, action_from_name(rules.classbench_action));
}

int run(int argc, char** argv) {
  CLI::App app{"xdpbench: packet rate and latency at every kernel hook, side by side with xdp-noop"};
  app.require_subcommand(1);

  bench::RunOptions run_opts;
  std::string run_hook = "xdp-native", run_profile, run_traffic;
  RulesOption run_rules;
  auto* run_cmd = app.add_subcommand("run", "measure the filter at a hook (or all), next to xdp-noop");
  add_run_options(run_cmd, run_opts, run_hook, run_rules, run_profile, run_traffic);

  bench::SearchOptions search_opts;
  std::string search_hook = "xdp-native", search_profile, search_traffic, loss = "0", sizes = "64";
  RulesOption search_rules;
  auto* search_cmd = app.add_subcommand("search", "RFC 2544 throughput: the highest rate with loss within --loss");
  add_run_options(search_cmd, search_opts.run, search_hook, search_rules, search_profile, search_traffic);
  search_cmd->add_option("--loss", loss, "loss tolerance, e.g. 0 (NDR) or 0.5%")->capture_default_str();
  search_cmd->add_option("--sizes", sizes, "frame sizes, e.g. 64,128,256,512,1024,1518")->capture_default_str();
  search_cmd->add_option("--step-duration", search_opts.search_trial_s, "seconds per search trial")
      ->capture_default_str();

  bench::SweepOptions sweep_opts;
  std::string sweep_hook = "xdp-native", sweep_profile, sweep_traffic, counts = "10,1000,100000";
  RulesOption sweep_rules_unused;
  auto* sweep_cmd = app.add_subcommand("sweep", "rate and ns/packet against the number of rules");
  sweep_opts.run.traffic.mix = "miss";  // the worst case by default: every shape searched
  add_run_options(sweep_cmd, sweep_opts.run, sweep_hook, sweep_rules_unused, sweep_profile, sweep_traffic);
  sweep_cmd->add_option("--rule-counts", counts, "rule counts to measure")->capture_default_str();

  bench::GateOptions gate_opts;
  std::string gate_baseline, gate_current, threshold = "5%";
  auto* gate_cmd =
      app.add_subcommand("gate", "is CURRENT a regression against BASELINE? exit 0 pass, 1 regression, 2 cannot judge");
  gate_cmd->add_option("--baseline", gate_baseline, "result file (xdpbench run --json) of the old build")->required();
  gate_cmd->add_option("--current", gate_current, "result file of the new build")->required();
  gate_cmd->add_option("--threshold", threshold, "changes smaller than this never fail the gate")
      ->capture_default_str();
  gate_cmd->add_option("--markdown", gate_opts.markdown_path, "also write a Markdown summary (a PR comment)");
  gate_cmd->add_flag("--allow-other-hardware", gate_opts.allow_other_hardware,
                     "compare results measured on different hardware (CPU, kernel, the DUT's NIC driver) instead of "
                     "refusing them");

  bench::AbOptions ab_opts;
  std::string ab_threshold = "5%";
  auto* ab_cmd = app.add_subcommand(
      "ab", "two builds measured interleaved (A B A B ...) on one machine, judged by the gate; run options after --");
  ab_cmd->add_option("--a", ab_opts.build_a, "build directory A (the baseline)")->required();
  ab_cmd->add_option("--b", ab_opts.build_b, "build directory B (the change)")->required();
  ab_cmd->add_option("--pairs", ab_opts.pairs, "trials of each build")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  ab_cmd->add_option("--threshold", ab_threshold, "changes smaller than this never fail the gate")
      ->capture_default_str();
  ab_cmd->add_option("--markdown", ab_opts.gate.markdown_path, "also write a Markdown summary (a PR comment)");
  ab_cmd->add_option("--json-a", ab_opts.json_a, "write A's merged result here");
  ab_cmd->add_option("--json-b", ab_opts.json_b, "write B's merged result here");
  ab_cmd->add_option("run-args", ab_opts.run_args, "xdpbench run options (--hook, --duration, ...)");

  std::vector<std::string> report_inputs;
  std::string report_out = "xdpbench-report";
  auto* report_cmd = app.add_subcommand("report", "result files (run, search, sweep) as an HTML page and Markdown");
  report_cmd->add_option("results", report_inputs, "result files (--json of run, search, sweep)")->required();
  report_cmd->add_option("--out", report_out, "directory for report.html and report.md")->capture_default_str();

  auto* cleanup = app.add_subcommand("cleanup", "remove what killed runs left: their namespaces, state and pins");
  std::string cleanup_topology, cleanup_ssh_config;
  cleanup->add_option("--topology", cleanup_topology,
                      "a lab's topology file: put back every host of it (what agents killed left there)");
  cleanup->add_option("--ssh-config", cleanup_ssh_config, "ssh's config file for the lab's hosts (ssh -F)");
  auto* agent_cmd = app.add_subcommand(
      "agent", "serve a controller on stdin/stdout (run on a lab's hosts by `xdpbench run` over SSH)");
  const bool check_args_only = take_check_args(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return exit_on_parse_error(app, e, "xdpbench");
  }
  if (check_args_only) return 0;
  if (*report_cmd) return bench::run_report(report_inputs, report_out);
  if (*gate_cmd) {
    gate_opts.threshold = parse_percentage("--threshold", threshold);
    return bench::run_gate(gate_baseline, gate_current, gate_opts);
  }
  route_libbpf_logging();
  if (::geteuid() != 0) throw Error("xdpbench needs root (it makes namespaces and loads BPF programs)");
  if (*ab_cmd) {
    ab_opts.gate.threshold = parse_percentage("--threshold", ab_threshold);
    return bench::run_ab(ab_opts);
  }
  if (*agent_cmd) {
    // replies on a descriptor of their own; whatever else prints goes to stderr
    const int replies = ::dup(STDOUT_FILENO);
    if (replies < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) throw Error(errno_message("dup stdout", errno));
    bench::install_agent_signals();
    return bench::run_agent(std::cin, replies);
  }
  if (*cleanup && !cleanup_topology.empty()) {
    const bench::TopologySpec spec = bench::load_topology(cleanup_topology);
    if (!spec.is_lab())
      throw Error(fmt::format("--topology={}: not a lab of [[host]]s (a run's namespaces go with `cleanup` alone)",
                              cleanup_topology));
    const auto done = bench::clean_lab(spec, cleanup_ssh_config);
    for (const auto& line : done) fmt::print("{}\n", line);
    fmt::print("{} hosts of {}: {} things put back\n", spec.hosts.size(), cleanup_topology, done.size());
    return 0;
  }
  if (*cleanup) {
    const auto removed = bench::remove_dead_runs_leftovers();
    fmt::print("removed {} namespaces, {} state directories and {} pin directories of runs no longer running\n",
               removed.namespaces, removed.state_dirs, removed.pin_dirs);
    return 0;
  }
  if (*search_cmd) {
    apply_profile(search_cmd, search_opts.run, search_profile);
    resolve_traffic(search_cmd, search_opts.run, search_traffic);
    resolve(search_opts.run, search_hook, search_rules);
    search_opts.loss_tolerance_pct = parse_percentage("--loss", loss) * 100;
    search_opts.sizes = parse_list("--sizes", sizes);
    for (auto sz : search_opts.sizes)
      if (sz < 64 || sz > 1518) throw Error(fmt::format("--sizes: {} is not 64 to 1518", sz));
    return bench::run_search(search_opts);
  }
  if (*sweep_cmd) {
    if (!sweep_rules_unused.spec.empty())
      throw Error("--rules: sweep measures synthetic rule sets of each --rule-counts size, not a file");
    apply_profile(sweep_cmd, sweep_opts.run, sweep_profile);
    resolve_traffic(sweep_cmd, sweep_opts.run, sweep_traffic);
    resolve(sweep_opts.run, sweep_hook, RulesOption{});
    sweep_opts.rule_counts = parse_list("--rule-counts", counts);
    return bench::run_sweep(sweep_opts);
  }
  apply_profile(run_cmd, run_opts, run_profile);
  resolve_traffic(run_cmd, run_opts, run_traffic);
  resolve(run_opts, run_hook, run_rules);
  return bench::run_benchmark(run_opts);
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
