#include "hook_under_test.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "netns.hpp"
#include "rule_compiler.hpp"
#include "tc_act_attachment.hpp"
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

}  // namespace

struct HookUnderTest::Impl {
  RuleSet rules;
  std::optional<AttachmentRecord> record;   // the filter, through the library
  std::optional<SocketGuard> socket_guard;  // socket-filter
  xb_noop* noop = nullptr;                  // xdp-noop
  int noop_ifindex = 0;
  std::string dut_ns;
  std::uint32_t prog_id = 0;
  UniqueFd latency_map;
  std::size_t ncpu = 1;
  ProgStats base;
  CounterSnapshot zero;

  ~Impl() {
    if (noop) {
      NetnsScope in(dut_ns);
      bpf_xdp_detach(noop_ifindex, XDP_FLAGS_DRV_MODE, nullptr);
      xb_noop__destroy(noop);
    }
    if (record) {
      try {
        detach_filter(*record);
      } catch (const Error&) {
        // the namespace goes with the topology anyway
      }
    }
  }
};

std::string HookUnderTest::unavailable(const std::string& hook) {
  if (hook == "tc-act") return TcActAttachment::missing_kernel_support();
  if (hook == "cgroup-skb") return "needs receiving sockets in a cgroup; the rig's traffic has none (see README)";
  return "";
}

HookUnderTest::HookUnderTest(const std::string& hook, const Topology& topo, const RuleSet& rules)
    : name_(hook), impl_(std::make_unique<Impl>()) {
  impl_->rules = rules;
  impl_->dut_ns = topo.dut().ns;
  if (hook == "xdp-noop") {
    impl_->noop = xb_noop__open();
    if (!impl_->noop) throw Error(errno_message("open xb_noop", errno));
    impl_->noop->rodata->xb_noop_action = XDP_PASS;
    check_errno(xb_noop__load(impl_->noop), "load xb_noop");
    NetnsScope in(topo.dut().ns);
    impl_->noop_ifindex = topo.dut().ifindex;
    check_errno(bpf_xdp_attach(impl_->noop_ifindex, bpf_program__fd(impl_->noop->progs.xb_xdp_noop), XDP_FLAGS_DRV_MODE,
                               nullptr),
                "attach xdp-noop on " + topo.dut().dev);
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    check_errno(bpf_obj_get_info_by_fd(bpf_program__fd(impl_->noop->progs.xb_xdp_noop), &info, &len), "prog info");
    impl_->prog_id = info.id;
    return;
  }
  AttachRequest req;
  req.hook = parse_hook(hook);
  req.netns = topo.dut().ns;
  req.ifname = topo.dut().dev;
  req.stamp_offset = sees_l2(program_kind(req.hook)) ? XB_GEN_STAMP_L2_OFFSET : XB_GEN_STAMP_L3_OFFSET;
  if (req.hook == Hook::SocketFilter) {
    impl_->socket_guard.emplace(req, rules);
    impl_->prog_id = impl_->socket_guard->record().prog_id;
  } else {
    impl_->record = attach_filter(req, rules);
    impl_->prog_id = impl_->record->prog_id;
  }
  impl_->latency_map = map_of_program(impl_->prog_id, "xb_hook_latency");
  impl_->ncpu = static_cast<std::size_t>(check_errno(libbpf_num_possible_cpus(), "count CPUs"));
}

HookUnderTest::~HookUnderTest() = default;

void HookUnderTest::reset() {
  impl_->base = prog_stats(impl_->prog_id);
  if (impl_->latency_map) {
    const std::vector<__u64> zeros(impl_->ncpu, 0);
    for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b) bpf_map_update_elem(impl_->latency_map.get(), &b, zeros.data(), BPF_ANY);
  }
  if (impl_->record) reload_filter(*impl_->record, impl_->rules);
  if (impl_->socket_guard) reload_filter(impl_->socket_guard->record(), impl_->rules);
}

HookCounts HookUnderTest::read() const {
  HookCounts c;
  const ProgStats now = prog_stats(impl_->prog_id);
  c.run_time_ns = now.run_time_ns - impl_->base.run_time_ns;
  if (impl_->noop) {
    c.seen = c.passed = now.run_cnt - impl_->base.run_cnt;
    return c;
  }
  if (impl_->latency_map) {
    std::vector<std::uint64_t> buckets(XB_LAT_BUCKETS, 0);
    std::vector<__u64> per_cpu(impl_->ncpu);
    for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b)
      if (!bpf_map_lookup_elem(impl_->latency_map.get(), &b, per_cpu.data()))
        for (auto v : per_cpu) buckets[b] += v;
    c.latency = LatencyHistogram(std::move(buckets));
  }
  const AttachmentRecord& rec = impl_->record ? *impl_->record : impl_->socket_guard->record();
  const CounterSnapshot snap = read_filter_counters(rec);
  auto add = [&](const RuleCounter& counter, bool drop) {
    c.seen += counter.packets;
    (drop ? c.dropped : c.passed) += counter.packets;
  };
  for (std::size_t i = 0; i < snap.rules.size(); ++i) add(snap.rules[i], impl_->rules.rules[i].action == Action::Drop);
  add(snap.no_match, impl_->rules.default_action == Action::Drop);
  add(snap.non_ip, impl_->rules.non_ip_action == Action::Drop);
  add(snap.malformed, impl_->rules.malformed_action == Action::Drop);
  return c;
}

std::uint64_t ip_packets_delivered(const std::string& ns) {
  NetnsScope in(ns);
  std::uint64_t total = 0;
  // the ways out of IP input that come after its netfilter hooks: local
  // delivery (after LOCAL_IN), forwarding, and no route to a foreign address;
  // not InReceives, which counts before PRE_ROUTING can drop
  std::ifstream snmp("/proc/thread-self/net/snmp");
  std::string header, values;
  while (std::getline(snmp, header) && std::getline(snmp, values)) {
    if (header.rfind("Ip:", 0) != 0) continue;
    std::istringstream hs(header), vs(values);
    std::string name, value;
    while (hs >> name && vs >> value)
      if (name == "InDelivers" || name == "ForwDatagrams" || name == "InAddrErrors" || name == "InNoRoutes")
        total += std::stoull(value);
    break;
  }
  // the same for IPv6, one "name value" per line
  std::ifstream snmp6("/proc/thread-self/net/snmp6");
  std::string name;
  std::uint64_t value = 0;
  while (snmp6 >> name >> value)
    if (name == "Ip6InDelivers" || name == "Ip6OutForwDatagrams" || name == "Ip6InAddrErrors" ||
        name == "Ip6InNoRoutes")
      total += value;
  return total;
}

}  // namespace xb::bench
