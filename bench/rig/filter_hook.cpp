#include "filter_hook.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "generator_bound.hpp"
#include "lwt_route.hpp"
#include "netns.hpp"
#include "rule_compiler.hpp"
#include "unique_fd.hpp"
#include "xb_gen.h"
#include "xb_noop.skel.h"
#include "xdp_program_attachment.hpp"

#ifndef __always_inline
#define __always_inline inline
#endif
#include "xb_latency.h"

namespace xb::bench {
namespace {

// XDPBENCH_DEBUG_EXTRA_WORK=N: N empty loop iterations a packet in the rig's
// filter programs, a slowdown of known size for testing the regression gate
// (bpf/xb_rig_probe.bpf.h). Read here, by the rig: the library reads no
// environment.
std::uint32_t debug_extra_work() {
  const char* v = std::getenv("XDPBENCH_DEBUG_EXTRA_WORK");
  if (!v || !*v) return 0;
  std::uint32_t n = 0;
  const char* end = v + std::strlen(v);
  const auto [ptr, ec] = std::from_chars(v, end, n);
  if (ec != std::errc() || ptr != end || n > (1u << 20))
    throw Error(fmt::format("XDPBENCH_DEBUG_EXTRA_WORK: '{}' is not 0 to 1048576", v));
  return n;
}

struct ProgStats {
  std::uint64_t run_cnt = 0, run_time_ns = 0;
};

ProgStats prog_stats(std::uint32_t id) {
  ProgStats s;
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return s;
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
    s.run_cnt = info.run_cnt;
    s.run_time_ns = info.run_time_ns;
  }
  ::close(fd);
  return s;
}

// The program's own map of that name (the hook-latency histogram is made by
// libbpf with each program, not shared like the rule table).
UniqueFd map_of_program(std::uint32_t prog_id, const char* name) {
  UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
  if (!prog) return UniqueFd();
  std::uint32_t ids[16] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 16;
  info.map_ids = reinterpret_cast<std::uint64_t>(ids);
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog.get(), &info, &len)) return UniqueFd();
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(info.nr_map_ids, 16); ++i) {
    UniqueFd map(bpf_map_get_fd_by_id(ids[i]));
    bpf_map_info minfo{};
    __u32 mlen = sizeof(minfo);
    if (map && !bpf_obj_get_info_by_fd(map.get(), &minfo, &mlen) && std::string(minfo.name) == name) return map;
  }
  return UniqueFd();
}

// Where the LWT hooks go: the routes the DUT forwards the rig's traffic by.
// Its own routes of the topology (the router topology's default routes
// towards the sink: flows aimed at the rules' prefixes take them), and the
// routes it uses to reach the traffic's target addresses (the connected
// route of the sink's link: flows whose rules name no destination go to
// the target). Unicast routes only: the veth-pair topology's target is the
// DUT's own address, which is no route to put a filter on.
std::vector<std::string> dut_route_prefixes(const Topology& topo) {
  std::vector<std::string> out;
  auto add = [&](const std::string& prefix) {
    if (std::find(out.begin(), out.end(), prefix) == out.end()) out.push_back(prefix);
  };
  const std::string& dut = topo.spec().dut;
  const std::string dut_ns = dut.substr(0, dut.find('/'));
  for (const auto& r : topo.spec().routes) {
    if (r.ns != dut_ns) continue;
    const bool v6 = r.via.find(':') != std::string::npos;
    add(parse_route_prefix(r.to == "default" ? (v6 ? "::/0" : "0.0.0.0/0") : r.to).text());
  }
  NetnsScope in(topo.dut().ns);
  for (const std::string* target : {&topo.spec().target, &topo.spec().target6}) {
    if (target->empty()) continue;
    const auto route = route_used_for(*target);
    if (route && route->type() == RTN_UNICAST && route->table() == kMainRouteTable) add(prefix_of(*route).text());
  }
  return out;
}

