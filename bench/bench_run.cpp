#include "bench_run.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "gbench_json.hpp"
#include "hook_under_test.hpp"
#include "synthetic_rules.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

template <class F>
Spread over(const std::vector<Trial>& trials, F f) {
  std::vector<double> v;
  for (const auto& t : trials) v.push_back(f(t));
  return spread(v);
}

std::string git_revision() {
  FILE* p = ::popen("git -C " XDPBENCH_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null", "r");
  if (!p) return "unknown";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof(buf), p) != nullptr;
  ::pclose(p);
  std::string s = ok ? buf : "unknown";
  s.erase(s.find_last_not_of('\n') + 1);
  return s;
}

}  // namespace

json result_environment() {
  utsname u{};
  ::uname(&u);
  std::string cpu = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"kernel", u.release},
          {"machine", u.machine},
          {"cpu_model", cpu},
          {"cpus_online", sysconf(_SC_NPROCESSORS_ONLN)},
          {"git_revision", git_revision()},
          {"xdpbench_version", XDPBENCH_VERSION}};
}

namespace {

// FNV-1a 64 of the rule set in canonical TOML: tells two results' rule sets apart
std::string rules_digest(const RuleSet& rules) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : to_toml(rules)) h = (h ^ c) * 0x100000001b3ull;
  return fmt::format("fnv1a64:{:016x}", h);
}

// Upper bucket edges and the share of packets at or below each: a CDF.
json cdf_json(const LatencyHistogram& h) {
  json out = json::array();
  const double total = static_cast<double>(h.count());
  if (total == 0) return out;
  std::uint64_t seen = 0;
  for (std::uint32_t b = 0; b < h.buckets().size(); ++b) {
    if (!h.buckets()[b]) continue;
    seen += h.buckets()[b];
    out.push_back({LatencyHistogram::upper_edge(b), static_cast<double>(seen) / total});
  }
  return out;
}

json spread_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

json trial_json(const Trial& t) {
  return {
      {"seconds", t.seconds},
      {"offered", t.offered},
      {"rx", t.seen},
      {"dropped", t.dropped},
      {"passed", t.passed},
      {"delivered", t.delivered},
      {"run_time_ns", t.run_time_ns},
      {"has_run_time", t.has_run_time},
      {"has_verdicts", t.has_verdicts},
      {"softirq_pct", t.softirq_pct},
      {"hook_latency_ns",
       t.has_hook_latency ? json{{"p50", t.hook_p50}, {"p99", t.hook_p99}, {"p99.9", t.hook_p999}, {"max", t.hook_max}}
                          : json(nullptr)},
      {"latency_ns", t.has_latency
                         ? json{{"p50", t.p50}, {"p90", t.p90}, {"p99", t.p99}, {"p99.9", t.p999}, {"max", t.max}}
                         : json(nullptr)}};
}

void write_json(const std::string& path, const json& doc) {
  if (path.empty()) return;
  std::ofstream(path) << doc.dump(2) << "\n";
  fmt::print("wrote {}\n", path);
}

json config_json(const RunOptions& o, const Rig& rig) {
  return {{"topology", rig.topology().spec().name},
          {"rules_source", o.rules.source},
          {"rules", o.rules.rules.size()},
          {"rules_digest", rules_digest(o.rules)},
          {"program", o.program_label},
          {"ipv6_share", rig.traffic().ipv6_share},
          {"frame_size", rig.traffic().imix ? json("imix") : json(rig.traffic().frame_size)},
          {"flows", rig.traffic().flows},
          {"mix", rig.traffic().mix},
          {"expected_drop_share", rig.expected_drop_share()},
          {"rate_pps", rig.traffic().rate_pps},
          {"duration_s", o.trial.seconds},
          {"warmup_s", o.trial.warmup_s},
          {"repeat", o.repeat}};
}

// The hooks to measure: xdp-noop first, then those this machine can run.
std::vector<std::string> runnable_hooks(const std::vector<std::string>& wanted,
                                        std::map<std::string, std::string>& skipped) {
  std::vector<std::string> hooks = {"xdp-noop"};
  for (const auto& h : wanted) {
    if (h == "xdp-noop") continue;
    if (const auto why = hook_unavailable(h); !why.empty())
      skipped[h] = why;
    else
      hooks.push_back(h);
  }
  return hooks;
}

std::unique_ptr<HookUnderTest> set_up(const std::string& h, const Rig& rig, const RunOptions& o,
                                      std::map<std::string, std::string>& skipped) {
  if (o.user_program && h != "xdp-noop") return make_user_program_hook(*o.user_program, h, rig.topology());
  std::string why;
  auto hook = make_hook_or_skip(h, rig.topology(), o.rules, why);
  if (!hook) skipped[h] = why;
  return hook;
}

