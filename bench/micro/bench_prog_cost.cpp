// Per-packet cost of the XDP filter by rule count, next to an XDP program
// that does nothing, all measured in one run with BPF_PROG_TEST_RUN: the
// kernel runs the program `repeat` times on one frame and reports the mean
// time per run, so each figure is ns/packet including the run loop itself.
//
//   bench_prog_cost --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Synthetic rule sets (10 to 10,000 rules) and the ClassBench sets (see
// BM_ClassBench). Packets: "miss" matches no rule, so the search walks every tree of its
// family (the worst case for a rule set); "hit" matches a rule drawn at
// random from the set (the common case of a busy rule).
//
// Each program is kept in the kernel's XDP dispatcher while it is measured
// (XdpDispatcherHold): prog-run with repeat > 1 otherwise adds and removes it
// there around every call, two RCU grace periods each time — outside the
// timed loop, but they made a run take minutes on slow-grace-period VMs.
#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include "classbench_rules.hpp"
#include "differential_corpus.hpp"
#include "errors.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "synthetic_rules.hpp"
#include "xb_noop.skel.h"
#include "xdp_dispatcher_hold.hpp"

namespace {

using namespace xb;
using bench::XdpDispatcherHold;

constexpr std::uint32_t kRepeat = 20000;

struct Loaded {
  RuleSet rules;
  CompiledTable table;
  std::unique_ptr<fixtures::ProgRunner> runner;
  std::optional<XdpDispatcherHold> hold;
};

// Without root's veths the figures are the same, only slower to get.
std::optional<XdpDispatcherHold> hold_in_dispatcher(int prog_fd) {
  try {
    return XdpDispatcherHold(prog_fd);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_prog_cost: %s (each run waits for RCU grace periods)\n", e.what());
    return std::nullopt;
  }
}

Loaded& filter_with(std::uint32_t rule_count) {
  static std::map<std::uint32_t, Loaded> cache;
  auto it = cache.find(rule_count);
  if (it == cache.end()) {
    Loaded l;
    l.rules = synthetic_rules({.count = rule_count, .seed = 42});
    l.table = compile_rules(l.rules);
    l.runner = std::make_unique<fixtures::ProgRunner>(ProgramKind::Xdp, l.table);
    if (auto hold = hold_in_dispatcher(l.runner->prog_fd())) l.hold.emplace(std::move(*hold));
    it = cache.emplace(rule_count, std::move(l)).first;
  }
  return it->second;
}

// A UDP frame no synthetic rule matches (documentation source, unused port).
std::vector<std::uint8_t> miss_frame() {
  return fixtures::build_frame(fixtures::udp("192.0.2.1", "192.0.2.2", 40000, 9));
}

// Frames aimed at the set's rules that the reference model says a rule matches.
std::vector<std::vector<std::uint8_t>> hit_frames(const Loaded& l) {
  std::vector<std::vector<std::uint8_t>> hits;
  for (auto& f : fixtures::differential_corpus(l.rules, 4000, 7))
    if (classify(l.table, f).rule < XB_MAX_RULES && hits.size() < 64) hits.push_back(std::move(f));
  return hits;
}

// What the kernel has counted for the program: it counts only while someone
// has BPF run-time statistics on (an xdpbench run, bpftool prog profile),
// and then every run also pays for the accounting.
struct CountedRuns {
  std::uint64_t runs = 0;
  std::uint64_t run_time_ns = 0;
};

CountedRuns counted_runs(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return {};
  return {info.run_cnt, info.run_time_ns};
}

bool g_stats_were_on = false;

// before: counted_runs() when the timing began. A figure taken while
// statistics were on is marked (bpf_stats_on=1): it is not comparable. It
// then also gets the statistics' own figure, bpf_stats_ns_per_run, the one
// xdpbench's "prog ns/pkt" shows: the time between the two clock reads
// around each run. The clock reads keep one run from overlapping the next,
// which the kernel's repeat loop otherwise lets the CPU do (bpf/README.md).
void report(benchmark::State& state, std::uint64_t total_ns, std::uint64_t runs, int prog_fd, CountedRuns before) {
  state.counters["ns_per_pkt"] = benchmark::Counter(static_cast<double>(total_ns) / static_cast<double>(runs));
  state.counters["Mpps_1core"] = benchmark::Counter(static_cast<double>(runs) * 1e3 / static_cast<double>(total_ns));
  const CountedRuns after = counted_runs(prog_fd);
  const bool stats_on = after.runs != before.runs;
  state.counters["bpf_stats_on"] = stats_on;
  if (stats_on)
    state.counters["bpf_stats_ns_per_run"] =
        static_cast<double>(after.run_time_ns - before.run_time_ns) / static_cast<double>(after.runs - before.runs);
  g_stats_were_on |= stats_on;
}

// Each iteration runs the next frame `repeat` times; the kernel's mean time
// per run is the figure.
void time_frames(benchmark::State& state, fixtures::ProgRunner& runner,
                 const std::vector<std::vector<std::uint8_t>>& frames, std::uint32_t repeat) {
  std::uint64_t total_ns = 0, runs = 0;
  std::size_t next = 0;
  const CountedRuns counted = counted_runs(runner.prog_fd());
  for (auto _ : state) {
    std::uint32_t mean_ns = 0;
    runner.run_raw(frames[next++ % frames.size()], repeat, &mean_ns);
    state.SetIterationTime(static_cast<double>(mean_ns) * repeat / 1e9);
    total_ns += static_cast<std::uint64_t>(mean_ns) * repeat;
    runs += repeat;
  }
  report(state, total_ns, runs, runner.prog_fd(), counted);
}

void BM_XdpNoop(benchmark::State& state) {
  static xb_noop* skel = [] {
    xb_noop* s = xb_noop__open_and_load();
    if (!s) throw std::runtime_error("load xb_noop");
    return s;
  }();
  static std::optional<XdpDispatcherHold> hold = hold_in_dispatcher(bpf_program__fd(skel->progs.xb_xdp_noop));
  const auto frame = miss_frame();
  std::uint64_t total_ns = 0, runs = 0;
  const int prog_fd = bpf_program__fd(skel->progs.xb_xdp_noop);
  const CountedRuns counted = counted_runs(prog_fd);
  for (auto _ : state) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
                .repeat = kRepeat);
    if (bpf_prog_test_run_opts(prog_fd, &opts)) {
      state.SkipWithError("BPF_PROG_TEST_RUN failed");
      break;
    }
    state.SetIterationTime(static_cast<double>(opts.duration) * kRepeat / 1e9);
    total_ns += static_cast<std::uint64_t>(opts.duration) * kRepeat;
    runs += kRepeat;
  }
  report(state, total_ns, runs, prog_fd, counted);
}

