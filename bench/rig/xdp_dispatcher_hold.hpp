// Keeps an XDP program in the kernel's XDP dispatcher for as long as this
// object lives, so that BPF_PROG_TEST_RUN of it stops paying for two RCU
// grace periods per call.
//
// Why: bpf_prog_test_run_xdp() (net/bpf/test_run.c) brackets every run with
// repeat > 1 — live frames or not — by bpf_prog_change_xdp(NULL, prog) and
// bpf_prog_change_xdp(prog, NULL). Each adds the program to, or removes it
// from, the kernel's XDP dispatcher (bpf_dispatcher_change_prog), and each
// change rewrites the dispatcher's trampoline and waits in synchronize_rcu():
// ~1 ms a call on one machine, 20-30 ms on a VM with slow grace periods,
// whatever the call's size. A program that is already in the dispatcher
// (attached at native XDP somewhere) only has its user count raised and
// lowered: no rewrite, no wait.
//
// So the program is attached, through a BPF link, at native XDP to one end of
// a veth pair in a network namespace of its own: unnamed (never in
// /run/netns: new_anonymous_netns()) and held only by this
// object's file descriptor, so it, the veth pair and the attachment vanish
// with this object — or with the process, however it ends. The veth stays
// down: nothing ever runs the program there. Attached directly, not through
// libxdp: libxdp's dispatcher program would be what the kernel dispatcher
// holds, not this one (the loader's LinkAttachment::xdp).
#pragma once

#include <optional>

#include "link_attachment.hpp"
#include "unique_fd.hpp"

namespace xb::bench {

class XdpDispatcherHold {
 public:
  // prog_fd: a loaded XDP program. Throws Error saying what failed (no veth,
  // no native XDP on veth, not root).
  explicit XdpDispatcherHold(int prog_fd);
  XdpDispatcherHold(XdpDispatcherHold&&) = default;
  XdpDispatcherHold& operator=(XdpDispatcherHold&&) = delete;
  // Members go link first (detaches), then the namespace with its veths.
  ~XdpDispatcherHold() = default;

 private:
  UniqueFd netns_;
  std::optional<LinkAttachment> link_;
};

}  // namespace xb::bench
