#include "rig.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <thread>

#include "attachment_store.hpp"
#include "cpu_usage.hpp"
#include "dut_cpu_time.hpp"
#include "errors.hpp"
#include "pktgen_engine.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "run_command.hpp"
#include "traffic_file.hpp"
#include "trafgen_engine.hpp"
#include "xb_gen.h"

namespace xb::bench {
namespace {

volatile std::sig_atomic_t stop_flag = 0;
void on_signal(int) { stop_flag = 1; }

}  // namespace

bool stop_requested() { return stop_flag != 0; }

void install_stop_signals() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

namespace {

FlowEndpoints flow_endpoints(const Topology& topo) {
  FlowEndpoints ends{topo.spec().name,     topo.generator().ip4, topo.spec().target,
                     topo.generator().ip6, topo.spec().target6,  {}};
  for (const auto& [a, b] : topo.spec().veths)
    for (const VethEnd* e : {&a, &b}) ends.subnets.insert(ends.subnets.end(), e->addresses.begin(), e->addresses.end());
  return ends;
}

// The CPUs of --gen-cpus and --cpu together; throws when they overlap.
std::vector<int> generator_cpus(const std::vector<int>& cpus, const std::vector<int>& gen_cpus) {
  for (std::size_t i = 0; i < gen_cpus.size(); ++i)
    if (std::find(gen_cpus.begin(), gen_cpus.begin() + static_cast<long>(i), gen_cpus[i]) !=
        gen_cpus.begin() + static_cast<long>(i))
      throw Error(fmt::format("--gen-cpus: CPU {} is listed twice", gen_cpus[i]));
  if (cpus.size() != 2) return gen_cpus;
  if (gen_cpus.empty()) return {cpus[0]};
  // the DUT's core must be its own, or DUT CPU ns/pkt would count the generator's work
  if (std::find(gen_cpus.begin(), gen_cpus.end(), cpus[1]) != gen_cpus.end())
    throw Error(fmt::format("--cpu={},{} and --gen-cpus: the DUT's CPU {} must not be a generator CPU", cpus[0],
                            cpus[1], cpus[1]));
  if (std::find(gen_cpus.begin(), gen_cpus.end(), cpus[0]) == gen_cpus.end())
    throw Error(fmt::format("--cpu={},{} and --gen-cpus: the generator's CPU {} must be one of --gen-cpus", cpus[0],
                            cpus[1], cpus[0]));
  return gen_cpus;
}

}  // namespace

Rig::Rig(const std::string& topology, const TrafficProfile& traffic, const std::vector<int>& cpus,
         const std::vector<int>& gen_cpus, const LabConnector& connect_lab)
    : traffic_(traffic), gen_cpus_(generator_cpus(cpus, gen_cpus)) {
  const TopologySpec spec = load_topology(topology);
  if (spec.is_lab()) {
    // the hosts do the work: this process only drives them
    if (!connect_lab) throw Error(fmt::format("--topology={}: a lab of hosts is measured by `xdpbench run`", topology));
    if (traffic_.file) throw Error("--traffic: replaying a file on a lab's generator host is not supported yet");
    lab_ = connect_lab(spec);
    topology_ = lab_->topology();
    sink_ = lab_->sink();
    make_generator();
    if (cpus.size() == 2) {
      // the generator's CPU is its host's (gen_cpus_), the DUT's the DUT host's
      lab_->pin_dut(cpus[1]);
      dut_cpu_ = cpus[1];
    }
    return;
  }
  // this run's own attachment records and pins: never mixed with xdpfilter's
  const std::string run_id = fmt::format("run{}", ::getpid());
  state_paths_ = {"/run/xdpbench/" + run_id, "/sys/fs/bpf/xdpbench_" + run_id};
  ensure_bpffs();
  // the kernel counts every program's run time and runs while this fd is open
  stats_.reset(bpf_enable_stats(BPF_STATS_RUN_TIME));
  if (!stats_) throw Error(errno_message("enable BPF run-time statistics", errno));
  // a queue per generator thread: each fills a ring of its own, and the
  // DUT's receive work spreads over as many NAPI instances
  topology_ = std::make_unique<Topology>(spec, fmt::format("{}{}-", kRunPrefix, ::getpid()),
                                         static_cast<unsigned>(std::max<std::size_t>(gen_cpus_.size(), 1)));
  make_generator();
  if (topology_->sink()) sink_ = std::make_unique<LatencySink>(*topology_->sink());
  // one generator CPU: the generator runs in this thread
  if (gen_cpus_.size() == 1) pin_this_thread(gen_cpus_[0]);
  if (cpus.size() == 2) {
    dut_tasks_ = pin_receive_processing(topology_->dut().ns, topology_->dut().dev, cpus[1]);
    if (const auto k = ksoftirqd_of(cpus[1])) dut_tasks_.push_back(*k);
    dut_cpu_ = cpus[1];
  }
}

Rig::~Rig() {
  sink_.reset();
  generator_.reset();
  topology_.reset();
  lab_.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_paths_.state_dir, ec);
  std::filesystem::remove_all(state_paths_.pin_root, ec);
}

