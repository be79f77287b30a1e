// xb_dpdk_filter: the DPDK baseline. One port (an AF_XDP or AF_PACKET vdev
// on the DUT interface), one worker lcore polling it, each packet classified
// by the filter core compiled natively (the reference model) and dropped or
// passed. xdpbench drives it over stdin/stdout, one command per line:
//   reset  counting starts anew         -> "ok"
//   read   the counts since reset       -> one JSON object
//   quit   (or end of input) stop, close the port, exit
//
// usage: xb_dpdk_filter EAL-ARGS -- RULES.toml [acl]
// (acl: classify with DPDK's rte_acl instead of the filter core)
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "acl_classifier.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "rule_set.hpp"
#include "xb_gen.h"

#ifndef __always_inline
#define __always_inline inline
#endif
#include "xb_latency.h"

namespace {

constexpr std::uint16_t kBurst = 32;
constexpr std::uint16_t kRingSize = 2048;
constexpr unsigned kMbufs = 8192;

// Written by the worker only, read by the control thread: plain stores of
// relaxed atomics are enough, no read-modify-write on the fast path.
struct Counters {
  std::atomic<std::uint64_t> rx{0}, dropped{0}, passed{0}, busy_cycles{0};
  std::atomic<std::uint64_t> latency[XB_LAT_BUCKETS] = {};
};

struct Worker {
  std::uint16_t port = 0;
  rte_ether_addr own_mac{};
  xb::CompiledTable table;
  std::unique_ptr<xb::dpdk::AclClassifier> acl;  // set: rte_acl classifies
  Counters counters;
  std::atomic<bool> stop{false};
};

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of bpf_ktime_get_ns()
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

// The generator's stamp, if this is one of its frames (IPv4 or IPv6, no VLAN).
bool stamp_of(const std::uint8_t* frame, std::uint32_t len, std::uint64_t& sent_ns) {
  if (len < 14) return false;
  const std::uint16_t ethertype = static_cast<std::uint16_t>(frame[12] << 8 | frame[13]);
  std::uint32_t off = XB_GEN_STAMP_L2_OFFSET;
  if (ethertype == 0x86dd)
    off += XB_GEN_STAMP_IPV6_EXTRA;
  else if (ethertype != 0x0800)
    return false;
  if (len < off + sizeof(xb_gen_stamp)) return false;
  xb_gen_stamp stamp;
  std::memcpy(&stamp, frame + off, sizeof(stamp));
  if (stamp.magic != XB_GEN_MAGIC) return false;
  sent_ns = stamp.sent_ns;
  return true;
}

int poll_loop(void* arg) {
  auto& w = *static_cast<Worker*>(arg);
  rte_mbuf* bufs[kBurst];
  while (!w.stop.load(std::memory_order_relaxed)) {
    const std::uint16_t n = rte_eth_rx_burst(w.port, 0, bufs, kBurst);
    if (n == 0) continue;
    // the cost per packet counts from the burst in hand, as bpf_stats counts
    // from the program's entry
    const std::uint64_t start = rte_rdtsc();
    const std::uint64_t now_ns = monotonic_ns();
    std::uint64_t dropped = 0, received = 0;
    for (std::uint16_t i = 0; i < n; ++i) {
      const auto* data = rte_pktmbuf_mtod(bufs[i], const std::uint8_t*);
      const std::uint32_t len = rte_pktmbuf_data_len(bufs[i]);
      // AF_PACKET also hands over what the host itself sends on the
      // interface; that is not traffic to filter
      if (len >= 12 && std::memcmp(data + 6, w.own_mac.addr_bytes, 6) == 0) {
        rte_pktmbuf_free(bufs[i]);
        continue;
      }
      ++received;
      std::uint64_t sent_ns = 0;
      if (stamp_of(data, len, sent_ns) && now_ns > sent_ns)
        bump(w.counters.latency[xb_latency_bucket(now_ns - sent_ns)], 1);
      const xb::Action action = w.acl ? w.acl->classify(data, len) : xb::classify(w.table, {data, len}).action;
      dropped += action == xb::Action::Drop;
      // passed packets end here: the application is their destination
      rte_pktmbuf_free(bufs[i]);
    }
    bump(w.counters.rx, received);
    bump(w.counters.dropped, dropped);
    bump(w.counters.passed, received - dropped);
    bump(w.counters.busy_cycles, rte_rdtsc() - start);
  }
  return 0;
}

struct Snapshot {
  std::uint64_t rx = 0, dropped = 0, passed = 0, busy_cycles = 0;
  std::vector<std::uint64_t> latency = std::vector<std::uint64_t>(XB_LAT_BUCKETS);
};

Snapshot snapshot(const Counters& c) {
  Snapshot s;
  s.rx = c.rx.load(std::memory_order_relaxed);
  s.dropped = c.dropped.load(std::memory_order_relaxed);
  s.passed = c.passed.load(std::memory_order_relaxed);
  s.busy_cycles = c.busy_cycles.load(std::memory_order_relaxed);
  for (int b = 0; b < XB_LAT_BUCKETS; ++b) s.latency[b] = c.latency[b].load(std::memory_order_relaxed);
  return s;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "xb_dpdk_filter: %s\n", what.c_str());
  return 1;
}

