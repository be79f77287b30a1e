// The filter attached through BPF links: tcx on an interface, cgroup_skb on a
// cgroup v2, and the netfilter hook (one link per address family); and any
// loaded program at tcx or native XDP, for the rig. A link
// lives as long as a reference to it does: the attachment pins its links to
// outlive this process, and detaching unpins them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "filter_program.hpp"
#include "hooks.hpp"
#include "unique_fd.hpp"

namespace xb {

enum class NetfilterHook { PreRouting, LocalIn };
std::string netfilter_hook_name(NetfilterHook h);
NetfilterHook parse_netfilter_hook(const std::string& name);

class LinkAttachment {
 public:
  // program: loaded.
  static LinkAttachment tcx(FilterProgram program, int ifindex, const std::string& ifname, Direction direction);
  // Any loaded SCHED_CLS program (the rig's --prog), which the caller keeps
  // loaded; program() is then not to be called.
  static LinkAttachment tcx(int prog_fd, int ifindex, const std::string& ifname, Direction direction);
  // Any loaded XDP program at native XDP through a BPF link (the rig's
  // dispatcher hold), which the caller keeps loaded; in the current netns.
  static LinkAttachment xdp(int prog_fd, int ifindex, const std::string& ifname);
  static LinkAttachment cgroup_skb(FilterProgram program, const std::string& cgroup_path, Direction direction);
  // In the current network namespace, for IPv4 and IPv6.
  static LinkAttachment netfilter(FilterProgram program, NetfilterHook hook, int priority);

  LinkAttachment(LinkAttachment&&) = default;
  LinkAttachment& operator=(LinkAttachment&&) = delete;
  // Closes the links: unpinned links detach with them.
  ~LinkAttachment() = default;

  const FilterProgram& program() const { return *program_; }

  // Pins the links as dir/link0, dir/link1, ... so they outlive this process.
  void pin(const std::string& dir) const;
  // Detaches pinned links (even if someone else still holds them) and unpins.
  static void detach_pinned(const std::string& dir);

 private:
  LinkAttachment(std::optional<FilterProgram> program, std::vector<UniqueFd> links)
      : program_(std::move(program)), links_(std::move(links)) {}
  std::optional<FilterProgram> program_;
  std::vector<UniqueFd> links_;
};

}  // namespace xb