// The filter at one of the kernel hooks, through the loader library. On a
// route (lwt-*) it goes on each route the DUT forwards the traffic by, so
// every packet, IPv4 or IPv6, meets it once; their counters are added up.
class FilterHook final : public HookUnderTest {
 public:
  // name: the row's name; hook: the kernel hook the filter goes on
  FilterHook(const std::string& name, const std::string& hook, const Topology& topo, const CompiledRuleSet& rules,
             const StatePaths& state, std::uint32_t latency_sample_shift)
      : HookUnderTest(name), rules_(rules.rules()), state_(state) {
    AttachRequest req;
    req.hook = parse_hook(hook);
    req.direction = default_direction(req.hook);
    req.netns = topo.dut().ns;
    TargetFlags target;
    target.iface = topo.dut().dev;
    // the rig's variant of the program: it times the generator's stamps
    const int stamp_offset = sees_l2(program_kind(req.hook)) ? XB_GEN_STAMP_L2_OFFSET : XB_GEN_STAMP_L3_OFFSET;
    req.rig = RigProbe{static_cast<std::uint32_t>(stamp_offset), latency_sample_shift, debug_extra_work()};
    try {
      if (hook_ops(req.hook).held_by_process) {
        req.target = hook_target(req.hook, target);
        socket_guard_.emplace(state_, req, rules);
      } else if (is_lwt(req.hook)) {
        for (const auto& prefix : dut_route_prefixes(topo)) {
          target.route = prefix;
          req.target = hook_target(req.hook, target);
          records_.push_back(attach_filter(state_, req, rules));
        }
      } else {
        req.target = hook_target(req.hook, target);
        records_.push_back(attach_filter(state_, req, rules));
      }
    } catch (...) {
      detach_all();
      throw;
    }
    for (const auto& r : records()) {
      prog_ids_.push_back(r.prog_id);
      latency_maps_.push_back(map_of_program(r.prog_id, "xb_hook_latency"));
    }
    ncpu_ = static_cast<std::size_t>(check_errno(libbpf_num_possible_cpus(), "count CPUs"));
  }

  ~FilterHook() override { detach_all(); }

  void reset() override {
    base_ = run_time();
    for (const auto& map : latency_maps_) {
      if (!map) continue;
      const std::vector<__u64> zeros(ncpu_, 0);
      for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b) bpf_map_update_elem(map.get(), &b, zeros.data(), BPF_ANY);
    }
    // the counters as they stand: a trial counts from here (no reload, so
    // the rules are compiled once a run and the table stays as attached)
    counter_base_.clear();
    for (const auto& r : records()) counter_base_.push_back(read_filter_counters(state_, r));
  }

  HookCounts read() const override {
    HookCounts c;
    c.has_run_time = true;
    c.run_time_ns = run_time() - base_;
    std::vector<std::uint64_t> buckets(XB_LAT_BUCKETS, 0);
    std::vector<__u64> per_cpu(ncpu_);
    for (const auto& map : latency_maps_)
      for (__u32 b = 0; map && b < XB_LAT_BUCKETS; ++b)
        if (!bpf_map_lookup_elem(map.get(), &b, per_cpu.data()))
          for (auto v : per_cpu) buckets[b] += v;
    if (std::any_of(latency_maps_.begin(), latency_maps_.end(), [](const UniqueFd& m) { return bool(m); }))
      c.latency = LatencyHistogram(std::move(buckets));
    auto add = [&](const RuleCounter& counter, bool drop) {
      c.seen += counter.packets;
      (drop ? c.dropped : c.passed) += counter.packets;
    };
    for (const CounterSnapshot& snap : counters_since_reset()) {
      for (std::size_t i = 0; i < snap.rules.size(); ++i) add(snap.rules[i], rules_.rules[i].action == Action::Drop);
      add(snap.no_match, rules_.default_action == Action::Drop);
      add(snap.non_ip, rules_.non_ip_action == Action::Drop);
      add(snap.malformed, rules_.malformed_action == Action::Drop);
    }
    return c;
  }

  // One tally a rule, then the default, non-IP and malformed counters.
  std::vector<RuleTally> rule_tallies() const override {
    std::vector<RuleTally> out(rules_.rules.size() + 3);
    for (std::uint32_t i = 0; i < rules_.rules.size(); ++i) out[i].rules = {i};
    out[rules_.rules.size()].rules = {XB_RULE_DEFAULT};
    out[rules_.rules.size() + 1].rules = {XB_RULE_NON_IP};
    out[rules_.rules.size() + 2].rules = {XB_RULE_MALFORMED};
    for (const CounterSnapshot& snap : counters_since_reset()) {
      for (std::size_t i = 0; i < snap.rules.size(); ++i) out[i].packets += snap.rules[i].packets;
      out[rules_.rules.size()].packets += snap.no_match.packets;
      out[rules_.rules.size() + 1].packets += snap.non_ip.packets;
      out[rules_.rules.size() + 2].packets += snap.malformed.packets;
    }
    return out;
  }

 private:
  std::vector<AttachmentRecord> records() const {
    return socket_guard_ ? std::vector{socket_guard_->record()} : records_;
  }

  // Each record's counters less what they held at reset().
  std::vector<CounterSnapshot> counters_since_reset() const {
    std::vector<CounterSnapshot> out;
    const auto recs = records();
    for (std::size_t k = 0; k < recs.size(); ++k) {
      CounterSnapshot snap = read_filter_counters(state_, recs[k]);
      if (k < counter_base_.size()) {
        const CounterSnapshot& base = counter_base_[k];
        auto less = [](RuleCounter& c, const RuleCounter& b) {
          c.packets -= b.packets;
          c.bytes -= b.bytes;
        };
        for (std::size_t i = 0; i < snap.rules.size() && i < base.rules.size(); ++i) less(snap.rules[i], base.rules[i]);
        less(snap.no_match, base.no_match);
        less(snap.non_ip, base.non_ip);
        less(snap.malformed, base.malformed);
      }
      out.push_back(std::move(snap));
    }
    return out;
  }

  std::uint64_t run_time() const {
    std::uint64_t ns = 0;
    for (auto id : prog_ids_) ns += prog_stats(id).run_time_ns;
    return ns;
  }

  void detach_all() {
    for (const auto& r : records_) try {
        detach_filter(state_, r);
      } catch (const Error&) {
        // the namespace goes with the topology anyway
      }
    records_.clear();
  }

  RuleSet rules_;
  StatePaths state_;
  std::vector<CounterSnapshot> counter_base_;  // each record's counters at reset()
  std::vector<AttachmentRecord> records_;      // the filter, through the library
  std::optional<SocketGuard> socket_guard_;    // socket-filter
  std::vector<std::uint32_t> prog_ids_;
  std::vector<UniqueFd> latency_maps_;
  std::size_t ncpu_ = 1;
  std::uint64_t base_ = 0;
};

