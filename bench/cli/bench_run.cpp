#include "bench_run.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "environment.hpp"
#include "errors.hpp"
#include "filter_hook.hpp"
#include "gbench_json.hpp"
#include "generator_bound.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "lab_connection.hpp"
#include "rule_table_figures.hpp"
#include "run_command.hpp"
#include "run_summary.hpp"
#include "synthetic_rules.hpp"
#include "traffic_file.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

// Where a run's figures are measured: this machine (result_environment),
// the DUT's NIC and the engine that generates. The gate compares them.
json run_environment(const Rig& rig) {
  if (rig.lab()) {
    // the DUT host's machine and NIC: where the figures are made
    json env = rig.lab()->dut_environment();
    env["generator"] = fmt::format("{} on {}", engine_label(rig.traffic().engine), rig.lab()->generator_place());
    env["topology_hosts"] = true;
    return env;
  }
  json env = result_environment();
  env["dut_nic"] = nic_description(rig.topology().dut());
  env["generator"] = engine_label(rig.traffic().engine);
  return env;
}

// "CPU, kernel K, DUT NIC dut0 (driver veth, 1 rx / 1 tx queues); generator G"
std::string measured_on(const json& env) {
  const auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump(); };
  const json nic = env.value("dut_nic", json::object());
  const json q = nic.value("queues", json::object());
  return fmt::format("{}, kernel {}, DUT NIC {} (driver {}, {} rx / {} tx / {} combined queues); generator {}",
                     text(env.value("cpu_model", json())), text(env.value("kernel", json())),
                     text(nic.value("interface", json())), text(nic.value("driver", json())),
                     q.is_object() ? text(q.value("rx", json())) : "-",
                     q.is_object() ? text(q.value("tx", json())) : "-",
                     q.is_object() ? text(q.value("combined", json())) : "-", text(env.value("generator", json())));
}

// FNV-1a 64 of the rule set in canonical TOML: tells two results' rule sets apart
std::string rules_digest(const RuleSet& rules) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : to_toml(rules)) h = (h ^ c) * 0x100000001b3ull;
  return fmt::format("fnv1a64:{:016x}", h);
}

json config_json(const RunOptions& o, const Rig& rig) {
  const TrafficFile* traffic_file = rig.traffic().file.get();
  const json frame_size = rig.traffic().imix ? json("imix") : json(rig.traffic().frame_size);
  return {{"topology", rig.topology().spec().name},
          {"rules_source", o.rules.source},
          {"rules", o.rules.rules.size()},
          {"rules_digest", rules_digest(o.rules)},
          // how often this process compiled the rule set: once a run
          {"rule_set_compilations", compilations_of(o.rules.source)},
          {"program", o.program_label},
          {"ipv6_share", rig.traffic().ipv6_share},
          {"frame_size", traffic_file ? (traffic_file->fixes_size ? json("file") : frame_size) : frame_size},
          {"flows", traffic_file ? json(nullptr) : json(rig.traffic().flows)},
          {"mix", traffic_file ? json("file") : json(rig.traffic().mix)},
          // --traffic: which file, and how many of its frames were replayed
          {"traffic_file", traffic_file ? json{{"path", traffic_file->path},
                                               {"format", traffic_file->format},
                                               {"frames", traffic_file->frames.size()},
                                               {"records", traffic_file->records}}
                                        : json(nullptr)},
          {"expected_drop_share", rig.expected_drop_share()},
          {"rate_pps", rig.traffic().rate_pps},
          {"duration_s", o.trial.seconds},
          {"warmup_s", o.trial.warmup_s},
          {"repeat", o.repeat},
          // pinned runs and others measure different things: the gate compares like with like
          {"cpus", o.cpus.size() == 2 ? json(o.cpus) : json(nullptr)},
          {"gen_cpus", rig.gen_cpus().empty() ? json(nullptr) : json(rig.gen_cpus())},
          {"hook_latency_one_in", std::uint64_t{1} << rig.latency_sample_shift(o.trial)}};
}

