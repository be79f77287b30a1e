#include "filter_hook.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <optional>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "generator_bound.hpp"
#include "netns.hpp"
#include "rule_compiler.hpp"
#include "unique_fd.hpp"
#include "xb_gen.h"
#include "xb_noop.skel.h"

#ifndef __always_inline
#define __always_inline inline
#endif
#include "xb_latency.h"

namespace xb::bench {
namespace {

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

// The filter at one of the kernel hooks, through the loader library.
class FilterHook final : public HookUnderTest {
 public:
  FilterHook(const std::string& hook, const Topology& topo, const RuleSet& rules) : HookUnderTest(hook), rules_(rules) {
    AttachRequest req;
    req.hook = parse_hook(hook);
    req.netns = topo.dut().ns;
    req.ifname = topo.dut().dev;
    req.stamp_offset = sees_l2(program_kind(req.hook)) ? XB_GEN_STAMP_L2_OFFSET : XB_GEN_STAMP_L3_OFFSET;
    if (req.hook == Hook::SocketFilter)
      socket_guard_.emplace(req, rules);
    else
      record_ = attach_filter(req, rules);
    prog_id_ = this->record().prog_id;
    latency_map_ = map_of_program(prog_id_, "xb_hook_latency");
    ncpu_ = static_cast<std::size_t>(check_errno(libbpf_num_possible_cpus(), "count CPUs"));
  }

  ~FilterHook() override {
    if (!record_) return;
    try {
      detach_filter(*record_);
    } catch (const Error&) {
      // the namespace goes with the topology anyway
    }
  }

  void reset() override {
    base_ = prog_stats(prog_id_);
    if (latency_map_) {
      const std::vector<__u64> zeros(ncpu_, 0);
      for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b) bpf_map_update_elem(latency_map_.get(), &b, zeros.data(), BPF_ANY);
    }
    // a reload of the same rules: a fresh counter generation
    reload_filter(record(), rules_);
  }

  HookCounts read() const override {
    HookCounts c;
    c.has_run_time = true;
    c.run_time_ns = prog_stats(prog_id_).run_time_ns - base_.run_time_ns;
    if (latency_map_) {
      std::vector<std::uint64_t> buckets(XB_LAT_BUCKETS, 0);
      std::vector<__u64> per_cpu(ncpu_);
      for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b)
        if (!bpf_map_lookup_elem(latency_map_.get(), &b, per_cpu.data()))
          for (auto v : per_cpu) buckets[b] += v;
      c.latency = LatencyHistogram(std::move(buckets));
    }
    const CounterSnapshot snap = read_filter_counters(record());
    auto add = [&](const RuleCounter& counter, bool drop) {
      c.seen += counter.packets;
      (drop ? c.dropped : c.passed) += counter.packets;
    };
    for (std::size_t i = 0; i < snap.rules.size(); ++i) add(snap.rules[i], rules_.rules[i].action == Action::Drop);
    add(snap.no_match, rules_.default_action == Action::Drop);
    add(snap.non_ip, rules_.non_ip_action == Action::Drop);
    add(snap.malformed, rules_.malformed_action == Action::Drop);
    return c;
  }

 private:
  const AttachmentRecord& record() const { return record_ ? *record_ : socket_guard_->record(); }

  RuleSet rules_;
  std::optional<AttachmentRecord> record_;   // the filter, through the library
  std::optional<SocketGuard> socket_guard_;  // socket-filter
  std::uint32_t prog_id_ = 0;
  UniqueFd latency_map_;
  std::size_t ncpu_ = 1;
  ProgStats base_;
};

// The do-nothing XDP program: xdp-noop passes every frame (the rate of the
// rig and the DUT's stack), xdp-drop drops it at once (the generator's
// ceiling: the least any hook can add).
class NoopHook final : public HookUnderTest {
 public:
  NoopHook(const std::string& name, const Topology& topo) : HookUnderTest(name), dut_ns_(topo.dut().ns) {
    skel_ = xb_noop__open();
    if (!skel_) throw Error(errno_message("open xb_noop", errno));
    action_ = name == kCeilingHook ? XDP_DROP : XDP_PASS;
    skel_->rodata->xb_noop_action = action_;
    try {
      check_errno(xb_noop__load(skel_), "load xb_noop");
      NetnsScope in(dut_ns_);
      ifindex_ = topo.dut().ifindex;
      check_errno(bpf_xdp_attach(ifindex_, bpf_program__fd(skel_->progs.xb_xdp_noop), XDP_FLAGS_DRV_MODE, nullptr),
                  "attach " + name + " on " + topo.dut().dev);
    } catch (...) {
      xb_noop__destroy(skel_);
      throw;
    }
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.xb_xdp_noop), &info, &len)) prog_id_ = info.id;
  }

  ~NoopHook() override {
    NetnsScope in(dut_ns_);
    bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, nullptr);
    xb_noop__destroy(skel_);
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
  xb_noop* skel_ = nullptr;
  __u32 action_ = XDP_PASS;
  std::string dut_ns_;
  int ifindex_ = 0;
  std::uint32_t prog_id_ = 0;
  ProgStats base_;
};

}  // namespace

std::unique_ptr<HookUnderTest> make_filter_hook(const std::string& hook, const Topology& topo, const RuleSet& rules) {
  if (hook == "xdp-noop" || hook == kCeilingHook) return std::make_unique<NoopHook>(hook, topo);
  return std::make_unique<FilterHook>(hook, topo, rules);
}

}  // namespace xb::bench
