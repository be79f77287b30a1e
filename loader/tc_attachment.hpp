// The filter attached as a cls_bpf classifier in direct-action mode on the
// clsact qdisc. The qdisc is created if missing and removed on detach only if
// we created it. Detaches on destruction unless released.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
  TcAttachment(TcAttachment&& other) noexcept;
  TcAttachment& operator=(TcAttachment&&) = delete;
  TcAttachment(const TcAttachment&) = delete;
  ~TcAttachment();

  const TcFilterId& id() const { return id_; }
  const FilterProgram& program() const { return *program_; }
  void release() { released_ = true; }

  // Removes the filter (and the qdisc if remove_qdisc) in the current netns.
  static void detach(const TcFilterId& id, bool remove_qdisc, const std::string& ifname);

 private:
  std::optional<FilterProgram> program_;
  TcFilterId id_;
  bool attached_ = false;
  bool released_ = false;
};

}  // namespace xb