void Rig::make_generator() {
  generator_.reset();  // the old one's resources go before the new one's are taken
  if (lab_)
    generator_ = lab_->generator(traffic_, flows4_, flows6_, gen_cpus_);
  else if (traffic_.engine == "pktgen")
    generator_ = std::make_unique<PktgenEngine>(*topology_, traffic_);
  else if (traffic_.engine == "trafgen")
    generator_ = std::make_unique<TrafgenEngine>(*topology_, traffic_, flows4_, gen_cpus_);
  else
    generator_ = std::make_unique<LiveFrameGenerator>(*topology_, traffic_, flows4_, flows6_, gen_cpus_);
}

std::uint64_t Rig::delivered() const { return lab_ ? lab_->delivered() : ip_packets_delivered(topology_->dut().ns); }

void Rig::set_traffic(const TrafficProfile& traffic) {
  traffic_ = traffic;
  make_generator();
}

void Rig::use_rules(const CompiledRuleSet& rules) {
  const std::uint32_t per_family = std::min<std::uint32_t>(traffic_.flows, XB_GEN_V6_FLOWS);
  const auto flows = [&](Family f) {
    // "miss": flows checked to match no rule, or a broad rule set would catch
    // the topology's own addresses and turn the worst case into an early hit
    return traffic_.mix == "miss"
               ? flows_missing_rules(rules, f, per_family)
               : flows_for_rules(rules, flow_endpoints(*topology_), f, per_family, traffic_.drop_share);
  };
  flows4_.clear();
  flows6_.clear();
  replay_drop_share_.reset();
  if (traffic_.file) {
    // the file's frames as the filter sees them (the generator's MAC
    // addresses change nothing the rules look at)
    std::size_t dropped = 0;
    for (const auto& frame : traffic_.file->frames) dropped += classify(rules.table(), frame).action == Action::Drop;
    replay_drop_share_ = static_cast<double>(dropped) / static_cast<double>(traffic_.file->frames.size());
  } else if (traffic_.engine == "pktgen") {
    // it walks ranges: what it sends is the template, judged all the same
    flows4_ = template_flows(*topology_, traffic_);
  } else {
    flows4_ = flows(Family::V4);
    if (traffic_.ipv6_share > 0) flows6_ = flows(Family::V6);
  }
  make_generator();
}

double Rig::expected_drop_share() const {
  if (traffic_.file) return replay_drop_share_.value_or(0);
  const double s = traffic_.ipv6_share;
  return (1 - s) * bench::expected_drop_share(flows4_) + (s > 0 ? s * bench::expected_drop_share(flows6_) : 0);
}

namespace {

// Polls until the hook has seen every packet offered and what it passed has
// stopped arriving, or nothing has moved for a while (a DUT that lost
// packets under load), or a deadline passes: not a fixed wait, too long on a
// fast machine and too short on a slow one.
template <typename Delivered>
void wait_until_drained(const HookUnderTest& hook, std::uint64_t offered, Delivered delivered) {
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  std::uint64_t seen = hook.read().seen, got = delivered();
  for (int still = 0; std::chrono::steady_clock::now() < deadline;) {
    if (still >= (seen >= offered ? 3 : 20)) return;
    std::this_thread::sleep_for(1ms);  // the poll interval
    const std::uint64_t seen_now = hook.read().seen, got_now = delivered();
    still = seen_now == seen && got_now == got ? still + 1 : 0;
    seen = seen_now;
    got = got_now;
  }
}

}  // namespace

std::uint32_t Rig::latency_sample_shift(const TrialSpec& spec) const {
  const double pps = traffic_.rate_pps > 0 ? traffic_.rate_pps : first_trial_pps_.value_or(0);
  if (pps <= 0) return 0;
  const double expected = std::min(static_cast<double>(spec.max_packets), pps * spec.seconds);
  return bench::latency_sample_shift(static_cast<std::uint64_t>(expected));
}