int setup_port(std::uint16_t port, rte_mempool* pool) {
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(port, 1, 1, &conf); rc < 0) return rc;
  if (int rc = rte_eth_rx_queue_setup(port, 0, kRingSize, rte_eth_dev_socket_id(port), nullptr, pool); rc < 0)
    return rc;
  if (int rc = rte_eth_tx_queue_setup(port, 0, kRingSize, rte_eth_dev_socket_id(port), nullptr); rc < 0) return rc;
  if (int rc = rte_eth_dev_start(port); rc < 0) return rc;
  return rte_eth_promiscuous_enable(port);
}

}  // namespace

int run(int argc, char** argv) {
  const int eal_args = rte_eal_init(argc, argv);
  if (eal_args < 0) return fail(std::string("EAL init: ") + rte_strerror(rte_errno));
  argc -= eal_args;
  argv += eal_args;
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "acl"))
    return fail("usage: xb_dpdk_filter EAL-ARGS -- RULES.toml [acl]");

  static Worker worker;  // the counters are big; not on the stack
  try {
    const xb::RuleSet rules = xb::load_rule_file(argv[1]);
    worker.table = xb::compile_rules(rules);
    if (argc == 3) worker.acl = std::make_unique<xb::dpdk::AclClassifier>(rules);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (rte_eth_dev_count_avail() != 1)
    return fail("expected one port (a --vdev), found " + std::to_string(rte_eth_dev_count_avail()));
  rte_mempool* pool = rte_pktmbuf_pool_create("xb_mbufs", kMbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (!pool) return fail(std::string("mbuf pool: ") + rte_strerror(rte_errno));
  if (int rc = setup_port(worker.port, pool); rc < 0) return fail(std::string("port setup: ") + rte_strerror(-rc));
  rte_eth_macaddr_get(worker.port, &worker.own_mac);
  const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  if (lcore >= RTE_MAX_LCORE) return fail("needs a worker lcore (-l MAIN,WORKER)");
  rte_eal_remote_launch(poll_loop, &worker, lcore);

  Snapshot base;
  std::cout << "ready" << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
    if (line == "reset") {
      base = snapshot(worker.counters);
      std::cout << "ok" << std::endl;
    } else if (line == "read") {
      const Snapshot now = snapshot(worker.counters);
      std::vector<std::uint64_t> latency(XB_LAT_BUCKETS);
      for (int b = 0; b < XB_LAT_BUCKETS; ++b) latency[b] = now.latency[b] - base.latency[b];
      const nlohmann::json out = {{"rx", now.rx - base.rx},
                                  {"dropped", now.dropped - base.dropped},
                                  {"passed", now.passed - base.passed},
                                  {"busy_ns", static_cast<double>(now.busy_cycles - base.busy_cycles) * 1e9 /
                                                  static_cast<double>(rte_get_tsc_hz())},
                                  {"latency", latency}};
      std::cout << out.dump() << std::endl;
    } else if (line == "quit") {
      break;
    } else {
      std::cout << "error: unknown command" << std::endl;
    }
  }
  worker.stop = true;
  rte_eal_wait_lcore(lcore);
  rte_eth_dev_stop(worker.port);
  rte_eth_dev_close(worker.port);
  rte_eal_cleanup();
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // a rule file it cannot read, a port it cannot set up
    return fail(e.what());
  }
}