// The hooks to measure: xdp-noop first, then those the DUT can run.
std::vector<std::string> runnable_hooks(const Rig& rig, const std::vector<std::string>& wanted,
                                        std::map<std::string, std::string>& skipped) {
  std::vector<std::string> hooks = {"xdp-noop"};
  for (const auto& h : wanted) {
    if (h == "xdp-noop") continue;
    if (const auto why = rig_hook_unavailable(h, rig); !why.empty())
      skipped[h] = why;
    else
      hooks.push_back(h);
  }
  return hooks;
}

std::unique_ptr<HookUnderTest> set_up(const std::string& h, const Rig& rig, const RunOptions& o,
                                      const CompiledRuleSet& rules, std::map<std::string, std::string>& skipped) {
  if (h == kCeilingHook) return make_rig_hook(h, rig, rules, nullptr);
  if (o.user_program && h != "xdp-noop") {
    if (rig.lab()) throw Error("--prog: a user's program on a lab's DUT host is not supported yet");
    return make_user_program_hook(*o.user_program, h, rig.topology());
  }
  std::string why;
  auto hook = make_rig_hook(h, rig, rules, &why, rig.latency_sample_shift(o.trial));
  if (!hook) skipped[h] = why;
  return hook;
}

std::string traffic_line(const Rig& rig) {
  if (const TrafficFile* f = rig.traffic().file.get()) {
    const std::string sizes = f->fixes_size        ? "sizes as captured"
                              : rig.traffic().imix ? "IMIX sizes"
                                                   : fmt::format("{}-byte frames", rig.traffic().frame_size);
    const std::string limit =
        f->records > f->frames.size()
            ? fmt::format(" (the first {} of its {} records: the limit)", f->frames.size(), f->records)
            : "";
    return fmt::format(
        "traffic: the {} frames of {} ({}){}, in order and cycled, {}; the reference model drops {:.1f}% "
        "of them; no latency stamps but in frames that already carry one",
        f->frames.size(), f->path, f->format, limit, sizes, 100 * rig.expected_drop_share());
  }
  const std::string v6 =
      rig.traffic().ipv6_share > 0 ? fmt::format(", {:.0f}% of packets IPv6", 100 * rig.traffic().ipv6_share) : "";
  if (rig.traffic().mix != "rules")
    return "traffic: flows no rule matches (every tree of the family walked: the worst case)" + v6;
  return fmt::format("traffic: flows aimed at the rules{}; the reference model drops {:.1f}% of the packets", v6,
                     100 * rig.expected_drop_share());
}

std::string cpu_placement(const Rig& rig) {
  std::string s;
  if (rig.gen_cpus().size() > 1)
    s = fmt::format(", {} generator threads on CPUs {}", rig.gen_cpus().size(), fmt::join(rig.gen_cpus(), ","));
  else if (!rig.gen_cpus().empty())
    s = fmt::format(", generator on CPU {}", rig.gen_cpus()[0]);
  if (rig.dut_cpu()) s += fmt::format(", DUT on CPU {}", *rig.dut_cpu());
  return s;
}

void progress(const std::string& line) {
  if (::isatty(STDERR_FILENO)) fmt::print(stderr, "\r\033[K{}", line);
}

int interrupted() {
  progress("");
  fmt::print(stderr, "xdpbench: interrupted; everything torn down\n");
  return 130;
}

}  // namespace

