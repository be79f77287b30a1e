#include "filter_program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <string>

#include "errors.hpp"
#include "prog_type_number.h"
#include "xb_act.skel.h"
#include "xb_act_rig.skel.h"
#include "xb_cgroup.skel.h"
#include "xb_cgroup_rig.skel.h"
#include "xb_kernel_ids.h"
#include "xb_lwt.skel.h"
#include "xb_lwt_rig.skel.h"
#include "xb_netfilter.skel.h"
#include "xb_netfilter_rig.skel.h"
#include "xb_socket.skel.h"
#include "xb_socket_rig.skel.h"
#include "xb_tc.skel.h"
#include "xb_tc_ct.skel.h"
#include "xb_tc_ct_rig.skel.h"
#include "xb_tc_rig.skel.h"
#include "xb_xdp.skel.h"
#include "xb_xdp_ct.skel.h"
#include "xb_xdp_ct_rig.skel.h"
#include "xb_xdp_rig.skel.h"

namespace xb {
namespace {

// One skeleton type per program kind and variant (xb_lwt holds three
// programs, one per LWT program type); the macros spell out what differs.
// Their arguments are a type and a member's name, which parentheses would
// not compile. Only the rig's variants have the probe's knobs.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define XB_SKELETON(traits, skel, prog)                                      \
  struct traits {                                                            \
    static skel* open() { return skel##__open(); }                           \
    static void destroy(void* s) { skel##__destroy(static_cast<skel*>(s)); } \
    static bpf_program* program(skel* s) { return s->progs.prog; }           \
    static void set_probe(skel*, const RigProbe&) {}                         \
  };
#define XB_RIG_SKELETON(traits, skel, prog)                                  \
  struct traits {                                                            \
    static skel* open() { return skel##__open(); }                           \
    static void destroy(void* s) { skel##__destroy(static_cast<skel*>(s)); } \
    static bpf_program* program(skel* s) { return s->progs.prog; }           \
    static void set_probe(skel* s, const RigProbe& p) {                      \
      s->rodata->xb_stamp_offset = p.stamp_offset;                           \
      s->rodata->xb_stamp_sample_shift = p.sample_shift;                     \
      s->rodata->xb_debug_extra_work = p.extra_work;                         \
    }                                                                        \
  };
#define XB_SKELETONS(name, prog)         \
  XB_SKELETON(name##_traits, name, prog) \
  XB_RIG_SKELETON(name##_rig_traits, name##_rig, prog)
XB_SKELETONS(xb_xdp, xb_xdp_filter)
XB_SKELETONS(xb_tc, xb_tc_filter)
XB_SKELETONS(xb_xdp_ct, xb_xdp_filter)
XB_SKELETONS(xb_tc_ct, xb_tc_filter)
XB_SKELETONS(xb_act, xb_act_filter)
XB_SKELETONS(xb_socket, xb_socket_filter)
XB_SKELETONS(xb_cgroup, xb_cgroup_filter)
XB_SKELETONS(xb_netfilter, xb_netfilter_filter)
XB_SKELETON(xb_lwt_in_traits, xb_lwt, xb_lwt_in_filter)
XB_SKELETON(xb_lwt_out_traits, xb_lwt, xb_lwt_out_filter)
XB_SKELETON(xb_lwt_xmit_traits, xb_lwt, xb_lwt_xmit_filter)
XB_RIG_SKELETON(xb_lwt_in_rig_traits, xb_lwt_rig, xb_lwt_in_filter)
XB_RIG_SKELETON(xb_lwt_out_rig_traits, xb_lwt_rig, xb_lwt_out_filter)
XB_RIG_SKELETON(xb_lwt_xmit_rig_traits, xb_lwt_rig, xb_lwt_xmit_filter)
#undef XB_SKELETONS
#undef XB_RIG_SKELETON
#undef XB_SKELETON
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace

template <class Traits>
FilterProgram FilterProgram::open_with(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig) {
  auto* skel = Traits::open();
  if (!skel) throw Error(errno_message("open BPF skeleton for " + program_kind_name(kind), errno));
  if (rig) Traits::set_probe(skel, *rig);
  FilterProgram p(kind, SkeletonOwner(skel, &Traits::destroy), skel->obj, Traits::program(skel), std::move(maps));
  // only this kind's program is loaded where an object holds several
  bpf_program* other = nullptr;
  while ((other = bpf_object__next_program(p.object_, other)))
    if (other != p.program_) bpf_program__set_autoload(other, false);
  p.maps_.reuse_in(p.object_);
  return p;
}

template <class Product, class Rig>
FilterProgram FilterProgram::open_variant(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig) {
  return rig ? open_with<Rig>(kind, std::move(maps), rig) : open_with<Product>(kind, std::move(maps), rig);
}

FilterProgram FilterProgram::open(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig) {
  switch (kind) {
    // the variants that look up connection state, for tables that need it
    // (bpf/xb_ct.bpf.h): the others never reference the conntrack kfuncs
    case ProgramKind::Xdp:
      if (maps.looks_up_conntrack())
        return open_variant<xb_xdp_ct_traits, xb_xdp_ct_rig_traits>(kind, std::move(maps), rig);
      return open_variant<xb_xdp_traits, xb_xdp_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::Tc:
      if (maps.looks_up_conntrack())
        return open_variant<xb_tc_ct_traits, xb_tc_ct_rig_traits>(kind, std::move(maps), rig);
      return open_variant<xb_tc_traits, xb_tc_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::TcAct:
      return open_variant<xb_act_traits, xb_act_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::Socket:
      return open_variant<xb_socket_traits, xb_socket_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::Cgroup:
      return open_variant<xb_cgroup_traits, xb_cgroup_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::Netfilter: {
      // libbpf 1.1 knows no "netfilter" section: give the type ourselves
      if (XB_K_BPF_PROG_TYPE_NETFILTER < 0)
        throw Error("this kernel has no netfilter BPF programs (Linux 6.4+, CONFIG_NETFILTER_BPF_LINK)");
      FilterProgram p = open_variant<xb_netfilter_traits, xb_netfilter_rig_traits>(kind, std::move(maps), rig);
      xb_set_prog_type_number(p.program_, static_cast<unsigned>(XB_K_BPF_PROG_TYPE_NETFILTER));  // >= 0: checked above
      bpf_program__set_expected_attach_type(p.program_, static_cast<bpf_attach_type>(XB_K_BPF_NETFILTER));
      return p;
    }
    case ProgramKind::LwtIn:
      return open_variant<xb_lwt_in_traits, xb_lwt_in_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::LwtOut:
      return open_variant<xb_lwt_out_traits, xb_lwt_out_rig_traits>(kind, std::move(maps), rig);
    case ProgramKind::LwtXmit:
      return open_variant<xb_lwt_xmit_traits, xb_lwt_xmit_rig_traits>(kind, std::move(maps), rig);
  }
  throw Error("unknown program kind");
}

FilterProgram FilterProgram::load(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig) {
  FilterProgram p = open(kind, std::move(maps), rig);
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
