// Any loaded XDP program attached the plain way (bpf_xdp_attach: no
// dispatcher), in a named netns: the benchmark rig's reference programs
// (xdp-noop, xdp-drop, the latency sink) and a user's own (--prog). The
// caller keeps the program loaded while this lives. Destruction takes the
// program off, in its netns, if the interface still runs it.
#pragma once

#include <string>

namespace xb {

enum class XdpMode { Native, Generic };

class XdpProgramAttachment {
 public:
  // replace: take the place of whatever XDP program the interface runs;
  // else refuse if it runs one. `what` names the attach in errors.
  XdpProgramAttachment(int prog_fd, int ifindex, const std::string& netns, XdpMode mode, bool replace,
                       const std::string& what);
  XdpProgramAttachment(XdpProgramAttachment&& other) noexcept;
  XdpProgramAttachment& operator=(XdpProgramAttachment&&) = delete;
  XdpProgramAttachment(const XdpProgramAttachment&) = delete;
  ~XdpProgramAttachment();

 private:
  int prog_fd_ = -1;  // the caller's: not closed here
  int ifindex_ = 0;
  std::string netns_;
  unsigned flags_ = 0;
};

}  // namespace xb