void BM_XdpFilter(benchmark::State& state, bool hit) {
  Loaded& l = filter_with(static_cast<std::uint32_t>(state.range(0)));
  const std::vector<std::vector<std::uint8_t>> frames = hit ? hit_frames(l) : std::vector{1, miss_frame()};
  if (frames.empty()) {
    state.SkipWithError("no frame matched a rule");
    return;
  }
  time_frames(state, *l.runner, frames, kRepeat);
  state.counters["rules"] = static_cast<double>(state.range(0));
  state.counters["table_kib"] = static_cast<double>(l.table.bytes()) / 1024;
  state.counters["build_ms"] = l.table.stats.build_ms;
}

void BM_XdpFilterMiss(benchmark::State& state) { BM_XdpFilter(state, false); }
void BM_XdpFilterHit(benchmark::State& state) { BM_XdpFilter(state, true); }

// ClassBench: the standard packet-classification benchmark's filter sets,
// with "trace" traffic (the set's own trace, which aims at its rules) and
// "miss" traffic (uniformly random TCP/UDP headers: mostly the set's broad
// rules or no rule). Counters: ns_per_pkt, the compiled table's size, its
// build time, and the reload time (fill a new table map and swap it in).
struct ClassBenchSet {
  std::string name, path;
  RuleSet rules;
  CompiledTable table;
  std::unique_ptr<fixtures::ProgRunner> runner;
  std::optional<XdpDispatcherHold> hold;
  double reload_ms = 0;
  std::vector<std::vector<std::uint8_t>> trace, miss;
};

