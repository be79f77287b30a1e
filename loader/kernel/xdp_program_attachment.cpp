#include "xdp_program_attachment.hpp"

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <utility>

#include "errors.hpp"
#include "netns.hpp"

namespace xb {

XdpProgramAttachment::XdpProgramAttachment(int prog_fd, int ifindex, const std::string& netns, XdpMode mode,
                                           bool replace, const std::string& what)
    : prog_fd_(prog_fd),
      ifindex_(ifindex),
      netns_(netns),
      flags_(mode == XdpMode::Native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE) {
  const NetnsScope in_netns(netns_);
  check_errno(bpf_xdp_attach(ifindex_, prog_fd_, flags_ | (replace ? 0u : XDP_FLAGS_UPDATE_IF_NOEXIST), nullptr), what);
}

XdpProgramAttachment::XdpProgramAttachment(XdpProgramAttachment&& other) noexcept
    : prog_fd_(std::exchange(other.prog_fd_, -1)),
      ifindex_(other.ifindex_),
      netns_(std::move(other.netns_)),
      flags_(other.flags_) {}

XdpProgramAttachment::~XdpProgramAttachment() {
  if (prog_fd_ < 0) return;
  try {
    const NetnsScope in_netns(netns_);
    // only while the interface still runs ours (XDP_FLAGS_REPLACE with the old program)
    LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd_);
    bpf_xdp_detach(ifindex_, flags_ | XDP_FLAGS_REPLACE, &opts);
  } catch (const Error&) {
    // the namespace is gone, and the interface with it
  }
}

}  // namespace xb