namespace {

// The one line under the table that names the generator-bound hooks.
std::string generator_bound_line(const std::vector<HookSummary>& rows, const HookSummary& ceiling, bool pinned) {
  std::vector<std::string> bound;
  for (const auto& r : rows)
    if (r.generator.bound) bound.push_back(r.hook);
  if (bound.empty()) return "";
  return fmt::format(
      "* generator-bound: {}: rate within the generator's reach ({} {:.3f}-{:.3f} Mpps){}: compare ns/pkt{}\n",
      fmt::join(bound, ", "), kCeilingHook, ceiling.rx.min, ceiling.rx.max,
      std::any_of(rows.begin(), rows.end(),
                  [](const HookSummary& r) { return r.generator.bound && r.generator.why.rfind("offered", 0) == 0; })
          ? ", or offered far below it"
          : "",
      pinned ? " (the DUT keeps up with one generator core)" : ", or pin with --cpu");
}

// A lab's offered is what the generator's NIC sent; where the engine sent
// more, say where the rest went (a veth: the DUT's receive ring was full).
std::string nic_counts_line(const std::map<std::string, std::vector<Trial>>& trials) {
  std::uint64_t engine = 0, wire = 0, dropped = 0;
  bool any = false;
  for (const auto& [hook, ts] : trials)
    for (const Trial& t : ts) {
      if (!t.has_nic_counts) continue;
      any = true;
      engine += t.engine_sent;
      wire += t.offered;
      dropped += t.gen_nic_tx_dropped;
    }
  if (!any) return "";
  return fmt::format(
      "offered: what the generator's NIC counted sent ({} packets over the hooks' trials), not the engine's word ({}); "
      "its "
      "tx_dropped: {} (a veth counts there what the DUT's full receive ring refused; a real NIC what it could not "
      "send)\n",
      wire, engine, dropped);
}

// The one line under the table that names the starved hooks.
std::string starved_line(const std::vector<HookSummary>& rows) {
  std::vector<std::string> starved;
  for (const auto& r : rows)
    if (r.input.starved) starved.push_back(fmt::format("{} ({:.1f}%)", r.hook, 100 * r.input.share));
  if (starved.empty()) return "";
  return fmt::format(
      "! starved: {}: saw under {:.0f}% of the frames the DUT's interface received; the stack discarded the rest "
      "before the hook (ip -s -s link, nstat in the DUT's namespace say why): the rate is not the hook's\n",
      fmt::join(starved, ", "), 100 * kStarvedShare);
}

std::string dut_cpu_line(const Rig& rig) {
  if (!rig.dut_cpu())
    return "DUT CPU ns/pkt: needs --cpu=GEN,DUT; without it the generator's core also does the DUT's receive work, "
           "so no CPU time is the DUT's alone\n";
  return fmt::format(
      "DUT CPU ns/pkt: CPU time of the DUT's work on CPU {} (its NAPI threads, the core's ksoftirqd, a DPDK "
      "application's threads) from each trial's start until the DUT drained, per packet the hook handled: the veth "
      "receive path, the stack around the hook and the hook; a DPDK poll loop is busy whether packets come or not. "
      "prog ns/pkt: the hook's program alone (bpf_stats; DPDK: its loop's busy TSC)\n",
      *rig.dut_cpu());
}

}  // namespace

LabConnector lab_connector(const RunOptions& o) {
  return [ssh_config = o.ssh_config](const TopologySpec& spec) { return connect_lab(spec, ssh_config); };
}

