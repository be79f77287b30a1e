// The filter attached as a cls_bpf classifier in direct-action mode on the
// clsact qdisc, at a fixed priority and handle (so that a killed attach's
// filter is found again). The qdisc is created if missing and removed on
// detach only if we created it. Detaches on destruction unless released.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "filter_program.hpp"
#include "hooks.hpp"

namespace xb {

struct TcFilterId {
  int ifindex = 0;
  Direction direction = Direction::Ingress;
  std::uint32_t handle = 0;
  std::uint32_t priority = 0;
  bool created_qdisc = false;
};

class TcAttachment {
 public:
  // program: loaded.
  TcAttachment(FilterProgram program, int ifindex, const std::string& ifname, Direction direction);
  // Any loaded SCHED_CLS program (the rig's --prog), which the caller keeps
  // loaded; program() is then not to be called.
  TcAttachment(int prog_fd, int ifindex, const std::string& ifname, Direction direction);
  TcAttachment(TcAttachment&& other) noexcept;
  TcAttachment& operator=(TcAttachment&&) = delete;
  TcAttachment(const TcAttachment&) = delete;
  ~TcAttachment();

  const TcFilterId& id() const { return id_; }
  const FilterProgram& program() const { return *program_; }
  void release() { released_ = true; }

  // Removes the filter (and the qdisc if remove_qdisc) in the current netns.
  static void detach(const TcFilterId& id, bool remove_qdisc, const std::string& ifname);

  // Where an attach on this interface and direction will put the filter,
  // known before it does: created_qdisc says whether it will make the qdisc.
  static TcFilterId place(int ifindex, Direction direction);
  // Whether the filter at `id`'s place runs program `prog_id`.
  static bool holds(const TcFilterId& id, std::uint32_t prog_id);
  // What an attach killed before its record was written left at `id`'s
  // place: the filter if it runs one of `prog_ids` (that attach's
  // programs), and the qdisc if the attach was to make it.
  static void remove_left_over(const TcFilterId& id, const std::vector<std::uint32_t>& prog_ids);

 private:
  std::optional<FilterProgram> program_;
  TcFilterId id_;
  bool attached_ = false;
  bool released_ = false;
};

}  // namespace xb