std::vector<std::vector<std::uint8_t>> frames_of(const std::vector<fixtures::OracleHeaders>& headers,
                                                 std::size_t count) {
  std::vector<std::vector<std::uint8_t>> frames;
  for (std::size_t i = 0; i < headers.size() && frames.size() < count; ++i)
    frames.push_back(fixtures::build_frame(fixtures::packet_spec(headers[i])));
  return frames;
}

ClassBenchSet& classbench_set(const std::string& name, const std::string& path) {
  static std::map<std::string, ClassBenchSet> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  ClassBenchSet s;
  s.name = name;
  s.path = path;
  s.rules = load_classbench_file(path, Action::Drop);
  s.table = compile_rules(s.rules);
  s.runner = std::make_unique<fixtures::ProgRunner>(ProgramKind::Xdp, s.table);
  const auto start = std::chrono::steady_clock::now();
  s.runner->maps().install(s.table);
  s.reload_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (auto hold = hold_in_dispatcher(s.runner->prog_fd())) s.hold.emplace(std::move(*hold));
  if (std::filesystem::exists(path + "_trace"))
    s.trace = frames_of(fixtures::read_classbench_trace(path + "_trace"), 1024);
  s.miss = frames_of(fixtures::random_headers(1024, 11), 1024);
  return cache.emplace(name, std::move(s)).first->second;
}

void BM_ClassBench(benchmark::State& state, const std::string& name, const std::string& path, bool trace) {
  ClassBenchSet& s = classbench_set(name, path);
  const auto& frames = trace ? s.trace : s.miss;
  if (frames.empty()) {
    state.SkipWithError("no trace file beside the filter set");
    return;
  }
  // many frames, fewer runs of each: the cache holds less of the table
  time_frames(state, *s.runner, frames, 2000);
  state.counters["rules"] = static_cast<double>(s.rules.rules.size());
  state.counters["table_kib"] = static_cast<double>(s.table.bytes()) / 1024;
  state.counters["build_ms"] = s.table.stats.build_ms;
  state.counters["reload_ms"] = s.reload_ms;
}

// XDPBENCH_CLASSBENCH_DIR, else the project's shared ClassBench data beside
// the checkout, else the sets the tests carry.
std::string classbench_dir() {
  if (const char* dir = std::getenv("XDPBENCH_CLASSBENCH_DIR")) return dir;
  if (std::filesystem::exists(XB_SHARED_CLASSBENCH_DIR)) return XB_SHARED_CLASSBENCH_DIR;
  return XB_TEST_CLASSBENCH_DIR;
}

void register_classbench() {
  const std::string dir = classbench_dir();
  for (const char* size : {"1k", "10k", "100k"})
    for (const char* family : {"acl1", "fw1", "ipc1"}) {
      const std::string name = std::string(family) + "_" + size, path = dir + "/" + name;
      if (!std::filesystem::exists(path)) continue;
      for (bool trace : {true, false})
        benchmark::RegisterBenchmark(("BM_ClassBench/" + name + (trace ? "/trace" : "/miss")).c_str(),
                                     [=](benchmark::State& st) { BM_ClassBench(st, name, path, trace); })
            ->UseManualTime()
            ->Iterations(256);
    }
}

BENCHMARK(BM_XdpNoop)->UseManualTime()->Iterations(50);
BENCHMARK(BM_XdpFilterMiss)->Arg(0)->Arg(10)->Arg(1000)->Arg(10000)->UseManualTime()->Iterations(50);
BENCHMARK(BM_XdpFilterHit)->Arg(10)->Arg(1000)->Arg(10000)->UseManualTime()->Iterations(50);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_classbench();
  utsname u{};
  uname(&u);
  benchmark::AddCustomContext("kernel", std::string(u.release));
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      benchmark::AddCustomContext("cpu_model", line.substr(line.find(':') + 2));
      break;
    }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_stats_were_on)
    std::fprintf(stderr,
                 "bench_prog_cost: BPF run-time statistics were on during the figures marked bpf_stats_on=1 "
                 "(another process: an xdpbench run, bpftool prog profile); each of their runs also paid for the "
                 "accounting, so they are not comparable with the others: run again on a quiet machine\n");
  return 0;
}
