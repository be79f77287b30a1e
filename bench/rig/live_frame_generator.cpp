#include "live_frame_generator.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <netinet/ether.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>

#include "call_size_model.hpp"
#include "cpu_usage.hpp"
#include "errors.hpp"
#include "flow_table.hpp"
#include "netns.hpp"
#include "rig.hpp"
#include "traffic_file.hpp"
#include "xb_gen.h"
#include "xb_gen.skel.h"
#include "xdp_dispatcher_hold.hpp"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

namespace xb::bench {
namespace {

std::array<std::uint8_t, 6> parse_mac(const std::string& s) {
  std::array<std::uint8_t, 6> m{};
  ether_addr addr{};
  if (!::ether_aton_r(s.c_str(), &addr)) throw Error("bad MAC address " + s);
  std::copy(std::begin(addr.ether_addr_octet), std::end(addr.ether_addr_octet), m.begin());
  return m;
}

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

constexpr std::size_t kEth = 14, kIp = 20, kIp6 = 40, kUdp = 8;

// XDPBENCH_DEBUG_CALL_DELAY_US=N: sleep N microseconds before each
// live-frames call, inside the call's timing: a kernel whose every prog-run
// call has a large fixed cost (slow RCU grace periods), for testing that the
// generator does not collapse on one (tests/rig/xdpbench_run_test.cpp).
std::chrono::microseconds debug_call_delay() {
  const char* v = std::getenv("XDPBENCH_DEBUG_CALL_DELAY_US");
  if (!v || !*v) return {};
  char* end = nullptr;
  const unsigned long us = std::strtoul(v, &end, 10);
  if (*end || us > 10'000'000)
    throw Error(std::string("XDPBENCH_DEBUG_CALL_DELAY_US: '") + v + "' is not 0 to 10000000");
  return std::chrono::microseconds(us);
}

// Ethernet + IPv4 + UDP to the DUT, with room for the stamp in the payload.
std::vector<std::uint8_t> template_frame(const Topology& topo, Family family, std::uint32_t frame_size) {
  const std::size_t ip_len = family == Family::V4 ? kIp : kIp6;
  const std::size_t size = std::max<std::size_t>(frame_size - 4, kEth + ip_len + kUdp + sizeof(xb_gen_stamp));
  std::vector<std::uint8_t> f(size, 0);
  const auto dst = parse_mac(topo.next_hop_mac()), src = parse_mac(topo.generator().mac);
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  std::uint8_t* ip = &f[kEth];
  const std::uint16_t l4_len = static_cast<std::uint16_t>(size - kEth - ip_len);
  if (family == Family::V4) {
    f[12] = 0x08;
    ip[0] = 0x45;
    const std::uint16_t total = static_cast<std::uint16_t>(size - kEth);
    put16(ip + 2, total);
    ip[8] = XB_GEN_TTL;
    ip[9] = 17;
    if (inet_pton(AF_INET, topo.generator().ip4.c_str(), ip + 12) != 1 ||
        inet_pton(AF_INET, topo.spec().target.c_str(), ip + 16) != 1)
      throw Error("topology: generator and target need IPv4 addresses");
    const std::uint16_t csum = ip_checksum(ip, kIp);
    put16(ip + 10, csum);
  } else {
    f[12] = 0x86;
    f[13] = 0xdd;
    ip[0] = 0x60;
    put16(ip + 4, l4_len);
    ip[6] = 17;
    ip[7] = XB_GEN_TTL;
    if (inet_pton(AF_INET6, topo.generator().ip6.c_str(), ip + 8) != 1 ||
        inet_pton(AF_INET6, topo.spec().target6.c_str(), ip + 24) != 1)
      throw Error(fmt::format("--ipv6-share: topology {} has no IPv6 generator address and target6", topo.spec().name));
  }
  std::uint8_t* udp = ip + ip_len;
  put16(udp + 2, 9);       // discard
  put16(udp + 4, l4_len);  // checksum 0 (see bpf/xb_gen.bpf.c)
  return f;
}

}  // namespace

struct LiveFrameGenerator::Impl {
  std::string gen_ns;
  xb_gen* skel = nullptr;
  bpf_program* prog = nullptr;                       // xb_gen, or xb_gen_replay for a file
  std::vector<std::vector<std::uint8_t>> frames[2];  // per family (IPv4, IPv6), one per size
  std::vector<std::size_t> size_pattern;             // which size each call sends, in turn
  double ipv6_share = 0;
  double rate_pps = 0;
  std::uint64_t cap = 65536;  // frames per call at most
  std::chrono::microseconds call_delay{};
  std::vector<int> cpus;  // one thread each; empty: the caller's thread
  // flat out: the size of each call, from what its thread's calls took so
  // far (kept across send()s, so a trial starts from what its warm-up learnt)
  std::vector<CallSizeModel> sizes;
  // declared after skel: goes first, detaching before the program is freed
  std::optional<XdpDispatcherHold> dispatcher_hold;  // empty where it could not be had
  ~Impl() {
    dispatcher_hold.reset();
    xb_gen__destroy(skel);
  }
  // One thread's share: `max_packets` at `rate_pps` (0: flat out) until `end`.
  std::uint64_t send_share(std::size_t thread, std::uint64_t max_packets, double rate_pps,
                           std::chrono::steady_clock::time_point end, const std::atomic<bool>& abort);
};

namespace {

// The file's frames into the replay program's map, addressed from the
// generator to its peer as the template is: frames addressed elsewhere
// would not be taken by the DUT's stack as its own.
void load_replay_frames(xb_gen* skel, const TrafficFile& file, const Topology& topo) {
  const auto dst = parse_mac(topo.next_hop_mac()), src = parse_mac(topo.generator().mac);
  const int map = bpf_map__fd(skel->maps.xb_gen_frames);
  for (__u32 i = 0; i < file.frames.size(); ++i) {
    auto f = std::make_unique<xb_gen_frame>();
    const auto& frame = file.frames[i];
    f->len = static_cast<__u32>(frame.size());
    std::copy(frame.begin(), frame.end(), f->data);
    std::copy(dst.begin(), dst.end(), f->data);
    std::copy(src.begin(), src.end(), f->data + 6);
    check_errno(bpf_map_update_elem(map, &i, f.get(), BPF_ANY), "load the replayed frames");
  }
}

}  // namespace

LiveFrameGenerator::LiveFrameGenerator(const Topology& topo, const TrafficProfile& profile,
                                       const std::vector<Flow>& flows4, const std::vector<Flow>& flows6,
                                       const std::vector<int>& cpus)
    : impl_(std::make_unique<Impl>()) {
  impl_->gen_ns = topo.generator().ns;
  impl_->rate_pps = profile.rate_pps;
  impl_->cpus = cpus.size() > 1 ? cpus : std::vector<int>{};
  const TrafficFile* file = profile.file.get();
  if (cpus.size() > XB_GEN_MAX_THREADS)
    throw Error(fmt::format("--gen-cpus: at most {} generator CPUs", XB_GEN_MAX_THREADS));
  if (file) {
    // the template only sets the first frame's pages up: the program writes every frame anew
    impl_->size_pattern = {0};
    impl_->frames[0].push_back(file->frames.front());
  } else {
    impl_->ipv6_share = profile.ipv6_share;
    const std::vector<std::uint32_t> sizes =
        profile.imix ? std::vector<std::uint32_t>{64, 594, 1518} : std::vector<std::uint32_t>{profile.frame_size};
    // simple IMIX: 7 x 64 B, 4 x 594 B, 1 x 1518 B
    impl_->size_pattern =
        profile.imix ? std::vector<std::size_t>{0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 2} : std::vector<std::size_t>{0};
    for (std::uint32_t size : sizes) {
      impl_->frames[0].push_back(template_frame(topo, Family::V4, size));
      if (profile.ipv6_share > 0) impl_->frames[1].push_back(template_frame(topo, Family::V6, size));
    }
  }
  if (flows4.size() > XB_GEN_V6_FLOWS || flows6.size() > XB_GEN_MAX_FLOWS - XB_GEN_V6_FLOWS)
    throw Error(fmt::format("--flows: at most {} per address family", XB_GEN_V6_FLOWS));
  impl_->skel = xb_gen__open();
  if (!impl_->skel) throw Error(errno_message("open generator program", errno));
  const bool table = !flows4.empty() || !flows6.empty();
  const __u32 template_flows = std::max<std::uint32_t>(profile.flows, 1);
  impl_->skel->rodata->xb_gen_ifindex = static_cast<__u32>(topo.generator().ifindex);
  impl_->skel->rodata->xb_gen_flows_v4 = table ? static_cast<__u32>(flows4.size()) : template_flows;
  impl_->skel->rodata->xb_gen_flows_v6 = table ? static_cast<__u32>(flows6.size()) : template_flows;
  impl_->skel->rodata->xb_gen_flow_table = table ? 1 : 0;
  {
    // written into every frame: a forwarding DUT rewrites them in the pages it hands back
    const auto dst = parse_mac(topo.next_hop_mac()), src = parse_mac(topo.generator().mac);
    std::copy(dst.begin(), dst.end(), impl_->skel->rodata->xb_gen_eth_addrs);
    std::copy(src.begin(), src.end(), impl_->skel->rodata->xb_gen_eth_addrs + 6);
  }
  impl_->skel->rodata->xb_gen_threads = static_cast<__u32>(std::max<std::size_t>(impl_->cpus.size(), 1));
  for (std::size_t t = 0; t < impl_->cpus.size(); ++t) {
    if (impl_->cpus[t] < 0 || impl_->cpus[t] >= XB_GEN_MAX_CPUS)
      throw Error(fmt::format("--gen-cpus: CPU {} is not 0 to {}", impl_->cpus[t], XB_GEN_MAX_CPUS - 1));
    impl_->skel->rodata->xb_gen_thread_of_cpu[impl_->cpus[t]] = static_cast<__u8>(t);
  }
  if (file) {
    impl_->skel->rodata->xb_gen_frame_count = static_cast<__u32>(file->frames.size());
    check_errno(bpf_map__set_max_entries(impl_->skel->maps.xb_gen_frames, static_cast<__u32>(file->frames.size())),
                "size the replayed frames' map");
  }
  // only the program that sends is loaded
  bpf_program__set_autoload(file ? impl_->skel->progs.xb_gen : impl_->skel->progs.xb_gen_replay, false);
  check_errno(xb_gen__load(impl_->skel), "load generator program");
  impl_->prog = file ? impl_->skel->progs.xb_gen_replay : impl_->skel->progs.xb_gen;
  if (file) load_replay_frames(impl_->skel, *file, topo);
  const int map = bpf_map__fd(impl_->skel->maps.xb_gen_flow_map);
  auto load = [&](const std::vector<Flow>& flows, __u32 base) {
    for (__u32 i = 0; i < flows.size(); ++i) {
      xb_gen_flow f{};
      std::memcpy(f.saddr, flows[i].saddr.data(), 16);
      std::memcpy(f.daddr, flows[i].daddr.data(), 16);
      f.sport = htons(flows[i].sport);
      f.dport = htons(flows[i].dport);
      const __u32 key = base + i;
      check_errno(bpf_map_update_elem(map, &key, &f, BPF_ANY), "load the flow table");
    }
  };
  if (!file) {
    load(flows4, 0);
    load(flows6, XB_GEN_V6_FLOWS);
  }
  impl_->call_delay = debug_call_delay();
  // paced: one call per millisecond's worth of frames; flat out: 64k at most
  // a call (IMIX, IPv6: 1024, so the sizes and families interleave finely)
  impl_->cap = impl_->size_pattern.size() > 1 || impl_->ipv6_share > 0 ? 1024 : 65536;
  impl_->sizes.assign(std::max<std::size_t>(impl_->cpus.size(), 1),
                      CallSizeModel({.start = std::min<std::uint64_t>(1024, impl_->cap), .cap = impl_->cap}));
  // Without this every call waits for two RCU grace periods (see
  // bench/rig/xdp_dispatcher_hold.hpp); the generator still works without it,
  // only slower where grace periods are slow.
  // XDPBENCH_DEBUG_NO_DISPATCHER_HOLD=1 leaves it out, to measure that.
  const char* no_hold = std::getenv("XDPBENCH_DEBUG_NO_DISPATCHER_HOLD");
  if (!no_hold || std::string(no_hold) != "1") try {
      impl_->dispatcher_hold.emplace(bpf_program__fd(impl_->prog));
    } catch (const Error& e) {
      std::fprintf(stderr, "xdpbench: %s; the generator pays for it in every call\n", e.what());
    }
}

LiveFrameGenerator::~LiveFrameGenerator() = default;

std::uint64_t LiveFrameGenerator::send(std::uint64_t max_packets, double seconds) {
  using clock = std::chrono::steady_clock;
  const auto end = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  // every call from the cycle's start (the program's packet counters)
  std::memset(impl_->skel->bss->xb_gen_counters, 0, sizeof(impl_->skel->bss->xb_gen_counters));
  std::atomic<bool> abort{false};
  if (impl_->cpus.empty()) return impl_->send_share(0, max_packets, impl_->rate_pps, end, abort);
  // thread t sends packets t, t + T, ... (bpf/xb_gen.bpf.c): shares that
  // differ by at most one make them packets 0 .. max_packets-1 together
  const std::size_t threads = impl_->cpus.size();
  std::vector<std::uint64_t> sent(threads, 0);
  std::vector<std::exception_ptr> errors(threads);
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        try {
          pin_this_thread(impl_->cpus[t]);
          const std::uint64_t share = max_packets / threads + (t < max_packets % threads ? 1 : 0);
          sent[t] = impl_->send_share(t, share, impl_->rate_pps / static_cast<double>(threads), end, abort);
        } catch (...) {
          errors[t] = std::current_exception();
          abort = true;
        }
      });
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::uint64_t total = 0;
  for (const std::uint64_t n : sent) total += n;
  return total;
}

