#include "xdp_attachment.hpp"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>

#include "errors.hpp"

namespace xb {
namespace {

std::string libxdp_message(int err) {
  char buf[256] = {};
  libxdp_strerror(err, buf, sizeof(buf));
  return buf;
}

// libxdp keeps its lock file and dispatcher pins in <bpffs>/xdp and leaves
// the directory behind; once nothing is in it, it is only clutter (libxdp
// makes it again when needed).
void remove_empty_libxdp_dir() { ::rmdir("/sys/fs/bpf/xdp"); }

}  // namespace

XdpAttachment::XdpAttachment(FilterProgram program, int ifindex, const std::string& ifname, bool native)
    : program_(std::move(program)), ifindex_(ifindex), native_(native) {
  xdp_prog_ = xdp_program__from_bpf_obj(program_->object(), "xdp");
  if (const long err = libxdp_get_error(xdp_prog_); err || !xdp_prog_) {
    xdp_prog_ = nullptr;
    throw Error(fmt::format("attach {} on {}: libxdp: {}", native ? "xdp-native" : "xdp-generic", ifname,
                            libxdp_message(static_cast<int>(err))));
  }
  const int err = xdp_program__attach(xdp_prog_, ifindex, native ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
  if (err) {
    xdp_program__close(xdp_prog_);
    xdp_prog_ = nullptr;
    std::string hint;
    if (native && (err == -EOPNOTSUPP || err == -EINVAL))
      hint = " (the driver has no native XDP: try --hook=xdp-generic)";
    throw Error(
        fmt::format("attach {} on {}: {}{}", native ? "xdp-native" : "xdp-generic", ifname, libxdp_message(err), hint));
  }
  // libxdp falls back by itself to a plain attach when its dispatcher cannot
  // load (its freplace compatibility check fails on some kernels); then ours
  // is the interface's only XDP program, and we say so.
  if (xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex); mp && !libxdp_get_error(mp)) {
    dispatched_ = !xdp_multiprog__is_legacy(mp);
    xdp_multiprog__close(mp);
  }
}

XdpAttachment::XdpAttachment(XdpAttachment&& other) noexcept
    : program_(std::move(other.program_)),
      xdp_prog_(std::exchange(other.xdp_prog_, nullptr)),
      ifindex_(other.ifindex_),
      native_(other.native_),
      dispatched_(other.dispatched_),
      released_(other.released_) {}

XdpAttachment::~XdpAttachment() {
  if (!xdp_prog_) return;
  if (!released_) {
    xdp_program__detach(xdp_prog_, ifindex_, native_ ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
    remove_empty_libxdp_dir();
  }
  xdp_program__close(xdp_prog_);
}

std::uint32_t XdpAttachment::prog_id() const { return xdp_program__id(xdp_prog_); }

void XdpAttachment::detach(int ifindex, std::uint32_t prog_id, const std::string& ifname) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (const long err = libxdp_get_error(mp); err || !mp)
    throw Error(fmt::format("detach from {}: no XDP program attached", ifname));
  const xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
  xdp_program* found = nullptr;
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program* main = xdp_multiprog__main_prog(mp);
    if (main && xdp_program__id(main) == prog_id) found = main;
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
      if (xdp_program__id(p) == prog_id) found = p;
  }
  int err = found ? xdp_program__detach(found, ifindex, mode, 0) : -ENOENT;
  xdp_multiprog__close(mp);
  remove_empty_libxdp_dir();
  if (err) throw Error(fmt::format("detach XDP program {} from {}: {}", prog_id, ifname, libxdp_message(err)));
}

}  // namespace xb
