#include "run_summary.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "result_file.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

template <class F>
Spread over(const std::vector<Trial>& trials, F f) {
  std::vector<double> v;
  v.reserve(trials.size());
  for (const auto& t : trials) v.push_back(f(t));
  return spread(v);
}

template <class F>
bool all_of(const std::vector<Trial>& trials, F f) {
  return !trials.empty() && std::all_of(trials.begin(), trials.end(), f);
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

std::string cost(bool has, const Spread& s) {
  return has ? fmt::format("{:.1f} ({:.1f}-{:.1f})", s.median, s.min, s.max) : "-";
}

std::string percentiles(bool has, const Spread& a, const Spread& b, const Spread& c) {
  return has ? fmt::format("{:.1f}/{:.1f}/{:.1f}", a.median, b.median, c.median) : "-";
}

constexpr const char* kRow =
    "{:<16} {:>8} {:>22} {:>7} {:>7} {:>9} {:>6} {:>22} {:>24} {:>7} {:>9} {:>6} {:>22} {:>20}\n";

// Latency stamps are nanoseconds, far below 2^53: exact as doubles.
double microseconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e3; }

}  // namespace

HookSummary summarize(const std::string& hook, const std::vector<Trial>& trials, double noop_rx, double native_rx) {
  HookSummary s;
  s.hook = hook;
  s.offered = over(trials, [](const Trial& t) { return t.mpps(t.offered); });
  s.rx = over(trials, [](const Trial& t) { return t.mpps(t.seen); });
  s.drop = over(trials, [](const Trial& t) { return t.mpps(t.dropped); });
  s.pass = over(trials, [](const Trial& t) { return t.mpps(t.passed); });
  s.delivered = over(trials, [](const Trial& t) { return t.mpps(t.delivered); });
  s.loss = over(trials, [](const Trial& t) { return t.loss_pct(); });
  s.prog_ns = over(trials, [](const Trial& t) { return t.ns_per_pkt(); });
  s.dut_cpu_ns = over(trials, [](const Trial& t) { return t.dut_cpu_ns_per_pkt(); });
  s.sirq = over(trials, [](const Trial& t) { return t.softirq_pct; });
  s.sink_p50 = over(trials, [](const Trial& t) { return microseconds(t.p50); });
  s.sink_p99 = over(trials, [](const Trial& t) { return microseconds(t.p99); });
  s.sink_p999 = over(trials, [](const Trial& t) { return microseconds(t.p999); });
  s.hook_p50 = over(trials, [](const Trial& t) { return microseconds(t.hook_p50); });
  s.hook_p99 = over(trials, [](const Trial& t) { return microseconds(t.hook_p99); });
  s.hook_p999 = over(trials, [](const Trial& t) { return microseconds(t.hook_p999); });
  s.has_run_time = all_of(trials, [](const Trial& t) { return t.has_run_time; });
  s.has_dut_cpu = all_of(trials, [](const Trial& t) { return t.has_dut_cpu; });
  s.has_verdicts = all_of(trials, [](const Trial& t) { return t.has_verdicts; });
  s.has_latency = all_of(trials, [](const Trial& t) { return t.has_latency; });
  s.has_hook_latency = all_of(trials, [](const Trial& t) { return t.has_hook_latency; });
  s.input = hook_starved(input_samples(trials));
  s.ratio_to_noop = noop_rx > 0 ? s.rx.median / noop_rx : 0;
  s.ratio_to_native = native_rx > 0 ? s.rx.median / native_rx : 0;
  return s;
}

RateSamples rate_samples(const std::vector<Trial>& trials) {
  RateSamples r;
  for (const auto& t : trials) {
    r.offered_mpps.push_back(t.mpps(t.offered));
    r.rx_mpps.push_back(t.mpps(t.seen));
  }
  return r;
}

std::vector<InputSample> input_samples(const std::vector<Trial>& trials) {
  std::vector<InputSample> r;
  for (const auto& t : trials)
    if (t.has_dut_nic_rx && !t.own_input_queue) r.push_back({t.seen, t.dut_nic_rx});
  return r;
}

