#include "bench_run.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "attachment_store.hpp"
#include "errors.hpp"
#include "hook_under_test.hpp"
#include "latency_sink.hpp"
#include "netns.hpp"
#include "topology.hpp"
#include "unique_fd.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

volatile std::sig_atomic_t interrupted = 0;
void on_signal(int) { interrupted = 1; }

struct Trial {
  double seconds = 0;
  std::uint64_t offered = 0, seen = 0, dropped = 0, passed = 0, delivered = 0, run_time_ns = 0;
  bool has_latency = false;
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // one-way, ns
  double mpps(std::uint64_t n) const { return seconds > 0 ? n / seconds / 1e6 : 0; }
  double loss_pct() const {
    const double accounted = static_cast<double>(dropped + delivered);
    return offered ? std::max(0.0, 100.0 * (static_cast<double>(offered) - accounted) / offered) : 0;
  }
  double ns_per_pkt() const { return seen ? static_cast<double>(run_time_ns) / seen : 0; }
};

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v.front(), v.back()};
}

template <class F>
Spread over(const std::vector<Trial>& trials, F f) {
  std::vector<double> v;
  for (const auto& t : trials) v.push_back(f(t));
  return spread(v);
}

Trial run_trial(HookUnderTest& hook, LiveFrameGenerator& gen, const Topology& topo, LatencySink* sink,
                const RunOptions& o) {
  gen.send(o.max_packets, o.warmup_s);  // caches, NAPI and the JIT'd program warm
  hook.reset();
  if (sink) sink->reset();
  // delivered: at the sink where there is one, else in the DUT's own stack
  const std::string delivered_ns = topo.sink() ? topo.sink()->ns : topo.dut().ns;
  const std::uint64_t delivered0 = udp_datagrams_delivered(delivered_ns);
  const auto start = std::chrono::steady_clock::now();
  Trial t;
  t.offered = gen.send(o.max_packets, o.duration_s);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  usleep(100000);  // let the DUT drain its queues before counting
  const HookCounts c = hook.read();
  t.seen = c.seen;
  t.dropped = c.dropped;
  t.passed = c.passed;
  t.run_time_ns = c.run_time_ns;
  t.delivered = udp_datagrams_delivered(delivered_ns) - delivered0;
  if (sink) {
    // the sink program consumes what reaches it: it is the count there
    const LatencyHistogram h = sink->read();
    t.delivered = h.count();
    t.has_latency = h.count() > 0;
    t.p50 = h.percentile(0.5);
    t.p90 = h.percentile(0.9);
    t.p99 = h.percentile(0.99);
    t.p999 = h.percentile(0.999);
    t.max = h.max();
  }
  return t;
}

std::string git_revision() {
  FILE* p = ::popen("git -C " XDPBENCH_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null", "r");
  if (!p) return "unknown";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof(buf), p) != nullptr;
  ::pclose(p);
  std::string s = ok ? buf : "unknown";
  s.erase(s.find_last_not_of("\n") + 1);
  return s;
}

json environment() {
  utsname u{};
  ::uname(&u);
  std::string cpu = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"kernel", u.release}, {"machine", u.machine}, {"cpu_model", cpu},
          {"cpus_online", sysconf(_SC_NPROCESSORS_ONLN)}, {"git_revision", git_revision()},
          {"xdpbench_version", XDPBENCH_VERSION}};
}

}  // namespace

