#include "filter_program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "errors.hpp"
#include "prog_type_number.h"
#include "xb_act.skel.h"
#include "xb_cgroup.skel.h"
#include "xb_kernel_ids.h"
#include "xb_lwt.skel.h"
#include "xb_netfilter.skel.h"
#include "xb_socket.skel.h"
#include "xb_tc.skel.h"
#include "xb_xdp.skel.h"

namespace xb {
namespace {

// One skeleton type per program kind (xb_lwt holds three programs, one per
// LWT program type); the macro spells out what differs. Its arguments are a
// type and a member's name, which parentheses would not compile.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define XB_SKELETON(traits, skel, prog)                                                  \
  struct traits {                                                                        \
    static skel* open() { return skel##__open(); }                                       \
    static void destroy(void* s) { skel##__destroy(static_cast<skel*>(s)); }             \
    static bpf_program* program(skel* s) { return s->progs.prog; }                       \
    static void set_probe(skel* s, LatencyProbe p) {                                     \
      s->rodata->xb_stamp_offset = p.stamp_offset;                                       \
      s->rodata->xb_stamp_sample_shift = p.sample_shift;                                 \
    }                                                                                    \
    static void set_extra_work(skel* s, __u32 v) { s->rodata->xb_debug_extra_work = v; } \
  };
XB_SKELETON(xb_xdp_traits, xb_xdp, xb_xdp_filter)
XB_SKELETON(xb_tc_traits, xb_tc, xb_tc_filter)
XB_SKELETON(xb_act_traits, xb_act, xb_act_filter)
XB_SKELETON(xb_socket_traits, xb_socket, xb_socket_filter)
XB_SKELETON(xb_cgroup_traits, xb_cgroup, xb_cgroup_filter)
XB_SKELETON(xb_netfilter_traits, xb_netfilter, xb_netfilter_filter)
XB_SKELETON(xb_lwt_in_traits, xb_lwt, xb_lwt_in_filter)
XB_SKELETON(xb_lwt_out_traits, xb_lwt, xb_lwt_out_filter)
XB_SKELETON(xb_lwt_xmit_traits, xb_lwt, xb_lwt_xmit_filter)
#undef XB_SKELETON
// NOLINTEND(bugprone-macro-parentheses)

// XDPBENCH_DEBUG_EXTRA_WORK=N: N empty loop iterations per packet, to test
// that the regression gate catches a slowdown (see bpf/xb_filter_entry.bpf.h)
__u32 debug_extra_work() {
  const char* v = std::getenv("XDPBENCH_DEBUG_EXTRA_WORK");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  if (*end || n > (1u << 20)) throw Error(std::string("XDPBENCH_DEBUG_EXTRA_WORK: '") + v + "' is not 0 to 1048576");
  return static_cast<__u32>(n);
}

}  // namespace

template <class Traits>
FilterProgram FilterProgram::open_with(ProgramKind kind, FilterMaps maps, LatencyProbe probe) {
  auto* skel = Traits::open();
  if (!skel) throw Error(errno_message("open BPF skeleton for " + program_kind_name(kind), errno));
  Traits::set_probe(skel, probe);
  Traits::set_extra_work(skel, debug_extra_work());
  FilterProgram p(kind, SkeletonOwner(skel, &Traits::destroy), skel->obj, Traits::program(skel), std::move(maps));
  // only this kind's program is loaded where an object holds several
  bpf_program* other = nullptr;
  while ((other = bpf_object__next_program(p.object_, other)))
    if (other != p.program_) bpf_program__set_autoload(other, false);
  p.maps_.reuse_in(p.object_);
  return p;
}

FilterProgram FilterProgram::open(ProgramKind kind, FilterMaps maps, LatencyProbe probe) {
  switch (kind) {
    case ProgramKind::Xdp:
      return open_with<xb_xdp_traits>(kind, std::move(maps), probe);
    case ProgramKind::Tc:
      return open_with<xb_tc_traits>(kind, std::move(maps), probe);
    case ProgramKind::TcAct:
      return open_with<xb_act_traits>(kind, std::move(maps), probe);
    case ProgramKind::Socket:
      return open_with<xb_socket_traits>(kind, std::move(maps), probe);
    case ProgramKind::Cgroup:
      return open_with<xb_cgroup_traits>(kind, std::move(maps), probe);
    case ProgramKind::Netfilter: {
      // libbpf 1.1 knows no "netfilter" section: give the type ourselves
      if (XB_K_BPF_PROG_TYPE_NETFILTER < 0)
        throw Error("this kernel has no netfilter BPF programs (Linux 6.4+, CONFIG_NETFILTER_BPF_LINK)");
      FilterProgram p = open_with<xb_netfilter_traits>(kind, std::move(maps), probe);
      xb_set_prog_type_number(p.program_, static_cast<unsigned>(XB_K_BPF_PROG_TYPE_NETFILTER));  // >= 0: checked above
      bpf_program__set_expected_attach_type(p.program_, static_cast<bpf_attach_type>(XB_K_BPF_NETFILTER));
      return p;
    }
    case ProgramKind::LwtIn:
      return open_with<xb_lwt_in_traits>(kind, std::move(maps), probe);
    case ProgramKind::LwtOut:
      return open_with<xb_lwt_out_traits>(kind, std::move(maps), probe);
    case ProgramKind::LwtXmit:
      return open_with<xb_lwt_xmit_traits>(kind, std::move(maps), probe);
  }
  throw Error("unknown program kind");
}

FilterProgram FilterProgram::load(ProgramKind kind, FilterMaps maps, LatencyProbe probe) {
  FilterProgram p = open(kind, std::move(maps), probe);
  p.load();
  return p;
}

void FilterProgram::load() {
  check_errno(bpf_object__load(object_), "load BPF " + program_kind_name(kind_) + " filter program");
}

int FilterProgram::prog_fd() const { return bpf_program__fd(program_); }

std::uint32_t FilterProgram::prog_id() const {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  check_errno(bpf_obj_get_info_by_fd(prog_fd(), &info, &len), "read program info");
  return info.id;
}

}  // namespace xb
