// The filter as a tc action: act_bpf behind a matchall classifier on clsact,
// made over rtnetlink (libbpf has no API for actions). Kernels without
// act_bpf (CONFIG_NET_ACT_BPF) are told apart before anything is created.
#pragma once

#include <optional>
#include <string>

#include "filter_program.hpp"
#include "tc_attachment.hpp"

namespace xb {

class TcActAttachment {
 public:
  // program: loaded (BPF_PROG_TYPE_SCHED_ACT).
  TcActAttachment(FilterProgram program, int ifindex, const std::string& ifname, Direction direction);
  TcActAttachment(TcActAttachment&& other) noexcept;
  TcActAttachment& operator=(TcActAttachment&&) = delete;
  ~TcActAttachment();

  const TcFilterId& id() const { return id_; }
  const FilterProgram& program() const { return *program_; }
  void release() { released_ = true; }

  static void detach(const TcFilterId& id, bool remove_qdisc, const std::string& ifname);

  // As TcAttachment's: the place known before attaching, and what a killed
  // attach left there (the matchall at our fixed priority is ours).
  static TcFilterId place(int ifindex, Direction direction);
  static void remove_left_over(const TcFilterId& id);
  // Whether a matchall filter sits at `id`'s place.
  static bool holds(const TcFilterId& id);

  // Empty when this kernel can run act_bpf behind matchall; otherwise why not,
  // naming the missing kernel option.
  static std::string missing_kernel_support();

 private:
  std::optional<FilterProgram> program_;
  TcFilterId id_;
  bool attached_ = false;
  bool released_ = false;
};

}  // namespace xb