std::string traffic_line(const Rig& rig) {
  const std::string v6 =
      rig.traffic().ipv6_share > 0 ? fmt::format(", {:.0f}% of packets IPv6", 100 * rig.traffic().ipv6_share) : "";
  if (rig.traffic().mix != "rules") return "traffic: flows no rule matches (every tree of the family walked: the worst case)" + v6;
  return fmt::format("traffic: flows aimed at the rules{}; the reference model drops {:.1f}% of the packets", v6,
                     100 * rig.expected_drop_share());
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

int run_benchmark(const RunOptions& o) {
  install_stop_signals();
  Rig rig(o.topology, o.traffic, o.cpus);
  rig.use_rules(o.rules);
  std::map<std::string, std::string> skipped;
  std::vector<std::string> hooks = runnable_hooks(o.hooks, skipped);

  // interleaved: every repetition measures noop and each hook in turn, so
  // drift on a shared machine hits all of them alike
  std::map<std::string, std::vector<Trial>> trials;
  for (int rep = 0; rep < o.repeat; ++rep)
    for (const auto& h : hooks) {
      if (stop_requested()) return interrupted();
      if (skipped.count(h)) continue;
      progress(fmt::format("repeat {}/{}: {}", rep + 1, o.repeat, h));
      const auto hook = set_up(h, rig, o, skipped);
      if (hook) trials[h].push_back(rig.trial(*hook, o.trial));
    }
  progress("");
  std::erase_if(hooks, [&](const std::string& h) { return skipped.count(h) > 0; });

  const auto rx_median = [&](const std::string& h) {
    return trials.count(h) ? over(trials[h], [](const Trial& t) { return t.mpps(t.seen); }).median : 0.0;
  };
  const double noop_rx = rx_median("xdp-noop"), native_rx = rx_median("xdp-native");
  fmt::print("xdpbench run: topology {}, {} rules from {}, {} UDP frames, {} flows, rate {}, {} x {:.1f} s trials\n",
             rig.topology().spec().name, o.rules.rules.size(), o.rules.source,
             o.traffic.imix ? std::string("IMIX") : fmt::format("{}-byte", o.traffic.frame_size), o.traffic.flows,
             o.traffic.rate_pps > 0 ? fmt::format("{:.0f} pps", o.traffic.rate_pps) : "max", o.repeat, o.trial.seconds);
  fmt::print("{}\n", traffic_line(rig));
  fmt::print("{:<15} {:>8} {:>22} {:>7} {:>7} {:>9} {:>6} {:>20} {:>7} {:>9} {:>6} {:>22} {:>20}\n", "hook", "offered",
             "rx Mpps (min-max)", "drop", "pass", "delivered", "loss%", "ns/pkt (min-max)", "vs noop", "vs native",
             "sirq%", "hook lat us p50/99/99.9", "sink lat us p50/99/99.9");
  json results = json::array();
  for (const auto& h : hooks) {
    const auto& ts = trials[h];
    const Spread offered = over(ts, [](const Trial& t) { return t.mpps(t.offered); });
    const Spread rx = over(ts, [](const Trial& t) { return t.mpps(t.seen); });
    const Spread drop = over(ts, [](const Trial& t) { return t.mpps(t.dropped); });
    const Spread pass = over(ts, [](const Trial& t) { return t.mpps(t.passed); });
    const Spread delivered = over(ts, [](const Trial& t) { return t.mpps(t.delivered); });
    const Spread loss = over(ts, [](const Trial& t) { return t.loss_pct(); });
    const Spread ns = over(ts, [](const Trial& t) { return t.ns_per_pkt(); });
    const Spread sirq = over(ts, [](const Trial& t) { return t.softirq_pct; });
    const Spread p50 = over(ts, [](const Trial& t) { return t.p50 / 1e3; });
    const Spread p99 = over(ts, [](const Trial& t) { return t.p99 / 1e3; });
    const Spread p999 = over(ts, [](const Trial& t) { return t.p999 / 1e3; });
    const bool latency = std::all_of(ts.begin(), ts.end(), [](const Trial& t) { return t.has_latency; });
    const bool hook_latency = std::all_of(ts.begin(), ts.end(), [](const Trial& t) { return t.has_hook_latency; });
    const Spread h50 = over(ts, [](const Trial& t) { return t.hook_p50 / 1e3; });
    const Spread h99 = over(ts, [](const Trial& t) { return t.hook_p99 / 1e3; });
    const Spread h999 = over(ts, [](const Trial& t) { return t.hook_p999 / 1e3; });
    const double ratio = noop_rx > 0 ? rx.median / noop_rx : 0;
    const double native_ratio = native_rx > 0 ? rx.median / native_rx : 0;
    const bool run_time = std::all_of(ts.begin(), ts.end(), [](const Trial& t) { return t.has_run_time; });
    const bool verdicts = std::all_of(ts.begin(), ts.end(), [](const Trial& t) { return t.has_verdicts; });
    const auto mpps_or_dash = [&](double v) { return verdicts ? fmt::format("{:.3f}", v) : std::string("-"); };
    fmt::print(
        "{:<15} {:>8.3f} {:>9.3f} ({:.3f}-{:.3f}) {:>7} {:>7} {:>9.3f} {:>6.2f} {:>20} {:>7.2f} {:>9} {:>6.1f} "
        "{:>22} {:>20}\n",
        h, offered.median, rx.median, rx.min, rx.max, mpps_or_dash(drop.median), mpps_or_dash(pass.median),
        delivered.median, loss.median,
        run_time ? fmt::format("{:.1f} ({:.1f}-{:.1f})", ns.median, ns.min, ns.max) : "-", ratio,
        native_rx > 0 ? fmt::format("{:.2f}", native_ratio) : "-", sirq.median,
        hook_latency ? fmt::format("{:.1f}/{:.1f}/{:.1f}", h50.median, h99.median, h999.median) : "-",
        latency ? fmt::format("{:.1f}/{:.1f}/{:.1f}", p50.median, p99.median, p999.median) : "-");
    json jt = json::array();
    LatencyHistogram hook_hist, sink_hist;
    for (const auto& t : ts) {
      jt.push_back(trial_json(t));
      hook_hist.add(t.hook_latency);
      sink_hist.add(t.sink_latency);
    }
    results.push_back(
        {{"hook", h},
         {"trials", jt},
         {"summary",
          {{"offered_mpps", spread_json(offered)},
           {"rx_mpps", spread_json(rx)},
           {"drop_mpps", spread_json(drop)},
           {"pass_mpps", spread_json(pass)},
           {"delivered_mpps", spread_json(delivered)},
           {"loss_pct", spread_json(loss)},
           {"ns_per_pkt", run_time ? spread_json(ns) : json(nullptr)},
           {"rx_ratio_to_noop", ratio},
           {"rx_ratio_to_native", native_rx > 0 ? json(native_ratio) : json(nullptr)},
           {"baseline", is_baseline(h)},
           {"softirq_pct", spread_json(sirq)},
           {"hook_latency_us",
            hook_latency ? json{{"p50", spread_json(h50)}, {"p99", spread_json(h99)}, {"p99.9", spread_json(h999)}}
                         : json(nullptr)},
           {"latency_us", latency
                              ? json{{"p50", spread_json(p50)}, {"p99", spread_json(p99)}, {"p99.9", spread_json(p999)}}
                              : json(nullptr)},
           {"hook_latency_cdf", cdf_json(hook_hist)},
           {"sink_latency_cdf", cdf_json(sink_hist)}}}});
  }
  for (const auto& [h, why] : skipped) fmt::print("{:<15} skipped: {}\n", h, why);
  fmt::print(
      "latency: one-way from the generator's stamp (bpf_ktime_get_ns, one clock) to the hook's program and {}; "
      "bucket upper edges, at most 6.25% high\n",
      rig.topology().sink() ? "to the sink's XDP program (packets that passed)" : "(no sink in this topology)");
  json skipped_json = json::object();
  for (const auto& [h, why] : skipped) skipped_json[h] = why;
  write_json(o.json_path, {{"schema", kResultSchema},
                           {"command", "run"},
                           {"environment", result_environment()},
                           {"config", config_json(o, rig)},
                           {"results", results},
                           {"skipped", skipped_json}});
  if (!o.gbench_json_path.empty()) {
    write_json(o.gbench_json_path, google_benchmark_json(trials, hooks, result_environment()));
  }
  return 0;
}

int run_search(const SearchOptions& s) {
  install_stop_signals();
  const RunOptions& o = s.run;
  Rig rig(o.topology, o.traffic, o.cpus);
  rig.use_rules(o.rules);
  std::map<std::string, std::string> skipped;
  const std::vector<std::string> hooks = runnable_hooks(o.hooks, skipped);
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
      const auto hook_ptr = set_up(h, rig, o, skipped);
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
  write_json(o.json_path, {{"schema", kResultSchema},
                           {"command", "search"},
                           {"environment", result_environment()},
                           {"config", config_json(o, rig)},
                           {"loss_tolerance_pct", s.loss_tolerance_pct},
                           {"results", results}});
  return 0;
}

}  // namespace xb::bench