int run_benchmark(const RunOptions& o) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // this run's own attachment records and pins: never mixed with xdpfilter's
  const std::string run_id = fmt::format("run{}", ::getpid());
  const std::string state_dir = "/run/xdpbench/" + run_id, pin_root = "/sys/fs/bpf/xdpbench_" + run_id;
  ::setenv("XDPBENCH_STATE_DIR", state_dir.c_str(), 1);
  ::setenv("XDPBENCH_PIN_ROOT", pin_root.c_str(), 1);
  ensure_bpffs();
  // the kernel counts run time and runs of every program while this fd is open
  UniqueFd stats(bpf_enable_stats(BPF_STATS_RUN_TIME));
  if (!stats) throw Error(errno_message("enable BPF run-time statistics", errno));

  const TopologySpec spec = load_topology(o.topology);
  Topology topo(spec, fmt::format("{}{}-", kRunPrefix, ::getpid()));
  LiveFrameGenerator gen(topo, o.traffic);
  std::unique_ptr<LatencySink> sink;
  if (topo.sink()) sink = std::make_unique<LatencySink>(*topo.sink());
  std::vector<std::string> hooks = {"xdp-noop"};
  std::map<std::string, std::string> skipped;
  for (const auto& h : o.hooks) {
    if (h == "xdp-noop") continue;
    if (const auto why = HookUnderTest::unavailable(h); !why.empty())
      skipped[h] = why;
    else
      hooks.push_back(h);
  }

  std::map<std::string, std::vector<Trial>> trials;
  const bool tty = ::isatty(STDERR_FILENO);
  for (int rep = 0; rep < o.repeat && !interrupted; ++rep) {
    for (const auto& h : hooks) {  // interleaved: noop, hook, ... in every repetition
      if (interrupted) break;
      if (tty) fmt::print(stderr, "\r\033[Krepeat {}/{}: {}", rep + 1, o.repeat, h);
      HookUnderTest hook(h, topo, o.rules);
      trials[h].push_back(run_trial(hook, gen, topo, sink.get(), o));
    }
  }
  if (tty) fmt::print(stderr, "\r\033[K");
  if (interrupted) {
    fmt::print(stderr, "xdpbench: interrupted; everything torn down\n");
    return 130;
  }

  const double noop_rx = over(trials["xdp-noop"], [](const Trial& t) { return t.mpps(t.seen); }).median;
  fmt::print("xdpbench run: topology {}, {} rules from {}, {}-byte UDP frames, {} flows, rate {}, "
             "{} x {:.1f} s trials\n",
             spec.name, o.rules.rules.size(), o.rules.source, o.traffic.frame_size, o.traffic.flows,
             o.traffic.rate_pps > 0 ? fmt::format("{:.0f} pps", o.traffic.rate_pps) : "max", o.repeat, o.duration_s);
  fmt::print("{:<14} {:>9} {:>22} {:>9} {:>9} {:>10} {:>7} {:>18} {:>8} {:>26}\n", "hook", "offered",
             "rx Mpps (min-max)", "drop", "pass", "delivered", "loss%", "ns/pkt (min-max)", "vs noop",
             "latency us p50/p99/p99.9");
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
    const Spread p50 = over(ts, [](const Trial& t) { return t.p50 / 1e3; });
    const Spread p99 = over(ts, [](const Trial& t) { return t.p99 / 1e3; });
    const Spread p999 = over(ts, [](const Trial& t) { return t.p999 / 1e3; });
    const bool latency = std::all_of(ts.begin(), ts.end(), [](const Trial& t) { return t.has_latency; });
    fmt::print("{:<14} {:>9.3f} {:>9.3f} ({:.3f}-{:.3f}) {:>9.3f} {:>9.3f} {:>10.3f} {:>7.2f} {:>7.1f} ({:.1f}-{:.1f}) "
               "{:>8.2f} {:>26}\n",
               h, offered.median, rx.median, rx.min, rx.max, drop.median, pass.median, delivered.median, loss.median,
               ns.median, ns.min, ns.max, noop_rx > 0 ? rx.median / noop_rx : 0,
               latency ? fmt::format("{:.1f}/{:.1f}/{:.1f}", p50.median, p99.median, p999.median) : "-");
    json jt = json::array();
    for (const auto& t : ts)
      jt.push_back({{"seconds", t.seconds}, {"offered", t.offered}, {"rx", t.seen}, {"dropped", t.dropped},
                    {"passed", t.passed}, {"delivered", t.delivered}, {"run_time_ns", t.run_time_ns},
                    {"latency_ns", t.has_latency ? json{{"p50", t.p50}, {"p90", t.p90}, {"p99", t.p99},
                                                        {"p99.9", t.p999}, {"max", t.max}}
                                                  : json(nullptr)}});
    auto sj = [](const Spread& s) { return json{{"median", s.median}, {"min", s.min}, {"max", s.max}}; };
    results.push_back({{"hook", h}, {"trials", jt},
                       {"summary", {{"offered_mpps", sj(offered)}, {"rx_mpps", sj(rx)}, {"drop_mpps", sj(drop)},
                                    {"pass_mpps", sj(pass)}, {"delivered_mpps", sj(delivered)}, {"loss_pct", sj(loss)},
                                    {"ns_per_pkt", sj(ns)}, {"rx_ratio_to_noop", noop_rx > 0 ? rx.median / noop_rx : 0},
                                    {"latency_us", latency ? json{{"p50", sj(p50)}, {"p99", sj(p99)}, {"p99.9", sj(p999)}}
                                                           : json(nullptr)}}}});
  }
  for (const auto& [h, why] : skipped) fmt::print("{:<14} skipped: {}\n", h, why);
  fmt::print("{}", topo.sink() ? "latency: one-way, generator stamp to the sink's XDP program (bpf_ktime_get_ns, one clock), "
                           "of the packets that passed; bucket upper edges, at most 6.25% high\n"
                         : "latency: needs a sink; run with --topology=router\n");

  if (!o.json_path.empty()) {
    json skipped_json = json::object();
    for (const auto& [h, why] : skipped) skipped_json[h] = why;
    const json doc = {{"schema", 1}, {"environment", environment()},
                      {"config", {{"topology", spec.name}, {"rules_source", o.rules.source},
                                  {"rules", o.rules.rules.size()}, {"frame_size", o.traffic.frame_size},
                                  {"flows", o.traffic.flows}, {"rate_pps", o.traffic.rate_pps},
                                  {"duration_s", o.duration_s}, {"warmup_s", o.warmup_s}, {"repeat", o.repeat}}},
                      {"results", results}, {"skipped", skipped_json}};
    std::ofstream(o.json_path) << doc.dump(2) << "\n";
    fmt::print("wrote {}\n", o.json_path);
  }
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  std::filesystem::remove_all(pin_root, ec);
  return 0;
}

}  // namespace xb::bench
