// The hooks attached through BPF links: tcx on an interface, cgroup-skb on a
// cgroup v2, netfilter on an inet hook of a namespace. The pinned links are
// what keeps the filter attached: unpinning them (the transaction's job,
// the same for every hook) takes it off, so there is nothing else to detach
// or undo, and a link dies with its last pin or the killed process's fds.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "family_helpers.hpp"

namespace xb {
namespace {
using namespace hook_family;

class PlacedLinks final : public PlacedFilter {
 public:
  explicit PlacedLinks(LinkAttachment a) : a_(std::move(a)) {}
  const FilterProgram& program() const override { return a_.program(); }
  void pin(const std::string& dir) const override { a_.pin(dir); }

 private:
  LinkAttachment a_;
};

FilterProgram load(const HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  return FilterProgram::load(program_kind(site.hook), std::move(maps), rig);
}

std::unique_ptr<PlacedFilter> placed(HookSite& site, LinkAttachment a) {
  site.prog_id = a.program().prog_id();
  return std::make_unique<PlacedLinks>(std::move(a));
}

// tcx
std::unique_ptr<PlacedFilter> attach_tcx(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = interface_of(site);
  return placed(site, LinkAttachment::tcx(load(site, std::move(maps), rig), t.ifindex, t.ifname, site.direction));
}

// cgroup-skb
HookTarget cgroup_target(Hook hook, const TargetFlags& flags) {
  refuse_route_flags(hook, flags);
  if (flags.cgroup.empty()) throw Error("--cgroup is required for --hook=cgroup-skb");
  return CgroupTarget{flags.cgroup};
}

std::unique_ptr<PlacedFilter> attach_cgroup(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  return placed(site, LinkAttachment::cgroup_skb(load(site, std::move(maps), rig),
                                                 std::get<CgroupTarget>(site.target).path, site.direction));
}

std::string cgroup_text(const HookSite& site) { return std::get<CgroupTarget>(site.target).path; }

std::string cgroup_where(const HookSite& site) {
  return fmt::format("cgroup-skb {} on {}", direction_name(site.direction), std::get<CgroupTarget>(site.target).path);
}

void save_cgroup(const HookSite& site, nlohmann::json& out) {
  out["cgroup"] = std::get<CgroupTarget>(site.target).path;
}
void read_cgroup(const nlohmann::json& in, HookSite& site) { site.target = CgroupTarget{in.at("cgroup")}; }

// netfilter
HookTarget netfilter_target(Hook hook, const TargetFlags& flags) {
  refuse_route_flags(hook, flags);
  return NetfilterTarget{parse_netfilter_hook(flags.nf_hook), flags.nf_priority};
}

std::unique_ptr<PlacedFilter> attach_netfilter(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = std::get<NetfilterTarget>(site.target);
  return placed(site, LinkAttachment::netfilter(load(site, std::move(maps), rig), t.hook, t.priority));
}

std::string netfilter_text(const HookSite& site) {
  return netfilter_hook_name(std::get<NetfilterTarget>(site.target).hook);
}

std::string netfilter_where(const HookSite& site) {
  return fmt::format("netfilter {} priority {} ({})", netfilter_text(site),
                     std::get<NetfilterTarget>(site.target).priority, ns_text(site.netns));
}

void save_netfilter(const HookSite& site, nlohmann::json& out) {
  out["nf_hook"] = netfilter_text(site);
  out["nf_priority"] = std::get<NetfilterTarget>(site.target).priority;
}

void read_netfilter(const nlohmann::json& in, HookSite& site) {
  site.target = NetfilterTarget{parse_netfilter_hook(in.at("nf_hook")), in.at("nf_priority").get<int>()};
}

}  // namespace

template <>
const HookOps& entry_of<Hook::Tcx>() {
  static const HookOps ops = {Hook::Tcx,
                              interface_target,
                              resolve_interface,
                              attach_tcx,
                              nothing_to_detach,
                              nothing_to_undo,
                              program_loaded,
                              interface_text,
                              interface_where,
                              save_interface,
                              read_interface,
                              /*held_by_process=*/false,
                              ConnectionState::LookedUp};
  return ops;
}
template <>
const HookOps& entry_of<Hook::CgroupSkb>() {
  static const HookOps ops = {Hook::CgroupSkb,   cgroup_target,   nothing_to_prepare, attach_cgroup,
                              nothing_to_detach, nothing_to_undo, program_loaded,     cgroup_text,
                              cgroup_where,      save_cgroup,     read_cgroup};
  return ops;
}
template <>
const HookOps& entry_of<Hook::Netfilter>() {
  static const HookOps ops = {Hook::Netfilter,           netfilter_target,       nothing_to_prepare, attach_netfilter,
                              nothing_to_detach,         nothing_to_undo,        program_loaded,     netfilter_text,
                              netfilter_where,           save_netfilter,         read_netfilter,
                              /*held_by_process=*/false, ConnectionState::Judged};
  return ops;
}

}  // namespace xb