int run_benchmark(const RunOptions& o) {
  install_stop_signals();
  Rig rig(o.topology, o.traffic, o.cpus, o.gen_cpus, lab_connector(o));
  const CompiledRuleSet rules(o.rules);  // once a run: every hook, the flows and the figures share it
  rig.use_rules(rules);
  std::map<std::string, std::string> skipped;
  std::vector<std::string> hooks = runnable_hooks(rig, o.hooks, skipped);

  // interleaved: every repetition measures the generator's ceiling, noop and
  // each hook in turn, so drift on a shared machine hits all of them alike
  std::map<std::string, std::vector<Trial>> trials;
  std::vector<Trial> ceiling_trials;
  for (int rep = 0; rep < o.repeat; ++rep) {
    if (stop_requested()) return interrupted();
    progress(fmt::format("repeat {}/{}: the generator's ceiling", rep + 1, o.repeat));
    ceiling_trials.push_back(rig.trial(*set_up(kCeilingHook, rig, o, rules, skipped), o.trial));
    for (const auto& h : hooks) {
      if (stop_requested()) return interrupted();
      if (skipped.count(h)) continue;
      progress(fmt::format("repeat {}/{}: {}", rep + 1, o.repeat, h));
      const auto hook = set_up(h, rig, o, rules, skipped);
      if (hook) trials[h].push_back(rig.trial(*hook, o.trial));
    }
  }
  progress("");
  std::erase_if(hooks, [&](const std::string& h) { return skipped.count(h) > 0; });

  const auto rx_median = [&](const std::string& h) {
    return trials.count(h) ? summarize(h, trials[h], 0, 0).rx.median : 0.0;
  };
  const double noop_rx = rx_median("xdp-noop"), native_rx = rx_median("xdp-native");
  const bool pinned = rig.dut_cpu().has_value();
  const RateSamples ceiling_rates = rate_samples(ceiling_trials);
  HookSummary ceiling = summarize(kCeilingHook, ceiling_trials, noop_rx, native_rx);
  ceiling.generator = {true, "the ceiling itself"};
  const std::string frames =
      o.traffic.file ? fmt::format("{} frames from {}", o.traffic.file->frames.size(), o.traffic.file->path)
                     : fmt::format("{} UDP frames, {} flows",
                                   o.traffic.imix ? std::string("IMIX") : fmt::format("{}-byte", o.traffic.frame_size),
                                   o.traffic.flows);
  fmt::print("xdpbench run: topology {}, {} rules from {}, {}, rate {}, {} x {:.1f} s trials{}\n",
             rig.topology().spec().name, o.rules.rules.size(), o.rules.source, frames,
             o.traffic.rate_pps > 0 ? fmt::format("{:.0f} pps", o.traffic.rate_pps) : "max", o.repeat, o.trial.seconds,
             cpu_placement(rig));
  fmt::print("{}\n", traffic_line(rig));
  const json environment = run_environment(rig);
  fmt::print("measured on: {}\n", measured_on(environment));
  // the filter's table (not used by a run of the user's own program)
  const std::optional<RuleTableFigures> table =
      o.user_program ? std::nullopt : std::optional(measure_rule_table(rules.table()));
  if (table) fmt::print("{}\n", describe(*table));
  fmt::print("{}", summary_table_header());
  // the ceiling first, unmarked: it is the yardstick, not a hook
  HookSummary ceiling_row = ceiling;
  ceiling_row.generator = {};
  fmt::print("{}", summary_table_row(ceiling_row));
  RunResult result;
  std::vector<HookSummary> rows;
  const auto hook_result = [](const std::string& hook, const std::vector<Trial>& ts, const HookSummary& s,
                              bool baseline) {
    HookResult r{hook, {}, summary_json(s, ts, baseline)};
    for (const auto& t : ts) r.trials.push_back(TrialRecord::of(t));
    return r;
  };
  for (const auto& h : hooks) {
    HookSummary s = summarize(h, trials[h], noop_rx, native_rx);
    s.generator = generator_bound(rate_samples(trials[h]), ceiling_rates, pinned);
    fmt::print("{}", summary_table_row(s));
    result.results.push_back(hook_result(h, trials[h], s, is_baseline(h)));
    rows.push_back(std::move(s));
  }
  for (const auto& [h, why] : skipped) fmt::print("{:<16} skipped: {}\n", h, why);
  fmt::print("{}: the generator's ceiling, every frame dropped at once by XDP at the DUT\n", kCeilingHook);
  if (trials.count(kParseHook))
    fmt::print(
        "{}: the filter at native XDP with no rules, every frame parsed, counted and dropped: what reading the "
        "packet costs, next to {}, which reads none\n",
        kParseHook, kCeilingHook);
  fmt::print("{}", generator_bound_line(rows, ceiling, pinned));
  fmt::print("{}", nic_counts_line(trials));
  fmt::print("{}", starved_line(rows));
  fmt::print("{}", dut_cpu_line(rig));
  if (const std::string clocks = rig.lab() ? rig.lab()->two_clocks() : ""; !clocks.empty())
    fmt::print("latency: {}\n", clocks);
  else
    fmt::print(
        "latency: one-way from the generator's stamp (bpf_ktime_get_ns, one clock) to the hook's program (one packet "
        "in {} timed, so that its clock read stays out of the hook's ns/pkt) and {}; bucket upper edges, at most 6.25% "
        "high\n",
        std::uint64_t{1} << rig.latency_sample_shift(o.trial),
        rig.topology().sink() ? "to the sink's XDP program (every packet that passed)" : "(no sink in this topology)");
  result.environment = environment;
  result.config = config_json(o, rig);
  result.rule_table = table ? to_json(*table) : json(nullptr);
  result.generator_ceiling = hook_result(kCeilingHook, ceiling_trials, ceiling, false);
  result.skipped = skipped;
  write_result_file(o.json_path, result);
  if (!o.gbench_json_path.empty()) {
    write_result_file(o.gbench_json_path, google_benchmark_json(trials, hooks, result_environment()));
  }
  return 0;
}