std::uint64_t LiveFrameGenerator::Impl::send_share(std::size_t thread, std::uint64_t max_packets, double rate,
                                                   std::chrono::steady_clock::time_point end,
                                                   const std::atomic<bool>& abort) {
  // The redirect resolves the interface in the caller's namespace (a
  // thread's own: each sending thread enters it).
  NetnsScope in_gen(gen_ns);
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  // paced: one call per millisecond's worth of frames (the kernel flushes
  // them to the device 64 at a time either way)
  const std::uint64_t paced_batch = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(rate / 1000), 1, cap);
  CallSizeModel& model = sizes[thread];
  std::uint64_t sent = 0;
  for (std::size_t call = 0; sent < max_packets && clock::now() < end && !abort; ++call) {
    const std::uint64_t n = std::min(rate > 0 ? paced_batch : model.next(), max_packets - sent);
    const auto call_start = clock::now();
    if (call_delay.count() > 0) std::this_thread::sleep_for(call_delay);
    // the family by the share, evenly spread over the calls (Bresenham)
    const double v6_before = std::floor(static_cast<double>(call) * ipv6_share);
    const int family = std::floor(static_cast<double>(call + 1) * ipv6_share) > v6_before ? 1 : 0;
    const auto& frame = frames[family][size_pattern[call % size_pattern.size()]];
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
                .repeat = static_cast<int>(n), .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
    if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0) {
      // a signal (a debugger, a stop request) ends a live-frames run early;
      // it does not say how many it sent: the call counts for none of them
      if (errno == EINTR) {
        if (stop_requested()) break;
        continue;
      }
      throw Error(errno_message("send live frames (BPF_PROG_TEST_RUN)", errno));
    }
    sent += n;
    // a slow hook runs in this call's softirq work: the model keeps calls
    // near 10 ms, so that a trial ends on time however much each packet
    // costs the DUT, and long enough that the fixed cost is a small share
    if (rate == 0) model.observe(n, std::chrono::duration<double>(clock::now() - call_start).count());
    if (rate > 0)
      std::this_thread::sleep_until(start + std::chrono::duration_cast<clock::duration>(
                                                std::chrono::duration<double>(static_cast<double>(sent) / rate)));
  }
  return sent;
}

}  // namespace xb::bench
