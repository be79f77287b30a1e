#include "family_helpers.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include "errors.hpp"
#include "netns.hpp"

namespace xb::hook_family {

void refuse_route_flags(Hook hook, const TargetFlags& flags) {
  if (!flags.route.empty() || !flags.table.empty())
    throw Error(fmt::format("--route and --table are for the lwt hooks, not --hook={}", hook_name(hook)));
}

HookTarget interface_target(Hook hook, const TargetFlags& flags) {
  refuse_route_flags(hook, flags);
  if (flags.iface.empty()) throw Error("--iface is required for --hook=" + hook_name(hook));
  return InterfaceTarget{flags.iface, 0};
}

const InterfaceTarget& interface_of(const HookSite& site) { return std::get<InterfaceTarget>(site.target); }

void resolve_interface(HookSite& site) {
  auto& t = std::get<InterfaceTarget>(site.target);
  t.ifindex = interface_index(t.ifname, site.netns);
}

std::string interface_text(const HookSite& site) { return interface_of(site).ifname; }

std::string ns_text(const std::string& netns) { return netns.empty() ? "host namespace" : "netns " + netns; }

std::string interface_where(const HookSite& site) {
  return fmt::format("{} {} on {} ({})", hook_name(site.hook), direction_name(site.direction), interface_text(site),
                     ns_text(site.netns));
}

void save_interface(const HookSite& site, nlohmann::json& out) {
  out["ifname"] = interface_of(site).ifname;
  out["ifindex"] = interface_of(site).ifindex;
}

void read_interface(const nlohmann::json& in, HookSite& site) {
  site.target = InterfaceTarget{in.at("ifname").get<std::string>(), in.at("ifindex").get<int>()};
}

bool program_loaded(const HookSite& site) {
  const int fd = bpf_prog_get_fd_by_id(site.prog_id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

void nothing_to_detach(const HookSite&, const std::function<std::vector<HookSite>()>&) {}
void nothing_to_undo(const HookSite&, const std::vector<std::uint32_t>&) {}
void nothing_to_prepare(HookSite&) {}

}  // namespace xb::hook_family
