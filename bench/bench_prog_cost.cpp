// Per-packet cost of the XDP filter by rule count, next to an XDP program
// that does nothing, all measured in one run with BPF_PROG_TEST_RUN: the
// kernel runs the program `repeat` times on one frame and reports the mean
// time per run, so each figure is ns/packet including the run loop itself.
//
//   bench_prog_cost --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Packets: "miss" matches no rule, so the search visits every shape of its
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

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include "differential_corpus.hpp"
#include "errors.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "synthetic_rules.hpp"
#include "xb_noop.skel.h"
#include "xdp_dispatcher_hold.hpp"

namespace {

using namespace xb;

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
    l.hold = hold_in_dispatcher(l.runner->prog_fd());
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

void report(benchmark::State& state, std::uint64_t total_ns, std::uint64_t runs) {
  state.counters["ns_per_pkt"] = benchmark::Counter(static_cast<double>(total_ns) / static_cast<double>(runs));
  state.counters["Mpps_1core"] = benchmark::Counter(static_cast<double>(runs) * 1e3 / static_cast<double>(total_ns));
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
  for (auto _ : state) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
                .repeat = kRepeat);
    if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xb_xdp_noop), &opts)) {
      state.SkipWithError("BPF_PROG_TEST_RUN failed");
      break;
    }
    state.SetIterationTime(static_cast<double>(opts.duration) * kRepeat / 1e9);
    total_ns += static_cast<std::uint64_t>(opts.duration) * kRepeat;
    runs += kRepeat;
  }
  report(state, total_ns, runs);
}

void BM_XdpFilter(benchmark::State& state, bool hit) {
  Loaded& l = filter_with(static_cast<std::uint32_t>(state.range(0)));
  const std::vector<std::vector<std::uint8_t>> frames = hit ? hit_frames(l) : std::vector{1, miss_frame()};
  if (frames.empty()) {
    state.SkipWithError("no frame matched a rule");
    return;
  }
  std::uint64_t total_ns = 0, runs = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    std::uint32_t mean_ns = 0;
    l.runner->run_raw(frames[next++ % frames.size()], kRepeat, &mean_ns);
    state.SetIterationTime(static_cast<double>(mean_ns) * kRepeat / 1e9);
    total_ns += static_cast<std::uint64_t>(mean_ns) * kRepeat;
    runs += kRepeat;
  }
  state.counters["rules"] = static_cast<double>(state.range(0));
  state.counters["table_kib"] = static_cast<double>(l.table.bytes()) / 1024;
  state.counters["build_ms"] = l.table.stats.build_ms;
  report(state, total_ns, runs);
}

void BM_XdpFilterMiss(benchmark::State& state) { BM_XdpFilter(state, false); }
void BM_XdpFilterHit(benchmark::State& state) { BM_XdpFilter(state, true); }

BENCHMARK(BM_XdpNoop)->UseManualTime()->Iterations(50);
BENCHMARK(BM_XdpFilterMiss)->Arg(10)->Arg(1000)->Arg(100000)->UseManualTime()->Iterations(50);
BENCHMARK(BM_XdpFilterHit)->Arg(10)->Arg(1000)->Arg(100000)->UseManualTime()->Iterations(50);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
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
  return 0;
}
