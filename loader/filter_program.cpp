#include "filter_program.hpp"

#include <bpf/libbpf.h>

#include <cerrno>

#include "errors.hpp"
#include "xb_tc.skel.h"
#include "xb_xdp.skel.h"

namespace xb {
namespace {

template <class Skel>
struct SkeletonTraits;

template <>
struct SkeletonTraits<xb_xdp> {
  static xb_xdp* open() { return xb_xdp__open(); }
  static void destroy(void* s) { xb_xdp__destroy(static_cast<xb_xdp*>(s)); }
  static bpf_program* program(xb_xdp* s) { return s->progs.xb_xdp_filter; }
};

template <>
struct SkeletonTraits<xb_tc> {
  static xb_tc* open() { return xb_tc__open(); }
  static void destroy(void* s) { xb_tc__destroy(static_cast<xb_tc*>(s)); }
  static bpf_program* program(xb_tc* s) { return s->progs.xb_tc_filter; }
};

}  // namespace

FilterProgram FilterProgram::open(ProgramKind kind, FilterMaps maps) {
  auto make = [&](auto* skel, auto destroy, bpf_object* obj, bpf_program* prog) {
    if (!skel) throw Error(errno_message("open BPF skeleton", errno));
    FilterProgram p(kind, SkeletonOwner(skel, destroy), obj, prog, std::move(maps));
    p.maps_.reuse_in(obj);
    return p;
  };
  if (kind == ProgramKind::Xdp) {
    using T = SkeletonTraits<xb_xdp>;
    xb_xdp* s = T::open();
    return make(s, &T::destroy, s ? s->obj : nullptr, s ? T::program(s) : nullptr);
  }
  using T = SkeletonTraits<xb_tc>;
  xb_tc* s = T::open();
  return make(s, &T::destroy, s ? s->obj : nullptr, s ? T::program(s) : nullptr);
}

FilterProgram FilterProgram::load(ProgramKind kind, FilterMaps maps) {
  FilterProgram p = open(kind, std::move(maps));
  p.load();
  return p;
}

void FilterProgram::load() { check_errno(bpf_object__load(object_), "load BPF filter program"); }

int FilterProgram::prog_fd() const { return bpf_program__fd(program_); }

}  // namespace xb