std::string summary_table_header() {
  return fmt::format(kRow, "hook", "offered", "rx Mpps (min-max)", "drop", "pass", "delivered", "loss%",
                     "prog ns/pkt (min-max)", "DUT CPU ns/pkt (min-max)", "vs noop", "vs native", "sirq%",
                     "hook lat us p50/99/99.9", "sink lat us p50/99/99.9");
}

std::string summary_table_row(const HookSummary& s) {
  const auto mpps_or_dash = [&](double v) { return s.has_verdicts ? fmt::format("{:.3f}", v) : std::string("-"); };
  return fmt::format(
      kRow, s.hook + (s.generator.bound ? "*" : "") + (s.input.starved ? "!" : ""),
      fmt::format("{:.3f}", s.offered.median), fmt::format("{:.3f} ({:.3f}-{:.3f})", s.rx.median, s.rx.min, s.rx.max),
      mpps_or_dash(s.drop.median), mpps_or_dash(s.pass.median), fmt::format("{:.3f}", s.delivered.median),
      fmt::format("{:.2f}", s.loss.median), cost(s.has_run_time, s.prog_ns), cost(s.has_dut_cpu, s.dut_cpu_ns),
      fmt::format("{:.2f}", s.ratio_to_noop), s.ratio_to_native > 0 ? fmt::format("{:.2f}", s.ratio_to_native) : "-",
      fmt::format("{:.1f}", s.sirq.median), percentiles(s.has_hook_latency, s.hook_p50, s.hook_p99, s.hook_p999),
      percentiles(s.has_latency, s.sink_p50, s.sink_p99, s.sink_p999));
}

json spread_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

json trial_json(const Trial& t) { return TrialRecord::of(t); }

json summary_json(const HookSummary& s, const std::vector<Trial>& trials, bool baseline) {
  LatencyHistogram hook_hist, sink_hist;
  for (const auto& t : trials) {
    hook_hist.add(t.hook_latency);
    sink_hist.add(t.sink_latency);
  }
  return {{"offered_mpps", spread_json(s.offered)},
          {"rx_mpps", spread_json(s.rx)},
          {"drop_mpps", spread_json(s.drop)},
          {"pass_mpps", spread_json(s.pass)},
          {"delivered_mpps", spread_json(s.delivered)},
          {"loss_pct", spread_json(s.loss)},
          // the program's own time (bpf_stats; a DPDK loop's busy TSC)
          {"ns_per_pkt", s.has_run_time ? spread_json(s.prog_ns) : json(nullptr)},
          // the DUT core's busy time per packet (--cpu only)
          {"dut_cpu_ns_per_pkt", s.has_dut_cpu ? spread_json(s.dut_cpu_ns) : json(nullptr)},
          {"rx_ratio_to_noop", s.ratio_to_noop},
          {"rx_ratio_to_native", s.ratio_to_native > 0 ? json(s.ratio_to_native) : json(nullptr)},
          {"generator_bound", s.generator.bound},
          {"generator_bound_why", s.generator.bound ? json(s.generator.why) : json(nullptr)},
          // the share of the DUT interface's received frames the hook saw
          {"starved", s.input.starved},
          {"starved_why", s.input.starved ? json(s.input.why) : json(nullptr)},
          {"input_share", s.input.share},
          {"baseline", baseline},
          {"softirq_pct", spread_json(s.sirq)},
          {"hook_latency_us", s.has_hook_latency ? json{{"p50", spread_json(s.hook_p50)},
                                                        {"p99", spread_json(s.hook_p99)},
                                                        {"p99.9", spread_json(s.hook_p999)}}
                                                 : json(nullptr)},
          {"latency_us", s.has_latency ? json{{"p50", spread_json(s.sink_p50)},
                                              {"p99", spread_json(s.sink_p99)},
                                              {"p99.9", spread_json(s.sink_p999)}}
                                       : json(nullptr)},
          {"hook_latency_cdf", cdf_json(hook_hist)},
          {"sink_latency_cdf", cdf_json(sink_hist)}};
}

}  // namespace xb::bench
