// The filter attached at XDP through libxdp's dispatcher, so other XDP
// programs on the interface keep running beside it. Detaches on destruction
// unless released to outlive this process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "filter_program.hpp"

struct xdp_program;

namespace xb {

class XdpAttachment {
 public:
  // program: opened, not loaded (libxdp loads it as a dispatcher extension).
  XdpAttachment(FilterProgram program, int ifindex, const std::string& ifname, bool native);
  XdpAttachment(XdpAttachment&& other) noexcept;
  XdpAttachment& operator=(XdpAttachment&&) = delete;
  XdpAttachment(const XdpAttachment&) = delete;
  ~XdpAttachment();

  std::uint32_t prog_id() const;
  // false when libxdp had to attach without its dispatcher
  bool dispatched() const { return dispatched_; }
  const FilterProgram& program() const { return *program_; }
  // Leave the program attached when this object goes.
  void release() { released_ = true; }

  // Detaches program prog_id from ifindex (in the current netns), as a later
  // process must. Throws Error when it is not attached there.
  static void detach(int ifindex, std::uint32_t prog_id, const std::string& ifname);

 private:
  std::optional<FilterProgram> program_;
  xdp_program* xdp_prog_ = nullptr;
  int ifindex_ = 0;
  bool native_ = true;
  bool dispatched_ = false;
  bool released_ = false;
};

}  // namespace xb
