// Did the hook see the traffic the DUT received? A hook behind the IP layer
// (netfilter, the LWT hooks, a socket) sees only what the stack let through
// to it; when the stack discards most of what the DUT's NIC received before
// the hook (frames for another host's MAC address, martians, addresses it
// cannot forward), the hook's rate is the stack's discarding, not the hook's
// cost, and says nothing about it. Issue #24: the router topology handed
// its LWT hooks and netfilter 1% of the DUT's traffic, and the table showed
// their rates like any other.
//
// A hook is starved when, in the median trial, what it saw (its rx) is under
// kStarvedShare of what the DUT interface received in the same trial (its
// rx_packets counter, warm-up excluded, drain included). Half: in a rig
// that works, a hook sees all the DUT receives (the flows are chosen
// forwardable, and a veth has no queue between XDP and the stack to lose
// frames in), and a file's traffic full of martians (a ClassBench trace) is
// starved all the same and should say so. A hook whose rx is the
// interface's own count (nft, iptables) is never starved by this rule, and
// a hook that reads a ring of its own (a DPDK application on AF_XDP or
// AF_PACKET) is not judged: what its ring had no room for under overload
// (over half, measured: dpdk-afxdp took 46% of what dut0 received at
// 5 Mpps offered) is its own cost, not the stack's discarding. No libbpf:
// unit-tested without root.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xb::bench {

inline constexpr double kStarvedShare = 0.5;

// One trial: what the hook saw and what the DUT's interface received.
struct InputSample {
  std::uint64_t hook_rx = 0, dut_nic_rx = 0;
};

struct HookStarved {
  bool starved = false;
  double share = 1;  // the median trial's hook rx / DUT rx; 1 where unknown
  std::string why;   // empty when not starved
};

// Trials without the DUT's count (dut_nic_rx 0: unknown, or nothing arrived)
// are left out; none left: not starved.
HookStarved hook_starved(const std::vector<InputSample>& trials);

}  // namespace xb::bench