// The do-nothing XDP program: xdp-noop passes every frame (the rate of the
// rig and the DUT's stack), xdp-drop drops it at once (the generator's
// ceiling: the least any hook can add).
class NoopHook final : public HookUnderTest {
 public:
  NoopHook(const std::string& name, const Topology& topo)
      : HookUnderTest(name), action_(name == kCeilingHook ? XDP_DROP : XDP_PASS), skel_(open_noop(action_)) {
    // the loader's plain XDP attach, as for a user's --prog (no dispatcher)
    attachment_.emplace(bpf_program__fd(skel_->progs.xb_xdp_noop), topo.dut().ifindex, topo.dut().ns, XdpMode::Native,
                        /*replace=*/true, "attach " + name + " on " + topo.dut().dev);
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.xb_xdp_noop), &info, &len)) prog_id_ = info.id;
  }

  void reset() override { base_ = prog_stats(prog_id_); }

  HookCounts read() const override {
    const ProgStats now = prog_stats(prog_id_);
    HookCounts c;
    c.has_run_time = true;
    c.run_time_ns = now.run_time_ns - base_.run_time_ns;
    c.seen = now.run_cnt - base_.run_cnt;
    (action_ == XDP_DROP ? c.dropped : c.passed) = c.seen;
    return c;
  }

 private:
  // xb_noop loaded with its verdict, owned (destroyed after the attachment)
  static std::unique_ptr<xb_noop, void (*)(xb_noop*)> open_noop(__u32 action) {
    std::unique_ptr<xb_noop, void (*)(xb_noop*)> skel(xb_noop__open(), &xb_noop__destroy);
    if (!skel) throw Error(errno_message("open xb_noop", errno));
    skel->rodata->xb_noop_action = action;
    check_errno(xb_noop__load(skel.get()), "load xb_noop");
    return skel;
  }

  __u32 action_ = XDP_PASS;
  std::unique_ptr<xb_noop, void (*)(xb_noop*)> skel_;
  std::optional<XdpProgramAttachment> attachment_;
  std::uint32_t prog_id_ = 0;
  ProgStats base_;
};

}  // namespace

std::string filter_hook_unavailable_on(const std::string& hook, const Topology& topo) {
  if (hook == "xdp-noop" || hook == kParseHook || !is_lwt(parse_hook(hook)) || !dut_route_prefixes(topo).empty())
    return "";
  return fmt::format("runs on a route the DUT forwards through; topology {} gives the DUT none (use --topology=router)",
                     topo.spec().name);
}

std::unique_ptr<HookUnderTest> make_filter_hook(const std::string& hook, const Topology& topo,
                                                const CompiledRuleSet& rules, const StatePaths& state,
                                                std::uint32_t latency_sample_shift) {
  if (hook == "xdp-noop" || hook == kCeilingHook) return std::make_unique<NoopHook>(hook, topo);
  if (hook == kParseHook) {
    RuleSet drop_all{.default_action = Action::Drop,
                     .non_ip_action = Action::Drop,
                     .malformed_action = Action::Drop,
                     .rules = {},
                     .source = "<xdp-parse: no rules, drop>"};
    return std::make_unique<FilterHook>(hook, "xdp-native", topo, CompiledRuleSet(std::move(drop_all)), state,
                                        latency_sample_shift);
  }
  return std::make_unique<FilterHook>(hook, hook, topo, rules, state, latency_sample_shift);
}

}  // namespace xb::bench