Trial Rig::trial(HookUnderTest& hook, const TrialSpec& spec) {
  // caches, NAPI and the JIT'd program warm; its tail drained before the
  // counters start, so that none of it is counted as the trial's
  const std::uint64_t warmup = generator_->send(spec.max_packets, spec.warmup_s);
  hook.reset();  // a hook's counts are read against the base reset() takes
  if (warmup > 0) {
    // the tail is whatever still arrives: wait until nothing moves
    wait_until_drained(hook, ~std::uint64_t{0}, [] { return std::uint64_t{0}; });
    hook.reset();
  }
  if (sink_) sink_->reset();
  // delivered: at the sink where there is one, else to the DUT's IP layer
  const std::uint64_t delivered0 = delivered();
  CpuUsage cpu;
  std::optional<DutCpuTime> dut_cpu;
  if (lab_) {
    lab_->begin_trial(hook.name());
  } else if (dut_cpu_) {
    std::vector<int> tasks = dut_tasks_;
    for (const int pid : hook.own_processes()) tasks.push_back(pid);
    dut_cpu.emplace(tasks, *dut_cpu_);
  }
  // a lab: what the NICs count, not only what the engine says
  const LabHosts::NicCounts nic0 = lab_ ? lab_->nic_counts() : LabHosts::NicCounts{};
  // what the DUT's interface received: what the hook could have seen
  const std::uint64_t dut_rx0 = lab_ ? 0 : interface_rx_packets(topology_->dut().ns, topology_->dut().dev);
  const auto start = std::chrono::steady_clock::now();
  Trial t;
  t.offered = generator_->send(spec.max_packets, spec.seconds);
  t.softirq_pct = lab_ ? lab_->softirq_pct() : cpu.softirq_pct();
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!first_trial_pps_ && t.seconds > 0) first_trial_pps_ = static_cast<double>(t.offered) / t.seconds;
  wait_until_drained(hook, t.offered, [&]() -> std::uint64_t {
    if (sink_) return sink_->read().count();
    return delivered();
  });
  if (lab_) {
    const LabHosts::NicCounts nic1 = lab_->nic_counts();
    t.has_nic_counts = true;
    t.engine_sent = t.offered;
    t.offered = nic1.generator_tx - nic0.generator_tx;
    t.dut_nic_rx = nic1.dut_rx - nic0.dut_rx;
    t.gen_nic_tx_dropped = nic1.generator_tx_dropped - nic0.generator_tx_dropped;
  } else {
    t.dut_nic_rx = interface_rx_packets(topology_->dut().ns, topology_->dut().dev) - dut_rx0;
  }
  t.has_dut_nic_rx = true;
  // the packets counted below include those it handled while draining
  if (dut_cpu) {
    t.dut_cpu_busy_ns = dut_cpu->ns();
    t.has_dut_cpu = true;
  } else if (lab_ && dut_cpu_) {
    if (const auto ns = lab_->dut_cpu_ns()) {
      t.dut_cpu_busy_ns = *ns;
      t.has_dut_cpu = true;
    }
  }
  const HookCounts c = hook.read();
  t.seen = c.seen;
  t.dropped = c.dropped;
  t.passed = c.passed;
  t.run_time_ns = c.run_time_ns;
  t.has_run_time = c.has_run_time;
  t.has_verdicts = c.has_verdicts;
  t.own_input_queue = c.own_input_queue;
  t.hook_latency = c.latency;
  if (c.latency.count() > 0) {
    t.has_hook_latency = true;
    t.hook_p50 = c.latency.percentile(0.5);
    t.hook_p99 = c.latency.percentile(0.99);
    t.hook_p999 = c.latency.percentile(0.999);
    t.hook_max = c.latency.max();
  }
  t.delivered = c.delivers_passed ? c.passed : delivered() - delivered0;
  if (sink_ && !c.delivers_passed) {
    // the sink program consumes what reaches it: it is the count there, of
    // stamped frames; a file's frames mostly carry no stamp and pass the
    // sink, trafgen's and pktgen's carry none: for them the DUT's own count
    // of what it forwarded stands
    const LatencyHistogram h = sink_->read();
    t.sink_latency = h;
    if (!traffic_.file && traffic_.engine == "xdpbench") t.delivered = h.count();
    t.has_latency = h.count() > 0;
    t.p50 = h.percentile(0.5);
    t.p90 = h.percentile(0.9);
    t.p99 = h.percentile(0.99);
    t.p999 = h.percentile(0.999);
    t.max = h.max();
  }
  return t;
}

namespace {

// The pid in a run's name ("xbr123-dut", "run123", "xdpbench_run123") if the
// name is one of a run's, and that process is gone.
std::optional<pid_t> dead_run_pid(const std::string& name, const std::regex& pattern) {
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return std::nullopt;
  const auto pid = static_cast<pid_t>(std::stol(m[1].str()));
  if (::kill(pid, 0) == 0 || errno != ESRCH) return std::nullopt;  // alive (or not ours to judge)
  return pid;
}

}  // namespace

LeftoverCount remove_dead_runs_leftovers() {
  LeftoverCount removed;
  std::error_code ec;
  const std::regex netns(std::string(kRunPrefix) + "([0-9]+)-.*");
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec))
    if (dead_run_pid(entry.path().filename(), netns) &&
        run_command({"ip", "netns", "del", entry.path().filename()}, {.capture = false}).status == 0)
      ++removed.namespaces;
  const std::regex state_dir("run([0-9]+)"), pin_dir("xdpbench_run([0-9]+)");
  for (const auto& entry : std::filesystem::directory_iterator("/run/xdpbench", ec))
    if (dead_run_pid(entry.path().filename(), state_dir) && std::filesystem::remove_all(entry.path(), ec) > 0)
      ++removed.state_dirs;
  // pinned maps and links: unlinking the pins frees what no one else holds
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/bpf", ec))
    if (dead_run_pid(entry.path().filename(), pin_dir) && std::filesystem::remove_all(entry.path(), ec) > 0)
      ++removed.pin_dirs;
  return removed;
}

}  // namespace xb::bench