int run_search(const SearchOptions& s) {
  install_stop_signals();
  const RunOptions& o = s.run;
  Rig rig(o.topology, o.traffic, o.cpus, o.gen_cpus, lab_connector(o));
  const CompiledRuleSet rules(o.rules);  // once a run: every hook, the flows and the figures share it
  rig.use_rules(rules);
  std::map<std::string, std::string> skipped;
  const std::vector<std::string> hooks = runnable_hooks(rig, o.hooks, skipped);
  fmt::print(
      "xdpbench search: RFC 2544 throughput ({} loss {}%), topology {}, {} rules; binary search with {:.1f} s "
      "trials, then a {:.1f} s trial at the rate found\n",
      s.loss_tolerance_pct == 0 ? "NDR," : "PDR,", s.loss_tolerance_pct, rig.topology().spec().name,
      o.rules.rules.size(), s.search_trial_s, o.trial.seconds);
  fmt::print("{}\n", traffic_line(rig));
  fmt::print("{:<14} {:>6} {:>14} {:>10} {:>12} {:>8}\n", "hook", "size", "throughput", "Gbit/s", "final loss%",
             "steps");
  json results = json::array();
  for (const std::uint32_t size : s.sizes)
    for (const auto& h : hooks) {
      TrafficProfile traffic = o.traffic;
      traffic.frame_size = size;
      traffic.rate_pps = 0;
      rig.set_traffic(traffic);
      const auto hook_ptr = set_up(h, rig, o, rules, skipped);
      if (!hook_ptr) continue;
      HookUnderTest& hook = *hook_ptr;
      TrialSpec short_trial = o.trial;
      short_trial.seconds = s.search_trial_s;
      short_trial.warmup_s = std::min(o.trial.warmup_s, 0.2);
      // the ceiling: what the generator offers flat out with this hook
      const Trial flat_out = rig.trial(hook, short_trial);
      double lo = 0, hi = flat_out.mpps(flat_out.offered) * 1e6;
      int steps = 0;
      if (flat_out.loss_pct() <= s.loss_tolerance_pct) lo = hi;
      while (hi - lo > std::max(0.01 * hi, 1000.0) && steps < 12 && !stop_requested()) {
        const double mid = (lo + hi) / 2;
        traffic.rate_pps = mid;
        rig.set_traffic(traffic);
        progress(fmt::format("{} {} B: trying {:.0f} pps", h, size, mid));
        (rig.trial(hook, short_trial).loss_pct() <= s.loss_tolerance_pct ? lo : hi) = mid;
        ++steps;
      }
      if (stop_requested()) return interrupted();
      // flat out within tolerance: the final trial is flat out too (pacing
      // costs the generator a little)
      traffic.rate_pps = lo >= hi ? 0 : std::max(lo, 1.0);
      rig.set_traffic(traffic);
      const Trial final_trial = rig.trial(hook, o.trial);
      progress("");
      const double mpps = final_trial.mpps(final_trial.offered);
      const double gbps = mpps * 1e6 * (size + 20) * 8 / 1e9;  // + preamble and inter-frame gap
      fmt::print("{:<14} {:>6} {:>9.3f} Mpps {:>10.3f} {:>12.3f} {:>8}\n", h, size, mpps, gbps, final_trial.loss_pct(),
                 steps);
      results.push_back({{"hook", h},
                         {"frame_size", size},
                         {"throughput_mpps", mpps},
                         {"throughput_gbps", gbps},
                         {"final_trial", trial_json(final_trial)},
                         {"search_steps", steps},
                         {"flat_out", trial_json(flat_out)}});
    }
  for (const auto& [h, why] : skipped) fmt::print("{:<15} skipped: {}\n", h, why);
  write_result_file(o.json_path, {{"schema", kResultSchema},
                                  {"command", "search"},
                                  {"environment", result_environment()},
                                  {"config", config_json(o, rig)},
                                  {"loss_tolerance_pct", s.loss_tolerance_pct},
                                  {"results", results}});
  return 0;
}

}  // namespace xb::bench
